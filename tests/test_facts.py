"""normapp.teaching.framework_facts checked live: every call runs, every γ/β count and default
eps is the framework's.

PyTorch (2.13) and Keras 3 (torch backend) are the oracles: each call of the table
is executed on a tensor and compared with normlib's method, each layer is built
and its parameters counted and its default eps read. Both are test
requirements (requirements-oracle.txt): missing, they fail.
"""

from __future__ import annotations

import numpy as np
import pytest

import normlib
from normapp.teaching import compare, framework_facts
from tests.conftest import require_keras, require_torch

pytestmark = pytest.mark.torch  # checks against live PyTorch or Keras

SHAPE = (4, 6, 5, 3)  # N, C, H, W: every count distinct (2·C = 12, C·H·W = 90, 2·C·H·W = 180)
GROUPS = 3
KEYS = [key for key in normlib.METHODS if key != "method1"]


@pytest.fixture(scope="module")
def x():
    rng = np.random.default_rng(8)
    return (rng.standard_normal(SHAPE) * 2 + 0.5).astype(np.float32)


def spec_of(key: str) -> normlib.NormSpec:
    if key == "groupnorm":
        return normlib.NormSpec("CHW", groups=GROUPS)
    return normlib.METHODS[key]


def names(shape=SHAPE) -> dict:
    n, c, h, w = shape
    return {"N": n, "C": c, "H": h, "W": w, "G": GROUPS}


# ------------------------------------------------------------------ the table itself
def test_every_method_has_facts_and_method1_claims_no_count():
    for key in normlib.METHODS:
        assert key in framework_facts.METHOD_FACTS, key
    method1 = framework_facts.facts_for("method1")
    assert method1.affine.count(SHAPE) is None
    assert "hypothetical" in method1.affine.count_text(SHAPE)
    assert not framework_facts.has_layer(method1.pytorch)
    assert not framework_facts.has_layer(method1.keras)
    assert framework_facts.facts_for("no such key") is framework_facts.CUSTOM_FACTS
    assert framework_facts.facts_for("batchnorm") == framework_facts.facts_for("method3")


def test_method2_is_per_activation_not_per_channel():
    # Issue 8 §2.2: the Explorer said 2·C; per-activation BN (nn.BatchNorm1d(C·H·W)) has 2·C·H·W.
    n, c, h, w = SHAPE
    assert framework_facts.facts_for("method2").affine.count(SHAPE) == 2 * c * h * w
    assert framework_facts.facts_for("method2").affine.formula() == "2·C·H·W"


def test_eps_text_is_per_method():
    assert framework_facts.facts_for("layernorm").eps.text() == "PyTorch 1e-5, Keras 1e-3"
    rms = framework_facts.facts_for("rmsnorm")
    assert "torch.finfo(dtype).eps" in rms.eps.text() and "Keras 1e-6" in rms.eps.text()
    assert f"{np.finfo(np.float32).eps:.2e}".replace("e-07", "e-7") in rms.eps.text()
    assert "mean square" in rms.eps_sentence()
    assert framework_facts.facts_for("pixelnorm").eps.text() == "ProGAN 1e-8"
    assert framework_facts.facts_for("method1").eps_sentence() == "no framework default"


# ------------------------------------------------------------------------- PyTorch
@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.parametrize("key", KEYS)
def test_pytorch_call_computes_the_method(key, x):
    torch = require_torch()
    entry = framework_facts.facts_for(key)
    assert framework_facts.has_layer(entry.pytorch), key
    scope = {"nn": torch.nn, "torch": torch, "x": torch.from_numpy(x), **names()}
    with torch.no_grad():
        out = eval(entry.pytorch, scope).numpy()  # noqa: S307 (the table's own code)
    eps = entry.eps.pytorch_value(np.float32)
    if key == "pixelnorm":
        eps = 1e-8  # ProGAN's, as the call writes it
    expected = normlib.normalize(x.astype(np.float64), spec_of(key), eps=eps).output
    np.testing.assert_allclose(out, expected, atol=2e-5, err_msg=key)


