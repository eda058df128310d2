"""Property-based tests (hypothesis) of normalize and set_ids, in float64.

* every set of the output has mean ~ 0 and variance var / (var + eps) (center=True), or
  mean square ms / (ms + eps) (center=False);
* with eps = 0 the output does not change under a per-set shift (center=True) or a positive
  per-set scale (any center), on sets that are not constant;
* set_ids splits the tensor into n_sets sets of count elements each.

Data for the invariance checks are small integers, so shifted inputs are exact and every
non-constant set is well conditioned (its variance is at least about 1/m).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from normlib import normalize, set_ids
from tests.strategies import SETTINGS, integer_data, real_data, spec_and_shape


def per_set(values, ids, n_sets):
    """Mean of `values` over each set (float64, via bincount)."""
    return np.bincount(ids.ravel(), weights=values.ravel(), minlength=n_sets) / np.bincount(
        ids.ravel(), minlength=n_sets
    )


@SETTINGS
@given(real_data())
def test_each_set_is_standardized(data):
    spec, x, eps = data
    result = normalize(x, spec, eps=eps)
    ids = set_ids(x.shape, spec)
    out = result.output
    set_var = np.asarray(result.set_var, dtype=np.float64)
    # Elements are at most sqrt(m) in size after normalization; scale tolerances by it.
    tol = 1e-9 * max(1.0, np.sqrt(result.count))
    if spec.center:
        np.testing.assert_allclose(per_set(out, ids, result.n_sets), 0.0, atol=tol)
    # Centered: the mean is 0, so the mean square is the variance. Not centered: mean square.
    second = per_set(out**2, ids, result.n_sets)
    np.testing.assert_allclose(second, set_var / (set_var + eps), rtol=1e-9, atol=tol)


@SETTINGS
@given(integer_data(center=True), st.data())
def test_eps0_invariant_to_per_set_shift(case, data):
    spec, x, ids, n_sets, count = case
    if count == 1:  # a one-element set is constant: 0 / 0 with eps = 0
        return
    shifts = np.array(
        data.draw(st.lists(st.integers(-1000, 1000), min_size=n_sets, max_size=n_sets)),
        dtype=np.float64,
    )
    base = normalize(x, spec, eps=0.0).output
    shifted = normalize(x + shifts[ids], spec, eps=0.0).output
    np.testing.assert_allclose(shifted, base, rtol=1e-9, atol=1e-9)
    assert np.all(np.isfinite(base))


@SETTINGS
@given(integer_data(center=None), st.data())
def test_eps0_invariant_to_positive_per_set_scale(case, data):
    spec, x, ids, n_sets, count = case
    if count == 1 and spec.center:  # constant one-element sets: 0 / 0
        return
    if not spec.center:
        # With no centering a set is degenerate only when it is all zeros.
        ms = normalize(x, spec, eps=0.0).set_var
        if np.any(np.asarray(ms) == 0):
            return
    scales = np.array(
        data.draw(st.lists(st.floats(0.01, 100.0), min_size=n_sets, max_size=n_sets)),
        dtype=np.float64,
    )
    base = normalize(x, spec, eps=0.0).output
    scaled = normalize(x * scales[ids], spec, eps=0.0).output
    np.testing.assert_allclose(scaled, base, rtol=1e-9, atol=1e-9)


@SETTINGS
@given(spec_and_shape())
def test_set_ids_is_an_equal_partition(case):
    spec, shape = case
    ids = set_ids(shape, spec)
    result = normalize(np.zeros(shape), spec)
    assert ids.shape == shape
    assert np.issubdtype(ids.dtype, np.integer)
    counts = np.bincount(ids.ravel())
    assert len(counts) == result.n_sets
    assert np.all(counts == result.count)
    assert result.n_sets * result.count == int(np.prod(shape))
    # Reduced axes do not change the id; kept axes do.
    for axis, letter in enumerate("NCHW"):
        if letter in spec.axes and letter != "C":
            first = np.take(ids, [0], axis=axis)
            assert np.all(ids == first)


@SETTINGS
@given(real_data())
def test_output_formula_and_expand(data):
    spec, x, eps = data
    result = normalize(x, spec, eps=eps)
    ids = set_ids(x.shape, spec)
    mean, var = result.expand(result.mean), result.expand(result.var)
    np.testing.assert_array_equal(mean, np.asarray(result.set_mean)[ids])
    np.testing.assert_array_equal(var, np.asarray(result.set_var)[ids])
    np.testing.assert_allclose(
        result.output, (x - mean) / np.sqrt(var + eps), rtol=1e-12, atol=1e-12
    )
