"""NormSpec.latex formulas and normlib.histograms, checked against hand-made cases."""

import numpy as np
import pytest

import normlib
from normlib import NormSpec


def test_batchnorm_formula_names_its_index_set_and_fills_in_the_numbers():
    formulas = NormSpec("NHW").latex((8, 3, 32, 32))
    assert formulas.mean.startswith(r"\mu_{c} = \frac{1}{m}")
    for axis in ("n=1}^{N}", "h=1}^{H}", "w=1}^{W}"):
        assert axis in formulas.mean
    assert r"\sum_{c" not in formulas.mean
    assert formulas.count == r"m = N \cdot H \cdot W = 8 \cdot 32 \cdot 32 = 8192"
    assert formulas.group_set == ""
    assert r"\sqrt{\sigma^2_{c} + \epsilon}" in formulas.output


def test_groupnorm_formula_sums_over_the_group_and_defines_it():
    formulas = NormSpec("CHW", groups=4).latex((2, 8, 5, 5))
    assert formulas.mean.startswith(r"\mu_{n,g}")
    assert r"\sum_{c \in \mathcal{G}_g}" in formulas.mean
    assert "G = 4" in formulas.group_set
    assert formulas.count.endswith(r"= 2 \cdot 5 \cdot 5 = 50")


def test_rms_formula_has_no_mean_and_single_axis_counts_are_short():
    formulas = NormSpec("C", center=False).latex((2, 16, 4, 4))
    assert r"\nu_{n,h,w}" in formulas.var and "^2" in formulas.var
    assert "no centering" in formulas.mean
    assert formulas.count == "m = C = 16"


def test_no_reduction_formula_has_no_average():
    formulas = NormSpec("").latex((2, 3, 4, 4))
    assert formulas.mean == r"\mu_{n,c,h,w} = x_{n,c,h,w}"
    assert formulas.count == "m = 1 = 1"


def test_formula_checks_the_shape():
    with pytest.raises(normlib.NormError, match="does not divide C=6"):
        NormSpec("CHW", groups=4).latex((2, 6, 4, 4))


def test_histograms_share_edges_and_count_everything():
    rng = np.random.default_rng(0)
    before = rng.normal(5.0, 2.0, size=(4, 3, 8, 8))
    after = normlib.normalize(before, "batchnorm").output
    h = normlib.histograms(before, after, bins=30, by="channel")
    assert h.edges[0] == pytest.approx(min(before.min(), after.min()))
    assert h.edges[-1] == pytest.approx(max(before.max(), after.max()))
    assert h.before.sum() == h.after.sum() == before.size
    assert h.before_by_group.shape == (3, 30)
    np.testing.assert_array_equal(h.before_by_group.sum(axis=0), h.before)
    # Channel 1's counts equal numpy's own histogram of that channel on the shared edges.
    expected, _ = np.histogram(before[:, 1], bins=h.edges)
    np.testing.assert_array_equal(h.before_by_group[1], expected)


def test_histograms_by_set_ids_and_constant_data():
    x = np.zeros((2, 2, 3, 3))
    spec = NormSpec("HW")
    h = normlib.histograms(x, x + 1.0, bins=4, by=normlib.set_ids(x.shape, spec))
    assert h.before_by_group.shape == (4, 4)
    assert h.before[0] == x.size and h.after[-1] == x.size
    flat = normlib.histograms(x, x, bins=5)
    assert flat.edges[0] == -0.5 and flat.edges[-1] == 0.5  # constant data: a unit window
    with pytest.raises(normlib.NormError, match="same shape"):
        normlib.histograms(x, x[:1])
    with pytest.raises(normlib.NormError, match="bins"):
        normlib.histograms(x, x, bins=0)
