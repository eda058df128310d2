"""One table of what each named method is in PyTorch and Keras: call, γ/β shape, default eps.

Every page that states a γ/β count, a framework call or a default eps reads it
from :data:`METHOD_FACTS`; the sentences are built from these entries and the
input's shape, never typed into a page. The calls are runnable expressions of
an (N, C, H, W) tensor ``x`` (channels-first, as everywhere in this app), with
``nn`` = ``torch.nn`` and the Keras 3 layers imported by name; tests/test_facts.py
runs every one of them against normlib and checks every count and default live
(PyTorch 2.13, Keras 3). Sources besides the frameworks: the BN paper (Ioffe &
Szegedy 2015, Alg. 1 and section 3.2), the GN paper (Wu & He 2018) and ProGAN
(Karras et al. 2018, section 4.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from normlib.typing import Shape4

NO_LAYER = "none"  # the call text of a method that no framework has


@dataclass(frozen=True)
class AffineShape:
    """The learnable γ/β of the layer that computes a method.

    ``axes`` are the axes of (N, C, H, W) that index γ (and β): "C" for one
    value per channel, "CHW" for one per element of a sample; ``None`` marks a
    method that no layer computes (so no count is claimed). ``default_on`` is
    False for a layer whose γ/β exist only when asked for (InstanceNorm2d's
    ``affine=False`` default).
    """

    axes: str | None
    has_gamma: bool = True
    has_beta: bool = True
    note: str = ""
    default_on: bool = True

    def per_parameter(self, shape: Shape4) -> int | None:
        """Values in γ (or β) for `shape`; None when no layer exists."""
        if self.axes is None:
            return None
        sizes = dict(zip("NCHW", shape, strict=True))
        count = 1
        for axis in self.axes:
            count *= sizes[axis]
        return count

    def count(self, shape: Shape4) -> int | None:
        """Learnable values in γ and β together when they are on; None when no layer exists."""
        per = self.per_parameter(shape)
        if per is None:
            return None
        return per * (int(self.has_gamma) + int(self.has_beta))

    def default_count(self, shape: Shape4) -> int | None:
        """Learnable values of the layer built with its defaults (0 for InstanceNorm2d)."""
        count = self.count(shape)
        return count if count is None or self.default_on else 0

    def formula(self) -> str:
        """The count as a formula in the axis letters, e.g. "2·C" or "C·H·W"."""
        if self.axes is None:
            return "—"
        factor = int(self.has_gamma) + int(self.has_beta)
        if factor == 0:
            return "0"
        letters = "·".join(self.axes)
        return letters if factor == 1 else f"{factor}·{letters}"

    def count_text(self, shape: Shape4) -> str:
        """The count for `shape` with its formula, e.g. "6 = 2·C"; "none (hypothetical: …)"."""
        count = self.count(shape)
        if count is None:
            return f"none ({self.note})"
        text = f"{count:,} = {self.formula()}" if count else "0 (no γ, no β)"
        return text if self.default_on else f"{text} with affine=True (default: 0)"

    def shape_text(self) -> str:
        """γ/β's shape in words, e.g. "(C,) each" or "(C, H, W), weight only"."""
        if self.axes is None:
            return "none (no layer computes it)"
        if not (self.has_gamma or self.has_beta):
            return "none"
        tuple_text = "(" + ", ".join(self.axes) + (",)" if len(self.axes) == 1 else ")")
        if self.has_gamma and self.has_beta:
            return f"{tuple_text} each"
        return f"{tuple_text}, weight only"


def _machine_eps(dtype: np.dtype | type) -> float:
    """``torch.finfo(dtype).eps``, the eps PyTorch's ``eps=None`` default means."""
    return float(np.finfo(dtype).eps)


@dataclass(frozen=True)
class DefaultEps:
    """Default eps of each framework's layer; None where the framework has no such layer.

    ``pytorch_dtype_eps`` marks PyTorch's ``eps=None`` default of nn.RMSNorm,
    which means ``torch.finfo(dtype).eps`` of the input's dtype.
    """

    pytorch: float | None
    keras: float | None
    other: str = ""  # a paper's default, in words
    pytorch_dtype_eps: bool = False

    def pytorch_value(self, dtype: np.dtype | type = np.float32) -> float | None:
        """The eps PyTorch's layer adds for input of `dtype`."""
        if self.pytorch_dtype_eps:
            return _machine_eps(dtype)
        return self.pytorch

    def text(self) -> str:
        """The defaults in one phrase, e.g. "PyTorch 1e-5, Keras 1e-3"."""
        parts = []
        if self.pytorch_dtype_eps:
            parts.append(
                "PyTorch eps=None, i.e. torch.finfo(dtype).eps "
                f"({eps_words(_machine_eps(np.float32))} for float32)"
            )
        elif self.pytorch is not None:
            parts.append(f"PyTorch {eps_words(self.pytorch)}")
        if self.keras is not None:
            parts.append(f"Keras {eps_words(self.keras)}")
        if self.other:
            parts.append(self.other)
        return ", ".join(parts) if parts else "no framework default"


