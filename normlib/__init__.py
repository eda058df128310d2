"""normlib: exact normalization of (N, C, H, W) tensors over any axes.

The numeric core of the Normalization Explorer. NumPy (and Pillow for
images) only; PyTorch's semantics throughout: biased variance to normalize,
``(x - mean) / sqrt(var + eps) * gamma + beta``, unbiased running variance.

Examples
--------
>>> import numpy as np, normlib
>>> x = np.random.default_rng(0).normal(size=(8, 3, 32, 32))
>>> r = normlib.normalize(x, "batchnorm")
>>> normlib.identify("NHW"), r.n_sets, r.count
('BatchNorm2d (Method 3)', 3, 8192)
"""

from normlib._backward import NormGrads, normalize_backward
from normlib._batchnorm import BatchNorm2d
from normlib._compute import NormResult, normalize, set_ids
from normlib._errors import InputError, NormError
from normlib._features import FEATURE_NAMES, feature_maps
from normlib._generate import DISTRIBUTIONS, random_tensor, sample_images, sample_names
from normlib._histogram import Histograms, histograms
from normlib._images import image_digest, load_images
from normlib._names import identify
from normlib._spec import AXES, METHODS, NormSpec, Preset, SpecLatex, as_spec

__all__ = [
    "AXES",
    "DISTRIBUTIONS",
    "FEATURE_NAMES",
    "METHODS",
    "BatchNorm2d",
    "Histograms",
    "InputError",
    "NormError",
    "NormGrads",
    "NormResult",
    "NormSpec",
    "Preset",
    "SpecLatex",
    "as_spec",
    "feature_maps",
    "histograms",
    "identify",
    "image_digest",
    "load_images",
    "normalize",
    "normalize_backward",
    "random_tensor",
    "sample_images",
    "sample_names",
    "set_ids",
]
