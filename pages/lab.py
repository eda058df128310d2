"""Training lab: a tiny CNN trained live with each normalization, to see why it matters."""

import numpy as np
import streamlit as st

from normapp import figures, ui
from normapp.lab import controls, gallery, live_views, network, precomputed, runs, summary
from normapp.lab.task import make_task
from normapp.links import bound, widgets
from normapp.links.literal import literal

CHART = figures.CHART_CONFIG
TABLE = controls.TABLE
DEFAULTS = TABLE.defaults()
REGISTRY = runs.REGISTRY
# The default summary's runs, made ahead of time: a class opening the lab does not wait.
REGISTRY.preload(precomputed.default_runs())


def introduction() -> None:
    st.title("Training lab")
    st.markdown(
        "Every other page shows what a normalization layer **computes**. Here you see what it "
        "does to **learning**: a tiny CNN is trained live, in this app's own NumPy, once per "
        "normalization you choose, on a small image task made for the purpose. Shrink the batch "
        "and see whether BatchNorm2d's held-out error climbs while GroupNorm's stays flat, as in "
        "Figure 1 of the GroupNorm paper (Wu & He, 2018): the summary at the foot of the page "
        "says what your runs show."
    )


def use_preset(name: str) -> None:
    preset = controls.PRESETS[name]
    st.session_state.update(
        {
            "norms": list(preset.norms),
            "tbatch": preset.batch,
            "lr": preset.lr,
            "tsteps": preset.steps,
            "match": preset.match,
        }
    )


def preset_buttons() -> None:
    preset_cols = st.columns(len(controls.PRESETS))
    for column, (name, preset) in zip(preset_cols, controls.PRESETS.items(), strict=True):
        column.button(
            f"Preset: {preset.title}",
            key=f"lab:preset_{name}",
            on_click=use_preset,
            args=(name,),
            help=f"{', '.join(controls.norm_label(n) for n in preset.norms)} at batch "
            f"{preset.batch}, learning rate {preset.lr:g}, {preset.steps} steps.",
        )


def task_and_network(task) -> None:
    with st.expander("The task and the network", expanded=False):
        st.markdown(
            f"**Task:** {len(task.class_names)} classes of 16×16 RGB images "
            f"({', '.join(task.class_names)}), {task.train_labels.size:,} for training and "
            f"{task.test_labels.size:,} held out. Every image gets its own random brightness, "
            "contrast, colour cast and noise, which say nothing about its class. One row per "
            "class, each image in one fixed brightness window:"
        )
        st.image(
            gallery.class_sheet(task.train_images, task.train_labels, len(task.class_names)),
            caption=" · ".join(f"row {i + 1}: {name}" for i, name in enumerate(task.class_names)),
        )
        st.markdown(summary.which_norm_removes_what(task.train_images[:32]))
        st.markdown(
            summary.network_words(network.WIDTH, network.STRIDES, task.train_images.shape[-1])
        )


def norm_choice() -> list[str]:
    """The normalizations to train, in the lab's order."""
    widgets.draw(TABLE["norms"])
    return [k for k in controls.NORM_KEYS if k in st.session_state["norms"]]


def training_controls(norms: list[str]) -> None:
    """Batch, learning rate, steps, seed; G and the custom axes when their norm is chosen."""
    by_images = st.session_state.get("match", TABLE["match"].param.default) == "images"
    at_reference = f" at batch {controls.REFERENCE_BATCH}" if by_images else ""
    batch_col, lr_col, steps_col, seed_col = st.columns([3, 3, 3, 1.4])
    widgets.draw(TABLE["tbatch"], batch_col)
    widgets.draw(TABLE["lr"], lr_col, label=f"Learning rate{at_reference}")
    widgets.draw(TABLE["tsteps"], steps_col, label=f"Training steps{at_reference}")
    widgets.draw(TABLE["tseed"], seed_col)
    if "groupnorm" in norms or "custom" in norms:
        groups_col, axes_col = st.columns(2)
    if "groupnorm" in norms:
        widgets.draw(
            TABLE["gn_groups"],
            groups_col,
            help=f"{network.WIDTH} channels in G groups. G = 1 has LayerNorm's statistics, "
            f"G = {network.WIDTH} InstanceNorm's.",
        )
    if "custom" in norms:
        custom_axes_input(axes_col)
    widgets.draw(TABLE["match"], horizontal=True)


