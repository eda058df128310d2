"""Pure logic of the Compare and Batch-dependence pages: table facts, batches, movements."""

from __future__ import annotations

import numpy as np
import pytest

import normlib
from explorer import comparison as cmp
from explorer import inputs, state
from tests.conftest import shown

IMAGES = (8, 3, 32, 32)
FEATURES = (8, 8, 32, 32)


# ------------------------------------------------------------ URL parameters
def test_parse_methods_keeps_order_and_drops_repeats():
    assert cmp.parse_methods("method1, LayerNorm,method1") == ("method1", "layernorm")
    assert cmp.format_methods(("method1", "batchnorm")) == "method1,batchnorm"


@pytest.mark.parametrize("text", ["", " , ", "method1,batchnrom", "foo"])
def test_parse_methods_refuses_unknown_keys_and_names_them(text):
    with pytest.raises(ValueError) as info:
        cmp.parse_methods(text)
    assert "method1" in str(info.value)  # lists the valid keys


def test_bad_methods_parameter_falls_back_with_a_message():
    values, messages = state.parse_params({"methods": "method9"}, cmp.COMPARE_PARAMS)
    assert values["methods"] == cmp.DEFAULT_METHODS
    assert len(messages) == 1 and "'method9'" in shown(messages[0])


@pytest.mark.parametrize(
    ("name", "raw"),
    [("sample", "-1"), ("batch", "0"), ("batch", "65"), ("mates", "cats"), ("shuffle", "x")],
)
def test_bad_batch_parameters_fall_back_with_a_message(name, raw):
    values, messages = state.parse_params({name: raw}, cmp.BATCH_PARAMS)
    default = next(p.default for p in cmp.BATCH_PARAMS if p.name == name)
    assert values[name] == default
    assert len(messages) == 1 and name in messages[0]


# ------------------------------------------------------------- the table
def test_every_preset_has_a_row_and_a_framework_entry():
    for key in normlib.METHODS:
        row = cmp.comparison_row(key, FEATURES)
        assert row.sets * row.elements == np.prod(FEATURES)
        assert key in cmp.FRAMEWORKS


def test_batch_dependence_and_train_eval_are_derived_from_n_in_the_axes():
    for key in normlib.METHODS:
        spec = cmp.method_spec(key, 8)
        row = cmp.comparison_row(key, FEATURES)
        assert row.depends_on_batch == ("N" in spec.axes)
        assert row.same_train_eval == ("N" not in spec.axes)
    table = cmp.comparison_table(cmp.DEFAULT_METHODS, IMAGES)
    assert table["depends on the batch"] == ["yes", "yes", "yes", "no", "no", "no"]
    code = cmp.framework_table(cmp.DEFAULT_METHODS, IMAGES)
    assert code["method"] == table["method"] and len(code["PyTorch"]) == 6
    assert [t.split()[0] for t in table["same in train and eval"]] == [
        "no",
        "no",
        "no",
        "yes",
        "yes",
        "yes",
    ]


def test_sets_and_elements_match_normlib_on_images():
    table = cmp.comparison_table(cmp.DEFAULT_METHODS, IMAGES)
    x = inputs.load_samples(8, 32).x
    for key, sets, count in zip(
        cmp.DEFAULT_METHODS, table["sets"], table["elements per set"], strict=True
    ):
        result = normlib.normalize(x, cmp.method_spec(key, 3))
        assert (sets, count) == (result.n_sets, result.count)
    # The question's numbers: Method 1 H·W sets of N·C, Method 2 C·H·W of N, Method 3 C of N·H·W.
    assert table["sets"][:3] == [32 * 32, 3 * 32 * 32, 3]
    assert table["elements per set"][:3] == [8 * 3, 8, 8 * 32 * 32]


