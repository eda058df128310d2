"""normalize_backward and BatchNorm2d.backward against torch autograd, the numeric reference.

(a) Golden comparisons (always run, no torch needed): ``tests/golden/backward.npz`` holds torch
    float64 autograd gradients made by ``tests/golden/make_goldens.py``; the inputs are
    regenerated from their seeds (and checked against a stored checksum).
(b) Live comparisons (marker ``torch``; need torch): the same cases recomputed now (and every
    subset of NCHW on the large functional shape too), in float64 and float32, randomized cases
    over shapes with one-element and constant sets, and BatchNorm2d.backward against
    nn.BatchNorm2d over train/eval sequences.
(c) Error messages: each names what is wrong and how to write it right.

Tolerances: float64 ``rtol=1e-10, atol=1e-12``. float32: the largest deviation over an array,
relative to that array's largest magnitude (at least 1), within ``F32_REL`` of torch's float64
answer on the same float32 inputs, and at most ``F32_VS_TORCH`` times torch's own float32
error (``F32_FLOOR`` at least): torch float32 itself is off by up to ~1e-4 on one-element sets.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import normlib
from normlib import BatchNorm2d, NormError, NormSpec, normalize, normalize_backward
from tests.conftest import require_torch

pytestmark = pytest.mark.torch  # checks against live PyTorch or Keras

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
BACKWARD_FILE = GOLDEN_DIR / "backward.npz"
BACKWARD_FILE_LIMIT = 300_000  # bytes; all goldens together stay under test_goldens_are_small's

F64 = dict(rtol=1e-10, atol=1e-12)
F32_REL = 2e-5
F32_VS_TORCH, F32_FLOOR = 3.0, 3e-6


def _load_script():
    spec = importlib.util.spec_from_file_location("make_goldens", GOLDEN_DIR / "make_goldens.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


goldens = _load_script()


def _load():
    if not BACKWARD_FILE.is_file():
        return None
    with np.load(BACKWARD_FILE) as data:
        return data["packed"], json.loads(str(data["index_json"])), str(data["torch_version"])


GOLDEN = _load()
GOLDEN_CASES = GOLDEN[1]["functional"] if GOLDEN else []
GOLDEN_BN = GOLDEN[1]["bn_sequences"] if GOLDEN else []
GRAD_KEYS = ("grad_input", "grad_gamma", "grad_beta")


def _spec(case: dict) -> NormSpec:
    return NormSpec(case["axes"], groups=case["groups"], center=case["center"])


def _run_normlib(case: dict, inputs: dict, dtype=np.float64) -> normlib.NormGrads:
    def cast(key):
        return None if inputs[key] is None else inputs[key].astype(dtype)

    return normalize_backward(
        cast("x"),
        cast("grad_output"),
        _spec(case),
        eps=case["eps"],
        gamma=cast("weight"),
        beta=cast("bias"),
    )


def _check_f64(got: normlib.NormGrads, expected, where: str) -> None:
    for key, exp in zip(GRAD_KEYS, expected, strict=True):
        value = getattr(got, key)
        if exp is None:
            assert value is None, f"{where} {key}: expected None"
            continue
        assert value.shape == exp.shape, f"{where} {key}: shape {value.shape} != {exp.shape}"
        np.testing.assert_allclose(value, exp, **F64, err_msg=f"{where} {key}")


def scaled_error(got: np.ndarray, expected: np.ndarray) -> float:
    """max |got - expected| over the array, relative to max(1, max |expected|)."""
    expected = np.asarray(expected, dtype=np.float64)
    diff = np.abs(np.asarray(got, dtype=np.float64) - expected).max()
    return float(diff / max(1.0, float(np.abs(expected).max())))


def _check_f32(got: normlib.NormGrads, expected64, expected32, where: str) -> float:
    """float32 gradients within F32_REL of the truth (torch float64 on the same float32
    inputs), and no less accurate than torch's own float32 autograd: at most F32_VS_TORCH
    times its error (or F32_FLOOR). Returns the worst error against the truth."""
    worst = 0.0
    for key, exp64, exp32 in zip(GRAD_KEYS, expected64, expected32, strict=True):
        value = getattr(got, key)
        if exp64 is None:
            assert value is None, f"{where} {key}: expected None"
            continue
        assert value.dtype == np.float32, f"{where} {key}: dtype {value.dtype}"
        error, torch_error = scaled_error(value, exp64), scaled_error(exp32, exp64)
        assert error <= F32_REL, f"{where} {key}: {error:.3g} from torch float64"
        assert error <= max(F32_VS_TORCH * torch_error, F32_FLOOR), (
            f"{where} {key}: {error:.3g} from torch float64, torch float32 {torch_error:.3g}"
        )
        worst = max(worst, error)
    return worst


# --------------------------------------------------------------------------- goldens


def test_backward_golden_file_exists_and_is_small():
    assert GOLDEN is not None, f"{BACKWARD_FILE} is missing: run tests/golden/make_goldens.py"
    packed, index, torch_version = GOLDEN
    assert packed.dtype == np.float64 and packed.size > 0
    assert index["functional"] and index["bn_sequences"]
    assert torch_version[0].isdigit(), torch_version
    size = BACKWARD_FILE.stat().st_size
    assert size < BACKWARD_FILE_LIMIT, f"backward.npz is {size} bytes"


def test_backward_goldens_cover_every_op_subset_and_centering():
    ops = {case["op"] for case in GOLDEN_CASES}
    assert ops == {
        "batch_norm",
        "layer_norm",
        "instance_norm",
        "group_norm",
        "rms_norm",
        "autograd",
    }
    covered = {(case["axes"], case["center"]) for case in GOLDEN_CASES}
    assert covered == {(axes, center) for axes in goldens.AXIS_SUBSETS for center in (True, False)}
    grouped = {(case["axes"], case["center"]) for case in GOLDEN_CASES if case["groups"] > 1}
    assert {axes for axes, _ in grouped} == {a for a in goldens.AXIS_SUBSETS if "C" in a}
    assert {center for _, center in grouped} == {True, False}
    named = [case for case in GOLDEN_CASES if case["op"] != "autograd"]
    assert {(tuple(c["shape"]), c["kind"]) for c in named} == {
        (tuple(shape), kind) for shape in goldens.SHAPES for kind in goldens.DATA_KINDS
    }
    assert {c["weight"] for c in GOLDEN_CASES} == {"channel", "element", None}
    assert {setting["momentum"] for setting in GOLDEN_BN} == {0.1, None}
    assert {setting["affine"] for setting in GOLDEN_BN} == {"random", None}


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=lambda c: c["name"])
def test_golden_backward(case):
    packed = GOLDEN[0]
    inputs = goldens.backward_inputs(case)
    assert goldens.inputs_checksum(inputs) == case["inputs_sha256"], (
        "the inputs regenerated from the seeds differ from those the goldens were made from "
        "(a NumPy random stream changed?): regenerate backward.npz with make_goldens.py"
    )
    expected = [goldens.unpack(packed, case[key]) for key in GRAD_KEYS]
    got = _run_normlib(case, inputs)
    assert got.grad_input.dtype == np.float64
    _check_f64(got, expected, case["name"])


def _run_bn_backward(setting: dict, arrays: dict, dtype=np.float64) -> list[dict]:
    """normlib's BatchNorm2d through a sequence, backward after each step (as torch_bn_backward)."""
    bn = BatchNorm2d(
        setting["num_features"],
        eps=setting["eps"],
        momentum=setting["momentum"],
        affine=setting["affine"] is not None,
        dtype=dtype,
    )
    if setting["weight"] is not None:
        bn.weight = arrays[setting["weight"]].astype(dtype)
        bn.bias = arrays[setting["bias"]].astype(dtype)
    results = []
    for step in setting["steps"]:
        out = bn(arrays[step["x"]].astype(dtype), training=step["training"])
        grads = bn.backward(arrays[step["grad_output"]].astype(dtype))
        results.append(
            dict(
                out=out,
                grad_input=grads.grad_input,
                grad_weight=grads.grad_gamma,
                grad_bias=grads.grad_beta,
                running_mean=np.array(bn.running_mean),
                running_var=np.array(bn.running_var),
                num_batches_tracked=bn.num_batches_tracked,
            )
        )
    return results


