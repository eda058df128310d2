"""The Explorer's controls: what a link starts them at, and their repair, with messages.

No Streamlit here: every function takes the controls as a mutable mapping
(``st.session_state`` in the app, a plain dict in a test) whose keys are the
widget keys (``axes``, ``groups``, …, ``ex:n``), and returns the messages the page
shows. A link or a typed value is never corrected silently: each repair says
what was asked, what is wrong and what is kept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping
from typing import Any

import normlib
from normapp.explorer import presets
from normapp.inputs import FEATURE_NAMES
from normapp.links import params
from normapp.links.literal import literal, quoted
from normlib.typing import Shape4

Controls = MutableMapping[str, Any]

# Typed values outside these ranges are refused with a message (the boxes have no
# browser-side bounds, which would only show a red "!" and keep the old value).
TYPED_RANGES = {
    "eps": ("eps", 0.0, 1.0),
    "gamma": ("γ", -10.0, 10.0),
    "beta": ("β", -10.0, 10.0),
}
PICK_KEYS = ("ex:n", "ex:c", "ex:h", "ex:w")


def link_assignments(from_url: Mapping[str, Any], channels: int) -> tuple[dict, list[str]]:
    """What a just-opened link sets before the controls are drawn, and what to say about it.

    A preset named in the link fills in what the link leaves out (``?method=layernorm``
    gives its axes); a group count that does not divide C becomes the nearest one
    that does. Returns widget values by key, and messages.
    """
    assign: dict[str, Any] = {}
    if "method" in from_url and "axes" not in from_url:
        preset = normlib.METHODS[from_url["method"]]
        assign.update(axes=list(preset.axes), center=preset.center)
        if from_url["method"] == "groupnorm" and "groups" not in from_url:
            assign["groups"] = params.default_groups(channels)
    messages = []
    wanted = from_url.get("groups")
    if wanted is not None and wanted not in params.divisors(channels):
        assign["groups"] = params.nearest_divisor(channels, wanted)
        messages.append(
            f"groups={wanted} does not divide C={channels}; using groups={assign['groups']}."
        )
    return assign, messages


def current_spec(controls: Mapping[str, Any]) -> normlib.NormSpec:
    """The NormSpec the controls describe (G counts only when C is reduced)."""
    axes = "".join(controls["axes"])
    groups = controls["groups"] if "C" in axes else 1
    return normlib.NormSpec(axes, groups=groups, center=controls["center"])


def repair(
    controls: Controls, from_url: Mapping[str, Any], start: Mapping[str, Any], shape: Shape4
) -> list[str]:
    """Repair what a link or a typed value got wrong, in place; return what to tell the user."""
    messages = _repair_groups(controls, from_url, shape)
    messages += _repair_preset(controls, from_url, shape)
    messages += _repair_typed_numbers(controls, start)
    messages += _repair_pick(controls, shape)
    return messages


def _repair_groups(controls: Controls, from_url: Mapping[str, Any], shape: Shape4) -> list[str]:
    messages = []
    channels = shape[1]
    if controls["groups"] not in params.divisors(channels):
        wanted = controls["groups"]
        controls["groups"] = params.nearest_divisor(channels, wanted)
        if "C" in controls["axes"]:
            messages.append(
                f"groups={wanted} does not divide C={channels}; using groups={controls['groups']}."
            )
    if "groups" in from_url and from_url["groups"] > 1 and "C" not in controls["axes"]:
        messages.append(
            f"Link parameter groups={from_url['groups']} splits the channels, but the axes "
            f"{literal(''.join(controls['axes']) or '(none)')} do not reduce C: "
            "groups are ignored (G = 1)."
        )
    return messages


def _repair_preset(controls: Controls, from_url: Mapping[str, Any], shape: Shape4) -> list[str]:
    """A link may name axes without a method (or both, disagreeing): the preset row
    must show what the axes are, never a preset they do not match."""
    messages = []
    spec = current_spec(controls)
    method = from_url.get("method")
    if method is not None and presets.matching_preset(spec, method) != method:
        preset = normlib.METHODS[method]
        messages.append(
            f"Link parameters disagree: method={literal(method)} is {preset.name}, "
            f"which reduces {preset.axes}{'' if preset.center else ' without centering'}, but "
            f"the link's axes={literal(spec.axes or '(none)')}, center={int(spec.center)}, "
            f"groups={spec.groups} say otherwise. "
            f"Keeping the axes: this is {normlib.identify(spec, shape)}."
        )
    controls["method"] = presets.matching_preset(spec, controls["method"])
    return messages


def _repair_typed_numbers(controls: Controls, start: Mapping[str, Any]) -> list[str]:
    messages = []
    for key, (what, low, high) in TYPED_RANGES.items():
        value = controls[key]
        if isinstance(value, int | float) and math.isfinite(value) and low <= value <= high:
            controls[f"good:{key}"] = value
            continue
        kept = controls.get(f"good:{key}", start[key])
        controls[key] = kept
        messages.append(
            f"{what} = {literal(value)} is outside {low:g} to {high:g}; keeping {what} = {kept:g}."
        )
    return messages


def _repair_pick(controls: Controls, shape: Shape4) -> list[str]:
    """One message for the whole element, named as the link writes it (pick=n,c,h,w)."""
    asked = [controls[key] for key in PICK_KEYS]
    outside = []
    for key, size, axis in zip(PICK_KEYS, shape, "NCHW", strict=True):
        value, what = controls[key], key.removeprefix("ex:")
        if isinstance(value, int) and 0 <= value < size:
            controls[f"good:{key}"] = value
            continue
        # A typed value keeps the last good one; a link's (or a smaller input's) is clipped.
        kept = controls.get(f"good:{key}", -1)
        if not 0 <= kept < size:
            kept = min(max(int(value), 0), size - 1)
        controls[key] = kept
        outside.append(f"{what} = {literal(value)} is outside 0 to {size - 1} ({axis} = {size})")
    if not outside:
        return []
    used = ",".join(str(controls[key]) for key in PICK_KEYS)
    return [
        f"The selected element pick={literal(','.join(map(str, asked)))} does not fit this "
        f"input: {'; '.join(outside)}. Using pick={used}."
    ]


SWITCHED_KEY = "ex:switched"  # the message of an input switch, shown by the next whole run


def apply_preset(controls: Controls, channels: int, switch_input: bool = False) -> None:
    """Set every control the preset defines, G included: G = 1 unless it is GroupNorm.

    With `switch_input` (the presenter view, whose G key a lecturer presses before a room),
    GroupNorm chosen on the sample images, whose C = 3 has no divisor 1 < G < C and would
    show InstanceNorm's sets again, switches the input to their CNN feature maps (C = 8);
    SWITCHED_KEY holds the message that says so. The normal view keeps its input and says
    G = C (its body is a fragment, which cannot redraw the sidebar it would switch).
    """
    key = controls["method"]
    if key is None:
        return
    preset = normlib.METHODS[key]
    controls["axes"] = list(preset.axes)
    controls["center"] = preset.center
    controls["groups"] = params.default_groups(channels) if key == "groupnorm" else 1
    prime = params.default_groups(channels) == channels
    if switch_input and key == "groupnorm" and prime and controls.get("source") == "samples":
        features = len(FEATURE_NAMES)
        groups = params.default_groups(features)
        controls["source"] = "features"
        controls["groups"] = groups
        controls[SWITCHED_KEY] = (
            f"GroupNorm puts several channels in a group only when C has a divisor "
            f"between 1 and C; the sample images have C = {channels}, so G would be "
            f"{channels}, InstanceNorm's sets. The input is now their CNN feature maps "
            f"(C = {features}): GroupNorm({groups}) puts {features // groups} channels in "
            "each group. The sidebar's “Tensor to normalize” switches back."
        )


def follow_controls(controls: Controls) -> None:
    """Keep the preset row honest: highlight the preset the axes now equal, if any."""
    controls["method"] = presets.matching_preset(current_spec(controls), controls.get("method"))


def choose_preset(controls: Controls, key: str, channels: int) -> None:
    """What choosing preset `key` in the Method row does (a keyboard shortcut's way in)."""
    controls["method"] = key
    apply_preset(controls, channels, switch_input=True)


def toggle_axis(controls: Controls, letter: str) -> None:
    """Add axis `letter` to the reduced axes or take it out, as its pill would (NCHW order)."""
    if letter not in normlib.AXES:
        raise ValueError(f"axis must be one of {', '.join(normlib.AXES)}, got {quoted(letter)}")
    chosen = set(controls["axes"]) ^ {letter}
    controls["axes"] = [axis for axis in normlib.AXES if axis in chosen]
    follow_controls(controls)


def spec_key(controls: Mapping[str, Any]) -> str:
    """One string per normalization the controls describe (what a reveal was for)."""
    spec = current_spec(controls)
    return f"{spec.axes}/{spec.groups}/{int(spec.center)}"
