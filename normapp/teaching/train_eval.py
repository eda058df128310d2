"""One batch in training and in eval mode (no Streamlit): an element's normalization step
by step in each mode, how much a sample moves without its batch mates, the outputs' spread
per channel, and the batch's biased against unbiased variance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import normlib
from normapp.teaching.running_statistics import TrainRun
from normlib import METHODS


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
