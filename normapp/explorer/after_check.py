"""The after-check: every set of the output re-measured (γ and β undone) against what the
formula predicts, in numbers and in sentences, and what eps = 0 does to a set whose
variance is 0. Pure, no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import normlib
from normapp.explorer.set_description import plural
from normlib import NormSpec

# Float32 outputs re-measured in float64: errors of this size are rounding, not a bug.
AFTER_CHECK_TOLERANCE = 1e-4


@dataclass(frozen=True)
class AfterCheck:
    """Every set of the output re-measured (γ and β undone) against what the formula predicts.

    Centred specs: each set's output mean should be 0 and its variance
    σ²/(σ²+eps), σ² the set's input variance. Non-centred specs (RMSNorm,
    PixelNorm): each set's output mean square should be ms/(ms+eps), ms the
    input mean square; nothing is predicted about the mean.

    Attributes
    ----------
    checked : bool
        False when γ = 0 (every output is β, nothing to re-measure); `reason` says so.
    holds : bool
        Every set within AFTER_CHECK_TOLERANCE and no set's output is NaN.
    center : bool
    n_sets, count : int
        Sets, and elements per set.
    worst_mean : float or None
        Largest |output mean| over the sets (centred specs only).
    worst_error : float
        Largest |measured − expected| variance (mean square) over the sets
        whose expected value is defined.
    n_zero : int
        Sets whose input variance (mean square) is exactly 0: their output is
        β, and their output variance is 0, not near 1.
    n_nan : int
        Sets whose output is NaN (0/0: a zero-variance set at eps = 0).
    shortfall_low, shortfall_high : float or None
        Over the sets with a nonzero statistic: the smallest and largest
        eps/(s+eps), how far the expected value sits below 1 (0 at eps = 0).
        None when every set has a zero statistic.
    eps : float
    reason : str
    """

    checked: bool
    holds: bool
    center: bool
    n_sets: int
    count: int
    worst_mean: float | None
    worst_error: float
    n_zero: int
    n_nan: int
    shortfall_low: float | None
    shortfall_high: float | None
    eps: float
    reason: str = ""


def after_check(result: normlib.NormResult, gamma: float = 1.0, beta: float = 0.0) -> AfterCheck:
    """Re-measure every set of `result.output` with γ and β undone; see AfterCheck."""
    center = result.spec.center
    if gamma == 0.0:
        return AfterCheck(
            False, False, center, result.n_sets, result.count, None, 0.0, 0, 0, None, None,
            result.eps, f"γ = 0 makes every output equal to β = {beta:g}: nothing to re-measure.",
        )  # fmt: skip
    # Per-set arrays stay float32 (the statistics are float32; the tolerance is
    # far above its rounding): at the cap there are 2^24 sets.
    stat = result.set_var  # input variance, or input mean square
    zero = stat == 0
    # Only a zero-statistic set at eps = 0 can give NaN (0/0); such sets are
    # reported, and set to β here so that the others are measured.
    output = result.output
    nan_sets = np.zeros(result.n_sets, dtype=bool)
    if result.eps == 0.0 and zero.any() and np.isnan(output).any():
        output = np.nan_to_num(output, nan=beta)
        nan_sets = zero
    if result.count == 1:  # every element is its own set: its mean is itself
        mean_y, var_y = output.reshape(-1), np.zeros_like(stat)
    else:
        # One centred pass over the output y gives each set's mean and variance
        # of y (normlib's per-set sums); γ and β are then undone per set.
        of_output = normlib.normalize(output, NormSpec(result.spec.axes, result.spec.groups))
        mean_y, var_y = of_output.set_mean, of_output.set_var
    del output
    mean_std = np.abs((mean_y - np.float32(beta)) / np.float32(gamma))
    if center:
        measured = var_y / np.float32(gamma**2)
    else:  # the mean square of (y − β)/γ
        measured = var_y / np.float32(gamma**2) + mean_std**2
    with np.errstate(divide="ignore", invalid="ignore"):
        error = np.abs(measured - stat / (stat + np.float32(result.eps)))
    # Zero-statistic sets: x̂ = 0, so the output is β and the measured value 0.
    error = np.where(zero, measured, error)
    error[nan_sets] = 0.0
    worst_error = float(error.max())
    worst_mean = None
    if center:
        worst_mean = float(np.where(nan_sets, 0, mean_std).max())
    shortfall_low = shortfall_high = None
    if not zero.all():
        low, high = stat[~zero].min(), stat[~zero].max()
        shortfall_low = float(result.eps / (float(high) + result.eps))
        shortfall_high = float(result.eps / (float(low) + result.eps))
    n_nan = int(nan_sets.sum())
    holds = (
        n_nan == 0
        and worst_error <= AFTER_CHECK_TOLERANCE
        and (worst_mean is None or worst_mean <= AFTER_CHECK_TOLERANCE)
    )
    return AfterCheck(
        True, holds, center, result.n_sets, result.count, worst_mean, worst_error,
        int(zero.sum()), n_nan, shortfall_low, shortfall_high, result.eps,
    )  # fmt: skip


def after_check_text(check: AfterCheck) -> str:
    """The after-check in sentences, each one computed from `check`."""
    if not check.checked:
        return check.reason
    stat, s = ("variance", "σ²") if check.center else ("mean square", "ms")
    parts = ["Each set of the output measured again, with γ and β undone."]
    n_regular = check.n_sets - check.n_zero
    if n_regular:
        subject = (
            "Every set"
            if not check.n_zero
            else f"Each of the {plural(n_regular, 'set')} with {s} > 0"
        )
        mean = (
            f"mean ≈ 0 (worst |mean| = {check.worst_mean:.1e}) and "
            if check.worst_mean is not None
            else ""
        )
        parts.append(
            f"{subject} has {mean}{stat} {s}/({s} + eps), {s} being its input {stat} "
            f"(worst deviation {check.worst_error:.1e})."
        )
        if check.eps == 0.0:
            parts.append("At eps = 0 that is exactly 1.")
        elif check.shortfall_low is not None:
            parts.append(
                f"That is below 1 by eps/({s} + eps): from {check.shortfall_low:.1e} "
                f"to {check.shortfall_high:.1e} here."
            )
    if check.n_zero:
        if check.count == 1 and check.center:
            why = "a set of one element has x − μ = 0"
        elif check.center:
            why = "all its values are equal"
        else:
            why = "all its values are 0"
        subject = (
            "Every set has"
            if check.n_zero == check.n_sets
            else f"{plural(check.n_zero, 'set')} {'has' if check.n_zero == 1 else 'have'}"
        )
        outcome = (
            "the output there is NaN (0/0, since eps = 0)"
            if check.n_nan
            else f"the output there is β, so its {stat} is 0, not near 1"
        )
        parts.append(f"{subject} {s} = 0 ({why}): {outcome}.")
    if not check.holds and not check.n_nan:
        parts.append(
            f"That is more than the {AFTER_CHECK_TOLERANCE:.0e} float32 rounding allows: "
            "the check fails."
        )
    return " ".join(parts)


def eps_zero_note(result: normlib.NormResult) -> str | None:
    """At eps = 0, what happens to the sets whose variance (mean square) is 0, or None.

    Said from normlib's own output, and what PyTorch does with the same
    choice (checked live in tests/test_state_summary.py).
    """
    if result.eps != 0.0:
        return None
    zero = result.set_var == 0
    if not zero.any():
        return None
    stat = "variance" if result.spec.center else "mean square"
    # What this app outputs there: any element of such a set tells (they all agree).
    value = float(result.output[result.expand(result.var) == 0][0])
    shown = "NaN (0/0)" if np.isnan(value) else f"{value:g}"
    return (
        f"eps = 0 and {plural(int(zero.sum()), 'set')} of {result.n_sets:,} "
        f"{'has' if zero.sum() == 1 else 'have'} {stat} 0: "
        f"their output here is {shown}. PyTorch differs by layer: its batch norm refuses "
        "eps = 0 in training, F.instance_norm returns 0 for a constant channel, "
        "F.layer_norm and F.group_norm return NaN. Set eps > 0 to avoid the question."
    )
