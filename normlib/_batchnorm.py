"""BatchNorm2d with running statistics, behaving as torch.nn.BatchNorm2d."""

from __future__ import annotations

from typing import Any

import numpy as np

from normlib._arguments import checked_grad_output, real_tensor
from normlib._backward import NormGrads, normalize_backward
from normlib._compute import NormResult, normalize
from normlib._errors import NormError
from normlib._spec import METHODS


class BatchNorm2d:
    """A NumPy BatchNorm2d with PyTorch's training and eval semantics.

    Parameters
    ----------
    num_features : int
        C, the number of channels.
    eps : float
        Added to the variance before the square root. Training needs
        eps > 0, as in PyTorch; eps = 0 is allowed in eval mode.
    momentum : float or None
        Weight of the newest batch in the running statistics,
        ``running = (1 - momentum) * running + momentum * batch``.
        ``None`` makes the running statistics a cumulative average (factor
        ``1 / num_batches_tracked``). Keras calls ``1 - momentum`` its momentum,
        but its moving variance tracks the biased batch variance, so even with
        matched momentum it differs from `running_var` by m / (m - 1).
    affine : bool
        Learnable per-channel `weight` (gamma) and `bias` (beta); when False
        both are None.
    dtype : numpy dtype
        Dtype of the buffers and parameters (PyTorch's default is float32).
        The output keeps the input's float dtype (float16 in, float16 out, as
        torch's float32 BatchNorm2d does); integer input gives float64.

    Attributes
    ----------
    running_mean, running_var : ndarray, shape (C,)
        Start at 0 and 1. `running_var` tracks the **unbiased** batch
        variance (divide by m - 1), while training normalizes with the
        biased one (divide by m).
    num_batches_tracked : int
    weight, bias : ndarray, shape (C,), or None

    Examples
    --------
    >>> bn = BatchNorm2d(3)
    >>> x = np.random.default_rng(0).normal(5.0, 2.0, size=(8, 3, 4, 4))
    >>> y = bn(x)                       # training: batch statistics
    >>> bool(abs(bn.running_mean[0] - 0.5) < 0.1)   # 0.9 * 0 + 0.1 * ~5
    True
    >>> y_eval = bn(x, training=False)  # eval: running statistics
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)):
            raise NormError(f"num_features must be a whole number (C), got {num_features!r}")
        if num_features < 1:
            raise NormError(f"num_features must be at least 1, got {num_features}")
        if momentum is not None:
            momentum = float(momentum)
            if not 0.0 <= momentum <= 1.0:
                raise NormError(
                    f"momentum must be between 0 and 1 (PyTorch's default 0.1) or None for a "
                    f"cumulative average, got {momentum}; Keras' momentum 0.99 corresponds to "
                    "PyTorch's 0.01 (but Keras' moving variance is the biased one)"
                )
        try:
            eps_value = float(eps)
        except (TypeError, ValueError):
            raise NormError(
                f"eps must be a number, got {eps!r}; PyTorch's default is 1e-5"
            ) from None
        if not np.isfinite(eps_value) or eps_value < 0:
            raise NormError(
                f"eps must be a finite number >= 0, got {eps!r}; PyTorch's default is 1e-5"
            )
        self.num_features = int(num_features)
        self.eps = eps_value
        self.momentum = momentum
        self.affine = bool(affine)
        self.dtype = np.dtype(dtype)
        self.running_mean = np.zeros(self.num_features, self.dtype)
        self.running_var = np.ones(self.num_features, self.dtype)
        self.num_batches_tracked = 0
        self.weight = np.ones(self.num_features, self.dtype) if affine else None
        self.bias = np.zeros(self.num_features, self.dtype) if affine else None
        # The last call's input and, in training, its batch statistics: what backward needs.
        self._last_input: np.ndarray | None = None
        self._last_forward: NormResult | None = None

    def reset_running_stats(self) -> None:
        """Set running_mean to 0, running_var to 1 and num_batches_tracked to 0."""
        self.running_mean = np.zeros(self.num_features, self.dtype)
        self.running_var = np.ones(self.num_features, self.dtype)
        self.num_batches_tracked = 0

    def __call__(self, x: Any, training: bool = True) -> np.ndarray:
        """Normalize a batch; in training also update the running statistics.

        Parameters
        ----------
        x : array_like, shape (N, C, H, W)
        training : bool
            True: normalize with this batch's statistics and update the
            running ones. False (eval): normalize with the running ones, so a
            sample's output no longer depends on its batch mates.

        Returns
        -------
        ndarray, same shape as `x`.
        """
        work, out_dtype = self._checked_input(x)
        weight, bias = self._parameters_as(work.dtype)
        if not training:
            return self._eval_forward(work, weight, bias).astype(out_dtype, copy=False)
        self._check_training_eps()
        m = self._values_per_channel(work)
        result = normalize(work, METHODS["batchnorm"], eps=self.eps, gamma=weight, beta=bias)
        self._last_input, self._last_forward = work, result
        self._update_running_stats(result, m)
        return result.output.astype(out_dtype, copy=False)

    def _checked_input(self, x: Any) -> tuple[np.ndarray, np.dtype[Any]]:
        """x as normalize takes it (and the output dtype), refusing a wrong channel count."""
        work, out_dtype = real_tensor(x)
        c = work.shape[1]
        if c != self.num_features:
            raise NormError(
                f"BatchNorm2d({self.num_features}) got {c} channels (x.shape = {work.shape}); "
                f"build it as BatchNorm2d({c}) or pass a tensor with {self.num_features} channels"
            )
        return work, out_dtype

    def _parameters_as(self, dtype: np.dtype[Any]) -> tuple[np.ndarray | None, np.ndarray | None]:
        """weight and bias in the input's dtype (None when not affine)."""
        weight = None if self.weight is None else np.asarray(self.weight, dtype)
        bias = None if self.bias is None else np.asarray(self.bias, dtype)
        return weight, bias

    def _eval_forward(
        self, work: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None
    ) -> np.ndarray:
        """Normalize with the running statistics: constants, so no batch mate matters."""
        c = self.num_features
        if not (np.isfinite(work).all()):
            # normalize() would report it; eval mode computes directly.
            normalize(work, METHODS["batchnorm"])
        mean = self.running_mean.astype(work.dtype).reshape(1, c, 1, 1)
        inv_std = 1.0 / np.sqrt(self.running_var.astype(work.dtype) + self.eps)
        self._last_input, self._last_forward = work, None
        out = (work - mean) * inv_std.reshape(1, c, 1, 1)
        if weight is not None:
            out = out * weight.reshape(1, c, 1, 1)
        if bias is not None:
            out = out + bias.reshape(1, c, 1, 1)
        return out

    def _check_training_eps(self) -> None:
        if self.eps <= 0:
            # As torch: with eps = 0 a constant channel would divide 0 by 0.
            raise NormError(
                f"batch_norm eps must be positive during training, but got {self.eps}: "
                "build BatchNorm2d with eps > 0 (PyTorch's default is 1e-5), or evaluate "
                "with training=False, where the running variance is used"
            )

    def _values_per_channel(self, work: np.ndarray) -> int:
        """m = N·H·W, refusing 1: an unbiased variance of one value divides by m - 1 = 0."""
        n, _, h, w = work.shape
        m = n * h * w
        if m == 1:
            raise NormError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{tuple(work.shape)}: with N·H·W = 1 each channel's variance is undefined. "
                "Use a batch of at least 2, or evaluate with training=False"
            )
        return m

    def _update_running_stats(self, result: NormResult, m: int) -> None:
        """Blend this batch's statistics into the running ones, as torch does."""
        self.num_batches_tracked += 1
        factor = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
        batch_mean = result.set_mean.astype(np.float64)
        # Running variance uses the unbiased estimate: divide by m - 1, not m.
        batch_var_unbiased = result.set_var.astype(np.float64) * (m / (m - 1))
        self.running_mean = ((1.0 - factor) * self.running_mean + factor * batch_mean).astype(
            self.dtype
        )
        self.running_var = ((1.0 - factor) * self.running_var + factor * batch_var_unbiased).astype(
            self.dtype
        )

    def backward(self, grad_output: Any) -> NormGrads:
        """dL/dx, dL/dweight and dL/dbias for the last call, given dL/dy.

        After a training call the gradient flows through the batch statistics too (each
        sample's gradient depends on its batch mates), as torch autograd computes it. After an
        eval call the running statistics are constants: dL/dx = dL/dy · weight / sqrt(running_var
        + eps). grad_gamma and grad_beta are None when the layer is not affine.

        Examples
        --------
        >>> bn = BatchNorm2d(2, dtype=np.float64)
        >>> x = np.random.default_rng(0).normal(size=(4, 2, 3, 3))
        >>> grads = bn.backward(np.ones_like(bn(x)))  # a constant dL/dy moves only the mean
        >>> bool(np.allclose(grads.grad_input, 0)), grads.grad_beta.tolist()
        (True, [36.0, 36.0])
        """
        if self._last_input is None:
            raise NormError(
                "backward needs a forward pass first: call bn(x) (training) or "
                "bn(x, training=False), then bn.backward(dL/dy) for that call"
            )
        work = self._last_input
        # Checked here for both modes: eval mode used to pass NaN through and raise NumPy's
        # own ValueError for a non-numeric grad_output.
        grad = checked_grad_output(
            grad_output, work.shape, work.dtype, "the last call's output bn(x)"
        )
        weight, bias = self._parameters_as(work.dtype)
        if self._last_forward is not None:
            return normalize_backward(
                work,
                grad,
                METHODS["batchnorm"],
                eps=self.eps,
                gamma=weight,
                beta=bias,
                forward=self._last_forward,
            )
        c = self.num_features
        running_mean = self.running_mean.astype(work.dtype).reshape(1, c, 1, 1)
        running_var = self.running_var.astype(work.dtype).reshape(1, c, 1, 1)
        # Eval mode: x̂ = (x - running_mean) / sqrt(running_var + eps), statistics constant.
        inv_std = 1.0 / np.sqrt(running_var + self.eps)
        scale = inv_std if weight is None else weight.reshape(1, c, 1, 1) * inv_std
        grad_input = grad * scale
        x_hat = (work - running_mean) * inv_std
        return NormGrads(
            grad_input,
            None if weight is None else (grad * x_hat).sum(axis=(0, 2, 3)),
            None if bias is None else grad.sum(axis=(0, 2, 3)),
        )

    def __repr__(self) -> str:
        return (
            f"BatchNorm2d({self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine})"
        )
