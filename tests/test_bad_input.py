"""Bad input is refused with NormError (a ValueError) and a message that says what to fix.

Every test checks the message, not only the type.

Documented choices for input dtypes the contract leaves open:
* bool arrays are treated like integers: converted to float64 (False -> 0.0, True -> 1.0).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from normlib import BatchNorm2d, NormError, NormSpec, normalize, set_ids


@pytest.fixture
def x():
    return np.random.default_rng(0).standard_normal((2, 6, 3, 3))


def test_norm_error_is_a_value_error():
    assert issubclass(NormError, ValueError)


# ------------------------------------------------------------------------ arrays


@pytest.mark.parametrize(
    "bad",
    [np.zeros((2, 3, 3)), np.zeros((2, 3, 3, 3, 3)), np.float64(3.0), np.zeros(5)],
    ids=["3-D", "5-D", "scalar", "1-D"],
)
def test_not_4d_is_refused(bad):
    with pytest.raises(NormError, match=rf"4-D.*{bad.ndim}-D"):
        normalize(bad, "NHW")


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8])
def test_integer_input_is_converted_to_float64(dtype):
    values = np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2) % 7
    result = normalize(values.astype(dtype), "NHW")
    assert result.output.dtype == np.float64
    expected = normalize(values.astype(np.float64), "NHW").output
    np.testing.assert_allclose(result.output, expected, rtol=1e-12, atol=1e-12)
    # uint8 must not wrap around when the mean is subtracted.
    assert result.output.min() < 0


def test_uint8_image_values_do_not_wrap():
    x = np.array([0, 255], dtype=np.uint8).reshape(2, 1, 1, 1)
    result = normalize(x, "N", eps=0.0)
    np.testing.assert_allclose(result.output.ravel(), [-1.0, 1.0], rtol=1e-12)
    assert result.set_mean[0] == 127.5


def test_bool_input_is_converted_to_float64():
    """Choice: bool behaves like 0/1 integers (documented in this module's docstring)."""
    mask = np.array([True, False, True, True]).reshape(4, 1, 1, 1)
    result = normalize(mask, "N", eps=0.0)
    assert result.output.dtype == np.float64
    assert result.set_mean[0] == pytest.approx(0.75)
    assert result.set_var[0] == pytest.approx(0.1875)


def test_complex_is_refused():
    with pytest.raises(NormError, match=r"(?i)complex.*real"):
        normalize(np.ones((2, 3, 2, 2), dtype=complex), "NHW")


@pytest.mark.parametrize(("value", "word"), [(np.nan, "NaN"), (np.inf, "Inf"), (-np.inf, "Inf")])
def test_non_finite_is_refused(x, value, word):
    x[1, 2, 0, 1] = value
    with pytest.raises(NormError, match="non-finite") as info:
        normalize(x, "NHW")
    assert word in str(info.value)


def test_non_finite_float32_is_refused(x):
    x = x.astype(np.float32)
    x[0, 0, 0, 0] = np.nan
    with pytest.raises(NormError, match=r"(?i)nan|non-finite"):
        normalize(x, "CHW")


@pytest.mark.parametrize("shape", [(0, 3, 2, 2), (2, 0, 2, 2), (2, 3, 0, 2), (2, 3, 2, 0)])
def test_empty_dimension_is_refused(shape):
    with pytest.raises(NormError, match=r"size 0|at least 1"):
        normalize(np.zeros(shape), "NHW")


def test_empty_dimension_is_refused_by_set_ids():
    with pytest.raises(NormError, match=r"at least 1|size 0"):
        set_ids((2, 0, 2, 2), NormSpec("NHW"))


# ------------------------------------------------------------------------ axes


@pytest.mark.parametrize(
    ("axes", "letter"), [("NHX", "X"), ("batch", "B"), ("NCHWZ", "Z"), ("N-H", "-")]
)
def test_unknown_axis_letter(x, axes, letter):
    for call in (lambda: NormSpec(axes), lambda: normalize(x, axes)):
        with pytest.raises(NormError) as info:
            call()
        message = str(info.value)
        assert repr(letter) in message, message
        assert "'NHW'" in message or "'CHW'" in message, message  # an example of the right form


def test_unknown_axis_suggests_the_fix():
    with pytest.raises(NormError, match=r"Did you mean W"):
        NormSpec("NHX")
    with pytest.raises(NormError, match=r"Did you mean N"):
        NormSpec("BHW")


def test_repeated_axis(x):
    for call in (lambda: NormSpec("NNH"), lambda: normalize(x, "NNH")):
        with pytest.raises(NormError, match=r"'N' appears more than once") as info:
            call()
        assert "'NH'" in str(info.value)  # the corrected form


@pytest.mark.parametrize("bad", [3, 3.5])
def test_axes_that_are_not_a_string_in_normspec(bad):
    with pytest.raises(NormError, match=r"string.*NormSpec\('NHW'\)") as info:
        NormSpec(bad)
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("bad", [3, 3.5])
def test_axes_that_are_not_a_string_in_normalize(x, bad):
    with pytest.raises(NormError, match=r"string.*NHW") as info:
        normalize(x, bad)
    # The message should name the offending value, not only its type.
    assert repr(bad) in str(info.value), str(info.value)


# ------------------------------------------------------------------------ groups


@pytest.mark.parametrize("groups", [0, -1])
def test_groups_below_one(groups):
    with pytest.raises(NormError, match=rf"groups must be at least 1, got {groups}"):
        NormSpec("CHW", groups=groups)


def test_groups_without_c():
    with pytest.raises(NormError, match=r"groups=2.*C.*NormSpec\('CHW', groups=2\)"):
        NormSpec("NHW", groups=2)


def test_groups_not_dividing_c_at_normalize_time(x):
    spec = NormSpec("CHW", groups=4)  # fine without a shape
    with pytest.raises(NormError, match=r"groups=4 does not divide C=6.*\[1, 2, 3, 6\]"):
        normalize(x, spec)


@pytest.mark.parametrize("groups", [1.5, "2", True])
def test_groups_not_an_integer(groups):
    with pytest.raises(NormError, match=r"groups"):
        NormSpec("CHW", groups=groups)


# ------------------------------------------------------------------------ affine, eps


@pytest.mark.parametrize("name", ["gamma", "beta"])
@pytest.mark.parametrize("shape", [(5,), (6, 3), (7, 3, 3), (2, 6, 3, 4)])
def test_affine_of_wrong_shape(x, name, shape):
    with pytest.raises(NormError, match=rf"{name} has shape \({shape[0]},.*\(6,\)"):
        normalize(x, "NHW", **{name: np.ones(shape)})


@pytest.mark.parametrize("shape", [(6,), (6, 3, 3), (2, 6, 3, 3), (1, 6, 1, 1)])
def test_affine_of_right_shape_is_accepted(x, shape):
    gamma = np.full(shape, 2.0)
    result = normalize(x, "NHW", gamma=gamma, beta=np.full(shape, 0.5))
    np.testing.assert_allclose(
        result.output, normalize(x, "NHW").output * 2.0 + 0.5, rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("eps", [-1.0, -1e-12, np.nan, np.inf, -np.inf])
def test_bad_eps(x, eps):
    with pytest.raises(NormError, match=r"eps must be a finite number >= 0"):
        normalize(x, "NHW", eps=eps)


def test_eps_zero_is_allowed(x):
    result = normalize(x, "NHW", eps=0.0)
    assert np.all(np.isfinite(result.output))


# ------------------------------------------------------------------------ BatchNorm2d


def test_batchnorm_single_value_per_channel_in_training():
    bn = BatchNorm2d(3)
    x = np.arange(3.0).reshape(1, 3, 1, 1)
    with pytest.raises(NormError, match=r"more than 1 value per channel"):
        bn(x, training=True)
    # The failed call changed nothing, as in torch.
    assert bn.num_batches_tracked == 0
    np.testing.assert_array_equal(bn.running_mean, np.zeros(3))
    np.testing.assert_array_equal(bn.running_var, np.ones(3))
    # Eval mode works: running stats 0 and 1, weight 1, bias 0.
    out = bn(x, training=False)
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-5), rtol=1e-6)
    assert bn.num_batches_tracked == 0


