"""Everything the app computes once and shares between reruns and sessions.

One rule for every function here: it is keyed by the small values that made
its result (a frozen `View`, a shape, a seed), never by hashing an array.
Array arguments carry a leading underscore, which Streamlit leaves out of the
key; the key argument beside them (``view.input_key``, ``input_key``) names
the input they came from.

Results are ``cache_resource`` objects, shared and read-only: ``cache_data``
pickles what it stores and unpickles a copy on every hit, which at the 2^24
element cap is a 64 MB copy and about a second per rerun. Plotly figures are
never changed after they are built, so one object serves every session, and
each is a `SharedFigure`, turned into Plotly's dict once rather than on every
draw. Each cache is bounded (``max_entries``): the few large ones hold a handful.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import normlib
from normapp import figures, inputs
from normapp.classroom import quiz
from normapp.explorer import set_statistics
from normapp.explorer.after_check import AfterCheck
from normapp.explorer.after_check import after_check as check_after
from normapp.inputs import LoadedInput
from normapp.teaching import (
    batch_dependence,
    question,
    running_statistics,
    running_var_target,
    train_eval,
)
from normlib.typing import Element, Shape4


@dataclass(frozen=True)
class View:
    """What one normalized tensor depends on: the input (by its key) and the layer."""

    input_key: tuple
    spec: normlib.NormSpec
    eps: float = 1e-5
    gamma: float = 1.0
    beta: float = 0.0

    @classmethod
    def of(
        cls,
        data: LoadedInput,
        spec: normlib.NormSpec,
        eps: float = 1e-5,
        gamma: float = 1.0,
        beta: float = 0.0,
    ) -> View:
        return cls(data.key, spec, float(eps), float(gamma), float(beta))


# Streamlit hashes a cache argument it has no rule for through its pickle reduction, one
# level at a time: 0.6-0.9 ms for one View, several times per view of a page (7 % of the
# server's time in a profile of a warm class). These rules name what a View and a NormSpec
# are made of, as one string each (about 0.06 ms). A Preset keys as the spec it stands for.
def _spec_key(spec: normlib.NormSpec) -> str:
    return repr((spec.axes, spec.groups, spec.center))


def _view_key(view: View) -> str:
    return repr((view.input_key, _spec_key(view.spec), view.eps, view.gamma, view.beta))


KEYS: dict[str | type[Any], Callable[[Any], Any]] = {
    View: _view_key,
    normlib.NormSpec: _spec_key,
    normlib.Preset: _spec_key,
}


def _read_only(loaded: LoadedInput) -> LoadedInput:
    loaded.x.flags.writeable = False  # one object serves every session: nobody writes
    return loaded


# ------------------------------------------------------------------ inputs
@st.cache_resource(max_entries=4, show_spinner=False, hash_funcs=KEYS)
def samples(n: int, size: int) -> LoadedInput:
    return _read_only(inputs.load_samples(n, size))


@st.cache_resource(max_entries=4, show_spinner=False, hash_funcs=KEYS)
def random_tensor(shape, seed, distribution, coff, cscale, soff, sscale) -> LoadedInput:
    return _read_only(inputs.load_random(shape, seed, distribution, coff, cscale, soff, sscale))


@st.cache_resource(max_entries=4, show_spinner=False, hash_funcs=KEYS)
def features(images_key: tuple, _images: LoadedInput) -> LoadedInput:
    return _read_only(inputs.load_features(_images))


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=KEYS)
def upload(name: str, digest: str, size: int, _data: bytes) -> inputs.UploadOutcome:
    """One uploaded file decoded, keyed by its content digest (not its bytes)."""
    return inputs.decode_upload(name, _data, size)


# ----------------------------------------------------------------- numbers
@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=KEYS)
def normalized(view: View, _x: np.ndarray) -> normlib.NormResult:
    """normalize() of the view's input, with scalar γ and β broadcast over channels."""
    channels = _x.shape[1]
    gamma_c = None if view.gamma == 1.0 else np.full(channels, view.gamma, dtype=_x.dtype)
    beta_c = None if view.beta == 0.0 else np.full(channels, view.beta, dtype=_x.dtype)
    result = normlib.normalize(_x, view.spec, eps=view.eps, gamma=gamma_c, beta=beta_c)
    for shared in (result.output, result.mean, result.var):
        shared.flags.writeable = False
    return result


