"""Train vs eval (no Streamlit): normlib.BatchNorm2d driven over a seeded stream of random
minibatches of the current input, the values its running statistics settle around, and
the training- and eval-mode outputs of one batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

import normlib
from normapp import state
from normlib import METHODS
from normlib.typing import Shape4

MOMENTUM_OPTIONS = ("0.01", "0.05", "0.1", "0.2", "0.5", "1", "none")
STEPS_MAX = 500
# Work cap for one stream: steps × batch elements (about 0.2 s of NumPy).
WORK_MAX = 40_000_000


def parse_momentum(text: str) -> float | None:
    """``none`` (cumulative average) or a number from 0.01 to 1."""
    value = text.strip().lower()
    if value in ("none", "cumulative"):
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(
            f"momentum must be a number from 0.01 to 1 or 'none' (cumulative); got {text!r}"
        ) from None
    if not (math.isfinite(number) and 0.01 <= number <= 1.0):
        raise ValueError(
            f"momentum must be from 0.01 to 1 (PyTorch's default 0.1) or 'none'; got {text!r}"
        )
    return number


def keras_mixup_note(value: float | None) -> str | None:
    """A hint when a momentum looks copied from Keras (0.9 and up)."""
    if value is None or value < 0.9 or value == 1.0:
        return None
    return (
        f"PyTorch momentum {value:g} gives the newest batch weight {value:g}. If {value:g} was "
        f"Keras' momentum, PyTorch's equivalent is {1 - value:.2g}."
    )


def format_momentum(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def momentum_options(current: float | None) -> list[str]:
    """The slider's options, with a value from a link inserted in order if it is new."""
    numbers = sorted(
        {float(o) for o in MOMENTUM_OPTIONS if o != "none"}
        | (set() if current is None else {float(current)})
    )
    return [f"{n:g}" for n in numbers] + ["none"]


def momentum_words(value: float | None) -> str:
    if value is None:
        return "None (cumulative average: factor 1/k at step k)"
    return f"{value:g}"


def keras_momentum(value: float | None) -> str:
    """PyTorch momentum → Keras momentum (the weight of the old value)."""
    if value is None:
        return "no Keras equivalent (Keras always uses an exponential moving average)"
    return f"{1.0 - value:.4g}"


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


def keras_variance_note(momentum: float | None, m: int) -> str:
    """What matched momentum does not match: Keras averages the biased variance.

    Keras 3's BatchNormalization updates moving_variance with the batch's
    biased variance (÷ m); PyTorch's running_var takes the unbiased one
    (÷ (m − 1)), so with matched momentum PyTorch's is m/(m − 1) times Keras'.
    """
    if momentum is None:
        return ""
    factor = f"{m / (m - 1):.6g}" if m > 1 else "undefined (m = 1)"
    return (
        f"Matched momentum does not give matched variances: Keras' `moving_variance` averages "
        f"each batch's **biased** variance (÷ m), PyTorch's `running_var` the **unbiased** one "
        f"(÷ (m − 1)). Each batch adds m/(m − 1) = {factor} times more to PyTorch's, so once "
        f"the starting value 1 has faded PyTorch's is {factor} times Keras' "
        f"(m = B·H·W = {m:,} here; `moving_mean` and `running_mean` agree)."
    )


