"""Generate the PyTorch golden files that tests/test_torch_oracle.py compares normlib against.

Run from the repository root with torch installed:

    .venv/bin/python tests/golden/make_goldens.py [file.npz ...]   # all files when none named

Inputs are generated with NumPy from fixed seeds; every torch computation runs in float64.
Two compressed files are written next to this script:

* ``functional.npz``: one-shot normalizations (F.batch_norm in training, nn.LayerNorm over
  (C, H, W), nn.InstanceNorm2d, nn.GroupNorm for several G, nn.RMSNorm over (C, H, W)),
  each with the output and the statistics torch computes for it.
* ``bn_sequence.npz``: nn.BatchNorm2d driven through training and eval steps for momentum
  0.1, 0.5 and None, with outputs and buffers after every step.
* ``backward.npz``: torch autograd gradients (dL/dx, dL/dgamma, dL/dbeta for a random dL/dy)
  on the functional cases' shapes and data (F.batch_norm in training, nn.LayerNorm,
  nn.InstanceNorm2d, nn.GroupNorm for every G, nn.RMSNorm) and, through an autograd
  expression of mean and variance, on every other subset of NCHW, centered and not, with
  groups > 1; plus nn.BatchNorm2d sequences with a backward pass after every train and eval
  step. Only the gradients, running statistics and a checksum of each case's inputs are
  stored: the inputs are regenerated from their seeds (``backward_cases``,
  ``backward_inputs``, ``bn_backward_cases``).
* ``float32_accuracy.npz``: torch's own float32 error (max |torch float32 - float64 truth|)
  on float32 inputs whose mean is far from 0 (up to 1e4 standard deviations), for the named
  ops and for other axis subsets (torch.var_mean). Only the errors and a checksum of each
  input are stored: the inputs are regenerated from their seeds.

Each file holds an ``index_json`` entry (a JSON string describing every case and naming the
arrays it uses), ``torch_version`` and ``numpy_version``. No pickled objects are stored, so
the files load with ``np.load(path)`` and no torch.

This module imports torch lazily: the case builders (``functional_cases``,
``bn_sequence_cases``) are plain NumPy so the tests can reuse them; ``torch_functional`` and
``torch_bn_sequence`` need torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FUNCTIONAL_FILE = HERE / "functional.npz"
BN_SEQUENCE_FILE = HERE / "bn_sequence.npz"
FLOAT32_FILE = HERE / "float32_accuracy.npz"
BACKWARD_FILE = HERE / "backward.npz"
# The app shows one torch.nn.BatchNorm2d training step (the Question page): a copy of
# bn_sequence.npz's first default-affine step, kept with the app, which never reads tests/.
APP_REFERENCE_FILE = HERE.parent.parent / "assets" / "reference" / "batchnorm2d_train_step.npz"

SHAPES = [(4, 6, 5, 7), (1, 4, 3, 3), (2, 8, 1, 1)]
DATA_KINDS = ["unit", "offset"]


def shape_tag(shape) -> str:
    return "x".join(str(s) for s in shape)


def make_input(shape, kind: str, seed: int) -> np.ndarray:
    """Deterministic float64 input: unit-scale normal data, or per-channel offsets/scales."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if kind == "offset":
        c = shape[1]
        offsets = rng.uniform(-5.0, 5.0, size=(1, c, 1, 1))
        scales = np.exp(rng.uniform(np.log(0.2), np.log(5.0), size=(1, c, 1, 1)))
        x = x * scales + offsets
    elif kind != "unit":
        raise ValueError(kind)
    return x


def _divisors(c: int) -> list[int]:
    return [g for g in range(1, c + 1) if c % g == 0]