def _pytorch_layer(key: str, torch, **kwargs):
    """The layer object of a table entry, built with its defaults (or `kwargs`)."""
    n, c, h, w = SHAPE
    nn = torch.nn
    return {
        "method2": lambda: nn.BatchNorm1d(c * h * w, **kwargs),
        "method3": lambda: nn.BatchNorm2d(c, **kwargs),
        "batchnorm": lambda: nn.BatchNorm2d(c, **kwargs),
        "layernorm": lambda: nn.LayerNorm([c, h, w], **kwargs),
        "instancenorm": lambda: nn.InstanceNorm2d(c, **kwargs),
        "groupnorm": lambda: nn.GroupNorm(GROUPS, c, **kwargs),
        "rmsnorm": lambda: nn.RMSNorm([c, h, w], **kwargs),
        "positionnorm": lambda: nn.LayerNorm(c, **kwargs),
    }[key]()


@pytest.mark.torch
@pytest.mark.parametrize("key", [k for k in KEYS if k != "pixelnorm"])
def test_pytorch_parameter_counts_and_default_eps(key):
    torch = require_torch()
    entry = framework_facts.facts_for(key)
    layer = _pytorch_layer(key, torch)
    counted = sum(p.numel() for p in layer.parameters())
    assert counted == entry.affine.default_count(SHAPE), key
    if not entry.affine.default_on:  # InstanceNorm2d: γ/β only with affine=True
        switched_on = _pytorch_layer(key, torch, affine=True)
        assert sum(p.numel() for p in switched_on.parameters()) == entry.affine.count(SHAPE)
    shapes = {tuple(p.shape) for p in (layer.parameters() if entry.affine.default_on else [])}
    per = entry.affine.per_parameter(SHAPE)
    assert all(int(np.prod(s)) == per for s in shapes), (key, shapes)
    if entry.eps.pytorch_dtype_eps:
        assert layer.eps is None  # nn.RMSNorm: None means torch.finfo(dtype).eps
        assert entry.eps.pytorch_value(np.float32) == torch.finfo(torch.float32).eps
    else:
        assert layer.eps == entry.eps.pytorch, key


@pytest.mark.torch
def test_instancenorm_defaults_are_affine_false_and_no_running_stats():
    torch = require_torch()
    layer = torch.nn.InstanceNorm2d(SHAPE[1])
    assert layer.affine is False and layer.track_running_stats is False
    assert not framework_facts.facts_for("instancenorm").affine.default_on


@pytest.mark.torch
def test_groupnorm_limits_have_layernorm_and_instancenorm_statistics(x):
    torch = require_torch()
    n, c, h, w = SHAPE
    t = torch.from_numpy(x)
    with torch.no_grad():
        g1 = torch.nn.GroupNorm(1, c)(t)
        ln = torch.nn.LayerNorm([c, h, w])(t)
        gc = torch.nn.GroupNorm(c, c)(t)
        inst = torch.nn.InstanceNorm2d(c)(t)
    np.testing.assert_allclose(g1.numpy(), ln.numpy(), atol=1e-5)
    np.testing.assert_allclose(gc.numpy(), inst.numpy(), atol=1e-5)
    # ... and their γ/β shapes: GroupNorm(1) per channel vs LayerNorm per element;
    # GroupNorm(C) and InstanceNorm2d(affine=True) both per channel.
    assert framework_facts.facts_for("groupnorm").affine.axes == "C"
    assert framework_facts.facts_for("layernorm").affine.axes == "CHW"
    assert framework_facts.facts_for("instancenorm").affine.axes == "C"


# --------------------------------------------------------------------------- Keras 3
def _keras_scope(keras, x):
    layers = keras.layers
    scope = {
        name: getattr(layers, name)
        for name in (
            "BatchNormalization",
            "LayerNormalization",
            "GroupNormalization",
            "RMSNormalization",
            "Flatten",
            "Reshape",
            "Permute",
            "UnitNormalization",
        )
    }
    return {**scope, "x": x, **names()}


@pytest.mark.torch
@pytest.mark.parametrize(
    "key",
    [
        k
        for k in KEYS
        if framework_facts.has_layer(framework_facts.facts_for(k).keras) and k != "pixelnorm"
    ],
)
@pytest.mark.slow
def test_keras_call_computes_the_method(key, x):
    keras = require_keras()
    entry = framework_facts.facts_for(key)
    out = keras.ops.convert_to_numpy(eval(entry.keras, _keras_scope(keras, x)))  # noqa: S307
    expected = normlib.normalize(x.astype(np.float64), spec_of(key), eps=entry.eps.keras).output
    np.testing.assert_allclose(out, expected, atol=5e-5, err_msg=key)