@dataclass(frozen=True)
class VarianceGap:
    """running_var's target at the chosen B against the whole input's unbiased variance."""

    batch: int
    n: int
    target: np.ndarray  # (C,) expected unbiased within-batch variance at this B
    whole: np.ndarray  # (C,) whole input's unbiased variance (the target at B = N)
    mean_spread: np.ndarray  # (C,) Var(batch mean): what a batch's variance misses

    def words(self, channel_labels: Sequence[str]) -> str:
        """One sentence with the channels' numbers: lower, higher or equal, and by how much."""
        if self.batch == self.n or not np.all(np.isfinite(self.target)):
            return (
                f"With B = N = {self.n} every batch is the whole input, so running_var settles "
                "at the whole input's unbiased variance."
            )
        ratio = self.whole / np.where(self.target > 0, self.target, np.nan)
        worst = int(np.nanargmax(np.abs(np.log(ratio)))) if np.isfinite(ratio).any() else 0
        r = float(ratio[worst])
        if not np.isfinite(r):
            how = "cannot be compared (a batch's variance is 0)"
        elif r > 1.0005:
            how = f"{r:.3g}× lower"
        elif r < 1 / 1.0005:
            how = f"{1 / r:.3g}× higher"
        else:
            how = "about the same"
        return (
            f"At batch size B = {self.batch}, running_var estimates the variance **within** a "
            f"batch, which misses the spread of the batch means across batches "
            f"(Var(batch mean) = {self.mean_spread[worst]:.4g} for channel {worst}, "
            f"{channel_labels[worst]}). There it settles near {self.target[worst]:.4g} against "
            f"the whole input's {self.whole[worst]:.4g}: {how}. It is lower when whole samples "
            "differ from each other (images); for i.i.d. noise the batch means hardly spread "
            "and the two agree up to chance, in either direction."
        )


def variance_gap(run: TrainRun) -> VarianceGap:
    pop = run.population
    n = int(round(pop.count / (run.m / run.batch)))
    return VarianceGap(run.batch, n, pop.target_var, pop.var_unbiased, pop.batch_mean_var)


@dataclass(frozen=True)
class SmallBatch:
    """What training with B = 1 instead of B = N does to running_var and the eval output.

    ``eval_std_*`` is the standard deviation, over the whole input, of the eval
    output per channel once running_var has settled at its target for that B
    (running_mean settles at the whole input's mean for any B). Training mode
    on a full batch gives std √(σ²/(σ² + eps)) ≈ 1.
    """

    n: int
    var_one: np.ndarray  # (C,) running_var's target at B = 1
    var_all: np.ndarray  # (C,) at B = N
    eval_std_one: np.ndarray
    eval_std_all: np.ndarray
    train_std: np.ndarray


def small_batch(x: np.ndarray, eps: float = 1e-5, moments=None) -> SmallBatch:
    """running_var's targets at B = 1 and B = N, and the eval outputs' spread they give."""
    n = x.shape[0]
    moments = channel_moments(x) if moments is None else moments
    one, full = population(x, 1, moments), population(x, n, moments)
    sigma2 = full.var_biased
    return SmallBatch(
        n=n,
        var_one=one.target_var,
        var_all=full.target_var,
        eval_std_one=np.sqrt(sigma2 / (one.target_var + eps)),
        eval_std_all=np.sqrt(sigma2 / (full.target_var + eps)),
        train_std=np.sqrt(sigma2 / (sigma2 + eps)),
    )


def small_batch_table(small: SmallBatch, channel_labels: Sequence[str]) -> dict[str, list]:
    rows: dict[str, list] = {
        "channel": [], "running_var, B = 1": [], f"running_var, B = {small.n}": [],
        "eval output std, B = 1": [], f"eval output std, B = {small.n}": [],
        "training output std": [],
    }  # fmt: skip
    for c, label in enumerate(channel_labels):
        rows["channel"].append(f"{c} ({label})")
        rows["running_var, B = 1"].append(f"{small.var_one[c]:.4g}")
        rows[f"running_var, B = {small.n}"].append(f"{small.var_all[c]:.4g}")
        rows["eval output std, B = 1"].append(f"{small.eval_std_one[c]:.4g}")
        rows[f"eval output std, B = {small.n}"].append(f"{small.eval_std_all[c]:.4g}")
        rows["training output std"].append(f"{small.train_std[c]:.4g}")
    return rows


