"""URL parameters (explorer.state) and the Explorer's words and tables (explorer.summary)."""

import numpy as np
import pytest

import normlib
from explorer import inputs, state, summary
from normlib import NormSpec
from tests.conftest import shown


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
    values, messages = state.parse_params(
        {"source": "random", "shape": "4x6x10x12", "seed": "-3", "dist": "cauchy"},
        state.INPUT_PARAMS,
    )
    assert values["source"] == "random"
    assert values["shape"] == (4, 6, 10, 12)
    assert values["seed"] == 0 and values["dist"] == "normal"
    assert len(messages) == 2
    assert any("seed=-3" in shown(m) and "from 0 to" in m for m in messages)
    assert any("dist=cauchy" in m and "lognormal" in m for m in messages)


def test_norm_parameters_round_trip_through_the_url():
    values = {"axes": "CHW", "groups": 2, "eps": 0.001, "center": False, "gamma": 1.5, "beta": -0.5}
    query = state.format_params(values, state.NORM_PARAMS)
    assert query == {
        "axes": "CHW",
        "groups": "2",
        "eps": "0.001",
        "center": "0",
        "gamma": "1.5",
        "beta": "-0.5",
    }
    parsed, messages = state.parse_params(query, state.NORM_PARAMS)
    assert parsed == values and messages == []


def test_axes_typos_are_reported_with_the_fix():
    values, messages = state.parse_params({"axes": "NHX"}, state.NORM_PARAMS)
    assert values["axes"] == "NHW"
    assert "unknown axis 'X'" in shown(messages[0])
    assert state.parse_params({"axes": "whn"}, state.NORM_PARAMS)[0]["axes"] == "NHW"


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
    names = normlib.sample_names()
    assert loaded.sample_labels[: len(names)] == tuple(names)
    assert loaded.sample_labels[len(names)] == f"{names[0]} (mirrored)"
    np.testing.assert_array_equal(loaded.x[len(names)], loaded.x[0][:, :, ::-1])
    assert loaded.key == ("samples", 24, 16)


def test_a_bad_upload_becomes_a_message_not_an_exception():
    outcome = inputs.decode_upload("notes.png", b"just some text\n", 16)
    assert outcome.image is None and "notes.png" in outcome.error
    assert inputs.uploads_input([outcome], 16) is None


# ---------------------------------------------------------------- summary
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
    assert summary.headline(NormSpec(axes, groups=groups), SHAPE) == text


def test_one_statistic_per_names_the_kept_index():
    assert summary.one_statistic_per(NormSpec("NHW")) == "one mean and variance per channel c"
    assert summary.one_statistic_per(NormSpec("CHW", groups=2)) == (
        "one mean and variance per sample n, group g of C/G channels"
    )
    assert summary.one_statistic_per(NormSpec("NC")) == "one mean and variance per pixel (h, w)"
    assert summary.one_statistic_per(NormSpec("C", center=False)) == (
        "one mean square per sample n, pixel (h, w)"
    )


def test_affine_parameters_follow_pytorch():
    assert summary.affine_parameters(NormSpec("NHW"), SHAPE).count == 12
    assert summary.affine_parameters(NormSpec("CHW"), SHAPE).count == 2 * 6 * 10 * 12
    assert summary.affine_parameters(NormSpec("CHW", center=False), SHAPE).count == 6 * 10 * 12
    assert summary.affine_parameters(NormSpec("C", center=False), SHAPE).count == 0
    assert "affine=False" in summary.affine_parameters(NormSpec("HW"), SHAPE).note


def test_matching_preset_prefers_the_current_one():
    assert summary.matching_preset(NormSpec("NHW")) == "method3"
    assert summary.matching_preset(NormSpec("NHW"), "batchnorm") == "batchnorm"
    assert summary.matching_preset(NormSpec("CHW", groups=3), "layernorm") == "groupnorm"
    assert summary.matching_preset(NormSpec("NH")) is None


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
        set_id, words = summary.element_set(spec, SHAPE, element)
        assert set_id == ids[element]
        assert words


def test_statistics_table_and_csv_agree_with_a_direct_computation():
    x = np.random.default_rng(3).normal(size=SHAPE)
    result = normlib.normalize(x, NormSpec("CHW", groups=3))
    table = summary.statistics_table(result)
    assert list(table) == ["set", "n", "g", "elements", "mean", "variance"]
    # set 5 is sample n=2, group g=2: channels 4 and 5.
    assert table["n"][7] == 2 and table["g"][7] == 1
    block = x[2, 2:4]
    assert table["mean"][7] == pytest.approx(block.mean())
    assert table["variance"][7] == pytest.approx(block.var())
    csv = summary.statistics_csv(result).splitlines()
    assert csv[0] == "set,n,g,elements,mean,variance"
    assert len(csv) == 1 + 12
    assert float(csv[8].split(",")[4]) == pytest.approx(block.mean(), rel=1e-12)


def test_after_check_measures_mean_zero_and_var_below_one():
    x = np.random.default_rng(4).normal(3.0, 0.01, size=SHAPE)  # tiny variance: eps matters
    result = normlib.normalize(x, "batchnorm", gamma=np.full(6, 2.0), beta=np.full(6, 1.0))
    check = summary.after_check(result, gamma=2.0, beta=1.0)
    assert check.checked and check.worst_mean < 1e-10 and check.worst_var_error < 1e-10
    assert 0.5 < check.expected_var_low < 0.95  # var 1e-4 against eps 1e-5
    assert not summary.after_check(result, gamma=0.0).checked


def test_stats_grid_lays_out_kept_coordinates():
    result = normlib.normalize(np.random.default_rng(5).normal(size=SHAPE), "instancenorm")
    grid = summary.stats_grid(result)
    assert grid.means.shape == (4, 6) and (grid.row_label, grid.col_label) == ("n", "c")
    np.testing.assert_allclose(grid.means, result.mean[:, :, 0, 0])


def test_npy_download_round_trips():
    import io

    x = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    assert np.array_equal(np.load(io.BytesIO(summary.tensor_npy(x))), x)
