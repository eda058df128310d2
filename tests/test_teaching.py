"""Pure logic of the teaching pages: the training stream, the quiz, the question's data."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import normlib
from normapp import figures
from normapp.classroom import quiz
from normapp.links import bound
from normapp.teaching import (
    momentum_conventions,
    question,
    running_statistics,
    running_var_target,
    train_eval,
)
from normlib import METHODS
from tests import conftest

pytestmark = pytest.mark.torch  # checks against live PyTorch or Keras


def small_input(shape=(5, 3, 4, 4), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    offsets = rng.uniform(-2, 2, size=(1, shape[1], 1, 1))
    sample_shift = rng.normal(0, 1, size=(shape[0], 1, 1, 1))
    return (rng.normal(size=shape) + offsets + sample_shift).astype(np.float32)


# ------------------------------------------------------------ momentum & URL
@pytest.mark.parametrize(
    ("text", "value"), [("0.1", 0.1), ("none", None), ("None", None), ("1", 1.0), ("0.01", 0.01)]
)
def test_parse_momentum_round_trip(text, value):
    parsed = momentum_conventions.parse_momentum(text)
    assert parsed == value
    assert (
        momentum_conventions.parse_momentum(momentum_conventions.format_momentum(parsed)) == value
    )


@pytest.mark.parametrize("text", ["abc", "0", "1.5", "-0.1", "nan", "inf", ""])
def test_parse_momentum_rejects_with_a_message(text):
    with pytest.raises(ValueError, match="momentum must be"):
        momentum_conventions.parse_momentum(text)


def test_keras_momentum_hint_and_translation():
    assert "PyTorch's equivalent is 0.01" in momentum_conventions.keras_mixup_note(0.99)
    assert (
        momentum_conventions.keras_mixup_note(0.1) is None
        and momentum_conventions.keras_mixup_note(None) is None
    )
    assert momentum_conventions.keras_momentum(0.1) == "0.9"
    assert momentum_conventions.keras_momentum(0.01) == "0.99"
    assert "no Keras equivalent" in momentum_conventions.keras_momentum(None)


def test_momentum_options_insert_a_linked_value_in_order():
    assert momentum_conventions.momentum_options(0.1)[-1] == "none"
    options = momentum_conventions.momentum_options(0.3)
    assert options.index("0.2") < options.index("0.3") < options.index("0.5")


def test_train_params_fall_back_with_messages():
    query = {"momentum": "x", "steps": "0", "bsize": "many", "bseed": "-1"}
    table = running_statistics.TABLE
    values, messages = bound.parse_params(query, [control.param for control in table])
    assert values == {"momentum": 0.1, "steps": 100, "bsize": 4, "bseed": 0}
    assert len(messages) == 4 and all("was ignored" in m for m in messages)


# ------------------------------------------------------------ population
def test_target_is_the_exact_expected_batch_statistic():
    """Average over every possible batch of B samples = the dashed lines."""
    x = small_input((5, 3, 3, 2))
    n, _, h, w = x.shape
    for batch in (1, 2, 3, 5):
        pop = running_statistics.population(x, batch)
        m = batch * h * w
        means, variances = [], []
        for combo in itertools.combinations(range(n), batch):
            xb = x[list(combo)].astype(np.float64)
            means.append(xb.mean(axis=(0, 2, 3)))
            variances.append(xb.var(axis=(0, 2, 3), ddof=1))
        np.testing.assert_allclose(np.mean(means, axis=0), pop.mean, rtol=1e-10)
        np.testing.assert_allclose(np.mean(variances, axis=0), pop.target_var, rtol=1e-10)
        assert pop.batch_count == m
    full = running_statistics.population(x, n)
    np.testing.assert_allclose(full.target_var, full.var_unbiased, rtol=1e-12)
    np.testing.assert_allclose(
        full.var_unbiased, x.astype(np.float64).var(axis=(0, 2, 3), ddof=1), rtol=1e-12
    )


# ------------------------------------------------------------ the stream
@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0, None])
def test_stream_follows_pytorchs_update_rule(momentum):
    x = small_input()
    run = running_statistics.train_stream(x, momentum, steps=12, batch=2, seed=3)
    assert run.running_mean.shape == (13, 3) and run.num_batches_tracked == 12
    np.testing.assert_array_equal(run.running_mean[0], 0.0)
    np.testing.assert_array_equal(run.running_var[0], 1.0)
    m = 2 * 4 * 4
    mean, var = np.zeros(3), np.ones(3)
    for k, idx in enumerate(run.indices, start=1):
        xb = x[idx].astype(np.float64)
        factor = 1.0 / k if momentum is None else momentum
        mean = (1 - factor) * mean + factor * xb.mean(axis=(0, 2, 3))
        var = (1 - factor) * var + factor * xb.var(axis=(0, 2, 3)) * m / (m - 1)
        np.testing.assert_allclose(run.running_mean[k], mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(run.running_var[k], var, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(run.batch_mean[k - 1], xb.mean(axis=(0, 2, 3)), rtol=1e-9)
        np.testing.assert_allclose(
            run.batch_var_unbiased[k - 1], xb.var(axis=(0, 2, 3), ddof=1), rtol=1e-9
        )
    # Eval output: the running statistics after the last step.
    c_mean = run.running_mean[-1].reshape(1, 3, 1, 1)
    c_var = run.running_var[-1].reshape(1, 3, 1, 1)
    np.testing.assert_allclose(
        run.eval_out, (run.last_x - c_mean) / np.sqrt(c_var + 1e-5), atol=2e-5
    )
    # Training output: the batch's own statistics.
    np.testing.assert_allclose(
        run.train_out, normlib.normalize(run.last_x, "batchnorm").output, atol=1e-6
    )


def test_stream_is_seeded_and_batches_are_drawn_without_replacement():
    x = small_input()
    a = running_statistics.train_stream(x, 0.1, 20, 3, seed=7)
    b = running_statistics.train_stream(x, 0.1, 20, 3, seed=7)
    c = running_statistics.train_stream(x, 0.1, 20, 3, seed=8)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert not np.array_equal(a.indices, c.indices)
    assert all(len(set(row)) == 3 for row in a.indices)


def test_cumulative_average_converges_to_the_dashed_lines():
    x = small_input((6, 2, 4, 4))
    run = running_statistics.train_stream(x, None, 500, 3, seed=0)
    pop = run.population
    np.testing.assert_allclose(run.running_mean[-1], pop.mean, atol=0.05)
    np.testing.assert_allclose(run.running_var[-1], pop.target_var, rtol=0.05)


def test_batch_of_single_values_refuses_like_torch():
    x = small_input((3, 2, 1, 1))
    with pytest.raises(normlib.NormError, match="more than 1 value per channel"):
        running_statistics.train_stream(x, 0.1, 5, 1, seed=0)


def test_large_inputs_run_fewer_steps_and_say_so():
    assert running_statistics.steps_within_budget(500, 64, (64, 64, 64, 64)) < 500
    assert running_statistics.steps_within_budget(100, 4, (8, 3, 32, 32)) == 100
    x = np.zeros((2, 1, 1, 1), np.float32)
    assert running_statistics.steps_within_budget(10, 2, x.shape) == 10


def test_eval_output_ignores_batch_mates_training_output_does_not():
    x = small_input()
    run = running_statistics.train_stream(x, 0.1, 10, 3, seed=1)
    mates = train_eval.batch_mates_check(run, x)
    assert mates.sample == run.indices[-1][0]
    assert mates.eval_change < 1e-5
    assert mates.train_change > 0.01


def test_tables_carry_normlibs_numbers():
    x = small_input()
    run = running_statistics.train_stream(x, 0.1, 4, 2, seed=0)
    labels = ["a", "b", "c"]
    table = train_eval.variance_table(run, labels)
    m = run.m
    biased = x[run.indices[-1]].astype(np.float64).var(axis=(0, 2, 3))
    for c in range(3):
        assert table["m = B·H·W"][c] == m == 32
        assert float(table["biased var (÷ m)"][c]) == pytest.approx(biased[c], rel=1e-5)
        assert float(table["unbiased var (÷ (m−1))"][c]) == pytest.approx(
            biased[c] * m / (m - 1), rel=1e-5
        )
    assert "\\frac{32}{31}" in train_eval.variance_latex(run, 0)
    modes = train_eval.channel_table(run, labels)
    assert all(abs(v) < 1e-3 for v in modes["train mean"])
    targets = running_statistics.target_table(run, labels)
    assert float(targets["mean (dashed)"][0]) == pytest.approx(run.population.mean[0], rel=1e-4)


def test_figures_name_the_dashed_lines_honestly():
    x = small_input()
    run = running_statistics.train_stream(x, 0.1, 5, 2, seed=0)
    mean_fig, var_fig = figures.running_pair_figures(
        run.running_mean, run.population.mean, run.running_var, run.population.target_var, "rgb"
    )
    names = [t.name for t in var_fig.data]
    assert "expected value" in names and not any("population" in (n or "") for n in names)
    assert "whole-input mean" in [t.name for t in mean_fig.data]
    modes = figures.modes_figure(run.last_x[0], run.train_out[0], run.eval_out[0], "rgb")
    top, bottom = (np.asarray(t.z, dtype=float) for t in modes.data)
    np.testing.assert_allclose(top[:, :4], run.last_x[0, 0])
    np.testing.assert_allclose(bottom[:4, :4], run.train_out[0, 0], rtol=1e-6)
    np.testing.assert_allclose(bottom[-4:, -4:], run.eval_out[0, 2], rtol=1e-6)
    x = np.zeros((2, 3, 200, 200), np.float32)
    big = running_statistics.train_stream(x + np.arange(200, dtype=np.float32), 0.1, 2, 2, seed=0)
    big_modes = figures.modes_figure(big.last_x[0], big.train_out[0], big.eval_out[0], "rgb")
    assert np.asarray(big_modes.data[0].z).shape[0] <= 48


# ------------------------------------------------------------------- quiz
SEEDS = range(0, 400)


def _partition(ids: np.ndarray) -> set[frozenset[int]]:
    flat = ids.ravel()
    return {frozenset(np.flatnonzero(flat == v).tolist()) for v in np.unique(flat)}


@pytest.mark.slow
def test_every_sets_question_has_exactly_one_right_option():
    for seed in SEEDS:
        for q in quiz.make_quiz(seed):
            if q.kind != "sets":
                continue
            assert len(q.options) == 4 and len(set(q.options)) == 4
            assert not {"method3", "batchnorm"} <= set(q.options)
            shown = normlib.set_ids(q.shape, q.shown_spec)
            block = shown == shown[q.element]
            right = []
            for key in q.options:
                spec = quiz.set_option_spec(key)
                if key.startswith("groupnorm:"):
                    assert 1 < spec.groups < q.shape[1]
                ids = normlib.set_ids(q.shape, spec)
                same_block = np.array_equal(ids == ids[q.element], block)
                same_partition = _partition(ids) == _partition(shown)
                assert same_block == same_partition, (seed, key)
                if same_block:
                    right.append(key)
            assert right == [next(iter(q.answer))], (seed, q.options, q.answer)


def test_every_count_question_marks_n_h_w():
    for seed in SEEDS:
        for q in quiz.make_quiz(seed):
            if q.kind != "count":
                continue
            n, c, h, w = q.shape
            (key,) = q.answer
            assert q.label(key) == f"{n * h * w:,}"
            assert normlib.set_ids(q.shape, "batchnorm").max() + 1 == c
            assert METHODS["batchnorm"].count(q.shape) == n * h * w
            assert len(set(q.labels)) == 4


def test_train_eval_answer_is_the_layers_without_n():
    for seed in range(20):
        (q,) = [q for q in quiz.make_quiz(seed) if q.kind == "train_eval"]
        assert q.answer == {"layernorm", "instancenorm", "groupnorm", "rmsnorm", "pixelnorm"}
        assert q.answer == {k for k in q.options if "N" not in METHODS[k].axes}


KERAS_EXPECTED = {
    ("BatchNormalization", 1, "NCHW"): "NHW",
    ("BatchNormalization", -1, "NHWC"): "NHW",
    ("LayerNormalization", (1, 2, 3), "NCHW"): "CHW",
    ("LayerNormalization", -1, "NHWC"): "C",
}


def test_keras_questions_name_the_right_axes():
    seen = set()
    for seed in range(60):
        keras = [q for q in quiz.make_quiz(seed) if q.kind == "keras"]
        assert (
            keras[0].keras == quiz.KERAS_VARIANTS[0] or keras[1].keras == (quiz.KERAS_VARIANTS[0])
        )
        for q in keras:
            assert "".join(a for a in "NCHW" if a in q.answer) == KERAS_EXPECTED[q.keras]
            seen.add(q.keras)
    assert seen == set(KERAS_EXPECTED)


def test_quiz_is_the_same_for_the_same_seed():
    a, b, c = quiz.make_quiz(5), quiz.make_quiz(5), quiz.make_quiz(6)
    assert [(q.prompt, q.options) for q in a] == [(q.prompt, q.options) for q in b]
    assert [(q.prompt, q.options) for q in a] != [(q.prompt, q.options) for q in c]
    assert sorted(q.kind for q in a) == ["count", "keras", "keras", "sets", "sets", "train_eval"]


def test_grading():
    questions = quiz.make_quiz(3)
    single = next(q for q in questions if not q.multi)
    (right,) = single.answer
    wrong = next(k for k in single.options if k != right)
    assert quiz.grade(single, right).correct
    feedback = quiz.grade(single, wrong)
    assert feedback.answered and not feedback.correct
    assert single.label(right) in feedback.message and single.explanation in feedback.message
    assert not quiz.grade(single, None).answered
    multi = next(q for q in questions if q.kind == "train_eval")
    assert quiz.grade(multi, list(multi.answer)).correct
    assert not quiz.grade(multi, list(multi.answer)[:2]).correct
    assert not quiz.grade(multi, []).answered


def test_new_quiz_seed_changes():
    rng = np.random.default_rng(0)
    assert all(quiz.new_quiz_seed(s, rng) != s for s in range(50))


# --------------------------------------------------------------- question
def test_golden_check_singles_out_method_3():
    check = question.golden_check()
    assert check.diffs["method3"] < 1e-10
    assert check.diffs["method1"] > 0.1 and check.diffs["method2"] > 0.1
    assert check.torch_version


def test_the_apps_torch_step_is_the_golden_files_first_default_affine_step():
    """The app keeps its own copy (assets/reference); it must equal the golden it was cut from."""
    from tests.golden import make_goldens

    expected = make_goldens.app_reference_step()
    with np.load(question.TORCH_STEP_FILE) as stored:
        assert sorted(stored.files) == sorted(expected)
        for key, value in expected.items():
            np.testing.assert_array_equal(stored[key], value, err_msg=key)


def test_golden_check_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        question.golden_check(tmp_path / "missing.npz")


@pytest.mark.torch
def test_live_torch_check_singles_out_method_3():
    conftest.require_torch()
    check = question.torch_check(small_input((4, 3, 6, 5)))
    assert check.diffs["method3"] < 1e-5
    assert min(check.diffs["method1"], check.diffs["method2"]) > 0.1


def test_question_methods_match_normlib_presets():
    for method in question.QUESTION_METHODS:
        assert METHODS[method.key].axes == method.over
    m1, m2, m3 = question.QUESTION_METHODS
    for method, mu in ((m1, r"\mu_{x,y}"), (m2, r"\mu_{c,x,y}")):
        assert ("T_{c,x,y}", "T_{n,c,x,y}") in [(t.wrote, t.meant) for t in method.typos]
        assert (r"\mu_c", mu) in [(t.wrote, t.meant) for t in method.typos]
    assert not m3.typos and "BatchNorm2d" in m3.verdict
    assert "PONO" in m1.verdict and "fully connected" in m2.verdict
    assert question.per_feature_map_numbers((8, 3, 32, 32))["m_prime"] == 8192


# ------------------------------------------- train vs eval: claims checked against torch/Keras


@pytest.mark.slow
@pytest.mark.torch
def test_keras_moving_variance_is_biased_torch_running_var_unbiased():
    """The note's factor m/(m − 1) is the ratio of what one batch adds, in Keras 3 and torch."""
    torch = conftest.require_torch()
    keras = conftest.require_keras()
    x = small_input((2, 3, 2, 3))
    m = 2 * 2 * 3
    layer = keras.layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5)
    layer(x, training=True)
    keras_var = np.asarray(keras.ops.convert_to_numpy(layer.moving_variance), dtype=np.float64)
    bn = torch.nn.BatchNorm2d(3, momentum=0.1)
    bn(torch.from_numpy(x))
    torch_var = bn.running_var.double().numpy()
    np.testing.assert_allclose((torch_var - 0.9) / (keras_var - 0.9), m / (m - 1), rtol=1e-4)
    note = momentum_conventions.keras_variance_note(0.1, m)
    assert f"{m / (m - 1):.6g} times Keras'" in note and "**biased**" in note
    assert f"m = B·H·W = {m:,}" in note
    assert momentum_conventions.keras_variance_note(None, m) == ""