def test_affine_counts_follow_the_framework_layers():
    c, h, w = 8, 32, 32
    counts = {k: cmp.comparison_row(k, FEATURES).affine.count for k in normlib.METHODS}
    assert counts["batchnorm"] == counts["method3"] == 2 * c
    assert counts["method2"] == 2 * c * h * w  # nn.BatchNorm1d(C·H·W) / Keras axis=[1,2,3]
    assert counts["method1"] == 2 * h * w
    assert counts["layernorm"] == 2 * c * h * w
    assert counts["instancenorm"] == counts["groupnorm"] == 2 * c
    assert counts["rmsnorm"] == c * h * w
    assert counts["pixelnorm"] == 0
    assert "hypothetical" in cmp.comparison_row("method1", FEATURES).affine.note
    assert "affine=False" in cmp.comparison_row("instancenorm", FEATURES).affine.note


def test_framework_calls_state_the_facts():
    f = cmp.FRAMEWORKS
    assert f["batchnorm"].pytorch == "nn.BatchNorm2d(C)"
    assert f["batchnorm"].keras == "BatchNormalization(axis=1)"
    assert "nn.BatchNorm1d(C·H·W) on x.flatten(1)" in f["method2"].pytorch
    assert f["method2"].pytorch.startswith("none")
    assert f["method2"].keras == "BatchNormalization(axis=[1, 2, 3])"
    assert f["layernorm"].keras == "LayerNormalization(axis=[1, 2, 3])"
    assert f["instancenorm"].keras.startswith("none built in")
    assert f["groupnorm"].pytorch == "nn.GroupNorm(G, C)"
    assert (f["method1"].pytorch, f["method1"].keras) == ("none", "none")
    assert (f["pixelnorm"].pytorch, f["pixelnorm"].keras) == ("none", "none")


def test_groupnorm_uses_a_divisor_of_c_and_says_when_it_is_instancenorm():
    assert cmp.method_spec("groupnorm", 8).groups == 2
    assert cmp.method_label("groupnorm", 8) == "GroupNorm(2)"
    assert cmp.groupnorm_note(8) is None
    spec = cmp.method_spec("groupnorm", 3)
    assert spec.groups == 3
    assert spec.n_sets(IMAGES) == normlib.METHODS["instancenorm"].n_sets(IMAGES)
    assert "InstanceNorm" in cmp.groupnorm_note(3)
    assert cmp.reduced_axes_text(cmp.method_spec("groupnorm", 8), 8) == "C in 2 groups of 4, H, W"
    assert "no centering" in cmp.reduced_axes_text(normlib.METHODS["rmsnorm"], 8)


def test_clamp_element():
    assert cmp.clamp_element((9, 5, 1, 40), IMAGES) == ((7, 2, 1, 31), True)
    assert cmp.clamp_element((1, 2, 3, 4), IMAGES) == ((1, 2, 3, 4), False)


# ------------------------------------------------------------ batch dependence
@pytest.fixture(scope="module")
def samples():
    return inputs.load_samples(8, 16)


def test_build_batch_puts_the_sample_first_and_draws_other_images(samples):
    batch = cmp.build_batch(samples.x, samples.sample_labels, 2, 6, "images", 5)
    assert batch.x.shape == (6, 3, 16, 16) and batch.x.dtype == np.float64
    assert np.array_equal(batch.x[0], samples.x[2])
    assert batch.labels[0].endswith("(the sample)")
    assert samples.sample_labels[2] not in batch.labels[1:]  # mates are OTHER images
    again = cmp.build_batch(samples.x, samples.sample_labels, 2, 6, "images", 5)
    assert np.array_equal(batch.x, again.x)  # the seed decides
    other = cmp.build_batch(samples.x, samples.sample_labels, 2, 6, "images", 6)
    assert not np.array_equal(batch.x, other.x)


def test_noise_mates_and_the_single_image_fallback(samples):
    batch = cmp.build_batch(samples.x, samples.sample_labels, 0, 4, "noise", 0)
    assert batch.labels[1:] == ("noise 1", "noise 2", "noise 3") and batch.mates == "noise"
    one = cmp.build_batch(samples.x[:1], samples.sample_labels[:1], 0, 3, "images", 0)
    assert one.mates == "noise" and "single image" in one.message


