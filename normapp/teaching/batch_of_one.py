"""A batch of one sample (no Streamlit): what each batch-reducing method, and the layer that
computes it, does when the batch holds the sample alone; PyTorch's refusals come from the one
refusal table (normapp/teaching/framework_facts.py, checked against torch).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import normlib
from normapp.links import params
from normapp.teaching.compare import method_label
from normapp.teaching.framework_facts import facts_for, torch_refusal


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
    """BatchNorm2d(C) on (1, C, H, W) and Method 2's layer, BatchNorm1d(C·H·W) on x.flatten(1):
    whether each refuses, from the one refusal table (facts.REFUSALS, checked against torch)."""
    c, h, w = shape_chw
    return [
        BatchOfOne(
            method,
            facts_for(key).pytorch.split(", then")[0],
            per_statistic,
            torch_refusal(key, (1, c, h, w)),
        )
        for method, key, per_statistic in (
            ("BatchNorm2d", "batchnorm", h * w),
            ("Method 2", "method2", 1),
        )
    ]


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
    per_sample = "**LayerNorm, InstanceNorm and GroupNorm** never look at other samples."
    groups = params.default_groups(c)
    refusing = [
        f"{method_label(key, c)}: {said}"
        for key in ("instancenorm", "groupnorm")
        if (said := torch_refusal(key, (1, c, h, w), groups if key == "groupnorm" else 1))
    ]
    if refusing:
        per_sample += " Here PyTorch still refuses some of them: " + "; ".join(refusing) + "."
    notes.append(per_sample)
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
