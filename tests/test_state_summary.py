"""URL parameters (normapp.links.params) and the Explorer's words, tables, after-check and element
walk-through (normapp.explorer.set_description, presets, set_statistics, downloads, after_check,
element_walkthrough).
"""

import numpy as np
import pytest

import normlib
from normapp import inputs
from normapp.explorer import (
    after_check,
    downloads,
    element_walkthrough,
    presets,
    set_description,
    set_statistics,
)
from normapp.links import bound, input_controls
from normapp.links import params as state
from normlib import NormSpec
from tests.conftest import require_torch, shown

pytestmark = pytest.mark.torch  # checks against live PyTorch or Keras


# ------------------------------------------------------------------ state
def test_shape_parses_and_caps_say_why():
    assert state.parse_shape("4x6x10x12") == (4, 6, 10, 12)
    assert state.parse_shape("4×6×10×12") == (4, 6, 10, 12)
    with pytest.raises(ValueError, match="N = 65 is above the cap of 64"):
        state.parse_shape("65x3x8x8")
    with pytest.raises(ValueError, match="2\\^24"):
        state.parse_shape("64x64x256x256")
    with pytest.raises(ValueError, match="N x C x H x W"):
        state.parse_shape("4x6x10")
    with pytest.raises(ValueError, match="whole numbers"):
        state.parse_shape("4x6xtenx12")
    with pytest.raises(ValueError, match="at least 1"):
        state.parse_shape("0x6x10x12")


def test_bad_parameters_fall_back_with_a_message_and_good_ones_are_kept():
    values, messages = bound.parse_params(
        {"source": "random", "shape": "4x6x10x12", "seed": "-3", "dist": "cauchy"},
        [row.param for row in input_controls.TABLE],
    )
    assert values["source"] == "random"
    assert values["shape"] == (4, 6, 10, 12)
    assert values["seed"] == 0 and values["dist"] == "normal"
    assert len(messages) == 2
    assert any("seed=-3" in shown(m) and "from 0 to" in m for m in messages)
    assert any("dist=cauchy" in m and "lognormal" in m for m in messages)


def test_norm_parameters_round_trip_through_the_url():
    values = {"axes": "CHW", "groups": 2, "eps": 0.001, "center": False, "gamma": 1.5, "beta": -0.5}
    query = {p.name: p.format(values[p.name]) for p in state.NORM_PARAMS}
    assert query == {
        "axes": "CHW",
        "groups": "2",
        "eps": "0.001",
        "center": "false",
        "gamma": "1.5",
        "beta": "-0.5",
    }
    parsed, messages = bound.parse_params(query, state.NORM_PARAMS)
    assert parsed == values and messages == []


def test_axes_typos_are_reported_with_the_fix():
    values, messages = bound.parse_params({"axes": "NHX"}, state.NORM_PARAMS)
    assert values["axes"] == "NHW"
    assert "unknown axis 'X'" in shown(messages[0])
    assert bound.parse_params({"axes": "whn"}, state.NORM_PARAMS)[0]["axes"] == "NHW"


def test_element_parameter():
    assert state.parse_element("1,2,3,4") == (1, 2, 3, 4)
    assert state.format_element((1, 2, 3, 4)) == "1,2,3,4"
    for bad in ("1,2,3", "a,b,c,d", "1,2,-3,4"):
        with pytest.raises(ValueError, match="pick"):
            state.parse_element(bad)


def test_group_counts_are_repaired_to_a_divisor():
    assert state.divisors(6) == [1, 2, 3, 6]
    assert state.nearest_divisor(6, 4) in (3, 6)
    assert state.nearest_divisor(8, 4) == 4
    assert state.nearest_divisor(3, 64) == 3


def test_default_groups():
    assert state.default_groups(8) == 2
    assert state.default_groups(3) == 3  # RGB: only 1 or 3 divide; 3 is InstanceNorm's sets
    assert state.default_groups(9) == 3