def test_batch_methods_move_and_per_sample_methods_do_not_move_at_all(samples):
    for size in (1, 3, 64):
        batch = cmp.build_batch(samples.x, samples.sample_labels, 1, size, "images", 2)
        moves = {m.key: m for m in cmp.batch_movement(samples.x, 1, batch)}
        for key in ("batchnorm", "method1", "method2"):
            assert moves[key].max_abs > 0.01, (size, key)
        for key in ("layernorm", "instancenorm", "groupnorm"):
            assert moves[key].max_abs == 0.0, (size, key)
            assert cmp.movement_text(moves[key]) == "max |Δ| = 0 (does not depend on the batch)"


def test_movements_agree_with_normlib(samples):
    batch = cmp.build_batch(samples.x, samples.sample_labels, 3, 5, "noise", 7)
    for move in cmp.batch_movement(samples.x, 3, batch):
        ref = normlib.normalize(samples.x.astype(np.float64), move.spec).output[3]
        out = normlib.normalize(batch.x, move.spec).output[0]
        np.testing.assert_allclose(move.reference, ref, atol=1e-12)
        np.testing.assert_allclose(move.output, out, atol=1e-12)
        assert move.max_abs == pytest.approx(np.abs(out - ref).max(), abs=1e-12)


def test_batch_of_one_facts(samples):
    batch = cmp.build_batch(samples.x, samples.sample_labels, 0, 1, "images", 0)
    moves = {m.key: m for m in cmp.batch_movement(samples.x, 0, batch)}
    assert np.all(moves["method2"].output == 0.0)  # variance 0 → output = β = 0
    alone = samples.x[:1].astype(np.float64)
    np.testing.assert_allclose(  # BatchNorm with N = 1 has InstanceNorm's statistics
        moves["batchnorm"].output, normlib.normalize(alone, "instancenorm").output[0], atol=1e-12
    )
    np.testing.assert_allclose(  # Method 1 with N = 1 is PONO (over C per pixel)
        moves["method1"].output, normlib.normalize(alone, "positionnorm").output[0], atol=1e-12
    )
    notes = " ".join(cmp.batch_of_one_notes((3, 16, 16)))
    assert "256 values" in notes and "0 everywhere" in notes


def test_batchnorm_refuses_one_value_per_channel_like_pytorch():
    message = cmp.single_value_error(3)
    assert "Expected more than 1 value per channel when training" in message
    x = np.random.default_rng(0).normal(size=(1, 3, 1, 1))
    batch = cmp.build_batch(x, ("only",), 0, 1, "images", 0)
    moves = {m.key: m for m in cmp.batch_movement(x, 0, batch)}
    assert moves["batchnorm"].error == message
    assert cmp.movement_text(moves["batchnorm"]) == "refused"
    assert "refuses" in " ".join(cmp.batch_of_one_notes((3, 1, 1)))


def test_grid_note_says_what_the_pictures_show():
    note = cmp.grid_note(IMAGES, 4)
    assert "n = 0–3 of 8" in note and "c = 0–2." not in note and "drawn at 16×16" in note
    assert cmp.grid_tiles(3) == 4 and cmp.grid_tiles(8) == 8
    assert "outside the pictures" in cmp.grid_note(IMAGES, 4, (6, 0, 0, 0))
    assert "outside" not in cmp.grid_note(IMAGES, 4, (3, 2, 0, 0))


def test_movement_summary_names_who_moved(samples):
    batch = cmp.build_batch(samples.x, samples.sample_labels, 0, 3, "noise", 0)
    line = cmp.movement_summary(cmp.batch_movement(samples.x, 0, batch))
    moved, still = line.split(" — ")
    assert "BatchNorm" in moved and "Method 2" in moved and "LayerNorm" not in moved
    assert "LayerNorm · InstanceNorm · GroupNorm(3)" in still