BN_KEYS = ("grad_input", "grad_weight", "grad_bias", "running_mean", "running_var")
BN_FRESH = goldens.bn_backward_cases()


@pytest.mark.parametrize("setting", GOLDEN_BN, ids=lambda s: s["name"])
def test_golden_batchnorm_backward_sequence(setting):
    packed = GOLDEN[0]
    arrays = BN_FRESH[0]
    results = _run_bn_backward(setting, arrays)
    for i, (step, got) in enumerate(zip(setting["steps"], results, strict=True)):
        where = f"step {i} ({'train' if step['training'] else 'eval'})"
        checksum = goldens.inputs_checksum(
            {"x": arrays[step["x"]], "grad_output": arrays[step["grad_output"]]}
        )
        assert checksum == step["inputs_sha256"], f"{where}: inputs changed; regenerate"
        for key in BN_KEYS:
            expected = goldens.unpack(packed, step[key])
            if expected is None:
                assert got[key] is None, f"{where} {key}"
            else:
                np.testing.assert_allclose(got[key], expected, **F64, err_msg=f"{where} {key}")
        assert got["num_batches_tracked"] == step["num_batches_tracked"], where


# --------------------------------------------------------------------------- live torch

# The golden cases plus every subset of NCHW on the large functional shape as well.
LIVE_SUBSET_SHAPES = list(dict.fromkeys([*goldens.SHAPES, *goldens.BACKWARD_SUBSET_SHAPES]))
LIVE_CASES = goldens.backward_cases(LIVE_SUBSET_SHAPES)
LIVE_IDS = [case["name"] for case in LIVE_CASES]
assert len(set(LIVE_IDS)) == len(LIVE_IDS)
assert {c["name"] for c in GOLDEN_CASES} <= set(LIVE_IDS)


