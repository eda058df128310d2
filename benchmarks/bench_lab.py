"""The training lab's NumPy engine (normapp/lab) against the same network in torch, and
the accuracy table that shows where the normalization methods part ways.

Run with ``make bench`` (speed, the other pages, the 5-seed tables) or directly:

    python benchmarks/bench_lab.py            # everything, 5 seeds
    python benchmarks/bench_lab.py --speed    # speed only
    python benchmarks/bench_lab.py --table --match images --workers 1   # the lesson's table

(a) Speed: 200 SGD steps at batch 32 (groupnorm, then batchnorm), one process, one thread
    on each side (OpenBLAS and torch.set_num_threads(1)); the torch network starts from the
    same weights and sees the same batches. Prints steps/s of both and their ratio, and the
    time of the whole NumPy run with its held-out evaluation. Targets: the NumPy training
    steps within 3× torch's time, a whole 200-step run at most 5 s.
(b) Table: seeds 0-4 × norms {none, batchnorm, groupnorm, layernorm, instancenorm} ×
    batch {2, 4, 8, 16, 32} at the page's default steps and learning rate, compared as the
    page compares them: first at the same images (the page's default: steps × 32/B, learning
    rate × B/32, the GroupNorm paper's protocol), then at the same steps; mean held-out error
    (%) ± std over seeds (eval mode), and BatchNorm's error with batch statistics (train
    mode). At the same images it checks the lesson (issue 23's points 1-3: BatchNorm's error
    rises from batch 32 to 2 in every seed, GroupNorm's does not, at batch 32 BatchNorm is as
    good as GroupNorm); then the "why normalize at all?" preset, every seed (point 4).
    multiprocessing over --workers processes (default: the machine's cores).
(c) The other pages while a class trains: the app's server, warm, serves a class of
    simulated students (tests/support/classroom.py) the Explorer, Compare, Batch and Train vs
    eval pages; then again while lab students start runs of their own (the runs train in the
    lab's training process), and again on a server that trains on its own threads
    (NORMAPP_LAB_PROCESSES=0, the reference). Prints views/s and p95 side by side. Target:
    with the training process, the other pages keep at least half their views per second.
"""

from __future__ import annotations

import os

# Before NumPy loads OpenBLAS: one thread, like the torch side (and one per table worker).
# Only when run as a script: tests import torch_network from here and must not change the
# environment of their session.
if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import itertools  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from normapp.lab import controls, layers  # noqa: E402
from normapp.lab.network import EPS, STRIDES, WIDTH, Network  # noqa: E402
from normapp.lab.task import make_task  # noqa: E402
from normapp.lab.training import (  # noqa: E402
    BATCH_SIZES,
    MOMENTUM,
    TASK_SEED,
    RunConfig,
    build_network,
    train,
    training_batches,
)

SPEED_NORMS = ("groupnorm", "batchnorm")
TABLE_NORMS = ("none", "batchnorm", "groupnorm", "layernorm", "instancenorm")
TARGET_RATIO = 3.0
TARGET_SECONDS = 5.0


