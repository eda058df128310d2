"""The question, answered: which of the three methods is batch normalization for conv layers."""

import importlib.util

import streamlit as st

import normlib
from normapp import cached, ui
from normapp.explorer.set_description import plural
from normapp.links import bound, old_forms
from normapp.teaching import compare, momentum_conventions, question
from normapp.teaching.framework_facts import eps_words, facts_for

LINK_HELP = "Opens the page that shows this with numbers."
BN = facts_for("method3")  # what torch.nn.BatchNorm2d / Keras BatchNormalization are


def check_table(check: question.TorchCheck) -> dict[str, list]:
    return {
        "method": ["Method 1", "Method 2", "Method 3"],
        "reduces over": ["N, C", "N", "N, H, W"],
        "max |normlib − torch|": [
            f"{check.diffs[k]:.2e}" for k in ("method1", "method2", "method3")
        ],
        "same as BatchNorm2d?": [
            "yes" if check.diffs[k] < 1e-4 else "no" for k in ("method1", "method2", "method3")
        ],
    }


data = ui.current_input("question")
n, c, h, w = data.shape
bound.show_messages()  # about the sidebar's link parameters

st.title("The question, answered")
st.markdown(
    "A learner asks which of three ways to normalize a CNN feature map T of shape "
    "(N, C, H, W) is batch normalization, and what the BN paper means by “per feature map”. "
    "The accepted answer says Method 2 is batch normalization and Method 3 is layer "
    "normalization. **For convolutional layers both labels are wrong: Method 3 is "
    "BatchNorm2d.** Here is why, with numbers."
)

# --- The three methods, corrected
st.header("1. The three methods, with the typos fixed")
st.markdown(
    "The question's formulas have typos. Fixed below: each fixed term is underlined (and "
    "green) in the formulas, and each wrong term is struck through in the list under them. "
    "The variances are **biased** (÷ the set size), as PyTorch uses them to normalize."
)
for method in question.QUESTION_METHODS:
    with st.container(border=True):
        st.markdown(f"**{method.title}**")
        st.latex(method.output)
        st.latex(method.mean)
        st.latex(method.var)
        if method.typos:
            st.markdown(
                "Typos in the question:\n" + "\n".join(f"- {t.markdown()}" for t in method.typos)
            )
        else:
            st.markdown(method.note)
        st.markdown(f"**What it is:** {method.verdict}")
        st.page_link(
            ui.PAGES_DIR / "explorer.py",
            label=f"See {method.key.replace('method', 'Method ')}'s sets in the Explorer",
            icon=":material/search:",
            query_params={"method": old_forms.METHOD_NAMES[method.key]},
            help=LINK_HELP,
        )

# --- The check against PyTorch
st.header("2. PyTorch agrees: Method 3 is BatchNorm2d")
st.markdown(
    "normlib computes each method; PyTorch's `nn.BatchNorm2d` (training mode, γ = 1, β = 0, "
    f"its default eps = {eps_words(BN.eps.pytorch)}) gives the reference. Only Method 3 "
    "matches, to rounding error."
)
golden = cached.golden_check()
if isinstance(golden, str):
    st.warning(golden + " Run `tests/golden/make_goldens.py` with torch installed.")
else:
    st.dataframe(ui.table(check_table(golden)), hide_index=True)
    st.caption(
        f"Stored output of torch {golden.torch_version} on a float64 tensor of shape "
        f"{golden.shape} ({golden.source}, made by tests/golden/make_goldens.py)."
    )
if importlib.util.find_spec("torch") is not None:
    if st.toggle("Also run PyTorch now, on the current input", key="q:live"):
        try:
            live = cached.torch_check(data.key, data.x)
        except ValueError as refusal:  # torch's own answer on N·H·W = 1: shown, not a crash
            st.info(question.torch_refusal_text(data.shape))
            st.code(str(refusal), language=None, wrap_lines=True)
        else:
            st.dataframe(ui.table(check_table(live)), hide_index=True)
            st.caption(
                f"torch {live.torch_version}, float32, on {data.title}: Method 3's difference "
                "is float32 rounding."
            )
else:
    st.caption("PyTorch is not installed here, so only the stored check is shown.")