def functional_cases() -> tuple[dict[str, np.ndarray], list[dict]]:
    """All one-shot cases as (arrays, index). Arrays are float64 NumPy; no torch needed.

    Each index entry: name, op, x (array key), eps, shape, plus op-specific keys:
    weight/bias (array keys or None), groups (group_norm), and the normlib equivalent
    ``axes``/``groups``/``center``.
    """
    arrays: dict[str, np.ndarray] = {}
    index: list[dict] = []
    seed = 1000
    for shape in SHAPES:
        n, c, h, w = shape
        for kind in DATA_KINDS:
            seed += 1
            base = f"{kind}_{shape_tag(shape)}"
            xkey = f"x_{base}"
            arrays[xkey] = make_input(shape, kind, seed)
            rng = np.random.default_rng(seed + 500)

            def param(key, pshape, *, loc, _rng=rng):
                arrays[key] = _rng.normal(loc, 0.5, size=pshape)
                return key

            def add(
                name,
                op,
                axes,
                *,
                eps=1e-5,
                groups=1,
                center=True,
                weight=None,
                bias=None,
                _base=base,
                _xkey=xkey,
                _shape=shape,
            ):
                index.append(
                    dict(
                        name=f"{name}_{_base}",
                        op=op,
                        x=_xkey,
                        shape=list(_shape),
                        eps=eps,
                        axes=axes,
                        groups=groups,
                        center=center,
                        weight=weight,
                        bias=bias,
                    )
                )

            # F.batch_norm, training mode (batch statistics), plain and affine, two eps values.
            add("batch_norm", "batch_norm", "NHW")
            add("batch_norm_eps1e-3", "batch_norm", "NHW", eps=1e-3)
            add(
                "batch_norm_affine",
                "batch_norm",
                "NHW",
                weight=param(f"bn_w_{base}", (c,), loc=1.0),
                bias=param(f"bn_b_{base}", (c,), loc=0.0),
            )
            # nn.LayerNorm over (C, H, W), elementwise affine with random weights.
            add(
                "layer_norm",
                "layer_norm",
                "CHW",
                weight=param(f"ln_w_{base}", (c, h, w), loc=1.0),
                bias=param(f"ln_b_{base}", (c, h, w), loc=0.0),
            )
            add("layer_norm_noaffine", "layer_norm", "CHW")
            # nn.InstanceNorm2d: torch refuses a single spatial element in training mode.
            if h * w > 1:
                add("instance_norm", "instance_norm", "HW")
                add(
                    "instance_norm_affine",
                    "instance_norm",
                    "HW",
                    weight=param(f"in_w_{base}", (c,), loc=1.0),
                    bias=param(f"in_b_{base}", (c,), loc=0.0),
                )
            # nn.GroupNorm for every G dividing C (1 = LayerNorm stats, C = InstanceNorm stats).
            gw = param(f"gn_w_{base}", (c,), loc=1.0)
            gb = param(f"gn_b_{base}", (c,), loc=0.0)
            for g in _divisors(c):
                add(f"group_norm_G{g}", "group_norm", "CHW", groups=g, weight=gw, bias=gb)
            # nn.RMSNorm over (C, H, W); eps passed explicitly (torch's default is finfo eps).
            add(
                "rms_norm",
                "rms_norm",
                "CHW",
                center=False,
                weight=param(f"rms_w_{base}", (c, h, w), loc=1.0),
            )
            add("rms_norm_noaffine_eps1e-6", "rms_norm", "CHW", center=False, eps=1e-6)
    return arrays, index


def torch_functional(case: dict, arrays: dict[str, np.ndarray], dtype=None):
    """Run one functional case in torch. Returns (output, mean, var) as float64 NumPy arrays.

    mean/var follow normlib's layout: keepdims 4-D for groups == 1, (N, G, 1, 1, 1) for
    group_norm with G > 1. For rms_norm, mean is zeros and var is the mean square.
    """
    import torch
    import torch.nn.functional as F
    from torch import nn

    dtype = torch.float64 if dtype is None else dtype
    x = torch.tensor(arrays[case["x"]], dtype=dtype)
    n, c, h, w = x.shape
    eps = case["eps"]

    def t(key):
        return None if key is None else torch.tensor(arrays[key], dtype=dtype)

    weight, bias = t(case["weight"]), t(case["bias"])
    op = case["op"]
    with torch.no_grad():
        if op == "batch_norm":
            out = F.batch_norm(x, None, None, weight, bias, training=True, eps=eps)
            var, mean = torch.var_mean(x, dim=(0, 2, 3), correction=0, keepdim=True)
        elif op == "layer_norm":
            mod = nn.LayerNorm(
                (c, h, w), eps=eps, elementwise_affine=weight is not None, dtype=dtype
            )
            if weight is not None:
                mod.weight.copy_(weight)
                mod.bias.copy_(bias)
            out = mod(x)
            var, mean = torch.var_mean(x, dim=(1, 2, 3), correction=0, keepdim=True)
        elif op == "instance_norm":
            mod = nn.InstanceNorm2d(c, eps=eps, affine=weight is not None, dtype=dtype)
            if weight is not None:
                mod.weight.copy_(weight)
                mod.bias.copy_(bias)
            out = mod(x)
            var, mean = torch.var_mean(x, dim=(2, 3), correction=0, keepdim=True)
        elif op == "group_norm":
            g = case["groups"]
            mod = nn.GroupNorm(g, c, eps=eps, affine=weight is not None, dtype=dtype)
            if weight is not None:
                mod.weight.copy_(weight)
                mod.bias.copy_(bias)
            out = mod(x)
            var, mean = torch.var_mean(x.reshape(n, g, -1), dim=2, correction=0)
            if g == 1:
                var, mean = var.reshape(n, 1, 1, 1), mean.reshape(n, 1, 1, 1)
            else:
                var, mean = var.reshape(n, g, 1, 1, 1), mean.reshape(n, g, 1, 1, 1)
        elif op == "rms_norm":
            mod = nn.RMSNorm((c, h, w), eps=eps, elementwise_affine=weight is not None, dtype=dtype)
            if weight is not None:
                mod.weight.copy_(weight)
            out = mod(x)
            var = (x * x).mean(dim=(1, 2, 3), keepdim=True)
            mean = torch.zeros_like(var)
        else:
            raise ValueError(op)
    return (out.double().numpy(), mean.double().numpy(), var.double().numpy())


