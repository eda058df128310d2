"""normalize_backward and BatchNorm2d.backward against central finite differences (hypothesis).

For L = sum(grad_output * y) with y = normalize(x, spec, eps, gamma, beta), dL/dx, dL/dgamma and
dL/dbeta from normalize_backward must match (L(p + h) - L(p - h)) / 2h in every coordinate p
of x, gamma and beta, in float64, over random small shapes, every subset of NCHW, groups
dividing C, centering or not, and gamma/beta per channel, per element or per position.

eps is at least 1e-3 here: with a near-constant set and a tiny eps, 1/sqrt(var + eps) varies so
fast that the difference quotient itself is wrong (the torch tests cover small eps).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from normlib import BatchNorm2d, NormSpec, normalize, normalize_backward
from tests.strategies import SETTINGS, spec_and_shape

STEP = 1e-6
TOL = dict(rtol=1e-5, atol=1e-6)
finite = st.floats(-4.0, 4.0, allow_nan=False, allow_infinity=False)


def param_shape(kind: str | None, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    n, c, h, w = shape
    return {None: None, "channel": (c,), "element": (c, h, w), "position": (1, h, w)}[kind]


@st.composite
def backward_problem(draw):
    spec, shape = draw(spec_and_shape())
    x = draw(hnp.arrays(np.float64, shape, elements=finite))
    grad = draw(hnp.arrays(np.float64, shape, elements=finite))
    eps = draw(st.sampled_from([1e-3, 1e-2, 0.5]))
    gamma_kind = draw(st.sampled_from([None, "channel", "element", "position"]))
    beta_kind = draw(st.sampled_from([None, "channel", "element", "position"]))
    gshape, bshape = param_shape(gamma_kind, shape), param_shape(beta_kind, shape)
    gamma = None if gshape is None else draw(hnp.arrays(np.float64, gshape, elements=finite))
    beta = None if bshape is None else draw(hnp.arrays(np.float64, bshape, elements=finite))
    return spec, x, grad, eps, gamma, beta


def tolerance(grad, x, y, eps: float, gamma=None) -> dict[str, float]:
    """TOL, with atol grown by the difference quotient's own rounding.

    L = sum(grad * y) sums terms (x - mean) * r * gamma * grad with r <= 1/sqrt(eps); each
    x - mean is rounded at the scale of |x| (a constant set's perturbed mean too, where the
    exact gradient is 0), and the sum is divided by 2 * STEP. 5e-9 is ~20 x 2**-52 / STEP.
    """
    gamma_max = 1.0 if gamma is None else max(1.0, float(np.abs(gamma).max()))
    terms = float(np.abs(grad).sum()) * float(np.abs(x).max()) * gamma_max / np.sqrt(eps)
    rounding = 5e-9 * (terms + float(np.abs(grad * y).sum()))
    return dict(rtol=TOL["rtol"], atol=TOL["atol"] + rounding)


def central_difference(loss, point: np.ndarray) -> np.ndarray:
    """d loss / d point by central differences, one coordinate at a time (point is restored)."""
    out = np.empty_like(point)
    flat, grad = point.reshape(-1), out.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + STEP
        above = loss()
        flat[i] = keep - STEP
        below = loss()
        flat[i] = keep
        grad[i] = (above - below) / (2 * STEP)
    return out


# Found by hypothesis against a tolerance without the rounding term: one constant set of 1.1
# (rounded), constant dL/dy; the exact gradient is 0, the difference quotient -1.2e-6.
CONSTANT_SET = (NormSpec("CHW"), np.full((1, 6, 4, 4), 1.1), np.full((1, 6, 4, 4), 2.0), 1e-3)


@pytest.mark.slow
@SETTINGS
@given(backward_problem())
@example((*CONSTANT_SET, None, None))
def test_normalize_backward_matches_finite_differences(problem):
    spec, x, grad, eps, gamma, beta = problem

    def loss() -> float:
        y = normalize(x, spec, eps=eps, gamma=gamma, beta=beta).output
        return float(np.vdot(grad, y))

    got = normalize_backward(x, grad, spec, eps=eps, gamma=gamma, beta=beta)
    where = f"{spec} eps={eps}"
    y = normalize(x, spec, eps=eps, gamma=gamma, beta=beta).output
    tol = tolerance(grad, x, y, eps, gamma)
    assert got.grad_input.shape == x.shape
    np.testing.assert_allclose(got.grad_input, central_difference(loss, x), **tol, err_msg=where)
    for name, param, value in (("gamma", gamma, got.grad_gamma), ("beta", beta, got.grad_beta)):
        if param is None:
            assert value is None, f"{where}: grad_{name} for no {name}"
            continue
        assert value.shape == param.shape, f"{where}: grad_{name} shape {value.shape}"
        expected = central_difference(loss, param)
        np.testing.assert_allclose(value, expected, **tol, err_msg=f"{where} grad_{name}")
    # Reusing the forward pass changes nothing.
    forward = normalize(x, spec, eps=eps, gamma=gamma, beta=beta)
    again = normalize_backward(x, grad, spec, eps=eps, gamma=gamma, beta=beta, forward=forward)
    np.testing.assert_array_equal(again.grad_input, got.grad_input)


@st.composite
def batchnorm_problem(draw):
    n, c, h, w = draw(
        st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))
    )
    training = draw(st.booleans()) if n * h * w > 1 else False  # training needs N·H·W > 1
    shape = (n, c, h, w)
    x = draw(hnp.arrays(np.float64, shape, elements=finite))
    grad = draw(hnp.arrays(np.float64, shape, elements=finite))
    positive = st.floats(0.05, 4.0)
    running_mean = draw(hnp.arrays(np.float64, (c,), elements=finite))
    running_var = draw(hnp.arrays(np.float64, (c,), elements=positive))
    weight = draw(hnp.arrays(np.float64, (c,), elements=finite))
    bias = draw(hnp.arrays(np.float64, (c,), elements=finite))
    affine = draw(st.booleans())
    return x, grad, training, running_mean, running_var, (weight, bias) if affine else None


@pytest.mark.slow
@SETTINGS
@given(batchnorm_problem())
def test_batchnorm_backward_matches_finite_differences(problem):
    """Training: through the batch statistics; eval: the running statistics are constants."""
    x, grad, training, running_mean, running_var, params = problem
    c = x.shape[1]

    def layer() -> BatchNorm2d:
        bn = BatchNorm2d(c, eps=1e-2, affine=params is not None, dtype=np.float64)
        bn.running_mean, bn.running_var = running_mean.copy(), running_var.copy()
        if params is not None:
            bn.weight, bn.bias = params
        return bn

    def loss() -> float:
        return float(np.vdot(grad, layer()(x, training=training)))

    bn = layer()
    tol = tolerance(grad, x, bn(x, training=training), bn.eps, bn.weight)
    got = bn.backward(grad)
    where = "train" if training else "eval"
    np.testing.assert_allclose(got.grad_input, central_difference(loss, x), **tol, err_msg=where)
    if params is None:
        assert got.grad_gamma is None and got.grad_beta is None
        return
    for name, param, value in zip(
        ("weight", "bias"), params, (got.grad_gamma, got.grad_beta), strict=True
    ):
        np.testing.assert_allclose(
            value, central_difference(loss, param), **tol, err_msg=f"{where} grad_{name}"
        )