@pytest.mark.torch
def test_keras_default_eps_and_momentum():
    keras = require_keras()
    layers = keras.layers
    bn_eps = framework_facts.facts_for("method3").eps.keras
    assert layers.BatchNormalization().epsilon == bn_eps
    assert layers.LayerNormalization().epsilon == framework_facts.facts_for("layernorm").eps.keras
    assert layers.GroupNormalization().epsilon == framework_facts.facts_for("groupnorm").eps.keras
    assert layers.RMSNormalization().epsilon == framework_facts.facts_for("rmsnorm").eps.keras
    assert layers.BatchNormalization().momentum == 0.99


@pytest.mark.torch
def test_keras_3_refuses_a_list_axis_for_batchnormalization():
    keras = require_keras()
    with pytest.raises(TypeError):
        keras.layers.BatchNormalization(axis=[1, 2, 3])
    assert "axis=[1, 2, 3]" in framework_facts.facts_for("method2").note  # the page says why not


@pytest.mark.torch
def test_keras_flatten_bn_reshape_is_method2_with_per_activation_parameters(x):
    keras = require_keras()
    n, c, h, w = SHAPE
    layers = keras.layers
    bn = layers.BatchNormalization()
    out = layers.Reshape((c, h, w))(bn(layers.Flatten()(x), training=True))
    expected = normlib.normalize(x.astype(np.float64), normlib.METHODS["method2"], eps=1e-3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), expected.output, atol=5e-5)
    trainable = sum(int(np.prod(v.shape)) for v in bn.trainable_weights)
    assert trainable == framework_facts.facts_for("method2").affine.count(SHAPE)


@pytest.mark.torch
def test_keras_layer_parameter_counts():
    keras = require_keras()
    layers = keras.layers
    n, c, h, w = SHAPE
    x = np.zeros(SHAPE, dtype=np.float32)
    built = {
        "method3": layers.BatchNormalization(axis=1),
        "layernorm": layers.LayerNormalization(axis=[1, 2, 3]),
        "groupnorm": layers.GroupNormalization(groups=GROUPS, axis=1),
        "rmsnorm": layers.RMSNormalization(axis=[1, 2, 3]),
    }
    for key, layer in built.items():
        layer(x)
        trainable = sum(int(np.prod(v.shape)) for v in layer.trainable_weights)
        assert trainable == framework_facts.facts_for(key).affine.count(SHAPE), key


@pytest.mark.torch
def test_keras_moving_variance_tracks_the_biased_variance(x):
    keras = require_keras()
    # momentum 0: the moving statistics become the last batch's, so the variance kind shows.
    bn = keras.layers.BatchNormalization(axis=1, momentum=0.0)
    bn(x, training=True)
    moving = keras.ops.convert_to_numpy(bn.moving_variance)
    x64 = x.astype(np.float64)
    biased = x64.var(axis=(0, 2, 3))
    unbiased = x64.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(moving, biased, rtol=1e-5)
    assert np.all(np.abs(moving - unbiased) > 1e-3 * unbiased)
    # torch's running_var is the unbiased one: with matched momentum they differ by m/(m − 1).
    torch = require_torch()
    layer = torch.nn.BatchNorm2d(SHAPE[1], momentum=1.0)
    layer(torch.from_numpy(x))
    np.testing.assert_allclose(layer.running_var.detach().numpy(), unbiased, rtol=1e-5)


# ------------------------------------------------------- pages read the same table
def test_compare_table_reads_the_facts():
    shape = (8, 3, 32, 32)
    for key in normlib.METHODS:
        row = compare.comparison_row(key, shape)
        assert row.facts is framework_facts.facts_for(key)
    table = compare.framework_table(list(normlib.METHODS), shape)
    assert table["PyTorch"] == [framework_facts.facts_for(k).pytorch for k in normlib.METHODS]
    keras_names = [framework_facts.facts_for(k).keras for k in normlib.METHODS]
    assert table["Keras (channels-first)"] == keras_names


