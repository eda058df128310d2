"""The lab's sentences (normapp/lab/summary.py) on hand-made numbers, degenerate ones included:
each verdict is checked against what the numbers show, worked out by hand here."""

from __future__ import annotations

import numpy as np
import pytest

from normapp.lab import summary

BN, GN = "BatchNorm2d", "GroupNorm(4)"
BATCHES = (2, 4, 8, 16, 32)


def words(bn: list[float], gn: list[float] | None) -> list[str]:
    errors = {BN: dict(zip(BATCHES, bn, strict=True))}
    if gn is not None:
        errors[GN] = dict(zip(BATCHES, gn, strict=True))
    return summary.error_by_batch_words(errors, BN, GN if gn is not None else None)


def test_a_straight_line_trend_by_hand():
    # error = 10 - 2·log2(batch) points exactly: rise 8 points from 32 to 2, no scatter
    line = {b: (10 - 2 * np.log2(b)) / 100 for b in BATCHES}
    fitted = summary.trend(line)
    assert fitted.rise == pytest.approx(8.0) and fitted.scatter == pytest.approx(0.0, abs=1e-9)
    assert fitted.clear and not fitted.noisy
    # one point 3 above a flat line at 1 %: slope by hand (Σ(x - 3)(y - ȳ) / Σ(x - 3)²)
    bumpy = summary.trend({2: 0.01, 4: 0.01, 8: 0.04, 16: 0.01, 32: 0.01})
    assert bumpy.rise == pytest.approx(0.0) and bumpy.noisy
    residuals = np.array([-0.6, -0.6, 2.4, -0.6, -0.6])  # the points less their mean, 1.6
    assert bumpy.scatter == pytest.approx(np.sqrt(np.sum(residuals**2) / 3))


def test_figure_one_when_batchnorm_climbs_and_groupnorm_does_not():
    lines = words([0.113, 0.036, 0.023, 0.015, 0.019], [0.007, 0.01, 0.007, 0.019, 0.02])
    assert "these runs show the GroupNorm paper's Figure 1 in miniature" in lines[2]
    assert (
        lines[3]
        == "At batch 32, BatchNorm2d's error (1.9%) is within 1 point of GroupNorm(4)'s (2.0%)."
    )


def test_a_seed_whose_groupnorm_scatters_is_too_noisy_to_conclude():
    """The issue's example: GroupNorm at 1.1, 5.4, 11.1, 2.4 and 0.4 % over batch 2-32."""
    lines = words([0.17, 0.19, 0.12, 0.08, 0.15], [0.011, 0.054, 0.111, 0.024, 0.004])
    assert "too noisy to conclude" in lines[2] and "Figure 1" not in lines[2]


def test_no_climb_is_said_when_batchnorm_stays_level():
    lines = words([0.02, 0.021, 0.019, 0.02, 0.02], [0.01] * 5)
    assert "these runs do not show BatchNorm2d's error climbing" in lines[2]
    assert "stays level" in lines[2] or "by 0." in lines[2]


def test_both_climbing_is_not_figure_one():
    lines = words([0.20, 0.15, 0.10, 0.05, 0.01], [0.19, 0.145, 0.10, 0.05, 0.012])
    assert "and so does GroupNorm(4)'s" in lines[2] and "Figure 1 in" not in lines[2]


def test_two_batch_sizes_ask_for_the_whole_curve_and_one_asks_for_more():
    two = summary.error_by_batch_words({BN: {2: 0.3, 32: 0.1}, GN: {2: 0.1, 32: 0.1}}, BN, GN)
    assert "to judge the whole curve" in two[2] and "Figure 1" not in " ".join(two)
    one = summary.error_by_batch_words({BN: {32: 0.1}}, BN, GN)
    assert one == [
        "Train BatchNorm2d at two or more batch sizes (the button above) to see how its error "
        "changes with the batch."
    ]


def test_without_groupnorm_the_climb_is_told_and_groupnorm_asked_for():
    lines = words([0.113, 0.036, 0.023, 0.015, 0.019], None)
    assert len(lines) == 2 and "Train GroupNorm at every batch size too" in lines[1]
    # GroupNorm at two batch sizes only: its curve is not judged from two points
    errors = {BN: dict(zip(BATCHES, [0.113, 0.036, 0.023, 0.015, 0.019], strict=True))}
    errors[GN] = {2: 0.007, 32: 0.02}
    verdict = summary.error_by_batch_words(errors, BN, GN)[2]
    assert "Train GroupNorm(4) at every batch size too" in verdict and "Figure 1 in" not in verdict


def test_the_change_is_the_difference_of_the_numbers_shown():
    # 11.34 % and 1.86 % are shown as 11.3 % and 1.9 %: the words say 9.4, not 9.5
    line = summary.error_by_batch_words({BN: {2: 0.1134, 32: 0.0186}}, BN, None)[0]
    assert line.endswith("from 1.9% to 11.3% (9.4 points higher).")


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        ({"none": (0.56, None), "BN": (0.004, None)}, "every normalization trains"),
        ({"none": (None, 12), "BN": (0.004, None)}, "every normalization trains"),
        ({"none": (0.01, None), "BN": (0.30, None)}, "no normalization does better"),
        ({"none": (0.01, None), "BN": (0.012, None)}, "not what decides"),
    ],
)
def test_normalization_helps_words(outcomes, verdict):
    sentence = summary.normalization_helps_words(outcomes, "none", 0.2)
    assert sentence is not None and verdict in sentence
    if outcomes["none"][0] is None:
        assert "none diverged at step 12" in sentence


def test_normalization_helps_needs_no_normalization_and_another():
    assert summary.normalization_helps_words({"BN": (0.1, None)}, "none", 0.2) is None
    assert summary.normalization_helps_words({"none": (0.1, None)}, "none", 0.2) is None


def test_the_batch_mean_spread_separates_sampling_from_the_weights_moving():
    during, fixed = np.array([0.0, 0.2, 0.4]), np.array([0.1, 0.2])
    text = summary.batch_mean_spread_words(during, fixed, 8)
    share = 1 - (np.std(fixed) / np.std(during)) ** 2  # by hand: 1 - 0.05² / 0.1633²
    assert f"about {100 * share:.0f}% of the variance" in text
    level = summary.batch_mean_spread_words(np.array([0.1, 0.2]), np.array([0.0, 0.4]), 8)
    assert "it is the sampling alone" in level and "weights moving" not in level
    assert "held fixed" not in summary.batch_mean_spread_words(np.array([0.1]), None, 2)
    overflowed = np.array([np.nan, np.inf])  # a diverged run's final weights
    assert "held fixed" not in summary.batch_mean_spread_words(np.array([0.1]), overflowed, 2)


def test_which_norm_removes_what_on_images_that_differ_in_brightness_contrast_and_cast():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(1, 3, 8, 8))
    casts = rng.normal(size=(4, 3, 1, 1))  # each image's own per-channel shift
    scale = np.array([1, 2, 0.5, 3])[:, None, None, None]
    offset = np.array([0, 1, -1, 2])[:, None, None, None]
    images = base * scale + offset + casts
    text = summary.which_norm_removes_what(images)
    assert "BatchNorm2d removes none of them" in text
    assert "LayerNorm removes brightness and contrast;" in text  # not the cast
    assert "InstanceNorm2d removes brightness, contrast and colour cast" in text
