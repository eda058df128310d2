"""NormSpec: which axes of an (N, C, H, W) tensor share one mean and variance.

A spec is parsed once from user input into an immutable object; everything
else (normalize, set_ids, identify, the formulas) reads that object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from normlib._errors import NormError
from normlib._latex import group_set, set_size, statistic_formulas, statistic_subscript
from normlib.typing import Axes, Shape, Shape4

AXES = "NCHW"
AXIS_NAMES = {"N": "batch", "C": "channel", "H": "height", "W": "width"}

# Letters people type when they mean one of ours; used only to make the
# error message point at the fix.
_LETTER_HINTS = {
    "B": "N (the batch axis is called N)",
    "X": "W (the width axis)",
    "Y": "H (the height axis)",
    "D": "C (channels/features are called C)",
    "F": "C (channels/features are called C)",
    "G": "C with groups=G (GroupNorm is NormSpec('CHW', groups=G))",
}


def _parse_axes(axes: object) -> Axes:
    """Return the canonical axes string (subset of 'NCHW' in that order)."""
    if isinstance(axes, str):
        letters = list(axes.replace(",", "").replace(" ", "").upper())
        shown = repr(axes)
    elif isinstance(axes, Iterable) and not isinstance(axes, (bytes, bytearray)):
        items = list(axes)
        if not all(isinstance(item, str) for item in items):
            raise NormError(
                f"axes must be letters from N, C, H, W, got {axes!r}; "
                "write them as a string, e.g. 'NHW' for BatchNorm2d"
            )
        letters = [item.strip().upper() for item in items]
        shown = repr(axes)
    else:
        raise NormError(
            f"axes must be a string of letters from N, C, H, W, got {axes!r} "
            f"({type(axes).__name__}); e.g. NormSpec('NHW') for BatchNorm2d, NormSpec('') for none"
        )
    seen: set[str] = set()
    for letter in letters:
        if letter not in AXES:
            hint = _LETTER_HINTS.get(letter)
            fix = f" Did you mean {hint}?" if hint else ""
            raise NormError(
                f"unknown axis {letter!r} in axes {shown}: axes are letters from N, C, H, W "
                f"(batch, channel, height, width), e.g. 'NHW' for BatchNorm2d or 'CHW' "
                f"for LayerNorm.{fix}"
            )
        if letter in seen:
            raise NormError(
                f"axis {letter!r} appears more than once in axes {shown}; name each axis once, "
                f"e.g. {''.join(a for a in AXES if a in set(letters))!r}"
            )
        seen.add(letter)
    return "".join(a for a in AXES if a in seen)


def _check_groups(groups: object, axes: Axes) -> int:
    if isinstance(groups, np.integer):
        groups = int(groups)
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise NormError(
            f"groups must be a whole number, got {groups!r}; e.g. groups=4 for GroupNorm(4)"
        )
    if groups < 1:
        raise NormError(
            f"groups must be at least 1, got {groups}; groups=1 means no channel grouping"
        )
    if groups > 1 and "C" not in axes:
        raise NormError(
            f"groups={groups} splits the channel axis, but C is not among the reduced axes "
            f"{axes or '(none)'!r}; add C (e.g. NormSpec('CHW', groups={groups}) is "
            f"GroupNorm({groups})) or use groups=1"
        )
    return groups


@dataclass(frozen=True)
class SpecLatex:
    """LaTeX for a spec's statistics, ready for ``st.latex`` or a notebook.

    Attributes
    ----------
    mean, var, output : str
        The mean (zero when not centering), variance (mean square when not
        centering) and output formulas, with their index sets.
    count : str
        The set size, symbolic and, when a shape was given, with numbers
        filled in (``m = N \\cdot H \\cdot W = 8 \\cdot 32 \\cdot 32 = 8192``).
    group_set : str
        With groups, the channels of group g (``\\mathcal{G}_g``); else "".
    """

    mean: str
    var: str
    output: str
    count: str
    group_set: str = ""


@dataclass(frozen=True, eq=False)
class NormSpec:
    """Which axes of an (N, C, H, W) tensor are reduced to one mean and variance.

    Parameters
    ----------
    axes : str
        Any subset of the letters N, C, H, W, in any order and case
        (``"nhw"`` equals ``"NHW"``); ``""`` reduces nothing. Stored in
        canonical NCHW order.
    groups : int
        Split the channel axis into this many contiguous groups; reducing
        over C then happens within each group only, so GroupNorm(G) is
        ``NormSpec("CHW", groups=G)``. Needs C in `axes` when above 1.
    center : bool
        Subtract the mean. ``False`` divides by the root mean square instead
        (RMSNorm, PixelNorm).

    Examples
    --------
    >>> NormSpec("hwn")
    NormSpec(axes='NHW', groups=1, center=True)
    >>> NormSpec("CHW", groups=4).n_sets((8, 16, 32, 32))
    32
    """

    axes: Axes
    groups: int = 1
    center: bool = True

    def __post_init__(self) -> None:
        axes = _parse_axes(self.axes)
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "groups", _check_groups(self.groups, axes))
        if not isinstance(self.center, bool):
            if not isinstance(self.center, np.bool_):
                raise NormError(f"center must be True or False, got {self.center!r}")
            object.__setattr__(self, "center", bool(self.center))

    # Equality and hashing see only what is computed, so a named preset from
    # METHODS equals the plain spec it stands for.
    def _identity(self) -> tuple[str, int, bool]:
        return (self.axes, self.groups, self.center)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NormSpec):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    # ------------------------------------------------------------------ shape
    def check_shape(self, shape: Shape) -> Shape4:
        """Return `shape` as four ints, or raise NormError if this spec cannot apply to it."""
        shape = tuple(shape)
        if len(shape) != 4:
            raise NormError(
                f"expected a 4-D (N, C, H, W) shape, got {len(shape)}-D shape {shape}; "
                "reshape to (N, C, H, W), e.g. x[None] for a single (C, H, W) map"
            )
        if any(int(size) < 1 for size in shape):
            raise NormError(
                f"every dimension of (N, C, H, W) must be at least 1, got {shape}; "
                "an empty tensor has nothing to normalize"
            )
        n, c, h, w = (int(size) for size in shape)
        if c % self.groups:
            divisors = [d for d in range(1, c + 1) if c % d == 0]
            raise NormError(
                f"groups={self.groups} does not divide C={c}: each group needs the same number "
                f"of channels; choose groups from {divisors}"
            )
        return n, c, h, w

    def _axis_sizes(self, shape: Shape) -> dict[str, int]:
        """Each axis's length within one set; C counts the channels of one group."""
        n, c, h, w = self.check_shape(shape)
        return {"N": n, "C": c // self.groups, "H": h, "W": w}

    def count(self, shape: Shape) -> int:
        """Elements per reduction set on a tensor of `shape`."""
        sizes = self._axis_sizes(shape)
        total = 1
        for axis in self.axes:
            total *= sizes[axis]
        return total

    def n_sets(self, shape: Shape) -> int:
        """Number of reduction sets (distinct means) on a tensor of `shape`."""
        n, c, h, w = self.check_shape(shape)
        return (n * c * h * w) // self.count(shape)

    def kept_axes(self) -> str:
        """The axes not reduced: one statistic per combination of these."""
        return "".join(a for a in AXES if a not in self.axes)

    # ------------------------------------------------------------- formulas
    def latex(self, shape: Shape | None = None) -> SpecLatex:
        """Exact LaTeX formulas of this spec's statistics, with index sets.

        Parameters
        ----------
        shape : tuple of int, optional
            When given, the set size is written out with the numbers,
            e.g. ``m = N \\cdot H \\cdot W = 8 \\cdot 32 \\cdot 32 = 8192``.

        Returns
        -------
        SpecLatex
        """
        grouped = self.groups > 1
        stat_sub = statistic_subscript(self.axes, grouped, self.kept_axes())
        mean, var, output = statistic_formulas(self.axes, grouped, self.center, stat_sub)
        sizes = None if shape is None else self._axis_sizes(shape)
        count = set_size(self.axes, grouped, sizes)
        return SpecLatex(
            mean=mean, var=var, output=output, count=count, group_set=group_set(self.groups)
        )


@dataclass(frozen=True, eq=False)
class Preset(NormSpec):
    """A named NormSpec from :data:`METHODS`; equality ignores the labels."""

    name: str = field(default="", compare=False)
    description: str = field(default="", compare=False)


def _preset(
    axes: Axes, name: str, description: str, groups: int = 1, center: bool = True
) -> Preset:
    return Preset(axes, groups, center, name=name, description=description)


METHODS: dict[str, Preset] = {
    "method1": _preset(
        "NC",
        "Method 1",
        "The question's Method 1: one mean per pixel (h, w), over the batch and all channels.",
    ),
    "method2": _preset(
        "N",
        "Method 2",
        "The question's Method 2: one mean per activation (c, h, w), over the batch only.",
    ),
    "method3": _preset(
        "NHW",
        "Method 3",
        "The question's Method 3: one mean per channel over batch and space = BatchNorm2d.",
    ),
    "batchnorm": _preset(
        "NHW",
        "BatchNorm",
        "BatchNorm2d: one mean and variance per channel, over the batch and all positions.",
    ),
    "layernorm": _preset(
        "CHW",
        "LayerNorm",
        "LayerNorm (GN paper): one mean per sample, over all channels and positions.",
    ),
    "instancenorm": _preset(
        "HW",
        "InstanceNorm",
        "InstanceNorm2d: one mean per sample and channel, over the positions.",
    ),
    "groupnorm": _preset(
        "CHW",
        "GroupNorm",
        "GroupNorm(G): one mean per sample and group of C/G channels.",
        groups=2,
    ),
    "rmsnorm": _preset(
        "CHW",
        "RMSNorm",
        "RMSNorm over (C, H, W): divide each sample by its root mean square, no centering.",
        center=False,
    ),
    "pixelnorm": _preset(
        "C",
        "PixelNorm",
        "PixelNorm (ProGAN): divide each pixel's channel vector by its RMS, no centering.",
        center=False,
    ),
    # Key kept from when this was labelled PONO, so that old links still work.
    "positionnorm": _preset(
        "C",
        "LayerNorm over channels",
        "LayerNorm over channels, as transformers and ConvNeXt use it (nn.LayerNorm(C) on "
        "channels-last; also called positional normalization, PONO): one mean per sample "
        "and pixel, over the channels.",
    ),
}


# What every function taking a spec accepts: a NormSpec, a METHODS key or an axes string.
SpecLike = NormSpec | str


def as_spec(spec: SpecLike) -> NormSpec:
    """Return `spec` as a NormSpec: a NormSpec, a METHODS key or an axes string."""
    if isinstance(spec, NormSpec):
        return spec
    if isinstance(spec, str):
        key = spec.strip().lower()
        if key in METHODS:
            return METHODS[key]
        try:
            return NormSpec(spec)
        except NormError as error:
            raise NormError(
                f"{spec!r} is neither a method name ({', '.join(METHODS)}) nor an axes string; "
                f"{error}"
            ) from None
    raise NormError(
        f"spec must be a NormSpec, a method name or an axes string, got {spec!r} "
        f"({type(spec).__name__}); "
        "e.g. normalize(x, 'batchnorm') or normalize(x, NormSpec('NHW'))"
    )
