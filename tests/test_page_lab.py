"""The Training lab page through AppTest: runs shown as trained, links, bad links, stop, busy.

The numbers the page shows are compared with the engine's own run of the same configuration
(normapp.lab.training.train, itself checked against torch in test_lab_training.py): what is
tested here is that the page asks for the right runs and shows them faithfully.
"""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qsl

import numpy as np
import pytest

from normapp.lab import controls, precomputed, runs, summary
from normapp.lab.training import RunConfig
from tests import conftest

PAGE = "pages/lab.py"


def expected_run(config: RunConfig):
    """The finished run of `config` that the server holds, for the page to show exactly.

    Looked up by the config a test writes out, so a page that asked for another run (a batch
    size, learning rate or G not scaled as the controls say) finds none and fails. The runs
    themselves are checked elsewhere against the engine's own: a training process's run
    equals the same run in the test (test_lab_runs), the runs made ahead equal fresh ones
    (test_lab_precomputed); training them again here would only repeat those checks.
    """
    found = runs.REGISTRY.finished([config])
    assert config in found, f"no finished run of {config} (the page asked for others)"
    return found[config]


def open_page(query: dict[str, str] | None = None):
    return conftest.open_page(PAGE, query)


def text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += (
        [w.value for w in at.warning] + [e.value for e in at.error] + [i.value for i in at.info]
    )
    return " ".join(parts)


