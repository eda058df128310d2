"""identify: the name a learner knows for a spec, or an honest 'no standard name'.

Names are matched on what is computed (axes, groups, centering), never on how the spec was
written, so ``"batchnorm"``, ``"method3"`` and ``NormSpec("hwn")`` all get BatchNorm2d's name.
"""

from __future__ import annotations

from normlib._spec import AXES, NormSpec, SpecLike, as_spec
from normlib.typing import Axes, Shape

# Transformers and ConvNeXt call it LayerNorm: nn.LayerNorm(C) on channels-last.
_CHANNELS_LAYERNORM = "LayerNorm over channels (ConvNeXt / transformer LayerNorm; also PONO)"

_NAMED: list[tuple[str, int | None, bool, str]] = [
    # (axes, groups: 1, None = any > 1, center, name)
    ("NHW", 1, True, "BatchNorm2d (Method 3)"),
    ("N", 1, True, "per-activation BatchNorm (Method 2)"),
    ("CHW", 1, True, "LayerNorm"),
    ("HW", 1, True, "InstanceNorm2d"),
    ("C", 1, True, _CHANNELS_LAYERNORM),
    ("CHW", 1, False, "RMSNorm"),
    ("C", 1, False, "PixelNorm"),
]


def _axes_words(axes: Axes) -> str:
    return ", ".join(axes) if axes else "nothing"


def identify(spec: SpecLike, shape: Shape | None = None) -> str:
    """The name a learner knows for `spec`, or an honest 'no standard name'.

    Parameters
    ----------
    spec : NormSpec or str
    shape : tuple of int, optional
        When given, relations that depend on the shape are added, e.g.
        GroupNorm(G) with G = C has InstanceNorm2d's statistics.

    Returns
    -------
    str

    Examples
    --------
    >>> identify("NHW")
    'BatchNorm2d (Method 3)'
    >>> identify(NormSpec("CHW", groups=4))
    'GroupNorm(4)'
    >>> identify("instancenorm", (2, 3, 1, 1))  # doctest: +NORMALIZE_WHITESPACE
    "InstanceNorm2d; here every set is one element (H·W = 1), so the output is 0 (+ beta):
    torch's F.instance_norm refuses this shape"
    """
    spec = as_spec(spec)
    name = _name(spec, shape)
    if shape is None or not spec.axes or not spec.center or spec.count(shape) > 1:
        return name
    # One element per set: x - mean = 0 exactly. normalize computes it (so any
    # shape can be explored); PyTorch refuses it in training, which we say.
    product = "·".join("C/G" if a == "C" and spec.groups > 1 else a for a in spec.axes)
    note = f"; here every set is one element ({product} = 1), so the output is 0 (+ beta)"
    if spec == NormSpec("HW"):
        note += ": torch's F.instance_norm refuses this shape"
    elif spec == NormSpec("NHW"):
        note += ": torch's BatchNorm2d refuses this shape in training"
    elif spec == NormSpec("N"):
        note += ": torch's BatchNorm1d(C·H·W) on x.flatten(1) refuses this shape in training"
    return name + note


def _name(spec: NormSpec, shape: Shape | None) -> str:
    """identify() without the shape-specific note on one-element sets."""
    if shape is not None:
        spec.check_shape(shape)
    return _special_name(spec, shape) or _listed_name(spec, shape) or _closest_name(spec)


def _special_name(spec: NormSpec, shape: Shape | None) -> str | None:
    """Names that need words of their own: no reduction, Method 1, GroupNorm, everything."""
    axes, groups, center = spec.axes, spec.groups, spec.center
    if not axes:
        return (
            "no reduction: every element is its own set, so the output is 0 (+ beta)"
            if center
            else (
                "no reduction: every element is its own set, divided by its own root mean "
                "square: x/√(x² + eps), near ±1 where x² ≫ eps and 0 at x = 0"
            )
        )
    if axes == "NC" and center and groups == 1:
        return (
            "Method 1 (no standard name; closest: LayerNorm over channels (PONO), "
            "which averages over C per sample, not over N)"
        )
    if axes == "CHW" and groups > 1 and center:
        name = f"GroupNorm({groups})"
        if shape is not None and groups == shape[1]:
            name += " (G = C: the same statistics as InstanceNorm2d)"
        return name
    if axes == "NCHW" and center and groups == 1:
        return "whole-tensor standardization (no standard layer; one mean for everything)"
    return None


def _listed_name(spec: NormSpec, shape: Shape | None) -> str | None:
    """The standard layer of `_NAMED` with exactly these statistics, if any."""
    for named_axes, named_groups, named_center, name in _NAMED:
        if (spec.axes, spec.groups, spec.center) == (named_axes, named_groups, named_center):
            if name == "LayerNorm" and shape is not None:
                return "LayerNorm (= GroupNorm(1) statistics)"
            return name
    return None


def _closest_name(spec: NormSpec) -> str:
    """No standard name: say so and name the closest relative and how it differs."""
    axes, groups, center = spec.axes, spec.groups, spec.center
    candidates = [(a, c, n) for a, g, c, n in _NAMED if g == 1] + [("CHW", True, "GroupNorm")]
    if groups > 1:
        candidates = [("CHW", True, f"GroupNorm({groups})")]

    def distance(candidate: tuple[str, bool, str]) -> tuple[int, bool]:
        cand_axes, cand_center, _ = candidate
        return (len(set(cand_axes) ^ set(axes)), cand_center != center)

    closest_axes, closest_center, closest_name = min(candidates, key=distance)
    also = "".join(a for a in AXES if a in closest_axes and a not in axes)
    not_ = "".join(a for a in AXES if a in axes and a not in closest_axes)
    differences = []
    if also:
        differences.append(f"also reduces {_axes_words(also)}")
    if not_:
        differences.append(f"does not reduce {_axes_words(not_)}")
    if closest_center != center:
        differences.append("centers" if closest_center else "does not center")
    tail = f", which {' and '.join(differences)}" if differences else ""
    grouped = f" with {groups} channel groups" if groups > 1 else ""
    centering = "" if center else ", RMS only"
    return (
        f"no standard name (reduces {_axes_words(axes)}{grouped}{centering}; "
        f"closest: {closest_name}{tail})"
    )
