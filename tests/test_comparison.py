"""Pure logic of the Compare and Batch-dependence pages: table facts, batches, movements."""

from __future__ import annotations

import numpy as np
import pytest

import normlib
from normapp import inputs
from normapp.explorer import element_walkthrough
from normapp.links import bound, params
from normapp.teaching import batch_dependence, batch_of_one, compare, framework_facts
from tests.conftest import require_torch, shown

pytestmark = pytest.mark.torch  # checks against live PyTorch or Keras

IMAGES = (8, 3, 32, 32)
FEATURES = (8, 8, 32, 32)


# ------------------------------------------------------------ URL parameters
def test_parse_methods_keeps_order_and_drops_repeats():
    assert compare.parse_methods("method1, LayerNorm,method1") == ("method1", "layernorm")
    assert compare.format_methods(("method1", "batchnorm")) == "method1,batchnorm"


@pytest.mark.parametrize("text", ["", " , ", "method1,batchnrom", "foo"])
def test_parse_methods_refuses_unknown_keys_and_names_them(text):
    with pytest.raises(ValueError) as info:
        compare.parse_methods(text)
    assert "method1" in str(info.value)  # lists the valid keys


def test_bad_methods_parameter_falls_back_with_a_message():
    values, messages = bound.parse_params({"methods": "method9"}, [c.param for c in compare.TABLE])
    assert values["methods"] == compare.DEFAULT_METHODS
    assert len(messages) == 1 and "'method9'" in shown(messages[0])


@pytest.mark.parametrize(
    ("name", "raw"),
    [("sample", "-1"), ("batch", "0"), ("batch", "65"), ("mates", "cats"), ("shuffle", "x")],
)
def test_bad_batch_parameters_fall_back_with_a_message(name, raw):
    table = batch_dependence.TABLE
    values, messages = bound.parse_params({name: raw}, [control.param for control in table])
    assert values[name] == {"sample": 0, "batch": 4, "mates": "images", "shuffle": 1}[name]
    assert len(messages) == 1 and name in messages[0]


# ------------------------------------------------------------- the table
def test_every_preset_has_a_row_and_a_framework_entry():
    for key in normlib.METHODS:
        row = compare.comparison_row(key, FEATURES)
        assert row.sets * row.elements == np.prod(FEATURES)
        assert row.facts is framework_facts.facts_for(key)


def test_batch_dependence_and_train_eval_are_derived_from_n_in_the_axes():
    for key in normlib.METHODS:
        spec = compare.method_spec(key, 8)
        row = compare.comparison_row(key, FEATURES)
        assert row.depends_on_batch == ("N" in spec.axes)
        assert row.same_train_eval == ("N" not in spec.axes)
    table = compare.comparison_table(compare.DEFAULT_METHODS, IMAGES)
    assert table["depends on the batch"] == ["yes", "yes", "yes", "no", "no", "no"]
    code = compare.framework_table(compare.DEFAULT_METHODS, IMAGES)
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
    table = compare.comparison_table(compare.DEFAULT_METHODS, IMAGES)
    x = inputs.load_samples(8, 32).x
    for key, sets, count in zip(
        compare.DEFAULT_METHODS, table["sets"], table["elements per set"], strict=True
    ):
        result = normlib.normalize(x, compare.method_spec(key, 3))
        assert (sets, count) == (result.n_sets, result.count)
    # The question's numbers: Method 1 H·W sets of N·C, Method 2 C·H·W of N, Method 3 C of N·H·W.
    assert table["sets"][:3] == [32 * 32, 3 * 32 * 32, 3]
    assert table["elements per set"][:3] == [8 * 3, 8, 8 * 32 * 32]


