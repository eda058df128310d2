"""Training lab: a tiny CNN trained live with each normalization, to see why it matters."""

import uuid

import numpy as np
import streamlit as st

from normapp import figures, ui
from normapp.lab import controls, gallery, network, precomputed, runs, summary
from normapp.lab import views as lab_views
from normapp.lab.task import make_task
from normapp.links import bound
from normapp.links.literal import literal

CHART = figures.CHART_CONFIG
NORMS, BATCH, LEARNING_RATE, STEPS, SEED, GROUPS, AXES, MATCH = controls.LAB_PARAMS
KEYS = {
    "norms": "lab:norms",
    "batch": "lab:batch",
    "lr": "lab:lr",
    "steps": "lab:steps",
    "tseed": "lab:seed",
    "gn_groups": "lab:groups",
    "custom_axes": "lab:axes_typed",
    "match": "lab:match",
}
REGISTRY = runs.REGISTRY
# The default summary's runs, made ahead of time: a class opening the lab does not wait.
REGISTRY.preload(precomputed.default_runs())


ui.current_input("lab")  # the lab trains on its own task; this keeps the URL and sidebar right
watcher = st.session_state.setdefault("lab:watcher", uuid.uuid4().hex)
for param in controls.LAB_PARAMS:
    bound.follow_into(param, KEYS[param.name], list if param is NORMS else lambda value: value)
    default = param.default
    st.session_state.setdefault(KEYS[param.name], list(default) if param is NORMS else default)
st.session_state.setdefault("lab:axes", AXES.default)  # the custom axes last typed correctly
notices = st.container()

st.title("Training lab")
st.markdown(
    "Every other page shows what a normalization layer **computes**. Here you see what it "
    "does to **learning**: a tiny CNN is trained live, in this app's own NumPy, once per "
    "normalization you choose, on a small image task made for the purpose. Shrink the batch "
    "and see whether BatchNorm2d's held-out error climbs while GroupNorm's stays flat, as in "
    "Figure 1 of the GroupNorm paper (Wu & He, 2018): the summary at the foot of the page says "
    "what your runs show."
)


def use_preset(name: str) -> None:
    preset = controls.PRESETS[name]
    st.session_state.update(
        {
            "lab:norms": list(preset.norms),
            "lab:batch": preset.batch,
            "lab:lr": preset.lr,
            "lab:steps": preset.steps,
            "lab:match": preset.match,
        }
    )


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
task = make_task()
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
    st.markdown(summary.network_words(network.WIDTH, network.STRIDES, task.train_images.shape[-1]))

# --- Controls, every one in the URL.
st.pills(
    "Normalizations to train (several to compare)",
    list(controls.NORM_KEYS),
    selection_mode="multi",
    key="lab:norms",
    persist_state="session",
    format_func=lambda key: controls.norm_label(
        key, st.session_state["lab:groups"], st.session_state["lab:axes"]
    ),
)
norms = [k for k in controls.NORM_KEYS if k in st.session_state["lab:norms"]]
by_images = st.session_state["lab:match"] == "images"
at_reference = f" at batch {controls.REFERENCE_BATCH}" if by_images else ""
batch_col, lr_col, steps_col, seed_col = st.columns([3, 3, 3, 1.4])
batch_col.select_slider(
    "Batch size (images per step)",
    list(controls.BATCH_SIZES),
    key="lab:batch",
    persist_state="session",
)
lr_col.select_slider(
    f"Learning rate{at_reference}",
    list(controls.LEARNING_RATES),
    key="lab:lr",
    persist_state="session",
    help="SGD's step size. Too large and the loss can blow up: the run then stops and says so.",
)
steps_col.select_slider(
    f"Training steps{at_reference}",
    list(controls.STEP_CHOICES),
    key="lab:steps",
    persist_state="session",
)
seed_col.number_input(
    "Seed",
    0,
    controls.SEED_MAX,
    key="lab:seed",
    persist_state="session",
    help="Sets the starting weights and the order of the images.",
)
if "groupnorm" in norms or "custom" in norms:
    groups_col, axes_col = st.columns(2)
if "groupnorm" in norms:
    groups_col.selectbox(
        "GroupNorm's number of groups G",
        list(controls.GROUP_CHOICES),
        key="lab:groups",
        persist_state="session",
        help=f"{network.WIDTH} channels in G groups. G = 1 has LayerNorm's statistics, "
        f"G = {network.WIDTH} InstanceNorm's.",
    )