def settle(at, timeout: float = 180.0):
    """Rerun the page until no run is waiting or training (the browser's fragment does this)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not at.get("progress"):  # a bar per run waiting or training
            return at
        time.sleep(0.3)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    raise AssertionError("the runs did not finish in time")


def table(at) -> dict[str, list]:
    frame = at.dataframe[0].value
    return {column: list(frame[column]) for column in frame.columns}


@pytest.mark.slow
def test_default_view_trains_batchnorm_and_groupnorm_and_shows_their_numbers():
    at = settle(open_page())
    assert at.title[0].value == "Training lab"
    rows = table(at)
    assert rows["normalization"] == ["BatchNorm2d", "GroupNorm(4)"]
    assert rows["status"] == ["finished", "finished"]
    assert rows["steps"] == ["200 of 200", "200 of 200"]
    for row, norm in enumerate(("batchnorm", "groupnorm")):
        expected = expected_run(RunConfig(norm=norm, batch_size=32))
        assert rows["held-out (eval mode)"][row] == f"{100 * expected.test_accuracy[-1]:.1f}%"
    expected_bn = expected_run(RunConfig(norm="batchnorm", batch_size=32))
    assert (
        rows["held-out (train mode)"][0] == f"{100 * expected_bn.test_accuracy_train_mode[-1]:.1f}%"
    )
    assert rows["held-out (train mode)"][1] == "—"
    assert not set(at.query_params) & set(controls.TABLE.names)  # defaults are left out
    # The running statistics' figure is drawn from the BatchNorm run's own arrays.
    spread = np.std(expected_bn.batch_mean[100:200])
    assert f"standard deviation of **{spread:.3g}**" in text(at)


@pytest.mark.slow
def test_a_link_sets_every_control_and_the_runs_follow_it():
    query = {
        "norms": ["LayerNorm", "InstanceNorm2d"],
        "tbatch": "8",
        "lr": "0.1",
        "tsteps": "50",
        "tseed": "3",
    }
    at = settle(open_page(query))
    assert not at.warning, [w.value for w in at.warning]
    assert at.session_state["tbatch"] == 8 and at.session_state["lr"] == 0.1
    assert at.session_state["tsteps"] == 50 and at.session_state["tseed"] == 3
    rows = table(at)
    assert rows["normalization"] == ["LayerNorm", "InstanceNorm2d"]
    # Compared at the same images (the default): 50 steps at batch 32 are 200 at batch 8,
    # at a learning rate of 0.1 × 8/32.
    assert table(at)["steps"] == ["200 of 200", "200 of 200"]
    assert table(at)["learning rate"] == ["0.025", "0.025"]
    for row, norm in enumerate(("layernorm", "instancenorm")):
        expected = expected_run(RunConfig(norm, 8, learning_rate=0.025, steps=200, seed=3))
        assert rows["held-out (eval mode)"][row] == f"{100 * expected.test_accuracy[-1]:.1f}%"


# Links written before the lab's controls were bound to the URL: older names (batch, steps),
# norms as keys joined by commas, match as a key. Each opens the view it opened then.
@pytest.mark.parametrize(
    ("query", "state"),
    [
        (
            {"norms": "layernorm,instancenorm", "batch": "8", "steps": "50", "match": "steps"},
            {"norms": ["layernorm", "instancenorm"], "tbatch": 8, "tsteps": 50, "match": "steps"},
        ),
        ({"norms": "batchnorm", "lr": "0.1"}, {"norms": ["batchnorm"], "lr": 0.1}),
        ({"norms": "custom", "custom_axes": "NH"}, {"norms": ["custom"], "custom_axes": "NH"}),
    ],
)
def test_an_older_lab_link_still_opens_its_view(monkeypatch, query, state):
    monkeypatch.setattr(runs.REGISTRY, "max_pending", 0)  # the view, not its training
    at = open_page(query)
    assert not at.warning or all("server is busy" in w.value for w in at.warning)
    for name, value in state.items():
        assert at.session_state[name] == value, name


def test_the_server_rewrites_an_older_lab_link_in_todays_form():
    from normapp.links import old_forms, sitemap

    query = "norms=batchnorm,groupnorm&batch=8&steps=50&match=steps&n=4"
    assert old_forms.current_form(query, sitemap.PAGE_TABLES["lab"]) == (
        "norms=BatchNorm2d&norms=GroupNorm&tbatch=8&tsteps=50&match=the+same+steps&n=4"
    )
    assert sitemap.page_redirect("/lab", query) is None  # the page exists: only the form moves


@pytest.mark.parametrize(
    ("name", "value", "used"),
    [
        ("tbatch", "3", "tbatch=32"),
        ("batch", "3", "tbatch=32"),  # an older link's name for it
        ("lr", "fast", f"lr={RunConfig('none', 2).learning_rate:g}"),
        ("tsteps", "100000", "tsteps=200"),
        ("norms", "batchnorm,<b>evil</b>", "norms=batchnorm,groupnorm"),
        ("tseed", "-1", "tseed=0"),
        ("gn_groups", "3", "gn_groups=4"),
        ("match", "epochs", "match=images"),
    ],
)
@pytest.mark.slow
def test_a_bad_link_value_is_named_and_the_default_used(name, value, used):
    at = open_page({name: value, "tsteps": "50"} if name != "tsteps" else {name: value})
    messages = " ".join(w.value for w in at.warning)
    today = controls.TABLE.renamed.get(name, name)
    assert f"Link parameter {today}=" in messages and "was ignored" in messages, messages
    assert f"Using {used}." in conftest.shown(messages)
    assert "<b>" not in messages  # shown literally, escaped
    assert not at.exception


def test_bad_custom_axes_in_a_link_are_named_beside_the_box_and_the_default_kept():
    at = open_page({"norms": "custom axes", "custom_axes": "XYZ", "tsteps": "50"})
    errors = " ".join(e.value for e in at.error)
    assert "Custom axes XYZ cannot be used: unknown axis" in conftest.shown(errors), errors
    assert "Keeping C." in errors
    assert not at.warning  # said once, beside the box
    assert not at.exception


@pytest.mark.slow
def test_a_diverging_run_stops_and_says_at_which_step():
    query = {"norms": "BatchNorm2d", "lr": "100", "tsteps": "50", "tbatch": "32"}
    at = settle(open_page(query))
    expected = expected_run(RunConfig("batchnorm", 32, learning_rate=100.0, steps=50))
    assert expected.status == "diverged"  # the configuration the page is tested with diverges
    errors = " ".join(e.value for e in at.error)
    assert f"diverged at step {expected.diverged_at}" in errors
    assert table(at)["status"] == ["diverged"]


@pytest.mark.slow
def test_stop_keeps_the_partial_curves_and_train_again_restarts():
    query = {"norms": "BatchNorm2d", "tsteps": "800", "tseed": "97"}
    at = open_page(query)
    deadline = time.monotonic() + 60
    # Until the run has reported its first steps (every 10), so there are curves to keep.
    while not any(
        "step" in p.proto.text and "step 0 " not in p.proto.text for p in at.get("progress")
    ):
        assert time.monotonic() < deadline
        time.sleep(0.2)
        at.run()
    at.button(key="lab:stop").click().run()
    at.run()
    warnings = " ".join(w.value for w in at.warning)
    assert "BatchNorm2d was stopped at step" in warnings, warnings
    assert table(at)["status"] == ["stopped"]
    config = RunConfig("batchnorm", 32, steps=800, seed=97)
    assert runs.REGISTRY.finished([config]) == {}  # a stopped run is not kept as finished
    assert any(b.key == "lab:again" for b in at.button)
    at.button(key="lab:again").click().run()
    assert "BatchNorm2d was stopped" not in " ".join(w.value for w in at.warning)
    runs.REGISTRY.stop([config], at.session_state["lab:watcher"])  # don't leave it training


def test_a_busy_server_says_so_and_starts_nothing(monkeypatch):
    monkeypatch.setattr(runs.REGISTRY, "max_pending", 0)
    at = open_page({"norms": "InstanceNorm2d", "tsteps": "50", "tseed": "98"})
    warnings = " ".join(w.value for w in at.warning)
    assert "The server is busy" in warnings and "yours were not started" in warnings
    config = RunConfig("instancenorm", 32, steps=50, seed=98)
    assert runs.REGISTRY.view(config).state == "absent"
    assert any(b.key == "lab:retry" for b in at.button)


@pytest.mark.slow
def test_the_same_steps_at_every_batch_size_on_request():
    query = {"norms": "GroupNorm", "tbatch": "4", "tsteps": "50", "match": "the same steps"}
    at = settle(open_page(query))
    rows = table(at)
    assert rows["steps"] == ["50 of 50"] and rows["learning rate"] == ["0.05"]
    expected = expected_run(RunConfig("groupnorm", 4, learning_rate=0.05, steps=50))
    assert rows["held-out (eval mode)"] == [f"{100 * expected.test_accuracy[-1]:.1f}%"]
    assert at.session_state["match"] == "steps"


@pytest.mark.slow
def test_typed_custom_axes_are_checked_and_the_last_good_ones_kept():
    at = open_page({"norms": "custom axes", "custom_axes": "NH", "tsteps": "50"})
    assert at.text_input(key="custom_axes").value == "NH"
    at.text_input(key="custom_axes").input("Q").run()
    errors = " ".join(e.value for e in at.error)
    assert "Custom axes Q cannot be used" in errors and "Keeping NH" in errors
    settle(at)
    assert table(at)["normalization"] == ["custom axes NH"]


@pytest.mark.slow
def test_train_every_batch_size_fills_the_summary_with_each_runs_error():
    # The default norms (BatchNorm2d and GroupNorm), 50 steps at every batch size: the page's
    # faithfulness is what is tested, and the same images would take 800 steps at batch 2.
    query = {"tsteps": "50", "tseed": "5", "match": "the same steps"}
    at = settle(open_page(query))
    at.button(key="lab:sweep_button").click().run()
    settle(at, timeout=300)
    figure = at.get("plotly_chart")[-1]
    data = json.loads(figure.proto.spec)["data"]
    by_name = {trace["name"]: trace for trace in data}
    for norm, name in (("batchnorm", "BatchNorm2d"), ("groupnorm", "GroupNorm(4)")):
        trace = by_name[name]
        assert _values(trace["x"]).tolist() == [2, 4, 8, 16, 32]
        expected = [
            100 * (1 - expected_run(RunConfig(norm, b, 0.05, 50, 5)).test_accuracy[-1])
            for b in (2, 4, 8, 16, 32)
        ]
        np.testing.assert_allclose(_values(trace["y"]), expected, rtol=1e-5)
    assert "From batch 32 to batch 2, BatchNorm2d's held-out error goes from" in text(at)


@pytest.mark.slow
def test_the_default_summary_is_there_at_once_from_the_runs_made_ahead():
    """A class opening the lab sees the default summary without training: the runs of
    normapp/lab/precomputed.py (checked against fresh runs in test_lab_precomputed.py)."""
    stored = precomputed.default_runs()
    assert stored, "normapp/lab/default_runs.npz is missing or stale"
    at = open_page()
    assert not any(b.key == "lab:sweep_button" for b in at.button)  # nothing left to train
    data = json.loads(at.get("plotly_chart")[-1].proto.spec)["data"]
    by_name = {trace["name"]: trace for trace in data}
    for norm, name in (("batchnorm", "BatchNorm2d"), ("groupnorm", "GroupNorm(4)")):
        runs_by_batch = {c.batch_size: r for c, r in stored.items() if c.norm == norm}
        assert _values(by_name[name]["x"]).tolist() == sorted(runs_by_batch)
        expected = [100 * (1 - runs_by_batch[b].test_accuracy[-1]) for b in sorted(runs_by_batch)]
        np.testing.assert_allclose(_values(by_name[name]["y"]), expected, rtol=1e-5)
    words = text(at)
    bn = {c.batch_size: 1 - r.test_accuracy[-1] for c, r in stored.items() if c.norm == "batchnorm"}
    gn = {c.batch_size: 1 - r.test_accuracy[-1] for c, r in stored.items() if c.norm == "groupnorm"}
    for line in summary.error_by_batch_words(
        {"BatchNorm2d": bn, "GroupNorm(4)": gn}, "BatchNorm2d", "GroupNorm(4)"
    ):
        assert line in words
    assert "these runs show the GroupNorm paper's Figure 1 in miniature" in words


@pytest.mark.slow
def test_the_why_normalize_preset_trains_without_and_with_normalization():
    at = open_page({"tsteps": "50"})
    at.button(key="lab:preset_why").click().run()
    preset = controls.PRESETS["why"]
    assert at.session_state["norms"] == list(preset.norms)
    assert at.session_state["lr"] == preset.lr and at.session_state["tsteps"] == 200
    settle(at, timeout=300)
    rows = table(at)
    assert rows["normalization"] == ["no normalization", "BatchNorm2d", "GroupNorm(4)"]
    outcomes = {}
    for label, norm in zip(rows["normalization"], preset.norms, strict=True):
        run = expected_run(RunConfig(norm, 32, learning_rate=preset.lr, steps=200))
        if run.status == "finished":
            outcomes[label] = (float(1 - run.test_accuracy[-1]), None)
        else:
            outcomes[label] = (None, run.diverged_at)
    words = summary.normalization_helps_words(outcomes, "no normalization", preset.lr)
    assert words is not None and words in text(at)


@pytest.mark.slow
def test_the_lab_hides_the_sidebars_input_which_it_does_not_use():
    at = open_page()
    styles = " ".join(h.proto.body for h in at.get("html"))
    assert '[data-testid="stSidebarUserContent"] { display: none; }' in styles
    explorer = conftest.open_page("pages/explorer.py")
    assert "stSidebarUserContent" not in " ".join(h.proto.body for h in explorer.get("html"))


def _values(payload) -> np.ndarray:
    """A trace's numbers, whether Plotly wrote a list or a base64 typed array."""
    if isinstance(payload, dict):
        return np.frombuffer(base64.b64decode(payload["bdata"]), dtype=payload["dtype"])
    return np.asarray(payload, dtype=float)