@pytest.mark.torch
def test_element_steps_match_torch_in_both_modes():
    torch = conftest.require_torch()
    x = small_input((6, 3, 5, 4), seed=3)
    run = running_statistics.train_stream(x, 0.3, 7, 3, seed=2)
    bn = torch.nn.BatchNorm2d(3, momentum=0.3).requires_grad_(False)
    for idx in run.indices:
        train_out = bn(torch.from_numpy(x[idx]))
    last = torch.from_numpy(x[run.indices[-1]])
    xt = last.double()
    batch_mean = xt.mean(dim=(0, 2, 3))
    batch_var = xt.var(dim=(0, 2, 3), unbiased=False)
    bn.eval()
    eval_out = bn(last)
    for b, c, h, w in [(0, 0, 0, 0), (2, 1, 4, 3), (1, 2, 2, 1)]:
        train = train_eval.element_steps(run, "train", b, c, h, w)
        assert train.x == float(x[run.indices[-1][b], c, h, w]) and train.m == 3 * 5 * 4
        assert train.mean == pytest.approx(float(batch_mean[c]), rel=1e-9, abs=1e-12)
        assert train.var == pytest.approx(float(batch_var[c]), rel=1e-9)
        assert train.root == pytest.approx(float(torch.sqrt(batch_var[c] + 1e-5)), rel=1e-9)
        assert train.y == pytest.approx(float(train_out[b, c, h, w]), abs=2e-5)
        evals = train_eval.element_steps(run, "eval", b, c, h, w)
        assert evals.mean == pytest.approx(float(bn.running_mean[c]), rel=1e-5, abs=1e-7)
        assert evals.var == pytest.approx(float(bn.running_var[c]), rel=1e-5)
        assert evals.y == pytest.approx(float(eval_out[b, c, h, w]), abs=2e-5)
        assert evals.layer_output == pytest.approx(evals.y, abs=2e-5)
        for steps in (train, evals):
            text = " ".join(steps.latex())
            assert f"{steps.x_hat:.6g}" in text and f"{steps.root:.6g}" in text