if "custom" in norms:
    typed_axes = axes_col.text_input(
        "Custom axes (letters of N, C, H, W)",
        key="lab:axes_typed",
        persist_state="session",
        max_chars=8,
        help="The axes one mean and variance are taken over, as in the Explorer: NHW is "
        "BatchNorm2d, CHW LayerNorm, HW InstanceNorm2d. With N among them the layer uses the "
        "batch's statistics in training and at evaluation alike (no running statistics).",
    )
    try:
        st.session_state["lab:axes"] = controls.parse_custom_axes(typed_axes)
    except ValueError as error:
        axes_col.error(
            f"Custom axes {literal(typed_axes)} cannot be used: {literal(error)}. "
            f"Keeping {st.session_state['lab:axes']}."
        )
st.radio(
    "Compare batch sizes with",
    list(controls.MATCHES),
    key="lab:match",
    persist_state="session",
    horizontal=True,
    format_func=controls.MATCHES.get,
    help="The same images: a batch of B takes 32/B times the steps, with the learning rate "
    "times B/32, so every batch size sees the same images (the GroupNorm paper trains every "
    "batch size for the same epochs with a learning rate proportional to the batch, after "
    "Goyal et al., 2017). The same steps: a small batch then sees fewer images.",
)
values = {
    "norms": tuple(norms) or NORMS.default,
    "batch": int(st.session_state["lab:batch"]),
    "lr": float(st.session_state["lab:lr"]),
    "steps": int(st.session_state["lab:steps"]),
    "tseed": int(st.session_state["lab:seed"]),
    "gn_groups": int(st.session_state["lab:groups"]),
    "custom_axes": st.session_state["lab:axes"],
    "match": st.session_state["lab:match"],
}
bound.write(values, controls.LAB_PARAMS)
with notices:
    bound.show_messages()
if not norms:
    st.info("Choose at least one normalization above.")
    st.stop()


def configs_at(batch: int) -> list:
    settings = (values[k] for k in ("lr", "steps", "tseed", "gn_groups", "custom_axes", "match"))
    return controls.run_configs(norms, batch, *settings)


configs = configs_at(values["batch"])
run_steps, run_lr = configs[0].steps, configs[0].learning_rate
images = run_steps * values["batch"]
if by_images and values["batch"] != controls.REFERENCE_BATCH:
    st.caption(
        f"At batch {values['batch']} each run takes **{run_steps:,} steps at learning rate "
        f"{run_lr:g}**: the same {images:,} images as {values['steps']} steps at batch "
        f"{controls.REFERENCE_BATCH}, with the learning rate scaled by "
        f"{values['batch']}/{controls.REFERENCE_BATCH}."
    )
else:
    st.caption(
        f"Each run takes {run_steps:,} steps of {values['batch']} images: {images:,} in all."
    )
# "Train every batch size" holds for these settings only: a change of any other one ends it.
sweep_key = (
    tuple(norms),
    *(values[k] for k in ("lr", "steps", "tseed", "gn_groups", "custom_axes", "match")),
)
sweep = (
    [c for b in controls.BATCH_SIZES for c in configs_at(b)]
    if st.session_state.get("lab:sweep") == sweep_key
    else []
)
stopped: dict = st.session_state.setdefault("lab:stopped", {})
watched = list(dict.fromkeys([*configs, *sweep]))  # this view's runs, each once
wanted = [c for c in watched if c not in stopped]
busy: runs.Busy | None = None
try:
    REGISTRY.request(wanted, watcher)
except runs.Busy as refused:
    busy = refused
labels = {c: controls.norm_label(c.norm, c.groups, c.axes) for c in configs}


def stop_training() -> None:
    for view in REGISTRY.views(watched):
        if view.state in ("running", "queued"):
            stopped[view.config] = view.result
    REGISTRY.stop(watched, watcher)
    st.session_state.pop("lab:sweep", None)


def train_again() -> None:
    for config in configs:
        stopped.pop(config, None)


