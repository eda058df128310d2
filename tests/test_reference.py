"""Brute-force reference: every reduction set gathered element by element.

The partition of the tensor into sets is derived here independently of normlib (two elements
share a set iff they agree on every kept axis and, when C is reduced in groups, on the channel
group), then each set's mean and biased variance are computed in float64 with ``math.fsum``.
normlib's ``set_ids`` must induce the same partition and ``normalize`` the same numbers.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import zlib

import numpy as np
import pytest

from normlib import METHODS, NormError, NormSpec, identify, normalize, set_ids

ALL_AXES = ["".join(combo) for r in range(5) for combo in itertools.combinations("NCHW", r)]
SHAPES = [
    (2, 3, 4, 5),
    (3, 4, 2, 3),
    (2, 6, 2, 2),
    (1, 4, 3, 3),  # N = 1
    (3, 1, 2, 4),  # C = 1
    (2, 4, 1, 5),  # H = 1
    (2, 2, 3, 1),  # W = 1
    (1, 1, 1, 1),  # all ones
    (1, 2, 1, 1),
]
EPS = 1e-5


def element_key(index, shape, axes, groups):
    """The set an element belongs to, as a tuple of the coordinates that are kept."""
    n, c, h, w = index
    channels_per_group = shape[1] // groups
    key = []
    key.append(None if "N" in axes else n)
    key.append(c // channels_per_group if "C" in axes else c)
    key.append(None if "H" in axes else h)
    key.append(None if "W" in axes else w)
    return tuple(key)


def brute_force(x, axes, groups, center):
    """Per-element expected (set key, mean, var) from plain loops; float64, fsum."""
    members: dict[tuple, list[float]] = {}
    keys = np.empty(x.shape, dtype=object)
    for index in itertools.product(*(range(s) for s in x.shape)):
        key = element_key(index, x.shape, axes, groups)
        keys[index] = key
        members.setdefault(key, []).append(float(x[index]))
    stats = {}
    for key, values in members.items():
        m = len(values)
        if center:
            mean = math.fsum(values) / m
            var = math.fsum((v - mean) ** 2 for v in values) / m
        else:
            mean = 0.0
            var = math.fsum(v * v for v in values) / m
        stats[key] = (mean, var, m)
    mean = np.vectorize(lambda k: stats[k][0], otypes=[float])(keys)
    var = np.vectorize(lambda k: stats[k][1], otypes=[float])(keys)
    return keys, mean, var, members


def float32_output_tolerance(x, keys, var, members):
    """Elementwise bound for a float32 output: 1e-5 plus the float32 rounding of the set's
    mean and of x (a few ulps of the set's largest |value|) amplified by 1/sqrt(var + eps).
    Nearly constant small sets are ill-conditioned in float32 for any implementation."""
    largest = {k: max(abs(v) for v in values) for k, values in members.items()}
    scale = np.vectorize(lambda k: largest[k], otypes=[float])(keys)
    return 1e-5 + 8 * np.finfo(np.float32).eps * scale / np.sqrt(var + EPS)


def _group_options(axes, c):
    if "C" not in axes:
        return [1]
    return [g for g in range(1, c + 1) if c % g == 0]


def _shape_id(shape):
    return "x".join(map(str, shape))


@pytest.mark.parametrize("shape", SHAPES, ids=_shape_id)
@pytest.mark.parametrize("axes", ALL_AXES, ids=lambda a: a or "none")
def test_brute_force_matches(axes, shape):
    rng = np.random.default_rng(zlib.crc32(f"{axes}{shape}".encode()))
    x64 = rng.standard_normal(shape) * 1.5 + 0.5
    for groups, center, dtype in itertools.product(
        _group_options(axes, shape[1]), (True, False), (np.float64, np.float32)
    ):
        where = f"axes={axes!r} groups={groups} center={center} dtype={dtype.__name__}"
        x = x64.astype(dtype)
        spec = NormSpec(axes, groups=groups, center=center)
        keys, mean, var, members = brute_force(x, axes, groups, center)
        result = normalize(x, spec, eps=EPS)
        ids = set_ids(shape, spec)

        # The partition: same id <=> same key, ids are 0..n_sets-1.
        assert ids.shape == shape and np.issubdtype(ids.dtype, np.integer), where
        pairs = {(int(i), k) for i, k in zip(ids.ravel(), keys.ravel(), strict=True)}
        assert len(pairs) == len(members) == result.n_sets, where
        assert sorted(np.unique(ids)) == list(range(result.n_sets)), where
        sizes = {len(v) for v in members.values()}
        assert sizes == {result.count}, where
        assert result.n_sets * result.count == x.size, where
        assert isinstance(result.count, int) and isinstance(result.n_sets, int), where

        expected_out = (x.astype(np.float64) - mean) / np.sqrt(var + EPS)
        assert result.output.shape == shape, where
        assert result.output.dtype == dtype, where
        if dtype == np.float64:
            tol = dict(rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(result.output, expected_out, **tol, err_msg=where)
        else:
            tol = dict(rtol=1e-5, atol=1e-5)
            bound = float32_output_tolerance(x, keys, var, members)
            error = np.abs(result.output.astype(np.float64) - expected_out)
            assert np.all(error <= bound), (where, float(np.max(error - bound)))
        np.testing.assert_allclose(result.expand(result.mean), mean, **tol, err_msg=where)
        np.testing.assert_allclose(result.expand(result.var), var, **tol, err_msg=where)
        assert result.expand(result.mean).shape == shape, where

        # set_mean / set_var are indexed by set id.
        assert result.set_mean.shape == (result.n_sets,), where
        assert result.set_var.shape == (result.n_sets,), where
        np.testing.assert_allclose(np.asarray(result.set_mean)[ids], mean, **tol, err_msg=where)
        np.testing.assert_allclose(np.asarray(result.set_var)[ids], var, **tol, err_msg=where)

        # Statistic shapes: keepdims 4-D, or (N, G, 1, H', W') when grouped.
        n, c, h, w = shape
        if groups == 1:
            expected_stat = tuple(1 if a in axes else s for a, s in zip("NCHW", shape, strict=True))
        else:
            expected_stat = (
                1 if "N" in axes else n,
                groups,
                1,
                1 if "H" in axes else h,
                1 if "W" in axes else w,
            )
        assert result.mean.shape == expected_stat, where
        assert result.var.shape == expected_stat, where
        if not center:
            assert np.all(np.asarray(result.mean) == 0), where


@pytest.mark.parametrize("axes", ALL_AXES, ids=lambda a: a or "none")
def test_set_ids_uses_every_id_count_times(axes):
    shape = (3, 4, 2, 5)
    for groups in _group_options(axes, shape[1]):
        spec = NormSpec(axes, groups=groups)
        ids = set_ids(shape, spec)
        result = normalize(np.zeros(shape), spec)
        counts = np.bincount(ids.ravel())
        assert len(counts) == result.n_sets
        assert np.all(counts == result.count), (axes, groups, counts)


# Hand-derived on shape (4, 6, 10, 12): sets = product of kept sizes, count = product of
# reduced sizes (C contributes C/G when grouped, and G multiplies the sets).
HAND_DERIVED = [
    ("NHW", 1, 6, 480),
    ("N", 1, 720, 4),
    ("NC", 1, 120, 24),
    ("CHW", 1, 4, 720),
    ("HW", 1, 24, 120),
    ("CHW", 3, 12, 240),
    ("NCHW", 1, 1, 2880),
    ("", 1, 2880, 1),
    ("C", 2, 960, 3),
]


@pytest.mark.parametrize(("axes", "groups", "n_sets", "count"), HAND_DERIVED)
def test_hand_derived_set_counts(axes, groups, n_sets, count):
    shape = (4, 6, 10, 12)
    spec = NormSpec(axes, groups=groups)
    result = normalize(np.ones(shape), spec)
    assert (result.n_sets, result.count) == (n_sets, count)
    ids = set_ids(shape, spec)
    assert len(np.unique(ids)) == n_sets


def test_set_ids_batchnorm_is_channel_index():
    shape = (3, 5, 4, 2)
    expected = np.broadcast_to(np.arange(5).reshape(1, 5, 1, 1), shape)
    np.testing.assert_array_equal(set_ids(shape, NormSpec("NHW")), expected)
    np.testing.assert_array_equal(set_ids(shape, "batchnorm"), expected)


def test_set_ids_no_axes_is_flat_index():
    shape = (2, 3, 4, 5)
    np.testing.assert_array_equal(set_ids(shape, NormSpec("")), np.arange(120).reshape(shape))


def test_set_ids_groups_bad_divisor_raises():
    with pytest.raises(NormError, match="groups=4"):
        set_ids((2, 6, 3, 3), NormSpec("CHW", groups=4))


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("hwn", "NHW"),
        ("NHW", "NHW"),
        ("wHn", "NHW"),
        ("chw", "CHW"),
        ("WC", "CW"),
        ("wchn", "NCHW"),
        ("", ""),
        ("n", "N"),
    ],
)
def test_axes_parsing_is_canonical(written, canonical):
    spec = NormSpec(written)
    assert spec.axes == canonical
    assert spec == NormSpec(canonical)


def test_spec_is_frozen():
    spec = NormSpec("NHW")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.axes = "CHW"


@pytest.mark.parametrize(
    ("key", "spec"),
    [
        ("method1", NormSpec("NC")),
        ("method2", NormSpec("N")),
        ("method3", NormSpec("NHW")),
        ("batchnorm", NormSpec("NHW")),
        ("layernorm", NormSpec("CHW")),
        ("instancenorm", NormSpec("HW")),
        ("groupnorm", NormSpec("CHW", groups=2)),
        ("rmsnorm", NormSpec("CHW", center=False)),
        ("pixelnorm", NormSpec("C", center=False)),
    ],
)
def test_methods_presets_equal_plain_specs(key, spec):
    preset = METHODS[key]
    assert preset == spec
    assert spec == preset
    assert hash(preset) == hash(spec)
    assert (preset != spec) is False
    assert isinstance(preset, NormSpec)
    assert isinstance(preset.name, str) and preset.name
    assert isinstance(preset.description, str) and preset.description


def test_methods_order_starts_with_the_question():
    assert list(METHODS)[:3] == ["method1", "method2", "method3"]


def test_normalize_accepts_key_axes_string_and_spec_alike():
    x = np.random.default_rng(5).standard_normal((3, 4, 2, 2))
    by_spec = normalize(x, NormSpec("NHW")).output
    np.testing.assert_array_equal(normalize(x, "batchnorm").output, by_spec)
    np.testing.assert_array_equal(normalize(x, "hwn").output, by_spec)
    np.testing.assert_array_equal(normalize(x, METHODS["method3"]).output, by_spec)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (NormSpec("NHW"), ["BatchNorm2d", "Method 3"]),
        (NormSpec("N"), ["Method 2"]),
        (NormSpec("NC"), ["Method 1"]),
        (NormSpec("CHW"), ["LayerNorm"]),
        (NormSpec("HW"), ["InstanceNorm2d"]),
        (NormSpec("CHW", groups=4), ["GroupNorm(4)"]),
    ],
)
def test_identify_names(spec, words):
    name = identify(spec)
    assert isinstance(name, str)
    for word in words:
        assert word in name, name


def test_identify_method2_is_not_batchnorm2d():
    assert "BatchNorm2d" not in identify(NormSpec("N"))
    assert "LayerNorm" not in identify(NormSpec("NHW"))


def test_identify_example_from_contract():
    assert identify(NormSpec("NHW")) == "BatchNorm2d (Method 3)"


@pytest.mark.parametrize(
    "view",
    [
        lambda a: a.transpose(0, 1, 3, 2),
        lambda a: a[:, ::-1],
        lambda a: a[::2, :, 1:4, ::2],
        np.asfortranarray,
    ],
    ids=["transposed", "reversed-C", "strided", "fortran"],
)
@pytest.mark.parametrize(
    ("axes", "groups"),
    [("NHW", 1), ("CHW", 3), ("HW", 1), ("N", 1), ("", 1), ("NCHW", 1), ("C", 3), ("NC", 1)],
)
def test_non_contiguous_input_matches_contiguous_copy(view, axes, groups):
    base = np.random.default_rng(9).standard_normal((4, 6, 5, 6))
    x = view(base)
    spec = NormSpec(axes, groups=groups)
    got = normalize(x, spec)
    want = normalize(np.ascontiguousarray(x), spec)
    np.testing.assert_allclose(got.output, want.output, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.set_mean, want.set_mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.set_var, want.set_var, rtol=1e-12, atol=1e-12)


def test_input_is_not_modified():
    x = np.random.default_rng(3).standard_normal((2, 4, 3, 3))
    before = x.copy()
    normalize(x, NormSpec("CHW", groups=2), gamma=np.ones(4), beta=np.zeros(4))
    np.testing.assert_array_equal(x, before)


def test_gamma_of_length_c_is_per_channel_even_when_w_equals_c():
    x = np.random.default_rng(4).standard_normal((2, 6, 3, 6))
    gamma = np.arange(1.0, 7.0)
    plain = normalize(x, "NHW").output
    np.testing.assert_allclose(
        normalize(x, "NHW", gamma=gamma).output,
        plain * gamma.reshape(1, 6, 1, 1),
        rtol=1e-12,
        atol=1e-12,
    )