# ----------------------------------------------------------------- inputs
def test_sample_batches_beyond_the_bundle_are_named_variants():
    loaded = inputs.load_samples(24, 16)
    assert loaded.x.shape == (24, 3, 16, 16) and loaded.x.dtype == np.float32
    names = normlib.sample_names(inputs.SAMPLES_DIR)
    assert loaded.sample_labels[: len(names)] == tuple(names)
    assert loaded.sample_labels[len(names)] == f"{names[0]} (mirrored)"
    np.testing.assert_array_equal(loaded.x[len(names)], loaded.x[0][:, :, ::-1])
    assert loaded.key == ("samples", 24, 16)


def test_a_bad_upload_becomes_a_message_not_an_exception():
    outcome = inputs.decode_upload("notes.png", b"just some text\n", 16)
    assert outcome.image is None and "notes.png" in outcome.error
    assert inputs.uploads_input([outcome], 16) is None


# ------------------------------------------------- the Explorer's words and tables
SHAPE = (4, 6, 10, 12)


@pytest.mark.parametrize(
    ("axes", "groups", "text"),
    [
        ("NHW", 1, "6 sets × 480 elements per set"),
        ("N", 1, "720 sets × 4 elements per set"),
        ("NC", 1, "120 sets × 24 elements per set"),
        ("CHW", 1, "4 sets × 720 elements per set"),
        ("HW", 1, "24 sets × 120 elements per set"),
        ("CHW", 3, "12 sets × 240 elements per set"),
        ("NCHW", 1, "1 set × 2,880 elements per set"),
        ("", 1, "2,880 sets × 1 element per set"),
    ],
)
def test_headline_counts_by_hand(axes, groups, text):
    assert set_description.headline(NormSpec(axes, groups=groups), SHAPE) == text


def test_one_statistic_per_names_the_kept_index():
    assert (
        set_description.one_statistic_per(NormSpec("NHW")) == "one mean and variance per channel c"
    )
    assert set_description.one_statistic_per(NormSpec("CHW", groups=2)) == (
        "one mean and variance per sample n, group g of C/G channels"
    )
    assert (
        set_description.one_statistic_per(NormSpec("NC"))
        == "one mean and variance per pixel (h, w)"
    )
    assert set_description.one_statistic_per(NormSpec("C", center=False)) == (
        "one mean square per sample n, pixel (h, w)"
    )


def test_affine_parameters_count_what_torch_layers_learn():
    torch = require_torch()
    n, c, h, w = SHAPE
    layers = {
        NormSpec("NHW"): torch.nn.BatchNorm2d(c),
        NormSpec("N"): torch.nn.BatchNorm1d(c * h * w),  # Method 2: per activation
        NormSpec("CHW"): torch.nn.LayerNorm([c, h, w]),
        NormSpec("CHW", groups=3): torch.nn.GroupNorm(3, c),
        NormSpec("HW"): torch.nn.InstanceNorm2d(c, affine=True),
        NormSpec("CHW", center=False): torch.nn.RMSNorm([c, h, w]),
        NormSpec("C"): torch.nn.LayerNorm(c),  # PositionNorm: LayerNorm(C) channels-last
    }
    for spec, layer in layers.items():
        learned = sum(p.numel() for p in layer.parameters())
        assert presets.affine_parameters(spec, SHAPE).count == learned, spec
    # The old claim "2·C, per channel, as in BatchNorm2d" for Method 2 is gone.
    assert presets.affine_parameters(NormSpec("N"), SHAPE).formula == "2·C·H·W"
    assert presets.affine_parameters(NormSpec("C", center=False), SHAPE).count == 0  # PixelNorm
    assert "affine=False" in presets.affine_parameters(NormSpec("HW"), SHAPE).note


def test_hypothetical_and_unnamed_specs_claim_no_count():
    for spec in (NormSpec("NC"), NormSpec("NH"), NormSpec("")):
        params = presets.affine_parameters(spec, SHAPE)
        assert params.count is None and "no" in params.note, spec
    assert "hypothetical" in presets.affine_parameters(NormSpec("NC"), SHAPE).note


