"""normalize_backward: the gradient of :func:`normalize` for any axes, groups and centering.

With x̂ = (x - mean) · r, r = 1 / sqrt(var + eps) and y = x̂ · gamma + beta, and g = dL/dy ·
gamma, the gradient with respect to x is, over each reduction set of m elements,

    dL/dx = r · (g - mean(g) - x̂ · mean(g · x̂))

(the mean(g) term is absent when the set is not centered: RMS normalization). The mean and
variance depend on every element of their set, which is why a sample's gradient under
BatchNorm depends on its batch mates. dL/dgamma and dL/dbeta are dL/dy · x̂ and dL/dy summed
over the axes gamma and beta are broadcast along.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from normlib._arguments import (
    affine_param,
    checked_eps,
    checked_grad_output,
    param_shape,
    real_tensor,
)
from normlib._compute import NormResult, normalize
from normlib._errors import NormError
from normlib._layout import Layout, grouped_reduced, layout_of
from normlib._spec import NormSpec, SpecLike, as_spec


@dataclass(frozen=True, eq=False)
class NormGrads:
    """Gradients of a loss through one normalization.

    Attributes
    ----------
    grad_input : ndarray
        dL/dx, the input's shape.
    grad_gamma, grad_beta : ndarray or None
        dL/dgamma and dL/dbeta in the shape gamma and beta were given in ((C,) for per-channel
        parameters); None when that parameter was not given.
    """

    grad_input: np.ndarray
    grad_gamma: np.ndarray | None
    grad_beta: np.ndarray | None


def _sum_to_shape(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `array` over the axes that broadcasting `shape` to array.shape had stretched."""
    lead = array.ndim - len(shape)
    summed = array.sum(axis=tuple(range(lead))) if lead else array
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and summed.shape[i] != 1)
    if stretched:
        summed = summed.sum(axis=stretched, keepdims=True)
    return summed.reshape(shape)


def normalize_backward(
    x: Any,
    grad_output: Any,
    spec: SpecLike,
    *,
    eps: float = 1e-5,
    gamma: Any = None,
    beta: Any = None,
    forward: NormResult | None = None,
) -> NormGrads:
    """Backpropagate dL/dy through ``y = normalize(x, spec, eps=eps, gamma=gamma, beta=beta)``.

    Parameters
    ----------
    x : array_like
        The input of the forward pass, (N, C, H, W).
    grad_output : array_like
        dL/dy, x's shape.
    spec : NormSpec or str
        As for :func:`normalize`.
    eps, gamma, beta
        As for :func:`normalize`; only beta's shape is used.
    forward : NormResult, optional
        What ``normalize`` returned for these arguments, to reuse its statistics;
        computed when not given.

    Returns
    -------
    NormGrads
        dL/dx, dL/dgamma and dL/dbeta, the latter in their parameters' own shapes.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(4, 6, 3, 3))
    >>> grads = normalize_backward(x, np.ones_like(x), "layernorm", gamma=np.ones(6))
    >>> bool(np.allclose(grads.grad_input, 0))  # a constant dL/dy only moves the mean: no gradient
    True
    >>> grads.grad_gamma.shape
    (6,)
    """
    spec = as_spec(spec)
    work, _ = real_tensor(x)
    eps = checked_eps(eps)
    layout = layout_of(work.shape, spec)
    grad = checked_grad_output(grad_output, layout.shape, work.dtype)
    gamma_shape, beta_shape = param_shape(gamma, "gamma"), param_shape(beta, "beta")
    gamma_b = affine_param(gamma, "gamma", layout.shape, work.dtype)
    affine_param(beta, "beta", layout.shape, work.dtype)  # the same checks as the forward pass
    forward = _matching_forward(forward, work, spec, eps, layout)
    mean, inv_std = _set_statistics(forward, layout, work.dtype, eps)
    reduced = tuple(i for i, red in enumerate(grouped_reduced(spec)) if red)
    x_hat = _normalized_input(work, mean, inv_std, layout, reduced, spec.center)
    g5 = (grad if gamma_b is None else grad * gamma_b).reshape(layout.grouped_shape)
    grad_input = _input_grad(g5, x_hat, inv_std, reduced, spec.center)
    x_hat4 = x_hat.reshape(layout.shape)
    grad_gamma = None if gamma_shape is None else _affine_grad(grad * x_hat4, gamma_shape, layout)
    grad_beta = None if beta_shape is None else _affine_grad(grad, beta_shape, layout)
    return NormGrads(grad_input.reshape(layout.shape), grad_gamma, grad_beta)


