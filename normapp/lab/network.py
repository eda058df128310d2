"""The training lab's fixed network, with a choice of normalization from normlib.

conv3×3(3→16) → norm → ReLU → conv3×3(16→16, stride 2) → norm → ReLU →
conv3×3(16→16, stride 2) → norm → ReLU → global average pool → linear(16→4).

The maps go 16×16 → 8×8 → 4×4, so the last norm layer's statistics come from few values
(at batch 2, BatchNorm's batch statistics average 2 × 16 = 32 values per channel there), as
in the late stages of the networks the GroupNorm paper studies.

Norm choices (NORMS):

* ``"none"``: no normalization layer.
* ``"batchnorm"``: normlib.BatchNorm2d(16) (momentum 0.1, eps 1e-5). Training mode
  normalizes with the batch's statistics and updates the running ones; eval mode uses the
  running statistics.
* ``"groupnorm"``: NormSpec("CHW", groups=G), G dividing 16 (default 4).
* ``"layernorm"``: NormSpec("CHW"), LayerNorm in the GroupNorm paper's sense (one set per
  sample over all channels and pixels), i.e. GroupNorm with G = 1.
* ``"instancenorm"``: NormSpec("HW"), i.e. GroupNorm with G = 16.
* ``"custom"``: NormSpec(axes) for any axes string ("NH", "C", ...). When the axes contain N
  the statistics are the current batch's in training *and* in evaluation: no running
  statistics are kept, so an evaluation batch is normalized with its own statistics
  (training.py evaluates such a network in batches of the training batch size).

Every norm layer has a learnable per-channel scale (gamma, ones) and shift (beta, zeros), as
GroupNorm does. Forward and backward of the norm layers are normlib's (normalize,
normalize_backward, BatchNorm2d and its backward): no normalization math here.

Initialization (deterministic from the seed): He/Kaiming normal for the convolutions
(std = sqrt(2 / fan_in), fan_in = C_in·9, as for layers followed by ReLU), std =
sqrt(1 / fan_in) for the final linear layer, all biases zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import normlib
from normapp.lab import layers

NORMS = ("none", "batchnorm", "groupnorm", "layernorm", "instancenorm", "custom")
IN_CHANNELS = 3
WIDTH = 32
CLASSES = 4
BN_MOMENTUM = 0.1
EPS = 1e-5

# Parameter names, in the order of the network (the torch tests copy them by name).
CONV_NAMES = ("conv1", "conv2", "conv3")
NORM_NAMES = ("norm1", "norm2", "norm3")
STRIDES = (1, 2, 2)  # of the convolutions, in order


def norm_spec(norm: str, *, groups: int = 4, axes: str = "") -> normlib.NormSpec | None:
    """The NormSpec of a non-BatchNorm choice; None for "none" and "batchnorm"."""
    if norm in ("none", "batchnorm"):
        return None
    if norm == "groupnorm":
        return normlib.NormSpec("CHW", groups=groups)
    if norm == "layernorm":
        return normlib.NormSpec("CHW")
    if norm == "instancenorm":
        return normlib.NormSpec("HW")
    if norm == "custom":
        return normlib.NormSpec(axes)
    raise ValueError(f"unknown norm {norm!r}; choose one of {', '.join(NORMS)}")


class SpecNorm:
    """A normalization layer over the axes of a NormSpec, with per-channel gamma and beta.

    Stateless apart from the parameters: training and eval mode compute the same thing.
    """

    def __init__(self, spec: normlib.NormSpec, channels: int, dtype: Any) -> None:
        self.spec = spec
        self.weight = np.ones(channels, dtype)
        self.bias = np.zeros(channels, dtype)
        self._input: np.ndarray | None = None
        self._forward: normlib.NormResult | None = None

    def __call__(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        result = normlib.normalize(x, self.spec, eps=EPS, gamma=self.weight, beta=self.bias)
        self._input, self._forward = x, result
        return result.output

    def backward(self, grad_output: np.ndarray) -> normlib.NormGrads:
        if self._input is None:
            raise RuntimeError("backward needs a forward pass first")
        return normlib.normalize_backward(
            self._input,
            grad_output,
            self.spec,
            eps=EPS,
            gamma=self.weight,
            beta=self.bias,
            forward=self._forward,
        )

    @property
    def uses_batch(self) -> bool:
        """True when a sample's output depends on its batch mates (N among the axes)."""
        return "N" in self.spec.axes