@pytest.mark.torch
def test_small_batch_numbers_are_torchs_running_var_at_b1_and_bn():
    """B = 1 over every sample once (cumulative average) lands exactly on the B = 1 target."""
    torch = conftest.require_torch()
    from normapp import inputs

    x = inputs.load_samples(8, 32).x
    small = running_var_target.small_batch(x)
    one = torch.nn.BatchNorm2d(3, momentum=None)
    for i in range(8):
        one(torch.from_numpy(x[i : i + 1]))
    np.testing.assert_allclose(small.var_one, one.running_var.numpy(), rtol=1e-4)
    full = torch.nn.BatchNorm2d(3, momentum=1.0)
    full(torch.from_numpy(x))
    np.testing.assert_allclose(small.var_all, full.running_var.numpy(), rtol=1e-4)
    # The eval output's spread with B = 1 statistics, against torch's eval output.
    one.running_mean.copy_(full.running_mean)
    one.eval()
    np.testing.assert_allclose(
        small.eval_std_one,
        one(torch.from_numpy(x)).detach().double().std(dim=(0, 2, 3), unbiased=False).numpy(),
        rtol=1e-4,
    )
    # The numbers for the sample images: about 3× lower at B = 1 (0.046 vs 0.127).
    words = running_var_target.small_batch_words(small)
    worst = int(np.argmax(np.abs(np.log(small.var_all / small.var_one))))
    assert f"{small.var_one[worst]:.4g}" in words and f"{small.var_all[worst]:.4g}" in words
    assert small.var_all[worst] / small.var_one[worst] > 2


