"""The Training lab's link parameters and the names its controls show.

Every control is in the URL like every other page's (the keys below); a value a link brings
that no control can take is reported and the default used (normapp.links.bound).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import normlib
from normapp.lab.training import RunConfig
from normapp.links import params
from normapp.links.literal import quoted
from normapp.links.table import Control, Table

NORM_KEYS = ("none", "batchnorm", "groupnorm", "layernorm", "instancenorm", "custom")
BATCH_SIZES = (2, 4, 8, 16, 32)
# Up to 100: large enough that a run blows up (the page then says at which step it diverged).
LEARNING_RATES = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0)
STEP_CHOICES = (50, 100, 200, 400, 800)
GROUP_CHOICES = (1, 2, 4, 8, 16, 32)  # divisors of the network's 32 channels
SEED_MAX = 99
# How runs at different batch sizes are made comparable. "images": steps and learning rate are
# given for REFERENCE_BATCH and scaled for the others, so every batch size sees the same images
# with a learning rate proportional to the batch (the GroupNorm paper's protocol for its
# Figure 1, after Goyal et al., 2017). "steps": every batch size takes the same steps at the
# same learning rate, so a small batch sees fewer images.
MATCHES = {
    "images": "the same images (as the GroupNorm paper)",
    "steps": "the same steps",
}
REFERENCE_BATCH = 32
DEFAULT_NORMS = ("batchnorm", "groupnorm")
DEFAULT_AXES = "C"

_DEFAULT = RunConfig(norm="batchnorm", batch_size=32)


@dataclass(frozen=True)
class Preset:
    """A named setting of the lab's controls (its other controls keep their values)."""

    title: str
    norms: tuple[str, ...]
    batch: int
    lr: float
    steps: int
    match: str = "images"


# The page's first view is "paper"; "why" shows what normalization buys at a learning rate
# where the network without it does not train (measured: benchmarks/bench_lab.py, point 4).
PRESETS = {
    "paper": Preset(
        "the GroupNorm paper's Figure 1", DEFAULT_NORMS, 32, _DEFAULT.learning_rate, 200
    ),
    "why": Preset("why normalize at all?", ("none", "batchnorm", "groupnorm"), 32, 0.2, 200),
}


def norm_label(key: str, groups: int = 4, axes: str = DEFAULT_AXES) -> str:
    """The name a learner knows for a norm choice.

    Examples
    --------
    >>> norm_label("groupnorm", 8), norm_label("custom", axes="NH")
    ('GroupNorm(8)', 'custom axes NH')
    """
    if key == "groupnorm":
        return f"GroupNorm({groups})"
    if key == "custom":
        return f"custom axes {axes}"
    return NORM_NAMES[key]


def parse_norms(text: str) -> tuple[str, ...]:
    """``batchnorm,groupnorm`` (keys, or the labels the pills write) into norm keys, in the
    order of NORM_KEYS, repeats dropped.

    >>> parse_norms("groupnorm, BatchNorm"), parse_norms("BatchNorm2d,custom axes")
    (('batchnorm', 'groupnorm'), ('batchnorm', 'custom'))
    """
    by_label = {label.lower(): key for key, label in NORM_NAMES.items()}
    text = ",".join(by_label.get(part.strip().lower(), part) for part in text.split(","))
    keys = params.parse_key_list(text, NORM_KEYS, "norms", "norm")
    return tuple(k for k in NORM_KEYS if k in keys)


def format_norms(keys: Sequence[str]) -> str:
    return ",".join(keys)


def parse_custom_axes(text: str) -> str:
    """The custom normalization's axes: letters of N, C, H, W that reduce something.

    >>> parse_custom_axes("hn")
    'NH'
    """
    try:
        spec = normlib.NormSpec(text)
    except normlib.NormError as error:
        raise ValueError(str(error)) from None
    if not spec.axes:
        raise ValueError(
            "axes must name at least one axis: with none every element is its own set and "
            "the layer outputs 0, so nothing could be learned; e.g. C or NH"
        )
    return spec.axes


