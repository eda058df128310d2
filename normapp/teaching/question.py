"""The question, answered (no Streamlit): the seed question's formulas corrected, and the
numeric check that Method 3 is what torch.nn.BatchNorm2d computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import normlib
from normapp.teaching.framework_facts import REFUSALS, facts_for, torch_refusal
from normlib import METHODS, NormSpec
from normlib.typing import Shape4

ROOT = Path(__file__).resolve().parents[2]
# One torch.nn.BatchNorm2d training step, made by tests/golden/make_goldens.py with torch.
TORCH_STEP_FILE = ROOT / "assets" / "reference" / "batchnorm2d_train_step.npz"


# A fixed term of the question's formulas: underlined (a cue that needs no colour) and green.
FIX_COLOUR = "#2e9e5b"


def fixed(term: str) -> str:
    """LaTeX of a corrected term: underlined and coloured."""
    return r"\underline{\textcolor{" + FIX_COLOUR + "}{" + term + "}}"


@dataclass(frozen=True)
class Typo:
    """One typo of the question: where it is, what it wrote, what is meant (LaTeX)."""

    where: str
    wrote: str
    meant: str

    def markdown(self) -> str:
        """The typo with the wrong term struck through and the fix named in words.

        The line is KaTeX's own (\\sout): Markdown's ~~…~~ around $…$ drew no line over
        the maths, which KaTeX renders in a box of its own.
        """
        return f"{self.where}: $\\sout{{{self.wrote}}}$ → fixed: ${self.meant}$"


@dataclass(frozen=True)
class MethodText:
    key: str
    title: str
    over: str
    output: str
    mean: str
    var: str
    typos: tuple[Typo, ...]
    verdict: str
    note: str = ""


_NUMERATOR_TYPO = Typo("the numerator", "T_{c,x,y}", "T_{n,c,x,y}")

QUESTION_METHODS = (
    MethodText(
        key="method1",
        title="Method 1: one mean per pixel (x, y), over the batch and all channels",
        over="NC",
        output=(
            r"\hat T_{n,c,x,y} = \gamma \, \frac{T_{" + fixed("n") + r",c,x,y} - \mu_{x,y}}"
            r"{\sqrt{\sigma^2_{x,y} + \epsilon}} + \beta"
        ),
        mean=r"\mu_{x,y} = \frac{1}{NC} \sum_{n=1}^{N} \sum_{c=1}^{C} T_{n,c,x,y}",
        var=(
            r"\sigma^2_{x,y} = \frac{1}{NC} \sum_{n=1}^{N} \sum_{c=1}^{C} "
            r"\left(T_{n,c,x,y} - \mu_{" + fixed("x,y") + r"}\right)^2"
        ),
        typos=(_NUMERATOR_TYPO, Typo("the variance subtracts", r"\mu_c", r"\mu_{x,y}")),
        verdict=(
            "No standard layer. The closest named method, LayerNorm over channels "
            "(nn.LayerNorm(C) channels-last; also called PONO), also takes one mean per "
            "pixel, but over the channels of each sample separately, "
            "not over the batch."
        ),
    ),
    MethodText(
        key="method2",
        title="Method 2: one mean per activation (c, x, y), over the batch only",
        over="N",
        output=(
            r"\hat T_{n,c,x,y} = \gamma \, \frac{T_{" + fixed("n") + r",c,x,y} - "
            r"\mu_{c,x,y}}{\sqrt{\sigma^2_{c,x,y} + \epsilon}} + \beta"
        ),
        mean=r"\mu_{c,x,y} = \frac{1}{N} \sum_{n=1}^{N} T_{n,c,x,y}",
        var=(
            r"\sigma^2_{c,x,y} = \frac{1}{N} \sum_{n=1}^{N} "
            r"\left(T_{n,c,x,y} - \mu_{" + fixed("c,x,y") + r"}\right)^2"
        ),
        typos=(_NUMERATOR_TYPO, Typo("the variance subtracts", r"\mu_c", r"\mu_{c,x,y}")),
        verdict=(
            "Per-activation batch normalization: what the BN paper's Algorithm 1 does for a "
            "fully connected layer (there with one γ and one β per activation), applied to "
            "every (c, x, y). It is not what BatchNorm2d does for a convolutional layer."
        ),
    ),
    MethodText(
        key="method3",
        title="Method 3: one mean per channel c, over the batch and all positions",
        over="NHW",
        output=(
            r"\hat T_{n,c,x,y} = \gamma_{" + fixed("c") + r"} \, \frac{T_{n,c,x,y} - \mu_c}"
            r"{\sqrt{\sigma^2_c + \epsilon}} + \beta_{" + fixed("c") + "}"
        ),
        mean=r"\mu_c = \frac{1}{NHW} \sum_{n=1}^{N} \sum_{x=1}^{H} \sum_{y=1}^{W} T_{n,c,x,y}",
        var=(
            r"\sigma^2_c = \frac{1}{NHW} \sum_{n=1}^{N} \sum_{x=1}^{H} \sum_{y=1}^{W} "
            r"\left(T_{n,c,x,y} - \mu_c\right)^2"
        ),
        typos=(),
        note=(
            "The question's Method 3 is written correctly. The only change (underlined): the BN "
            "paper learns one γ and one β per feature map, i.e. per channel c, not one per layer."
        ),
        verdict=(
            "BatchNorm2d: the BN paper's convolutional variant (section 3.2), and what "
            "torch.nn.BatchNorm2d computes in training. γ and β are per channel."
        ),
    ),
)

ACCEPTED_ANSWER_FIXES = (
    (
        "“Method 2 is original batch normalization.”",
        "For a convolutional layer, no. Method 2 is per-activation BN, what BN does for a fully "
        "connected layer. For conv layers the paper (section 3.2) pools each feature map over "
        "the batch and all positions: that is Method 3.",
    ),
    (
        "“Method 3 is layer normalization.”",
        "No. Method 3 is BatchNorm2d. Layer normalization takes one mean per sample n, over "
        "(C, H, W); Method 3 takes one mean per channel c, over (N, H, W).",
    ),
    (
        "“Method 1 … not sure of its application.”",
        "Fair: it has no standard name. LayerNorm over channels (PONO) is the closest, and it "
        "pools over C per sample, not over N.",
    ),
    (
        "“Two trainable parameters per channel/feature map.”",
        "Right: one γ and one β per channel. Only Method 3 fits that sentence.",
    ),
)


@dataclass(frozen=True)
class TorchCheck:
    """max |normlib − torch.nn.BatchNorm2d (training)| for Methods 1, 2 and 3."""

    source: str
    shape: tuple[int, ...]
    diffs: dict[str, float]
    torch_version: str


def method_diffs(x: np.ndarray, reference: np.ndarray, eps: float = 1e-5) -> dict[str, float]:
    """max |normalize(x, method) − reference| for Method 1, 2 and 3."""
    return {
        key: float(np.max(np.abs(normlib.normalize(x, METHODS[key], eps=eps).output - reference)))
        for key in ("method1", "method2", "method3")
    }


def golden_check(path: Path = TORCH_STEP_FILE) -> TorchCheck:
    """Compare Methods 1–3 with a stored torch.nn.BatchNorm2d training-mode output.

    The file holds the input `x`, torch's output `out`, `eps`, `torch_version` and
    `source` (which golden step it copies). Raises FileNotFoundError or KeyError
    when the file is missing or unusable.
    """
    with np.load(path) as data:
        x, out = data["x"], data["out"]
        return TorchCheck(
            source=f"{path.name}: {data['source']}",
            shape=tuple(x.shape),
            diffs=method_diffs(x, out, float(data["eps"])),
            torch_version=str(data["torch_version"]),
        )


def torch_check(x: np.ndarray) -> TorchCheck:
    """Run torch.nn.BatchNorm2d (training, float32) on `x` now; needs torch."""
    import torch

    x32 = np.array(x, dtype=np.float32)  # a writable copy: torch warns on read-only arrays
    bn = torch.nn.BatchNorm2d(x32.shape[1])
    bn.train()
    with torch.no_grad():
        out = bn(torch.from_numpy(x32)).numpy()
    return TorchCheck(
        source="live torch.nn.BatchNorm2d on the current input (float32)",
        shape=tuple(x32.shape),
        diffs=method_diffs(x32, out),
        torch_version=str(torch.__version__),
    )


def per_feature_map_numbers(shape: Shape4) -> dict[str, int]:
    """The BN paper's section 3.2 quantities for a tensor of `shape`
    (γ/β from normapp.teaching.framework_facts)."""
    n, c, h, w = shape
    affine = facts_for("method3").affine
    pairs, params = affine.per_parameter(shape), affine.count(shape)
    if pairs is None or params is None:
        raise ValueError(
            "normapp.teaching.framework_facts must give BatchNorm2d (method3) a γ and β"
        )
    return {
        "m": n,
        "p": h,
        "q": w,
        "m_prime": METHODS["method3"].count(shape),
        "pairs": pairs,
        "params": params,
    }


@dataclass(frozen=True)
class SetsAndParameters:
    """A method's sets on the current input and the γ/β its layer learns
    (normapp.teaching.framework_facts)."""

    name: str
    sets: int
    elements: int
    affine: str  # e.g. "6 = 2·C"
    affine_shape: str  # e.g. "(C,) each"


def sets_and_parameters(key: str, shape: Shape4, groups: int = 1):
    """`key`'s sets on `shape` (GroupNorm with `groups`) and its layer's γ/β, from the one table."""
    spec = NormSpec("CHW", groups=groups) if key == "groupnorm" else METHODS[key]
    name = f"GroupNorm({groups})" if key == "groupnorm" else METHODS[key].name
    affine = facts_for(key).affine
    return SetsAndParameters(
        name, spec.n_sets(shape), spec.count(shape), affine.count_text(shape), affine.shape_text()
    )


@dataclass(frozen=True)
class ConvolutionalProperty:
    """How differently Method 2 and Method 3 scale one channel across its positions.

    Normalizing is x ↦ (x − μ)/√(σ² + ε): one scale 1/√(σ² + ε) per set. Method 3
    has one set per channel, so every position of a feature map gets the same
    map (the BN paper's "convolutional property"); Method 2 has one set per
    position, so the same filter response is normalized differently at each.
    """

    channel: int
    positions: int
    method3_scale: float
    method2_min: float
    method2_max: float
    method2_distinct: int


def convolutional_property(x: np.ndarray, channel: int = 0, eps: float = 1e-5):
    """The per-position scales of `channel` under Method 2 and Method 3 on `x`."""
    _, _, h, w = x.shape
    x64 = np.asarray(x[:, channel : channel + 1], dtype=np.float64)
    scale3 = 1.0 / np.sqrt(normlib.normalize(x64, METHODS["method3"], eps=eps).var + eps)
    scale2 = 1.0 / np.sqrt(normlib.normalize(x64, METHODS["method2"], eps=eps).var + eps)
    return ConvolutionalProperty(
        channel=channel,
        positions=h * w,
        method3_scale=float(scale3.ravel()[0]),
        method2_min=float(scale2.min()),
        method2_max=float(scale2.max()),
        method2_distinct=int(np.unique(np.round(scale2, 12)).size),
    )


def convolutional_sentence(conv: ConvolutionalProperty, shape: Shape4, eps: float = 1e-5) -> str:
    """Section 7's sentence on the current input, true on every shape (N = 1, H·W = 1 too)."""
    n, c, h, w = shape
    where = f"{conv.positions:,} positions"
    m3 = "its one position by" if conv.positions == 1 else f"all {where} by the same"
    text = (
        f"On the current input, channel {conv.channel}: Method 3 scales {m3} "
        f"1/√(σ² + ε) = {conv.method3_scale:.4g}"
    )
    if conv.positions == 1:
        text += (
            "; with H·W = 1 there is one position, so Method 2's one set per position is "
            "Method 3's set and both use that scale: there is no position to differ."
        )
    elif n == 1:
        text += (
            f". With N = 1 each of Method 2's sets holds one value, so every variance is 0 and "
            f"every position gets the same scale 1/√ε = {1 / np.sqrt(eps):.4g}; but x − μ = 0 "
            "there, so Method 2 outputs 0 (β) at every position, whatever the image."
        )
    elif conv.method2_distinct == 1:
        text += (
            f"; Method 2 happens to use one scale, {conv.method2_min:.4g}, at every position: "
            "the per-position variances are equal on this input."
        )
    else:
        text += (
            f"; Method 2 uses {conv.method2_distinct:,} different scales, from "
            f"{conv.method2_min:.4g} to {conv.method2_max:.4g}, so the same filter response "
            "comes out differently depending on where in the image it is."
        )
    refusals = [
        f"{label}'s layer: {said}"
        for label, key in (("Method 2", "method2"), ("Method 3", "method3"))
        if (said := torch_refusal(key, shape))
    ]
    if refusals:
        text += " In PyTorch, on this shape: " + "; ".join(refusals) + "."
    return text


def limit_refusals(shape: Shape4) -> str:
    """What PyTorch's GroupNorm(1, C), GroupNorm(C, C) and InstanceNorm2d refuse on `shape`
    (facts.REFUSALS), as a line to append to GroupNorm's two limits; "" when all run."""
    c = shape[1]
    layers = [(f"nn.GroupNorm({g}, {c})", "groupnorm", g) for g in sorted({1, c})]
    layers.append(("nn.InstanceNorm2d", "instancenorm", 1))
    found = [
        f"{layer} ({REFUSALS[key].condition(groups)}: “{REFUSALS[key].message}”)"
        for layer, key, groups in layers
        if torch_refusal(key, shape, groups)
    ]
    if not found:
        return ""
    return "\n- On this input's shape PyTorch refuses " + "; ".join(found) + "."


def torch_refusal_text(shape: Shape4) -> str:
    """Why the live check shows torch's error instead of a table (BatchNorm2d on N·H·W = 1)."""
    n, _, h, w = shape
    return (
        f"PyTorch's nn.BatchNorm2d refuses this input in training mode: with N·H·W = {n * h * w} "
        "each channel holds one value, whose variance says nothing about a distribution (and "
        "the unbiased running variance would divide by m − 1 = 0). Its answer, verbatim:"
    )
