"""The app's shareable state: URL query parameters parsed once into values.

Pure Python (no Streamlit), so every rule here is reachable from a test:
each parameter has a default, a parser that raises ``ValueError`` with a
message a learner can act on, and a formatter that writes it back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import normlib
from normapp.links.literal import literal, quoted
from normlib.typing import Element, Shape4

# Caps that keep the app responsive on a laptop projecting to a class.
N_MAX = 64
C_MAX = 64
HW_MAX = 256
ELEMENTS_MAX = 2**24
SEED_MAX = 2**31 - 1  # the random tensor's seed: a 32-bit signed int, as in the URL

ERROR_ECHO_LIMIT = 200  # characters of a parser's message (it may quote the link's value)

SOURCES = {
    "samples": "Sample images",
    "uploads": "My images (upload)",
    "random": "Random tensor",
    "features": "CNN feature maps",
}
IMAGE_SIZES = (8, 16, 32, 48, 64, 96, 128, 192, 256)
DISTRIBUTIONS = ("normal", "uniform", "laplace", "lognormal", "bimodal")


@dataclass(frozen=True)
class Param:
    """One query parameter: its name, default and the two directions of conversion."""

    name: str
    default: Any
    parse: Callable[[str], Any]
    format: Callable[[Any], str] = str


def parse_int_in(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{what} must be a whole number, got {quoted(text)}") from None
        if not low <= value <= high:
            raise ValueError(f"{what} must be from {low} to {high}, got {value}")
        return value

    return parse


def parse_float_in(low: float, high: float, what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{what} must be a number, got {quoted(text)}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(
                f"{what} must be a number from {low:g} to {high:g}, got {quoted(text)}"
            )
        return value

    return parse


def parse_choice(options: Mapping[str, Any] | tuple[str, ...], what: str) -> Callable[[str], str]:
    """A parser for one of `options`: its key, or (for a mapping) its label, any case.

    Keys are the older link form (``source=random``); labels are what a bound
    widget writes into the URL (``source=Random tensor``). A refusal names the labels,
    as the control shows them (the keys still work, but a link is written with labels).

    >>> parse_choice({"random": "Random tensor", "samples": "Sample images"}, "source")("x")
    Traceback (most recent call last):
    ...
    ValueError: source must be one of “Random tensor”, “Sample images”; got 'x'
    """
    by_text = {str(key).lower(): key for key in options}
    valid = ", ".join(map(str, options))
    if isinstance(options, Mapping):
        by_text.update({str(label).lower(): key for key, label in options.items()})
        valid = ", ".join(f"“{label}”" for label in options.values())

    def parse(text: str) -> str:
        value = by_text.get(text.strip().lower())
        if value is None:
            raise ValueError(f"{what} must be one of {valid}; got {quoted(text)}")
        return value

    return parse


def parse_key_list(text: str, options: Sequence[str], name: str, noun: str) -> list[str]:
    """``a,b,c`` into keys of `options`: lower case, repeats dropped, in the order given.

    Raises ValueError naming (literally, as a link gave them) every unknown key and listing the
    valid ones; `name` is the parameter, `noun` what one key is.

    >>> parse_key_list("B, a,b", ("a", "b"), "letters", "letter")
    ['b', 'a']
    """
    keys = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not keys:
        raise ValueError(f"{name} must name at least one of {', '.join(options)}")
    unknown = [key for key in keys if key not in options]
    if unknown:
        # The keys come from a link: shown literally (escaped, truncated), never as Markdown.
        named = ", ".join(quoted(key) for key in unknown[:3])
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        raise ValueError(
            f"unknown {noun}{'s' if len(unknown) > 1 else ''} {named}{more}; "
            f"choose from {', '.join(options)}"
        )
    return list(dict.fromkeys(keys))


def parse_bool(what: str) -> Callable[[str], bool]:
    def parse(text: str) -> bool:
        if text in ("1", "true", "True"):
            return True
        if text in ("0", "false", "False"):
            return False
        raise ValueError(f"{what} must be 0 or 1, got {quoted(text)}")

    return parse


def format_bool(value: bool) -> str:
    """As a bound toggle writes it into the URL (parse_bool reads 1 and 0 too)."""
    return "true" if value else "false"


def format_float(value: float) -> str:
    return f"{value:g}"


def parse_shape(text: str) -> Shape4:
    """Parse ``NxCxHxW`` (``x``, ``×``, ``*`` or ``,`` between) and apply the caps.

    Raises ValueError naming the part that is wrong and the cap that binds.
    """
    parts = [p for p in text.replace("×", "x").replace("*", "x").replace(",", "x").split("x")]
    if len(parts) != 4:
        raise ValueError(f"shape must be N x C x H x W, e.g. 4x6x10x12; got {quoted(text)}")
    try:
        n, c, h, w = (int(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"shape must be four whole numbers, e.g. 4x6x10x12; got {quoted(text)}"
        ) from None
    check_shape_caps((n, c, h, w))
    return (n, c, h, w)


def check_shape_caps(shape: Shape4) -> None:
    """Raise ValueError saying which cap a shape exceeds, and why the cap exists."""
    n, c, h, w = shape
    for size, name, cap in ((n, "N", N_MAX), (c, "C", C_MAX), (h, "H", HW_MAX), (w, "W", HW_MAX)):
        if size < 1:
            raise ValueError(f"{name} must be at least 1, got {size}")
        if size > cap:
            raise ValueError(
                f"{name} = {size} is above the cap of {cap} that keeps the app responsive; "
                f"use {name} ≤ {cap} (normlib itself has no such cap)"
            )
    if n * c * h * w > ELEMENTS_MAX:
        raise ValueError(
            f"{n}×{c}×{h}×{w} = {n * c * h * w:,} elements is above the cap of "
            f"{ELEMENTS_MAX:,} (2^24) that keeps every view under a second; make the tensor smaller"
        )


def parse_element(text: str) -> Element:
    """Parse a selected element ``n,c,h,w`` (bounds are checked against the shape later)."""
    parts = text.replace("x", ",").split(",")
    try:
        element = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"pick must be four whole numbers n,c,h,w, e.g. 0,1,2,3; got {quoted(text)}"
        ) from None
    if len(element) != 4 or min(element) < 0:
        raise ValueError(f"pick must be four whole numbers ≥ 0, n,c,h,w; got {quoted(text)}")
    return element


def format_element(element: tuple[int, ...]) -> str:
    return ",".join(str(i) for i in element)


def format_shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape)


def parse_axes(text: str) -> str:
    try:
        return normlib.NormSpec(text).axes
    except normlib.NormError as error:
        raise ValueError(str(error)) from None


# The selected element n,c,h,w (the Explorer's and Compare's).
PICK = Param("pick", (0, 0, 0, 0), parse_element, format_element)


# The normalization choice, used by the Explorer (and any page that picks one spec).
NORM_PARAMS: tuple[Param, ...] = (
    Param("axes", "NHW", parse_axes),
    Param("groups", 1, parse_int_in(1, C_MAX, "groups")),
    Param("eps", 1e-5, parse_float_in(0.0, 1.0, "eps"), format_float),
    Param("center", True, parse_bool("center"), format_bool),
    Param("gamma", 1.0, parse_float_in(-10.0, 10.0, "gamma"), format_float),
    Param("beta", 0.0, parse_float_in(-10.0, 10.0, "beta"), format_float),
)


def misfit_message(name: str, asked: object, reason: str, used: str) -> str:
    """A link parameter that parsed but does not fit the loaded input: what and what is used.

    The one wording of every page's "does not fit" warning; `asked` comes from
    the link and is shown literally.
    """
    return f"Link parameter {name}={literal(asked)} {reason}; using {used}."


def pick_misfit_message(asked: Element, shape: Shape4, used: Element) -> str:
    """A link's element pick=n,c,h,w outside the input's shape (the Explorer's and Compare's).

    >>> pick_misfit_message((9, 0, 0, 1), (8, 3, 4, 4), (7, 0, 0, 1)).split(": ")[-1]
    'n = 9 is outside 0 to 7; using pick=7,0,0,1.'
    """
    outside = "; ".join(
        f"{axis} = {value} is outside 0 to {size - 1}"
        for axis, value, size in zip("nchw", asked, shape, strict=True)
        if not 0 <= value < size
    )
    reason = f"is outside the input's shape {shape}: {outside}"
    return misfit_message("pick", format_element(asked), reason, f"pick={format_element(used)}")


def image_size(values: Mapping[str, Any]) -> int:
    return int(values["size"])


def divisors(channels: int) -> list[int]:
    """The group counts GroupNorm accepts on `channels` channels."""
    return [d for d in range(1, channels + 1) if channels % d == 0]


def nearest_divisor(channels: int, wanted: int) -> int:
    """The valid group count closest to `wanted` (the smaller one on a tie)."""
    return min(divisors(channels), key=lambda d: (abs(d - wanted), d))


def default_groups(channels: int) -> int:
    """GroupNorm's default G on `channels` channels: the smallest divisor G with 1 < G < C.

    The fewest real groups, so each group holds the most channels and the set
    pictures (first few channels) show whole groups; 2 for every even C. Only
    when no such divisor exists (C = 1 or C prime) is G = C, InstanceNorm's sets.
    """
    return next((g for g in divisors(channels) if 1 < g < channels), channels)
