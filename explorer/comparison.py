"""Pure logic of the Compare and Batch-dependence pages (no Streamlit).

Compare: which method is which, with its numbers and its framework call,
derived from the NormSpec wherever the spec decides it (does it reduce N?).
Batch dependence: one sample in changing batches, and how far each
method's output for it moves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import normlib
from explorer import state
from explorer.facts import MethodFacts, facts_for
from explorer.text import literal
from normlib import METHODS, NormSpec

# ------------------------------------------------------------------ Compare
DEFAULT_METHODS: tuple[str, ...] = (
    "method1",
    "method2",
    "method3",
    "layernorm",
    "instancenorm",
    "groupnorm",
)
AXIS_WORDS = {"N": "batch", "C": "channel", "H": "height", "W": "width"}


def parse_methods(text: str) -> tuple[str, ...]:
    """Parse ``method1,method2,batchnorm`` into METHODS keys (order kept, repeats dropped).

    Raises ValueError naming every unknown key and listing the valid ones.
    """
    keys = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not keys:
        raise ValueError(f"methods must name at least one of {', '.join(METHODS)}")
    unknown = [key for key in keys if key not in METHODS]
    if unknown:
        # The keys come from a link: shown literally (escaped, truncated), never as Markdown.
        named = ", ".join(f"'{literal(key)}'" for key in unknown[:3])
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        raise ValueError(
            f"unknown method{'s' if len(unknown) > 1 else ''} {named}{more}; "
            f"choose from {', '.join(METHODS)}"
        )
    return tuple(dict.fromkeys(keys))


def format_methods(keys: Sequence[str]) -> str:
    return ",".join(keys)


COMPARE_PARAMS: tuple[state.Param, ...] = (
    state.Param("methods", DEFAULT_METHODS, parse_methods, format_methods),
    state.Param("pick", (0, 0, 0, 0), state.parse_element, state.format_element),
)
# Compare computes every method with the same eps (and γ = 1, β = 0), so that only the sets
# differ between the cards; each layer's own default is in the framework table.
COMPARE_EPS = 1e-5


def method_spec(key: str, channels: int) -> NormSpec:
    """The spec of a METHODS key on a tensor with `channels` channels.

    GroupNorm takes ``state.default_groups(C)`` groups, so G always divides C.
    """
    if key == "groupnorm":
        return NormSpec("CHW", groups=state.default_groups(channels))
    return METHODS[key]


def method_label(key: str, channels: int) -> str:
    """Short display name: the preset's name, GroupNorm with its G."""
    if key == "groupnorm":
        return f"GroupNorm({state.default_groups(channels)})"
    return METHODS[key].name


def reduced_axes_text(spec: NormSpec, channels: int) -> str:
    """'N, H, W'; GroupNorm: 'C in groups of C/G = 4, H, W'; no centering is said."""
    parts = []
    for axis in spec.axes:
        if axis == "C" and spec.groups > 1:
            parts.append(f"C in {spec.groups} groups of {channels // spec.groups}")
        else:
            parts.append(axis)
    text = ", ".join(parts) if parts else "nothing"
    return text if spec.center else f"{text} (RMS, no centering)"


def depends_on_batch(spec: NormSpec) -> bool:
    """A sample's output depends on its batch mates exactly when N is reduced."""
    return "N" in spec.axes


def same_in_train_and_eval(spec: NormSpec) -> bool:
    """Reducing N needs running statistics at eval time (one sample has no batch), so
    train and eval differ; every per-sample method computes the same thing in both."""
    return not depends_on_batch(spec)


@dataclass(frozen=True)
class ComparisonRow:
    """One method's row of the comparison table; its framework facts come from explorer.facts."""

    key: str
    method: str
    reduced_axes: str
    sets: int
    elements: int
    facts: MethodFacts
    depends_on_batch: bool
    same_train_eval: bool


def comparison_row(key: str, shape: tuple[int, int, int, int]) -> ComparisonRow:
    """Everything the table says about `key` on a tensor of `shape`."""
    spec = method_spec(key, shape[1])
    return ComparisonRow(
        key=key,
        method=method_label(key, shape[1]),
        reduced_axes=reduced_axes_text(spec, shape[1]),
        sets=spec.n_sets(shape),
        elements=spec.count(shape),
        facts=facts_for(key),
        depends_on_batch=depends_on_batch(spec),
        same_train_eval=same_in_train_and_eval(spec),
    )


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _train_eval_text(row: ComparisonRow) -> str:
    if row.same_train_eval:
        return "yes (by default)" if row.key == "instancenorm" else "yes"
    if row.key == "method1":
        return "no (would need running stats)"
    return "no (eval: running stats)"