def eps_words(value: float) -> str:
    """1e-05 as "1e-5" (as both frameworks' documentation writes it); 1.19e-07 as "1.19e-7"."""
    mantissa, exponent = f"{value:.2e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


@dataclass(frozen=True)
class MethodFacts:
    """How one method of the app is written in real code.

    ``pytorch`` and ``keras`` are runnable expressions of ``x`` (or "none…"
    when the framework has no such layer); ``eps_added_to`` says what eps is
    added to before the square root.
    """

    pytorch: str
    keras: str
    note: str
    affine: AffineShape
    eps: DefaultEps
    eps_added_to: str = "the variance"

    def eps_sentence(self) -> str:
        """E.g. "PyTorch 1e-5, Keras 1e-3; added to the variance"."""
        if self.eps.text() == "no framework default":
            return "no framework default"
        return f"{self.eps.text()}; added to {self.eps_added_to}"


_BN_EPS = DefaultEps(1e-5, 1e-3)  # every BN/LN/IN/GN layer of both frameworks
_MEAN_SQUARE = "the mean square"  # RMSNorm and PixelNorm do not centre

METHOD_FACTS: dict[str, MethodFacts] = {
    "method1": MethodFacts(
        NO_LAYER,
        NO_LAYER,
        "hypothetical: no framework has it and no paper names it",
        AffineShape(None, note="hypothetical: no layer exists, so no γ/β count is claimed"),
        DefaultEps(None, None),
    ),
    "method2": MethodFacts(
        "nn.BatchNorm1d(C * H * W)(x.flatten(1)).reshape(N, C, H, W)",
        "Reshape((C, H, W))(BatchNormalization()(Flatten()(x), training=True))",
        "per-activation BN: the BN paper's Algorithm 1, as used after fully connected layers. "
        "Keras 3 refuses BatchNormalization(axis=[1, 2, 3]) (a TypeError: axis must be one int)",
        AffineShape("CHW", note="per activation, as nn.BatchNorm1d(C·H·W)"),
        _BN_EPS,
    ),
    "method3": MethodFacts(
        "nn.BatchNorm2d(C)(x)",
        "BatchNormalization(axis=1)(x, training=True)",
        "Keras axis = the KEPT axis (C)",
        AffineShape("C", note="per channel (per feature map), as the BN paper's section 3.2"),
        _BN_EPS,
    ),
    "layernorm": MethodFacts(
        "nn.LayerNorm([C, H, W])(x)",
        "LayerNormalization(axis=[1, 2, 3])(x)",
        "Keras axis = the REDUCED axes",
        AffineShape("CHW", note="per element: normalized_shape (C, H, W)"),
        _BN_EPS,
    ),
    "instancenorm": MethodFacts(
        "nn.InstanceNorm2d(C)(x)",
        "GroupNormalization(groups=C, axis=1)(x)",
        "Keras has no InstanceNorm layer; GroupNormalization with one channel per group has its "
        "statistics. PyTorch: affine=False and no running statistics by default",
        AffineShape("C", note="per channel, but off by default (affine=False)", default_on=False),
        _BN_EPS,
    ),
    "groupnorm": MethodFacts(
        "nn.GroupNorm(G, C)(x)",
        "GroupNormalization(groups=G, axis=1)(x)",
        "γ/β per channel, not per group",
        AffineShape("C", note="per channel, not per group"),
        _BN_EPS,
    ),
    "rmsnorm": MethodFacts(
        "nn.RMSNorm([C, H, W])(x)",
        "RMSNormalization(axis=[1, 2, 3])(x)",
        "no centering and no β",
        AffineShape("CHW", has_beta=False, note="weight only, per element: RMSNorm has no β"),
        DefaultEps(None, 1e-6, pytorch_dtype_eps=True),
        eps_added_to=_MEAN_SQUARE,
    ),
    "pixelnorm": MethodFacts(
        "x / torch.sqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)",
        "UnitNormalization(axis=1)(x) * C ** 0.5",
        "no PyTorch layer: ProGAN writes it by hand as here. Keras' UnitNormalization(axis=1) "
        "divides by the channel vector's L2 norm, which is √C times its root mean square, so "
        "PixelNorm is that layer's output times √C (up to eps); no learnable parameters",
        AffineShape("C", has_gamma=False, has_beta=False, note="no learnable parameters"),
        DefaultEps(None, None, "ProGAN 1e-8"),
        eps_added_to=_MEAN_SQUARE,
    ),
    "positionnorm": MethodFacts(
        "nn.LayerNorm(C)(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)",
        "Permute((3, 1, 2))(LayerNormalization(axis=-1)(Permute((2, 3, 1))(x)))",
        "LayerNorm over channels, per pixel: what transformers and ConvNeXt call LayerNorm "
        "(nn.LayerNorm(C) on channels-last input)",
        AffineShape("C", note="per channel, as nn.LayerNorm(C) on channels-last input"),
        _BN_EPS,
    ),
}
METHOD_FACTS["batchnorm"] = METHOD_FACTS["method3"]

