"""The Training lab's shared runs (normapp/lab/runs.py): deduplicated, cached, bounded, stoppable.

`train` is replaced by a fake whose every run waits for the test's go-ahead, so what runs when
is decided here and the expected counts follow from the test's own actions.
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from normapp.lab import processes, runs
from normapp.lab.training import RunConfig


class FakeTrain:
    """Counts calls; each run blocks until `release(config)` or until it is told to stop."""

    def __init__(self, fail: set | None = None) -> None:
        self.calls: list[RunConfig] = []
        self.go: dict[RunConfig, threading.Event] = {}
        self.started = threading.Semaphore(0)
        self.fail = fail or set()
        self.lock = threading.Lock()

    def gate(self, config: RunConfig) -> threading.Event:
        with self.lock:
            return self.go.setdefault(config, threading.Event())

    def release(self, config: RunConfig) -> None:
        self.gate(config).set()

    def __call__(self, config, *, on_step=None, should_stop=None):
        self.calls.append(config)
        self.started.release()
        if config in self.fail:
            raise ValueError("the fake run failed")
        gate = self.gate(config)
        on_step(SimpleNamespace(status="running", steps_done=1, config=config))
        while not gate.wait(0.01):
            on_step(SimpleNamespace(status="running", steps_done=1, config=config))
            if should_stop():
                return SimpleNamespace(status="stopped", steps_done=1, config=config)
        return SimpleNamespace(status="finished", steps_done=config.steps, config=config)


def config(norm="batchnorm", batch=32) -> RunConfig:
    return RunConfig(norm=norm, batch_size=batch, steps=50)


@pytest.fixture
def fake(monkeypatch):
    fake = FakeTrain()
    monkeypatch.setattr(runs, "train", fake)
    return fake


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")


def test_the_same_run_asked_twice_trains_once_and_is_then_cached(fake):
    registry = runs.RunRegistry(processes=False, workers=1)
    bn = config()
    registry.request([bn], "student-a")
    registry.request([bn], "student-b")
    assert fake.started.acquire(timeout=5)
    wait_for(lambda: registry.view(bn).state == "running")
    fake.release(bn)
    wait_for(lambda: registry.view(bn).state == "finished")
    registry.request([bn], "student-c")  # a class opening the lecturer's link
    assert registry.view(bn).state == "finished"
    assert fake.calls == [bn]
    assert registry.finished([bn, config("groupnorm")]).keys() == {bn}


def test_preloaded_runs_are_finished_at_once_and_never_trained(fake):
    """Runs made ahead of time (the default summary's) are served as finished ones."""
    registry = runs.RunRegistry(processes=False, workers=1)
    made = config(batch=2)
    result = SimpleNamespace(status="finished", steps_done=made.steps, config=made)
    registry.preload({made: result})
    registry.request([made], "student")
    assert registry.view(made).state == "finished" and registry.view(made).result is result
    assert registry.finished([made]) == {made: result}
    registry.preload({made: SimpleNamespace(status="finished")})  # a second preload: kept
    assert registry.view(made).result is result
    assert fake.calls == []


def test_a_queued_run_says_how_many_are_ahead(fake):
    registry = runs.RunRegistry(processes=False, workers=1)
    first, second, third = config(batch=2), config(batch=4), config(batch=8)
    registry.request([first, second, third], "lecturer")
    wait_for(lambda: registry.view(first).state == "running")
    assert registry.view(second).state == "queued" and registry.view(second).ahead == 1
    assert registry.view(third).state == "queued" and registry.view(third).ahead == 2
    for c in (first, second, third):
        fake.release(c)
    wait_for(lambda: registry.view(third).state == "finished")
    assert fake.calls == [first, second, third]


def test_past_the_server_cap_a_request_is_refused_whole(fake):
    registry = runs.RunRegistry(processes=False, workers=1, max_pending=3)
    registry.request([config(batch=2), config(batch=4)], "a")
    with pytest.raises(runs.Busy) as refused:
        registry.request([config(batch=8), config(batch=16)], "b")
    assert (refused.value.pending, refused.value.asked, refused.value.cap) == (2, 2, 3)
    assert not refused.value.mine
    assert registry.view(config(batch=8)).state == "absent"  # none of them started
    registry.request([config(batch=2)], "b")  # joining a pending run adds no work: allowed
    for batch in (2, 4):
        fake.release(config(batch=batch))
    wait_for(lambda: registry.pending() == 0)


def test_one_visitor_cannot_queue_more_than_its_share(fake):
    registry = runs.RunRegistry(processes=False, workers=1, max_pending=40, max_per_watcher=2)
    registry.request([config(batch=2), config(batch=4)], "a")
    with pytest.raises(runs.Busy) as refused:
        registry.request([config(batch=8)], "a")
    assert refused.value.mine and refused.value.cap == 2
    registry.request([config(batch=8)], "b")  # another visitor still can
    for batch in (2, 4, 8):
        fake.release(config(batch=batch))
    wait_for(lambda: registry.pending() == 0)


def test_a_run_stops_only_when_everyone_watching_it_has_stopped(fake):
    registry = runs.RunRegistry(processes=False, workers=1)
    bn = config()
    registry.request([bn], "lecturer")
    registry.request([bn], "student")
    wait_for(lambda: registry.view(bn).state == "running")
    registry.stop([bn], "student")
    time.sleep(0.1)
    assert registry.view(bn).state == "running"  # the lecturer still watches
    registry.stop([bn], "lecturer")
    wait_for(lambda: registry.view(bn).state == "absent")
    assert registry.finished([bn]) == {}  # a stopped run is not kept as if finished
    registry.request([bn], "lecturer")  # asking again trains it again
    fake.release(bn)
    wait_for(lambda: registry.view(bn).state == "finished")
    assert fake.calls == [bn, bn]


class Room:
    """The sessions that have the app open, as the server's runtime would report them."""

    def __init__(self, *open_: str) -> None:
        self.open = set(open_)
        self.seen_closed: set[str] = set()  # watchers the registry has found closed

    def __call__(self, watcher: str) -> bool:
        if watcher not in self.open:
            self.seen_closed.add(watcher)
        return watcher in self.open


class Clock:
    """time.monotonic as the test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def clocked_registry(monkeypatch, *open_: str):
    """A registry that sees the sessions `open_` open, on a clock the test moves."""
    clock = Clock()
    monkeypatch.setattr(runs.time, "monotonic", clock)
    room = Room(*open_)
    return clock, room, runs.RunRegistry(processes=False, workers=1, watching=room)


def test_runs_whose_every_watcher_left_are_dropped_or_stopped(fake):
    """A learner who queues runs and closes the tab leaves no work behind: the queued run
    never trains, the running one stops at its next report; a run someone still has open
    goes on, and the learner who comes back starts it afresh."""
    room = Room("leaver", "stayer")
    registry = runs.RunRegistry(processes=False, workers=1, watching=room, left_after_s=0)
    running, queued, shared = config(batch=2), config(batch=4), config(batch=8)
    registry.request([running, queued], "leaver")
    registry.request([shared], "leaver")
    registry.request([shared], "stayer")
    wait_for(lambda: registry.view(running).state == "running")
    room.open.discard("leaver")
    registry.request([], "stayer")  # any request looks for runs nobody watches
    assert registry.view(queued).state == "absent"
    assert registry.view(shared).state == "queued"
    wait_for(lambda: registry.view(running).state == "absent")  # stopped at its next report
    assert registry.finished([running, queued]) == {}
    fake.release(shared)
    wait_for(lambda: registry.view(shared).state == "finished")
    assert fake.calls == [running, shared]  # the queued run never trained
    room.open.add("leaver")  # back: asking again starts the run afresh
    registry.request([running], "leaver")
    fake.release(running)
    wait_for(lambda: registry.view(running).state == "finished")
    assert fake.calls == [running, shared, running]


def test_a_run_survives_a_reload_or_a_moment_offline(fake, monkeypatch):
    """Closed for less than LEFT_AFTER_S the runs are kept: a reload's new session joins the
    running run, and a phone back online finds its queued one; closed for longer, dropped."""
    clock, room, registry = clocked_registry(monkeypatch, "tab", "phone")
    running, queued = config(batch=2), config(batch=4)
    registry.request([running], "tab")
    registry.request([queued], "phone")
    wait_for(lambda: registry.view(running).state == "running")
    room.open -= {"tab", "phone"}  # the tab reloads; the phone loses the network
    registry.request([], "someone")  # the registry looks: both just left
    clock.now += runs.LEFT_AFTER_S - 1
    room.open.add("reloaded tab")
    registry.request([running], "reloaded tab")  # the reload asks for the same run
    registry.request([], "someone")
    assert registry.view(running).state == "running" and registry.view(queued).state == "queued"
    room.open.add("phone")  # back online before its time was up
    clock.now += 2  # the old tab's time is up, but the reload watches its run
    registry.request([], "someone")
    assert registry.view(running).state == "running" and registry.view(queued).state == "queued"
    room.open.discard("phone")  # gone for good this time
    registry.request([], "someone")
    clock.now += runs.LEFT_AFTER_S
    registry.request([], "someone")
    assert registry.view(queued).state == "absent"
    fake.release(running)
    wait_for(lambda: registry.view(running).state == "finished")
    assert fake.calls == [running]  # trained once, through the reload


def test_a_training_run_s_reports_find_closed_tabs_without_a_request(fake, monkeypatch):
    """Nobody asks for anything, one run trains: its progress reports notice the closed tab
    of a learner whose run waits, and drop that run once the wait is over."""
    clock, room, registry = clocked_registry(monkeypatch, "trainer", "leaver")
    training, waiting = config(batch=2), config(batch=4)
    registry.request([training], "trainer")
    wait_for(lambda: registry.view(training).state == "running")
    registry.request([waiting], "leaver")
    room.open.discard("leaver")
    wait_for(lambda: "leaver" in room.seen_closed)  # a report saw the tab closed
    clock.now += runs.LEFT_AFTER_S
    wait_for(lambda: registry.view(waiting).state == "absent")  # a later report dropped it
    fake.release(training)
    wait_for(lambda: registry.view(training).state == "finished")
    assert fake.calls == [training]


def test_a_run_stopped_while_training_is_not_joined_but_started_again(fake):
    """Train again right after Stop: the run still winding down is not reused."""
    registry = runs.RunRegistry(processes=False, workers=1)
    bn = config()
    registry.request([bn], "a")
    wait_for(lambda: registry.view(bn).state == "running")
    registry.stop([bn], "a")
    registry.request([bn], "a")  # before the worker has seen the stop
    fake.release(bn)
    wait_for(lambda: registry.view(bn).state == "finished")
    assert fake.calls == [bn, bn]


def test_a_run_that_raises_is_reported_and_not_retried(monkeypatch):
    broken = config("groupnorm")
    fake = FakeTrain(fail={broken})
    monkeypatch.setattr(runs, "train", fake)
    registry = runs.RunRegistry(processes=False, workers=1)
    registry.request([broken], "a")
    wait_for(lambda: registry.view(broken).state == "failed")
    assert registry.view(broken).error == "ValueError: the fake run failed"
    assert registry.pending() == 0  # a failure holds no place in the queue
    registry.request([broken], "b")
    time.sleep(0.05)
    assert fake.calls == [broken]


def test_the_cache_keeps_the_most_recently_used_runs(fake):
    registry = runs.RunRegistry(processes=False, workers=1, max_results=2)
    a, b, c = config(batch=2), config(batch=4), config(batch=8)
    for run in (a, b):
        registry.request([run], "x")
        fake.release(run)
        wait_for(lambda run=run: registry.view(run).state == "finished")
    registry.view(a)  # used: b is now the oldest
    registry.request([c], "x")
    fake.release(c)
    wait_for(lambda: registry.view(c).state == "finished")
    assert set(registry.finished([a, b, c])) == {a, c}


# ------------------------------------------------------------ real training processes
@pytest.mark.slow
def test_a_run_in_a_training_process_equals_the_same_run_here():
    registry = runs.RunRegistry(workers=1)
    small = RunConfig(norm="groupnorm", batch_size=4, steps=20, seed=3)
    registry.request([small], "a")
    wait_for(lambda: registry.view(small).state == "finished", timeout=120)
    there = registry.view(small).result
    import threadpoolctl

    # One BLAS thread, as the training process: with two, the wider network's products are
    # summed in another order and the losses differ in the last bits.
    with threadpoolctl.threadpool_limits(1, "blas"):
        here = runs.train(small)
    for name in ("loss", "train_accuracy", "eval_steps", "test_accuracy"):
        np.testing.assert_array_equal(getattr(there, name), getattr(here, name), err_msg=name)
    assert (there.status, there.steps_done) == ("finished", 20)


def test_a_training_process_reports_progress_and_stops_when_told():
    registry = runs.RunRegistry(workers=1)
    long = RunConfig(norm="batchnorm", batch_size=32, steps=800, seed=4)
    registry.request([long], "a")
    wait_for(
        lambda: (view := registry.view(long)).result is not None and view.result.steps_done >= 10,
        timeout=120,
    )
    assert registry.view(long).state == "running"
    assert registry.view(long).result.status == "running"  # a partial record, sent every 10 steps
    registry.stop([long], "a")
    wait_for(lambda: registry.view(long).state == "absent", timeout=60)
    assert registry.finished([long]) == {}


_KILLED_SERVER = """
import sys, time
from normapp.lab import processes, runs
from normapp.lab.training import RunConfig
registry = runs.RunRegistry(workers=1)
long = RunConfig("batchnorm", 32, steps=100000, seed=9)
registry.request([long], "a")
while registry.view(long).result is None:  # training: it has reported its first steps
    time.sleep(0.05)
print(*registry._processes._pool._processes, flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_a_training_process_ends_when_its_server_is_killed():
    """A server killed outright (no exit handlers run) must not leave its training process."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    server = subprocess.Popen(
        [sys.executable, "-c", _KILLED_SERVER], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        workers = [int(pid) for pid in server.stdout.readline().split()]
        assert workers, "the training process did not start"
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()

    def gone(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A child of this test's process group may linger as a zombie until reaped by init.
        with open(f"/proc/{pid}/status") as status:
            return "zombie" in status.read()

    wait_for(lambda: all(gone(pid) for pid in workers), timeout=10 * processes.ORPHAN_CHECK_S + 5)
