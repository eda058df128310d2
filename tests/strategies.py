"""Hypothesis strategies shared by the property tests: specs, shapes and data.

Shapes are small (every set fits a brute-force check); ``integer_data`` gives
integer-valued float64 data with no constant set, so shifted and scaled copies
are exact.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings
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
