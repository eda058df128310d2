"""What the batch size B does to running_var: the within-batch variance it settles at
against the whole input's, and, for B = 1 against B = N, the spread of the eval output
that follows. Pure, no Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from normapp.teaching.running_statistics import TrainRun, channel_moments, population


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
