"""The lab's training processes: a spawned pool, their progress reports and stop flags.

normapp.lab.runs hands each run to :class:`TrainingProcesses`, which trains it in a process of
its own: a training loop's many short NumPy calls would hold the server's interpreter lock.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import threadpoolctl

from normapp.lab.training import RunConfig, RunResult, train

# Stop flags shared with the training processes, one per run, reused round robin: far more
# slots than runs can be pending at once.
STOP_SLOTS = 1024
# "spawn": the server has threads, and a forked child would inherit their locks mid-use.
_CONTEXT = multiprocessing.get_context("spawn")
ORPHAN_CHECK_S = 1.0  # how often a training process checks that the server is still there


class TrainingProcesses:
    """A pool of training processes, with their progress reports and stop flags.

    Each process gets, once when it starts, the queue it reports partial runs on and the
    array of stop flags (multiprocessing objects travel to a pool only that way).
    """

    def __init__(self, workers: int, on_progress: Callable[[int, Any], None]) -> None:
        self._workers = workers
        self._reports: Any = _CONTEXT.Queue()
        self._stop_flags: Any = _CONTEXT.Array("b", STOP_SLOTS, lock=False)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._on_progress = on_progress
        threading.Thread(target=self._relay, name="lab-progress", daemon=True).start()

    def _relay(self) -> None:
        while True:
            run_id, partial = self._reports.get()
            self._on_progress(run_id, partial)

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self._workers,
                    mp_context=_CONTEXT,
                    initializer=_start_worker,
                    initargs=(self._reports, self._stop_flags),
                )
            return self._pool

    def train(self, run_id: int, config: RunConfig, stopped: threading.Event) -> RunResult:
        """Train `config` in a process; wait (without the interpreter lock) for the result.

        `stopped` is the run's own stop event: set before the flag was cleared here, the stop
        still reaches the process (stop() sets the event first, then the flag).
        """
        self._stop_flags[run_id % STOP_SLOTS] = 0
        if stopped.is_set():
            self._stop_flags[run_id % STOP_SLOTS] = 1
        try:
            with _without_main_script():  # the pool starts its processes in this submit
                future = self._executor().submit(_train_in_worker, run_id, config)
            return future.result()
        except BrokenProcessPool:
            with self._lock:  # a process died (killed, out of memory): start a new pool
                self._pool = None
            raise RuntimeError("the training process ended unexpectedly; try again") from None

    def stop(self, run_id: int) -> None:
        self._stop_flags[run_id % STOP_SLOTS] = 1

    def stop_all(self) -> None:
        """At the server's exit: stop the runs training, so the exit does not wait for them."""
        for slot in range(STOP_SLOTS):
            self._stop_flags[slot] = 1


@contextlib.contextmanager
def _without_main_script() -> Iterator[None]:
    """Hide the running app script from "spawn" while it starts training processes.

    A spawned process first imports its parent's ``__main__``; in a Streamlit server that is
    the app script a session is running, so every training process ran the whole app outside
    Streamlit (about 70 "missing ScriptRunContext" warnings in the server's log per class, and
    seconds of imports). A bare module in its place gives the child nothing to import.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


# In a training process: where to report, and which runs to stop.
_REPORTS: Any = None
_STOP_FLAGS: Any = None


def _start_worker(reports: Any, stop_flags: Any) -> None:
    global _REPORTS, _STOP_FLAGS
    _REPORTS, _STOP_FLAGS = reports, stop_flags
    # A server that dies without shutting its pool down (killed, or stopped mid-exit) would
    # leave this process waiting for work forever: it holds both ends of its own pipes, so
    # it never sees the server go. It watches its parent instead, and ends with it.
    parent = os.getppid()
    threading.Thread(target=_end_with_parent, args=(parent,), daemon=True).start()
    # One BLAS thread: the network's matrices are small, and several BLAS threads per process
    # beside the server's (or another run's) spun against each other: 4x slower on 2 cores.
    threadpoolctl.threadpool_limits(1, "blas")


def _end_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(0)


def _train_in_worker(run_id: int, config: RunConfig) -> RunResult:
    slot = run_id % STOP_SLOTS
    return train(
        config,
        on_step=lambda partial: _REPORTS.put((run_id, partial)),
        should_stop=lambda: _STOP_FLAGS[slot] == 1,
    )