def test_affine_counts_come_from_the_one_facts_table():
    c, h, w = 8, 32, 32
    rows = {k: compare.comparison_row(k, FEATURES) for k in normlib.METHODS}
    counts = {k: row.facts.affine.count(FEATURES) for k, row in rows.items()}
    assert counts["batchnorm"] == counts["method3"] == 2 * c
    assert counts["method2"] == 2 * c * h * w  # nn.BatchNorm1d(C·H·W): per activation
    assert counts["method1"] is None  # hypothetical: no count is claimed
    assert counts["layernorm"] == 2 * c * h * w
    assert counts["instancenorm"] == counts["groupnorm"] == 2 * c
    assert counts["rmsnorm"] == c * h * w
    assert counts["pixelnorm"] == 0
    table = compare.comparison_table(list(normlib.METHODS), FEATURES)
    column = dict(zip(normlib.METHODS, table["γ/β count"], strict=True))
    assert column["method2"] == f"{2 * c * h * w:,} = 2·C·H·W"
    assert column["method1"].startswith("none (hypothetical")
    assert column["instancenorm"] == f"{2 * c} = 2·C with affine=True (default: 0)"


def test_framework_table_states_per_method_calls_and_eps():
    code = compare.framework_table(list(normlib.METHODS), FEATURES)
    rows = dict(zip(normlib.METHODS, zip(*code.values(), strict=True), strict=True))
    names = list(code)
    get = {k: dict(zip(names, values, strict=True)) for k, values in rows.items()}
    assert get["batchnorm"]["PyTorch"] == "nn.BatchNorm2d(C)(x)"
    assert "axis=[1, 2, 3]" not in get["method2"]["Keras (channels-first)"]  # TypeError in Keras 3
    assert get["method2"]["Keras (channels-first)"].startswith("Reshape((C, H, W))")
    assert get["layernorm"]["default eps"].startswith("PyTorch 1e-5, Keras 1e-3")
    assert "torch.finfo(dtype).eps" in get["rmsnorm"]["default eps"]
    assert "Keras 1e-6" in get["rmsnorm"]["default eps"]
    assert "mean square" in get["rmsnorm"]["default eps"]
    assert get["pixelnorm"]["default eps"].startswith("ProGAN 1e-8")
    assert (get["method1"]["PyTorch"], get["method1"]["Keras (channels-first)"]) == (
        "none",
        "none",
    )


# ------------------------------------------------------------ GroupNorm's default G
@pytest.mark.parametrize("channels", range(1, 65))
def test_default_groups_is_the_smallest_proper_divisor_by_brute_force(channels):
    proper = [g for g in range(2, channels) if channels % g == 0]
    groups = params.default_groups(channels)
    assert channels % groups == 0
    assert groups == (proper[0] if proper else channels)
    note = compare.groupnorm_note(channels)
    if proper:
        assert note is None
        assert compare.method_spec("groupnorm", channels).groups == proper[0]
    else:  # C = 1 or prime: every claim of the note is checked here
        assert note is not None and f"G = {channels} = C" in note
        if channels > 1:
            assert f"{channels} is prime" in note
            assert all(channels % d for d in range(2, channels))


def test_groupnorm_note_no_longer_claims_25_has_no_divisor():
    # The old default tried only 2, 3, 4: C = 25, 35, 49, 55 fell back to G = C with a false note.
    for channels, groups in ((25, 5), (35, 5), (49, 7), (55, 5)):
        assert params.default_groups(channels) == groups
        assert compare.groupnorm_note(channels) is None


def test_clamp_element():
    assert compare.clamp_element((9, 5, 1, 40), IMAGES) == ((7, 2, 1, 31), True)
    assert compare.clamp_element((1, 2, 3, 4), IMAGES) == ((1, 2, 3, 4), False)


def test_link_values_in_messages_are_literal_and_short():
    hostile = "**x**[y](http://evil.example)"
    for name, raw in (("methods", hostile), ("pick", hostile), ("methods", "a" * 20_000)):
        _, messages = bound.parse_params({name: raw}, [c.param for c in compare.TABLE])
        (message,) = messages
        assert name in message
        outside_code = message.split("`")[-1]  # after the code span that quotes the link
        assert "**x**" not in outside_code and "](http" not in outside_code
        assert len(message) < 600