def test_eps_help_is_per_method():
    torch = require_torch()
    assert torch.nn.BatchNorm2d(3).eps == 1e-5 and torch.nn.LayerNorm(3).eps == 1e-5
    assert torch.nn.RMSNorm(3).eps is None  # torch.finfo(dtype).eps
    bn = presets.eps_help(NormSpec("NHW"), "batchnorm")
    assert "the variance" in bn and "PyTorch 1e-5, Keras 1e-3" in bn
    rms = presets.eps_help(NormSpec("CHW", center=False), "rmsnorm")
    assert "the mean square" in rms and "torch.finfo" in rms and "Keras 1e-6" in rms
    assert "1e-3" not in rms
    pixel = presets.eps_help(NormSpec("C", center=False), "pixelnorm")
    assert "the mean square" in pixel and "ProGAN 1e-8" in pixel
    assert "no framework default" in presets.eps_help(NormSpec("NH"), None)


def test_matching_preset_prefers_the_current_one():
    assert presets.matching_preset(NormSpec("NHW")) == "method3"
    assert presets.matching_preset(NormSpec("NHW"), "batchnorm") == "batchnorm"
    assert presets.matching_preset(NormSpec("CHW", groups=3), "layernorm") == "groupnorm"
    assert presets.matching_preset(NormSpec("NH")) is None


@pytest.mark.parametrize(
    "spec",
    [
        NormSpec("NHW"),
        NormSpec("CHW", groups=3),
        NormSpec("N"),
        NormSpec(""),
        NormSpec("NCHW"),
        NormSpec("W", center=False),
    ],
)
def test_element_set_agrees_with_set_ids(spec):
    ids = normlib.set_ids(SHAPE, spec)
    for element in [(0, 0, 0, 0), (3, 5, 9, 11), (1, 4, 2, 7)]:
        set_id, words = set_description.element_set(spec, SHAPE, element)
        assert set_id == ids[element]
        assert words


def test_statistics_table_and_csv_agree_with_a_direct_computation():
    x = np.random.default_rng(3).normal(size=SHAPE)
    result = normlib.normalize(x, NormSpec("CHW", groups=3))
    table = set_statistics.statistics_table(result)
    assert list(table) == ["set", "n", "g", "elements", "mean", "variance"]
    # set 5 is sample n=2, group g=2: channels 4 and 5.
    assert table["n"][7] == 2 and table["g"][7] == 1
    block = x[2, 2:4]
    assert table["mean"][7] == pytest.approx(block.mean())
    assert table["variance"][7] == pytest.approx(block.var())
    csv = downloads.statistics_csv(result).splitlines()
    assert csv[0] == "set,n,g,elements,mean,variance"
    assert len(csv) == 1 + 12
    assert float(csv[8].split(",")[4]) == pytest.approx(block.mean(), rel=1e-12)


def brute_force_groups(shape, axes: str, groups: int = 1) -> np.ndarray:
    """Each element's set number, by grouping its kept coordinates in plain Python."""
    n, c, h, w = shape
    numbers: dict[tuple, int] = {}
    out = np.empty(shape, dtype=np.int64)
    for index in np.ndindex(*shape):
        key = tuple(
            i // (c // groups) if axis == "C" and "C" in axes else i
            for axis, i in zip("NCHW", index, strict=True)
            if axis not in axes or (axis == "C" and groups > 1)
        )
        out[index] = numbers.setdefault(key, len(numbers))
    return out


def test_after_check_measures_mean_zero_and_the_shrunk_variance():
    x = np.random.default_rng(4).normal(3.0, 0.01, size=SHAPE)  # tiny variance: eps matters
    result = normlib.normalize(x, "batchnorm", gamma=np.full(6, 2.0), beta=np.full(6, 1.0))
    check = after_check.after_check(result, gamma=2.0, beta=1.0)
    assert check.checked and check.holds and check.worst_mean < 1e-6
    assert check.worst_error < 1e-6
    variance = x.transpose(1, 0, 2, 3).reshape(6, -1).var(axis=1)  # per channel, biased
    shortfall = 1e-5 / (variance + 1e-5)
    assert check.shortfall_low == pytest.approx(shortfall.min(), rel=1e-4)
    assert check.shortfall_high == pytest.approx(shortfall.max(), rel=1e-4)
    text = after_check.after_check_text(check)
    assert f"from {shortfall.min():.1e} to {shortfall.max():.1e}" in text
    assert not after_check.after_check(result, gamma=0.0).checked