def torch_network(net: Network, torch, *, groups: int = 4, axes: str = ""):
    """A torch nn.Module computing what `net` computes, with a copy of its weights.

    The norm layers are torch's own (W = WIDTH channels): nn.BatchNorm2d, nn.GroupNorm(G, W)
    for groupnorm, nn.GroupNorm(1, W) for layernorm, nn.GroupNorm(W, W) for instancenorm, and for
    "custom" a few torch ops (mean and biased variance over the axes, per-channel affine).
    """
    nn = torch.nn
    dtype = torch.float64 if net.dtype == np.float64 else torch.float32

    class AxesNorm(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dims = [("N", "C", "H", "W").index(a) for a in axes.upper()]
            self.weight = nn.Parameter(torch.ones(WIDTH))
            self.bias = nn.Parameter(torch.zeros(WIDTH))

        def forward(self, x):
            mean = x.mean(dim=self.dims, keepdim=True)
            var = x.var(dim=self.dims, keepdim=True, unbiased=False)
            out = (x - mean) / torch.sqrt(var + EPS)
            return out * self.weight[None, :, None, None] + self.bias[None, :, None, None]

    def make_norm():
        return {
            "none": lambda: nn.Identity(),
            "batchnorm": lambda: nn.BatchNorm2d(WIDTH, eps=EPS, momentum=0.1),
            "groupnorm": lambda: nn.GroupNorm(groups, WIDTH, eps=EPS),
            "layernorm": lambda: nn.GroupNorm(1, WIDTH, eps=EPS),
            "instancenorm": lambda: nn.GroupNorm(WIDTH, WIDTH, eps=EPS),
            "custom": AxesNorm,
        }[net.norm]()

    class Twin(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, WIDTH, 3, padding=1)
            self.norm1 = make_norm()
            self.conv2 = nn.Conv2d(WIDTH, WIDTH, 3, stride=STRIDES[1], padding=1)
            self.norm2 = make_norm()
            self.conv3 = nn.Conv2d(WIDTH, WIDTH, 3, stride=STRIDES[2], padding=1)
            self.norm3 = make_norm()
            self.fc = nn.Linear(WIDTH, 4)

        def forward(self, x):
            x = torch.relu(self.norm1(self.conv1(x)))
            x = torch.relu(self.norm2(self.conv2(x)))
            x = torch.relu(self.norm3(self.conv3(x)))
            return self.fc(x.mean(dim=(2, 3)))

    model = Twin().to(dtype)
    names = {name for name, _ in model.named_parameters()}
    if names != set(net.params):
        raise AssertionError(f"parameter names differ: {sorted(names)} vs {sorted(net.params)}")
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.copy_(torch.from_numpy(np.array(net.params[name])))
    return model


def numpy_steps(config: RunConfig, steps: int) -> float:
    """Seconds for `steps` training steps of the NumPy engine (no evaluation)."""
    task = make_task(TASK_SEED)
    net = build_network(config)
    sgd = layers.SGD(lr=config.learning_rate, momentum=MOMENTUM)
    batches = training_batches(config.seed, len(task.train_images), config.batch_size)
    start = time.perf_counter()
    for _ in range(steps):
        index = next(batches)
        _, _, grads = net.loss_and_grads(task.train_images[index], task.train_labels[index])
        sgd.step(net.params, grads)
    return time.perf_counter() - start


def torch_steps(config: RunConfig, steps: int, torch) -> float:
    """Seconds for the same steps in torch: same initial weights, same batches."""
    task = make_task(TASK_SEED)
    model = torch_network(build_network(config), torch, groups=config.groups, axes=config.axes)
    optimizer = torch.optim.SGD(model.parameters(), lr=config.learning_rate, momentum=MOMENTUM)
    batches = training_batches(config.seed, len(task.train_images), config.batch_size)
    images, labels = (
        torch.from_numpy(task.train_images.copy()),
        torch.from_numpy(task.train_labels.copy()),
    )
    model.train()
    start = time.perf_counter()
    for _ in range(steps):
        index = torch.from_numpy(next(batches))
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(images[index]), labels[index])
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def speed() -> int:
    try:
        import torch
    except ImportError:
        torch = None
        print("torch is not installed: only the NumPy times are shown (pip install torch==2.13.0)")
    if torch is not None:
        torch.set_num_threads(1)
    steps = 200
    print(f"(a) {steps} SGD steps at batch 32, one thread on each side")
    header = (
        f"{'norm':<12}{'numpy steps/s':>15}{'torch steps/s':>15}{'ratio':>8}{'run s':>8}  verdict"
    )
    print(header)
    print("-" * len(header))
    failures = 0
    for norm in SPEED_NORMS:
        config = RunConfig(norm, 32, steps=steps)
        numpy_steps(config, 5)  # warm up
        ours = numpy_steps(config, steps)
        run_seconds = train(config).seconds
        theirs = torch_steps(config, steps, torch) if torch is not None else None
        ratio = ours / theirs if theirs else float("nan")
        ok = run_seconds <= TARGET_SECONDS and (theirs is None or ratio <= TARGET_RATIO)
        failures += not ok
        torch_text = f"{steps / theirs:15.1f}" if theirs else f"{'-':>15}"
        print(
            f"{norm:<12}{steps / ours:15.1f}{torch_text}{ratio:8.2f}{run_seconds:8.2f}  "
            f"{'ok' if ok else 'OVER TARGET'}"
        )
    print(
        f"targets: numpy time <= {TARGET_RATIO}x torch's; a whole run (with held-out "
        f"evaluation, 'run s') <= {TARGET_SECONDS} s\n"
    )
    return failures


def _table_run(args: tuple[str, int, int, str]) -> tuple[str, int, int, float, float, str]:
    norm, batch, seed, match = args
    defaults = RunConfig(norm, batch)
    steps, rate = controls.scaled(defaults.steps, defaults.learning_rate, batch, match)
    return _final(RunConfig(norm, batch, learning_rate=rate, steps=steps, seed=seed))