def comparison_table(keys: Sequence[str], shape: tuple[int, int, int, int]) -> dict[str, list]:
    """The numbers of each method as columns, ready for ``st.dataframe``."""
    rows = [comparison_row(key, shape) for key in keys]
    return {
        "method": [r.method for r in rows],
        "reduced axes": [r.reduced_axes for r in rows],
        "sets": [r.sets for r in rows],
        "elements per set": [r.elements for r in rows],
        "γ/β count": [r.facts.affine.count_text(shape) for r in rows],
        "depends on the batch": [_yes_no(r.depends_on_batch) for r in rows],
        "same in train and eval": [_train_eval_text(r) for r in rows],
    }


def framework_table(keys: Sequence[str], shape: tuple[int, int, int, int]) -> dict[str, list]:
    """Each method in PyTorch and Keras 3, its γ/β and default eps (from explorer.facts)."""
    rows = [comparison_row(key, shape) for key in keys]
    return {
        "method": [r.method for r in rows],
        "PyTorch": [r.facts.pytorch for r in rows],
        "Keras (channels-first)": [r.facts.keras for r in rows],
        "γ/β": [f"{r.facts.affine.shape_text()}: {r.facts.affine.note}" for r in rows],
        "default eps": [r.facts.eps_sentence() for r in rows],
        "note": [r.facts.note for r in rows],
    }


def groupnorm_note(channels: int) -> str | None:
    """Say so when GroupNorm's G equals C (then its sets are InstanceNorm's), and why."""
    groups = state.default_groups(channels)
    if groups != channels:
        return None
    if channels == 1:
        why = "a single channel is one group"
    else:
        why = f"{channels} is prime: its only divisors are 1 (LayerNorm's sets) and {channels}"
    return (
        f"GroupNorm on C = {channels}: {why}, so G = {groups} = C, one channel per group: "
        "exactly InstanceNorm's statistics. The sidebar's CNN feature maps show real groups."
    )


def clamp_element(
    element: tuple[int, int, int, int], shape: tuple[int, int, int, int]
) -> tuple[tuple[int, int, int, int], bool]:
    """Clamp an (n, c, h, w) pick into `shape`; the flag says whether it had to move."""
    clamped = tuple(min(int(i), size - 1) for i, size in zip(element, shape, strict=True))
    return clamped, clamped != tuple(element)  # type: ignore[return-value]


@dataclass(frozen=True)
class ElementArithmetic:
    """One element's way through one method: its set's statistics and its normalized value.

    For a non-centred method (RMSNorm, PixelNorm) `mean` is 0 and `second_moment`
    is the set's mean square; otherwise `second_moment` is the biased variance.
    """

    key: str
    method: str
    x: float
    count: int
    centred: bool
    mean: float
    second_moment: float
    eps: float
    denominator: float
    normalized: float
    gamma: float
    beta: float

    @property
    def output(self) -> float:
        return self.gamma * self.normalized + self.beta


def element_arithmetic(
    key: str,
    result: normlib.NormResult,
    x: np.ndarray,
    element: tuple[int, int, int, int],
    gamma: float = 1.0,
    beta: float = 0.0,
) -> ElementArithmetic:
    """The numbers of `element` under `result` (normlib's statistics), in float64.

    The set's mean and variance are read from `result` by broadcasting them to
    the input's shape (a view), so no set id array is built for one element.
    """
    mean = float(result.expand(result.mean)[element])
    second = float(result.expand(result.var)[element])
    value = float(x[element])
    denominator = float(np.sqrt(second + result.eps))
    centred = result.spec.center
    normalized = ((value - mean) if centred else value) / denominator
    return ElementArithmetic(
        key=key,
        method=method_label(key, result.shape[1]),
        x=value,
        count=result.count,
        centred=centred,
        mean=mean if centred else 0.0,
        second_moment=second,
        eps=result.eps,
        denominator=denominator,
        normalized=normalized,
        gamma=float(gamma),
        beta=float(beta),
    )