BN_C = 3
BN_SCHEDULE = [  # (batch size N, training?)
    (4, True),
    (2, True),
    (5, True),
    (3, False),
    (2, True),
    (4, False),
]
BN_SETTINGS = [  # (name, momentum, affine: None = no affine, "ones" = default, "random")
    ("momentum0.1_random_affine", 0.1, "random"),
    ("momentum0.5_default_affine", 0.5, "ones"),
    ("momentumNone_no_affine", None, None),
]


def bn_sequence_cases(
    settings=BN_SETTINGS, first_seed: int = 2000
) -> tuple[dict[str, np.ndarray], list[dict]]:
    """Inputs and parameters for the nn.BatchNorm2d sequences (NumPy only)."""
    arrays: dict[str, np.ndarray] = {}
    index: list[dict] = []
    for k, (name, momentum, affine) in enumerate(settings):
        rng = np.random.default_rng(first_seed + k)
        setting = dict(
            name=name, momentum=momentum, affine=affine, num_features=BN_C, eps=1e-5, steps=[]
        )
        if affine == "random":
            arrays[f"{name}_weight"] = rng.normal(1.0, 0.5, size=BN_C)
            arrays[f"{name}_bias"] = rng.normal(0.0, 0.5, size=BN_C)
            setting["weight"], setting["bias"] = f"{name}_weight", f"{name}_bias"
        else:
            setting["weight"] = setting["bias"] = None
        # Each channel drifts: its offset and scale change from batch to batch.
        for i, (n, training) in enumerate(BN_SCHEDULE):
            offsets = rng.uniform(-3.0, 3.0, size=(1, BN_C, 1, 1))
            scales = rng.uniform(0.5, 2.0, size=(1, BN_C, 1, 1))
            key = f"{name}_step{i}_x"
            arrays[key] = rng.standard_normal((n, BN_C, 4, 5)) * scales + offsets
            setting["steps"].append(dict(x=key, training=training))
        index.append(setting)
    return arrays, index


def _torch_batchnorm(setting: dict, arrays: dict[str, np.ndarray], dtype):
    """nn.BatchNorm2d built as `setting` says, with its weight and bias from `arrays`."""
    import torch
    from torch import nn

    bn = nn.BatchNorm2d(
        setting["num_features"],
        eps=setting["eps"],
        momentum=setting["momentum"],
        affine=setting["affine"] is not None,
        dtype=dtype,
    )
    if setting["weight"] is not None:
        with torch.no_grad():
            bn.weight.copy_(torch.tensor(arrays[setting["weight"]], dtype=dtype))
            bn.bias.copy_(torch.tensor(arrays[setting["bias"]], dtype=dtype))
    return bn


def torch_bn_sequence(setting: dict, arrays: dict[str, np.ndarray], dtype=None):
    """Run one BatchNorm2d sequence in torch; one dict of float64 arrays per step."""
    import torch

    dtype = torch.float64 if dtype is None else dtype
    bn = _torch_batchnorm(setting, arrays, dtype)
    results = []
    for step in setting["steps"]:
        bn.train(step["training"])
        with torch.no_grad():
            out = bn(torch.tensor(arrays[step["x"]], dtype=dtype))
        results.append(
            dict(
                out=out.double().numpy(),
                running_mean=bn.running_mean.double().numpy().copy(),
                running_var=bn.running_var.double().numpy().copy(),
                num_batches_tracked=int(bn.num_batches_tracked),
            )
        )
    return results


