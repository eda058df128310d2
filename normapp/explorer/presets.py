"""Which preset a spec is, and what that layer brings: its learnable γ/β and its eps
defaults, read from the one table in normapp/teaching/framework_facts.py. Pure, no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

from normapp.teaching.framework_facts import facts_for
from normlib import METHODS, NormSpec
from normlib.typing import Shape4

# Each preset by its own name: what the Explorer's Method row and Compare's pills show and
# write into the URL (method=LayerNorm, methods=Method+1).
METHOD_NAMES = {key: method.name for key, method in METHODS.items()}


@dataclass(frozen=True)
class AffineParameters:
    """The learnable γ/β of the layer that computes a spec, from normapp.teaching.framework_facts.

    ``count`` is None when no layer computes the spec (Method 1, specs with no
    standard name): no count is claimed then, and ``note`` says why.
    """

    shape: str
    count: int | None
    formula: str
    note: str


def affine_parameters(spec: NormSpec, shape: Shape4, key: str | None = None) -> AffineParameters:
    """γ/β of `spec` on `shape`, read from the one table in normapp/teaching/framework_facts.py.

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
