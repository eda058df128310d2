"""The question, answered: which of the three methods is batch normalization for conv layers."""

import importlib.util

import streamlit as st

import normlib
from normapp import cached, ui
from normapp.explorer import presets
from normapp.explorer.set_description import plural
from normapp.links import bound
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


def page_link(script: str, label: str, icon: str, query_params=None, where=st) -> None:
    """A link to the page that shows it with numbers, in `where` (the page or a column)."""
    where.page_link(
        ui.PAGES_DIR / script, label=label, icon=icon, query_params=query_params, help=LINK_HELP
    )


def explorer_link(label: str, method: str, where=st) -> None:
    """A link to the Explorer set to `method` (a key of normlib.METHODS), by its label."""
    query = {"method": presets.METHOD_NAMES[method]}
    page_link("explorer.py", label, ":material/search:", query, where)


def introduction() -> None:
    st.title("The question, answered")
    st.markdown(
        "A learner asks which of three ways to normalize a CNN feature map T of shape "
        "(N, C, H, W) is batch normalization, and what the BN paper means by “per feature map”. "
        "The accepted answer says Method 2 is batch normalization and Method 3 is layer "
        "normalization. **For convolutional layers both labels are wrong: Method 3 is "
        "BatchNorm2d.** Here is why, with numbers."
    )


def three_methods() -> None:
    """1. Each method's formulas with the typos fixed, what it is, and its sets in the Explorer."""
    st.header("1. The three methods, with the typos fixed")
    st.markdown(
        "The question's formulas have typos. Fixed below: each fixed term is underlined (and "
        "green) in the formulas, and each wrong term is struck through in the list under them. "
        "The variances are **biased** (÷ the set size), as PyTorch uses them to normalize."
    )
    for method in question.QUESTION_METHODS:
        with st.container(border=True):
            st.markdown(f"**{method.title}**")
            # The output, the mean and the variance, centred one under the other: one element.
            st.latex(
                r"\begin{gathered}"
                + r" \\[18pt] ".join((method.output, method.mean, method.var))
                + r"\end{gathered}"
            )
            if method.typos:
                st.markdown(
                    "Typos in the question:\n"
                    + "\n".join(f"- {t.markdown()}" for t in method.typos)
                )
            else:
                st.markdown(method.note)
            st.markdown(f"**What it is:** {method.verdict}")
            label = f"See {method.key.replace('method', 'Method ')}'s sets in the Explorer"
            explorer_link(label, method.key)


def pytorch_agrees(data) -> None:
    """2. The stored check against PyTorch, and a live one where torch is installed."""
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
            live_check(data)
    else:
        st.caption("PyTorch is not installed here, so only the stored check is shown.")
    query = {"methods": "method1,method2,method3"}
    page_link("compare.py", "Compare the methods side by side", ":material/compare:", query)


def live_check(data) -> None:
    """PyTorch run now on the current input (or torch's refusal, shown, not a crash)."""
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


def accepted_answer(shape: tuple[int, ...]) -> None:
    """3. The accepted answer's claims, each with its fix."""
    n, c, _, _ = shape
    st.header("3. What the accepted answer gets wrong")
    st.markdown("".join(f"- {claim} {fix}\n" for claim, fix in question.ACCEPTED_ANSWER_FIXES))
    st.markdown(
        "Layer normalization on an image tensor reduces over **(C, H, W) for each sample n**: "
        f"one mean per sample, N = {n} of them here. Method 3 reduces over (N, H, W): one mean "
        f"per channel, C = {c} of them."
    )
    link_col1, link_col2 = st.columns(2)
    explorer_link("LayerNorm's sets in the Explorer", "layernorm", link_col1)
    page_link("batch.py", "Which methods depend on the batch", ":material/groups:", where=link_col2)


def per_feature_map(data) -> dict:
    """4. The BN paper's m' = m·p·q for the current input; returns those numbers."""
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
        f"of p × q = H × W = {numbers['p']} × {numbers['q']}, so each of the C = "
        f"{data.shape[1]} channel means averages m' = {numbers['m_prime']:,} numbers, and there "
        f"are {numbers['pairs']} (γ, β) pairs = {numbers['params']} parameters. That is Method 3."
    )
    explorer_link("BatchNorm2d's statistics for this input", "batchnorm")
    return numbers


def train_and_eval() -> None:
    """5. Running statistics in eval mode."""
    st.header("5. In eval mode BatchNorm2d uses running statistics")
    st.markdown(
        "In training, BatchNorm2d normalizes with the batch's mean and (biased) variance and "
        "updates `running_mean` and `running_var` (unbiased, default momentum "
        f"{normlib.BatchNorm2d(1).momentum:g}). In eval it uses those running values, so a "
        "sample's output no longer depends on its batch mates."
    )
    page_link("train_eval.py", "Train vs eval", ":material/model_training:")