@pytest.mark.torch
@pytest.mark.parametrize("case", LIVE_CASES, ids=LIVE_IDS)
def test_live_backward_float64(case):
    torch = require_torch()
    inputs = goldens.backward_inputs(case)
    expected = goldens.torch_backward(case, inputs, dtype=torch.float64)
    _check_f64(_run_normlib(case, inputs), expected, case["name"])


@pytest.mark.torch
@pytest.mark.parametrize("case", LIVE_CASES, ids=LIVE_IDS)
def test_live_backward_float32(case):
    torch = require_torch()
    inputs = goldens.backward_inputs(case)
    inputs32 = {k: None if v is None else v.astype(np.float32) for k, v in inputs.items()}
    # The truth is torch float64 on the float32-rounded inputs.
    rounded = {k: None if v is None else v.astype(np.float64) for k, v in inputs32.items()}
    expected64 = goldens.torch_backward(case, rounded, dtype=torch.float64)
    expected32 = goldens.torch_backward(case, inputs32, dtype=torch.float32)
    _check_f32(_run_normlib(case, inputs32, np.float32), expected64, expected32, case["name"])


# Random shapes: one-element sets (H = W = 1; N = 1), a single channel, odd sizes.
RANDOM_SHAPES = [
    (3, 4, 5, 6),
    (2, 6, 3, 1),
    (1, 12, 2, 2),
    (5, 2, 1, 7),
    (2, 4, 1, 1),
    (1, 3, 1, 1),
    (4, 1, 3, 3),
    (1, 6, 4, 5),
]


def _random_case(seed: int) -> tuple[dict, dict]:
    """A random spec/shape/eps/affine case; some with constant sets (variance 0)."""
    rng = np.random.default_rng(7000 + seed)
    shape = RANDOM_SHAPES[seed % len(RANDOM_SHAPES)]
    n, c, h, w = shape
    axes = "".join(a for a in "NCHW" if rng.integers(2))
    divisors = [g for g in range(1, c + 1) if c % g == 0]
    groups = int(rng.choice(divisors)) if "C" in axes else 1
    center = bool(rng.integers(2))
    case = dict(
        name=f"random{seed}",
        op="autograd",
        axes=axes,
        groups=groups,
        center=center,
        eps=float(10.0 ** rng.uniform(-5, -1)),
    )
    x = rng.standard_normal(shape) * rng.uniform(0.3, 3) + rng.uniform(-2, 2)
    if seed % 3 == 0:  # make about half of the sets constant (0 for RMS sets: mean square 0)
        ids = normlib.set_ids(shape, NormSpec(axes, groups=groups, center=center))
        constant = ids % 2 == 0
        x[constant] = 0.0 if not center else 1.5
    params = {"channel": (c,), "element": (c, h, w)}
    weight_kind = [None, "channel", "element"][seed % 3]
    weight = None if weight_kind is None else rng.normal(1, 0.5, size=params[weight_kind])
    bias = None if weight_kind is None else rng.normal(0, 0.5, size=params[weight_kind])
    inputs = dict(x=x, grad_output=rng.standard_normal(shape), weight=weight, bias=bias)
    return case, inputs


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(24))
def test_live_backward_random(seed, dtype):
    torch = require_torch()
    case, inputs = _random_case(seed)
    where = (
        f"{case['axes'] or 'none'} G={case['groups']} center={case['center']} eps={case['eps']:.3g}"
    )
    if dtype == np.float64:
        expected = goldens.torch_backward(case, inputs, dtype=torch.float64)
        _check_f64(_run_normlib(case, inputs), expected, where)
        return
    inputs32 = {k: None if v is None else v.astype(np.float32) for k, v in inputs.items()}
    rounded = {k: None if v is None else v.astype(np.float64) for k, v in inputs32.items()}
    expected64 = goldens.torch_backward(case, rounded, dtype=torch.float64)
    expected32 = goldens.torch_backward(case, inputs32, dtype=torch.float32)
    _check_f32(_run_normlib(case, inputs32, np.float32), expected64, expected32, where)