# ------------------------------------------------ refusals: the one table, checked live
DEGENERATE_SHAPES = [
    (n, c, h, w) for n in (1, 2) for c in (1, 2, 6) for h in (1, 2) for w in (1, 3)
]


def _run_torch_layer(torch, key: str, shape, groups: int, training: bool):
    """Build `key`'s PyTorch layer for `shape`, put it in train or eval mode, run it."""
    n, c, h, w = shape
    nn = torch.nn
    x = torch.randn(shape)
    layer, prepare, finish = {
        "method2": (nn.BatchNorm1d(c * h * w), lambda t: t.flatten(1), lambda t: t),
        "method3": (nn.BatchNorm2d(c), lambda t: t, lambda t: t),
        "batchnorm": (nn.BatchNorm2d(c), lambda t: t, lambda t: t),
        "layernorm": (nn.LayerNorm([c, h, w]), lambda t: t, lambda t: t),
        "instancenorm": (nn.InstanceNorm2d(c), lambda t: t, lambda t: t),
        "groupnorm": (nn.GroupNorm(groups, c), lambda t: t, lambda t: t),
        "rmsnorm": (nn.RMSNorm([c, h, w]), lambda t: t, lambda t: t),
        "positionnorm": (nn.LayerNorm(c), lambda t: t.permute(0, 2, 3, 1), lambda t: t),
    }[key]
    layer.train(training)
    with torch.no_grad():
        finish(layer(prepare(x)))


@pytest.mark.torch
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("key", [k for k in KEYS if k != "pixelnorm"])
def test_refusal_table_is_what_torch_refuses_on_every_degenerate_shape(key, training):
    """Issue 25.4: one table says which inputs each method's layer refuses, and it is torch's."""
    torch = require_torch()
    for shape in DEGENERATE_SHAPES:
        for groups in [g for g in range(1, shape[1] + 1) if shape[1] % g == 0]:
            if key != "groupnorm" and groups > 1:
                continue
            said = framework_facts.torch_refusal(key, shape, groups, training)
            try:
                _run_torch_layer(torch, key, shape, groups, training)
                refused = ""
            except ValueError as error:
                refused = str(error)
            assert bool(said) == bool(refused), (key, shape, groups, training, said, refused)
            if refused:
                assert framework_facts.REFUSALS[key].message in refused


@pytest.mark.torch
def test_keras_unit_normalization_times_root_c_is_pixelnorm(x):
    """Issue 25.5: PixelNorm has a Keras layer, up to the factor √C."""
    keras = require_keras()
    entry = framework_facts.facts_for("pixelnorm")
    assert framework_facts.has_layer(entry.keras) and "√C" in entry.note
    out = keras.ops.convert_to_numpy(eval(entry.keras, _keras_scope(keras, x)))  # noqa: S307
    expected = normlib.normalize(x.astype(np.float64), spec_of("pixelnorm"), eps=1e-8).output
    np.testing.assert_allclose(out, expected, atol=2e-6)
    plain = keras.ops.convert_to_numpy(keras.layers.UnitNormalization(axis=1)(x))
    np.testing.assert_allclose(plain * np.sqrt(SHAPE[1]), expected, atol=2e-6)


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(1, 6, 1, 1), (2, 6, 1, 1), (1, 6, 2, 2), (2, 3, 4, 4)])
def test_compare_table_says_what_torch_does_in_training(shape):
    """Issue 25.4: /compare called InstanceNorm 'yes (by default)' at H·W = 1, where
    nn.InstanceNorm2d raises; the table's column now says what each layer does, live."""
    from normapp.links import params

    torch = require_torch()
    table = compare.comparison_table(KEYS, shape)
    column = table["PyTorch's layer in training, on this input"]
    for key, said in zip(KEYS, column, strict=True):
        if key == "pixelnorm":
            assert said == "runs"
            continue
        groups = params.default_groups(shape[1]) if key == "groupnorm" else 1
        try:
            _run_torch_layer(torch, key, shape, groups, training=True)
            assert said == "runs", (key, shape, said)
        except ValueError:
            assert said.startswith("refuses ("), (key, shape, said)