def keras_axes() -> None:
    """6. Keras' axis, momentum and eps conventions."""
    st.header("6. Keras names the axes the other way round (for BatchNormalization)")
    st.markdown(
        "- `BatchNormalization(axis=1)` on an (N, C, H, W) tensor: `axis` names the axis that "
        "is **kept** (one mean per channel), so it reduces over N, H, W, like BatchNorm2d. Its "
        "default `axis=-1` is the channel axis of Keras' channels-last (N, H, W, C).\n"
        "- `LayerNormalization(axis=[1, 2, 3])`: `axis` names the axes that are **reduced**, "
        "so it reduces over C, H, W per sample.\n"
        f"- Keras' BN momentum is 1 − PyTorch's: Keras "
        f"{momentum_conventions.keras_momentum(0.01)} ↔ PyTorch 0.01. Even then the "
        "running variances differ: Keras' `moving_variance` tracks the **biased** batch "
        "variance (÷ m), PyTorch's `running_var` the unbiased one (÷ (m − 1)).\n"
        f"- Default eps, per layer: BatchNormalization, LayerNormalization and "
        f"GroupNormalization {BN.eps.text()}; RMSNorm {facts_for('rmsnorm').eps.text()}, added "
        "to the mean square rather than a variance."
    )
    page_link("quiz.py", "Test yourself in the quiz", ":material/quiz:")


def why_over_h_and_w(x, numbers: dict) -> None:
    """7a. The convolutional property, shown on the current input."""
    st.subheader("Why BatchNorm2d pools over H and W")
    conv = question.convolutional_property(x)
    st.markdown(
        "A convolution applies one filter at every position, so one channel is one feature "
        "detector. The BN paper (section 3.2) wants the normalization to keep that "
        "*convolutional property*: “different elements of the same feature map, at different "
        "locations, are normalized in the same way”. One mean, one variance and one (γ, β) per "
        "channel do that, and a shifted pattern then gives the same, shifted, output. It also "
        f"makes each statistic average m' = N·H·W = {numbers['m_prime']:,} values here "
        f"instead of N = {numbers['m']}."
    )
    st.markdown(question.convolutional_sentence(conv, x.shape))


def where_method2_is_used(shape: tuple[int, ...]) -> None:
    """7b. Method 2 is BatchNorm1d on flattened features."""
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
        f"BatchNorm2d's {plural(method3.sets, 'statistic')} of "
        f"{plural(method3.elements, 'value')} and γ/β = {method3.affine}."
    )


def layernorm_over_channels(shape: tuple[int, ...]) -> None:
    """7c. Transformers' and ConvNeXt's LayerNorm: the sets of C alone."""
    st.subheader("LayerNorm in transformers and ConvNeXt: over C only")
    pixel = question.sets_and_parameters("positionnorm", shape)
    st.markdown(
        "Transformers normalize each token over its features, and ConvNeXt (Liu et al. 2022) "
        "does the same per pixel: `nn.LayerNorm(C)` on a channels-last tensor. Those are the "
        "sets of the reduced axes “C” alone (the app's “LayerNorm over channels” preset; "
        "also called PONO), not the GN paper's LayerNorm over (C, H, W): here "
        f"{plural(pixel.sets, 'set')} of C = {plural(pixel.elements, 'value')}, "
        f"γ/β = {pixel.affine}."
    )
    st.code(facts_for("positionnorm").pytorch, language="python")
    explorer_link("LayerNorm over channels in the Explorer", "positionnorm")


def groupnorm_limits(shape: tuple[int, ...]) -> None:
    """7d. GroupNorm at G = 1 and G = C, against LayerNorm and InstanceNorm."""
    st.subheader("GroupNorm's two limits")
    g_one = question.sets_and_parameters("groupnorm", shape, groups=1)
    g_all = question.sets_and_parameters("groupnorm", shape, groups=shape[1])
    layer = question.sets_and_parameters("layernorm", shape)
    instance = question.sets_and_parameters("instancenorm", shape)
    st.markdown(
        "The GN paper (Wu & He 2018, section 3.1) places GroupNorm between two others:\n"
        f"- G = 1: {plural(g_one.sets, 'set')} of {g_one.elements:,}, the sets of LayerNorm "
        f"({layer.sets:,} of {layer.elements:,}). The γ/β differ: GroupNorm "
        f"{g_one.affine_shape}, {g_one.affine}; LayerNorm {layer.affine_shape}, "
        f"{layer.affine}.\n"
        f"- G = C = {shape[1]}: {plural(g_all.sets, 'set')} of {g_all.elements:,}, the sets of "
        f"InstanceNorm ({instance.sets:,} of {instance.elements:,}). Both have γ/β per channel: "
        f"GroupNorm {g_all.affine}; InstanceNorm2d {instance.affine}."
        + question.limit_refusals(shape)
    )
    if note := compare.groupnorm_note(shape[1]):
        st.caption(note)


data = ui.current_input("question")
bound.show_messages()  # about the sidebar's link parameters

introduction()
three_methods()
pytorch_agrees(data)
accepted_answer(data.shape)
numbers = per_feature_map(data)
train_and_eval()
keras_axes()

st.header("7. Why, and where you will meet each")
why_over_h_and_w(data.x, numbers)
where_method2_is_used(data.shape)
layernorm_over_channels(data.shape)
groupnorm_limits(data.shape)
