"""normlib.BatchNorm2d driven over a seeded stream of random minibatches of the current
input: the running statistics step by step, the whole input's statistics and the values
the running statistics settle around, and the stream's URL parameters. Pure, no Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

import normlib
from normapp.links import params
from normapp.links.table import Control, Table
from normapp.teaching.momentum_conventions import format_momentum, parse_momentum
from normlib.typing import Shape4

STEPS_MAX = 500
# Work cap for one stream: steps × batch elements (about 0.2 s of NumPy).
WORK_MAX = 40_000_000


@dataclass(frozen=True)
class Population:
    """Per-channel statistics of the whole input over (N, H, W), and the running targets.

    Attributes
    ----------
    mean, var_biased, var_unbiased : ndarray (C,)
        Over all M = N·H·W elements of a channel (unbiased divides by M − 1).
    sample_mean_var : ndarray (C,)
        Variance (over the N samples) of the per-sample channel means.
    batch_mean_var : ndarray (C,)
        Variance of the mean of a random batch of B samples (drawn without
        replacement): sample_mean_var / B · (N − B) / (N − 1).
    target_var : ndarray (C,)
        What running_var settles around: the expected unbiased variance of a
        random batch, m/(m − 1) · (var_biased − batch_mean_var), m = B·H·W.
        Equal to var_unbiased when B = N.
    """

    count: int
    batch_count: int
    mean: np.ndarray
    var_biased: np.ndarray
    var_unbiased: np.ndarray
    sample_mean_var: np.ndarray
    batch_mean_var: np.ndarray
    target_var: np.ndarray


def channel_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per sample and channel: the mean and the sum of squared deviations from it (float64).

    Every statistic of the page (the whole input's, any batch's) is pooled from
    these (N, C) arrays, one sample at a time, so no float64 copy of a large
    input is ever made and no sum of squares loses its digits to a large mean.
    """
    n, c, _, _ = x.shape
    means = np.empty((n, c))
    squares = np.empty((n, c))
    for i in range(n):
        sample = np.asarray(x[i], dtype=np.float64)  # (C, H, W): at most 2^24 / N values
        means[i] = sample.mean(axis=(1, 2))
        deviation = sample - means[i][:, None, None]
        squares[i] = np.einsum("chw,chw->c", deviation, deviation)
    return means, squares


def pooled_moments(
    means: np.ndarray, squares: np.ndarray, per_sample: int, rows=slice(None)
) -> tuple[int, np.ndarray, np.ndarray]:
    """(count, mean, sum of squared deviations) per channel of the samples `rows`.

    Chan's parallel combination: within-sample squares plus each sample's
    mean's squared distance from the pooled mean, times its H·W values.
    """
    part_means, part_squares = means[rows], squares[rows]
    count = part_means.shape[0] * per_sample
    mean = part_means.mean(axis=0)
    total = part_squares.sum(axis=0) + per_sample * ((part_means - mean) ** 2).sum(axis=0)
    return count, mean, total


def population(
    x: np.ndarray, batch: int, moments: tuple[np.ndarray, np.ndarray] | None = None
) -> Population:
    """The whole input's per-channel statistics and the running-statistics targets."""
    n, c, h, w = x.shape
    means, squares = channel_moments(x) if moments is None else moments
    count, mean, total = pooled_moments(means, squares, h * w)
    var_biased = total / count
    var_unbiased = total / (count - 1) if count > 1 else np.full(c, np.nan)
    sample_mean_var = means.var(axis=0)
    finite = (n - batch) / (n - 1) if n > 1 else 0.0
    batch_mean_var = sample_mean_var / batch * finite
    m = batch * h * w
    target_var = (var_biased - batch_mean_var) * m / (m - 1) if m > 1 else np.full(c, np.nan)
    return Population(
        count, m, mean, var_biased, var_unbiased, sample_mean_var, batch_mean_var, target_var
    )


def batch_indices(n: int, batch: int, steps: int, seed: int) -> np.ndarray:
    """(steps, batch) sample indices: each step draws `batch` of the N samples without
    replacement (sorted), from a generator seeded with `seed`."""
    rng = np.random.default_rng(seed)
    return np.stack([np.sort(rng.choice(n, size=batch, replace=False)) for _ in range(steps)])