def progress_rows(views: list) -> None:
    for view in views:
        label = labels.get(view.config, controls.norm_label(view.config.norm))
        where = f"{label}, batch {view.config.batch_size}"
        if view.state == "queued":
            st.progress(0.0, text=f"{where}: waiting, {view.ahead} run(s) ahead")
        elif view.state == "running":
            done = view.result.steps_done if view.result is not None else 0
            st.progress(
                done / view.config.steps, text=f"{where}: step {done} of {view.config.steps}"
            )


def pending_views(views: list) -> list:
    """The runs still queued or training that this session has not stopped."""
    return [v for v in views if v.state in ("queued", "running") and v.config not in stopped]


def results_now(views: list) -> dict:
    """Each config's result to draw: finished, diverged, partial (training) or stopped."""
    shown = {}
    for view in views:
        if view.config not in configs:  # another batch size of the sweep: the summary's
            continue
        if view.config in stopped and view.state not in ("finished", "diverged"):
            if stopped[view.config] is not None:
                shown[view.config] = stopped[view.config]
        elif view.result is not None:
            shown[view.config] = view.result
    return shown


def draw_messages(shown: dict) -> None:
    for config in configs:
        label, result = labels[config], shown.get(config)
        if result is not None and result.status == "diverged":
            st.error(
                f"{label} diverged at step {result.diverged_at}: the loss was no longer a "
                f"finite number, so training stopped there. Try a smaller learning rate than "
                f"{config.learning_rate:g}."
            )
        elif config in stopped and (result is None or result.status != "finished"):
            where = f"at step {result.steps_done}" if result is not None else "before step 10"
            st.warning(f"{label} was stopped {where} of {config.steps}; its curves end there.")


def draw_live() -> None:
    views = REGISTRY.views(watched)
    if busy is not None:
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
    pending = pending_views(views)
    for view in views:
        if view.state == "failed":
            st.error(
                f"The run for {labels.get(view.config, view.config.norm)} failed: "
                f"{literal(view.error)}"
            )
    if pending:
        progress_rows(pending)
        st.button("Stop training", key="lab:stop", on_click=stop_training, type="primary")
    elif any(c in stopped for c in configs):
        st.button("Train again", key="lab:again", on_click=train_again)
    shown = results_now(views)
    draw_messages(shown)
    if shown:
        lab_views.draw_table(shown, labels, stopped)
        lab_views.draw_helps(shown, configs, labels, stopped, run_lr)
        lab_views.draw_curves(shown, labels, run_steps, task.test_labels.size)
        lab_views.draw_batchnorm(shown)
    if st.session_state.get("lab:pending") and not pending:
        st.session_state["lab:pending"] = False
        st.rerun()  # the whole page, so the summary below has the new runs
    st.session_state["lab:pending"] = bool(pending)


has_pending = bool(pending_views(REGISTRY.views(watched)))
st.session_state["lab:pending"] = has_pending
st.fragment(draw_live, run_every=1.0 if has_pending else None)()

# --- The summary: held-out error against batch size, from the runs made so far.
st.subheader("Held-out error by batch size")
by_batch = {b: configs_at(b) for b in controls.BATCH_SIZES}
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
missing = [c for group in by_batch.values() for c in group if c not in finished]
if missing:
    st.button(
        f"Train every batch size ({len(missing)} more runs)",
        key="lab:sweep_button",
        on_click=lambda: st.session_state.update({"lab:sweep": sweep_key}),
        help="The same settings at batch sizes 2, 4, 8, 16 and 32; runs already made are reused.",
    )
if error_curves:
    st.plotly_chart(
        figures.error_by_batch_figure(
            error_curves,
            note=(
                f"Every batch size saw the same {values['steps'] * controls.REFERENCE_BATCH:,} "
                f"images (learning rate {values['lr']:g} at batch 32, proportional to the batch)"
                if by_images
                else f"{values['steps']} steps at every batch size, learning rate {values['lr']:g}"
            )
            + f", seed {values['tseed']}; error in eval mode on the "
            f"{task.test_labels.size:,} held-out images; dashed: BatchNorm2d with each held-out "
            "batch's own statistics.",
        ),
        config=CHART,
        key="lab:by_batch",
    )
    if "batchnorm" in norms:
        groupnorm_label = (
            controls.norm_label("groupnorm", values["gn_groups"]) if "groupnorm" in norms else None
        )
        for line in summary.error_by_batch_words(errors, "BatchNorm2d", groupnorm_label):
            st.markdown(line)
else:
    st.caption("Finished runs appear here, one point per batch size.")

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