@pytest.mark.parametrize(
    ("explorer_query", "lab_params"),
    [
        ({"method": "BatchNorm"}, {"norms": "BatchNorm2d"}),
        ({"method": "GroupNorm"}, {"norms": "GroupNorm", "gn_groups": None}),
        ({"axes": ["N", "H"]}, {"norms": "custom axes", "custom_axes": "NH"}),
    ],
)
@pytest.mark.slow
def test_the_explorer_links_its_normalization_to_the_lab(explorer_query, lab_params):
    at = conftest.open_page("pages/explorer.py", explorer_query)
    links_to_lab = [link for link in at.get("page_link") if "lab" in link.proto.page]
    assert len(links_to_lab) == 1
    query = dict(parse_qsl(links_to_lab[0].proto.query_string))
    for name, value in lab_params.items():
        if value is None:  # G = 3 on the sample images does not divide 32: the lab's own G
            assert name not in query
        else:
            assert query[name] == value
    # The link's parameters are ones the lab reads without a message.
    lab = open_page(dict(query, tsteps="50"))
    assert not lab.warning, [w.value for w in lab.warning]
    label = lab_params["norms"]
    assert lab.session_state["norms"] == [k for k, v in controls.NORM_NAMES.items() if v == label]


def test_an_uncentered_normalization_has_no_lab_link():
    at = conftest.open_page("pages/explorer.py", {"method": "RMSNorm"})
    assert not [link for link in at.get("page_link") if "lab" in link.proto.page]
