"""Batch dependence (no Streamlit): one sample in changing batches, and how far each
method's output for it moves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import normlib
from normapp.links import params
from normapp.links.table import Control, Table
from normapp.teaching.compare import depends_on_batch, method_label, method_spec
from normapp.teaching.framework_facts import torch_refusal
from normlib import NormSpec
from normlib.typing import Shape4

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
# A max |Δ| at most this fraction of the output's size (at least 1) is float64 rounding, not
# a move: two batches with the same statistics computed in another order differ by ~1e-16.
ROUNDING = 1e-9
ROUNDING_TEXT = "10⁻⁹ × the output's size"
SHUFFLE_MAX = 9999
# Numbers in one batch (and in the reference batch) of the Batch-dependence page: six methods
# run on both in float64, so 2^21 numbers keep a view near a second on a laptop; a batch of two
# samples is always allowed, so a batch mate can always be added.
BATCH_WORK_MAX = 2**21


def batch_limit(shape: Shape4) -> int:
    """The largest batch (the sample + mates) the page builds for an input of `shape`."""
    _, c, h, w = shape
    return max(2, min(BATCH_MAX, BATCH_WORK_MAX // (c * h * w)))


def reference_rows(shape: Shape4, sample: int) -> np.ndarray:
    """The input's samples that form the reference batch: all N, or as many as the work cap
    allows (the sample first among them, then the lowest other indices)."""
    n = shape[0]
    keep = batch_limit(shape)
    if n <= keep:
        return np.arange(n)
    others = [i for i in range(n) if i != sample][: keep - 1]
    return np.array(sorted([sample, *others]))


# The page's controls, in the order it draws them (normapp/links/table.py). The sample, the
# batch size and the channel are bounded here by the app's caps; the page narrows each to the
# loaded input (normapp/links/input_range.py). Number widgets, not selectboxes: a selectbox
# writes its label into the URL ("n=2 · cat"), and links say sample=2, channel=1.
TABLE = Table(
    (
        Control(
            params.Param(
                "sample", 0, params.parse_int_in(0, params.N_MAX - 1, "sample (the sample's index)")
            ),
            "number_input",
            "The fixed sample n",
            bounds=(0, params.N_MAX - 1),
        ),
        Control(
            params.Param("batch", 4, params.parse_int_in(1, BATCH_MAX, "batch (the batch size)")),
            "slider",
            "Batch size (the sample + mates)",
            bounds=(1, BATCH_MAX),
        ),
        Control(
            params.Param("mates", "images", params.parse_choice(MATES, "mates"), MATES.__getitem__),
            "radio",
            "Batch mates",
            options=tuple(MATES),
            labels=MATES,
            help="Other images: drawn with replacement from the input's other samples. Random "
            "noise: Gaussian noise with the input's per-channel mean and standard deviation.",
        ),
        Control(
            params.Param(
                "shuffle",
                1,
                params.parse_int_in(0, SHUFFLE_MAX, "shuffle (the seed that draws mates)"),
            ),
            "number_input",
            "Shuffle seed",
            bounds=(0, SHUFFLE_MAX),
            help="Draws a different set of batch mates.",
        ),
        Control(
            params.Param("channel", 0, params.parse_int_in(0, params.C_MAX - 1, "channel")),
            "number_input",
            "Channel shown c",
            bounds=(0, params.C_MAX - 1),
        ),
    )
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
            copies = not std_c.any()
            row_labels.extend(
                f"noise {i + 1}" + (" (= the sample)" if copies else "") for i in range(size - 1)
            )
            if copies:
                message += (" " if message else "") + (
                    f"Every channel of the input holds one value (N·H·W = {count}), so its "
                    "spread is 0 and noise mates drawn with its mean and spread are exact "
                    "copies of the sample."
                )
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
    refused_batch: str = ""  # e.g. "the reference batch (N = 1)", when PyTorch refuses one
    scale: float = 1.0  # max |reference|: what a rounding-sized Δ is measured against

    @property
    def depends(self) -> bool:
        return depends_on_batch(self.spec)

    @property
    def moved(self) -> bool:
        """Moved by more than float64 rounding: max |Δ| > ROUNDING · max(1, max |reference|)."""
        return not self.error and self.max_abs > ROUNDING * max(1.0, self.scale)

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
        which, refusal = _refusal(key, spec, ref64.shape, batch.x.shape)
        if refusal:
            nan = float("nan")
            movements.append(Movement(key, label, spec, None, None, nan, refusal, which))
            continue
        try:
            if depends_on_batch(spec):
                reference = _run_method(key, spec, ref64)[sample]
            else:
                reference = _run_method(key, spec, ref64[sample : sample + 1])[0]
            output = _run_method(key, spec, batch.x)[0]
        except normlib.NormError as error:  # not expected: facts.REFUSALS is torch's and normlib's
            nan = float("nan")
            movements.append(Movement(key, label, spec, None, None, nan, str(error), "a batch"))
            continue
        max_abs = float(np.abs(output - reference).max())
        scale = float(np.abs(reference).max())
        movements.append(
            Movement(
                key,
                label,
                spec,
                output.astype(np.float32),
                reference.astype(np.float32),
                max_abs,
                scale=scale,
            )
        )
        del output, reference  # the float64 maps go before the next method runs
    return movements


def _refusal(key: str, spec: NormSpec, reference: tuple, batch: tuple) -> tuple[str, str]:
    """Which of the two batches PyTorch's layer for `key` refuses in training, and its words
    (facts.REFUSALS, checked against torch); ("", "") when it trains on both."""
    for name, shape in (("the reference batch", reference), ("this batch", batch)):
        if said := torch_refusal(key, shape, spec.groups):
            which = f"{name} (N = {shape[0]})"
            return which, f"PyTorch refuses {which}: {said}"
    return "", ""


def movement_parts(movement: Movement) -> tuple[str, str]:
    """The headline number and the words under it."""
    if movement.error:
        return "refused", f"PyTorch's layer refuses {movement.refused_batch}"
    if movement.max_abs == 0.0:
        if movement.depends:
            return "max |Δ| = 0", "this batch happens to give the same statistics"
        return "max |Δ| = 0", "does not depend on the batch"
    number = f"max |Δ| = {movement.max_abs:.3g}"
    if not movement.moved:
        return number, f"float64 rounding, not a move (at most {ROUNDING_TEXT})"
    return number, "moved: depends on the batch"


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


def movement_summary(movements: Sequence[Movement]) -> str:
    """One line for the top of the page: who moved, by how much, and who did not."""
    moved = [f"{m.label} {m.max_abs:.3g}" for m in movements if m.moved]
    still = [m.label for m in movements if not m.error and m.max_abs == 0.0]
    rounding = [
        f"{m.label} {m.max_abs:.3g}"
        for m in movements
        if not m.error and m.max_abs > 0 and not m.moved
    ]
    refused = [f"{m.label}, {m.refused_batch}" for m in movements if m.error]
    parts = []
    if moved:
        parts.append(
            f"**Moved** (max |Δ| above {ROUNDING:g} of the output's size): " + " · ".join(moved)
        )
    if still:
        parts.append("**Did not move** (exactly 0): " + " · ".join(still))
    if rounding:
        parts.append("**Did not move** (float64 rounding only): " + " · ".join(rounding))
    if refused:
        parts.append("**Refused by PyTorch in training**: " + " · ".join(refused))
    return " — ".join(parts)