def small_batch_words(small: SmallBatch) -> str:
    """The headline numbers of the small-batch table, in one sentence."""
    if small.n < 2 or not np.all(np.isfinite(small.var_one)):
        return (
            "This input cannot show it: with N = 1 (or one value per channel) B = 1 is the "
            "only batch size, or a batch of one has no variance."
        )
    ratio = small.var_all / small.var_one
    worst = int(np.argmax(np.abs(np.log(ratio))))
    return (
        f"On this input, training with B = 1 leaves running_var at {small.var_one[worst]:.4g} "
        f"for channel {worst} instead of {small.var_all[worst]:.4g} with B = {small.n} "
        f"({ratio[worst]:.3g}×), so in eval the outputs of that channel spread with standard "
        f"deviation {small.eval_std_one[worst]:.3g} instead of the "
        f"{small.train_std[worst]:.3g} that training mode gave."
    )


@dataclass(frozen=True)
class ElementSteps:
    """One element's normalization, every intermediate number (float64).

    Training mode uses the batch's biased mean and variance over its m
    values of the channel; eval mode uses running_mean and running_var.
    γ = 1 and β = 0: BatchNorm2d's starting weight and bias (this page trains
    only the running statistics).
    """

    mode: str
    x: float
    m: int
    mean: float
    var: float
    eps: float
    gamma: float = 1.0
    beta: float = 0.0
    layer_output: float = float("nan")  # what normlib.BatchNorm2d returned (float32)

    @property
    def root(self) -> float:
        return math.sqrt(self.var + self.eps)

    @property
    def x_hat(self) -> float:
        return (self.x - self.mean) / self.root

    @property
    def y(self) -> float:
        return self.gamma * self.x_hat + self.beta

    def latex(self) -> list[str]:
        """Short equations, each at most two short lines, so a phone shows them unscrolled."""
        if self.mode == "train":
            mean_name, var_name = r"\mu_B", r"\sigma_B^2"
        else:
            mean_name, var_name = r"\text{running\_mean}", r"\text{running\_var}"
        root_name = rf"\sqrt{{{var_name}+\epsilon}}"
        lines = [rf"x = {self.x:.6g}"]
        if self.mode == "train":
            lines.append(rf"m = B\cdot H\cdot W = {self.m:,}".replace(",", "{,}"))
        lines += [
            rf"{mean_name} = {self.mean:.6g}",
            rf"{var_name} = {self.var:.6g}"
            + (r"\ (\div m)" if self.mode == "train" else r"\ (\text{unbiased})"),
            rf"\begin{{aligned}}{root_name} &= \sqrt{{{self.var:.6g} + "
            rf"{_latex_number(self.eps)}}}\\ &= {self.root:.6g}\end{{aligned}}",
            rf"\begin{{aligned}}\hat x &= \frac{{x - {mean_name}}}{{{root_name}}}"
            rf"\\ &= \frac{{{self.x:.6g} - ({self.mean:.6g})}}{{{self.root:.6g}}}"
            rf" = {self.x_hat:.6g}\end{{aligned}}",
            rf"\begin{{aligned}}y &= \gamma\hat x + \beta\\ &= {self.gamma:g}\cdot"
            rf"({self.x_hat:.6g}) + {self.beta:g} = {self.y:.6g}\end{{aligned}}",
        ]
        return lines


def _latex_number(value: float) -> str:
    """1e-05 as 10^{-5} (2e-05 as 2·10^{-5}); other numbers as %g."""
    text = f"{value:g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else rf"{mantissa}\cdot {power}"


def element_steps(run: TrainRun, mode: str, b: int, c: int, h: int, w: int) -> ElementSteps:
    """Element (b, c, h, w) of the last batch in `mode` ("train" or "eval"), step by step."""
    x = float(run.last_x[b, c, h, w])
    if mode == "train":
        mean, var = float(run.batch_mean[-1, c]), float(run.last_var_biased[c])
        out = float(run.train_out[b, c, h, w])
    else:
        mean, var = float(run.running_mean[-1, c]), float(run.running_var[-1, c])
        out = float(run.eval_out[b, c, h, w])
    return ElementSteps(mode, x, run.m, mean, var, run.eps, layer_output=out)


@dataclass(frozen=True)
class MatesCheck:
    """How much one sample's output moves when its batch mates are dropped."""

    sample: int  # index into the input
    train_change: float
    eval_change: float
    alone_possible: bool


