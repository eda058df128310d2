"""The shared sidebar's controls, declared once: the tensor every page normalizes (no Streamlit).

normapp/sidebar.py draws these rows (normapp/links/widgets.py) in the sidebar of every page;
their URL names, defaults, ranges, labels and help texts are here only. The names are the
app's everywhere: no page's own control may take one of them (the lab's seed is "tseed").
"""

from __future__ import annotations

from normapp.links import params
from normapp.links.params import C_MAX, HW_MAX, N_MAX, SEED_MAX, Param
from normapp.links.table import Control, Table

# Which rows each source draws; the others keep their values (persist_state) but are not used.
SOURCE_CONTROLS = {
    "samples": ("source", "n", "size"),
    "features": ("source", "n", "size"),
    "uploads": ("source", "size"),
    "random": ("source", "shape", "dist", "seed", "coff", "cscale", "soff", "sscale"),
}
RANDOM_TENSOR = SOURCE_CONTROLS["random"][1:]


def _spread(name: str, default: float, top: float, step: float, label: str, help: str) -> Control:
    """A slider for one of the random tensor's spreads, from 0 to `top`; a link's value outside
    that range is refused with the slider's label in lower case as what it is."""
    what = f"{name} (the {label[0].lower()}{label[1:]})"
    return Control(
        Param(name, default, params.parse_float_in(0.0, top, what), params.format_float),
        "slider",
        label,
        bounds=(0.0, top),
        step=step,
        help=help,
    )


TABLE = Table(
    (
        Control(
            Param(
                "source",
                "samples",
                params.parse_choice(params.SOURCES, "source"),
                params.SOURCES.__getitem__,
            ),
            "radio",
            "Tensor to normalize",
            options=tuple(params.SOURCES),
            labels=params.SOURCES,
            help="Images give C = 3 (red, green, blue); feature maps give C = 8 filter responses.",
        ),
        Control(
            Param("n", 8, params.parse_int_in(1, N_MAX, "n (the number of images)")),
            "slider",
            "N: images in the batch",
            bounds=(1, N_MAX),
        ),
        Control(
            # Kept as its text, so the select slider and the URL agree; see params.image_size.
            Param("size", "32", params.parse_choice(tuple(map(str, params.IMAGE_SIZES)), "size")),
            "select_slider",
            "H = W: image size (pixels)",
            options=tuple(map(str, params.IMAGE_SIZES)),
            help="Images are resized (shorter side) and centre-cropped to a square.",
        ),
        Control(
            Param("shape", (8, 6, 16, 16), params.parse_shape, params.format_shape),
            "text_input",
            "Shape N×C×H×W",
            help=f"Caps: N ≤ {N_MAX}, C ≤ {C_MAX}, H, W ≤ {HW_MAX}, at most 2^24 elements.",
        ),
        Control(
            Param(
                "dist",
                "normal",
                params.parse_choice(params.DISTRIBUTIONS, "dist (the distribution)"),
            ),
            "selectbox",
            "Distribution",
            options=params.DISTRIBUTIONS,
        ),
        # No bounds: the browser would refuse a number out of range with only a red "!" on
        # hover; the parser refuses it and the sidebar says so (normapp/sidebar.py).
        Control(
            Param("seed", 0, params.parse_int_in(0, SEED_MAX, "seed")),
            "number_input",
            "Seed",
            help=f"A whole number from 0 to {SEED_MAX}: the same seed gives the same tensor.",
        ),
        _spread(
            "coff",
            2.0,
            10.0,
            0.5,
            "Per-channel offset spread",
            "Shifts each channel's mean differently, so BatchNorm has something to undo.",
        ),
        _spread(
            "cscale",
            1.0,
            3.0,
            0.25,
            "Per-channel scale spread",
            "Gives each channel a different spread: BatchNorm and InstanceNorm equalize it.",
        ),
        _spread(
            "soff",
            0.0,
            10.0,
            0.5,
            "Per-sample offset spread",
            "Shifts each sample differently: LayerNorm and InstanceNorm remove it, BatchNorm "
            "does not.",
        ),
        _spread(
            "sscale",
            0.0,
            3.0,
            0.25,
            "Per-sample scale spread",
            "Gives each sample a different contrast: per-sample methods undo it.",
        ),
    )
)