@st.cache_resource(max_entries=16, show_spinner=False, hash_funcs=KEYS)
def set_ids(shape: Shape4, spec: normlib.NormSpec) -> np.ndarray:
    """normlib.set_ids, shared rather than copied per rerun (up to 2^24 ids)."""
    ids = normlib.set_ids(shape, spec)
    ids.flags.writeable = False
    return ids


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=KEYS)
def histograms(
    view: View, by: str | None, bins: int, _before: np.ndarray, _after: np.ndarray
) -> normlib.Histograms:
    """Shared-bin histograms of the view's input and output.

    `by` is None (overall), "channel" or "set" (one histogram per reduction set).
    """
    labels = set_ids(tuple(_before.shape), view.spec) if by == "set" else by
    return normlib.histograms(_before, _after, bins=bins, by=labels)


@st.cache_data(max_entries=32, show_spinner=False, hash_funcs=KEYS)
def after_check(view: View, _result: normlib.NormResult) -> AfterCheck:
    """after_check.after_check (a second normalization of the output), once per view."""
    return check_after(_result, view.gamma, view.beta)


# Two entries: at the input cap one entry holds six methods' outputs of a 2^21-number batch.
@st.cache_resource(max_entries=2, show_spinner=False, hash_funcs=KEYS)
def movements(input_key: tuple, sample, size, mates, shuffle, _x, _labels):
    """The Batch page's batch and every method's movement of the fixed sample."""
    batch = batch_dependence.build_batch(_x, _labels, sample, size, mates, shuffle)
    rows = batch_dependence.reference_rows(_x.shape, sample)
    position = int(np.flatnonzero(rows == sample)[0])
    return batch, batch_dependence.batch_movement(_x[rows], position, batch)


# A run holds the last batch three times (input, training and eval output), up to
# 3 × 64 MB at the input cap: three entries.
@st.cache_resource(max_entries=3, show_spinner=False, hash_funcs=KEYS)
def train_stream(input_key: tuple, momentum, steps: int, batch: int, seed: int, _x: np.ndarray):
    """The train-vs-eval stream and its batch-mates check."""
    run = running_statistics.train_stream(_x, momentum, steps, batch, seed)
    return run, train_eval.batch_mates_check(run, _x)


@st.cache_resource(max_entries=3, show_spinner=False, hash_funcs=KEYS)
def small_batch(input_key: tuple, _x: np.ndarray) -> running_var_target.SmallBatch:
    return running_var_target.small_batch(_x)


@st.cache_data(max_entries=2, show_spinner=False, hash_funcs=KEYS)
def golden_check() -> question.TorchCheck | str:
    """The stored-torch comparison, or the reason it cannot be made."""
    try:
        return question.golden_check()
    except (OSError, KeyError, ValueError) as error:
        return f"The golden file could not be read ({error})."


@st.cache_data(max_entries=8, show_spinner="Running torch.nn.BatchNorm2d…", hash_funcs=KEYS)
def torch_check(input_key: tuple, _x) -> question.TorchCheck:
    return question.torch_check(_x)


@st.cache_data(max_entries=32, show_spinner=False, hash_funcs=KEYS)
def quiz_questions(seed: int) -> tuple[quiz.Question, ...]:
    return quiz.make_quiz(seed)


# ----------------------------------------------------------------- figures
class SharedFigure(go.Figure):
    """A finished figure that every session draws: its dict is made once, then reused.

    ``st.plotly_chart`` calls ``to_dict()`` on every draw, and Plotly's deep-copies the
    whole figure and base64-encodes its arrays each time: 62 % of st.plotly_chart's
    time, 18 % of the server's, in a profile of a warm class (py-spy --gil while 30
    simulated students viewed the app). A cached figure is never changed after it is
    built, so its dict is the same on every draw. Callers must not change the dict.
    """

    _drawn: dict | None = None

    def to_dict(self) -> dict:
        drawn = self._drawn
        if drawn is None:
            drawn = self._drawn = super().to_dict()
        return drawn


def _shared(figure: go.Figure) -> SharedFigure:
    """`figure` as a SharedFigure, in place: re-building it would validate it all again."""
    figure.__class__ = SharedFigure
    return figure


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=KEYS)
def set_grid_figure(
    shape: Shape4,
    spec: normlib.NormSpec,
    element: Element,
    max_tiles: int = 8,
    height: int = figures.SIDE_HEIGHT,
    compact: bool = False,
    text: str = "normal",
):
    """The reduction-set grid; `compact` (Compare's narrow cards) has no legend or footnote.

    `text` names the text sizes, figures.TEXT_SIZES ("presenter" for the presenter view).
    """
    return _shared(
        figures.set_grid_figure(
            set_ids(shape, spec),
            selected=element,
            max_tiles=max_tiles,
            height=height,
            compact=compact,
            text=figures.TEXT_SIZES[text],
        )
    )