def custom_axes_input(axes_col) -> None:
    """The custom norm's axes as typed; a bad entry is named and the last good one kept."""
    typed = widgets.draw(TABLE["custom_axes"], axes_col, max_chars=8)
    axes, refusal = widgets.last_good(TABLE["custom_axes"], typed)
    if refusal:
        axes_col.error(
            f"Custom axes {literal(typed)} cannot be used: {literal(refusal)}. Keeping {axes}."
        )


def current_values(norms: list[str]) -> dict:
    """The lab's settings, by their names in the URL (the custom axes: the last good ones)."""
    values = {name: st.session_state.get(name, default) for name, default in DEFAULTS.items()}
    values["norms"] = tuple(norms) or TABLE["norms"].param.default
    values["custom_axes"] = widgets.last_good(TABLE["custom_axes"])[0]
    return values


def run_caption(values: dict, configs: list) -> None:
    """How many steps, at which learning rate, and how many images each run takes."""
    run_steps, run_lr = configs[0].steps, configs[0].learning_rate
    images = run_steps * values["tbatch"]
    if values["match"] == "images" and values["tbatch"] != controls.REFERENCE_BATCH:
        st.caption(
            f"At batch {values['tbatch']} each run takes **{run_steps:,} steps at learning rate "
            f"{run_lr:g}**: the same {images:,} images as {values['tsteps']} steps at batch "
            f"{controls.REFERENCE_BATCH}, with the learning rate scaled by "
            f"{values['tbatch']}/{controls.REFERENCE_BATCH}."
        )
    else:
        st.caption(
            f"Each run takes {run_steps:,} steps of {values['tbatch']} images: {images:,} in all."
        )


def error_curves_by_batch(values: dict, norms: list[str]) -> tuple[list, dict, int]:
    """From the finished runs: each norm's held-out error against batch size (BatchNorm2d's
    also with each held-out batch's own statistics, dashed), the same as numbers, and how
    many runs of the sweep over batch sizes are not finished yet."""
    by_batch = {b: controls.configs_at(values, norms, b) for b in controls.BATCH_SIZES}
    finished = REGISTRY.finished([c for group in by_batch.values() for c in group])
    error_curves = []
    errors: dict[str, dict[int, float]] = {}
    for index, norm in enumerate(norms):
        label = controls.norm_label(norm, values["gn_groups"], values["custom_axes"])
        points = {
            b: finished[group[index]]
            for b, group in by_batch.items()
            if group[index] in finished and finished[group[index]].status == "finished"
        }
        if not points:
            continue
        batches = np.array(sorted(points))
        eval_error = np.array([1.0 - points[b].test_accuracy[-1] for b in batches])
        errors[label] = dict(zip(batches.tolist(), eval_error.tolist(), strict=True))
        error_curves.append(figures.Curve(label, norm, batches, eval_error))
        if norm == "batchnorm":
            train_mode = np.array([1.0 - points[b].test_accuracy_train_mode[-1] for b in batches])
            error_curves.append(
                figures.Curve(f"{label}, train mode", norm, batches, train_mode, dashed=True)
            )
    missing = sum(1 for group in by_batch.values() for c in group if c not in finished)
    return error_curves, errors, missing