@pytest.mark.torch
def test_variance_gap_words_follow_torchs_running_var():
    """Images: running_var at B < N settles lower; the sentence says so with torch's numbers."""
    torch = conftest.require_torch()
    from normapp import inputs

    x = inputs.load_samples(8, 32).x
    run = running_statistics.train_stream(x, None, 400, 1, seed=0)
    bn = torch.nn.BatchNorm2d(3, momentum=None)
    for idx in run.indices:
        bn(torch.from_numpy(x[idx]))
    gap = running_var_target.variance_gap(run)
    # torch's cumulative running_var over 400 random single-sample batches is near the target.
    np.testing.assert_allclose(bn.running_var.numpy(), gap.target, rtol=0.15)
    words = gap.words(inputs.load_samples(8, 32).channel_labels)
    assert "lower" in words and "spread of the batch means" in words
    assert "a little lower" not in words
    # i.i.d. noise: no claim that it is lower; "higher" or "about the same" is computed.
    noise = np.random.default_rng(1).standard_normal((8, 2, 4, 4)).astype(np.float32)
    noise_words = running_var_target.variance_gap(
        running_statistics.train_stream(noise, 0.1, 5, 2, 0)
    ).words(["a", "b"])
    gap_noise = running_var_target.variance_gap(
        running_statistics.train_stream(noise, 0.1, 5, 2, 0)
    )
    ratio = gap_noise.whole / gap_noise.target
    assert ("higher" in noise_words) == bool(
        np.any(ratio < 1 / 1.0005) and np.abs(np.log(ratio)).argmax() == np.argmin(ratio)
    )


