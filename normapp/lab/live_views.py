"""The Training lab's live panel: this view's runs asked of the registry, their progress, Stop
and Train again, and their results so far (pages/lab.py runs draw_live as a fragment that
redraws each second while a run is pending)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from normapp.lab import controls, runs
from normapp.lab import views as lab_views
from normapp.links.literal import literal


def session_alive(watcher: str) -> bool:
    """Whether `watcher`, a Streamlit session id, still has the app open (its websocket is
    connected). Outside a server (AppTest, scripts) every watcher counts as watching."""
    return not Runtime.exists() or Runtime.instance().is_active_session(watcher)


REGISTRY = runs.REGISTRY
REGISTRY.watching = session_alive  # runs nobody has open are dropped (runs.RunRegistry)


@dataclass(frozen=True)
class LiveRuns:
    """This view's runs and what the live panel needs to draw them."""

    configs: list  # the runs at the chosen batch size, one per normalization
    watched: list  # those and, during "Train every batch size", the sweep's runs
    stopped: dict  # runs this session stopped, with their partial results
    busy: runs.Busy | None  # the registry's refusal, if it refused
    labels: dict  # each config's name on the page
    run_steps: int
    run_lr: float


def watcher_id() -> str:
    """This session's name in the registry: its Streamlit session id on a server, so the
    registry can tell when the tab is closed (session_alive); elsewhere a random id."""
    ctx = get_script_run_ctx()
    if Runtime.exists() and ctx is not None:
        return ctx.session_id
    return uuid.uuid4().hex


def request_runs(values: dict, norms: list[str], watcher: str) -> LiveRuns:
    """Ask the registry for this view's runs (those not stopped); it may refuse when busy."""
    configs = controls.configs_at(values, norms, values["tbatch"])
    sweep = (
        [c for b in controls.BATCH_SIZES for c in controls.configs_at(values, norms, b)]
        if st.session_state.get("lab:sweep") == controls.sweep_key(values, norms)
        else []
    )
    stopped: dict = st.session_state.setdefault("lab:stopped", {})
    watched = list(dict.fromkeys([*configs, *sweep]))  # this view's runs, each once
    busy: runs.Busy | None = None
    try:
        REGISTRY.request([c for c in watched if c not in stopped], watcher)
    except runs.Busy as refused:
        busy = refused
    labels = {c: controls.norm_label(c.norm, c.groups, c.axes) for c in configs}
    return LiveRuns(
        configs, watched, stopped, busy, labels, configs[0].steps, configs[0].learning_rate
    )


def stop_training(live: LiveRuns, watcher: str) -> None:
    for view in REGISTRY.views(live.watched):
        if view.state in ("running", "queued"):
            live.stopped[view.config] = view.result
    REGISTRY.stop(live.watched, watcher)
    st.session_state.pop("lab:sweep", None)


def train_again(live: LiveRuns) -> None:
    for config in live.configs:
        live.stopped.pop(config, None)


def progress_rows(live: LiveRuns, views: list) -> None:
    for view in views:
        label = live.labels.get(view.config, controls.norm_label(view.config.norm))
        where = f"{label}, batch {view.config.batch_size}"
        if view.state == "queued":
            st.progress(0.0, text=f"{where}: waiting, {view.ahead} run(s) ahead")
        elif view.state == "running":
            done = view.result.steps_done if view.result is not None else 0
            st.progress(
                done / view.config.steps, text=f"{where}: step {done} of {view.config.steps}"
            )


def pending_views(live: LiveRuns, views: list) -> list:
    """The runs still queued or training that this session has not stopped."""
    return [v for v in views if v.state in ("queued", "running") and v.config not in live.stopped]


def results_now(live: LiveRuns, views: list) -> dict:
    """Each config's result to draw: finished, diverged, partial (training) or stopped."""
    shown = {}
    for view in views:
        if view.config not in live.configs:  # another batch size of the sweep: the summary's
            continue
        if view.config in live.stopped and view.state not in ("finished", "diverged"):
            if live.stopped[view.config] is not None:
                shown[view.config] = live.stopped[view.config]
        elif view.result is not None:
            shown[view.config] = view.result
    return shown


def draw_messages(live: LiveRuns, shown: dict) -> None:
    for config in live.configs:
        label, result = live.labels[config], shown.get(config)
        if result is not None and result.status == "diverged":
            st.error(
                f"{label} diverged at step {result.diverged_at}: the loss was no longer a "
                f"finite number, so training stopped there. Try a smaller learning rate than "
                f"{config.learning_rate:g}."
            )
        elif config in live.stopped and (result is None or result.status != "finished"):
            where = f"at step {result.steps_done}" if result is not None else "before step 10"
            st.warning(f"{label} was stopped {where} of {config.steps}; its curves end there.")


def busy_message(busy: runs.Busy) -> None:
    if busy.mine:
        st.warning(
            f"You already have {busy.pending} runs waiting or training (at most "
            f"{busy.cap} per visitor), so these {busy.asked} were not started. Press Stop, "
            "or wait for them to finish."
        )
    else:
        st.warning(
            f"The server is busy: {busy.pending} runs are waiting or training for other "
            f"learners (at most {busy.cap} at once), so yours were not started. Finished "
            "runs are kept and shown at once; try again in a moment."
        )
    st.button("Try again", key="lab:retry")


def draw_live(live: LiveRuns, watcher: str, held_out: int) -> None:
    """The runs' progress, Stop or Train again, and their results so far; redrawn each second
    while any run is pending (a fragment), then the whole page once, for the summary."""
    views = REGISTRY.views(live.watched)
    if live.busy is not None:
        busy_message(live.busy)
    pending = pending_views(live, views)
    for view in views:
        if view.state == "failed":
            st.error(
                f"The run for {live.labels.get(view.config, view.config.norm)} failed: "
                f"{literal(view.error)}"
            )
    if pending:
        progress_rows(live, pending)
        st.button(
            "Stop training",
            key="lab:stop",
            on_click=stop_training,
            args=(live, watcher),
            type="primary",
        )
    elif any(c in live.stopped for c in live.configs):
        st.button("Train again", key="lab:again", on_click=train_again, args=(live,))
    shown = results_now(live, views)
    draw_messages(live, shown)
    if shown:
        lab_views.draw_table(shown, live.labels, live.stopped)
        lab_views.draw_helps(shown, live.configs, live.labels, live.stopped, live.run_lr)
        lab_views.draw_curves(shown, live.labels, live.run_steps, held_out)
        lab_views.draw_batchnorm(shown)
    if st.session_state.get("lab:pending") and not pending:
        st.session_state["lab:pending"] = False
        st.rerun()  # the whole page, so the summary below has the new runs
    st.session_state["lab:pending"] = bool(pending)
