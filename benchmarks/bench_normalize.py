"""normlib.normalize against PyTorch's CPU ops on a (32, 64, 56, 56) float32 tensor.

Run with ``make bench``. Both sides use one thread: NumPy's ufuncs are
single-threaded, so OpenBLAS (used by normlib's row sums) and torch are
pinned to one thread too. Prints, per method, the best-of-N time of each,
their ratio, the time of one tensor copy (the memory-traffic floor) and
normlib's peak extra memory in tensor copies (tracemalloc sees NumPy's
allocations).

Targets: every ratio at most 1.5, peak extra memory at most 3 copies.
"""

from __future__ import annotations

import os

# Before NumPy loads OpenBLAS: one thread, like the torch side.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import normlib  # noqa: E402

SHAPE = (32, 64, 56, 56)
REPEATS = 15
TARGET_RATIO = 1.5
TARGET_COPIES = 3.0


def best_time(action, repeats: int = REPEATS) -> float:
    action()  # warm up: first-touch page faults, lazy imports
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_copies(action, nbytes: int) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / nbytes


def main() -> int:
    x = np.random.default_rng(0).normal(size=SHAPE).astype(np.float32)
    cases = {
        "batchnorm": normlib.METHODS["batchnorm"],
        "layernorm": normlib.METHODS["layernorm"],
        "instancenorm": normlib.METHODS["instancenorm"],
        "groupnorm(8)": normlib.NormSpec("CHW", groups=8),
    }
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        torch = None
        print(
            "torch is not installed: only normlib's times are shown "
            "(pip install torch==2.13.0 for the comparison)"
        )
    torch_ops = {}
    if torch is not None:
        torch.set_num_threads(1)
        t = torch.from_numpy(x)
        torch_ops = {
            "batchnorm": lambda: F.batch_norm(t, None, None, training=True),
            "layernorm": lambda: F.layer_norm(t, t.shape[1:]),
            "instancenorm": lambda: F.instance_norm(t),
            "groupnorm(8)": lambda: F.group_norm(t, 8),
        }

    copy_time = best_time(lambda: x.copy())
    print(f"tensor {SHAPE} float32, {x.nbytes / 2**20:.1f} MiB; one thread on each side")
    print(f"one copy of the tensor (memory-traffic floor): {copy_time * 1e3:7.2f} ms\n")
    header = f"{'method':<14}{'normlib ms':>11}{'torch ms':>10}{'ratio':>8}{'copies':>8}  verdict"
    print(header)
    print("-" * len(header))
    failures = 0
    for name, spec in cases.items():
        ours = best_time(lambda spec=spec: normlib.normalize(x, spec))
        copies = peak_copies(lambda spec=spec: normlib.normalize(x, spec), x.nbytes)
        if name in torch_ops:
            theirs = best_time(torch_ops[name])
            ratio = ours / theirs
            ok = ratio <= TARGET_RATIO and copies <= TARGET_COPIES
            print(
                f"{name:<14}{ours * 1e3:11.2f}{theirs * 1e3:10.2f}{ratio:8.2f}{copies:8.2f}  "
                f"{'ok' if ok else 'OVER TARGET'}"
            )
            failures += not ok
        else:
            print(f"{name:<14}{ours * 1e3:11.2f}{'-':>10}{'-':>8}{copies:8.2f}")
    print(f"\ntargets: ratio <= {TARGET_RATIO}, peak extra memory <= {TARGET_COPIES} copies")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