def test_typo_fixes_have_a_cue_besides_colour():
    # Issue 7 §12: the fixes were marked by green alone. Now underlined, and struck through.
    for method in question.QUESTION_METHODS:
        latex = method.output + method.var
        assert latex.count(r"\textcolor") == latex.count(r"\underline{\textcolor")
        assert r"\underline{" in latex
        for typo in method.typos:
            line = typo.markdown()
            assert f"$\\sout{{{typo.wrote}}}$" in line and f"fixed: ${typo.meant}$" in line


@pytest.mark.parametrize("shape", [(8, 3, 32, 32), (2, 8, 5, 7), (1, 1, 1, 1)])
def test_per_feature_map_numbers_by_counting(shape):
    n, c, h, w = shape
    numbers = question.per_feature_map_numbers(shape)
    ids = normlib.set_ids(shape, "NHW")
    assert numbers["m_prime"] == int(np.sum(ids == 0)) == n * h * w
    assert numbers["pairs"] == ids.max() + 1 == c and numbers["params"] == 2 * c


def test_convolutional_property_numbers_by_brute_force():
    x = small_input((3, 2, 4, 5))
    conv = question.convolutional_property(x, channel=1)
    x64 = x.astype(np.float64)[:, 1]
    assert conv.method3_scale == pytest.approx(1 / np.sqrt(x64.var() + 1e-5), rel=1e-12)
    per_position = 1 / np.sqrt(x64.var(axis=0) + 1e-5)
    assert conv.method2_min == pytest.approx(per_position.min(), rel=1e-12)
    assert conv.method2_max == pytest.approx(per_position.max(), rel=1e-12)
    assert conv.positions == 20 and conv.method2_distinct == len(np.unique(per_position))