@st.cache_resource(max_entries=16, show_spinner=False, hash_funcs=KEYS)
def cube_figure(
    shape: Shape4,
    spec: normlib.NormSpec,
    element: Element,
    height: int = figures.SIDE_HEIGHT,
    text: str = "normal",
):
    return _shared(
        figures.cube_figure(
            shape, spec, selected=element, height=height, text=figures.TEXT_SIZES[text]
        )
    )


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=KEYS)
def histogram_figure(
    view: View,
    bins: int,
    height: int,
    log_y: bool,
    _x: np.ndarray,
    _output: np.ndarray,
    text: str = "normal",
):
    """Before/after histogram of all values, on `bins` shared bins."""
    return _shared(
        figures.histogram_figure(
            histograms(view, None, bins, _x, _output),
            log_y=log_y,
            height=height,
            text=figures.TEXT_SIZES[text],
        )
    )


@st.cache_resource(max_entries=32, show_spinner=False, hash_funcs=KEYS)
def stats_figure(
    view: View, _result: normlib.NormResult, height: int | None = None, text: str = "normal"
):
    """Each set's mean and variance: bars for up to 64 sets, else a heatmap of the means."""
    sizes = figures.TEXT_SIZES[text]
    if _result.n_sets <= 64:
        labels = [f"set {i}" for i in range(_result.n_sets)]
        return _shared(
            figures.stats_bar_figure(
                _result.set_mean, _result.set_var, labels, height=height or 380, text=sizes
            )
        )
    grid = set_statistics.stats_grid(_result)
    return _shared(
        figures.stats_heatmap_figure(
            grid.means,
            row_label=grid.row_label,
            col_label=grid.col_label,
            title="per-set mean",
            height=height or figures.SIDE_HEIGHT,
            text=sizes,
        )
    )


@st.cache_resource(max_entries=32, show_spinner=False, hash_funcs=KEYS)
def histogram_grid_figure(
    view: View, by: str, labels: tuple[str, ...], log_y: bool, _x: np.ndarray, _output: np.ndarray
):
    """Before/after histograms per set or per channel (`by`), 40 bins each."""
    grouped = histograms(view, by, 40, _x, _output)
    return _shared(figures.histogram_grid_figure(grouped, labels=list(labels), log_y=log_y))


@st.cache_resource(max_entries=16, show_spinner=False, hash_funcs=KEYS)
def feature_maps_figure(view: View, maps: tuple, _x: np.ndarray, _output: np.ndarray):
    return _shared(figures.feature_maps_figure(_x, _output, list(maps)))


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=KEYS)
def output_map_figure(view: View, n: int, c: int, title: str, _output: np.ndarray):
    """One (n, c) map of the view's output, titled by the caller (a Compare card: no hover)."""
    return _shared(figures.map_figure(_output[n, c], title, hover=False))


# `batch_key` is None for a method that ignores the batch, so its two figures are
# built once per sample and channel.
@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=KEYS)
def movement_output_figure(input_key, sample, batch_key, method, channel, _move):
    return _shared(figures.map_figure(_move.output[channel], f"output, c={channel}", height=220))


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=KEYS)
def movement_difference_figure(input_key, sample, batch_key, method, channel, _move):
    return _shared(
        figures.difference_heatmap_figure(_move.diff(channel), title=f"Δ, c={channel}", height=260)
    )


@st.cache_resource(max_entries=32, show_spinner=False, hash_funcs=KEYS)
def running_figures(input_key: tuple, momentum, steps, batch, seed, _run, _labels):
    """Running mean and variance against the population's, one figure each."""
    mean_figure, var_figure = figures.running_pair_figures(
        _run.running_mean,
        _run.population.mean,
        _run.running_var,
        _run.population.target_var,
        _labels,
    )
    return _shared(mean_figure), _shared(var_figure)


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs=KEYS)
def modes_figure(input_key: tuple, momentum, steps, batch, seed, sample, _run, _labels):
    return _shared(
        figures.modes_figure(
            _run.last_x[sample], _run.train_out[sample], _run.eval_out[sample], _labels
        )
    )
