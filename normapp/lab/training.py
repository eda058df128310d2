"""Train the lab's CNN on the synthetic task: RunConfig in, RunResult out.

The run is deterministic for a config: the task is always make_task(0), the initial
weights come from the config's seed and so does the order of the training images (a new
permutation of the 4,096 images every epoch, the last incomplete batch dropped).

Held-out accuracy is measured about ten times during a run (every steps // 10 steps) on a
fixed subset, the first EVAL_SUBSET (256) test images, and on all 1,024 at the last step (or
where the run stopped), so evaluation stays a small part of the run's time.

* ``test_accuracy``: eval mode. BatchNorm normalizes with its running statistics. A
  "custom" norm whose axes contain N keeps no running statistics: it is evaluated in
  batches of the training batch size, each normalized with its own statistics.
* ``test_accuracy_train_mode`` (BatchNorm only): the held-out images pushed through in
  batches of the training batch size, each normalized with its own batch statistics (the
  running statistics are not touched), so the train/eval gap at small batches shows.

Defaults: learning rate 0.05 (at batch 32; the page scales it with the batch), 200 steps,
momentum 0.9, the rate decaying to 0 along a cosine (learning_rate_at). Chosen in a torch
copy of the lab (benchmarks/bench_lab.py's twin, same data, weights and batches), 5 seeds:
at a constant 0.02, BatchNorm trailed; at 0.05 without the decay GroupNorm(4) stalled in 2
of 5 seeds at batch 32 on 16 channels, which 32 channels cured. A run at batch 32 takes
4-5 s on one core. See task.py for the measured table and what it shows.

Divergence: when a step's loss is not finite (or an activation overflows so that normlib
refuses it), the run stops with status "diverged"; diverged_at is that 1-based step and
the per-step arrays hold the steps before it (all finite): steps_done = diverged_at - 1.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import normlib
from normapp.lab import layers
from normapp.lab.network import NORMS, WIDTH, Network, norm_spec
from normapp.lab.task import make_task

__all__ = ["BATCH_SIZES", "NORMS", "RunConfig", "RunResult", "train"]

BATCH_SIZES = (2, 4, 8, 16, 32)  # the app's choices; RunConfig accepts any size >= 1
MOMENTUM = 0.9
EVAL_SUBSET = 256  # test images used for the periodic held-out points
EVAL_POINTS = 10
FIXED_BATCHES = 64  # random batches through the final weights (RunResult.batch_mean_fixed)
EVAL_CHUNK = 64  # eval forward in chunks of about this many images (im2col stays in cache)
TASK_SEED = 0
STATUSES = ("finished", "stopped", "diverged")


def _whole(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class RunConfig:
    """One training run. Invalid values raise ValueError saying what is allowed.

    norm : one of NORMS
    batch_size : images per step, >= 1 (the app offers 2, 4, 8, 16 and 32)
    learning_rate : SGD's step size (momentum 0.9, no weight decay), > 0
    steps : SGD steps, >= 1
    seed : initial weights and data order, >= 0
    groups : GroupNorm's G, a divisor of the network's WIDTH (32) (used by "groupnorm" only)
    axes : the NormSpec axes of "custom" (letters of NCHW, at least one); ignored otherwise
    """

    norm: str
    batch_size: int
    learning_rate: float = 0.05
    steps: int = 200
    seed: int = 0
    groups: int = 4
    axes: str = ""

    def __post_init__(self) -> None:
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {', '.join(NORMS)}; got {self.norm!r}")
        if not _whole(self.batch_size) or not 1 <= self.batch_size <= 4096:
            raise ValueError(
                f"batch_size must be a whole number from 1 to 4096 (the training set's size); "
                f"got {self.batch_size!r}"
            )
        rate = self.learning_rate
        if not isinstance(rate, (int, float, np.floating)) or isinstance(rate, bool):
            raise ValueError(f"learning_rate must be a number > 0; got {rate!r}")
        if not (np.isfinite(rate) and rate > 0):
            raise ValueError(f"learning_rate must be a finite number > 0; got {rate!r}")
        if not _whole(self.steps) or self.steps < 1:
            raise ValueError(f"steps must be a whole number >= 1; got {self.steps!r}")
        if not _whole(self.seed) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0; got {self.seed!r}")
        if self.norm == "groupnorm" and (
            not _whole(self.groups) or self.groups < 1 or WIDTH % self.groups
        ):
            divisors = ", ".join(str(g) for g in range(1, WIDTH + 1) if WIDTH % g == 0)
            raise ValueError(
                f"groups must divide the {WIDTH} channels: one of {divisors}; got {self.groups!r}"
            )
        if self.norm == "custom":
            if not isinstance(self.axes, str) or not self.axes.strip():
                raise ValueError(
                    "norm 'custom' needs axes: a string of the letters N, C, H, W to reduce "
                    f"over, e.g. 'NH' or 'C'; got {self.axes!r}"
                )
            try:
                norm_spec("custom", axes=self.axes)
            except normlib.NormError as error:
                raise ValueError(
                    f"axes {self.axes!r} is not valid for norm 'custom': {error}"
                ) from None


@dataclass(frozen=True, eq=False)
class RunResult:
    """What a run did (so far, for a partial result given to on_step).

    Per-step arrays have steps_done entries (index i is step i + 1).
    """

    config: RunConfig
    status: str  # "finished" | "stopped" | "diverged" ("running" in a partial result)
    steps_done: int
    diverged_at: int | None
    loss: np.ndarray
    train_accuracy: np.ndarray  # accuracy on that step's batch (training mode)
    eval_steps: np.ndarray  # int: steps after which held-out accuracy was measured
    test_accuracy: np.ndarray  # eval mode, one per eval step
    test_accuracy_train_mode: np.ndarray | None  # BatchNorm: batch statistics; else None
    running_mean: np.ndarray | None  # BatchNorm: channel 0 of the first BN, after the step
    running_var: np.ndarray | None
    batch_mean: np.ndarray | None  # BatchNorm: channel 0's batch statistics in the step
    batch_var: np.ndarray | None  # biased, as normalize uses
    seconds: float
    # BatchNorm: channel 0's batch means (as batch_mean) over FIXED_BATCHES random training
    # batches of the run's size pushed through the final weights, which do not move: the
    # spread that sampling the batch alone gives. Empty when no step was taken.
    batch_mean_fixed: np.ndarray | None = None


def learning_rate_at(learning_rate: float, step: int, steps: int) -> float:
    """The learning rate of 1-based `step` of `steps`: cosine decay from `learning_rate` to 0.

    Step 1 uses the full rate; the rate of step t is lr · (1 + cos(π (t - 1) / steps)) / 2.

    >>> learning_rate_at(0.1, 1, 4), learning_rate_at(0.1, 3, 4)
    (0.1, 0.05)
    """
    return learning_rate * 0.5 * (1.0 + math.cos(math.pi * (step - 1) / steps))


def eval_schedule(steps: int) -> tuple[int, ...]:
    """The steps after which held-out accuracy is measured: every steps // 10 and the last."""
    interval = max(1, steps // EVAL_POINTS)
    return tuple(sorted({*range(interval, steps + 1, interval), steps}))


def training_batches(seed: int, n_train: int, batch_size: int):
    """Index arrays of the training batches: a fresh permutation per epoch."""
    rng = np.random.default_rng(np.random.SeedSequence([12, 2, seed]))
    per_epoch = n_train // batch_size
    while True:
        order = rng.permutation(n_train)
        for k in range(per_epoch):
            yield order[k * batch_size : (k + 1) * batch_size]


def _predict(net: Network, images: np.ndarray, batch_size: int, train_mode: bool) -> np.ndarray:
    """Predicted classes of `images` in eval mode, or BatchNorm's training mode per batch.

    Forward in chunks of about EVAL_CHUNK images (whole batches when the batch matters), so
    the im2col matrices stay small.
    """
    batch_matters = train_mode or net.uses_batch_in_eval
    chunk = max(batch_size, EVAL_CHUNK // batch_size * batch_size) if batch_matters else EVAL_CHUNK
    predictions = []
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk]
        if train_mode:
            logits = net.forward(part, batch_size=batch_size)
        elif net.uses_batch_in_eval:
            logits = np.concatenate(
                [
                    net.forward(part[k : k + batch_size], training=False)
                    for k in range(0, len(part), batch_size)
                ]
            )
        else:
            logits = net.forward(part, training=False)
        predictions.append(logits.argmax(axis=1))
    return np.concatenate(predictions)


class _Recorder:
    """The growing per-step lists of a run and the partial results built from them."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.bn = config.norm == "batchnorm"
        self.loss: list[float] = []
        self.train_accuracy: list[float] = []
        self.eval_steps: list[int] = []
        self.test_accuracy: list[float] = []
        self.test_accuracy_train_mode: list[float] = []
        self.bn_stats: dict[str, list[float]] = {
            key: [] for key in ("running_mean", "running_var", "batch_mean", "batch_var")
        }
        self.batch_mean_fixed = np.zeros(0)
        self.start = time.perf_counter()

    def step(self, net: Network, loss: float, logits: np.ndarray, labels: np.ndarray) -> None:
        self.loss.append(loss)
        self.train_accuracy.append(float((logits.argmax(axis=1) == labels).mean()))
        if self.bn:
            bn = net.norms[0]
            assert isinstance(bn, normlib.BatchNorm2d)
            channel = net.bn_inputs[0][:, 0].astype(np.float64)
            self.bn_stats["running_mean"].append(float(bn.running_mean[0]))
            self.bn_stats["running_var"].append(float(bn.running_var[0]))
            self.bn_stats["batch_mean"].append(float(channel.mean()))
            self.bn_stats["batch_var"].append(float(channel.var()))

    def evaluate(self, net: Network, step: int, full: bool) -> None:
        task = make_task(TASK_SEED)
        count = len(task.test_images) if full else EVAL_SUBSET
        images, labels = task.test_images[:count], task.test_labels[:count]
        size = self.config.batch_size
        # Both passes first, then the records: a pass that raises leaves them all as they were.
        accuracy = float((_predict(net, images, size, False) == labels).mean())
        if self.bn:
            train_mode = float((_predict(net, images, size, True) == labels).mean())
            self.test_accuracy_train_mode.append(train_mode)
        self.eval_steps.append(step)
        self.test_accuracy.append(accuracy)

    def fixed_weights(self, net: Network) -> None:
        """Channel 0's batch means of FIXED_BATCHES random batches, the weights held fixed."""
        if self.bn and self.loss:
            self.batch_mean_fixed = fixed_batch_means(net, self.config)

    def result(self, status: str, diverged_at: int | None = None) -> RunResult:
        def stats(key: str) -> np.ndarray | None:
            return np.array(self.bn_stats[key]) if self.bn else None

        return RunResult(
            config=self.config,
            status=status,
            steps_done=len(self.loss),
            diverged_at=diverged_at,
            loss=np.array(self.loss),
            train_accuracy=np.array(self.train_accuracy),
            eval_steps=np.array(self.eval_steps, dtype=np.int64),
            test_accuracy=np.array(self.test_accuracy),
            test_accuracy_train_mode=(np.array(self.test_accuracy_train_mode) if self.bn else None),
            running_mean=stats("running_mean"),
            running_var=stats("running_var"),
            batch_mean=stats("batch_mean"),
            batch_var=stats("batch_var"),
            seconds=time.perf_counter() - self.start,
            batch_mean_fixed=self.batch_mean_fixed if self.bn else None,
        )


def fixed_batch_means(net: Network, config: RunConfig) -> np.ndarray:
    """The first norm layer's input, channel 0, averaged over each of FIXED_BATCHES random
    batches of config.batch_size training images (no image twice in a batch), with the
    network's weights as they are: only the first convolution's channel 0 is computed."""
    images = make_task(TASK_SEED).train_images
    rng = np.random.default_rng(np.random.SeedSequence([12, 3, config.seed]))
    size = min(config.batch_size, len(images))
    index = np.concatenate(
        [rng.choice(len(images), size, replace=False) for _ in range(FIXED_BATCHES)]
    )
    weight, bias = net.params["conv1.weight"][:1], net.params["conv1.bias"][:1]
    per_image = []
    for start in range(0, index.size, 256):
        out, _ = layers.conv3x3_forward(images[index[start : start + 256]], weight, bias)
        per_image.append(out[:, 0].astype(np.float64).mean(axis=(1, 2)))
    return np.concatenate(per_image).reshape(FIXED_BATCHES, size).mean(axis=1)


def build_network(config: RunConfig, dtype: object = np.float32) -> Network:
    """The untrained network of a run (its initial weights come from config.seed)."""
    return Network(
        config.norm, groups=config.groups, axes=config.axes, seed=config.seed, dtype=dtype
    )


def train(
    config: RunConfig,
    *,
    on_step: Callable[[RunResult], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    report_every: int = 10,
) -> RunResult:
    """Train the lab's network for config.steps SGD steps (momentum 0.9) in float32.

    on_step receives a partial RunResult (status "running") every `report_every` steps and
    the final one at the end. should_stop is asked before every step; when it returns True
    the run ends with status "stopped" and held-out accuracy measured where it stopped.
    """
    if report_every < 1:
        raise ValueError(f"report_every must be >= 1; got {report_every!r}")
    task = make_task(TASK_SEED)
    net = build_network(config)
    sgd = layers.SGD(lr=config.learning_rate, momentum=MOMENTUM)
    batches = training_batches(config.seed, len(task.train_images), config.batch_size)
    schedule = set(eval_schedule(config.steps))
    record = _Recorder(config)
    status, diverged_at = "finished", None
    with np.errstate(all="ignore"):
        for step in range(1, config.steps + 1):
            if should_stop is not None and should_stop():
                status = "stopped"
                break
            index = next(batches)
            images, labels = task.train_images[index], task.train_labels[index]
            try:
                loss, logits, grads = net.loss_and_grads(images, labels)
            except normlib.NormError:  # an overflowed activation (inf) reached a norm layer
                loss = float("nan")
            if not np.isfinite(loss):
                status, diverged_at = "diverged", step
                break
            sgd.lr = learning_rate_at(config.learning_rate, step, config.steps)
            sgd.step(net.params, grads)
            record.step(net, loss, logits, labels)
            if step in schedule:
                try:
                    record.evaluate(net, step, full=step == config.steps)
                except normlib.NormError:
                    # This step's update made the weights overflow: the next step's loss would
                    # not be finite either (an eval forward is the same computation).
                    status, diverged_at = "diverged", step + 1
                    break
            if on_step is not None and step % report_every == 0 and step != config.steps:
                on_step(record.result("running"))
        if status == "stopped" and record.loss and record.eval_steps[-1:] != [len(record.loss)]:
            try:
                record.evaluate(net, len(record.loss), full=True)
            except normlib.NormError:
                status, diverged_at = "diverged", len(record.loss) + 1
    with np.errstate(all="ignore"):
        record.fixed_weights(net)
    final = record.result(status, diverged_at)
    if on_step is not None:
        on_step(final)
    return final
