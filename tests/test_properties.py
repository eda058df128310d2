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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from normlib import NormSpec, normalize, set_ids

# database=None: no .hypothesis/ directory in the shared tree.
SETTINGS = settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

shapes = st.tuples(
    st.integers(1, 3), st.sampled_from([1, 2, 3, 4, 6]), st.integers(1, 4), st.integers(1, 4)
)


@st.composite
def spec_and_shape(draw, center=None):
    shape = draw(shapes)
    axes = "".join(a for a in "NCHW" if draw(st.booleans()))
    groups = 1
    if "C" in axes:
        c = shape[1]
        groups = draw(st.sampled_from([g for g in range(1, c + 1) if c % g == 0]))
    if center is None:
        center = draw(st.booleans())
    return NormSpec(axes, groups=groups, center=center), shape


def per_set(values, ids, n_sets):
    """Mean of `values` over each set (float64, via bincount)."""
    return np.bincount(ids.ravel(), weights=values.ravel(), minlength=n_sets) / np.bincount(
        ids.ravel(), minlength=n_sets
    )


@st.composite
def real_data(draw):
    spec, shape = draw(spec_and_shape())
    x = draw(
        hnp.arrays(
            np.float64, shape, elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
        )
    )
    eps = draw(st.sampled_from([1e-5, 1e-3, 1.0]))
    return spec, x, eps


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


@st.composite
def integer_data(draw, center):
    """Integer-valued float64 data with no constant set (when sets have > 1 element)."""
    spec, shape = draw(spec_and_shape(center=center))
    values = draw(hnp.arrays(np.int64, shape, elements=st.integers(-50, 50)))
    x = values.astype(np.float64)
    ids = set_ids(shape, spec)
    result = normalize(x, spec)
    if result.count > 1:
        # Break every constant set by bumping its first element.
        flat_ids, flat_x = ids.ravel(), x.reshape(-1)
        for set_id in range(result.n_sets):
            members = np.flatnonzero(flat_ids == set_id)
            if np.all(flat_x[members] == flat_x[members[0]]):
                flat_x[members[0]] += 1.0
    return spec, x, ids, result.n_sets, result.count


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