# ------------------------------------------------------- one element, every method
@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.parametrize("key", ["batchnorm", "layernorm", "instancenorm", "groupnorm"])
def test_element_arithmetic_matches_torch(key):
    torch = require_torch()
    F = torch.nn.functional
    x = inputs.load_random((4, 6, 5, 7), 3, "normal", 1.0, 1.0, 0.5, 0.5).x.astype(np.float64)
    eps = compare.COMPARE_EPS
    element = (2, 4, 3, 1)
    n, c, h, w = element
    spec = compare.method_spec(key, 6)
    step = element_walkthrough.element_arithmetic(
        x, normlib.normalize(x, spec, eps=eps), element, 1.5, -0.25
    )
    t = torch.from_numpy(x)
    weight, bias = torch.full((6,), 1.5, dtype=torch.float64), torch.full((6,), -0.25).double()
    if key == "batchnorm":
        members = t[:, c]
        out = F.batch_norm(t, None, None, weight, bias, training=True, eps=eps)
    elif key == "layernorm":
        members = t[n]
        out = F.layer_norm(t, (6, 5, 7), eps=eps) * 1.5 - 0.25
    elif key == "instancenorm":
        members = t[n, c]
        out = F.instance_norm(t, weight=weight, bias=bias, eps=eps)
    else:
        size = 6 // spec.groups
        members = t[n, (c // size) * size : (c // size + 1) * size]
        out = F.group_norm(t, spec.groups, weight, bias, eps=eps)
    assert step.count == members.numel()
    assert step.mean == pytest.approx(float(members.mean()), abs=1e-12)
    assert step.stat == pytest.approx(float(members.var(unbiased=False)), abs=1e-12)
    assert step.root == pytest.approx(float(torch.sqrt(members.var(unbiased=False) + eps)))
    assert step.output == pytest.approx(float(out[element]), abs=1e-10)
    assert step.x == float(x[element])


def test_element_arithmetic_of_non_centred_methods_is_the_rms_form():
    x = inputs.load_random((2, 3, 4, 4), 1, "normal", 1.0, 1.0, 0.5, 0.5).x.astype(np.float64)
    element = (1, 2, 0, 3)
    step = element_walkthrough.element_arithmetic(
        x, normlib.normalize(x, normlib.METHODS["pixelnorm"], eps=1e-8), element
    )
    pixel = x[1, :, 0, 3]
    assert step.mean is None and step.count == 3
    assert step.stat == pytest.approx(float(np.mean(pixel**2)), rel=1e-12)
    assert step.normalized == pytest.approx(x[element] / np.sqrt(np.mean(pixel**2) + 1e-8))
    table = compare.element_table(3, [("pixelnorm", step)])
    assert table["μ (set mean)"] == ["not centred"]
    assert table["σ² (biased) or mean square"][0].endswith("(mean square)")


# ------------------------------------------------------------ batch dependence
@pytest.fixture(scope="module")
def samples():
    return inputs.load_samples(8, 16)


def test_build_batch_puts_the_sample_first_and_draws_other_images(samples):
    batch = batch_dependence.build_batch(samples.x, samples.sample_labels, 2, 6, "images", 5)
    assert batch.x.shape == (6, 3, 16, 16) and batch.x.dtype == np.float64
    assert np.array_equal(batch.x[0], samples.x[2])
    assert batch.labels[0].endswith("(the sample)")
    assert samples.sample_labels[2] not in batch.labels[1:]  # mates are OTHER images
    again = batch_dependence.build_batch(samples.x, samples.sample_labels, 2, 6, "images", 5)
    assert np.array_equal(batch.x, again.x)  # the seed decides
    other = batch_dependence.build_batch(samples.x, samples.sample_labels, 2, 6, "images", 6)
    assert not np.array_equal(batch.x, other.x)


def test_noise_mates_and_the_single_image_fallback(samples):
    batch = batch_dependence.build_batch(samples.x, samples.sample_labels, 0, 4, "noise", 0)
    assert batch.labels[1:] == ("noise 1", "noise 2", "noise 3") and batch.mates == "noise"
    one = batch_dependence.build_batch(samples.x[:1], samples.sample_labels[:1], 0, 3, "images", 0)
    assert one.mates == "noise" and "single image" in one.message


def test_batch_methods_move_and_per_sample_methods_do_not_move_at_all(samples):
    for size in (1, 3, 64):
        batch = batch_dependence.build_batch(samples.x, samples.sample_labels, 1, size, "images", 2)
        moves = {m.key: m for m in batch_dependence.batch_movement(samples.x, 1, batch)}
        for key in ("batchnorm", "method1", "method2"):
            if key == "method2" and size == 1:  # nn.BatchNorm1d refuses N = 1 in training
                assert moves[key].refused_batch == "this batch (N = 1)"
                continue
            assert moves[key].max_abs > 0.01 and moves[key].moved, (size, key)
        for key in ("layernorm", "instancenorm", "groupnorm"):
            assert moves[key].max_abs == 0.0, (size, key)
            assert batch_dependence.movement_parts(moves[key]) == (
                "max |Δ| = 0",
                "does not depend on the batch",
            )


def test_movements_agree_with_normlib(samples):
    batch = batch_dependence.build_batch(samples.x, samples.sample_labels, 3, 5, "noise", 7)
    for move in batch_dependence.batch_movement(samples.x, 3, batch):
        ref = normlib.normalize(samples.x.astype(np.float64), move.spec).output[3]
        out = normlib.normalize(batch.x, move.spec).output[0]
        np.testing.assert_allclose(move.reference, ref, atol=1e-12)
        np.testing.assert_allclose(move.output, out, atol=1e-12)
        assert move.max_abs == pytest.approx(np.abs(out - ref).max(), abs=1e-12)


def test_batch_of_one_facts(samples):
    batch = batch_dependence.build_batch(samples.x, samples.sample_labels, 0, 1, "images", 0)
    moves = {m.key: m for m in batch_dependence.batch_movement(samples.x, 0, batch)}
    # Method 2's formula gives 0 (variance 0 → β); its layer, nn.BatchNorm1d, refuses N = 1.
    assert np.all(normlib.normalize(samples.x[:1], "method2").output == 0.0)
    assert moves["method2"].output is None and "nn.BatchNorm1d" in moves["method2"].error
    alone = samples.x[:1].astype(np.float64)
    np.testing.assert_allclose(  # BatchNorm with N = 1 has InstanceNorm's statistics
        moves["batchnorm"].output, normlib.normalize(alone, "instancenorm").output[0], atol=1e-12
    )
    np.testing.assert_allclose(  # Method 1 with N = 1 is PONO (over C per pixel)
        moves["method1"].output, normlib.normalize(alone, "positionnorm").output[0], atol=1e-12
    )
    notes = " ".join(batch_of_one.batch_of_one_notes((3, 16, 16)))
    assert "256 values" in notes and "0 everywhere" in notes


def test_batchnorm_refuses_one_value_per_channel_like_pytorch():
    message = batch_of_one.single_value_error(3)
    assert "Expected more than 1 value per channel when training" in message
    x = np.random.default_rng(0).normal(size=(1, 3, 1, 1))
    batch = batch_dependence.build_batch(x, ("only",), 0, 1, "images", 0)
    moves = {m.key: m for m in batch_dependence.batch_movement(x, 0, batch)}
    assert "Expected more than 1 value per channel when training" in moves["batchnorm"].error
    assert moves["batchnorm"].refused_batch == "the reference batch (N = 1)"
    assert batch_dependence.movement_parts(moves["batchnorm"])[0] == "refused"
    assert "refuses" in " ".join(batch_of_one.batch_of_one_notes((3, 1, 1)))


def test_grid_note_says_what_the_pictures_show():
    note = compare.grid_note(IMAGES, 4)
    assert "n = 0–3 of 8" in note and "c = 0–2." not in note and "drawn at 16×16" in note
    assert compare.grid_tiles(3) == 4 and compare.grid_tiles(8) == 8
    assert "outside the pictures" in compare.grid_note(IMAGES, 4, (6, 0, 0, 0))
    assert "outside" not in compare.grid_note(IMAGES, 4, (3, 2, 0, 0))


def test_movement_summary_names_who_moved(samples):
    batch = batch_dependence.build_batch(samples.x, samples.sample_labels, 0, 3, "noise", 0)
    line = batch_dependence.movement_summary(batch_dependence.batch_movement(samples.x, 0, batch))
    moved, still = line.split(" — ")
    assert "BatchNorm" in moved and "Method 2" in moved and "LayerNorm" not in moved
    assert "LayerNorm · InstanceNorm · GroupNorm(3)" in still


@pytest.mark.torch
@pytest.mark.parametrize("shape_chw", [(3, 4, 4), (2, 1, 1), (5, 1, 3)])
def test_batch_of_one_refusals_are_torchs(shape_chw):
    """Which layers refuse N = 1 in training: torch's BatchNorm2d(C) and Method 2's recipe,
    BatchNorm1d(C·H·W) on x.flatten(1), against the page's computed list and words."""
    from tests import conftest

    torch = conftest.require_torch()
    c, h, w = shape_chw
    x = torch.randn(1, c, h, w)

    def refuses(layer, tensor) -> bool:
        try:
            layer.train()(tensor)
        except ValueError:
            return True
        return False

    torch_refuses = {
        "BatchNorm2d": refuses(torch.nn.BatchNorm2d(c), x),
        "Method 2": refuses(torch.nn.BatchNorm1d(c * h * w), x.flatten(1)),
    }
    layers = batch_of_one.batch_of_one_layers(shape_chw)
    assert {one.method: one.refused for one in layers} == torch_refuses
    assert torch_refuses["Method 2"]  # always: one value per feature
    notes = " ".join(batch_of_one.batch_of_one_notes(shape_chw))
    summary = batch_of_one.batch_of_one_summary(shape_chw)
    assert "BatchNorm1d(C * H * W)" in summary and "refuses" in summary
    assert ("BatchNorm2d** has a single value" in notes) == torch_refuses["BatchNorm2d"]
    assert ("BatchNorm2d (nn.BatchNorm2d(C)" in summary) == torch_refuses["BatchNorm2d"]


def test_batch_page_work_is_bounded_and_the_sample_is_in_the_reference():
    assert batch_dependence.batch_limit((8, 3, 32, 32)) == 64
    assert batch_dependence.batch_limit((64, 64, 64, 64)) == 2**21 // 2**18
    assert batch_dependence.batch_limit((2, 64, 256, 256)) == 2  # a mate can always be added
    rows = batch_dependence.reference_rows((64, 64, 64, 64), 40)
    assert rows.size == 8 and 40 in rows and list(rows[:7]) == list(range(7))
    assert list(batch_dependence.reference_rows((8, 3, 32, 32), 5)) == list(range(8))


@pytest.mark.parametrize(
    "label, size, expected",
    [(3, 8, (3, False)), (9, 8, (7, True)), ("2: sample 5 (forest)", 4, (2, True)),
     ("n=6 · clouds", 4, (3, True)), ("c=1 · green", 3, (1, True)), ("odd", 3, (0, True))],
)  # fmt: skip
def test_clamp_index_reads_a_stale_selectbox_label(label, size, expected):
    assert batch_dependence.clamp_index(label, size) == expected
