"""What the Explorer writes about one normalization: pure functions, no Streamlit.

The headline, the per-set statistics table, the after-check, the affine
parameter count, preset matching and the downloads all live here so tests
reach them without a server.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

import normlib
from normapp.facts import facts_for
from normlib import AXES, METHODS, NormSpec
from normlib.typing import Element, Shape4

AXIS_WORDS = {"N": "batch", "C": "channel", "H": "height", "W": "width"}
INDEX_WORDS = {"N": "sample n", "C": "channel c", "H": "row h", "W": "column w"}


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def headline(spec: NormSpec, shape: Shape4) -> str:
    """'6 sets × 480 elements per set', the answer to 'which numbers share a mean?'."""
    count = spec.count(shape)
    return f"{plural(spec.n_sets(shape), 'set')} × {plural(count, 'element')} per set"


def one_statistic_per(spec: NormSpec) -> str:
    """In words: what indexes the statistics, e.g. 'one mean per channel c'."""
    kept = spec.kept_axes()
    if spec.groups > 1:
        # C is reduced, but only within each group: the group index is kept.
        kept = ("N" if "N" in kept else "") + "G" + "".join(a for a in "HW" if a in kept)
    words = {**INDEX_WORDS, "G": "group g of C/G channels"}
    kept_words = [words[a] for a in kept]
    if "H" in kept and "W" in kept:
        kept_words = [w for w in kept_words if w not in (INDEX_WORDS["H"], INDEX_WORDS["W"])]
        kept_words.append("pixel (h, w)")
    stat = "mean and variance" if spec.center else "mean square"
    if not kept_words:
        return f"one {stat} for the whole tensor"
    return f"one {stat} per " + ", ".join(kept_words)


def reduced_words(spec: NormSpec) -> str:
    if not spec.axes:
        return "nothing (every element alone)"
    return ", ".join(f"{a} ({AXIS_WORDS[a]})" for a in spec.axes)


def stat_shape_text(result: normlib.NormResult) -> str:
    """The mean/var shape, with the grouped view named when there is one."""
    shape = tuple(result.mean.shape)
    if result.spec.groups > 1:
        return f"{shape}, against the grouped view (N, G, C/G, H, W) = {result.grouped_shape}"
    return str(shape)


@dataclass(frozen=True)
class AffineParameters:
    """The learnable γ/β of the layer that computes a spec, from normapp.facts.

    ``count`` is None when no layer computes the spec (Method 1, specs with no
    standard name): no count is claimed then, and ``note`` says why.
    """

    shape: str
    count: int | None
    formula: str
    note: str


def affine_parameters(spec: NormSpec, shape: Shape4, key: str | None = None) -> AffineParameters:
    """γ/β of `spec` on `shape`, read from the one table in normapp/facts.py.

    `key` is the preset the page shows (a METHODS key); when omitted, the
    preset that `spec` equals is used, if any.
    """
    if key is None or key not in METHODS or matching_preset(spec, key) != key:
        key = matching_preset(spec)
    affine = facts_for(key).affine
    return AffineParameters(affine.shape_text(), affine.count(shape), affine.formula(), affine.note)


def eps_help(spec: NormSpec, key: str | None) -> str:
    """The eps control's help: what eps is added to, and this method's framework defaults."""
    facts = facts_for(key if key in METHODS and matching_preset(spec, key) == key else None)
    added_to = "the variance" if spec.center else "the mean square"
    return (
        f"Added to {added_to} before the square root, so no set divides by 0. "
        f"Default for this method: {facts.eps.text()}."
    )


def matching_preset(spec: NormSpec, current: str | None = None) -> str | None:
    """The METHODS key whose preset equals `spec` (keeping `current` when it matches)."""

    def matches(key: str) -> bool:
        preset = METHODS[key]
        if key == "groupnorm":
            return spec.axes == "CHW" and spec.center and spec.groups > 1
        return preset == spec

    if current in METHODS and matches(current):
        return current
    return next((key for key in METHODS if matches(key)), None)


def kept_names(spec: NormSpec) -> list[str]:
    """The coordinates that index the sets, in set-id order: n, g or c, h, w (those kept)."""
    names = []
    for axis in AXES:
        if axis == "C" and spec.groups > 1:
            names.append("g")
        elif axis not in spec.axes:
            names.append(axis.lower())
    return names


def set_coordinates(spec: NormSpec, shape: Shape4) -> tuple[list[str], np.ndarray]:
    """Column names and values of the kept coordinates of every set, in set-id order."""
    n, c, h, w = shape
    sizes = {"N": n, "C": c, "H": h, "W": w}
    names: list[str] = []
    dims: list[int] = []
    for axis in AXES:
        if axis == "C" and spec.groups > 1:
            names.append("g")
            dims.append(spec.groups)
        elif axis not in spec.axes:
            names.append(axis.lower())
            dims.append(sizes[axis])
    if not names:
        return [], np.zeros((1, 0), dtype=np.int64)
    grids = np.indices(dims).reshape(len(dims), -1).T
    return names, grids


def statistics_table(result: normlib.NormResult) -> dict[str, np.ndarray]:
    """Per-set rows: set id, kept coordinates, element count, mean, variance (columns)."""
    names, coords = set_coordinates(result.spec, result.shape)
    table: dict[str, np.ndarray] = {"set": np.arange(result.n_sets)}
    for i, name in enumerate(names):
        table[name] = coords[:, i]
    table["elements"] = np.full(result.n_sets, result.count)
    table["mean" if result.spec.center else "mean (0: not centered)"] = result.set_mean.astype(
        np.float64
    )
    table["variance" if result.spec.center else "mean square"] = result.set_var.astype(np.float64)
    return table


def statistics_csv(result: normlib.NormResult) -> str:
    """The statistics table as CSV text (integers as such, floats at full precision)."""
    table = statistics_table(result)
    buffer = io.StringIO()
    columns = list(table.values())
    formats = ["%.17g" if column.dtype.kind == "f" else "%d" for column in columns]
    data = np.empty((result.n_sets, len(columns)), dtype=object)
    for i, column in enumerate(columns):
        data[:, i] = column
    np.savetxt(buffer, data, fmt=formats, delimiter=",", header=",".join(table), comments="")
    return buffer.getvalue()


# Above this many sets the statistics are offered as .npz, not CSV: a CSV of
# 2^24 rows took 37 s and 5 GB to write (issue 7), and no spreadsheet opens it.
CSV_MAX_ROWS = 100_000


def statistics_npz(result: normlib.NormResult) -> bytes:
    """Per-set statistics as .npz bytes: `mean` and `var` (or `mean_square`), stat-shaped."""
    buffer = io.BytesIO()
    if result.spec.center:
        np.savez(buffer, mean=result.mean, var=result.var)
    else:
        np.savez(buffer, mean=result.mean, mean_square=result.var)
    return buffer.getvalue()


def npy_megabytes(array: np.ndarray) -> float:
    """Size of `array` as a .npy file, in MB (10^6 bytes); the header is ~128 bytes."""
    return (array.nbytes + 128) / 1e6


def tensor_npy(array: np.ndarray) -> bytes:
    """The array as .npy bytes, for a download button."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


