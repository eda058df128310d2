"""The layers of the training lab's tiny CNN, forward and backward, in NumPy.

Each layer is a pair of functions: ``*_forward(...) -> (output, cache)`` and
``*_backward(grad_output, cache) -> gradients``. Everything is vectorized over the
batch and the pixels (the only Python loop is over the nine offsets of a 3×3 kernel)
and keeps the input's dtype: float32 in the app, float64 in the tests.

Conventions are PyTorch's: convolution weights are (C_out, C_in, 3, 3), a linear
layer's weight is (out_features, in_features) and computes ``x @ W.T + b``, the
cross-entropy is the mean over the batch, and SGD with momentum updates
``buf = momentum * buf + grad; p -= lr * buf`` (buf = grad on the first step).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field

import numpy as np

KERNEL = 3  # every convolution here is 3×3 with padding 1; stride 1 ("same" size) or 2
_OFFSETS = tuple((i, j) for i in range(KERNEL) for j in range(KERNEL))


# ------------------------------------------------------------------ convolution
@dataclass(frozen=True, eq=False)
class ConvCache:
    """What conv3x3_backward needs: the im2col matrix, the shapes and the stride."""

    columns: np.ndarray  # (C_in * 9, N * H_out * W_out)
    weight: np.ndarray  # (C_out, C_in, 3, 3)
    input_shape: tuple[int, int, int, int]
    stride: int = 1


@dataclass(frozen=True, eq=False)
class ConvGrads:
    grad_input: np.ndarray | None  # None when the caller did not ask for it (first layer)
    grad_weight: np.ndarray
    grad_bias: np.ndarray


def output_size(size: int, stride: int) -> int:
    """A 3×3 convolution's output size along an axis of `size` pixels (padding 1).

    >>> output_size(16, 1), output_size(16, 2), output_size(5, 2), output_size(1, 2)
    (16, 8, 3, 1)
    """
    return (size - 1) // stride + 1


def _range(size: int, out: int, offset: int, stride: int) -> tuple[slice, slice] | None:
    """Output pixels p whose read stride·p + offset falls inside [0, size), as (destination,
    source) slices; None when there are none (the read is padding for every output pixel)."""
    first = -(offset // stride) if offset < 0 else 0  # ceil(-offset / stride) for offset < 0
    last = min(out - 1, (size - 1 - offset) // stride)
    if last < first:
        return None
    start = stride * first + offset
    return slice(first, last + 1), slice(start, stride * last + offset + 1, stride)


def _shifts(h: int, w: int, stride: int):
    """Per kernel offset k: (k, destination slices, source slices) of a zero-padded shift.

    Kernel position (i, j) reads pixel (s·p + i - 1, s·q + j - 1) for output pixel (p, q) at
    stride s; the slices cover the output pixels where that read falls inside the image
    (outside it is padding). Offsets that read only padding are left out.
    """
    h_out, w_out = output_size(h, stride), output_size(w, stride)
    for k, (i, j) in enumerate(_OFFSETS):
        rows = _range(h, h_out, i - 1, stride)
        cols = _range(w, w_out, j - 1, stride)
        if rows is None or cols is None:
            continue
        yield k, (rows[0], cols[0]), (rows[1], cols[1])


def _im2col(x: np.ndarray, stride: int) -> np.ndarray:
    """(N, C, H, W) → (C * 9, N * H_out * W_out): row (c, k) holds x read at kernel offset k."""
    n, c, h, w = x.shape
    h_out, w_out = output_size(h, stride), output_size(w, stride)
    channels_first = x.transpose(1, 0, 2, 3)
    columns = np.zeros((c, KERNEL * KERNEL, n, h_out, w_out), x.dtype)
    for k, (dy, dx), (sy, sx) in _shifts(h, w, stride):
        columns[:, k, :, dy, dx] = channels_first[:, :, sy, sx]
    return columns.reshape(c * KERNEL * KERNEL, n * h_out * w_out)


def _col2im(columns: np.ndarray, shape: tuple[int, int, int, int], stride: int) -> np.ndarray:
    """The adjoint of _im2col: add each read back to the pixel it came from."""
    n, c, h, w = shape
    h_out, w_out = output_size(h, stride), output_size(w, stride)
    blocks = columns.reshape(c, KERNEL * KERNEL, n, h_out, w_out)
    channels_first = np.zeros((c, n, h, w), columns.dtype)
    for k, (dy, dx), (sy, sx) in _shifts(h, w, stride):
        channels_first[:, :, sy, sx] += blocks[:, k, :, dy, dx]
    return np.ascontiguousarray(channels_first.transpose(1, 0, 2, 3))


def conv3x3_forward(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int = 1
) -> tuple[np.ndarray, ConvCache]:
    """3×3 convolution, zero padding 1, stride 1 or more, with bias (as torch's F.conv2d).

    x (N, C_in, H, W), weight (C_out, C_in, 3, 3), bias (C_out,) → (N, C_out, H_out, W_out)
    with H_out = (H - 1) // stride + 1 (the same size at stride 1, half at stride 2).
    One matrix product on BLAS over the im2col matrix.
    """
    n, c, h, w = x.shape
    c_out = weight.shape[0]
    if weight.shape != (c_out, c, KERNEL, KERNEL):
        raise ValueError(
            f"weight must be (C_out, {c}, 3, 3) for {c} input channels, got {weight.shape}"
        )
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f"stride must be a whole number >= 1, got {stride!r}")
    columns = _im2col(x, stride)
    out = weight.reshape(c_out, -1) @ columns  # (C_out, N * H_out * W_out)
    out += bias[:, None]
    h_out, w_out = output_size(h, stride), output_size(w, stride)
    output = np.ascontiguousarray(out.reshape(c_out, n, h_out, w_out).transpose(1, 0, 2, 3))
    return output, ConvCache(columns, weight, (n, c, h, w), stride)


def conv3x3_backward(
    grad_output: np.ndarray, cache: ConvCache, *, need_input_grad: bool = True
) -> ConvGrads:
    """Gradients of conv3x3_forward's output with respect to its input, weight and bias."""
    c_out = cache.weight.shape[0]
    grad = grad_output.transpose(1, 0, 2, 3).reshape(c_out, -1)  # (C_out, N * H * W)
    grad_weight = (grad @ cache.columns.T).reshape(cache.weight.shape)
    grad_bias = grad.sum(axis=1)
    grad_input = None
    if need_input_grad:
        grad_input = _col2im(
            cache.weight.reshape(c_out, -1).T @ grad, cache.input_shape, cache.stride
        )
    return ConvGrads(grad_input, grad_weight, grad_bias)


# ------------------------------------------------------------------ ReLU, pooling
def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """max(x, 0); the cache is the mask of positive inputs."""
    positive = x > 0
    return x * positive, positive


def relu_backward(grad_output: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """The gradient passes where the input was positive (0 at x = 0, as torch)."""
    return grad_output * positive


def global_avg_pool_forward(
    x: np.ndarray,
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """(N, C, H, W) → (N, C): the mean of each feature map (torch's adaptive_avg_pool2d(x, 1))."""
    n, c, h, w = x.shape
    return x.mean(axis=(2, 3)), (n, c, h, w)


def global_avg_pool_backward(
    grad_output: np.ndarray, shape: tuple[int, int, int, int]
) -> np.ndarray:
    """Each pixel gets 1 / (H·W) of its map's gradient."""
    n, c, h, w = shape
    share = grad_output / (h * w)
    return np.ascontiguousarray(np.broadcast_to(share[:, :, None, None], shape))


# ------------------------------------------------------------------ linear
@dataclass(frozen=True, eq=False)
class LinearGrads:
    grad_input: np.ndarray
    grad_weight: np.ndarray
    grad_bias: np.ndarray


def linear_forward(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """x (N, in) @ weight.T (in, out) + bias (out,), as torch's F.linear."""
    return x @ weight.T + bias, (x, weight)


def linear_backward(grad_output: np.ndarray, cache: tuple[np.ndarray, np.ndarray]) -> LinearGrads:
    x, weight = cache
    return LinearGrads(grad_output @ weight, grad_output.T @ x, grad_output.sum(axis=0))


# ------------------------------------------------------------------ loss
def cross_entropy_forward(
    logits: np.ndarray, labels: np.ndarray
) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
    """Softmax cross-entropy, the mean over the batch (torch's F.cross_entropy).

    Computed through log-sum-exp with the row maximum subtracted, so large logits
    do not overflow. Returns (loss, cache); the cache holds the softmax probabilities.
    A non-finite logit gives a non-finite loss (the trainer's divergence signal).
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    log_probs = shifted - np.log(total)
    rows = np.arange(logits.shape[0])
    loss = float(-log_probs[rows, labels].mean())
    return loss, (exp / total, labels)


def cross_entropy_backward(cache: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """d(mean loss)/d(logits) = (softmax - one_hot) / N."""
    probs, labels = cache
    grad = probs.copy()
    grad[np.arange(grad.shape[0]), labels] -= 1
    return grad / grad.shape[0]


# ------------------------------------------------------------------ optimizer
@dataclass
class SGD:
    """Stochastic gradient descent with momentum in PyTorch's formulation.

    ``buf = momentum * buf + grad`` (buf = grad on the first step), ``p -= lr * buf``;
    with weight decay, ``grad + weight_decay * p`` replaces grad (torch's L2 form).
    `step` updates the parameter arrays in place.
    """

    lr: float
    momentum: float = 0.9
    weight_decay: float = 0.0
    buffers: dict[str, np.ndarray] = field(default_factory=dict)

    def step(
        self, params: MutableMapping[str, np.ndarray], grads: Mapping[str, np.ndarray]
    ) -> None:
        for name, grad in grads.items():
            param = params[name]
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            buf = self.buffers.get(name)
            if buf is None or not self.momentum:
                buf = np.array(grad, dtype=param.dtype, copy=True)
            else:
                buf *= self.momentum
                buf += grad
            self.buffers[name] = buf
            param -= self.lr * buf
