"""The quiz (no Streamlit): questions generated from a seed (same seed, same quiz, same
order), each with its marked answer derived from normlib, and grading.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

import normlib
from normapp.links import params
from normapp.links.table import Control, Table
from normlib import METHODS, NormSpec
from normlib.typing import Element, Shape4

QUIZ_SEED_MAX = 999_999
QUIZ_LENGTH = 6

# Options of the "which method" questions: label and spec factory (C → spec).
_SET_METHODS = {
    "method1": "Method 1",
    "method2": "Method 2",
    "batchnorm": "BatchNorm2d (= Method 3)",
    "layernorm": "LayerNorm",
    "instancenorm": "InstanceNorm",
    "positionnorm": "LayerNorm over channels (PONO)",
}
# Layers of the train/eval question: label and whether the reduction includes N.
TRAIN_EVAL_LAYERS = {
    "batchnorm": "BatchNorm2d",
    "layernorm": "LayerNorm",
    "instancenorm": "InstanceNorm2d (PyTorch defaults)",
    "groupnorm": "GroupNorm",
    "rmsnorm": "RMSNorm",
    "pixelnorm": "PixelNorm",
}
KERAS_VARIANTS = (
    # (layer, axis, layout of the input)
    ("BatchNormalization", 1, "NCHW"),
    ("BatchNormalization", -1, "NHWC"),
    ("LayerNormalization", (1, 2, 3), "NCHW"),
    ("LayerNormalization", -1, "NHWC"),
)


def set_option_spec(key: str) -> NormSpec:
    """The spec of a 'which method' option key: a METHODS key or ``groupnorm:G``."""
    if key.startswith("groupnorm:"):
        return NormSpec("CHW", groups=int(key.split(":")[1]))
    return METHODS[key]


def set_option_label(key: str) -> str:
    if key.startswith("groupnorm:"):
        return f"GroupNorm(G={key.split(':')[1]})"
    return _SET_METHODS[key]


def keras_reduced(layer: str, axis: int | tuple[int, ...], layout: str) -> str:
    """The axes (letters of N, C, H, W) a Keras layer reduces over.

    BatchNormalization's `axis` names the axis that is KEPT (one statistic per
    entry of it); LayerNormalization's `axis` names the axes that are REDUCED.
    """
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    named = {layout[a] for a in axes}
    if layer == "BatchNormalization":
        reduced = set(layout) - named
    elif layer == "LayerNormalization":
        reduced = named
    else:
        raise ValueError(f"unknown Keras layer {layer!r}")
    return "".join(a for a in "NCHW" if a in reduced)


@dataclass(frozen=True)
class Question:
    """One quiz question with its marked answer and explanation.

    `options` are keys, `labels` what the page shows for them. `answer` is a
    frozenset of option keys (one key for single-choice questions).
    """

    kind: str
    prompt: str
    options: tuple[str, ...]
    labels: tuple[str, ...]
    answer: frozenset[str]
    multi: bool
    explanation: str
    shape: Shape4 | None = None
    element: Element | None = None
    shown_spec: NormSpec | None = None
    keras: tuple | None = None

    def label(self, key: str) -> str:
        return self.labels[self.options.index(key)]


@dataclass(frozen=True)
class Feedback:
    answered: bool
    correct: bool
    message: str


def _partition_key(ids: np.ndarray) -> bytes:
    """A canonical form of a partition: ids renumbered by first appearance."""
    _, first, inverse = np.unique(ids.ravel(), return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse].astype(np.int64).tobytes()


def _sets_question(rng: np.random.Generator) -> Question:
    while True:
        n = int(rng.integers(2, 4))
        c = int(rng.choice([2, 3, 4, 6]))
        h = int(rng.integers(2, 5))
        w = int(rng.integers(2, 5))
        shape = (n, c, h, w)
        keys = list(_SET_METHODS) + [f"groupnorm:{g}" for g in range(2, c) if c % g == 0]
        answer = keys[int(rng.integers(len(keys)))]
        element = (
            int(rng.integers(n)),
            int(rng.integers(c)),
            int(rng.integers(h)),
            int(rng.integers(w)),
        )
        ids = {k: normlib.set_ids(shape, set_option_spec(k)) for k in keys}
        blocks = {k: (ids[k] == ids[k][element]).tobytes() for k in keys}
        parts = {k: _partition_key(ids[k]) for k in keys}
        # Distractors: different highlighted set AND different partition, from each other too.
        pool = [k for k in keys if k != answer]
        rng.shuffle(pool)
        chosen = [answer]
        for k in pool:
            if all(blocks[k] != blocks[j] and parts[k] != parts[j] for j in chosen):
                chosen.append(k)
            if len(chosen) == 4:
                break
        if len(chosen) < 4:
            continue
        rng.shuffle(chosen)
        spec = set_option_spec(answer)
        count = spec.count(shape)
        kept = spec.kept_axes()
        label = set_option_label(answer)
        return Question(
            kind="sets",
            prompt=(
                f"On a tensor of shape (N, C, H, W) = {shape}, the outlined cells are one set: "
                "they share one mean and variance. Which method is it?"
            ),
            options=tuple(chosen),
            labels=tuple(set_option_label(k) for k in chosen),
            answer=frozenset([answer]),
            multi=False,
            explanation=(
                f"{label} reduces over {_letters(spec.axes)}"
                + (
                    f" within groups of C/G = {c // spec.groups} channels"
                    if spec.groups > 1
                    else ""
                )
                + f", so every set has {count} elements and one mean per "
                + (_kept_words(kept, spec.groups) + ".")
            ),
            shape=shape,
            element=element,
            shown_spec=spec,
        )


def _letters(axes: str) -> str:
    return ", ".join(axes) if axes else "nothing"


def _kept_words(kept: str, groups: int) -> str:
    words = {"N": "sample n", "C": "channel c", "H": "row h", "W": "column w"}
    parts = [words[a] for a in kept]
    if groups > 1:
        parts = ["sample n", "group of channels"]
    return ", ".join(parts) if parts else "tensor"


def _count_question(rng: np.random.Generator) -> Question:
    while True:
        n = int(rng.choice([2, 4, 8, 16, 32]))
        c = int(rng.choice([3, 8, 16, 32, 64]))
        size = int(rng.choice([4, 7, 8, 14, 16, 28, 32]))
        shape = (n, c, size, size)
        values = {
            "NHW": n * size * size,
            "N": n,
            "HW": size * size,
            "CHW": c * size * size,
            "NC": n * c,
            "NCHW": n * c * size * size,
        }
        if len(set(values.values())) < len(values):
            continue
        distractors = [k for k in values if k != "NHW"]
        rng.shuffle(distractors)
        keys = ["NHW"] + distractors[:3]
        rng.shuffle(keys)
        count = normlib.METHODS["batchnorm"].count(shape)
        return Question(
            kind="count",
            prompt=(
                f"`torch.nn.BatchNorm2d({c})` in training gets a batch of shape "
                f"(N, C, H, W) = {shape}. How many numbers go into each mean it computes?"
            ),
            options=tuple(keys),
            labels=tuple(f"{values[k]:,}" for k in keys),
            answer=frozenset(["NHW"]),
            multi=False,
            explanation=(
                f"BatchNorm2d computes one mean per channel, over the batch and every position: "
                f"m = N·H·W = {n}·{size}·{size} = {count:,} (the BN paper's m' = m·p·q). "
                f"{c * size * size:,} = C·H·W would be LayerNorm; {n} = N per-activation BN "
                f"(Method 2)."
            ),
            shape=shape,
        )


def _train_eval_question(rng: np.random.Generator) -> Question:
    keys = list(TRAIN_EVAL_LAYERS)
    rng.shuffle(keys)
    answer = frozenset(k for k in keys if "N" not in METHODS[k].axes)
    return Question(
        kind="train_eval",
        prompt=(
            "Which of these layers give the same output for the same input in training "
            "mode and in eval mode? Choose all that apply."
        ),
        options=tuple(keys),
        labels=tuple(TRAIN_EVAL_LAYERS[k] for k in keys),
        answer=answer,
        multi=True,
        explanation=(
            "Only a layer whose statistics include the batch axis N needs running statistics "
            "for eval: BatchNorm2d (N, H, W) normalizes with the batch's statistics in training "
            "and with running_mean/running_var in eval. LayerNorm, InstanceNorm2d (by default: "
            "no running statistics), GroupNorm, RMSNorm and PixelNorm compute each sample's "
            "statistics from that sample alone, the same way in both modes."
        ),
    )


def _keras_question(variant: tuple) -> Question:
    layer, axis, layout = variant
    answer = frozenset(keras_reduced(layer, axis, layout))
    axis_text = str(list(axis)) if isinstance(axis, tuple) else str(axis)
    dims = ", ".join(layout)
    layout_words = "channels-first" if layout == "NCHW" else "channels-last (Keras' default)"
    kept = "".join(a for a in "NCHW" if a not in answer)
    if layer == "BatchNormalization":
        why = (
            f"BatchNormalization's axis names the axis that is KEPT: axis={axis_text} is "
            f"{layout[axis]} here, so there is one mean per channel and the statistics are "
            f"taken over {_letters(''.join(sorted(answer, key='NCHW'.index)))}, like "
            f"torch.nn.BatchNorm2d."
        )
    else:
        why = (
            f"LayerNormalization's axis names the axes that are REDUCED: axis={axis_text} is "
            f"{_letters(''.join(layout[a] for a in ((axis,) if isinstance(axis, int) else axis)))}"
            f" here, so one mean per {_letters(kept)} combination."
            + (
                " On images that is a per-pixel normalization over channels, not the GN paper's "
                "LayerNorm over (C, H, W)."
                if answer == {"C"}
                else ""
            )
        )
    return Question(
        kind="keras",
        prompt=(
            f"Keras `{layer}(axis={axis_text})` on a {layout_words} tensor of shape "
            f"({dims}). Over which axes does it compute each mean? Choose all that apply."
        ),
        options=("N", "C", "H", "W"),
        labels=("N (batch)", "C (channels)", "H (height)", "W (width)"),
        answer=answer,
        multi=True,
        explanation=why,
        keras=variant,
    )


def make_quiz(seed: int) -> tuple[Question, ...]:
    """The quiz of `seed`: the same questions in the same order for everyone."""
    rng = np.random.default_rng([seed, 2024])
    others = [v for v in KERAS_VARIANTS if v != KERAS_VARIANTS[0]]
    other_keras = others[int(rng.integers(len(others)))]
    makers = [
        lambda r: _sets_question(r),
        lambda r: _sets_question(r),
        lambda r: _count_question(r),
        lambda r: _train_eval_question(r),
        lambda r: _keras_question(KERAS_VARIANTS[0]),
        lambda r: _keras_question(other_keras),
    ]
    order = rng.permutation(len(makers))
    return tuple(makers[int(k)](np.random.default_rng([seed, 7, i])) for i, k in enumerate(order))


def grade(question: Question, response: str | Iterable[str] | None) -> Feedback:
    """Right or wrong, with the explanation. `response` is a key or keys (multi)."""
    if response is None or (not isinstance(response, str) and not list(response)):
        return Feedback(False, False, "Choose an answer first.")
    chosen = frozenset([response]) if isinstance(response, str) else frozenset(response)
    correct = chosen == question.answer
    if question.multi:
        right = ", ".join(question.label(k) for k in question.options if k in question.answer)
        verdict = "Correct." if correct else f"Not quite: the answer is {right}."
    else:
        (key,) = question.answer
        verdict = "Correct." if correct else f"Not quite: the answer is {question.label(key)}."
    return Feedback(True, correct, f"{verdict} {question.explanation}")


def new_quiz_seed(current: int, rng: np.random.Generator | None = None) -> int:
    rng = rng or np.random.default_rng()
    while True:
        seed = int(rng.integers(0, QUIZ_SEED_MAX + 1))
        if seed != current:
            return seed


# ============================================================ URL parameters
# The Quiz page's link parameters, declared once (normapp/links/table.py). No widget holds
# them: the page reads and writes them by hand. The class session's (class, key, me) are
# checked where they are used (normapp/classroom/class_quiz.py, views.py): the code and the
# secret by the store, the student id against the ids the session issued.
QUIZ_NUMBER = Control(
    # The error repeats the link's text: shown literally (escaped, truncated).
    params.Param("quiz", 1, params.parse_int_in(0, QUIZ_SEED_MAX, "quiz (the quiz number)")),
    label="Quiz number",
)
CLASS_CODE = Control(params.Param("class", "", str), label="A class session's code (a student's)")
CLASS_KEY = Control(params.Param("key", "", str), label="The class session's secret (the board)")
STUDENT = Control(params.Param("me", "", str), label="A student's id in the class session")
TABLE = Table((QUIZ_NUMBER, CLASS_CODE, CLASS_KEY, STUDENT))


# ============================================================ a class taking the quiz
def student_order(question: Question, student_id: str, index: int) -> tuple[str, ...]:
    """The question's option keys in this student's order.

    A class answers the same questions, but neighbours should not copy a position
    ("the third one"): each student sees the options in an order drawn from their
    own id and the question's number. The order comes from SHA-256 rather than
    Python's hash(), which differs between server processes (replicas).
    """
    digest = hashlib.sha256(f"{student_id}:{index}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    return tuple(question.options[int(k)] for k in rng.permutation(len(question.options)))


def explorer_view(question: Question) -> tuple[str, dict[str, str | list[str]]]:
    """The page and link parameters of the view that shows a question's answer.

    Sets and counts open the Explorer on a random tensor of the question's shape
    with the answer's axes (and the marked element for sets); the Keras questions
    open it with the axes the layer reduces over; the train/eval question opens
    the Train vs eval page, where the difference is measured.
    """
    if question.kind == "train_eval":
        return "train-eval", {}
    query: dict[str, str | list[str]] = {}
    if question.kind == "keras":
        axes = "".join(a for a in "NCHW" if a in question.answer)
    else:
        spec = question.shown_spec if question.kind == "sets" else METHODS["batchnorm"]
        assert spec is not None and question.shape is not None
        axes = spec.axes
        query["source"] = params.SOURCES["random"]
        query["shape"] = params.format_shape(question.shape)
        if spec.groups > 1:
            query["groups"] = str(spec.groups)
        if question.element is not None:
            query["pick"] = params.format_element(question.element)
    query["axes"] = list(axes)
    return "explorer", query