@pytest.mark.torch
def test_groupnorm_limits_sets_and_parameters_against_torch():
    torch = conftest.require_torch()
    shape = (2, 6, 3, 4)
    n, c, h, w = shape
    g_one = question.sets_and_parameters("groupnorm", shape, groups=1)
    g_all = question.sets_and_parameters("groupnorm", shape, groups=c)
    layer = question.sets_and_parameters("layernorm", shape)
    instance = question.sets_and_parameters("instancenorm", shape)
    assert (g_one.sets, g_one.elements) == (layer.sets, layer.elements) == (n, c * h * w)
    assert (g_all.sets, g_all.elements) == (instance.sets, instance.elements) == (n * c, h * w)

    def count(module):
        return sum(p.numel() for p in module.parameters())

    nn = torch.nn
    assert g_one.affine.startswith(f"{count(nn.GroupNorm(1, c)):,} =")
    assert layer.affine.startswith(f"{count(nn.LayerNorm([c, h, w])):,} =")
    assert g_all.affine.startswith(f"{count(nn.GroupNorm(c, c)):,} =")
    assert instance.affine.startswith(f"{count(nn.InstanceNorm2d(c, affine=True)):,} =")
    assert instance.affine.endswith(f"(default: {count(nn.InstanceNorm2d(c))})")
    method2 = question.sets_and_parameters("method2", shape)
    assert method2.affine.startswith(f"{count(nn.BatchNorm1d(c * h * w)):,} =")


def test_quiz_link_value_is_echoed_literally():
    hostile = "**x**[y](http://evil.example)"
    for raw in (hostile, "9" * 20_000):
        _, messages = bound.parse_params({"quiz": raw}, [quiz.QUIZ_NUMBER.param])
        (message,) = messages
        outside_code = message.split("`")[-1]
        assert "quiz" in message and len(message) < 600
        assert "**x**" not in outside_code and "](http" not in outside_code
