"""What the learner's runs show, in words computed from their numbers (never typed in).

Everything here takes plain numbers, so each sentence can be checked against the numbers it
was made from.
"""

from __future__ import annotations

from collections.abc import Mapping

# A difference in held-out error of at most this many percentage points is called "about the
# same": one run of 200 steps on 1,024 held-out images varies by a few points across seeds.
SAME_POINTS = 3.0


def _pct(error: float) -> str:
    return f"{100 * error:.0f}%"


def error_by_batch_words(
    errors: Mapping[str, Mapping[int, float]], batchnorm: str, groupnorm: str | None
) -> list[str]:
    """Sentences comparing held-out error across batch sizes, from `errors[label][batch]`.

    `batchnorm` and `groupnorm` name the labels to compare (GroupNorm may be absent).

    Examples
    --------
    >>> errors = {"BatchNorm2d": {2: 0.40, 32: 0.10}, "GroupNorm(4)": {2: 0.12, 32: 0.11}}
    >>> first, second, third = error_by_batch_words(errors, "BatchNorm2d", "GroupNorm(4)")
    >>> first.split(" goes ")[1]
    'from 10% to 40% (30 points higher).'
    >>> second
    "GroupNorm(4)'s goes from 11% to 12% (about the same)."
    >>> third.split(": ")
    ["At batch 2, BatchNorm2d's error is 28 points higher than GroupNorm(4)'s", \
"these runs show the GroupNorm paper's Figure 1."]
    """
    lines: list[str] = []
    bn = errors.get(batchnorm, {})
    if len(bn) < 2:
        return [
            "Train BatchNorm2d at two or more batch sizes (the button above) to see how its "
            "error changes with the batch."
        ]
    small, large = min(bn), max(bn)
    lines.append(
        f"From batch {large} to batch {small}, {batchnorm}'s held-out error goes from "
        f"{_pct(bn[large])} to {_pct(bn[small])} ({_change(bn[large], bn[small])})."
    )
    gn = errors.get(groupnorm, {}) if groupnorm else {}
    if small in gn and large in gn:
        lines.append(
            f"{groupnorm}'s goes from {_pct(gn[large])} to {_pct(gn[small])} "
            f"({_change(gn[large], gn[small])})."
        )
        gap = 100 * (bn[small] - gn[small])
        rise_bn, rise_gn = 100 * (bn[small] - bn[large]), 100 * (gn[small] - gn[large])
        if gap > SAME_POINTS and rise_bn > rise_gn + SAME_POINTS:
            verdict = "these runs show the GroupNorm paper's Figure 1"
        elif abs(gap) <= SAME_POINTS:
            verdict = "in these runs the two are about the same even there"
        else:
            verdict = "these runs do not show the GroupNorm paper's effect"
        if abs(gap) <= SAME_POINTS:
            comparison = f"within {SAME_POINTS:.0f} points of {groupnorm}'s"
        else:
            direction = "higher" if gap > 0 else "lower"
            comparison = f"{abs(gap):.0f} points {direction} than {groupnorm}'s"
        lines.append(f"At batch {small}, {batchnorm}'s error is {comparison}: {verdict}.")
    elif groupnorm:
        lines.append(
            f"Train {groupnorm} at batch {small} and {large} too to compare it with {batchnorm}."
        )
    return lines


def _change(before: float, after: float) -> str:
    points = 100 * (after - before)
    if abs(points) <= SAME_POINTS:
        return "about the same"
    return f"{abs(points):.0f} points {'higher' if points > 0 else 'lower'}"


def train_eval_gap_words(eval_accuracy: float, train_mode_accuracy: float, batch: int) -> str:
    """BatchNorm2d's held-out accuracy in eval mode against train mode, in one sentence.

    >>> words = train_eval_gap_words(0.62, 0.81, 2)
    >>> "62% right in eval mode" in words, "81% in train mode" in words
    (True, True)
    >>> words.split(": ")[1]
    'eval mode is 19 points worse, the train/eval gap.'
    """
    gap = 100 * (train_mode_accuracy - eval_accuracy)
    if abs(gap) <= SAME_POINTS:
        verdict = "about the same: the running statistics stand in well for the batch's"
    elif gap > 0:
        verdict = f"eval mode is {gap:.0f} points worse, the train/eval gap"
    else:
        verdict = f"eval mode is {-gap:.0f} points better"
    return (
        f"On held-out images BatchNorm2d gets {100 * eval_accuracy:.0f}% right in eval mode "
        f"(its running statistics, as deployed) and {100 * train_mode_accuracy:.0f}% in train "
        f"mode (each batch of {batch}'s own statistics): {verdict}."
    )