def _matching_forward(
    forward: NormResult | None, work: np.ndarray, spec: NormSpec, eps: float, layout: Layout
) -> NormResult:
    """The caller's forward pass if it is of these arguments, else computed now.

    A forward pass of another shape, spec or eps would give statistics of another
    normalization, and so a silently wrong gradient: refuse it.
    """
    if forward is None:
        return normalize(work, spec, eps=eps)
    if forward.shape != layout.shape or forward.spec != spec or forward.eps != eps:
        raise NormError(
            f"forward is a normalization of shape {forward.shape} over {forward.spec} with "
            f"eps={forward.eps}, not of x's shape {layout.shape} over {spec} with eps={eps}; "
            "pass the NormResult normalize returned for these same arguments, or none"
        )
    return forward


def _set_statistics(
    forward: NormResult, layout: Layout, dtype: np.dtype[Any], eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each set's mean and 1/sqrt(var + eps) in the grouped view, refusing an infinite scale."""
    var = forward.var.reshape(layout.stat_shape5).astype(dtype, copy=False)
    if eps == 0 and not np.all(var > 0):
        raise NormError(
            "the gradient is infinite: a reduction set has variance 0 and eps = 0, so the "
            "output's scale 1/sqrt(var + eps) is infinite; use eps > 0 (PyTorch's default 1e-5)"
        )
    mean = forward.mean.reshape(layout.stat_shape5).astype(dtype, copy=False)
    return mean, 1.0 / np.sqrt(var + eps)


def _normalized_input(
    work: np.ndarray,
    mean: np.ndarray,
    inv_std: np.ndarray,
    layout: Layout,
    reduced: tuple[int, ...],
    center: bool,
) -> np.ndarray:
    """x̂ = (x - mean) / sqrt(var + eps) in the grouped view, re-centered below float64."""
    x_hat = (work.reshape(layout.grouped_shape) - mean) * inv_std
    if center and reduced and work.dtype != np.float64:
        # The stored mean is rounded to float32, so x - mean is off by the same amount in every
        # element of a set: x̂ no longer sums to 0, and where the spread is small against the
        # mean (x̂ near ±1 in a two-element set) dL/dx, a difference of near-equal terms, was
        # several times torch's own float32 error. Re-centering x̂ removes that shift.
        x_hat -= np.mean(x_hat, axis=reduced, keepdims=True, dtype=np.float64).astype(x_hat.dtype)
    return x_hat


def _input_grad(
    g5: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray, reduced: tuple[int, ...], center: bool
) -> np.ndarray:
    """dL/dx = r · (g - mean(g) - x̂ · mean(g · x̂)) per set, g = dL/dy · gamma (grouped view)."""
    if reduced:
        projection = np.mean(g5 * x_hat, axis=reduced, keepdims=True)
        centered = g5 - np.mean(g5, axis=reduced, keepdims=True) if center else g5
        return inv_std * (centered - x_hat * projection)
    # Every element is its own set: x̂ is 0 (centered) or x·r with r depending on x alone.
    return np.zeros_like(g5) if center else inv_std * (g5 - x_hat * (g5 * x_hat))


def _affine_grad(per_element: np.ndarray, shape: tuple[int, ...], layout: Layout) -> np.ndarray:
    """Sum a per-element gradient to a parameter of `shape` (per channel (C,) or broadcast)."""
    c = layout.shape[1]
    if len(shape) == 1 and shape[0] == c:
        return per_element.sum(axis=(0, 2, 3))
    return _sum_to_shape(per_element, shape)