def test_after_check_on_one_element_sets_says_output_zero_not_just_below_one():
    # No axes, and 1x2x1x1 under BatchNorm: every set has one element (issue 7 item 7).
    for x, spec in (
        (np.random.default_rng(1).normal(size=SHAPE).astype(np.float32), ""),
        (np.array([[[[0.5]], [[2.0]]]], dtype=np.float32), "batchnorm"),
    ):
        check = after_check.after_check(normlib.normalize(x, spec))
        text = after_check.after_check_text(check)
        assert check.holds and check.n_zero == check.n_sets == x.size
        assert "just below 1" not in text and "0.000000" not in text
        assert "Every set has σ² = 0" in text and "one element" in text


def test_after_check_at_eps_zero_states_what_the_output_is():
    x = np.random.default_rng(2).normal(size=SHAPE).astype(np.float32)
    x[1, 2] = 0.25  # one constant channel of sample 1: InstanceNorm's set (1, 2)
    result = normlib.normalize(x, "instancenorm", eps=0.0)
    check = after_check.after_check(result)
    text = after_check.after_check_text(check)
    assert "At eps = 0 that is exactly 1" in text and "1.000000" not in text
    assert check.n_zero == 1
    constant = result.output[1, 2]
    if np.isnan(constant).all():
        assert not check.holds and "NaN" in text
    else:  # a constant set comes out as 0 (as F.instance_norm gives)
        assert np.all(constant == 0) and check.holds and "the output there is β" in text


def test_after_check_for_rms_specs_reports_the_mean_square_not_a_mean():
    torch = require_torch()
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, size=SHAPE).astype(np.float32)
    x[0, :, :2, :3] = 0.0  # six black pixels: PixelNorm's set is one pixel's channels
    for key in ("pixelnorm", "rmsnorm"):
        result = normlib.normalize(x, key)
        check = after_check.after_check(result)
        text = after_check.after_check_text(check)
        assert check.holds and check.worst_mean is None
        assert "mean ≈ 0" not in text and "mean square ms/(ms + eps)" in text
        # Expected values from torch: output mean square per set = ms/(ms + eps).
        t = torch.from_numpy(x.astype(np.float64))
        dims = (1,) if key == "pixelnorm" else (1, 2, 3)
        ms = (t**2).mean(dim=dims, keepdim=True)
        out_ms = ((t / torch.sqrt(ms + 1e-5)) ** 2).mean(dim=dims, keepdim=True)
        # What the check states, from torch: out_ms = ms/(ms + eps), 0 where ms = 0.
        torch.testing.assert_close(out_ms, ms / (ms + 1e-5))
        shortfall = 1e-5 / (ms[ms > 0] + 1e-5)
        assert check.shortfall_low == pytest.approx(float(shortfall.min()), rel=1e-3)
        assert check.shortfall_high == pytest.approx(float(shortfall.max()), rel=1e-3)
    pixel = after_check.after_check(normlib.normalize(x, "pixelnorm"))
    assert pixel.n_zero == 6  # the black pixels give 0, not "just below 1"
    assert "6 sets have ms = 0 (all its values are 0)" in after_check.after_check_text(pixel)


def test_eps_zero_note_tells_what_torch_does():
    torch = require_torch()
    F = torch.nn.functional
    constant = torch.full((2, 3, 4, 4), 0.25)
    with pytest.raises(ValueError, match="eps"):
        F.batch_norm(constant, None, None, training=True, eps=0.0)
    assert torch.all(F.instance_norm(constant, eps=0.0) == 0)
    assert torch.isnan(F.layer_norm(constant, (3, 4, 4), eps=0.0)).all()
    assert torch.isnan(F.group_norm(constant, 3, eps=0.0)).all()
    result = normlib.normalize(constant.numpy(), "instancenorm", eps=0.0)
    note = after_check.eps_zero_note(result)
    assert "refuses eps = 0 in training" in note
    assert (
        "F.instance_norm returns 0" in note and "F.layer_norm and F.group_norm return NaN" in note
    )
    assert "exactly as in PyTorch" not in note
    value = result.output.reshape(-1)[0]
    assert ("NaN" in note) if np.isnan(value) else (f"output here is {value:g}" in note)
    assert after_check.eps_zero_note(normlib.normalize(constant.numpy(), "instancenorm")) is None


