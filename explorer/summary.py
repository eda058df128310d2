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
from normlib import AXES, METHODS, NormSpec

AXIS_WORDS = {"N": "batch", "C": "channel", "H": "height", "W": "width"}
INDEX_WORDS = {"N": "sample n", "C": "channel c", "H": "row h", "W": "column w"}


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def headline(spec: NormSpec, shape: tuple[int, int, int, int]) -> str:
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
    """How many learnable gamma/beta values a layer with this spec has in PyTorch."""

    shape: str
    count: int
    note: str


def affine_parameters(spec: NormSpec, shape: tuple[int, int, int, int]) -> AffineParameters:
    """PyTorch's gamma/beta convention for a spec: per channel or per element.

    LayerNorm and RMSNorm (``normalized_shape = (C, H, W)``) learn one value
    per element; BatchNorm2d, InstanceNorm2d and GroupNorm per channel;
    RMSNorm has no beta; PixelNorm has none. Other specs are counted per
    channel, as this app applies gamma and beta.
    """
    n, c, h, w = shape
    name = normlib.identify(spec)
    if name.startswith("LayerNorm"):
        return AffineParameters("(C, H, W) each", 2 * c * h * w, "nn.LayerNorm: per element")
    if name == "RMSNorm":
        return AffineParameters("(C, H, W), weight only", c * h * w, "nn.RMSNorm has no beta")
    if name == "PixelNorm":
        return AffineParameters("none", 0, "PixelNorm has no learnable parameters")
    if name == "InstanceNorm2d":
        return AffineParameters(
            "(C,) each", 2 * c, "nn.InstanceNorm2d: per channel, but affine=False by default"
        )
    return AffineParameters("(C,) each", 2 * c, "per channel, as in BatchNorm2d and GroupNorm")


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


def set_coordinates(
    spec: NormSpec, shape: tuple[int, int, int, int]
) -> tuple[list[str], np.ndarray]:
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


def tensor_npy(array: np.ndarray) -> bytes:
    """The array as .npy bytes, for a download button."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@dataclass(frozen=True)
class AfterCheck:
    """How close every set of the output is to mean 0 and its expected variance."""

    worst_mean: float
    worst_var_error: float
    expected_var_low: float
    checked: bool
    reason: str


def after_check(result: normlib.NormResult, gamma: float = 1.0, beta: float = 0.0) -> AfterCheck:
    """Re-measure each set of the output (gamma and beta undone).

    With centering every set should have mean 0 and variance var/(var+eps)
    (just below 1; exactly 1 only with eps = 0). Without centering the mean
    square should be ms/(ms+eps).
    """
    if gamma == 0.0:
        return AfterCheck(0.0, 0.0, 0.0, False, "gamma = 0 makes every output equal to beta")
    standardized = (result.output.astype(np.float64) - beta) / gamma
    remeasured = normlib.normalize(
        standardized, NormSpec(result.spec.axes, result.spec.groups, result.spec.center)
    )
    var = result.set_var.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(var + result.eps > 0, var / (var + result.eps), np.nan)
    worst_mean = float(np.nanmax(np.abs(remeasured.set_mean))) if result.spec.center else 0.0
    error = np.abs(remeasured.set_var - expected)
    worst_var = float(np.nanmax(error)) if np.isfinite(error).any() else float("nan")
    low = float(np.nanmin(expected)) if np.isfinite(expected).any() else float("nan")
    return AfterCheck(worst_mean, worst_var, low, True, "")


def element_set(
    spec: NormSpec, shape: tuple[int, int, int, int], element: tuple[int, int, int, int]
) -> tuple[int, str]:
    """The set id of `element` and its index set in words, e.g. 'all n, h, w at c = 1'."""
    n, c, h, w = element
    # The id counts the kept coordinates in C order (as normlib.set_ids does),
    # computed directly rather than materializing every id.
    names, _ = set_coordinates(spec, shape)
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
    names, _ = set_coordinates(result.spec, result.shape)
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