def steps_within_budget(steps: int, batch: int, shape: Shape4) -> int:
    """Fewer steps when the input is so large the stream would take too long."""
    _, c, h, w = shape
    per_step = batch * c * h * w
    return max(1, min(steps, WORK_MAX // per_step))


@dataclass(frozen=True)
class TrainRun:
    """normlib.BatchNorm2d after a stream of training batches, and one batch in both modes.

    running_mean/running_var have steps + 1 rows: row 0 is the start (0 and 1).
    The last batch of the stream is shown in training and eval mode: its
    training output used its own statistics; its eval output uses the
    running statistics after the last step.
    """

    momentum: float | None
    steps: int
    batch: int
    indices: np.ndarray  # (steps, batch)
    running_mean: np.ndarray  # (steps + 1, C)
    running_var: np.ndarray  # (steps + 1, C)
    batch_mean: np.ndarray  # (steps, C)
    batch_var_unbiased: np.ndarray  # (steps, C)
    last_x: np.ndarray  # (B, C, H, W)
    train_out: np.ndarray
    eval_out: np.ndarray
    last_var_biased: np.ndarray  # (C,)
    population: Population
    eps: float = 1e-5
    num_batches_tracked: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def m(self) -> int:
        _, _, h, w = self.last_x.shape
        return self.batch * h * w


def train_stream(
    x: np.ndarray, momentum: float | None, steps: int, batch: int, seed: int, eps: float = 1e-5
) -> TrainRun:
    """Drive normlib.BatchNorm2d (PyTorch semantics) over `steps` random minibatches of `x`.

    Raises normlib.NormError when a batch has one value per channel (B·H·W = 1),
    exactly as torch does in training.
    """
    n, c, h, w = x.shape
    batch = max(1, min(int(batch), n))
    notes = []
    budget = steps_within_budget(steps, batch, x.shape)
    if budget < steps:
        notes.append(
            f"This input is large: {budget} steps run instead of {steps}, to keep the page fast."
        )
        steps = budget
    indices = batch_indices(n, batch, steps, seed)
    bn = normlib.BatchNorm2d(c, eps=eps, momentum=momentum)
    running_mean = [bn.running_mean.copy()]
    running_var = [bn.running_var.copy()]
    # Each batch's statistics pooled from per-sample moments (float64), for the
    # record; BatchNorm2d computes its own from the batch.
    moments = channel_moments(x)
    pooled = [pooled_moments(*moments, h * w, idx) for idx in indices]
    batch_mean = np.array([mean for _, mean, _ in pooled])
    batch_var = np.array([total / max(count - 1, 1) for count, _, total in pooled])
    for idx in indices:  # not empty: indices[-1] is read below
        out = bn(x[idx])
        running_mean.append(bn.running_mean.copy())
        running_var.append(bn.running_var.copy())
    last = x[indices[-1]]
    last_count, _, last_total = pooled[-1]
    return TrainRun(
        momentum=momentum,
        steps=steps,
        batch=batch,
        indices=indices,
        running_mean=np.array(running_mean, dtype=np.float64),
        running_var=np.array(running_var, dtype=np.float64),
        batch_mean=batch_mean,
        batch_var_unbiased=batch_var,
        last_x=last,
        train_out=out,
        eval_out=bn(last, training=False),
        last_var_biased=last_total / last_count,
        population=population(x, batch, moments),
        eps=eps,
        num_batches_tracked=bn.num_batches_tracked,
        notes=tuple(notes),
    )


def target_table(run: TrainRun, channel_labels: Sequence[str]) -> dict[str, list]:
    """Per channel: the population statistics and the running statistics' targets."""
    pop = run.population
    rows: dict[str, list] = {
        "channel": [], "mean (dashed)": [], "running_mean now": [],
        "var, whole input ÷ M": [], "var, whole input ÷ (M−1)": [],
        "target var (dashed)": [], "running_var now": [],
    }  # fmt: skip
    for c, label in enumerate(channel_labels):
        rows["channel"].append(f"{c} ({label})")
        rows["mean (dashed)"].append(f"{pop.mean[c]:.5g}")
        rows["running_mean now"].append(f"{run.running_mean[-1, c]:.5g}")
        rows["var, whole input ÷ M"].append(f"{pop.var_biased[c]:.5g}")
        rows["var, whole input ÷ (M−1)"].append(f"{pop.var_unbiased[c]:.5g}")
        rows["target var (dashed)"].append(f"{pop.target_var[c]:.5g}")
        rows["running_var now"].append(f"{run.running_var[-1, c]:.5g}")
    return rows


# ============================================================ URL parameters
# The page's controls, in the order it draws them (normapp/links/table.py).
# momentum stays a "link" row, read and written by the page: its select_slider's options are
# PyTorch's usual values plus any value a link brings (momentum=0.3 is added to the slider), and
# Streamlit's binding refuses a URL value that is not among the options the widget was drawn
# with, and would write the label "None (cumulative)" where links say momentum=none.
# bsize: not "batch", the Batch dependence page's name for its batch size (old_names: a
# /train-eval?batch=2 link still opens B = 2). B is at most the input's N: the page narrows
# the range to the loaded input (normapp/links/input_range.py).
TABLE = Table(
    (
        Control(params.Param("momentum", 0.1, parse_momentum, format_momentum)),
        Control(
            params.Param("steps", 100, params.parse_int_in(1, STEPS_MAX, "steps")),
            "slider",
            "Training steps",
            bounds=(1, STEPS_MAX),
        ),
        Control(
            params.Param(
                "bsize", 4, params.parse_int_in(1, params.N_MAX, "bsize (the batch size B)")
            ),
            "slider",
            "Batch size B",
            bounds=(1, params.N_MAX),
            old_names=("batch",),
        ),
        # Not "seed": the sidebar's random tensor already uses that name in the URL.
        Control(
            params.Param(
                "bseed", 0, params.parse_int_in(0, 2**31 - 1, "bseed (the batch-drawing seed)")
            ),
            "number_input",
            "Batch seed",
            bounds=(0, 2**31 - 1),
            help="Seeds which samples each batch draws.",
        ),
    )
)