@pytest.mark.parametrize("key", ["batchnorm", "layernorm", "groupnorm", "instancenorm",
                                 "method2", "rmsnorm", "pixelnorm"])  # fmt: skip
def test_element_arithmetic_matches_torch(key):
    torch = require_torch()
    F = torch.nn.functional
    shape = (4, 6, 5, 7)
    x = np.random.default_rng(6).normal(2.0, 1.5, size=shape).astype(np.float32)
    gamma, beta, eps = 1.5, -0.5, 1e-3
    t = torch.from_numpy(x)
    spec = normlib.NormSpec("CHW", groups=2) if key == "groupnorm" else normlib.METHODS[key]
    c = shape[1]
    weight, bias = torch.full((c,), gamma), torch.full((c,), beta)
    reference = {
        "batchnorm": lambda: F.batch_norm(t, None, None, weight, bias, True, 0.1, eps),
        "layernorm": lambda: F.layer_norm(t, shape[1:], eps=eps) * gamma + beta,
        "groupnorm": lambda: F.group_norm(t, 2, weight, bias, eps),
        "instancenorm": lambda: F.instance_norm(t, weight=weight, bias=bias, eps=eps),
        "method2": lambda: F.batch_norm(
            t.flatten(1),
            None,
            None,
            weight.repeat_interleave(35),
            bias.repeat_interleave(35),
            True,
            0.1,
            eps,
        ).reshape(shape),
        "rmsnorm": lambda: F.rms_norm(t, shape[1:], eps=eps) * gamma + beta,
        "pixelnorm": lambda: t / torch.sqrt((t**2).mean(1, keepdim=True) + eps) * gamma + beta,
    }[key]()
    result = normlib.normalize(
        x, spec, eps=eps, gamma=np.full(c, gamma, np.float32), beta=np.full(c, beta, np.float32)
    )
    ids = brute_force_groups(shape, spec.axes, spec.groups)
    for element in [(0, 0, 0, 0), (3, 5, 4, 6), (2, 3, 1, 5)]:
        a = element_walkthrough.element_arithmetic(x, result, element, gamma, beta)
        members = x[ids == ids[element]].astype(np.float64)
        assert a.count == members.size
        if spec.center:
            assert a.mean == pytest.approx(members.mean(), rel=1e-5, abs=1e-6)
            assert a.stat == pytest.approx(members.var(), rel=1e-5)  # biased
        else:
            assert a.mean is None
            assert a.stat == pytest.approx((members**2).mean(), rel=1e-5)
        assert a.root == pytest.approx(np.sqrt(a.stat + eps))
        assert a.output == pytest.approx(float(reference[element]), rel=1e-4, abs=1e-5)
        latex = element_walkthrough.element_arithmetic_latex(a)
        assert f"{a.x:.6g}" in latex and f"{a.output:.6g}" in latex
        assert ("\\mu" in latex) == spec.center and ("mathrm{ms}" in latex) != spec.center


def test_statistics_npz_has_every_set():
    import io

    x = np.random.default_rng(7).normal(size=SHAPE).astype(np.float32)
    result = normlib.normalize(x, "")
    arrays = np.load(io.BytesIO(downloads.statistics_npz(result)))
    np.testing.assert_array_equal(arrays["mean"].reshape(SHAPE), x)
    assert np.all(arrays["var"] == 0)


def test_stats_grid_lays_out_kept_coordinates():
    result = normlib.normalize(np.random.default_rng(5).normal(size=SHAPE), "instancenorm")
    grid = set_statistics.stats_grid(result)
    assert grid.means.shape == (4, 6) and (grid.row_label, grid.col_label) == ("n", "c")
    np.testing.assert_allclose(grid.means, result.mean[:, :, 0, 0])


def test_npy_download_round_trips():
    import io

    x = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    assert np.array_equal(np.load(io.BytesIO(downloads.tensor_npy(x))), x)
