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

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import normlib  # noqa: E402

SHAPE = (32, 64, 56, 56)
REPEATS = 25
TARGET_RATIO = 1.5
TARGET_COPIES = 3.0


def timings(action, repeats: int = REPEATS) -> tuple[float, float]:
    """(fastest, median) of `repeats` runs after one warm-up run."""
    action()  # warm up: first-touch page faults, lazy imports
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


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

    copy_time, _ = timings(lambda: x.copy())
    print(f"tensor {SHAPE} float32, {x.nbytes / 2**20:.1f} MiB; one thread on each side")
    print(f"one copy of the tensor (memory-traffic floor): {copy_time * 1e3:7.2f} ms\n")
    print("times in ms as fastest / median of", REPEATS, "runs; the verdict uses the medians")
    header = f"{'method':<14}{'normlib':>15}{'torch':>15}{'ratio':>13}{'copies':>8}  verdict"
    print(header)
    print("-" * len(header))
    failures = 0
    for name, spec in cases.items():
        ours = timings(lambda spec=spec: normlib.normalize(x, spec))
        copies = peak_copies(lambda spec=spec: normlib.normalize(x, spec), x.nbytes)
        ours_text = f"{ours[0] * 1e3:6.2f} /{ours[1] * 1e3:6.2f}"
        if name in torch_ops:
            theirs = timings(torch_ops[name])
            ratios = (ours[0] / theirs[0], ours[1] / theirs[1])
            ok = ratios[1] <= TARGET_RATIO and copies <= TARGET_COPIES
            print(
                f"{name:<14}{ours_text:>15}{theirs[0] * 1e3:8.2f} /{theirs[1] * 1e3:5.2f}"
                f"{ratios[0]:7.2f} /{ratios[1]:4.2f}{copies:8.2f}  "
                f"{'ok' if ok else 'OVER TARGET'}"
            )
            failures += not ok
        else:
            print(f"{name:<14}{ours_text:>15}{'-':>15}{'-':>13}{copies:8.2f}")
    print(f"\ntargets: median ratio <= {TARGET_RATIO}, peak extra memory <= {TARGET_COPIES} copies")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