def error_by_batch(values: dict, norms: list[str], held_out: int) -> None:
    """The summary: held-out error against batch size, from the runs made so far."""
    st.subheader("Held-out error by batch size")
    error_curves, errors, missing = error_curves_by_batch(values, norms)
    if missing:
        key = controls.sweep_key(values, norms)
        st.button(
            f"Train every batch size ({missing} more runs)",
            key="lab:sweep_button",
            on_click=lambda: st.session_state.update({"lab:sweep": key}),
            help="The same settings at batch sizes 2, 4, 8, 16 and 32; runs already made are "
            "reused.",
        )
    if not error_curves:
        st.caption("Finished runs appear here, one point per batch size.")
        return
    st.plotly_chart(
        figures.error_by_batch_figure(error_curves, note=error_by_batch_note(values, held_out)),
        config=CHART,
        key="lab:by_batch",
    )
    if "batchnorm" in norms:
        groupnorm_label = (
            controls.norm_label("groupnorm", values["gn_groups"]) if "groupnorm" in norms else None
        )
        for line in summary.error_by_batch_words(errors, "BatchNorm2d", groupnorm_label):
            st.markdown(line)


def error_by_batch_note(values: dict, held_out: int) -> str:
    return (
        (
            f"Every batch size saw the same {values['tsteps'] * controls.REFERENCE_BATCH:,} "
            f"images (learning rate {values['lr']:g} at batch 32, proportional to the batch)"
            if values["match"] == "images"
            else f"{values['tsteps']} steps at every batch size, learning rate {values['lr']:g}"
        )
        + f", seed {values['tseed']}; error in eval mode on the "
        f"{held_out:,} held-out images; dashed: BatchNorm2d with each held-out "
        "batch's own statistics."
    )


def sources() -> None:
    with st.expander("Why BatchNorm suffers at small batches (sources)"):
        st.markdown(
            "- **Noisy statistics.** BatchNorm2d normalizes each channel with the mean and "
            "variance of the current batch (over N, H, W). They are estimates of the statistics "
            "of all the data, and the fewer images in the batch, the more they swing from one "
            "step to the next (the dots above). Ioffe & Szegedy, *Batch Normalization*, ICML "
            "2015, §3; Wu & He, *Group Normalization*, ECCV 2018, §1 and Figure 1.\n"
            "- **Train/eval mismatch.** In eval mode BatchNorm2d uses `running_mean` and "
            "`running_var`, averages of those batch statistics. A network trained on noisy "
            "per-batch statistics then meets different ones at test time, and its accuracy "
            "differs from what training saw. Ioffe, *Batch Renormalization*, NeurIPS 2017, §1–2.\n"
            "- **Per-sample methods do not depend on the batch.** LayerNorm (over C, H, W), "
            "InstanceNorm2d (over H, W) and GroupNorm (over groups of channels and H, W) take "
            "their statistics inside one sample, so they compute the same thing in training and "
            "evaluation, at any batch size. Ba, Kiros & Hinton, *Layer Normalization*, 2016; "
            "Ulyanov, Vedaldi & Lempitsky, *Instance Normalization*, 2016; Wu & He, 2018, §3."
        )


ui.current_input("lab")  # the lab trains on its own task; this keeps the URL and sidebar right
watcher = st.session_state.setdefault("lab:watcher", live_views.watcher_id())
raw = bound.translate_bound(TABLE.bound)
notices = st.container()
introduction()
preset_buttons()
task = make_task()
task_and_network(task)

# --- Controls, every one in the URL.
norms = norm_choice()
training_controls(norms)
values = current_values(norms)
bound.check_table(raw, TABLE, values, hidden=controls.hidden_controls(norms))
with notices:
    bound.show_messages()
if not norms:
    st.info("Choose at least one normalization above.")
    st.stop()

# --- This view's runs, live, then the summary over batch sizes.
live = live_views.request_runs(values, norms, watcher)
run_caption(values, live.configs)
has_pending = bool(live_views.pending_views(live, REGISTRY.views(live.watched)))
st.session_state["lab:pending"] = has_pending
st.fragment(live_views.draw_live, run_every=1.0 if has_pending else None)(
    live, watcher, task.test_labels.size
)
error_by_batch(values, norms, task.test_labels.size)
sources()
