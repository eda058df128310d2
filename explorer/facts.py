"""One table of what each named method is in PyTorch and Keras: layer, γ/β shape, default eps.

Every page that states a γ/β count, a framework call or a default eps reads it
from :data:`METHOD_FACTS`; the sentences are built from these entries and the
input's shape, never typed into a page. Keras calls assume channels-first input
(N, C, H, W), as everywhere in this app. Sources: PyTorch 2.13 and Keras 3
documentation and defaults (checked live in tests/test_facts.py), the BN paper
(Ioffe & Szegedy 2015, Alg. 1 and section 3.2), the GN paper (Wu & He 2018) and
ProGAN (Karras et al. 2018, section 4.2).
"""

from __future__ import annotations

from dataclasses import dataclass

Shape = tuple[int, int, int, int]


@dataclass(frozen=True)
class AffineShape:
    """The learnable γ/β of the layer that computes a method.

    ``axes`` are the axes of (N, C, H, W) that index γ (and β): "C" for one
    value per channel, "CHW" for one per element of a sample; ``None`` marks a
    method that no layer computes (so no count is claimed).
    """

    axes: str | None
    has_gamma: bool = True
    has_beta: bool = True
    note: str = ""

    def per_parameter(self, shape: Shape) -> int | None:
        """Values in γ (or β) for `shape`; None when no layer exists."""
        if self.axes is None:
            return None
        sizes = dict(zip("NCHW", shape, strict=True))
        count = 1
        for axis in self.axes:
            count *= sizes[axis]
        return count

    def count(self, shape: Shape) -> int | None:
        """Learnable values in γ and β together; None when no layer exists."""
        per = self.per_parameter(shape)
        if per is None:
            return None
        return per * (int(self.has_gamma) + int(self.has_beta))

    def formula(self) -> str:
        """The count as a formula in the axis letters, e.g. "2·C" or "C·H·W"."""
        if self.axes is None:
            return "—"
        factor = int(self.has_gamma) + int(self.has_beta)
        if factor == 0:
            return "0"
        letters = "·".join(self.axes)
        return letters if factor == 1 else f"{factor}·{letters}"

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


@dataclass(frozen=True)
class DefaultEps:
    """Default eps of each framework's layer; None where the framework has no such layer."""

    pytorch: float | str | None
    keras: float | None
    other: str = ""  # a paper's or a special default, in words

    def text(self) -> str:
        """The defaults in one phrase, e.g. "PyTorch 1e-5, Keras 1e-3"."""
        parts = []
        if self.pytorch is not None:
            parts.append(f"PyTorch {_eps_words(self.pytorch)}")
        if self.keras is not None:
            parts.append(f"Keras {_eps_words(self.keras)}")
        if self.other:
            parts.append(self.other)
        return ", ".join(parts) if parts else "no framework default"


def _eps_words(value: float | str) -> str:
    # 1e-05 reads as 1e-5 in both frameworks' documentation
    return value if isinstance(value, str) else f"{value:.0e}".replace("e-0", "e-")


@dataclass(frozen=True)
class MethodFacts:
    """How one method of the app is written in real code."""

    pytorch: str
    keras: str
    note: str
    affine: AffineShape
    eps: DefaultEps
    eps_added_to: str = "the variance"  # RMSNorm and PixelNorm add it to the mean square


_BN_EPS = DefaultEps(1e-5, 1e-3)
_PER_CHANNEL = AffineShape("C")

METHOD_FACTS: dict[str, MethodFacts] = {
    "method1": MethodFacts(
        "none",
        "none",
        "hypothetical: no framework has it and no paper names it",
        AffineShape(None, note="hypothetical: no layer exists, so no γ/β count is claimed"),
        DefaultEps(None, None),
    ),
    "method2": MethodFacts(
        "nn.BatchNorm1d(C·H·W) on x.flatten(1), then reshape back",
        "Flatten() → BatchNormalization() → Reshape((C, H, W))",
        "per-activation BN: the BN paper's Algorithm 1, as used after fully connected layers",
        AffineShape("CHW", note="per activation, as nn.BatchNorm1d(C·H·W)"),
        _BN_EPS,
    ),
    "method3": MethodFacts(
        "nn.BatchNorm2d(C)",
        "BatchNormalization(axis=1)",
        "Keras axis = the KEPT axis (C)",
        AffineShape("C", note="per channel (per feature map), as the BN paper's section 3.2"),
        _BN_EPS,
    ),
    "layernorm": MethodFacts(
        "nn.LayerNorm([C, H, W])",
        "LayerNormalization(axis=[1, 2, 3])",
        "Keras axis = the REDUCED axes",
        AffineShape("CHW", note="per element: normalized_shape (C, H, W)"),
        _BN_EPS,
    ),
    "instancenorm": MethodFacts(
        "nn.InstanceNorm2d(C)",
        "none built in; GroupNormalization(groups=C, axis=1) has its statistics",
        "PyTorch: affine=False and no running statistics by default",
        AffineShape("C", note="per channel, but off by default (affine=False)"),
        _BN_EPS,
    ),
    "groupnorm": MethodFacts(
        "nn.GroupNorm(G, C)",
        "GroupNormalization(groups=G, axis=1)",
        "γ/β per channel, not per group",
        AffineShape("C", note="per channel, not per group"),
        _BN_EPS,
    ),
    "rmsnorm": MethodFacts(
        "nn.RMSNorm([C, H, W])",
        "RMSNormalization(axis=[1, 2, 3])",
        "no centering and no β",
        AffineShape("CHW", has_beta=False, note="weight only, per element: RMSNorm has no β"),
        DefaultEps("None (torch.finfo(dtype).eps)", 1e-6),
        eps_added_to="the mean square",
    ),
    "pixelnorm": MethodFacts(
        "none built in (ProGAN writes it by hand)",
        "none built in",
        "no centering, no learnable parameters",
        AffineShape("C", has_gamma=False, has_beta=False, note="no learnable parameters"),
        DefaultEps(None, None, "ProGAN 1e-8"),
        eps_added_to="the mean square",
    ),
    "positionnorm": MethodFacts(
        "nn.LayerNorm(C) on x.permute(0, 2, 3, 1) (channels-last)",
        "LayerNormalization(axis=1)",
        "LayerNorm over channels, per pixel: what transformers and ConvNeXt call LayerNorm",
        AffineShape("C", note="per channel, as nn.LayerNorm(C) on channels-last input"),
        _BN_EPS,
    ),
}
METHOD_FACTS["batchnorm"] = METHOD_FACTS["method3"]

# Specs that match no named method: γ/β as this app applies them (one value each, scalar).
CUSTOM_FACTS = MethodFacts(
    "none",
    "none",
    "no standard layer",
    AffineShape(None, note="no standard layer, so no γ/β count is claimed"),
    DefaultEps(None, None),
)


def facts_for(key: str | None) -> MethodFacts:
    """The facts of a method key from normlib.METHODS, or CUSTOM_FACTS for anything else."""
    return METHOD_FACTS.get(key or "", CUSTOM_FACTS)