# ----------------------------------------------------------------- float32 accuracy
FLOAT32_EPS = 1e-5
FLOAT32_SPECS = [  # (axes, groups, center): named ops first, then other axis subsets
    ("NHW", 1, True),
    ("CHW", 1, True),
    ("HW", 1, True),
    ("CHW", 2, True),
    ("CHW", 8, True),
    ("CHW", 1, False),
    ("N", 1, True),
    ("NC", 1, True),
    ("C", 1, True),
    ("C", 1, False),
    ("W", 1, True),
    ("CW", 1, True),
    ("NCHW", 1, True),
]
FLOAT32_INPUTS = [  # (shape, offset in standard deviations, seed)
    ((4, 8, 32, 32), 0.0, 3001),
    ((4, 8, 32, 32), 1e2, 3002),
    ((4, 8, 32, 32), 1e4, 3003),
    ((2, 8, 8, 300), 1e3, 3004),
]
# One set of 2**20 elements (LayerNorm), where a float32 running sum drifts the most.
FLOAT32_LARGE = [((1, 64, 128, 128), 1e3, 3005, ("CHW", 1, True))]


def float32_input(shape, offset: float, seed: int) -> np.ndarray:
    """offset + standard normal noise, rounded to float32 (float64 draws: a stable stream)."""
    return (offset + np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def input_checksum(x: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()


def float32_cases() -> list[dict]:
    """Every float32 accuracy case: input (shape, offset, seed) and spec."""
    cases = []
    for shape, offset, seed in FLOAT32_INPUTS:
        for axes, groups, center in FLOAT32_SPECS:
            cases.append(
                dict(
                    shape=list(shape),
                    offset=offset,
                    seed=seed,
                    axes=axes,
                    groups=groups,
                    center=center,
                    eps=FLOAT32_EPS,
                )
            )
    for shape, offset, seed, (axes, groups, center) in FLOAT32_LARGE:
        cases.append(
            dict(
                shape=list(shape),
                offset=offset,
                seed=seed,
                axes=axes,
                groups=groups,
                center=center,
                eps=FLOAT32_EPS,
            )
        )
    for case in cases:
        tag = f"{case['axes'] or 'none'}_G{case['groups']}_{'c' if case['center'] else 'rms'}"
        case["name"] = f"{tag}_{shape_tag(case['shape'])}_off{case['offset']:g}"
    return cases


def _grouped_axes(axes: str) -> tuple[int, ...]:
    """Reduced axes of the grouped view (N, G, C/G, H, W)."""
    return tuple(i for i, a in zip((0, 2, 3, 4), "NCHW", strict=True) if a in axes)


def float64_truth(x: np.ndarray, axes: str, groups: int, center: bool, eps: float) -> np.ndarray:
    """Brute-force float64 normalization of `x` (the truth both float32 results are held to)."""
    x64 = np.asarray(x, dtype=np.float64)
    n, c, h, w = x64.shape
    grouped = x64.reshape(n, groups, c // groups, h, w)
    reduced = _grouped_axes(axes)
    mean = grouped.mean(axis=reduced, keepdims=True) if center else 0.0
    var = ((grouped - mean) ** 2).mean(axis=reduced, keepdims=True)
    return ((grouped - mean) / np.sqrt(var + eps)).reshape(x64.shape)


def torch_float32(x: np.ndarray, axes: str, groups: int, center: bool, eps: float) -> np.ndarray:
    """torch's float32 result: its named op where one exists, else var_mean and rsqrt."""
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    n, c, h, w = t.shape
    with torch.no_grad():
        if center and groups == 1 and axes == "NHW":
            return F.batch_norm(t, None, None, training=True, eps=eps).numpy()
        if center and groups == 1 and axes == "CHW":
            return F.layer_norm(t, t.shape[1:], eps=eps).numpy()
        if center and groups == 1 and axes == "HW" and h * w > 1:
            return F.instance_norm(t, eps=eps).numpy()
        if center and axes == "CHW":
            return F.group_norm(t, groups, eps=eps).numpy()
        if not center and groups == 1 and axes == "CHW":
            return F.rms_norm(t, t.shape[1:], eps=eps).numpy()
        grouped = t.reshape(n, groups, c // groups, h, w)
        dims = _grouped_axes(axes)
        if center:
            var, mean = torch.var_mean(grouped, dim=dims, correction=0, keepdim=True)
            y = (grouped - mean) * torch.rsqrt(var + eps)
        else:
            y = grouped * torch.rsqrt((grouped * grouped).mean(dim=dims, keepdim=True) + eps)
        return y.reshape(t.shape).numpy()


def torch_float32_error(case: dict) -> float:
    """max |torch float32 - float64 truth| on one case."""
    x = float32_input(tuple(case["shape"]), case["offset"], case["seed"])
    args = (case["axes"], case["groups"], case["center"], case["eps"])
    return float(np.abs(torch_float32(x, *args) - float64_truth(x, *args)).max())


# ----------------------------------------------------------------- backward (autograd)
AXIS_SUBSETS = ["".join(a for i, a in enumerate("NCHW") if mask >> i & 1) for mask in range(16)]
# (axes, groups, center) that a named torch op below already covers for every groups value.
_NAMED_BACKWARD = {("NHW", True), ("CHW", True), ("HW", True), ("CHW", False)}


def _seed_of(text: str) -> int:
    """A stable seed from a name (crc32: the same in every Python run, unlike hash())."""
    import zlib

    return zlib.crc32(text.encode())


def _x_seed(shape, kind: str) -> int:
    """functional_cases()'s seed for (shape, kind), so x is that case's input; else by name."""
    seed = 1000
    for functional_shape in SHAPES:
        for functional_kind in DATA_KINDS:
            seed += 1
            if (tuple(functional_shape), functional_kind) == (tuple(shape), kind):
                return seed
    return _seed_of(f"x_{kind}_{shape_tag(shape)}")


# The golden file runs the subsets of NCHW on SHAPES with the large (4, 6, 5, 7) replaced by a
# smaller shape with every axis > 1 too (the file's size: every gradient is stored); the live
# tests run them on SHAPES as well.
BACKWARD_SUBSET_SHAPES = [(3, 4, 3, 2), (1, 4, 3, 3), (2, 8, 1, 1)]


def _named_backward_cases(add, shape) -> None:
    n, c, h, w = shape
    for kind in DATA_KINDS:
        channel = dict(weight="channel", bias="channel")
        add("batch_norm_affine", "batch_norm", shape, kind, "NHW", **channel)
        add("batch_norm_eps1e-3", "batch_norm", shape, kind, "NHW", eps=1e-3)
        add("layer_norm", "layer_norm", shape, kind, "CHW", weight="element", bias="element")
        if h * w > 1:  # torch refuses one spatial element in training
            add("instance_norm_affine", "instance_norm", shape, kind, "HW", **channel)
        for g in _divisors(c):
            add(f"group_norm_G{g}", "group_norm", shape, kind, "CHW", groups=g, **channel)
        add("rms_norm", "rms_norm", shape, kind, "CHW", center=False, weight="element")


def _subset_backward_cases(add, shape) -> None:
    c = shape[1]
    params = [("channel", "channel"), ("element", "element"), (None, None), ("channel", None)]
    k = 0
    groups = [g for g in _divisors(c) if g > 1]
    for i, axes in enumerate(AXIS_SUBSETS):
        runs = [(1, center) for center in (True, False) if (axes, center) not in _NAMED_BACKWARD]
        if "C" in axes and groups and axes != "CHW":
            runs.append((groups[i % len(groups)], bool(i % 2)))
        for g, center in runs:
            weight, bias = params[k % len(params)]
            k += 1
            tag = f"{axes or 'none'}{f'_G{g}' if g > 1 else ''}_{'c' if center else 'rms'}"
            kind = DATA_KINDS[(i + center + g) % 2]
            add(f"autograd_{tag}", "autograd", shape, kind, axes, groups=g, center=center,
                weight=weight, bias=bias)  # fmt: skip
    if groups:  # GroupNorm's statistics without centering (a grouped RMSNorm): no torch op
        add(f"autograd_CHW_G{groups[-1]}_rms", "autograd", shape, DATA_KINDS[0], "CHW",
            groups=groups[-1], center=False, weight="channel", bias="channel")  # fmt: skip


def backward_cases(subset_shapes=BACKWARD_SUBSET_SHAPES) -> list[dict]:
    """Every one-shot backward case (plain data; inputs come from ``backward_inputs``).

    Each entry: name, op (a torch op, or "autograd" for the mean/var expression), shape, kind,
    x_seed (for the functional shapes the functional case's seed, so x is that case's input),
    seed (dL/dy and the parameters; from the name, so a case is the same in every list), eps,
    axes, groups, center, weight and bias ("channel" for shape (C,), "element" for (C, H, W),
    or None).

    The named ops run on every shape and data kind of SHAPES, as in functional.npz. Every other
    subset of NCHW runs on each of `subset_shapes` once per centering, the data kind
    alternating (each subset meets both kinds); each subset with C (but CHW, GroupNorm's) also
    runs once with groups > 1 when C allows, and CHW once grouped without centering.
    """
    cases: list[dict] = []

    def add(name, op, shape, kind, axes, *, groups=1, center=True, eps=1e-5, weight=None,
            bias=None):  # fmt: skip
        name = f"{name}_{kind}_{shape_tag(shape)}"
        cases.append(
            dict(
                name=name,
                op=op,
                shape=list(shape),
                kind=kind,
                x_seed=_x_seed(shape, kind),
                seed=_seed_of(name),
                eps=eps,
                axes=axes,
                groups=groups,
                center=center,
                weight=weight,
                bias=bias,
            )
        )

    for shape in SHAPES:
        _named_backward_cases(add, shape)
    for shape in subset_shapes:
        _subset_backward_cases(add, shape)
    return cases


def backward_inputs(case: dict) -> dict[str, np.ndarray | None]:
    """x, dL/dy and the parameters of one backward case, float64, regenerated from its seeds."""
    shape = tuple(case["shape"])
    n, c, h, w = shape
    rng = np.random.default_rng(case["seed"])
    sizes = {"channel": (c,), "element": (c, h, w), None: None}
    grad_output = rng.standard_normal(shape)
    wshape, bshape = sizes[case["weight"]], sizes[case["bias"]]
    return dict(
        x=make_input(shape, case["kind"], case["x_seed"]),
        grad_output=grad_output,
        weight=None if wshape is None else rng.normal(1.0, 0.5, size=wshape),
        bias=None if bshape is None else rng.normal(0.0, 0.5, size=bshape),
    )


def inputs_checksum(inputs: dict[str, np.ndarray | None]) -> str:
    """sha256 over a case's input arrays (None skipped), in key order."""
    import hashlib

    digest = hashlib.sha256()
    for key in sorted(inputs):
        if inputs[key] is not None:
            digest.update(key.encode())
            digest.update(np.ascontiguousarray(inputs[key], dtype=np.float64).tobytes())
    return digest.hexdigest()


def torch_autograd_normalize(x, axes: str, groups: int, center: bool, eps: float):
    """normalize over any axes as a torch expression (autograd differentiates it)."""
    import torch

    n, c, h, w = x.shape
    grouped = x.reshape(n, groups, c // groups, h, w)
    dims = _grouped_axes(axes)
    if not dims:  # torch's mean over dim=() would reduce everything: every element is its set
        centered = grouped - grouped if center else grouped
        y = centered * torch.rsqrt(centered * centered + eps)
    else:
        centered = grouped - grouped.mean(dim=dims, keepdim=True) if center else grouped
        var = (centered * centered).mean(dim=dims, keepdim=True)
        y = centered * torch.rsqrt(var + eps)
    return y.reshape(x.shape)


def _torch_forward(case: dict, x, weight, bias):
    import torch.nn.functional as F

    op, eps = case["op"], case["eps"]
    n, c, h, w = x.shape
    if op == "batch_norm":
        return F.batch_norm(x, None, None, weight, bias, training=True, eps=eps)
    if op == "layer_norm":
        return F.layer_norm(x, (c, h, w), weight, bias, eps=eps)
    if op == "instance_norm":
        return F.instance_norm(x, weight=weight, bias=bias, eps=eps)
    if op == "group_norm":
        return F.group_norm(x, case["groups"], weight, bias, eps=eps)
    if op == "rms_norm":
        return F.rms_norm(x, (c, h, w), weight, eps=eps)
    if op != "autograd":
        raise ValueError(op)
    y = torch_autograd_normalize(x, case["axes"], case["groups"], case["center"], eps)
    if weight is not None:
        y = y * (weight.reshape(1, c, 1, 1) if weight.ndim == 1 else weight)
    if bias is not None:
        y = y + (bias.reshape(1, c, 1, 1) if bias.ndim == 1 else bias)
    return y


def torch_backward(case: dict, inputs: dict, dtype=None):
    """torch autograd's (grad_input, grad_weight, grad_bias) for one backward case, as float64
    NumPy arrays (None for a parameter the case does not have).

    The named ops go through torch.nn.functional (the kernels nn.LayerNorm, nn.InstanceNorm2d,
    nn.GroupNorm and nn.RMSNorm call); "autograd" through ``torch_autograd_normalize``.
    """
    import torch

    dtype = torch.float64 if dtype is None else dtype

    def leaf(key):
        value = inputs[key]
        return None if value is None else torch.tensor(value, dtype=dtype, requires_grad=True)

    x, weight, bias = leaf("x"), leaf("weight"), leaf("bias")
    y = _torch_forward(case, x, weight, bias)
    wanted = [t for t in (x, weight, bias) if t is not None]
    grads = iter(torch.autograd.grad(y, wanted, torch.tensor(inputs["grad_output"], dtype=dtype)))
    return tuple(
        None if t is None else next(grads).detach().double().numpy() for t in (x, weight, bias)
    )


BN_BACKWARD_SETTINGS = [  # as BN_SETTINGS: (name, momentum, affine)
    ("momentum0.1_random_affine", 0.1, "random"),
    ("momentumNone_random_affine", None, "random"),
    ("momentumNone_no_affine", None, None),
]


def bn_backward_cases() -> tuple[dict[str, np.ndarray], list[dict]]:
    """The nn.BatchNorm2d sequences of BN_SCHEDULE with a random dL/dy per step (NumPy only)."""
    arrays, index = bn_sequence_cases(BN_BACKWARD_SETTINGS, first_seed=6000)
    for k, setting in enumerate(index):
        rng = np.random.default_rng(6100 + k)
        for i, step in enumerate(setting["steps"]):
            step["grad_output"] = f"{setting['name']}_step{i}_grad_output"
            arrays[step["grad_output"]] = rng.standard_normal(arrays[step["x"]].shape)
    return arrays, index


def torch_bn_backward(setting: dict, arrays: dict[str, np.ndarray], dtype=None):
    """nn.BatchNorm2d through one sequence, backward after every step: one dict per step of
    out, grad_input, grad_weight, grad_bias (None without affine), running_mean, running_var
    and num_batches_tracked (float64 NumPy)."""
    import torch

    dtype = torch.float64 if dtype is None else dtype
    bn = _torch_batchnorm(setting, arrays, dtype)
    results = []
    for step in setting["steps"]:
        bn.train(step["training"])
        x = torch.tensor(arrays[step["x"]], dtype=dtype, requires_grad=True)
        out = bn(x)
        params = [bn.weight, bn.bias] if bn.affine else []
        grads = torch.autograd.grad(
            out, [x, *params], torch.tensor(arrays[step["grad_output"]], dtype=dtype)
        )
        grad_weight, grad_bias = grads[1:] if bn.affine else (None, None)
        results.append(
            dict(
                out=out.detach().double().numpy(),
                grad_input=grads[0].double().numpy(),
                grad_weight=None if grad_weight is None else grad_weight.double().numpy(),
                grad_bias=None if grad_bias is None else grad_bias.double().numpy(),
                running_mean=bn.running_mean.double().numpy().copy(),
                running_var=bn.running_var.double().numpy().copy(),
                num_batches_tracked=int(bn.num_batches_tracked),
            )
        )
    return results


def _meta(index) -> dict[str, np.ndarray]:
    import torch

    return dict(
        index_json=np.array(json.dumps(index)),
        torch_version=np.array(str(torch.__version__)),
        numpy_version=np.array(np.__version__),
    )


def write_functional() -> None:
    arrays, index = functional_cases()
    for case in index:
        out, mean, var = torch_functional(case, arrays)
        for suffix, arr in (("out", out), ("mean", mean), ("var", var)):
            case[suffix] = f"{case['name']}__{suffix}"
            arrays[case[suffix]] = arr
    np.savez_compressed(FUNCTIONAL_FILE, **arrays, **_meta(index))


def write_bn_sequence() -> None:
    arrays, index = bn_sequence_cases()
    for setting in index:
        results = torch_bn_sequence(setting, arrays)
        for i, (step, res) in enumerate(zip(setting["steps"], results, strict=True)):
            for key in ("out", "running_mean", "running_var"):
                step[key] = f"{setting['name']}_step{i}_{key}"
                arrays[step[key]] = res[key]
            step["num_batches_tracked"] = res["num_batches_tracked"]
    np.savez_compressed(BN_SEQUENCE_FILE, **arrays, **_meta(index))


def write_float32() -> None:
    cases = float32_cases()
    for case in cases:
        case["torch_error"] = torch_float32_error(case)
        x = float32_input(tuple(case["shape"]), case["offset"], case["seed"])
        case["input_sha256"] = input_checksum(x)
    np.savez_compressed(FLOAT32_FILE, **_meta(cases))


class _Packer:
    """Arrays concatenated into one flat float64 array (one .npy in the file, not hundreds:
    each has ~300 bytes of headers); an index entry keeps [offset, shape] for ``unpack``."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.size = 0

    def add(self, array):
        if array is None:
            return None
        array = np.asarray(array, dtype=np.float64)
        self.parts.append(array.ravel())
        self.size += array.size
        return [self.size - array.size, list(array.shape)]

    def packed(self) -> np.ndarray:
        return np.concatenate(self.parts)


def unpack(packed: np.ndarray, where) -> np.ndarray | None:
    """The array an index entry [offset, shape] of ``_Packer.add`` points to (None for None)."""
    if where is None:
        return None
    offset, shape = where
    return packed[offset : offset + int(np.prod(shape, dtype=np.int64))].reshape(shape)


def write_backward() -> None:
    packer = _Packer()
    cases = backward_cases()
    for case in cases:
        inputs = backward_inputs(case)
        case["inputs_sha256"] = inputs_checksum(inputs)
        grads = torch_backward(case, inputs)
        for key, grad in zip(("grad_input", "grad_gamma", "grad_beta"), grads, strict=True):
            case[key] = packer.add(grad)
    bn_arrays, settings = bn_backward_cases()
    for setting in settings:
        results = torch_bn_backward(setting, bn_arrays)
        for step, res in zip(setting["steps"], results, strict=True):
            step["inputs_sha256"] = inputs_checksum(
                {"x": bn_arrays[step["x"]], "grad_output": bn_arrays[step["grad_output"]]}
            )
            for key in ("grad_input", "grad_weight", "grad_bias", "running_mean", "running_var"):
                step[key] = packer.add(res[key])
            step["num_batches_tracked"] = res["num_batches_tracked"]
    index = dict(functional=cases, bn_sequences=settings)
    np.savez_compressed(BACKWARD_FILE, packed=packer.packed(), **_meta(index))


def app_reference_step(path: Path = BN_SEQUENCE_FILE) -> dict[str, np.ndarray]:
    """The first training step with default affine parameters (γ = 1, β = 0) in `path`."""
    with np.load(path) as data:
        index = json.loads(str(data["index_json"]))
        for setting in index:
            step = setting["steps"][0]
            if setting.get("affine") == "ones" and step["training"]:
                return {
                    "x": data[step["x"]],
                    "out": data[step["out"]],
                    "eps": np.float64(setting["eps"]),
                    "torch_version": data["torch_version"],
                    "source": np.str_(f"{setting['name']}, step 0"),
                }
    raise ValueError(f"{path.name} has no training step with default affine parameters")


def write_app_reference() -> None:
    APP_REFERENCE_FILE.parent.mkdir(exist_ok=True)
    np.savez_compressed(APP_REFERENCE_FILE, **app_reference_step())


WRITERS = {
    FUNCTIONAL_FILE.name: (FUNCTIONAL_FILE, write_functional),
    BN_SEQUENCE_FILE.name: (BN_SEQUENCE_FILE, write_bn_sequence),
    FLOAT32_FILE.name: (FLOAT32_FILE, write_float32),
    BACKWARD_FILE.name: (BACKWARD_FILE, write_backward),
    APP_REFERENCE_FILE.name: (APP_REFERENCE_FILE, write_app_reference),  # after bn_sequence
}


def main(names: list[str]) -> None:
    """Write the named golden files (all of them when none is named)."""
    for name in names or list(WRITERS):
        if name not in WRITERS:
            raise SystemExit(f"unknown golden file {name!r}; choose from {', '.join(WRITERS)}")
        path, write = WRITERS[name]
        write()
        print(f"wrote {path.relative_to(HERE.parent.parent)} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