def _parse_choice_number(options: Sequence[float], what: str, kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise ValueError(f"{what} must be one of {', '.join(map(str, options))}") from None
        if value not in options:
            raise ValueError(
                f"{what} must be one of {', '.join(map(str, options))}, got {quoted(text)}"
            )
        return value

    return parse


# What the norm pills show and write into the URL. GroupNorm's G and the custom axes have
# their own controls: a label that changed with them would change the link's value too.
NORM_NAMES = {
    "none": "no normalization",
    "batchnorm": "BatchNorm2d",
    "groupnorm": "GroupNorm",
    "layernorm": "LayerNorm",
    "instancenorm": "InstanceNorm2d",
    "custom": "custom axes",
}

# The lab's controls, in the order the page draws them (normapp/links/table.py). "tbatch",
# "tsteps", "tseed": not "batch", "steps", "seed", which are the Batch dependence, Train vs
# eval and sidebar controls' (a link that names them on /lab still works: old_names).
# "gn_groups", "custom_axes": not the Explorer's "groups" and "axes".
TABLE = Table(
    (
        Control(
            params.Param("norms", DEFAULT_NORMS, parse_norms, format_norms),
            "pills",
            "Normalizations to train (several to compare)",
            options=NORM_KEYS,
            labels=NORM_NAMES,
            multi=True,
            joiner=",",
        ),
        Control(
            params.Param(
                "tbatch",
                _DEFAULT.batch_size,
                _parse_choice_number(BATCH_SIZES, "tbatch (the batch size)", int),
            ),
            "select_slider",
            "Batch size (images per step)",
            options=BATCH_SIZES,
            old_names=("batch",),
        ),
        Control(
            params.Param(
                "lr",
                _DEFAULT.learning_rate,
                _parse_choice_number(LEARNING_RATES, "lr (the learning rate)", float),
                params.format_float,
            ),
            "select_slider",
            "Learning rate",
            options=LEARNING_RATES,
            help="SGD's step size. Too large and the loss can blow up: the run then stops and "
            "says so.",
        ),
        Control(
            params.Param(
                "tsteps", _DEFAULT.steps, _parse_choice_number(STEP_CHOICES, "tsteps", int)
            ),
            "select_slider",
            "Training steps",
            options=STEP_CHOICES,
            old_names=("steps",),
        ),
        Control(
            params.Param("tseed", 0, params.parse_int_in(0, SEED_MAX, "tseed (the training seed)")),
            "number_input",
            "Seed",
            bounds=(0, SEED_MAX),
            help="Sets the starting weights and the order of the images.",
        ),
        Control(
            params.Param(
                "gn_groups",
                _DEFAULT.groups,
                _parse_choice_number(GROUP_CHOICES, "gn_groups (GroupNorm's G)", int),
            ),
            "selectbox",
            "GroupNorm's number of groups G",
            options=GROUP_CHOICES,
        ),
        Control(
            params.Param("custom_axes", DEFAULT_AXES, parse_custom_axes),
            "text_input",
            "Custom axes (letters of N, C, H, W)",
            help="The axes one mean and variance are taken over, as in the Explorer: NHW is "
            "BatchNorm2d, CHW LayerNorm, HW InstanceNorm2d. With N among them the layer uses the "
            "batch's statistics in training and at evaluation alike (no running statistics).",
        ),
        Control(
            params.Param("match", "images", params.parse_choice(MATCHES, "match")),
            "radio",
            "Compare batch sizes with",
            options=tuple(MATCHES),
            labels=MATCHES,
            help="The same images: a batch of B takes 32/B times the steps, with the learning "
            "rate times B/32, so every batch size sees the same images (the GroupNorm paper "
            "trains every batch size for the same epochs with a learning rate proportional to "
            "the batch, after Goyal et al., 2017). The same steps: a small batch then sees "
            "fewer images.",
        ),
    )
)


def hidden_controls(norms: Sequence[str]) -> set[str]:
    """The controls the page does not draw for these norms: G and the custom axes.

    >>> sorted(hidden_controls(["batchnorm", "groupnorm"]))
    ['custom_axes']
    """
    hidden = set()
    if "groupnorm" not in norms:
        hidden.add("gn_groups")
    if "custom" not in norms:
        hidden.add("custom_axes")
    return hidden


def scaled(steps: int, learning_rate: float, batch_size: int, match: str) -> tuple[int, float]:
    """The steps and learning rate a run at `batch_size` uses, from the controls' values.

    >>> scaled(200, 0.02, 4, "images")  # the images of 200 steps at batch 32, lr × 4/32
    (1600, 0.0025)
    >>> scaled(200, 0.02, 4, "steps")
    (200, 0.02)
    """
    if match == "images":
        return steps * REFERENCE_BATCH // batch_size, learning_rate * batch_size / REFERENCE_BATCH
    return steps, learning_rate


def run_configs(
    norms: Sequence[str],
    batch_size: int,
    learning_rate: float,
    steps: int,
    seed: int,
    groups: int,
    axes: str,
    match: str = "images",
) -> list[RunConfig]:
    """One RunConfig per chosen norm; G and the axes only where they matter (cache keys).

    `steps` and `learning_rate` are the controls' values, scaled for `batch_size` by `match`.
    """
    steps, learning_rate = scaled(steps, learning_rate, batch_size, match)
    return [
        RunConfig(
            norm=norm,
            batch_size=batch_size,
            learning_rate=learning_rate,
            steps=steps,
            seed=seed,
            groups=groups if norm == "groupnorm" else _DEFAULT.groups,
            axes=axes if norm == "custom" else "",
        )
        for norm in norms
    ]


def lab_query(spec: normlib.NormSpec) -> dict[str, str] | None:
    """The Training lab's link parameters for training with `spec`, or None when it cannot.

    The lab's network has 32 channels and centers every norm: an uncentered spec or one that
    reduces nothing has no lab run, and a GroupNorm whose G is not among the lab's gets the lab's
    G. A named method is asked for by name (BatchNorm2d also keeps its running statistics),
    any other axes as custom. Written as the lab's controls write them (the pills' labels).

    >>> lab_query(normlib.NormSpec("NHW"))
    {'norms': 'BatchNorm2d'}
    >>> lab_query(normlib.NormSpec("CHW", groups=8))
    {'norms': 'GroupNorm', 'gn_groups': '8'}
    >>> lab_query(normlib.NormSpec("CHW", groups=3))  # 3 groups do not divide 32 channels
    {'norms': 'GroupNorm'}
    >>> lab_query(normlib.NormSpec("NH"))
    {'norms': 'custom axes', 'custom_axes': 'NH'}
    >>> lab_query(normlib.NormSpec("CHW", center=False)) is None
    True
    """
    if not spec.center or not spec.axes:
        return None
    if spec.groups > 1:
        if spec.groups not in GROUP_CHOICES:
            return {"norms": NORM_NAMES["groupnorm"]}
        return {"norms": NORM_NAMES["groupnorm"], "gn_groups": str(spec.groups)}
    named = {"NHW": "batchnorm", "CHW": "layernorm", "HW": "instancenorm"}
    if spec.axes in named:
        return {"norms": NORM_NAMES[named[spec.axes]]}
    return {"norms": NORM_NAMES["custom"], "custom_axes": spec.axes}


# The settings a run depends on besides its normalization and batch size.
RUN_SETTINGS = ("lr", "tsteps", "tseed", "gn_groups", "custom_axes", "match")


def configs_at(values: dict, norms: list[str], batch: int) -> list:
    return run_configs(norms, batch, *(values[k] for k in RUN_SETTINGS))


def sweep_key(values: dict, norms: list[str]) -> tuple:
    """ "Train every batch size" holds for these settings only: a change of any other ends it."""
    return (tuple(norms), *(values[k] for k in RUN_SETTINGS))