def batch_mates_check(run: TrainRun, x: np.ndarray) -> MatesCheck:
    """The first sample of the last batch, alone vs with its mates, in both modes.

    Training alone normalizes with that sample's own statistics (m = H·W);
    eval alone uses the same running statistics, so nothing moves.
    """
    sample = int(run.indices[-1][0])
    alone = x[sample : sample + 1]
    _, c, h, w = x.shape
    mean = run.running_mean[-1].astype(np.float32).reshape(1, c, 1, 1)
    var = run.running_var[-1].astype(np.float32).reshape(1, c, 1, 1)
    eval_alone = (alone - mean) / np.sqrt(var + np.float32(run.eps))
    eval_change = float(np.max(np.abs(eval_alone - run.eval_out[:1])))
    if h * w == 1:
        return MatesCheck(sample, float("nan"), eval_change, False)
    train_alone = normlib.normalize(alone, METHODS["batchnorm"], eps=run.eps).output
    train_change = float(np.max(np.abs(train_alone - run.train_out[:1])))
    return MatesCheck(sample, train_change, eval_change, True)


def channel_table(run: TrainRun, channel_labels: Sequence[str]) -> dict[str, list]:
    """Per channel: mean and std of the last batch's training and eval outputs."""
    rows: dict[str, list] = {
        "channel": [], "train mean": [], "train std": [], "eval mean": [], "eval std": []
    }  # fmt: skip
    for c, label in enumerate(channel_labels):
        rows["channel"].append(f"{c} ({label})")
        for mode, out in (("train", run.train_out), ("eval", run.eval_out)):
            values = out[:, c].astype(np.float64)
            rows[f"{mode} mean"].append(round(float(values.mean()), 4))
            rows[f"{mode} std"].append(round(float(values.std()), 4))
    return rows


def variance_table(run: TrainRun, channel_labels: Sequence[str]) -> dict[str, list]:
    """Per channel of the last batch: m, the biased and the unbiased variance."""
    m = run.m
    rows: dict[str, list] = {
        "channel": [], "m = B·H·W": [], "biased var (÷ m)": [],
        "unbiased var (÷ (m−1))": [], "ratio m/(m−1)": [],
    }  # fmt: skip
    for c, label in enumerate(channel_labels):
        biased = float(run.last_var_biased[c])
        rows["channel"].append(f"{c} ({label})")
        rows["m = B·H·W"].append(m)
        rows["biased var (÷ m)"].append(f"{biased:.6g}")
        rows["unbiased var (÷ (m−1))"].append(f"{biased * m / (m - 1):.6g}")
        rows["ratio m/(m−1)"].append(f"{m / (m - 1):.6f}")
    return rows


def variance_latex(run: TrainRun, channel: int = 0) -> str:
    """unbiased = biased · m/(m − 1), with channel `channel`'s numbers."""
    m = run.m
    biased = float(run.last_var_biased[channel])
    # Two lines, so a phone screen shows the whole formula without scrolling sideways.
    return (
        r"\begin{aligned}"
        rf"\sigma^2_{{\text{{unbiased}}}} &= \sigma^2_{{\text{{biased}}}} \cdot \frac{{m}}{{m-1}}"
        rf"\\ &= {biased:.6g} \cdot \frac{{{m}}}{{{m - 1}}}\\ &= {biased * m / (m - 1):.6g}"
        r"\end{aligned}"
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
TRAIN_PARAMS: tuple[state.Param, ...] = (
    state.Param("momentum", 0.1, parse_momentum, format_momentum),
    state.Param("steps", 100, state.parse_int_in(1, STEPS_MAX, "steps")),
    state.Param("batch", 4, state.parse_int_in(1, state.N_MAX, "batch (the batch size B)")),
    # Not "seed": the sidebar's random tensor already uses that name in the URL.
    state.Param("bseed", 0, state.parse_int_in(0, 2**31 - 1, "bseed (the batch-drawing seed)")),
)
