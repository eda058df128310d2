"""The shipped default view's summary runs, made ahead of time so that a class does not wait.

The lab's first view compares the default norms at every batch size (seed 0, the default
steps and learning rate, at the same images). Those runs are deterministic, so they are
trained once by this module's script and stored in ``default_runs.npz`` beside it; the page
hands them to the run registry as finished runs (a learner's other runs still train live).
tests/test_lab_precomputed.py re-runs a sample of them and compares every number exactly.

Remake the file after changing the task, the network or the defaults::

    OPENBLAS_NUM_THREADS=1 python -m normapp.lab.precomputed
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import numpy as np

from normapp.lab import controls
from normapp.lab.training import RunConfig, RunResult, train

FILE = Path(__file__).resolve().with_name("default_runs.npz")
_ARRAYS = tuple(
    f.name
    for f in dataclasses.fields(RunResult)
    if f.name not in ("config", "status") and f.name not in ("steps_done", "diverged_at", "seconds")
)


def default_configs() -> list[RunConfig]:
    """The runs of the default summary: each default norm at every batch size, seed 0."""
    default = controls.TABLE.defaults()
    return [
        config
        for batch in controls.BATCH_SIZES
        for config in controls.configs_at(default, list(default["norms"]), batch)
    ]


def save(results: list[RunResult], path: Path = FILE) -> None:
    """Store `results` exactly: arrays as they are, the rest as JSON."""
    arrays: dict[str, np.ndarray] = {}
    meta = []
    for index, result in enumerate(results):
        meta.append(
            {
                "config": dataclasses.asdict(result.config),
                "status": result.status,
                "steps_done": result.steps_done,
                "diverged_at": result.diverged_at,
                "seconds": result.seconds,
            }
        )
        for name in _ARRAYS:
            value = getattr(result, name)
            if value is not None:
                arrays[f"{index}/{name}"] = value
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]


def load(path: Path = FILE) -> dict[RunConfig, RunResult]:
    """The stored runs by config; empty when the file is missing."""
    if not path.exists():
        return {}
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        results = {}
        for index, item in enumerate(meta):
            config = RunConfig(**item.pop("config"))
            arrays = {name: data.get(f"{index}/{name}") for name in _ARRAYS}
            for array in arrays.values():
                if array is not None:
                    array.flags.writeable = False
            results[config] = RunResult(config=config, **item, **arrays)
    return results


@functools.cache
def default_runs() -> dict[RunConfig, RunResult]:
    """The stored runs that are still the default summary's (a stale file gives none)."""
    wanted = set(default_configs())
    return {config: result for config, result in load().items() if config in wanted}


def main() -> int:
    import threadpoolctl

    with threadpoolctl.threadpool_limits(1, "blas"):  # as the lab's training processes
        results = []
        for config in default_configs():
            result = train(config)
            print(
                f"{config.norm} batch {config.batch_size}: held-out error "
                f"{100 * (1 - result.test_accuracy[-1]):.1f}% in {result.seconds:.1f} s",
                flush=True,
            )
            results.append(result)
    save(results)
    print(f"wrote {FILE} ({FILE.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
