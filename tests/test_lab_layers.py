"""normapp.lab.layers against torch autograd (live, float64) and finite differences.

Expected values never come from the functions under test: each layer's forward and
backward are compared with torch's F.* ops and autograd, SGD with torch.optim.SGD.
Without torch the torch cases skip (fail under CI, see tests/conftest.py); the finite
difference checks always run.
"""

from __future__ import annotations

import numpy as np
import pytest

from normapp.lab import layers
from tests.conftest import require_torch

pytestmark = pytest.mark.torch  # checks against live PyTorch or Keras

F64 = dict(rtol=1e-10, atol=1e-12)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _t(array, torch):
    return torch.tensor(np.asarray(array), dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize(
    "shape", [(2, 3, 5, 4), (1, 1, 1, 1), (3, 4, 6, 6), (2, 2, 16, 16), (1, 2, 2, 3)]
)
@pytest.mark.parametrize("c_out", [1, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv3x3_matches_torch(shape, c_out, stride):
    torch = require_torch()
    rng = _rng(1)
    x = rng.normal(size=shape)
    weight = rng.normal(size=(c_out, shape[1], 3, 3))
    bias = rng.normal(size=c_out)
    tx, tw, tb = _t(x, torch), _t(weight, torch), _t(bias, torch)
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=1)
    grad_out = rng.normal(size=tuple(ty.shape))
    ty.backward(torch.tensor(grad_out))
    out, cache = layers.conv3x3_forward(x, weight, bias, stride)
    grads = layers.conv3x3_backward(grad_out, cache)

    np.testing.assert_allclose(out, ty.detach().numpy(), **F64)
    np.testing.assert_allclose(grads.grad_input, tx.grad.numpy(), **F64)
    np.testing.assert_allclose(grads.grad_weight, tw.grad.numpy(), **F64)
    np.testing.assert_allclose(grads.grad_bias, tb.grad.numpy(), **F64)
    assert layers.conv3x3_backward(grad_out, cache, need_input_grad=False).grad_input is None


@pytest.mark.parametrize("stride", [1, 2])
def test_conv3x3_keeps_float32(stride):
    rng = _rng(2)
    x = rng.normal(size=(2, 3, 4, 4)).astype(np.float32)
    weight = rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    out, cache = layers.conv3x3_forward(x, weight, np.zeros(4, np.float32), stride)
    grads = layers.conv3x3_backward(np.ones_like(out), cache)
    assert out.dtype == grads.grad_input.dtype == grads.grad_weight.dtype == np.float32


@pytest.mark.parametrize("stride, size, out_size", [(1, 3, 3), (2, 5, 3), (2, 4, 2)])
def test_conv3x3_finite_differences(stride, size, out_size):
    """Brute force: each input element nudged by ±h changes <grad_out, output> by grad_input·2h."""
    rng = _rng(3)
    x = rng.normal(size=(2, 2, size, size))
    weight = rng.normal(size=(3, 2, 3, 3))
    bias = rng.normal(size=3)
    grad_out = rng.normal(size=(2, 3, out_size, out_size))
    _, cache = layers.conv3x3_forward(x, weight, bias, stride)
    grads = layers.conv3x3_backward(grad_out, cache)
    h = 1e-6

    def objective(x_, w_):
        return float((layers.conv3x3_forward(x_, w_, bias, stride)[0] * grad_out).sum())

    numeric_x = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        numeric_x[index] = (objective(up, weight) - objective(down, weight)) / (2 * h)
    numeric_w = np.zeros_like(weight)
    for index in np.ndindex(weight.shape):
        up, down = weight.copy(), weight.copy()
        up[index] += h
        down[index] -= h
        numeric_w[index] = (objective(x, up) - objective(x, down)) / (2 * h)
    np.testing.assert_allclose(grads.grad_input, numeric_x, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grads.grad_weight, numeric_w, rtol=1e-6, atol=1e-7)


def test_relu_matches_torch():
    torch = require_torch()
    rng = _rng(4)
    x = rng.normal(size=(3, 4, 5, 5))
    x[0, 0, 0, :2] = 0.0  # torch's gradient at exactly 0 is 0
    grad_out = rng.normal(size=x.shape)
    out, mask = layers.relu_forward(x)
    tx = _t(x, torch)
    ty = torch.relu(tx)
    ty.backward(torch.tensor(grad_out))
    np.testing.assert_array_equal(out, ty.detach().numpy())
    np.testing.assert_array_equal(layers.relu_backward(grad_out, mask), tx.grad.numpy())


def test_global_avg_pool_matches_torch():
    torch = require_torch()
    rng = _rng(5)
    x = rng.normal(size=(3, 4, 5, 6))
    grad_out = rng.normal(size=(3, 4))
    out, shape = layers.global_avg_pool_forward(x)
    tx = _t(x, torch)
    ty = torch.nn.functional.adaptive_avg_pool2d(tx, 1).flatten(1)
    ty.backward(torch.tensor(grad_out))
    np.testing.assert_allclose(out, ty.detach().numpy(), **F64)
    np.testing.assert_allclose(
        layers.global_avg_pool_backward(grad_out, shape), tx.grad.numpy(), **F64
    )


def test_linear_matches_torch():
    torch = require_torch()
    rng = _rng(6)
    x = rng.normal(size=(5, 16))
    weight = rng.normal(size=(4, 16))
    bias = rng.normal(size=4)
    grad_out = rng.normal(size=(5, 4))
    out, cache = layers.linear_forward(x, weight, bias)
    grads = layers.linear_backward(grad_out, cache)
    tx, tw, tb = _t(x, torch), _t(weight, torch), _t(bias, torch)
    ty = torch.nn.functional.linear(tx, tw, tb)
    ty.backward(torch.tensor(grad_out))
    np.testing.assert_allclose(out, ty.detach().numpy(), **F64)
    np.testing.assert_allclose(grads.grad_input, tx.grad.numpy(), **F64)
    np.testing.assert_allclose(grads.grad_weight, tw.grad.numpy(), **F64)
    np.testing.assert_allclose(grads.grad_bias, tb.grad.numpy(), **F64)


@pytest.mark.parametrize("scale", [1.0, 1e3])  # 1e3: exp would overflow without log-sum-exp
def test_cross_entropy_matches_torch(scale):
    torch = require_torch()
    rng = _rng(7)
    logits = rng.normal(size=(6, 4)) * scale
    labels = rng.integers(0, 4, size=6)
    loss, cache = layers.cross_entropy_forward(logits, labels)
    grad = layers.cross_entropy_backward(cache)
    tl = _t(logits, torch)
    tloss = torch.nn.functional.cross_entropy(tl, torch.tensor(labels))
    tloss.backward()
    assert np.isfinite(loss)
    np.testing.assert_allclose(loss, tloss.item(), **F64)
    np.testing.assert_allclose(grad, tl.grad.numpy(), **F64)


@pytest.mark.slow
def test_sgd_momentum_matches_torch():
    torch = require_torch()
    rng = _rng(8)
    params = {"a": rng.normal(size=(3, 2)), "b": rng.normal(size=4)}
    tparams = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    sgd = layers.SGD(lr=0.1, momentum=0.9)
    tsgd = torch.optim.SGD(list(tparams.values()), lr=0.1, momentum=0.9)
    for _ in range(4):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        for k, tp in tparams.items():
            tp.grad = torch.tensor(grads[k])
        sgd.step(params, grads)
        tsgd.step()
        for k in params:
            np.testing.assert_allclose(params[k], tparams[k].detach().numpy(), **F64)


def test_sgd_first_step_is_plain_gradient_step():
    params = {"w": np.array([1.0, 2.0])}
    layers.SGD(lr=0.5, momentum=0.9).step(params, {"w": np.array([2.0, -2.0])})
    np.testing.assert_array_equal(params["w"], [0.0, 3.0])
