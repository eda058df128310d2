"""The training lab's network and trainer (normapp/lab) against torch and against itself.

* One whole training step of the network for every norm choice, float64, against an
  equivalent torch model (torch's own nn.BatchNorm2d / nn.GroupNorm, autograd,
  torch.optim.SGD) holding a copy of the same weights: the loss, every parameter's
  gradient, the parameters after 3 SGD momentum steps and BatchNorm's running statistics.
* The trainer: determinism, should_stop, divergence, config validation, the task.
Expected values come from torch or from plain NumPy, never from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.bench_lab import torch_network
from normapp.lab import layers
from normapp.lab.network import Network
from normapp.lab.task import make_task
from normapp.lab.training import (
    RunConfig,
    RunResult,
    build_network,
    eval_schedule,
    train,
    training_batches,
)
from tests.conftest import require_torch

pytestmark = pytest.mark.torch  # checks against live PyTorch or Keras

CASES = [
    ("none", {}),
    ("batchnorm", {}),
    ("groupnorm", {"groups": 4}),
    ("groupnorm", {"groups": 2}),
    ("layernorm", {}),
    ("instancenorm", {}),
    ("custom", {"axes": "NH"}),
    ("custom", {"axes": "C"}),
]
TIGHT = dict(rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize(("norm", "options"), CASES, ids=[f"{n}{o}" for n, o in CASES])
def test_network_steps_match_torch(norm, options):
    torch = require_torch()
    task = make_task(0)
    net = Network(norm, seed=3, dtype=np.float64, **options)
    model = torch_network(net, torch, **options)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sgd = layers.SGD(lr=0.05, momentum=0.9)
    torch_params = dict(model.named_parameters())
    for step in range(3):
        index = np.arange(step * 4, step * 4 + 4)
        images = task.train_images[index].astype(np.float64)
        labels = task.train_labels[index]
        loss, logits, grads = net.loss_and_grads(images, labels)

        optimizer.zero_grad()
        torch_logits = model(torch.from_numpy(images))
        torch_loss = torch.nn.functional.cross_entropy(torch_logits, torch.from_numpy(labels))
        torch_loss.backward()
        np.testing.assert_allclose(logits, torch_logits.detach().numpy(), **TIGHT)
        np.testing.assert_allclose(loss, torch_loss.item(), **TIGHT)
        assert set(grads) == set(torch_params)
        for name, param in torch_params.items():
            np.testing.assert_allclose(
                grads[name], param.grad.numpy(), **TIGHT, err_msg=f"step {step + 1}: {name}"
            )
        sgd.step(net.params, grads)
        optimizer.step()
    for name, param in torch_params.items():
        np.testing.assert_allclose(
            net.params[name], param.detach().numpy(), **TIGHT, err_msg=f"after 3 steps: {name}"
        )
    if norm == "batchnorm":
        for ours, theirs in zip(net.norms, (model.norm1, model.norm2, model.norm3), strict=True):
            np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), **TIGHT)
            np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), **TIGHT)
        # eval mode: the running statistics
        model.eval()
        images = task.test_images[:8].astype(np.float64)
        np.testing.assert_allclose(
            net.forward(images, training=False),
            model(torch.from_numpy(images)).detach().numpy(),
            **TIGHT,
        )


def test_batchnorm_per_batch_forward_matches_torch_train_mode():
    """forward(batch_size=b): each run of b samples with its own statistics, as torch's training
    mode on that run alone (torch's running statistics are thrown away)."""
    torch = require_torch()
    net = Network("batchnorm", seed=1, dtype=np.float64)
    model = torch_network(net, torch)
    images = make_task(0).test_images[:10].astype(np.float64)
    model.train()
    expected = np.concatenate(
        [
            model(torch.from_numpy(images[start : start + 4])).detach().numpy()
            for start in (0, 4, 8)  # the last run is 2 samples
        ]
    )
    running = net.norms[0].running_mean.copy()
    np.testing.assert_allclose(net.forward(images, batch_size=4), expected, **TIGHT)
    np.testing.assert_array_equal(net.norms[0].running_mean, running)  # untouched


def _small(**overrides) -> RunConfig:
    values = dict(norm="batchnorm", batch_size=4, steps=12, learning_rate=0.02, seed=1)
    values.update(overrides)
    return RunConfig(**values)


@pytest.mark.slow
def test_runs_are_deterministic():
    first, second = train(_small()), train(_small())
    assert first.status == second.status == "finished"
    for field in (
        "loss",
        "train_accuracy",
        "eval_steps",
        "test_accuracy",
        "test_accuracy_train_mode",
        "running_mean",
        "running_var",
        "batch_mean",
        "batch_var",
    ):
        np.testing.assert_array_equal(getattr(first, field), getattr(second, field), err_msg=field)
    other_seed = train(_small(seed=2))
    assert not np.array_equal(first.loss, other_seed.loss)


@pytest.mark.slow
def test_result_shapes_and_bn_statistics():
    config = _small(steps=20)
    result = train(config)
    assert result.steps_done == 20 and result.diverged_at is None
    for name in ("loss", "train_accuracy", "running_mean", "running_var", "batch_mean"):
        assert getattr(result, name).shape == (20,), name
    np.testing.assert_array_equal(result.eval_steps, [2, 4, 6, 8, 10, 12, 14, 16, 18, 20])
    assert result.test_accuracy.shape == result.test_accuracy_train_mode.shape == (10,)
    # running_mean follows PyTorch's update from the recorded batch means (momentum 0.1),
    # and running_var from the biased batch variance made unbiased (m = 4·16·16 values)
    m = 4 * 16 * 16
    mean, var = 0.0, 1.0
    for step in range(20):
        mean = 0.9 * mean + 0.1 * result.batch_mean[step]
        var = 0.9 * var + 0.1 * result.batch_var[step] * m / (m - 1)
        np.testing.assert_allclose(result.running_mean[step], mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(result.running_var[step], var, rtol=1e-5, atol=1e-6)
    assert eval_schedule(200) == tuple(range(20, 201, 20))
    assert eval_schedule(25) == (2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 25)


def test_non_batchnorm_results_have_no_bn_arrays():
    result = train(_small(norm="groupnorm", steps=5))
    assert result.test_accuracy_train_mode is None
    assert result.running_mean is None and result.batch_var is None


@pytest.mark.slow
def test_should_stop_returns_partial_result():
    asked = []

    def should_stop() -> bool:
        asked.append(True)
        return len(asked) > 7  # stop before step 8

    reports: list[RunResult] = []
    result = train(
        _small(steps=50), should_stop=should_stop, on_step=reports.append, report_every=3
    )
    assert result.status == "stopped"
    assert result.steps_done == 7 and len(result.loss) == 7 and len(result.running_mean) == 7
    assert result.eval_steps[-1] == 7  # held-out accuracy measured at the stop
    assert len(result.test_accuracy) == len(result.eval_steps)
    assert [r.steps_done for r in reports] == [3, 6, 7]
    assert [r.status for r in reports] == ["running", "running", "stopped"]


def test_huge_learning_rate_diverges():
    """lr 1e6 without normalization: the second step's logits are ~1e20, the third overflows
    float32. (Moderate rates such as 50 only kill every ReLU, and the loss stays finite.)"""
    result = train(RunConfig("none", 8, learning_rate=1e6, steps=10, seed=0))
    assert result.status == "diverged"
    assert result.diverged_at is not None and 1 < result.diverged_at <= 10
    assert result.steps_done == result.diverged_at - 1 == len(result.loss)
    assert np.isfinite(result.loss).all()
    assert len(result.test_accuracy) == len(result.eval_steps)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"norm": "weightnorm", "batch_size": 8}, "norm must be one of none, batchnorm"),
        ({"norm": "none", "batch_size": 0}, "batch_size must be a whole number from 1"),
        ({"norm": "none", "batch_size": 2.5}, "batch_size must be a whole number"),
        ({"norm": "none", "batch_size": True}, "batch_size must be a whole number"),
        ({"norm": "none", "batch_size": 8, "learning_rate": 0.0}, "learning_rate must be"),
        ({"norm": "none", "batch_size": 8, "learning_rate": float("nan")}, "finite"),
        ({"norm": "none", "batch_size": 8, "steps": 0}, "steps must be a whole number >= 1"),
        ({"norm": "none", "batch_size": 8, "seed": -1}, "seed must be a whole number >= 0"),
        ({"norm": "groupnorm", "batch_size": 8, "groups": 3}, "1, 2, 4, 8, 16, 32; got 3"),
        ({"norm": "custom", "batch_size": 8}, "norm 'custom' needs axes"),
        ({"norm": "custom", "batch_size": 8, "axes": "NX"}, "axes 'NX' is not valid"),
    ],
)
def test_config_validation(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        RunConfig(**kwargs)


def test_custom_norm_over_n_uses_batch_statistics_in_eval():
    """With N among the axes no running statistics exist: a sample's eval output depends on
    its batch mates (checked by brute force: the same image in two different batches)."""
    net = Network("custom", axes="NHW", seed=0, dtype=np.float64)
    images = make_task(0).test_images[:6].astype(np.float64)
    alone = net.forward(images[:3], training=False)[0]
    other = net.forward(images[[0, 4, 5]], training=False)[0]
    assert not np.allclose(alone, other)
    assert net.uses_batch_in_eval


def test_task_is_fixed_and_read_only():
    task = make_task(0)
    assert task is make_task(0)
    assert task.train_images.shape == (4096, 3, 16, 16) and task.train_images.dtype == np.float32
    assert task.test_images.shape == (1024, 3, 16, 16)
    assert task.train_labels.dtype == np.int64 and set(np.unique(task.test_labels)) == {0, 1, 2, 3}
    assert len(task.class_names) == 4
    with pytest.raises(ValueError):
        task.train_images[0, 0, 0, 0] = 1.0
    # the nuisance jitter is real: per-image means vary with the brightness offset (uniform in
    # ±1, standard deviation 0.58) and spreads with the contrast (log-uniform over a factor 4)
    means = task.train_images.mean(axis=(1, 2, 3))
    spreads = task.train_images.std(axis=(1, 2, 3))
    assert means.std() > 0.5 and spreads.max() / spreads.min() > 3


def test_a_run_whose_update_overflows_the_evaluation_is_diverged_not_an_error():
    """BatchNorm at learning rate 100: an update makes the weights overflow float32, so the
    held-out pass after it cannot be normalized (normlib refuses the infinite statistics)."""
    result = train(RunConfig("batchnorm", 32, learning_rate=100.0, steps=50))
    assert result.status == "diverged"
    assert result.steps_done == result.diverged_at - 1 == len(result.loss)
    assert np.isfinite(result.loss).all()
    assert (
        len(result.eval_steps) == len(result.test_accuracy) == len(result.test_accuracy_train_mode)
    )


@pytest.mark.slow
@pytest.mark.parametrize("norm", ["groupnorm", "batchnorm"])
def test_a_run_follows_torch_with_the_cosine_learning_rate(norm):
    """train() against the torch twin with torch's own CosineAnnealingLR (to 0 over the run):
    same initial weights, same batches, float32; the per-step losses agree."""
    torch = require_torch()
    config = RunConfig(norm, 8, learning_rate=0.1, steps=12, seed=2)
    result = train(config)
    task = make_task(0)
    model = torch_network(build_network(config), torch)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=config.learning_rate, momentum=0.9)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.steps)
    batches = training_batches(config.seed, len(task.train_images), config.batch_size)
    losses = []
    for _ in range(config.steps):
        index = next(batches)
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(
            model(torch.from_numpy(task.train_images[index])),
            torch.from_numpy(task.train_labels[index]),
        )
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    np.testing.assert_allclose(result.loss, losses, rtol=2e-4, atol=1e-5)