st.page_link(
    ui.PAGES_DIR / "compare.py",
    label="Compare the methods side by side",
    icon=":material/compare:",
    query_params={"methods": "method1,method2,method3"},
    help=LINK_HELP,
)

# --- The accepted answer
st.header("3. What the accepted answer gets wrong")
for claim, fix in question.ACCEPTED_ANSWER_FIXES:
    st.markdown(f"- {claim} {fix}")
st.markdown(
    "Layer normalization on an image tensor reduces over **(C, H, W) for each sample n**: one "
    f"mean per sample, N = {n} of them here. Method 3 reduces over (N, H, W): one mean per "
    f"channel, C = {c} of them."
)
link_col1, link_col2 = st.columns(2)
link_col1.page_link(
    ui.PAGES_DIR / "explorer.py",
    label="LayerNorm's sets in the Explorer",
    icon=":material/search:",
    query_params={"method": old_forms.METHOD_NAMES["layernorm"]},
    help=LINK_HELP,
)
link_col2.page_link(
    ui.PAGES_DIR / "batch.py",
    label="Which methods depend on the batch",
    icon=":material/groups:",
    help=LINK_HELP,
)

# --- Per feature map
st.header("4. “Per feature map” means per channel")
numbers = question.per_feature_map_numbers(data.shape)
st.markdown(
    "A feature map is one channel c of a conv layer's output. The BN paper (section 3.2) "
    "normalizes each feature map over the mini-batch **and** all positions, and learns one "
    "γ and one β per feature map:"
)
st.latex(
    rf"m' = m \cdot p \cdot q = {numbers['m']} \cdot {numbers['p']} \cdot {numbers['q']} "
    rf"= {numbers['m_prime']:,}".replace(",", "{,}")
)
st.markdown(
    f"For the current input ({data.title}): mini-batch m = N = {numbers['m']}, feature maps "
    f"of p × q = H × W = {numbers['p']} × {numbers['q']}, so each of the C = {c} channel means "
    f"averages m' = {numbers['m_prime']:,} numbers, and there are {numbers['pairs']} (γ, β) "
    f"pairs = {numbers['params']} parameters. That is Method 3."
)
st.page_link(
    ui.PAGES_DIR / "explorer.py",
    label="BatchNorm2d's statistics for this input",
    icon=":material/search:",
    query_params={"method": old_forms.METHOD_NAMES["batchnorm"]},
    help=LINK_HELP,
)

# --- Train and eval
st.header("5. In eval mode BatchNorm2d uses running statistics")
st.markdown(
    "In training, BatchNorm2d normalizes with the batch's mean and (biased) variance and "
    "updates `running_mean` and `running_var` (unbiased, default momentum "
    f"{normlib.BatchNorm2d(1).momentum:g}). In eval it uses those running values, so a "
    "sample's output no longer depends on its batch mates."
)
st.page_link(
    ui.PAGES_DIR / "train_eval.py",
    label="Train vs eval",
    icon=":material/model_training:",
    help=LINK_HELP,
)

# --- Keras
st.header("6. Keras names the axes the other way round (for BatchNormalization)")
st.markdown(
    "- `BatchNormalization(axis=1)` on an (N, C, H, W) tensor: `axis` names the axis that is "
    "**kept** (one mean per channel), so it reduces over N, H, W, like BatchNorm2d. Its "
    "default `axis=-1` is the channel axis of Keras' channels-last (N, H, W, C).\n"
    "- `LayerNormalization(axis=[1, 2, 3])`: `axis` names the axes that are **reduced**, "
    "so it reduces over C, H, W per sample.\n"
    f"- Keras' BN momentum is 1 − PyTorch's: Keras {momentum_conventions.keras_momentum(0.01)} ↔ "
    "PyTorch 0.01. Even then the "
    "running variances differ: Keras' `moving_variance` tracks the **biased** batch variance "
    "(÷ m), PyTorch's `running_var` the unbiased one (÷ (m − 1)).\n"
    f"- Default eps, per layer: BatchNormalization, LayerNormalization and GroupNormalization "
    f"{BN.eps.text()}; RMSNorm {facts_for('rmsnorm').eps.text()}, added to the mean square "
    "rather than a variance."
)
st.page_link(
    ui.PAGES_DIR / "quiz.py",
    label="Test yourself in the quiz",
    icon=":material/quiz:",
    help=LINK_HELP,
)