@pytest.mark.torch
def test_live_backward_constant_sets_are_finite_and_match_torch():
    """A constant set (variance 0, eps > 0): dL/dx = (g - mean g) / sqrt(eps), as torch."""
    torch = require_torch()
    rng = np.random.default_rng(11)
    x = np.full((3, 2, 4, 4), 2.5)
    x[:, 1] = rng.standard_normal((3, 4, 4))  # channel 0 constant, channel 1 not
    grad = rng.standard_normal(x.shape)
    case = dict(op="batch_norm", axes="NHW", groups=1, center=True, eps=1e-5)
    inputs = dict(x=x, grad_output=grad, weight=rng.normal(1, 0.5, 2), bias=np.zeros(2))
    expected = goldens.torch_backward(case, inputs, dtype=torch.float64)
    got = _run_normlib(case, inputs)
    _check_f64(got, expected, "constant channel")
    g0 = grad[:, 0] * inputs["weight"][0]
    np.testing.assert_allclose(got.grad_input[:, 0], (g0 - g0.mean()) / np.sqrt(1e-5), **F64)


BN_FRESH_SETTINGS = BN_FRESH[1]


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("setting", BN_FRESH_SETTINGS, ids=lambda s: s["name"])
def test_live_batchnorm_backward_sequence(setting, dtype):
    torch = require_torch()
    arrays = BN_FRESH[0]
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    expected = goldens.torch_bn_backward(setting, arrays, dtype=tdtype)
    got = _run_bn_backward(setting, arrays, dtype=dtype)
    for i, (exp, res) in enumerate(zip(expected, got, strict=True)):
        where = f"step {i} ({'train' if setting['steps'][i]['training'] else 'eval'})"
        for key in ("out", *BN_KEYS):
            if exp[key] is None:
                assert res[key] is None, f"{where} {key}"
            elif dtype == np.float64:
                np.testing.assert_allclose(res[key], exp[key], **F64, err_msg=f"{where} {key}")
            else:
                error = scaled_error(res[key], exp[key])
                assert error <= F32_REL, f"{where} {key}: {error:.3g}"
        assert res["num_batches_tracked"] == exp["num_batches_tracked"]
    assert got[-1]["grad_input"].dtype == dtype


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (1, 2, 3, 5), (7, 1, 1, 2)])
def test_live_batchnorm_eval_backward_after_training(shape):
    """Eval: the running statistics are constants, so a sample's gradient is its own."""
    torch = require_torch()
    rng = np.random.default_rng(sum(shape) + 1)
    c = shape[1]
    ours = BatchNorm2d(c, dtype=np.float64)
    ours.weight, ours.bias = rng.normal(1, 0.5, c), rng.normal(0, 0.5, c)
    theirs = torch.nn.BatchNorm2d(c, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight))
        theirs.bias.copy_(torch.tensor(ours.bias))
    for _ in range(3):
        x = rng.standard_normal(shape) * 2 + 1
        ours(x)
        with torch.no_grad():
            theirs(torch.tensor(x))
    theirs.eval()
    x, grad = rng.standard_normal(shape), rng.standard_normal(shape)
    xt = torch.tensor(x, requires_grad=True)
    expected = torch.autograd.grad(theirs(xt), [xt, theirs.weight, theirs.bias], torch.tensor(grad))
    ours(x, training=False)
    got = ours.backward(grad)
    for value, exp in zip((got.grad_input, got.grad_gamma, got.grad_beta), expected, strict=True):
        np.testing.assert_allclose(value, exp.numpy(), **F64)
    ours(x[:1], training=False)
    np.testing.assert_allclose(ours.backward(grad[:1]).grad_input, got.grad_input[:1], **F64)


@pytest.mark.torch
def test_backward_goldens_torch_major_version_matches_live_torch():
    torch = require_torch()
    assert GOLDEN is not None
    assert GOLDEN[2].split(".")[0] == torch.__version__.split(".")[0], (
        f"backward.npz from torch {GOLDEN[2]}, live torch {torch.__version__}: regenerate it"
    )


