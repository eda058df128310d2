"""What the learner's runs show, in words computed from their numbers (never typed in).

Everything here takes plain numbers, so each sentence can be checked against the numbers it
was made from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

import normlib

# train_eval_gap_words: a gap between eval and train mode of at most this many points (one
# network, the same 1,024 images) is called "about the same".
SAME_POINTS = 3.0
# Below this many points two errors are not told apart: a point is about 10 of the 1,024
# held-out images, and the criteria for the lesson compare within 1 point.
NEAR_POINTS = 1.0


@dataclass(frozen=True)
class Trend:
    """A straight line through error (points) against log2(batch), fitted by least squares.

    rise: how much higher the line is at the smallest batch than at the largest (points);
    scatter: the points' standard deviation around the line (n - 2 degrees of freedom; 0 with
    two points, where a line fits exactly and says nothing about noise).
    """

    rise: float
    scatter: float
    points: int

    @property
    def clear(self) -> bool:
        """The line rises (or falls) by more than twice the scatter and more than 2 points."""
        return abs(self.rise) > 2 * max(self.scatter, NEAR_POINTS)

    @property
    def noisy(self) -> bool:
        """The points scatter more than a point around the line and no clear trend shows."""
        return self.points >= 3 and self.scatter > NEAR_POINTS and not self.clear


def trend(errors: Mapping[int, float]) -> Trend:
    """The trend of held-out error (fractions) over batch sizes.

    >>> t = trend({2: 0.11, 4: 0.04, 8: 0.02, 16: 0.015, 32: 0.019})
    >>> round(t.rise, 1), round(t.scatter, 1), t.clear, t.noisy
    (8.3, 2.6, True, False)
    >>> trend({2: 0.01, 4: 0.054, 8: 0.111, 16: 0.024, 32: 0.004}).noisy
    True
    """
    batches = sorted(errors)
    x = np.log2(np.array(batches, dtype=float))
    y = 100 * np.array([errors[b] for b in batches], dtype=float)
    if len(batches) < 2:
        return Trend(0.0, 0.0, len(batches))
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (slope * x + intercept)
    scatter = float(np.sqrt(np.sum(residuals**2) / (len(x) - 2))) if len(x) > 2 else 0.0
    return Trend(float(-slope * (x[-1] - x[0])), scatter, len(batches))


def _pct(error: float) -> str:
    return f"{100 * error:.1f}%"


def _change(before: float, after: float) -> str:
    """The change between two errors as shown (to 0.1 point), so the words add up."""
    points = round(100 * after, 1) - round(100 * before, 1)
    if abs(points) < 0.05:
        return "the same"
    return f"{abs(points):.1f} points {'higher' if points > 0 else 'lower'}"


def error_by_batch_words(
    errors: Mapping[str, Mapping[int, float]], batchnorm: str, groupnorm: str | None
) -> list[str]:
    """Sentences on held-out error across batch sizes, from `errors[label][batch]`.

    `batchnorm` and `groupnorm` name the labels to compare (GroupNorm may be absent). The
    verdict judges each whole curve (trend), not two of its points, and says when one
    seed's runs scatter too much to conclude.

    Examples
    --------
    >>> bn = {2: 0.113, 4: 0.036, 8: 0.023, 16: 0.015, 32: 0.019}
    >>> gn = {2: 0.006, 4: 0.008, 8: 0.01, 16: 0.012, 32: 0.017}
    >>> lines = error_by_batch_words({"BN": bn, "GN": gn}, "BN", "GN")
    >>> lines[0]
    "From batch 32 to batch 2, BN's held-out error goes from 1.9% to 11.3% (9.4 points higher)."
    >>> lines[-2].endswith("these runs show the GroupNorm paper's Figure 1 in miniature.")
    True
    >>> lines[-1]
    "At batch 32, BN's error (1.9%) is within 1 point of GN's (1.7%)."
    """
    bn = errors.get(batchnorm, {})
    if len(bn) < 2:
        return [
            f"Train {batchnorm} at two or more batch sizes (the button above) to see how its "
            "error changes with the batch."
        ]
    small, large = min(bn), max(bn)
    lines = [
        f"From batch {large} to batch {small}, {batchnorm}'s held-out error goes from "
        f"{_pct(bn[large])} to {_pct(bn[small])} ({_change(bn[large], bn[small])})."
    ]
    gn = errors.get(groupnorm, {}) if groupnorm else {}
    if groupnorm and len(gn) >= 2:
        low, high = min(gn), max(gn)
        lines.append(
            f"{groupnorm}'s goes from {_pct(gn[high])} at batch {high} to {_pct(gn[low])} at "
            f"batch {low} ({_change(gn[high], gn[low])}), between {_pct(min(gn.values()))} "
            f"and {_pct(max(gn.values()))} at its {len(gn)} batch sizes."
        )
    # GroupNorm's curve too is judged only whole (three batch sizes or more).
    lines.append(_verdict(trend(bn), trend(gn) if len(gn) >= 3 else None, batchnorm, groupnorm))
    common = sorted(set(bn) & set(gn))
    if common:
        lines.append(_at_largest(common[-1], bn, gn, batchnorm, str(groupnorm)))
    return lines


def _verdict(bn: Trend, gn: Trend | None, batchnorm: str, groupnorm: str | None) -> str:
    if bn.points < 3:
        return (
            f"Two batch sizes give two points and no sense of their noise: train {batchnorm} "
            "at every batch size (the button above) to judge the whole curve."
        )
    fit = (
        f"Along a straight-line trend through all {bn.points} batch sizes (error against the "
        f"batch's logarithm), {batchnorm}'s error {_rises(bn.rise)} from the largest batch to "
        f"the smallest, its points scattering {bn.scatter:.1f} points around the line"
    )
    if gn is not None:
        fit += f"; {groupnorm}'s {_rises(gn.rise)} (scatter {gn.scatter:.1f})"
    noise = f"{bn.scatter:.1f}" if gn is None else f"{max(bn.scatter, gn.scatter):.1f}"
    if bn.noisy or (gn is not None and gn.noisy and not (bn.clear and bn.rise > 0)):
        return (
            f"{fit}: the points scatter about as much as (or more than) the trend, so one "
            f"seed's runs are too noisy to conclude (scatter up to {noise} points); train "
            "other seeds (the Seed control) and compare."
        )
    if not (bn.clear and bn.rise > 0):
        return f"{fit}: these runs do not show {batchnorm}'s error climbing as the batch shrinks."
    climbs = f"{fit}: {batchnorm}'s error climbs as the batch shrinks"
    if gn is None:
        other = groupnorm or "GroupNorm"
        return f"{climbs}. Train {other} at every batch size too to compare with Figure 1."
    if gn.clear and gn.rise > 0 and bn.rise - gn.rise <= 2 * max(bn.scatter, gn.scatter, 1):
        return f"{climbs}, and so does {groupnorm}'s: these runs do not show the paper's contrast."
    return (
        f"{climbs} and {groupnorm}'s does not: these runs show the GroupNorm paper's Figure 1 "
        "in miniature."
    )


def _rises(points: float) -> str:
    """>>> _rises(2.04), _rises(-1.4), _rises(0.01)
    ('rises by 2.0 points', 'falls by 1.4 points', 'stays level')"""
    if abs(points) < 0.05:
        return "stays level"
    return f"{'rises' if points > 0 else 'falls'} by {abs(points):.1f} points"


def _at_largest(
    batch: int, bn: Mapping[int, float], gn: Mapping[int, float], batchnorm: str, groupnorm: str
) -> str:
    gap = 100 * (bn[batch] - gn[batch])
    if abs(gap) <= NEAR_POINTS:
        relation = "is within 1 point of"
    else:
        relation = f"is {abs(gap):.1f} points {'higher' if gap > 0 else 'lower'} than"
    return (
        f"At batch {batch}, {batchnorm}'s error ({_pct(bn[batch])}) {relation} "
        f"{groupnorm}'s ({_pct(gn[batch])})."
    )


def normalization_helps_words(
    outcomes: Mapping[str, tuple[float | None, int | None]], none: str, learning_rate: float
) -> str | None:
    """One sentence comparing no normalization with the normalized runs at one setting.

    `outcomes[label]` is (held-out error, None) for a finished run or (None, step) for one
    that diverged at that step. None when there is nothing to compare.

    >>> normalization_helps_words(
    ...     {"none": (0.56, None), "BN": (0.004, None), "GN": (0.02, None)}, "none", 0.2)
    'At learning rate 0.2, none ends at 56.0% held-out error; BN at 0.4%, GN at 2.0%: \
here every normalization trains where no normalization does worse.'
    """
    if none not in outcomes or len(outcomes) < 2:
        return None

    def said(label: str) -> str:
        error, diverged = outcomes[label]
        return (
            f"{label} diverged at step {diverged}" if error is None else f"{label} at {_pct(error)}"
        )

    def worst(label: str) -> float:
        error = outcomes[label][0]
        return 1.0 if error is None else error

    others = [label for label in outcomes if label != none]
    base = said(none).replace(f"{none} at ", f"{none} ends at ", 1)
    if outcomes[none][0] is not None:
        base += " held-out error"
    gaps = [100 * (worst(none) - worst(label)) for label in others]
    if all(gap > NEAR_POINTS for gap in gaps):
        verdict = "here every normalization trains where no normalization does worse"
    elif all(gap < -NEAR_POINTS for gap in gaps):
        verdict = "here no normalization does better than every normalization"
    else:
        verdict = "here normalization is not what decides how well the network trains"
    return (
        f"At learning rate {learning_rate:g}, {base}; "
        f"{', '.join(said(label) for label in others)}: {verdict}."
    )


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


def which_norm_removes_what(images: np.ndarray) -> str:
    """What BatchNorm2d's, LayerNorm's and InstanceNorm2d's statistics leave of each image's
    own brightness, contrast and colour cast, measured on `images` (N, C, H, W) by normlib.

    Brightness is an image's mean over (C, H, W), contrast its standard deviation over them,
    colour cast its per-channel means less its mean; each is given as its spread (standard
    deviation) over the images after normalizing (no γ, β), the cast's averaged over channels.
    A spread below 0.005 is "removed".
    """
    x = np.asarray(images, dtype=np.float64)
    measured = {}
    for name, axes in (("BatchNorm2d", "NHW"), ("LayerNorm", "CHW"), ("InstanceNorm2d", "HW")):
        out = normlib.normalize(x, normlib.NormSpec(axes)).output
        brightness = out.mean(axis=(1, 2, 3))
        cast = out.mean(axis=(2, 3)) - brightness[:, None]
        measured[name] = (
            float(brightness.std()),
            float(out.std(axis=(1, 2, 3)).std()),
            float(cast.std(axis=0).mean()),  # from image to image, channel by channel
        )
    numbers = "; ".join(
        f"{b:.2f}, {c:.2f} and {k:.2f} after {name}'s statistics"
        for name, (b, c, k) in measured.items()
    )
    removes = []
    for name, spreads in measured.items():
        gone = [
            what
            for what, s in zip(("brightness", "contrast", "colour cast"), spreads, strict=True)
            if s < 0.005
        ]
        removes.append(f"{name} removes {_listed(gone) if gone else 'none of them'}")
    return (
        f"Which normalization removes which of that variation, measured on {x.shape[0]} of "
        f"these images, the spread from image to image of their own brightness, contrast and "
        f"colour cast: {numbers}. {'; '.join(removes)}. BatchNorm2d takes its statistics over "
        "the whole batch, so it removes only what the images share, and each image's own "
        "offset and scale pass through; the per-sample norms take theirs inside each image "
        "(GroupNorm, on the network's channels, sits between LayerNorm and InstanceNorm2d)."
    )


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def network_words(width: int, strides: tuple[int, ...], size: int) -> str:
    """The network, layer by layer, from its width, strides and the images' size.

    >>> network_words(32, (1, 2), 16).split(" → ")[3]
    'conv 3×3 (32→32, stride 2)'
    """
    parts, channels, maps = [], 3, [size]
    for stride in strides:
        step = f", stride {stride}" if stride > 1 else ""
        parts += [f"conv 3×3 ({channels}→{width}{step})", "**norm**", "ReLU"]
        channels = width
        maps.append((maps[-1] - 1) // stride + 1)
    sizes = " → ".join(f"{m}×{m}" for m in dict.fromkeys(maps[1:]))
    return (
        f"**Network:** {' → '.join(parts)} → global average pool → linear ({width}→4), softmax "
        f"cross-entropy, SGD with momentum 0.9 and a learning rate that decays to 0 along a "
        f"cosine. The maps go {sizes}, so the last norm layer sees few values per channel. "
        f"All {len(strides)} norm layers are the method you choose, computed by normlib "
        "(forward and backward, checked against PyTorch); every norm has a learnable γ and β "
        "per channel (LayerNorm as in the GroupNorm paper, i.e. GroupNorm(1); InstanceNorm2d "
        "with affine=True). Runs are deterministic for a seed."
    )


def batch_mean_spread_words(during: np.ndarray, fixed: np.ndarray | None, batch: int) -> str:
    """How much BatchNorm's batch means spread in training, and how much of it is sampling.

    `during`: the batch means of the second half of training; `fixed`: those of random
    batches through the final weights (RunResult.batch_mean_fixed).

    >>> words = batch_mean_spread_words(np.array([0.0, 0.2, 0.4]), np.array([0.1, 0.2]), 32)
    >>> words.split(". ")[-1]
    'The rest, about 91% of the variance during training, is the weights moving as they learn.'
    """
    spread = float(np.std(during))
    words = (
        f"Over the second half of training the batch means spread with a standard deviation of "
        f"**{spread:.3g}** around their average {float(np.mean(during)):.3g} at batch {batch}."
    )
    if fixed is None or fixed.size < 2 or not np.all(np.isfinite(fixed)):
        return words  # no step taken, or weights that overflowed: nothing to compare
    sampling = float(np.std(fixed))
    words += (
        f" With the final weights held fixed, {fixed.size} random batches of {batch} spread "
        f"**{sampling:.3g}**: that is the sampling of the batch alone, the noise in every "
        "step's estimate."
    )
    if spread > sampling:
        share = 1 - (sampling / spread) ** 2
        return (
            words + f" The rest, about {100 * share:.0f}% of the variance during training, is "
            "the weights moving as they learn."
        )
    return words + " The spread during training is no larger: it is the sampling alone."