# Float32 outputs re-measured in float64: errors of this size are rounding, not a bug.
AFTER_CHECK_TOLERANCE = 1e-4


@dataclass(frozen=True)
class AfterCheck:
    """Every set of the output re-measured (γ and β undone) against what the formula predicts.

    Centred specs: each set's output mean should be 0 and its variance
    σ²/(σ²+eps), σ² the set's input variance. Non-centred specs (RMSNorm,
    PixelNorm): each set's output mean square should be ms/(ms+eps), ms the
    input mean square; nothing is predicted about the mean.

    Attributes
    ----------
    checked : bool
        False when γ = 0 (every output is β, nothing to re-measure); `reason` says so.
    holds : bool
        Every set within AFTER_CHECK_TOLERANCE and no set's output is NaN.
    center : bool
    n_sets, count : int
        Sets, and elements per set.
    worst_mean : float or None
        Largest |output mean| over the sets (centred specs only).
    worst_error : float
        Largest |measured − expected| variance (mean square) over the sets
        whose expected value is defined.
    n_zero : int
        Sets whose input variance (mean square) is exactly 0: their output is
        β, and their output variance is 0, not near 1.
    n_nan : int
        Sets whose output is NaN (0/0: a zero-variance set at eps = 0).
    shortfall_low, shortfall_high : float or None
        Over the sets with a nonzero statistic: the smallest and largest
        eps/(s+eps), how far the expected value sits below 1 (0 at eps = 0).
        None when every set has a zero statistic.
    eps : float
    reason : str
    """

    checked: bool
    holds: bool
    center: bool
    n_sets: int
    count: int
    worst_mean: float | None
    worst_error: float
    n_zero: int
    n_nan: int
    shortfall_low: float | None
    shortfall_high: float | None
    eps: float
    reason: str = ""