# --------------------------------------------------------------------------- error messages


def _x():
    return np.random.default_rng(3).normal(size=(2, 3, 4, 4))


def test_error_grad_output_of_the_wrong_shape():
    x = _x()
    with pytest.raises(NormError) as info:
        normalize_backward(x, np.ones((2, 3, 4)), "layernorm")
    message = str(info.value)
    assert "grad_output" in message and "(2, 3, 4)" in message and "(2, 3, 4, 4)" in message
    assert "pass dL/dy" in message and "x's shape" in message


def test_error_grad_output_not_numbers():
    with pytest.raises(NormError) as info:
        normalize_backward(_x(), "dy", "layernorm")
    message = str(info.value)
    assert "grad_output must be a real array" in message and "(2, 3, 4, 4)" in message
    assert "pass dL/dy" in message


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_error_grad_output_not_finite(bad):
    grad = np.ones((2, 3, 4, 4))
    grad[1, 2, 3, 0] = bad
    with pytest.raises(NormError) as info:
        normalize_backward(_x(), grad, "batchnorm")
    message = str(info.value)
    assert "grad_output" in message and ("1 NaN" if np.isnan(bad) else "1 Inf") in message
    assert "finite" in message and "np.nan_to_num(grad_output)" in message


def test_error_eps_zero_with_a_constant_set():
    x = _x()
    x[:, 1] = 4.0  # channel 1 is constant: variance 0
    with pytest.raises(NormError) as info:
        normalize_backward(x, np.ones_like(x), "batchnorm", eps=0)
    message = str(info.value)
    assert "variance 0" in message and "eps = 0" in message
    assert "use eps > 0" in message
    # The same set with eps > 0 has a finite gradient (and eps = 0 without one is fine).
    assert np.isfinite(normalize_backward(x, np.ones_like(x), "batchnorm").grad_input).all()
    assert np.isfinite(
        normalize_backward(_x(), np.ones_like(x), "batchnorm", eps=0).grad_input
    ).all()


@pytest.mark.parametrize(
    "forward_args",
    [
        ((2, 3, 4, 4), "batchnorm", 1e-5),  # another spec
        ((2, 3, 4, 4), "layernorm", 1e-3),  # another eps
        ((1, 3, 4, 4), "layernorm", 1e-5),  # another shape
    ],
    ids=["spec", "eps", "shape"],
)
def test_error_mismatched_forward(forward_args):
    shape, spec, eps = forward_args
    x = _x()
    forward = normalize(np.ones(shape) + np.arange(np.prod(shape)).reshape(shape), spec, eps=eps)
    with pytest.raises(NormError) as info:
        normalize_backward(x, np.ones_like(x), "layernorm", eps=1e-5, forward=forward)
    message = str(info.value)
    assert message.startswith("forward is a normalization of shape")
    assert "pass the NormResult normalize returned for these same arguments, or none" in message
    # The matching forward is accepted and gives the same gradient as none.
    right = normalize(x, "layernorm")
    grad = np.random.default_rng(0).normal(size=x.shape)
    np.testing.assert_array_equal(
        normalize_backward(x, grad, "layernorm", forward=right).grad_input,
        normalize_backward(x, grad, "layernorm").grad_input,
    )


def test_error_batchnorm_backward_before_forward():
    bn = BatchNorm2d(3)
    with pytest.raises(NormError) as info:
        bn.backward(np.ones((2, 3, 4, 4)))
    message = str(info.value)
    assert "backward needs a forward pass first" in message
    assert "bn(x)" in message and "bn.backward" in message


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_error_batchnorm_backward_bad_grad_output(training):
    """Both modes check dL/dy (eval mode used to pass NaN through and raise NumPy's ValueError)."""
    bn = BatchNorm2d(3, dtype=np.float64)
    bn(_x(), training=training)
    with pytest.raises(NormError) as info:
        bn.backward(np.ones((1, 3, 4, 4)))
    assert "grad_output has shape (1, 3, 4, 4)" in str(info.value)
    assert "the last call's output bn(x)" in str(info.value)
    grad = np.ones((2, 3, 4, 4))
    grad[0, 0, 0, 0] = np.nan
    with pytest.raises(NormError, match=r"grad_output contains 1 NaN .*np\.nan_to_num"):
        bn.backward(grad)
    with pytest.raises(NormError, match="grad_output must be a real array"):
        bn.backward("dy")