def _number(value: float) -> str:
    return f"{value:.6g}"


def element_table(steps: Sequence[ElementArithmetic]) -> dict[str, list]:
    """The same element under each method as columns for ``st.dataframe``."""
    return {
        "method": [s.method for s in steps],
        "x": [_number(s.x) for s in steps],
        "set size m": [f"{s.count:,}" for s in steps],
        "μ (set mean)": [_number(s.mean) if s.centred else "not centred" for s in steps],
        "σ² (biased) or mean square": [
            _number(s.second_moment) + ("" if s.centred else " (mean square)") for s in steps
        ],
        "√(σ² + ε)": [_number(s.denominator) for s in steps],
        "x̂": [_number(s.normalized) for s in steps],
        "y = γ·x̂ + β": [_number(s.output) for s in steps],
    }


# ---------------------------------------------------------- Batch dependence
BATCH_METHODS: tuple[str, ...] = (
    "batchnorm",
    "method1",
    "method2",
    "layernorm",
    "instancenorm",
    "groupnorm",
)
MATES = {
    "images": "other images of the input",
    "noise": "random noise",
}
BATCH_MAX = 64
SHUFFLE_MAX = 9999
# Numbers in one batch (and in the reference batch) of the Batch-dependence page: six methods
# run on both in float64, so 2^21 numbers keep a view near a second on a laptop; a batch of two
# samples is always allowed, so a batch mate can always be added.
BATCH_WORK_MAX = 2**21


