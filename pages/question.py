"""The question, answered: which of the three methods is batch normalization for conv layers."""

import importlib.util

import streamlit as st

from explorer import teaching, ui

LINK_HELP = "Opens the page that shows this with numbers."


@st.cache_data(max_entries=2, show_spinner=False)
def cached_golden() -> teaching.TorchCheck | str:
    """The stored-torch comparison, or the reason it cannot be made."""
    try:
        return teaching.golden_check()
    except (OSError, KeyError, ValueError) as error:
        return f"The golden file could not be read ({error})."


@st.cache_data(max_entries=8, show_spinner="Running torch.nn.BatchNorm2d…")
def cached_torch(input_key: tuple, _x) -> teaching.TorchCheck:
    return teaching.torch_check(_x)


def check_table(check: teaching.TorchCheck) -> dict[str, list]:
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


data = ui.current_input()
n, c, h, w = data.shape
ui.url_values("question", ())
ui.show_url_messages()

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
    "The question's formulas have typos. Fixed below, with each fix in green. The variances "
    "are **biased** (÷ the set size), as PyTorch uses them to normalize."
)
for method in teaching.QUESTION_METHODS:
    with st.container(border=True):
        st.markdown(f"**{method.title}**")
        st.latex(method.output)
        st.latex(method.mean)
        st.latex(method.var)
        if method.typos:
            st.markdown("Typos in the question: " + "; ".join(method.typos) + ".")
        else:
            st.markdown(method.note)
        st.markdown(f"**What it is:** {method.verdict}")
        st.page_link(
            "pages/explorer.py",
            label=f"See {method.key.replace('method', 'Method ')}'s sets in the Explorer",
            icon=":material/search:",
            query_params={"method": method.key},
            help=LINK_HELP,
        )

# --- The check against PyTorch
st.header("2. PyTorch agrees: Method 3 is BatchNorm2d")
st.markdown(
    "normlib computes each method; PyTorch's `nn.BatchNorm2d` (training mode, γ = 1, β = 0, "
    "eps = 1e-5) gives the reference. Only Method 3 matches, to rounding error."
)
golden = cached_golden()
if isinstance(golden, str):
    st.warning(golden + " Run `tests/golden/make_goldens.py` with torch installed.")
else:
    st.dataframe(check_table(golden), hide_index=True)
    st.caption(
        f"Stored output of torch {golden.torch_version} on a float64 tensor of shape "
        f"{golden.shape} ({golden.source}, made by tests/golden/make_goldens.py)."
    )
if importlib.util.find_spec("torch") is not None:
    if st.toggle("Also run PyTorch now, on the current input", key="q:live"):
        live = cached_torch(data.key, data.x)
        st.dataframe(check_table(live), hide_index=True)
        st.caption(
            f"torch {live.torch_version}, float32, on {data.title}: Method 3's difference is "
            "float32 rounding."
        )
else:
    st.caption("PyTorch is not installed here, so only the stored check is shown.")
st.page_link(
    "pages/compare.py",
    label="Compare the methods side by side",
    icon=":material/compare:",
    query_params={"methods": "method1,method2,method3"},
    help=LINK_HELP,
)

# --- The accepted answer
st.header("3. What the accepted answer gets wrong")
for claim, fix in teaching.ACCEPTED_ANSWER_FIXES:
    st.markdown(f"- {claim} {fix}")
st.markdown(
    "Layer normalization on an image tensor reduces over **(C, H, W) for each sample n**: one "
    f"mean per sample, N = {n} of them here. Method 3 reduces over (N, H, W): one mean per "
    f"channel, C = {c} of them."
)
link_col1, link_col2 = st.columns(2)
link_col1.page_link(
    "pages/explorer.py",
    label="LayerNorm's sets in the Explorer",
    icon=":material/search:",
    query_params={"method": "layernorm"},
    help=LINK_HELP,
)
link_col2.page_link(
    "pages/batch_dependence.py",
    label="Which methods depend on the batch",
    icon=":material/groups:",
    help=LINK_HELP,
)

# --- Per feature map
st.header("4. “Per feature map” means per channel")
numbers = teaching.per_feature_map_numbers(data.shape)
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
    "pages/explorer.py",
    label="BatchNorm2d's statistics for this input",
    icon=":material/search:",
    query_params={"method": "batchnorm"},
    help=LINK_HELP,
)

# --- Train and eval
st.header("5. In eval mode BatchNorm2d uses running statistics")
st.markdown(
    "In training, BatchNorm2d normalizes with the batch's mean and (biased) variance and "
    "updates `running_mean` and `running_var` (unbiased, momentum 0.1). In eval it uses those "
    "running values, so a sample's output no longer depends on its batch mates."
)
st.page_link(
    "pages/train_eval.py", label="Train vs eval", icon=":material/model_training:", help=LINK_HELP
)

# --- Keras
st.header("6. Keras names the axes the other way round (for BatchNormalization)")
st.markdown(
    "- `BatchNormalization(axis=1)` on an (N, C, H, W) tensor: `axis` names the axis that is "
    "**kept** (one mean per channel), so it reduces over N, H, W, like BatchNorm2d. Its "
    "default `axis=-1` is the channel axis of Keras' channels-last (N, H, W, C).\n"
    "- `LayerNormalization(axis=[1, 2, 3])`: `axis` names the axes that are **reduced**, "
    "so it reduces over C, H, W per sample.\n"
    "- Keras' BN momentum is 1 − PyTorch's: Keras 0.99 ↔ PyTorch 0.01; eps is 1e-3 in Keras, "
    "1e-5 in PyTorch."
)
st.page_link(
    "pages/quiz.py", label="Test yourself in the quiz", icon=":material/quiz:", help=LINK_HELP
)

ui.sync_url({})
