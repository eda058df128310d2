"""The Compare page's logic (no Streamlit): which method is which, with its numbers and its
framework call, derived from the NormSpec wherever the spec decides it (does it reduce N?).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from normapp.explorer.element_walkthrough import ElementArithmetic
from normapp.explorer.presets import METHOD_NAMES
from normapp.links import params
from normapp.links.table import Control, Table
from normapp.teaching.framework_facts import (
    REFUSALS,
    MethodFacts,
    facts_for,
    has_layer,
    torch_refusal,
)
from normlib import METHODS, NormSpec
from normlib.typing import Element, Shape4

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
    """``method1,method2,batchnorm`` (keys, or the labels the pills write) into METHODS keys,
    in the order of METHODS, repeats dropped.

    Raises ValueError naming every unknown key and listing the valid ones.

    >>> parse_methods("batchnorm,Method 1"), parse_methods("LayerNorm over channels")
    (('method1', 'batchnorm'), ('positionnorm',))
    """
    by_label = {label.lower(): key for key, label in METHOD_NAMES.items()}
    text = ",".join(by_label.get(part.strip().lower(), part) for part in text.split(","))
    keys = params.parse_key_list(text, tuple(METHODS), "methods", "method")
    return tuple(key for key in METHODS if key in keys)


def format_methods(keys: Sequence[str]) -> str:
    return ",".join(keys)


# The Compare page's controls (normapp/links/table.py), in the order the page draws them.
# "methods" is one URL key per chosen method, by its label (methods=Method+1&methods=BatchNorm);
# the older form, keys joined by commas (methods=method1,batchnorm), is still read.
# "pick" (n,c,h,w, bounded by the input's shape) has four boxes: read by hand.
TABLE = Table(
    (
        Control(
            params.Param("methods", DEFAULT_METHODS, parse_methods, format_methods),
            "pills",
            "Methods to compare",
            options=tuple(METHODS),
            # Each preset's own name: GroupNorm's G depends on the input's C, and a label
            # that changed with it would change the link too.
            labels=METHOD_NAMES,
            multi=True,
            joiner=",",
            help="Method 1–3 are the three formulas of the question; Method 3 and BatchNorm are "
            "the same computation.",
        ),
        Control(params.PICK),
    )
)
# Compare computes every method with the same eps (and γ = 1, β = 0), so that only the sets
# differ between the cards; each layer's own default is in the framework table.
COMPARE_EPS = 1e-5


def method_spec(key: str, channels: int) -> NormSpec:
    """The spec of a METHODS key on a tensor with `channels` channels.

    GroupNorm takes ``state.default_groups(C)`` groups, so G always divides C.
    """
    if key == "groupnorm":
        return NormSpec("CHW", groups=params.default_groups(channels))
    return METHODS[key]


def method_label(key: str, channels: int) -> str:
    """Short display name: the preset's name, GroupNorm with its G."""
    if key == "groupnorm":
        return f"GroupNorm({params.default_groups(channels)})"
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
    """One method's row of the comparison table; its framework facts come from
    normapp.teaching.framework_facts."""

    key: str
    method: str
    reduced_axes: str
    sets: int
    elements: int
    facts: MethodFacts
    depends_on_batch: bool
    same_train_eval: bool


def comparison_row(key: str, shape: Shape4) -> ComparisonRow:
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


def comparison_table(keys: Sequence[str], shape: Shape4) -> dict[str, list]:
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
        "PyTorch's layer in training, on this input": [
            _torch_training_text(r.key, shape) for r in rows
        ],
    }


def _torch_training_text(key: str, shape: Shape4) -> str:
    """Whether the method's PyTorch layer runs on a tensor of `shape` in training mode
    (facts.REFUSALS, checked against torch)."""
    if not has_layer(facts_for(key).pytorch):
        return "no layer"
    groups = params.default_groups(shape[1]) if key == "groupnorm" else 1
    if torch_refusal(key, shape, groups):
        return f"refuses ({REFUSALS[key].condition(groups)})"
    return "runs"


def framework_table(keys: Sequence[str], shape: Shape4) -> dict[str, list]:
    """Each method in PyTorch and Keras 3, its γ/β and default eps
    (from normapp.teaching.framework_facts)."""
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
    groups = params.default_groups(channels)
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


def clamp_element(element: Element, shape: Shape4) -> tuple[Element, bool]:
    """Clamp an (n, c, h, w) pick into `shape`; the flag says whether it had to move."""
    n, c, h, w = (min(int(i), size - 1) for i, size in zip(element, shape, strict=True))
    clamped = (n, c, h, w)
    return clamped, clamped != tuple(element)


def _number(value: float) -> str:
    return f"{value:.6g}"


def element_table(channels: int, steps: Sequence[tuple[str, ElementArithmetic]]) -> dict[str, list]:
    """The same element under each method (key, its arithmetic) as columns for ``st.dataframe``.

    The arithmetic is the Explorer's (element_walkthrough), so both pages show one
    computation; a non-centred method has no mean and its σ² column is the mean square.
    """
    return {
        "method": [method_label(key, channels) for key, _ in steps],
        "x": [_number(a.x) for _, a in steps],
        "set size m": [f"{a.count:,}" for _, a in steps],
        "μ (set mean)": [
            _number(a.mean) if a.mean is not None else "not centred" for _, a in steps
        ],
        "σ² (biased) or mean square": [
            _number(a.stat) + ("" if a.mean is not None else " (mean square)") for _, a in steps
        ],
        "√(σ² + ε)": [_number(a.root) for _, a in steps],
        "x̂": [_number(a.normalized) for _, a in steps],
        "y = γ·x̂ + β": [_number(a.output) for _, a in steps],
    }