# Specs that match no named method: no layer, so no count or default is claimed.
CUSTOM_FACTS = MethodFacts(
    NO_LAYER,
    NO_LAYER,
    "no standard layer",
    AffineShape(None, note="no standard layer, so no γ/β count is claimed"),
    DefaultEps(None, None),
)


def facts_for(key: str | None) -> MethodFacts:
    """The facts of a method key from normlib.METHODS, or CUSTOM_FACTS for anything else."""
    return METHOD_FACTS.get(key or "", CUSTOM_FACTS)


# ------------------------------------------------ which inputs PyTorch's layers refuse
@dataclass(frozen=True)
class Refusal:
    """When the PyTorch layer of a method refuses an input, and what it says.

    ``pooled`` names the product that must exceed 1 (over N, C/G, H, W) and ``message`` is
    the start of torch's ValueError. ``in_eval`` says whether eval mode refuses too.
    tests/test_facts.py runs every layer on every degenerate shape and checks this table.
    """

    layer: str
    pooled: str  # the axes whose sizes multiply to the number torch checks, e.g. "NHW"
    message: str
    in_eval: bool

    def count(self, shape: Shape4, groups: int = 1) -> int:
        sizes = dict(zip("NCHW", shape, strict=True))
        sizes["C"] = shape[1] // groups  # GroupNorm checks the channels per group
        return int(np.prod([sizes[axis] for axis in self.pooled]))

    def refuses(self, shape: Shape4, training: bool = True, groups: int = 1) -> bool:
        return (training or self.in_eval) and self.count(shape, groups) == 1

    def condition(self, groups: int = 1) -> str:
        """E.g. 'H·W = 1, in training and in eval'."""
        product = "·".join(self.pooled).replace("C", "(C/G)" if groups > 1 else "C")
        return f"{product} = 1, " + ("in training and in eval" if self.in_eval else "in training")

    def sentence(self, groups: int = 1) -> str:
        """E.g. 'nn.InstanceNorm2d refuses it (H·W = 1, in training …): “Expected more …”'."""
        return f"{self.layer} refuses it ({self.condition(groups)}): “{self.message}”"


_ONE_VALUE = "Expected more than 1 value per channel when training"
REFUSALS: dict[str, Refusal] = {
    "method2": Refusal("nn.BatchNorm1d(C·H·W)", "N", _ONE_VALUE, in_eval=False),
    "method3": Refusal("nn.BatchNorm2d", "NHW", _ONE_VALUE, in_eval=False),
    "batchnorm": Refusal("nn.BatchNorm2d", "NHW", _ONE_VALUE, in_eval=False),
    # Default InstanceNorm2d keeps no running statistics, so eval uses the input's too.
    "instancenorm": Refusal(
        "nn.InstanceNorm2d",
        "HW",
        "Expected more than 1 spatial element when training",
        in_eval=True,
    ),
    "groupnorm": Refusal("nn.GroupNorm", "NCHW", _ONE_VALUE, in_eval=True),
}


def torch_refusal(key: str, shape: Shape4, groups: int = 1, training: bool = True) -> str:
    """The sentence saying how PyTorch's layer for `key` refuses `shape`, or "" if it runs."""
    refusal = REFUSALS.get(key)
    if refusal is None or not refusal.refuses(shape, training, groups):
        return ""
    return refusal.sentence(groups)


def has_layer(call: str) -> bool:
    """Whether a ``pytorch``/``keras`` entry is a runnable call (not "none")."""
    return not call.startswith(NO_LAYER)