NormLayer = SpecNorm | normlib.BatchNorm2d


class Network:
    """The lab's CNN: parameters in `params` (name → array, updated in place by SGD).

    Names (W = WIDTH): conv1.weight (W, 3, 3, 3), conv1.bias, norm1.weight, norm1.bias (absent
    for "none"), conv2.weight (W, W, 3, 3), conv2.bias, norm2.weight, norm2.bias, conv3.* and
    norm3.* as conv2.* and norm2.*, fc.weight (4, W), fc.bias. For "batchnorm" norm1.weight
    *is* the BatchNorm2d's weight array.
    """

    def __init__(
        self,
        norm: str,
        *,
        groups: int = 4,
        axes: str = "",
        seed: int = 0,
        dtype: Any = np.float32,
    ) -> None:
        self.norm = norm
        self.dtype = np.dtype(dtype)
        spec = norm_spec(norm, groups=groups, axes=axes)
        rng = np.random.default_rng(np.random.SeedSequence([12, 1, seed]))
        params: dict[str, np.ndarray] = {}
        self.norms: list[NormLayer] = []
        channels_in = IN_CHANNELS
        for conv, norm_name in zip(CONV_NAMES, NORM_NAMES, strict=True):
            fan_in = channels_in * layers.KERNEL * layers.KERNEL
            params[f"{conv}.weight"] = (
                rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(WIDTH, channels_in, 3, 3))
            ).astype(self.dtype)
            params[f"{conv}.bias"] = np.zeros(WIDTH, self.dtype)
            layer: NormLayer | None = None
            if norm == "batchnorm":
                layer = normlib.BatchNorm2d(WIDTH, eps=EPS, momentum=BN_MOMENTUM, dtype=self.dtype)
            elif spec is not None:
                layer = SpecNorm(spec, WIDTH, self.dtype)
            if layer is not None:
                assert layer.weight is not None and layer.bias is not None
                params[f"{norm_name}.weight"] = layer.weight
                params[f"{norm_name}.bias"] = layer.bias
                self.norms.append(layer)
            channels_in = WIDTH
        params["fc.weight"] = rng.normal(0.0, np.sqrt(1.0 / WIDTH), size=(CLASSES, WIDTH)).astype(
            self.dtype
        )
        params["fc.bias"] = np.zeros(CLASSES, self.dtype)
        self.params = params
        self._caches: list[Any] = []
        self.bn_inputs: list[np.ndarray] = []  # the BatchNorm layers' inputs, last forward

    @property
    def batchnorm(self) -> bool:
        return self.norm == "batchnorm"

    @property
    def uses_batch_in_eval(self) -> bool:
        """True when eval mode still normalizes with the evaluation batch's own statistics."""
        return any(isinstance(layer, SpecNorm) and layer.uses_batch for layer in self.norms)

    def forward(
        self, x: np.ndarray, *, training: bool = True, batch_size: int | None = None
    ) -> np.ndarray:
        """Logits (N, 4) for images x (N, 3, 16, 16); keeps what backward needs.

        training selects BatchNorm's mode (batch statistics and a running-statistics
        update, or the running statistics); the other norms compute the same in both modes.
        batch_size (BatchNorm only, no backward afterwards): normalize each run of
        `batch_size` samples with its own batch statistics, as training mode would, without
        updating the running statistics, to see what the network does in training mode.
        """
        x = np.asarray(x, self.dtype)
        self.bn_inputs = []
        caches: list[Any] = []
        for index, conv in enumerate(CONV_NAMES):
            x, conv_cache = layers.conv3x3_forward(
                x, self.params[f"{conv}.weight"], self.params[f"{conv}.bias"], STRIDES[index]
            )
            if self.norms:
                layer = self.norms[index]
                if isinstance(layer, normlib.BatchNorm2d):
                    self.bn_inputs.append(x)
                    if batch_size is not None:
                        x = _batchnorm_per_batch(layer, x, batch_size)
                    else:
                        x = layer(x, training=training)
                else:
                    x = layer(x, training=training)
            x, relu_mask = layers.relu_forward(x)
            caches.append((conv_cache, relu_mask))
        pooled, pool_shape = layers.global_avg_pool_forward(x)
        logits, fc_cache = layers.linear_forward(
            pooled, self.params["fc.weight"], self.params["fc.bias"]
        )
        self._caches = [caches, pool_shape, fc_cache]
        return logits

    def backward(self, grad_logits: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of the loss for every parameter, given dL/dlogits of the last forward."""
        caches, pool_shape, fc_cache = self._caches
        grads: dict[str, np.ndarray] = {}
        fc = layers.linear_backward(grad_logits, fc_cache)
        grads["fc.weight"], grads["fc.bias"] = fc.grad_weight, fc.grad_bias
        grad = layers.global_avg_pool_backward(fc.grad_input, pool_shape)
        for index in reversed(range(len(CONV_NAMES))):
            conv_cache, relu_mask = caches[index]
            grad = layers.relu_backward(grad, relu_mask)
            if self.norms:
                norm_grads = self.norms[index].backward(grad)
                assert norm_grads.grad_gamma is not None and norm_grads.grad_beta is not None
                grads[f"{NORM_NAMES[index]}.weight"] = norm_grads.grad_gamma
                grads[f"{NORM_NAMES[index]}.bias"] = norm_grads.grad_beta
                grad = norm_grads.grad_input
            conv = layers.conv3x3_backward(grad, conv_cache, need_input_grad=index > 0)
            grads[f"{CONV_NAMES[index]}.weight"] = conv.grad_weight
            grads[f"{CONV_NAMES[index]}.bias"] = conv.grad_bias
            if conv.grad_input is not None:
                grad = conv.grad_input
        return grads

    def loss_and_grads(
        self, images: np.ndarray, labels: np.ndarray
    ) -> tuple[float, np.ndarray, dict[str, np.ndarray]]:
        """One training-mode forward and backward: (mean loss, logits, gradients)."""
        logits = self.forward(images, training=True)
        loss, ce_cache = layers.cross_entropy_forward(logits, labels)
        grads = self.backward(layers.cross_entropy_backward(ce_cache))
        return loss, logits, grads


def _batchnorm_per_batch(bn: normlib.BatchNorm2d, x: np.ndarray, batch_size: int) -> np.ndarray:
    """BatchNorm in training mode on each run of `batch_size` samples, running stats untouched.

    The statistics of sample block k and channel c are taken over (block, H, W). Viewed as
    (blocks, C, batch_size, H·W), that is InstanceNorm's reduction over the last two axes,
    so one normlib.normalize call with NormSpec("HW") does every block at once. A last,
    shorter block is normalized on its own.
    """
    n, c, h, w = x.shape
    whole = n - n % batch_size
    out = np.empty_like(x)
    if whole:
        blocks = x[:whole].reshape(whole // batch_size, batch_size, c, h * w).transpose(0, 2, 1, 3)
        result = normlib.normalize(
            blocks, normlib.NormSpec("HW"), eps=bn.eps, gamma=bn.weight, beta=bn.bias
        )
        out[:whole] = result.output.transpose(0, 2, 1, 3).reshape(whole, c, h, w)
    if whole < n:
        out[whole:] = normlib.normalize(
            x[whole:], normlib.METHODS["batchnorm"], eps=bn.eps, gamma=bn.weight, beta=bn.bias
        ).output
    return out