# --- Why
st.header("7. Why, and where you will meet each")
shape = data.shape
st.subheader("Why BatchNorm2d pools over H and W")
conv = question.convolutional_property(data.x)
st.markdown(
    "A convolution applies one filter at every position, so one channel is one feature "
    "detector. The BN paper (section 3.2) wants the normalization to keep that "
    "*convolutional property*: “different elements of the same feature map, at different "
    "locations, are normalized in the same way”. One mean, one variance and one (γ, β) per "
    "channel do that, and a shifted pattern then gives the same, shifted, output. It also "
    f"makes each statistic average m' = N·H·W = {numbers['m_prime']:,} values here "
    f"instead of N = {numbers['m']}."
)
st.markdown(question.convolutional_sentence(conv, shape))
st.subheader("Where Method 2 is actually used")
method2 = question.sets_and_parameters("method2", shape)
method3 = question.sets_and_parameters("method3", shape)
st.markdown(
    "Per-activation BN is the BN paper's Algorithm 1 for fully connected layers: after "
    "`nn.Linear(..., F)` comes `nn.BatchNorm1d(F)`, one mean and one (γ, β) per feature, "
    "over the batch. On a conv feature map flattened to F = C·H·W features it is Method 2:"
)
st.code(facts_for("method2").pytorch, language="python")
st.markdown(
    f"Here that is {plural(method2.sets, 'statistic')} of N = "
    f"{plural(method2.elements, 'value')} each and γ/β = {method2.affine}, against "
    f"BatchNorm2d's {plural(method3.sets, 'statistic')} of {plural(method3.elements, 'value')} "
    f"and γ/β = {method3.affine}."
)
st.subheader("LayerNorm in transformers and ConvNeXt: over C only")
pixel = question.sets_and_parameters("positionnorm", shape)
st.markdown(
    "Transformers normalize each token over its features, and ConvNeXt (Liu et al. 2022) "
    "does the same per pixel: `nn.LayerNorm(C)` on a channels-last tensor. Those are the "
    "sets of the reduced axes “C” alone (the app's “LayerNorm over channels” preset; "
    "also called PONO), not the GN paper's LayerNorm over (C, H, W): here "
    f"{plural(pixel.sets, 'set')} of C = {plural(pixel.elements, 'value')}, γ/β = {pixel.affine}."
)
st.code(facts_for("positionnorm").pytorch, language="python")
st.page_link(
    ui.PAGES_DIR / "explorer.py",
    label="LayerNorm over channels in the Explorer",
    icon=":material/search:",
    query_params={"method": old_forms.METHOD_NAMES["positionnorm"]},
    help=LINK_HELP,
)
st.subheader("GroupNorm's two limits")
g_one = question.sets_and_parameters("groupnorm", shape, groups=1)
g_all = question.sets_and_parameters("groupnorm", shape, groups=shape[1])
layer = question.sets_and_parameters("layernorm", shape)
instance = question.sets_and_parameters("instancenorm", shape)
st.markdown(
    "The GN paper (Wu & He 2018, section 3.1) places GroupNorm between two others:\n"
    f"- G = 1: {plural(g_one.sets, 'set')} of {g_one.elements:,}, the sets of LayerNorm "
    f"({layer.sets:,} of {layer.elements:,}). The γ/β differ: GroupNorm {g_one.affine_shape}, "
    f"{g_one.affine}; LayerNorm {layer.affine_shape}, {layer.affine}.\n"
    f"- G = C = {shape[1]}: {plural(g_all.sets, 'set')} of {g_all.elements:,}, the sets of "
    f"InstanceNorm ({instance.sets:,} of {instance.elements:,}). Both have γ/β per channel: "
    f"GroupNorm {g_all.affine}; InstanceNorm2d {instance.affine}." + question.limit_refusals(shape)
)
if note := compare.groupnorm_note(shape[1]):
    st.caption(note)
