"""Training runs shared by every session of one server: bounded, deduplicated and cached.

A run is a pure function of its :class:`RunConfig` (deterministic for a seed), so the server
keeps each finished run and hands it to every session that asks for the same parameters: a
class opening the lecturer's link gets the finished curves at once. Runs train on a small pool
of worker threads (one by default, ``NORMAPP_LAB_WORKERS``), each training in a process of its
own (normapp.lab.processes), so a class starting runs at once queues them instead of starving
the other pages; past `max_pending` runs waiting, a request is
refused with :class:`Busy` and the page says so rather than hang. Sessions asking for a run
that is already training watch the same run. A run stops early only when every session that
asked for it has pressed Stop or left: a run whose every watcher has had the app closed for
LEFT_AFTER_S (no live session, `watching`) is dropped from the queue, or stopped at its next
report, so the server does not train for tabs nobody has open. The wait lets a learner who
reloads the page, or whose phone lost the network for a moment, find the run still going.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from normapp.lab.processes import TrainingProcesses
from normapp.lab.training import RunConfig, RunResult, train

# Finished runs kept per server process. A 800-step run's record is about 40 KB.
MAX_RESULTS = 512
# Runs queued or training at once, over all sessions; more are refused with Busy.
MAX_PENDING = 40
# Runs one session may have queued or training: one request is at most 6 norms × 5 batch sizes.
MAX_PER_WATCHER = 30
# Seconds a watcher's session may be closed before its runs count as abandoned: a reload
# (a new session asks for the same runs) or a reconnecting phone takes a few.
LEFT_AFTER_S = 15.0


class Busy(Exception):  # noqa: N818 (a state the page shows, not a failure)
    """`pending` runs are queued or training (the session's own when `mine`); `asked` more
    would pass `cap`."""

    def __init__(self, pending: int, asked: int, cap: int, mine: bool = False) -> None:
        super().__init__(f"{pending} runs are waiting or training; {asked} more would pass {cap}")
        self.pending, self.asked, self.cap, self.mine = pending, asked, cap, mine


@dataclass
class RunJob:
    """One run queued or training: what has been done so far, and who is watching it."""

    config: RunConfig
    state: str = "queued"  # queued, running, done
    latest: RunResult | None = None
    watchers: set[str] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)
    order: int = 0


@dataclass(frozen=True)
class RunView:
    """What a page shows for one config: a result (finished, diverged or partial) or a wait."""

    config: RunConfig
    result: RunResult | None
    state: str  # finished, diverged, stopped, running, queued, failed, absent
    ahead: int = 0  # runs queued before this one (state "queued")
    error: str | None = None


class RunRegistry:
    """The server's training runs: finished ones cached, the rest queued on a few workers."""

    def __init__(
        self,
        workers: int = 1,
        max_pending: int = MAX_PENDING,
        max_results: int = MAX_RESULTS,
        max_per_watcher: int = MAX_PER_WATCHER,
        processes: bool = True,
        watching: Callable[[str], bool] = lambda watcher: True,
        left_after_s: float = LEFT_AFTER_S,
    ) -> None:
        """`workers` runs train at once, each in a process of its own unless not `processes`
        (then on a thread of this process: for tests that replace `train`). `watching(w)` says
        whether watcher `w` still has the app open (the app sets live_views.session_alive)."""
        self._lock = threading.Lock()
        self.watching = watching
        self.left_after_s = left_after_s
        self._gone_since: dict[str, float] = {}  # watchers seen closed, and since when
        self._processes: TrainingProcesses | None = (
            TrainingProcesses(workers, self._progress) if processes else None
        )
        self._results: OrderedDict[RunConfig, RunResult] = OrderedDict()
        self._jobs: dict[RunConfig, RunJob] = {}
        # Runs that raised: deterministic, so asking again would fail again. Kept for the message.
        self._failed: OrderedDict[RunConfig, str] = OrderedDict()
        # Runs wait here for one of `workers` daemon threads, each of which trains one run at a
        # time (in a process, or itself). Daemon threads: a server that stops does not first
        # work through the queue, as a ThreadPoolExecutor's threads would at exit.
        self._queue: queue.SimpleQueue[RunJob] = queue.SimpleQueue()
        self._workers = workers
        self._started = False
        self._counter = 0
        self._running: dict[int, RunJob] = {}  # by run id, while a process trains it
        self.max_pending = max_pending
        self.max_results = max_results
        self.max_per_watcher = max_per_watcher

    # ---------------------------------------------------------------- asking
    def request(self, configs: Iterable[RunConfig], watcher: str) -> None:
        """Start (or join) a run for each config not finished yet; `watcher` is the session.

        Raises Busy, starting none of them, when the new runs would pass `max_pending`.
        """
        with self._lock:
            self._drop_abandoned()
            # A run being stopped is not joined: asking again starts it afresh.
            new = [
                c
                for c in dict.fromkeys(configs)
                if c not in self._results
                and c not in self._failed
                and (c not in self._jobs or self._jobs[c].stop.is_set())
            ]
            pending = len(self._jobs)
            if new and pending + len(new) > self.max_pending:
                raise Busy(pending, len(new), self.max_pending)
            own = sum(1 for job in self._jobs.values() if watcher in job.watchers)
            if new and own + len(new) > self.max_per_watcher:
                raise Busy(own, len(new), self.max_per_watcher, mine=True)
            for config in dict.fromkeys(configs):
                job = self._jobs.get(config)
                if job is not None:
                    job.watchers.add(watcher)
            for config in new:
                self._counter += 1
                job = RunJob(config, watchers={watcher}, order=self._counter)
                self._jobs[config] = job
                self._queue.put(job)
            if new and not self._started:
                self._started = True
                for index in range(self._workers):
                    threading.Thread(
                        target=self._work, name=f"lab-run-{index}", daemon=True
                    ).start()

    def preload(self, results: Mapping[RunConfig, RunResult]) -> None:
        """Runs made ahead of time (normapp.lab.precomputed), kept as finished ones: a config
        already cached or training is left as it is."""
        with self._lock:
            for config, result in results.items():
                if config not in self._results and config not in self._jobs:
                    self._results[config] = result
                    while len(self._results) > self.max_results:
                        self._results.popitem(last=False)

    def stop(self, configs: Iterable[RunConfig], watcher: str) -> None:
        """`watcher` stops watching; a run nobody watches any more stops at its next step."""
        with self._lock:
            for config in configs:
                job = self._jobs.get(config)
                if job is None:
                    continue
                job.watchers.discard(watcher)
                if not job.watchers:
                    self._stop_job(job)

    def _abandoned(self, job: RunJob) -> bool:
        """Everyone who asked for `job` has had the app closed for `left_after_s` (a run with
        no watcher left was stopped by `stop`, not abandoned). Under the lock."""
        now = time.monotonic()
        for watcher in job.watchers:
            if self.watching(watcher):
                self._gone_since.pop(watcher, None)
                return False
            self._gone_since.setdefault(watcher, now)
        return bool(job.watchers) and all(
            now - self._gone_since[w] >= self.left_after_s for w in job.watchers
        )

    def _drop_abandoned(self) -> None:
        """Stop every queued or running run that no open session watches (under the lock)."""
        for job in list(self._jobs.values()):
            if job.state != "done" and not job.stop.is_set() and self._abandoned(job):
                self._stop_job(job)
                if job.state == "queued":  # its worker skips it; a new request starts afresh
                    del self._jobs[job.config]
        watched = {w for job in self._jobs.values() for w in job.watchers}
        for watcher in set(self._gone_since) - watched:  # forget those with no run left
            del self._gone_since[watcher]

    def _stop_job(self, job: RunJob) -> None:
        job.stop.set()
        if self._processes is not None:
            self._processes.stop(job.order)

    def view(self, config: RunConfig) -> RunView:
        with self._lock:
            result = self._results.get(config)
            if result is not None:
                self._results.move_to_end(config)
                return RunView(config, result, result.status)
            if config in self._failed:
                return RunView(config, None, "failed", error=self._failed[config])
            job = self._jobs.get(config)
            if job is None:
                return RunView(config, None, "absent")
            if job.state == "queued":
                ahead = sum(
                    1 for j in self._jobs.values() if j.state == "queued" and j.order < job.order
                )
                running = sum(1 for j in self._jobs.values() if j.state == "running")
                return RunView(config, None, "queued", ahead=ahead + running)
            return RunView(config, job.latest, "running")

    def views(self, configs: Sequence[RunConfig]) -> list[RunView]:
        return [self.view(config) for config in configs]

    def finished(self, configs: Iterable[RunConfig]) -> dict[RunConfig, RunResult]:
        """The cached results among `configs` (finished or diverged), without starting any."""
        with self._lock:
            return {c: self._results[c] for c in configs if c in self._results}

    def pending(self) -> int:
        with self._lock:
            return len(self._jobs)

    def _progress(self, run_id: int, partial: RunResult) -> None:
        """A training process reported a partial run (every few steps)."""
        job = self._running.get(run_id)
        if job is not None:
            self._reported(job, partial)

    def _reported(self, job: RunJob, partial: RunResult) -> None:
        """Keep a running job's latest partial run. Every report also looks for runs nobody
        has open, this one included: a closed tab's wait starts when it is first seen closed,
        so it is seen within a report, not at the next request."""
        job.latest = partial
        with self._lock:
            self._drop_abandoned()

    # --------------------------------------------------------------- working
    def _work(self) -> None:
        while True:
            self._run(self._queue.get())

    def _run(self, job: RunJob) -> None:
        with self._lock:
            if job.stop.is_set() or self._abandoned(job):  # everyone stopped or left first
                if self._jobs.get(job.config) is job:  # not a newer request's job
                    del self._jobs[job.config]
                return
            job.state = "running"

        try:
            if self._processes is not None:
                self._running[job.order] = job
                try:
                    result = self._processes.train(job.order, job.config, job.stop)
                finally:
                    self._running.pop(job.order, None)
            else:
                result = train(
                    job.config,
                    on_step=lambda partial: self._reported(job, partial),
                    should_stop=job.stop.is_set,
                )
        except Exception as error:  # noqa: BLE001 (shown to the watchers, never a traceback)
            with self._lock:
                self._failed[job.config] = f"{type(error).__name__}: {error}"
                while len(self._failed) > self.max_results:
                    self._failed.popitem(last=False)
                if self._jobs.get(job.config) is job:
                    del self._jobs[job.config]
                job.state = "done"
            return
        with self._lock:
            job.latest = result
            if result.status in ("finished", "diverged"):
                self._results[job.config] = result
                while len(self._results) > self.max_results:
                    self._results.popitem(last=False)
            if self._jobs.get(job.config) is job:
                del self._jobs[job.config]
            job.state = "done"


def _workers() -> int:
    try:
        return max(1, int(os.environ.get("NORMAPP_LAB_WORKERS", "1")))
    except ValueError:
        return 1


# NORMAPP_LAB_PROCESSES=0 trains on the server's own threads instead: only for
# benchmarks/bench_lab.py, which measures what the separate process saves the other pages.
REGISTRY = RunRegistry(
    workers=_workers(),
    processes=os.environ.get("NORMAPP_LAB_PROCESSES", "1") != "0",
    # live_views.session_alive, set there: this module does not import Streamlit.
)
# Before concurrent.futures joins the training processes at exit (its hook was registered on
# import, above; these hooks run last registered first): stop what they train.
if REGISTRY._processes is not None and hasattr(threading, "_register_atexit"):
    threading._register_atexit(REGISTRY._processes.stop_all)