def after_check(result: normlib.NormResult, gamma: float = 1.0, beta: float = 0.0) -> AfterCheck:
    """Re-measure every set of `result.output` with γ and β undone; see AfterCheck."""
    center = result.spec.center
    if gamma == 0.0:
        return AfterCheck(
            False, False, center, result.n_sets, result.count, None, 0.0, 0, 0, None, None,
            result.eps, f"γ = 0 makes every output equal to β = {beta:g}: nothing to re-measure.",
        )  # fmt: skip
    # Per-set arrays stay float32 (the statistics are float32; the tolerance is
    # far above its rounding): at the cap there are 2^24 sets.
    stat = result.set_var  # input variance, or input mean square
    zero = stat == 0
    # Only a zero-statistic set at eps = 0 can give NaN (0/0); such sets are
    # reported, and set to β here so that the others are measured.
    output = result.output
    nan_sets = np.zeros(result.n_sets, dtype=bool)
    if result.eps == 0.0 and zero.any() and np.isnan(output).any():
        output = np.nan_to_num(output, nan=beta)
        nan_sets = zero
    if result.count == 1:  # every element is its own set: its mean is itself
        mean_y, var_y = output.reshape(-1), np.zeros_like(stat)
    else:
        # One centred pass over the output y gives each set's mean and variance
        # of y (normlib's per-set sums); γ and β are then undone per set.
        of_output = normlib.normalize(output, NormSpec(result.spec.axes, result.spec.groups))
        mean_y, var_y = of_output.set_mean, of_output.set_var
    del output
    mean_std = np.abs((mean_y - np.float32(beta)) / np.float32(gamma))
    if center:
        measured = var_y / np.float32(gamma**2)
    else:  # the mean square of (y − β)/γ
        measured = var_y / np.float32(gamma**2) + mean_std**2
    with np.errstate(divide="ignore", invalid="ignore"):
        error = np.abs(measured - stat / (stat + np.float32(result.eps)))
    # Zero-statistic sets: x̂ = 0, so the output is β and the measured value 0.
    error = np.where(zero, measured, error)
    error[nan_sets] = 0.0
    worst_error = float(error.max())
    worst_mean = None
    if center:
        worst_mean = float(np.where(nan_sets, 0, mean_std).max())
    shortfall_low = shortfall_high = None
    if not zero.all():
        low, high = stat[~zero].min(), stat[~zero].max()
        shortfall_low = float(result.eps / (float(high) + result.eps))
        shortfall_high = float(result.eps / (float(low) + result.eps))
    n_nan = int(nan_sets.sum())
    holds = (
        n_nan == 0
        and worst_error <= AFTER_CHECK_TOLERANCE
        and (worst_mean is None or worst_mean <= AFTER_CHECK_TOLERANCE)
    )
    return AfterCheck(
        True, holds, center, result.n_sets, result.count, worst_mean, worst_error,
        int(zero.sum()), n_nan, shortfall_low, shortfall_high, result.eps,
    )  # fmt: skip


def after_check_text(check: AfterCheck) -> str:
    """The after-check in sentences, each one computed from `check`."""
    if not check.checked:
        return check.reason
    stat, s = ("variance", "σ²") if check.center else ("mean square", "ms")
    parts = ["Each set of the output measured again, with γ and β undone."]
    n_regular = check.n_sets - check.n_zero
    if n_regular:
        subject = (
            "Every set"
            if not check.n_zero
            else f"Each of the {plural(n_regular, 'set')} with {s} > 0"
        )
        mean = (
            f"mean ≈ 0 (worst |mean| = {check.worst_mean:.1e}) and "
            if check.worst_mean is not None
            else ""
        )
        parts.append(
            f"{subject} has {mean}{stat} {s}/({s} + eps), {s} being its input {stat} "
            f"(worst deviation {check.worst_error:.1e})."
        )
        if check.eps == 0.0:
            parts.append("At eps = 0 that is exactly 1.")
        elif check.shortfall_low is not None:
            parts.append(
                f"That is below 1 by eps/({s} + eps): from {check.shortfall_low:.1e} "
                f"to {check.shortfall_high:.1e} here."
            )
    if check.n_zero:
        if check.count == 1 and check.center:
            why = "a set of one element has x − μ = 0"
        elif check.center:
            why = "all its values are equal"
        else:
            why = "all its values are 0"
        subject = (
            "Every set has"
            if check.n_zero == check.n_sets
            else f"{plural(check.n_zero, 'set')} {'has' if check.n_zero == 1 else 'have'}"
        )
        outcome = (
            "the output there is NaN (0/0, since eps = 0)"
            if check.n_nan
            else f"the output there is β, so its {stat} is 0, not near 1"
        )
        parts.append(f"{subject} {s} = 0 ({why}): {outcome}.")
    if not check.holds and not check.n_nan:
        parts.append(
            f"That is more than the {AFTER_CHECK_TOLERANCE:.0e} float32 rounding allows: "
            "the check fails."
        )
    return " ".join(parts)


