"""The LaTeX of a spec's statistics, built piece by piece for :meth:`NormSpec.latex`.

Each piece reads only the reduced axes, the grouping and the centering (and, for the set size,
the axis sizes), never a computed result, so the formulas a page shows say exactly which
elements share a statistic.
"""

from __future__ import annotations

import math

from normlib.typing import Axes

# The index letter of each axis in x_{n,c,h,w}.
INDEX = {"N": "n", "C": "c", "H": "h", "W": "w"}

# The element every formula is written for.
_ELEMENT = "x_{n,c,h,w}"


def statistic_subscript(axes: Axes, grouped: bool, kept_axes: str) -> str:
    """The subscript of a statistic: the indices it varies over (``_{c}`` for BatchNorm)."""
    kept = [INDEX[a] for a in kept_axes]
    if grouped:
        # Reducing C within a group: the statistic is indexed by the group g.
        kept = ["n", "g"] + [INDEX[a] for a in "HW" if a not in axes]
        if "N" in axes:
            kept.remove("n")
    sub = ",".join(kept)
    return f"_{{{sub}}}" if sub else ""


def average(axes: Axes, grouped: bool) -> str:
    """The averaging operator ``1/m Σ ... Σ`` over the reduced axes (a group's channels for C)."""
    sums = []
    for axis in axes:
        if axis == "C" and grouped:
            sums.append(r"\sum_{c \in \mathcal{G}_g}")
        else:
            upper = axis
            sums.append(rf"\sum_{{{INDEX[axis]}=1}}^{{{upper}}}")
    # With no reduced axis every element is its own set: no average at all.
    return (r"\frac{1}{m} " + " ".join(sums) + " ") if axes else ""


def statistic_formulas(
    axes: Axes, grouped: bool, center: bool, stat_sub: str
) -> tuple[str, str, str]:
    """The mean, variance (mean square without centering) and output formulas."""
    mean_of = average(axes, grouped)
    elem = _ELEMENT
    if center:
        mean = rf"\mu{stat_sub} = {mean_of}{elem}"
        var = rf"\sigma^2{stat_sub} = {mean_of}\left({elem} - \mu{stat_sub}\right)^2"
        output = (
            rf"y_{{n,c,h,w}} = \gamma \, \frac{{{elem} - \mu{stat_sub}}}"
            rf"{{\sqrt{{\sigma^2{stat_sub} + \epsilon}}}} + \beta"
        )
        return mean, var, output
    mean = r"\text{no centering: } \mu = 0"
    var = rf"\nu{stat_sub} = {mean_of}{elem}^2"
    # RMS methods have no shift: RMSNorm scales by gamma only, and
    # PixelNorm (over C) has neither gamma nor beta.
    scale = "" if axes == "C" and not grouped else r"\gamma \, "
    output = rf"y_{{n,c,h,w}} = {scale}\frac{{{elem}}}{{\sqrt{{\nu{stat_sub} + \epsilon}}}}"
    return mean, var, output


def group_set(groups: int) -> str:
    """The channels of group g, ``\\mathcal{G}_g``, when channels are grouped; else ""."""
    if groups <= 1:
        return ""
    return (
        r"\mathcal{G}_g = \{\, (g-1)\tfrac{C}{G} + 1, \dots, g\tfrac{C}{G} \,\},"
        rf"\quad G = {groups}"
    )


def set_size(axes: Axes, grouped: bool, sizes: dict[str, int] | None = None) -> str:
    """``m = N \\cdot H \\cdot W``, followed by the numbers and the total when sizes are known."""
    factors = [r"\tfrac{C}{G}" if axis == "C" and grouped else axis for axis in axes]
    symbolic = r" \cdot ".join(factors) if factors else "1"
    if sizes is None:
        return f"m = {symbolic}"
    total = math.prod(sizes[a] for a in axes)
    if len(axes) > 1:
        numbers = r" \cdot ".join(str(sizes[a]) for a in axes)
        return f"m = {symbolic} = {numbers} = {total}"
    return f"m = {symbolic} = {total}"