def _final(config: RunConfig) -> tuple[str, int, int, float, float, str]:
    """(norm, batch, seed, held-out accuracy in eval mode, in train mode, status) of a run."""
    result = train(config)
    train_mode = (
        result.test_accuracy_train_mode[-1]
        if result.test_accuracy_train_mode is not None and len(result.test_accuracy_train_mode)
        else float("nan")
    )
    final = result.test_accuracy[-1] if len(result.test_accuracy) else float("nan")
    norm, batch, seed = config.norm, config.batch_size, config.seed
    return norm, batch, seed, float(final), float(train_mode), result.status


def _map(function, jobs: list, workers: int) -> list:
    if workers <= 1:
        return [function(job) for job in jobs]
    with multiprocessing.Pool(workers) as pool:
        return pool.map(function, jobs)


def _cell(errors: list[float]) -> str:
    """Mean ± standard deviation over seeds (n - 1), in percent."""
    values = 100 * np.asarray(errors)
    spread = np.std(values, ddof=1) if values.size > 1 else 0.0
    return f"{np.mean(values):.1f} ± {spread:.1f}"


def table(seeds: int, match: str, workers: int) -> int:
    """Print held-out error (%) for every norm and batch size; at the same images, check the
    lesson (points 1-3 of issue 23). Returns the number of points that fail."""
    defaults = RunConfig("none", 2)
    compared = (
        f"the same images: {defaults.steps} steps at batch 32 and learning rate "
        f"{defaults.learning_rate}, steps × 32/B and learning rate × B/32 at batch B"
        if match == "images"
        else f"the same steps: {defaults.steps} at learning rate {defaults.learning_rate}"
    )
    print(
        f"(b) held-out error (%) at {compared} (momentum {MOMENTUM}, cosine decay to 0), "
        f"mean ± std over seeds 0-{seeds - 1}, eval mode"
    )
    jobs = [(*job, match) for job in itertools.product(TABLE_NORMS, BATCH_SIZES, range(seeds))]
    start = time.perf_counter()
    rows = _map(_table_run, jobs, workers)
    errors: dict[tuple[str, int], list[float]] = {}
    train_mode: dict[int, list[float]] = {}
    odd = []
    for norm, batch, seed, accuracy, train_accuracy, status in rows:
        errors.setdefault((norm, batch), []).append(1 - accuracy)
        if norm == "batchnorm":
            train_mode.setdefault(batch, []).append(1 - train_accuracy)
        if status != "finished":
            odd.append((norm, batch, seed, status))
    print()
    print("| norm | " + " | ".join(f"batch {b}" for b in BATCH_SIZES) + " |")
    print("|---" * (len(BATCH_SIZES) + 1) + "|")
    for norm in TABLE_NORMS:
        print(f"| {norm} | " + " | ".join(_cell(errors[norm, b]) for b in BATCH_SIZES) + " |")
        if norm == "batchnorm":
            cells = " | ".join(_cell(train_mode[b]) for b in BATCH_SIZES)
            print(f"| batchnorm (train mode) | {cells} |")
    if odd:
        print(f"\nruns that did not finish: {odd}")
    print(f"\n{len(jobs)} runs in {time.perf_counter() - start:.0f} s")
    return lesson_checks(errors) if match == "images" else 0


def lesson_checks(errors: dict[tuple[str, int], list[float]]) -> int:
    """Points 1-3 of issue 23 on the per-seed errors; prints each, returns how many fail."""
    bn2, bn32 = (100 * np.asarray(errors["batchnorm", b]) for b in (2, 32))
    gn2, gn32 = (100 * np.asarray(errors["groupnorm", b]) for b in (2, 32))
    pooled = np.sqrt((np.var(bn2, ddof=1) + np.var(bn32, ddof=1)) / 2)
    rise = bn2.mean() - bn32.mean()
    points = [
        (
            "1. BatchNorm's error rises from batch 32 to 2 in every seed, by more than twice "
            f"the pooled std: {np.sum(bn2 > bn32)} of {bn2.size} seeds, mean rise "
            f"{rise:.1f} against 2 × {pooled:.1f}",
            bool(np.all(bn2 > bn32) and rise > 2 * pooled),
        ),
        (
            "2. GroupNorm's mean error at batch 2 within 1 point of batch 32's (or lower): "
            f"{gn2.mean():.1f} against {gn32.mean():.1f}",
            bool(gn2.mean() <= gn32.mean() + 1),
        ),
        (
            "3. at batch 32 BatchNorm within 1 point of GroupNorm (or lower): "
            f"{bn32.mean():.1f} against {gn32.mean():.1f}",
            bool(bn32.mean() <= gn32.mean() + 1),
        ),
    ]
    for words, holds in points:
        print(f"{words}: {'holds' if holds else 'FAILS'}")
    return sum(not holds for _, holds in points)