# ------------------------------------------------ the compact set pictures
def grid_tiles(channels: int) -> int:
    """Samples and channels a card's set picture shows: all channels up to 8, so groups show."""
    return 4 if channels <= 4 else 8


def grid_note(
    shape: Shape4,
    max_tiles: int,
    element: Element | None = None,
) -> str:
    """What the compact set pictures show of a tensor of `shape`, in words."""
    from normapp import figures

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


# ------------------------------------------------ one element under several methods, in words
def _index_box(spec: NormSpec, shape: Shape4, element: Element) -> tuple[tuple[int, int], ...]:
    """The element's set as one [start, stop) range per axis: every set is such a box."""
    box = []
    for axis, size, value in zip("NCHW", shape, element, strict=True):
        if axis not in spec.axes:
            box.append((value, value + 1))
        elif axis == "C" and spec.groups > 1:
            per = size // spec.groups
            box.append((value // per * per, value // per * per + per))
        else:
            box.append((0, size))
    return tuple(box)


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _same_set_reason(keys: Sequence[str], shape: Shape4) -> str:
    """Why different methods' sets coincide, from their specs and the shape."""
    specs = [method_spec(key, shape[1]) for key in keys]
    if all((s.axes, s.groups) == (specs[0].axes, specs[0].groups) for s in specs):
        return "the same axes"
    if "groupnorm" in keys and params.default_groups(shape[1]) == shape[1]:
        return f"GroupNorm's G = C = {shape[1]}: one channel per group"
    differ = sorted(
        set().union(*(set(s.axes) ^ set(specs[0].axes) for s in specs)), key="NCHW".index
    )
    ones = [axis for axis in differ if shape["NCHW".index(axis)] == 1]
    if ones and len(ones) == len(differ):
        return f"they differ only in {', '.join(ones)}, of size 1 here"
    return "their axes cover the same elements on this shape"


def _same_stats_reason(x: np.ndarray, small: tuple, large: tuple) -> str:
    """Why two different sets share μ and σ²: the larger one repeats the smaller one's values."""
    region = x[tuple(slice(a, b) for a, b in large)]
    extra = [i for i, (s, g) in enumerate(zip(small, large, strict=True)) if s != g]
    if extra and all(np.ptp(region, axis=i).max() == 0 for i in extra):
        words = " and ".join(AXIS_WORDS["NCHW"[i]] for i in extra)
        copies = _box_size(large) // _box_size(small)
        return (
            f"the larger set repeats the smaller one's values {copies} times along the {words} axis"
        )
    return "it happens on these numbers"


def element_outcome_note(
    x: np.ndarray, channels: int, steps: Sequence[tuple[str, ElementArithmetic]]
) -> str:
    """What the element-table shows, in words: which methods share the element's set, which
    share its statistics without sharing the set, and how many different outputs result.

    Everything is compared as the table shows it (6 significant digits), so the sentence
    says "the same" exactly when the reader sees the same numbers.
    """
    shape: Shape4 = x.shape
    element = steps[0][1].element
    head = f"The highlighted element {element} holds x = {_number(steps[0][1].x)} in every method"
    if len(steps) == 1:
        key, a = steps[0]
        return (
            f"{head}; under {method_label(key, channels)} it comes out as y = {_number(a.output)}."
        )
    label = {key: method_label(key, channels) for key, _ in steps}
    boxes: dict[tuple, list[str]] = {}
    for key, _ in steps:
        boxes.setdefault(_index_box(method_spec(key, channels), shape, element), []).append(key)
    stats: dict[tuple, list[tuple]] = {}
    arith = dict(steps)
    for box, keys in boxes.items():
        a = arith[keys[0]]
        shown = (None if a.mean is None else _number(a.mean), _number(a.stat))
        stats.setdefault(shown, []).append(box)
    outputs = {_number(a.output) for _, a in steps}
    if len(boxes) == len(steps) and len(stats) == len(steps) and len(outputs) == len(steps):
        return (
            f"{head}; each method puts it into a different set, so it gets a different mean and "
            "spread and comes out as a different number."
        )
    parts = [f"{head}, in {len(boxes)} different set{'s' if len(boxes) > 1 else ''}"]
    for keys in (k for k in boxes.values() if len(k) > 1):
        m = arith[keys[0]].count
        reason = _same_set_reason(keys, shape)
        parts.append(f"{_join([label[k] for k in keys])} use the same set of {m:,} ({reason})")
    for (mean, stat), shared in stats.items():
        if len(shared) > 1:
            groups = [" = ".join(label[k] for k in boxes[box]) for box in shared]
            small, large = min(shared, key=_box_size), max(shared, key=_box_size)
            centre = f"μ = {mean}, σ² = {stat}" if mean is not None else f"mean square {stat}"
            reason = _same_stats_reason(x, small, large)
            parts.append(f"{_join(groups)} use different sets with the same {centre} ({reason})")
    count = len(outputs)
    tail = "one number under every method" if count == 1 else f"{count} different numbers"
    return "; ".join(parts) + f". So it comes out as {tail} from {len(steps)} methods."


def _box_size(box: tuple) -> int:
    return int(np.prod([b - a for a, b in box]))
