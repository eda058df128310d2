"""Which elements share statistics, in words: the Explorer's headline, what indexes the
statistics, the reduced axes, and the set one element belongs to. Pure, no Streamlit.
"""

from __future__ import annotations

import numpy as np

import normlib
from normlib import AXES, NormSpec
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


def kept_names(spec: NormSpec) -> list[str]:
    """The coordinates that index the sets, in set-id order: n, g or c, h, w (those kept)."""
    names = []
    for axis in AXES:
        if axis == "C" and spec.groups > 1:
            names.append("g")
        elif axis not in spec.axes:
            names.append(axis.lower())
    return names


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