def preset_table(seeds: int, workers: int) -> int:
    """Point 4 of issue 23: the "why normalize at all?" preset, every seed, final error (%)."""
    preset = controls.PRESETS["why"]
    jobs = [
        RunConfig(norm, preset.batch, preset.lr, preset.steps, seed)
        for norm in preset.norms
        for seed in range(seeds)
    ]
    rows = _map(_final, jobs, workers)
    errors: dict[str, list[float]] = {}
    for norm, _, _, accuracy, _, status in rows:
        errors.setdefault(norm, []).append(1 - accuracy if status == "finished" else 1.0)
    print(
        f"(b') the preset {preset.title!r}: batch {preset.batch}, learning rate {preset.lr}, "
        f"{preset.steps} steps; held-out error (%) per seed 0-{seeds - 1}, eval mode"
    )
    for norm in preset.norms:
        per_seed = " ".join(f"{100 * e:5.1f}" for e in errors[norm])
        print(f"{norm:<12}{_cell(errors[norm]):>14}   {per_seed}")
    none = np.asarray(errors["none"])
    worse = [np.all(none > np.asarray(errors[n])) for n in preset.norms if n != "none"]
    holds = bool(all(worse))
    print(
        "4. without normalization the error is higher than with each normalization, in every "
        f"seed: {'holds' if holds else 'FAILS'}\n"
    )
    return 0 if holds else 1


OTHER_VIEWS = ("", "compare", "batch", "train-eval")
LOAD_TARGET = 0.5


def other_pages_while_training(students: int = 12, lab_students: int = 8) -> int:
    """(c): views/s of the other pages, idle and while `lab_students` start runs."""
    from tests.support.classroom import StreamlitServer, View, run_class

    views = [View(page) for page in OTHER_VIEWS]
    class_views = [[views[(s + k) % len(views)] for k in range(3)] for s in range(students)]
    # 800 steps each: the lab's queue keeps training for the whole measurement.
    lab_views = [[View("lab", f"tsteps=800&tseed={60 + s}")] for s in range(lab_students)]
    root = Path(__file__).resolve().parent.parent
    measured = {}
    for name, processes in (("training process", "1"), ("server threads (reference)", "0")):
        log = root / "test-artifacts" / f"bench-lab-server-{processes}.log"
        env = dict(os.environ, NORMAPP_LAB_PROCESSES=processes)
        with StreamlitServer(root / "app.py", log, env=env) as server:
            run_class(server.url, class_views)  # warm: every page's first run and caches
            idle = run_class(server.url, class_views)
            started = run_class(server.url, lab_views)  # returns once each lab view is drawn
            loaded = run_class(server.url, class_views)
        measured[name] = (idle, loaded, started)
    pages = ", ".join(page or "explorer" for page in OTHER_VIEWS)
    print(f"(c) {students} students, 3 views each of {pages}; {lab_students} lab students")
    print(f"{'lab runs train in':<30}{'idle views/s':>14}{'training views/s':>18}{'p95 s':>8}")
    for name, (idle, loaded, _) in measured.items():
        print(
            f"{name:<30}{idle.views_per_second:14.2f}{loaded.views_per_second:18.2f}"
            f"{loaded.percentile(95):8.2f}"
        )
    idle, loaded, _ = measured["training process"]
    errors = sum(len(r.errors) for runs in measured.values() for r in runs)
    ratio = loaded.views_per_second / idle.views_per_second
    ok = ratio >= LOAD_TARGET and errors == 0
    print(
        f"with the training process: ratio {ratio:.2f} (target >= {LOAD_TARGET}), "
        f"errors {errors}: {'ok' if ok else 'OVER TARGET'}\n"
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", action="store_true", help="the speed comparison only")
    parser.add_argument("--table", action="store_true", help="the accuracy table only")
    parser.add_argument(
        "--load", action="store_true", help="only the other pages while a class trains"
    )
    parser.add_argument("--seeds", type=int, default=5, help="seeds in the table (0 to n - 1)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes for the table"
    )
    parser.add_argument(
        "--match",
        choices=("images", "steps", "both"),
        default="both",
        help="compare batch sizes at the same images (the page's default), steps, or both",
    )
    args = parser.parse_args()
    both = not (args.speed or args.table or args.load)
    failures = 0
    if args.speed or both:
        failures += speed()
    if args.load or both:
        failures += other_pages_while_training()
    if args.table or both:
        for match in ("images", "steps") if args.match == "both" else (args.match,):
            failures += table(args.seeds, match, args.workers)
            print()
        failures += preset_table(args.seeds, args.workers)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
