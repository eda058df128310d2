"""The Training lab's Streamlit views of its runs: the table, the curves, BatchNorm2d's
statistics and what normalization buys (pages/lab.py draws them in its live fragment).

Every number shown comes from the RunResults handed in; the sentences from
normapp/lab/summary.py.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from normapp import figures, ui
from normapp.lab import controls, summary, training

CHART = figures.CHART_CONFIG


def draw_table(shown: dict, labels: dict, stopped: dict) -> None:
    """One row per run: how far it got and how well it does on the held-out images."""

    def percent(values, index=-1) -> str:
        return "—" if values is None or not values.size else f"{100 * values[index]:.1f}%"

    # The results first: on a phone the columns after the second scroll out of view.
    columns = ["normalization", "held-out (eval mode)", "held-out (train mode)", "status"]
    columns += ["steps", "learning rate", "last loss", "seconds"]
    rows: dict[str, list[str]] = {column: [] for column in columns}
    for config, result in shown.items():
        done = result.steps_done
        rows["normalization"].append(labels[config])
        rows["status"].append(result.status if config not in stopped else "stopped")
        rows["steps"].append(f"{done} of {config.steps}")
        rows["learning rate"].append(f"{config.learning_rate:g}")
        rows["held-out (eval mode)"].append(percent(result.test_accuracy))
        rows["held-out (train mode)"].append(percent(result.test_accuracy_train_mode))
        last = result.loss[max(0, done - 10) : done]
        rows["last loss"].append(f"{np.mean(last):.3f}" if last.size else "—")
        rows["seconds"].append(f"{result.seconds:.1f}")
    st.dataframe(ui.table(rows), hide_index=True)


def run_curves(shown: dict, labels: dict) -> tuple[list, list, list]:
    """Each run's training loss, training accuracy and held-out accuracy (BatchNorm2d's also
    in train mode, dashed) as curves against the step."""
    loss_curves, train_curves, accuracy_curves = [], [], []
    for config, result in shown.items():
        steps = np.arange(1, result.steps_done + 1)
        label = labels[config]
        loss_curves.append(figures.Curve(label, config.norm, steps, result.loss[: steps.size]))
        train_curves.append(
            figures.Curve(label, config.norm, steps, result.train_accuracy[: steps.size])
        )
        if result.eval_steps.size:
            accuracy_curves.append(
                figures.Curve(label, config.norm, result.eval_steps, result.test_accuracy)
            )
        if result.test_accuracy_train_mode is not None and result.eval_steps.size:
            accuracy_curves.append(
                figures.Curve(
                    f"{label}, train mode",
                    config.norm,
                    result.eval_steps,
                    result.test_accuracy_train_mode,
                    dashed=True,
                )
            )
    return loss_curves, train_curves, accuracy_curves


def draw_curves(shown: dict, labels: dict, run_steps: int, held_out: int) -> None:
    """Training loss, training accuracy and held-out accuracy of the runs, against the step."""
    loss_curves, train_curves, accuracy_curves = run_curves(shown, labels)
    smooth = max(1, run_steps // 20)
    loss_col, train_col = st.columns(2)
    loss_col.plotly_chart(
        figures.steps_figure(
            loss_curves, title="Training loss", y_title="cross-entropy", smooth=smooth
        ),
        config=CHART,
        key="lab:loss",
    )
    train_col.plotly_chart(
        figures.steps_figure(
            train_curves,
            title=f"Training accuracy (last {smooth} batches)",
            y_title="accuracy",
            smooth=smooth,
            raw=False,
            percent=True,
        ),
        config=CHART,
        key="lab:train_accuracy",
    )
    st.plotly_chart(
        figures.steps_figure(
            accuracy_curves,
            # Two lines: on one, a 390-px phone cut it at "(dashed: Batch".
            title="Held-out accuracy, eval mode<br>dashed: BatchNorm2d in train mode",
            y_title="accuracy",
            percent=True,
            markers=True,
        ),
        config=CHART,
        key="lab:accuracy",
    )
    st.caption(
        f"Held-out accuracy is measured at {len(training.eval_schedule(run_steps))} points on "
        f"the first {training.EVAL_SUBSET} held-out images, and at the end on all "
        f"{held_out:,}. Eval mode is how a network "
        "is deployed: BatchNorm2d then uses its running statistics. Train mode pushes the "
        "held-out images through in batches of the training batch size, with each batch's "
        "own statistics."
    )


def draw_batchnorm(shown: dict) -> None:
    """BatchNorm2d's batch statistics around its running ones, and its train/eval gap."""
    bn = next((r for c, r in shown.items() if c.norm == "batchnorm"), None)
    if bn is None or bn.batch_mean is None or bn.steps_done == 0:
        return
    st.subheader("BatchNorm2d's statistics at this batch size")
    done = bn.steps_done
    st.plotly_chart(
        figures.batch_statistics_figure(
            bn.batch_mean[:done],
            bn.running_mean[:done],
            bn.batch_var[:done],
            bn.running_var[:done],
            batch_size=bn.config.batch_size,
        ),
        config=CHART,
        key="lab:bnstats",
    )
    st.markdown(
        "Each dot is one training batch's mean (left) or variance (right) of channel 0 in the "
        "first BatchNorm layer; the line is `running_mean` / `running_var`, what eval mode "
        "uses. "
        + summary.batch_mean_spread_words(
            bn.batch_mean[done // 2 : done], bn.batch_mean_fixed, bn.config.batch_size
        )
    )
    if bn.test_accuracy_train_mode is not None and bn.eval_steps.size:
        st.markdown(
            summary.train_eval_gap_words(
                float(bn.test_accuracy[-1]),
                float(bn.test_accuracy_train_mode[-1]),
                bn.config.batch_size,
            )
        )


def draw_helps(
    shown: dict, configs: list, labels: dict, stopped: dict, learning_rate: float
) -> None:
    """With no normalization among the runs, once every run has ended: what the others buy."""
    ended = {c: r for c, r in shown.items() if r.status in ("finished", "diverged")}
    if len(ended) < len(configs) or any(c in stopped for c in configs):
        return
    outcomes = {
        labels[c]: (float(1 - r.test_accuracy[-1]), None)
        if r.status == "finished"
        else (None, r.diverged_at)
        for c, r in ended.items()
    }
    words = summary.normalization_helps_words(outcomes, controls.norm_label("none"), learning_rate)
    if words:
        st.markdown(words)