def batch_limit(shape: tuple[int, int, int, int]) -> int:
    """The largest batch (the sample + mates) the page builds for an input of `shape`."""
    _, c, h, w = shape
    return max(2, min(BATCH_MAX, BATCH_WORK_MAX // (c * h * w)))


def reference_rows(shape: tuple[int, int, int, int], sample: int) -> np.ndarray:
    """The input's samples that form the reference batch: all N, or as many as the work cap
    allows (the sample first among them, then the lowest other indices)."""
    n = shape[0]
    keep = batch_limit(shape)
    if n <= keep:
        return np.arange(n)
    others = [i for i in range(n) if i != sample][: keep - 1]
    return np.array(sorted([sample, *others]))


def _mates_choice(text: str) -> str:
    value = text.strip().lower()
    if value not in MATES:
        raise ValueError(f"mates must be one of {', '.join(MATES)}; got {text!r}")
    return value


BATCH_PARAMS: tuple[state.Param, ...] = (
    state.Param("sample", 0, state.parse_int_in(0, state.N_MAX - 1, "sample (the sample's index)")),
    state.Param("batch", 4, state.parse_int_in(1, BATCH_MAX, "batch (the batch size)")),
    state.Param("mates", "images", _mates_choice),
    state.Param(
        "shuffle", 1, state.parse_int_in(0, SHUFFLE_MAX, "shuffle (the seed that draws mates)")
    ),
    state.Param("channel", 0, state.parse_int_in(0, state.C_MAX - 1, "channel")),
)


@dataclass(frozen=True)
class Batch:
    """A batch for one fixed sample: the sample at position 0, then its mates.

    Attributes
    ----------
    x : ndarray, float64, shape (B, C, H, W)
    labels : tuple of str
        What each row is ("ocean (the sample)", "forest", "noise 3").
    mates : str
        The mates actually used ("images" or "noise").
    message : str
        Why the mates differ from the ones asked for ("" when they do not).
    """

    x: np.ndarray
    labels: tuple[str, ...]
    mates: str
    message: str = ""


def build_batch(
    x: np.ndarray,
    labels: Sequence[str],
    sample: int,
    size: int,
    mates: str,
    seed: int,
) -> Batch:
    """Sample `sample` of `x` plus `size - 1` mates drawn with seed `seed`.

    "images": mates drawn with replacement from the input's OTHER samples.
    "noise": Gaussian noise with the input's per-channel mean and standard
    deviation, so the mates look like the input to the statistics but are no images.
    With a single image in the input, "images" has nothing to draw from and
    falls back to noise (the message says so).
    """
    n, c, h, w = x.shape
    rng = np.random.default_rng(seed)
    message = ""
    others = [i for i in range(n) if i != sample]
    if mates == "images" and not others and size > 1:
        mates = "noise"
        message = (
            "The input has a single image, so there are no other images to draw mates "
            "from: using random-noise mates instead."
        )
    rows = [np.asarray(x[sample], dtype=np.float64)]
    row_labels = [f"{labels[sample]} (the sample)"]
    if size > 1:
        if mates == "images":
            picks = rng.choice(others, size=size - 1, replace=True)
            rows.extend(np.asarray(x[i], dtype=np.float64) for i in picks)
            row_labels.extend(labels[i] for i in picks)
        else:
            # Per-channel mean and std in float64, one sample at a time (no float64 copy of x).
            sums, squares = np.zeros(c), np.zeros(c)
            for i in range(n):
                sample_values = np.asarray(x[i], dtype=np.float64)
                sums += sample_values.sum(axis=(1, 2))
                squares += np.einsum("chw,chw->c", sample_values, sample_values)
            count = n * h * w
            mean_c = sums / count
            std_c = np.sqrt(np.maximum(squares / count - mean_c**2, 0.0))
            mean, std = mean_c.reshape(1, c, 1, 1), std_c.reshape(1, c, 1, 1)
            noise = rng.normal(size=(size - 1, c, h, w)) * std + mean
            rows.extend(noise)
            row_labels.extend(f"noise {i + 1}" for i in range(size - 1))
    return Batch(np.stack(rows), tuple(row_labels), mates, message)


@dataclass(frozen=True)
class Movement:
    """How one method's output for the fixed sample changes with its batch.

    Attributes
    ----------
    output, reference : float32 ndarray (C, H, W) or None
        The sample's output in the new batch and in the reference batch
        (None when the method refused the batch: see `error`). Computed in
        float64 and kept in float32: six methods' maps at the input cap were
        1.2 GB in float64 (they are only drawn).
    max_abs : float
        max |output - reference| over all channels and positions, from the
        float64 values (nan when refused).
    """

    key: str
    label: str
    spec: NormSpec
    output: np.ndarray | None
    reference: np.ndarray | None
    max_abs: float
    error: str = ""

    @property
    def depends(self) -> bool:
        return depends_on_batch(self.spec)

    def diff(self, channel: int) -> np.ndarray:
        """``output - reference`` in `channel` (H, W); exactly 0 where both are equal."""
        if self.output is None or self.reference is None:
            raise ValueError(f"{self.label} refused the batch: {self.error}")
        return self.output[channel] - self.reference[channel]


def _run_method(key: str, spec: NormSpec, batch: np.ndarray) -> np.ndarray:
    """The training-mode output of `key` on `batch` (float64).

    BatchNorm goes through normlib.BatchNorm2d so that a batch with one value
    per channel is refused exactly as PyTorch refuses it.
    """
    if key == "batchnorm":
        return normlib.BatchNorm2d(batch.shape[1], dtype=np.float64)(batch)
    return normlib.normalize(batch, spec).output


def batch_movement(
    reference_batch: np.ndarray, sample: int, batch: Batch, keys: Sequence[str] = BATCH_METHODS
) -> list[Movement]:
    """For every method, the sample's output in `batch` against `reference_batch`.

    The sample is row `sample` of `reference_batch` and row 0 of `batch.x`.
    Everything is float64, so methods without N give exactly 0 difference: for
    them the reference is the sample normalized alone (their sets never leave
    a sample), while the new output is still taken from the whole new batch.
    """
    ref64 = np.asarray(reference_batch, dtype=np.float64)
    channels = ref64.shape[1]
    movements = []
    for key in keys:
        spec = method_spec(key, channels)
        label = method_label(key, channels)
        try:
            if depends_on_batch(spec):
                reference = _run_method(key, spec, ref64)[sample]
            else:
                reference = _run_method(key, spec, ref64[sample : sample + 1])[0]
            output = _run_method(key, spec, batch.x)[0]
        except normlib.NormError as error:
            movements.append(Movement(key, label, spec, None, None, float("nan"), str(error)))
            continue
        max_abs = float(np.abs(output - reference).max())
        movements.append(
            Movement(
                key, label, spec, output.astype(np.float32), reference.astype(np.float32), max_abs
            )
        )
        del output, reference  # the float64 maps go before the next method runs
    return movements


def movement_parts(movement: Movement) -> tuple[str, str]:
    """The headline number and the words under it."""
    if movement.error:
        return "refused", "a single value per channel: BatchNorm2d cannot train on it"
    if movement.max_abs == 0.0:
        if movement.depends:
            return "max |Δ| = 0", "this batch happens to give the same statistics"
        return "max |Δ| = 0", "does not depend on the batch"
    return f"max |Δ| = {movement.max_abs:.3g}", "moved: depends on the batch"


def movement_text(movement: Movement) -> str:
    """One line: 'max |Δ| = 0 (does not depend on the batch)' or 'max |Δ| = 0.412'."""
    number, words = movement_parts(movement)
    if movement.max_abs == 0.0 or movement.error:
        return number if movement.error else f"{number} ({words})"
    return number


def single_value_error(channels: int) -> str:
    """What BatchNorm2d(C) in training mode says about a (1, C, 1, 1) input."""
    try:
        normlib.BatchNorm2d(channels)(np.zeros((1, channels, 1, 1), dtype=np.float32))
    except normlib.NormError as error:
        return str(error)
    return ""  # pragma: no cover - normlib always refuses it


@dataclass(frozen=True)
class BatchOfOne:
    """Whether the layer that computes a batch-reducing method trains on a batch of one."""

    method: str
    layer: str
    values_per_channel: int  # what the layer pools per statistic when N = 1
    error: str  # the layer's refusal ("" when it trains)

    @property
    def refused(self) -> bool:
        return bool(self.error)


def batch_of_one_layers(shape_chw: tuple[int, int, int]) -> list[BatchOfOne]:
    """BatchNorm2d(C) on (1, C, H, W) and Method 2's layer, BatchNorm1d(C·H·W) on x.flatten(1).

    Both are run through normlib.BatchNorm2d, which refuses what torch refuses
    (one value per channel in training): BatchNorm1d on (N, F) is BatchNorm2d
    on (N, F, 1, 1), one statistic per feature over N.
    """
    from explorer.facts import facts_for

    c, h, w = shape_chw
    layers = []
    for method, key, channels, shape in (
        ("BatchNorm2d", "batchnorm", c, (1, c, h, w)),
        ("Method 2", "method2", c * h * w, (1, c * h * w, 1, 1)),
    ):
        layer = facts_for(key).pytorch.split(", then")[0]
        try:
            normlib.BatchNorm2d(channels)(np.zeros(shape, dtype=np.float32))
            error = ""
        except normlib.NormError as refusal:
            error = str(refusal)
        layers.append(BatchOfOne(method, layer, shape[2] * shape[3], error))
    return layers


def batch_of_one_notes(shape_chw: tuple[int, int, int]) -> list[str]:
    """True statements about each method when the batch holds the sample alone."""
    c, h, w = shape_chw
    bn2d, method2 = batch_of_one_layers(shape_chw)
    notes = [
        "**Method 2** reduces over N only, so each set holds this one value: its variance is "
        "0, and the formula gives (x − x)/√(0 + eps) = 0 everywhere (= β). "
        + (
            f"Its layer, {method2.layer}, pools {method2.values_per_channel} value per feature "
            "and **refuses** N = 1 in training, as PyTorch does."
            if method2.refused
            else f"Its layer, {method2.layer}, trains on it."
        ),
        "**Method 1** reduces over N and C; with N = 1 that is C alone, one mean per pixel: "
        "LayerNorm over channels (PONO) of this sample. No layer computes Method 1.",
    ]
    if bn2d.refused:
        notes.append(
            f"**BatchNorm2d** has a single value per channel here (N·H·W = "
            f"{bn2d.values_per_channel}), and **refuses** it in training, as PyTorch does."
        )
    else:
        notes.append(
            f"**BatchNorm2d** still trains: each channel has H·W = {bn2d.values_per_channel:,} "
            "values. With N = 1 its statistics are InstanceNorm's (one mean per channel of "
            "this sample)."
        )
    notes.append("**LayerNorm, InstanceNorm and GroupNorm** never look at other samples.")
    return notes


def batch_of_one_summary(shape_chw: tuple[int, int, int]) -> str:
    """The short box above the cards: what each batch-reducing layer does with N = 1."""
    layers = batch_of_one_layers(shape_chw)
    refused = [f"{one.method} ({one.layer})" for one in layers if one.refused]
    trains = [one for one in layers if not one.refused]
    parts = ["A batch of one: Method 2's formula gives 0 everywhere (= β)"]
    if any(one.method == "BatchNorm2d" for one in trains):
        parts.append("BatchNorm2d gets InstanceNorm's statistics")
    parts.append("Method 1 becomes LayerNorm over channels")
    text = ", ".join(parts[:-1]) + " and " + parts[-1] + "."
    if refused:
        text += " In training PyTorch refuses " + " and ".join(refused) + "."
    return text + " Why: **A batch of one sample**, below the cards."


def clamp_index(value: int | str, size: int) -> tuple[int, bool]:
    """Clamp a selectbox's index into range(size); the flag says whether it moved.

    `value` may be the label the selectbox showed on an earlier run instead of
    an index: when a selectbox's labels change between runs (the samples of a
    new batch, the channels of a new input), Streamlit hands back the old label
    string as the widget's value. Every label of this app's index selectboxes
    starts with its index ("3: sample …", "n=3 · …", "c=2 · …"), so that number
    is the index; a value with no number falls back to 0.
    """
    if isinstance(value, str):
        found = re.search(r"\d+", value)
        index = int(found.group()) if found else 0
    else:
        index = int(value)
    clamped = min(max(index, 0), size - 1)
    return clamped, clamped != value


# ------------------------------------------------------------------ figures
def map_figure(values: np.ndarray, title: str, height: int = 240):
    """One (H, W) map as a heatmap on a diverging scale centred at 0 (row 0 at the top).

    Styled like every figure of the app (:func:`explorer.figures.map_figure`).
    """
    from explorer import figures

    return figures.map_figure(values, title, height=height)


def compact_set_grid(fig_or_ids, **kwargs):
    """A set picture for a narrow card: no legend, no footnote, small margins.

    Pass the set ids (and :func:`explorer.figures.set_grid_figure`'s keyword
    arguments) to build it compact, or an already built set-grid figure to
    make it compact. The page says once, above the cards, what the legend
    and the footnote said.
    """
    from explorer import figures

    if isinstance(fig_or_ids, np.ndarray):
        return figures.set_grid_figure(fig_or_ids, compact=True, **kwargs)
    return figures.compact_grid(fig_or_ids)


def grid_tiles(channels: int) -> int:
    """Samples and channels a card's set picture shows: all channels up to 8, so groups show."""
    return 4 if channels <= 4 else 8


def grid_note(
    shape: tuple[int, int, int, int],
    max_tiles: int,
    element: tuple[int, int, int, int] | None = None,
) -> str:
    """What the compact set pictures show of a tensor of `shape`, in words."""
    from explorer import figures

    layout = figures.grid_layout(shape, max_tiles=max_tiles)
    n, c, h, w = shape
    parts = [
        f"samples n = 0–{layout.n_show - 1}" + (f" of {n}" if n > layout.n_show else ""),
        f"channels c = 0–{layout.c_show - 1}" + (f" of {c}" if c > layout.c_show else ""),
    ]
    text = f"Set pictures: rows are {parts[0]}, columns {parts[1]}"
    if layout.stride_h > 1 or layout.stride_w > 1:
        text += (
            f"; each {h}×{w} map is drawn at {layout.tile_h}×{layout.tile_w}, one pixel per "
            f"{layout.stride_h}×{layout.stride_w} block (its top-left element)"
        )
    if element is not None and (element[0] >= layout.n_show or element[1] >= layout.c_show):
        text += (
            f". The highlighted element (n={element[0]}, c={element[1]}) is outside the "
            "pictures; its set still shows wherever it reaches them"
        )
    return text + "."


def movement_summary(movements: Sequence[Movement]) -> str:
    """One line for the top of the page: who moved, by how much, and who did not."""
    moved = [f"{m.label} {m.max_abs:.3g}" for m in movements if not m.error and m.max_abs > 0]
    still = [m.label for m in movements if not m.error and m.max_abs == 0.0]
    refused = [m.label for m in movements if m.error]
    parts = []
    if moved:
        parts.append("**Moved** (max |Δ|): " + " · ".join(moved))
    if still:
        parts.append("**Did not move** (exactly 0): " + " · ".join(still))
    if refused:
        parts.append("**Refused this batch**: " + " · ".join(refused))
    return " — ".join(parts)
