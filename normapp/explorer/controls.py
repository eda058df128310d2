"""The Explorer's controls: what a link starts them at, and their repair, with messages.

No Streamlit here: every function takes the controls as a mutable mapping
(``st.session_state`` in the app, a plain dict in a test) whose keys are the
widget keys (``axes``, ``groups``, …, ``ex:n``), and returns the messages the page
shows. A link or a typed value is never corrected silently: each repair says
what was asked, what is wrong and what is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import normlib
from normapp.explorer import presets
from normapp.inputs import FEATURE_NAMES
from normapp.links import params
from normapp.links.literal import literal, quoted
from normapp.links.table import Control, Table
from normlib.typing import Shape4

Controls = MutableMapping[str, Any]

TABS = {
    "stats": "Statistics",
    "cube": "GN-paper cube",
    "groups": "Histograms per group",
    "maps": "Feature maps",
    "formula": "Formula",
    "downloads": "Downloads",
}
# The presenter view's figures, by the key the page uses and the label the URL shows.
FIGURES = {
    "grid": "Which cells share a mean",
    "hist": "Before and after",
    "stats": "Statistics",
    "cube": "GN-paper cube",
}
_BY_NAME = {param.name: param for param in params.NORM_PARAMS}


def parse_present(text: str) -> bool:
    """The link's ``present`` value: true or false (1, 0, yes, no, on, off too)."""
    word = text.strip().lower()
    if word in ("true", "1", "yes", "on"):
        return True
    if word in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"present must be true or false, got {quoted(text)}")


def _parse_tab(text: str) -> str:
    """A tab's label (st.tabs holds the open tab's label), from its label or older key."""
    return TABS[params.parse_choice(TABS, "tab")(text)]


# The Explorer's controls (normapp/links/table.py), in the order the page draws them. The
# rows above "pick" are the normalization: what a link's repair reads (open_link). G's
# options are the input's divisors, given when it is drawn; eps, γ and β have no bounds in
# the browser (a typed value out of range is named and the last good one kept: repair).
TABLE = Table(
    (
        Control(
            params.Param(
                "method",
                "batchnorm",
                params.parse_choice(presets.METHOD_NAMES, "method"),
                presets.METHOD_NAMES.__getitem__,
            ),
            "segmented_control",
            "Method",
            options=tuple(normlib.METHODS),
            labels=presets.METHOD_NAMES,
            help="Method 1–3 are the three formulas of the question; Method 3 and BatchNorm are "
            "the same computation.",
        ),
        Control(
            _BY_NAME["axes"],
            "pills",
            "Reduce over (these share one mean)",
            options=tuple(normlib.AXES),
            multi=True,
            help="N batch, C channel, H height, W width. Any subset, including none.",
        ),
        Control(
            _BY_NAME["groups"],
            "select_slider",
            "Groups G (GroupNorm)",
            help="C is reduced only within each of G groups of C/G channels. Needs C reduced.",
        ),
        Control(_BY_NAME["eps"], "number_input", "eps"),
        Control(
            _BY_NAME["center"],
            "toggle",
            "Center",
            help="Off: divide by the root mean square, no mean subtracted (RMSNorm).",
        ),
        Control(
            _BY_NAME["gamma"],
            "number_input",
            "γ",
            help="Scale after normalizing, the same for every channel here.",
        ),
        Control(_BY_NAME["beta"], "number_input", "β", help="Shift after scaling."),
        Control(params.PICK),
        Control(
            params.Param("log", False, params.parse_bool("log"), params.format_bool),
            "toggle",
            "Log-scale counts",
        ),
        # st.tabs holds the open tab's label: the value is the label, the options the keys
        # older links used (tab=stats).
        Control(
            params.Param("tab", TABS["stats"], _parse_tab),
            "tabs",
            options=tuple(TABS),
            labels=TABS,
        ),
        Control(
            params.Param("present", False, parse_present, params.format_bool),
            "toggle",
            "Presenter view",
            help="For a projector: large type, one figure at a time, keyboard shortcuts. "
            "A link with ?present=true opens in it.",
        ),
        Control(
            params.Param("show", "grid", params.parse_choice(FIGURES, "show"), FIGURES.__getitem__),
            "segmented_control",
            "Show",
            options=tuple(FIGURES),
            labels=FIGURES,
        ),
    )
)
# The normalization's controls: drawn before the figures, repaired together (open_link).
NORM_CONTROLS = TABLE.names[: TABLE.names.index("pick")]
# Typed into boxes with no bounds in the browser (which would only show a red "!" and keep
# the old value): a value the parser refuses keeps the last good one (widgets.last_good).
TYPED_NUMBERS = tuple(c.name for c in TABLE if c.widget == "number_input")
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
        assign["axes"] = list(preset.axes)
        if "center" not in from_url:  # the link's own center=false is kept (and named below)
            assign["center"] = preset.center
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
    controls: Controls, from_url: Mapping[str, Any], shape: Shape4, linked_pick: bool = False
) -> list[str]:
    """Repair what a link or a typed value got wrong, in place; return what to tell the user.

    eps, γ and β typed out of range are the page's (normapp/explorer/link.py, last_good).
    `linked_pick`: the element was just set by a link (its message names the link's pick).
    """
    messages = _repair_groups(controls, from_url, shape)
    messages += _repair_preset(controls, from_url, shape)
    messages += _repair_pick(controls, shape, linked_pick)
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


def _repair_pick(controls: Controls, shape: Shape4, linked: bool) -> list[str]:
    """One message for the whole element, named as the link writes it (pick=n,c,h,w).

    Not widgets.last_good: the four boxes are parts of one link row, and their range is the
    input's, which the sidebar changes; a typed part keeps its last good value while that
    still fits, and a link's (or one a smaller input left outside) is clipped into range.
    """
    asked = tuple(controls[key] for key in PICK_KEYS)
    outside = []
    for key, size, axis in zip(PICK_KEYS, shape, "NCHW", strict=True):
        value, what = controls[key], key.removeprefix("ex:")
        if isinstance(value, int) and 0 <= value < size:
            controls[f"good:{key}"] = value
            continue
        kept = -1 if linked else controls.get(f"good:{key}", -1)
        if not 0 <= kept < size:
            kept = min(max(int(value), 0), size - 1)
        controls[key] = kept
        outside.append(f"{what} = {literal(value)} is outside 0 to {size - 1} ({axis} = {size})")
    if not outside:
        return []
    used = tuple(controls[key] for key in PICK_KEYS)
    if linked:
        return [params.pick_misfit_message(asked, shape, used)]
    return [
        f"The selected element ({', '.join(map(str, asked))}) does not fit this input: "
        f"{'; '.join(outside)}. Using pick={params.format_element(used)}."
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