def element_set(spec: NormSpec, shape: Shape4, element: Element) -> tuple[int, str]:
    """The set id of `element` and its index set in words, e.g. 'all n, h, w at c = 1'."""
    n, c, h, w = element
    # The id counts the kept coordinates in C order (as normlib.set_ids does),
    # computed directly rather than materializing every id.
    names = kept_names(spec)
    per_group = shape[1] // spec.groups
    value_of = {"n": n, "g": c // per_group, "c": c, "h": h, "w": w}
    size_of = {"n": shape[0], "g": spec.groups, "c": shape[1], "h": shape[2], "w": shape[3]}
    set_id = (
        int(np.ravel_multi_index([value_of[k] for k in names], [size_of[k] for k in names]))
        if names
        else 0
    )
    fixed = []
    for axis, value in zip(AXES, element, strict=True):
        if axis == "C" and spec.groups > 1:
            per = shape[1] // spec.groups
            fixed.append(f"channels {c // per * per}–{c // per * per + per - 1}")
        elif axis not in spec.axes:
            fixed.append(f"{axis.lower()} = {value}")
    free = [a.lower() for a in spec.axes if not (a == "C" and spec.groups > 1)]
    if not spec.axes:
        return set_id, "this element alone"
    where = f" at {', '.join(fixed)}" if fixed else ""
    return set_id, f"all {', '.join(free) if free else 'elements'}{where}"


@dataclass(frozen=True)
class StatsGrid:
    """Per-set means and variances laid out as a 2-D grid for a heatmap."""

    means: np.ndarray
    variances: np.ndarray
    row_label: str
    col_label: str


def stats_grid(result: normlib.NormResult) -> StatsGrid:
    """Arrange per-set statistics by their kept coordinates: the last one across, the rest down."""
    names = kept_names(result.spec)
    sizes = {
        "n": result.shape[0],
        "g": result.spec.groups,
        "c": result.shape[1],
        "h": result.shape[2],
        "w": result.shape[3],
    }
    dims = [sizes[name] for name in names] or [1]
    cols = dims[-1]
    rows = result.n_sets // cols
    row_label = "·".join(names[:-1]) if len(names) > 1 else "(one row)"
    col_label = names[-1] if names else "(one column)"
    return StatsGrid(
        means=result.set_mean.astype(np.float64).reshape(rows, cols),
        variances=result.set_var.astype(np.float64).reshape(rows, cols),
        row_label=row_label,
        col_label=col_label,
    )


def eps_zero_note(result: normlib.NormResult) -> str | None:
    """At eps = 0, what happens to the sets whose variance (mean square) is 0, or None.

    Said from normlib's own output, and what PyTorch does with the same
    choice (checked live in tests/test_state_summary.py).
    """
    if result.eps != 0.0:
        return None
    zero = result.set_var == 0
    if not zero.any():
        return None
    stat = "variance" if result.spec.center else "mean square"
    # What this app outputs there: any element of such a set tells (they all agree).
    value = float(result.output[result.expand(result.var) == 0][0])
    shown = "NaN (0/0)" if np.isnan(value) else f"{value:g}"
    return (
        f"eps = 0 and {plural(int(zero.sum()), 'set')} of {result.n_sets:,} "
        f"{'has' if zero.sum() == 1 else 'have'} {stat} 0: "
        f"their output here is {shown}. PyTorch differs by layer: its batch norm refuses "
        "eps = 0 in training, F.instance_norm returns 0 for a constant channel, "
        "F.layer_norm and F.group_norm return NaN. Set eps > 0 to avoid the question."
    )


@dataclass(frozen=True)
class ElementArithmetic:
    """One element's whole computation with the real numbers (float64 from float32 stats).

    For centred specs ``stat`` is the set's biased variance σ² and ``mean``
    its mean μ; for non-centred specs ``stat`` is the mean square ms and
    ``mean`` is None. ``root`` = √(stat + eps), ``normalized`` = x̂ and
    ``output`` = γ·x̂ + β; ``stored_output`` is the value in the output tensor.
    """

    element: Element
    set_id: int
    x: float
    count: int
    mean: float | None
    stat: float
    eps: float
    root: float
    normalized: float
    gamma: float
    beta: float
    output: float
    stored_output: float


def element_arithmetic(
    x: np.ndarray,
    result: normlib.NormResult,
    element: Element,
    gamma: float = 1.0,
    beta: float = 0.0,
) -> ElementArithmetic:
    """The computation of output[element] step by step, from its set's statistics."""
    set_id, _ = element_set(result.spec, result.shape, element)
    n, c, h, w = (int(i) for i in element)  # plain ints, e.g. from NumPy integers
    value = float(x[element])
    stat = float(result.set_var[set_id])
    mean = float(result.set_mean[set_id]) if result.spec.center else None
    root = float(np.sqrt(stat + result.eps))
    with np.errstate(divide="ignore", invalid="ignore"):
        normalized = float(np.float64(value - (mean or 0.0)) / root)
    return ElementArithmetic(
        element=(n, c, h, w),
        set_id=set_id,
        x=value,
        count=result.count,
        mean=mean,
        stat=stat,
        eps=result.eps,
        root=root,
        normalized=normalized,
        gamma=gamma,
        beta=beta,
        output=gamma * normalized + beta,
        stored_output=float(result.output[element]),
    )


def _num(value: float) -> str:
    """A number for LaTeX: 6 significant digits, scientific as a power of ten."""
    text = f"{value:.6g}"
    if "e" in text:
        mantissa, power = text.split("e")
        return rf"{mantissa} \times 10^{{{int(power)}}}"
    return "\\text{NaN}" if text == "nan" else text


def _operand(value: float) -> str:
    """A number after a minus or times sign: negative ones in parentheses."""
    return f"({_num(value)})" if value < 0 else _num(value)


def element_arithmetic_latex(a: ElementArithmetic) -> str:
    """The computation as one aligned LaTeX block, every number from `a`."""
    n, c, h, w = a.element
    lines = [rf"x_{{{n},{c},{h},{w}}} &= {_num(a.x)}", rf"m &= {a.count:,}".replace(",", "{,}")]
    # Each definition on one row and its numbers on the next ("&= …"), so that the
    # block fits a 390-px phone: one row with both ran 417 px in a 324-px box.
    if a.mean is not None:
        lines += [
            rf"\mu &= \tfrac{{1}}{{m}} \textstyle\sum x \\ &= {_num(a.mean)}",
            rf"\sigma^2 &= \tfrac{{1}}{{m}} \textstyle\sum (x - \mu)^2 \\ &= {_num(a.stat)}",
            rf"\sqrt{{\sigma^2 + \epsilon}} &= \sqrt{{{_num(a.stat)} + {_num(a.eps)}}} "
            rf"\\ &= {_num(a.root)}",
            rf"\hat x &= \frac{{x - \mu}}{{\sqrt{{\sigma^2 + \epsilon}}}} \\ &= "
            rf"\frac{{{_num(a.x)} - {_operand(a.mean)}}}{{{_num(a.root)}}} "
            rf"\\ &= {_num(a.normalized)}",
        ]
    else:
        lines += [
            rf"\mathrm{{ms}} &= \tfrac{{1}}{{m}} \textstyle\sum x^2 \\ &= {_num(a.stat)}",
            rf"\sqrt{{\mathrm{{ms}} + \epsilon}} &= \sqrt{{{_num(a.stat)} + {_num(a.eps)}}} "
            rf"\\ &= {_num(a.root)}",
            rf"\hat x &= \frac{{x}}{{\sqrt{{\mathrm{{ms}} + \epsilon}}}} \\ &= "
            rf"\frac{{{_num(a.x)}}}{{{_num(a.root)}}} \\ &= {_num(a.normalized)}",
        ]
    lines.append(
        rf"y &= \gamma \hat x + \beta \\ &= {_num(a.gamma)} \cdot {_operand(a.normalized)} "
        rf"+ {_operand(a.beta)} \\ &= {_num(a.output)}"
    )
    return "\\begin{aligned}" + r" \\ ".join(lines) + "\\end{aligned}"