def test_batchnorm_two_values_per_channel_is_enough():
    bn = BatchNorm2d(2)
    out = bn(np.arange(4.0).reshape(2, 2, 1, 1), training=True)
    assert np.all(np.isfinite(out))
    assert bn.num_batches_tracked == 1


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_wrong_channel_count(training):
    bn = BatchNorm2d(3)
    with pytest.raises(NormError, match=r"BatchNorm2d\(3\) got 4 channels.*BatchNorm2d\(4\)"):
        bn(np.ones((2, 4, 2, 2)), training=training)


def test_batchnorm_not_4d():
    bn = BatchNorm2d(3)
    with pytest.raises(NormError, match=r"4-D"):
        bn(np.ones((2, 3, 4)), training=True)


def test_batchnorm_non_finite():
    bn = BatchNorm2d(3)
    x = np.ones((2, 3, 2, 2))
    x[0, 0, 0, 0] = np.nan
    with pytest.raises(NormError, match=r"non-finite"):
        bn(x, training=True)
    assert bn.num_batches_tracked == 0


def test_float64_overflow_message_does_not_ask_for_float64():
    """Huge but finite float64 data: either normalized correctly (normalization is scale
    invariant) or refused with a message that does not tell the user to cast a float64 array
    to float64."""
    x = np.random.default_rng(1).standard_normal((2, 3, 2, 2)) * 1e200
    try:
        result = normalize(x, "CHW", eps=0.0)
    except NormError as error:
        message = str(error)
        assert "overflow" in message, message
        assert "astype(np.float64)" not in message, message
    else:
        expected = normalize(x / 1e200, "CHW", eps=0.0).output
        np.testing.assert_allclose(result.output, expected, rtol=1e-9, atol=1e-12)


def test_float32_overflow_is_refused_with_a_fix_or_computed():
    """Huge float32 data: either correct, or refused with a pointer to float64."""
    x = np.random.default_rng(1).standard_normal((2, 3, 2, 2)).astype(np.float32) * 3e37
    try:
        result = normalize(x, "NHW")
    except NormError as error:
        assert re.search(r"overflow.*float64", str(error)), str(error)
    else:
        expected = normalize(x.astype(np.float64), "NHW").output
        np.testing.assert_allclose(result.output, expected, rtol=0, atol=1e-5)
