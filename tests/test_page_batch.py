"""The Batch-dependence page through AppTest: controls, numbers, batch of one, URL, bad links.

Each test opens the page like a fresh link: query parameters first, then ``switch_page``;
the page itself draws the shared sidebar (``ui.current_input()``).
"""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from normapp import inputs
from normapp.teaching import batch_dependence
from tests import conftest

pytestmark = pytest.mark.torch  # checks against live PyTorch or Keras

PAGE = "pages/batch.py"
ZERO = "max |Δ| = 0 (does not depend on the batch)"


def open_page(query: dict[str, str] | None = None) -> AppTest:
    """Open the page as a link with `query` would (the page draws the shared sidebar)."""
    return conftest.open_page(PAGE, query)


link = conftest.link


def movements(at: AppTest) -> dict[str, str]:
    """Card title → its headline number, in page order."""
    cards = [m.value for m in at.markdown if m.value.startswith("#### ")]
    titles = [card[5:].split("\n")[0] for card in cards]
    headline = "<div style='font-size:1.7rem"  # the number, then its words
    numbers = [
        " (".join(part.split(">")[-1] for part in card[card.index(headline) :].split("</div>")[:2])
        + ")"
        for card in cards
    ]
    return dict(zip(titles, numbers, strict=True))


# Each card's sets, written out by hand: (reduced axes, groups) on the 3-channel samples.
CARDS = {
    "BatchNorm": ("NHW", 1),
    "Method 1": ("NC", 1),
    "Method 2": ("N", 1),
    "LayerNorm": ("CHW", 1),
    "InstanceNorm": ("HW", 1),
    "GroupNorm(3)": ("CHW", 3),
}


def brute_force_normalize(x: np.ndarray, axes: str, groups: int) -> np.ndarray:
    """(x − mean) / √(var + 1e-5) over `axes`, in float64, with plain NumPy."""
    n, c, h, w = x.shape
    grouped = x.reshape(n, groups, c // groups, h, w)  # C splits into G groups of C/G
    dims = tuple({"N": 0, "C": 2, "H": 3, "W": 4}[a] for a in axes)
    mean = grouped.mean(axis=dims, keepdims=True)
    var = grouped.var(axis=dims, keepdims=True)
    return ((grouped - mean) / np.sqrt(var + 1e-5)).reshape(x.shape)


def expected(sample=0, size=4, mates="images", shuffle=1) -> dict[str, str]:
    """Each card's headline, from a brute-force normalization of both batches.

    The batch's rows come from the app (which samples are the mates is a choice
    of the page); the difference of the sample's outputs is computed here.
    """
    data = inputs.load_samples(8, 32)
    batch = batch_dependence.build_batch(data.x, data.sample_labels, sample, size, mates, shuffle)
    rows = batch_dependence.reference_rows(data.x.shape, sample)
    position = int(np.flatnonzero(rows == sample)[0])
    reference_batch, new_batch = data.x[rows].astype(np.float64), batch.x.astype(np.float64)
    headlines = {}
    for card, (axes, groups) in CARDS.items():
        if "N" not in axes:  # the sets never leave the sample: nothing can move
            headlines[card] = ZERO
            continue
        if card == "Method 2" and _torch_batchnorm1d_refuses(new_batch):
            headlines[card] = "refused (PyTorch's layer refuses this batch (N = 1))"
            continue
        before = brute_force_normalize(reference_batch, axes, groups)[position]
        after = brute_force_normalize(new_batch, axes, groups)[0]  # the sample is row 0
        headlines[card] = (
            f"max |Δ| = {np.abs(after - before).max():.3g} (moved: depends on the batch)"
        )
    return headlines


def _torch_batchnorm1d_refuses(batch: np.ndarray) -> bool:
    """Whether Method 2's layer, torch's BatchNorm1d(C·H·W) on x.flatten(1), refuses `batch`."""
    torch = conftest.require_torch()
    flat = torch.from_numpy(batch).float().flatten(1)
    try:
        torch.nn.BatchNorm1d(flat.shape[1]).train()(flat)
    except ValueError:
        return True
    return False


def held(at) -> dict[str, str]:
    """The page's five choices as the controls hold them, by their names in the URL.

    The browser writes them into the URL (every one is a bound widget); test_browser_batch
    checks the address bar.
    """
    return {name: str(at.session_state[name]) for name in batch_dependence.TABLE.names}


@pytest.mark.slow
def test_default_view_batch_methods_move_and_per_sample_methods_do_not():
    at = open_page()
    moved = movements(at)
    assert list(moved) == [
        "BatchNorm",
        "Method 1",
        "Method 2",
        "LayerNorm",
        "InstanceNorm",
        "GroupNorm(3)",
    ]
    assert moved == expected()
    for name in ("BatchNorm", "Method 1", "Method 2"):
        assert moved[name] != ZERO and float(moved[name].split("=")[1].split()[0]) > 0.01
    for name in ("LayerNorm", "InstanceNorm", "GroupNorm(3)"):
        assert moved[name] == ZERO
    (summary,) = [m.value for m in at.markdown if m.value.startswith("**Moved** (max |Δ|")]
    assert summary.split(": ")[1].startswith("BatchNorm")
    assert held(at)["batch"] == "4" and held(at)["mates"] == "images"
    assert "batch" not in link(at)  # a default is left out of the link


@pytest.mark.slow
def test_every_control_changes_the_numbers():
    at = open_page()
    steps = [
        ("number_input", "sample", 5, {"sample": 5}),
        ("slider", "batch", 16, {"sample": 5, "size": 16}),
        ("radio", "mates", "noise", {"sample": 5, "size": 16, "mates": "noise"}),
        (
            "number_input",
            "shuffle",
            42,
            {"sample": 5, "size": 16, "mates": "noise", "shuffle": 42},
        ),
    ]
    for kind, key, value, args in steps:
        getattr(at, kind)(key=key).set_value(value).run()
        assert not at.exception
        assert movements(at) == expected(**args), key
    at.number_input(key="channel").set_value(2).run()
    assert not at.exception
    assert held(at) == {
        "sample": "5",
        "batch": "16",
        "mates": "noise",
        "shuffle": "42",
        "channel": "2",
    }
    assert any("noise 7, … (8 more)" in c.value for c in at.caption)


def test_batch_of_one_is_explained_honestly():
    at = open_page({"batch": "1"})
    moved = movements(at)
    assert moved == expected(size=1)
    assert at.expander[0].proto.expanded
    assert any("A batch of one:" in i.value for i in at.info)
    text = " ".join(m.value for m in at.markdown)
    assert "0 everywhere (= β)" in text and "1,024 values" in text
    # The page's one code block besides the Share popover's link (which starts with the path).
    (code,) = [c.value for c in at.code if not c.value.startswith("/batch")]
    assert code.startswith("Expected more than 1 value per channel when training")
    assert "(1, 3, 1, 1)" in code


@pytest.mark.slow
def test_one_value_per_channel_is_refused_in_the_card_not_with_a_traceback():
    at = open_page({"source": "random", "shape": "1x2x1x1", "batch": "1"})
    moved = movements(at)
    assert moved["BatchNorm"].startswith("refused (")
    assert any("Expected more than 1 value per channel" in w.value for w in at.warning)
    assert moved["LayerNorm"] == ZERO
    # A single input sample: no other images to draw mates from, said plainly.
    at.slider(key="batch").set_value(3).run()
    assert not at.exception
    assert any("single image" in i.value for i in at.info)


@pytest.mark.slow
@pytest.mark.torch
def test_one_value_per_channel_says_which_batch_torch_refuses():
    """Issue 25.3: on a 1×6×1×1 input torch's BatchNorm2d trains on the (4, 6, 1, 1) batch and
    refuses the (1, 6, 1, 1) reference; the noise mates are copies of the sample; a Δ of
    float64 rounding is no move."""
    torch = conftest.require_torch()
    at = open_page({"source": "random", "shape": "1x6x1x1", "batch": "4"})
    at.radio(key="mates").set_value("noise").run()
    bn = torch.nn.BatchNorm2d(6).train()
    bn(torch.randn(4, 6, 1, 1))  # trains on this batch
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        bn(torch.randn(1, 6, 1, 1))  # refuses the reference batch
    moved = movements(at)
    assert moved["BatchNorm"] == "refused (PyTorch's layer refuses the reference batch (N = 1))"
    summary = " ".join(m.value for m in at.markdown if "**" in m.value and "Refused" in m.value)
    assert "BatchNorm, the reference batch (N = 1)" in summary
    assert "this batch (N = 4)" not in summary
    info = " ".join(i.value for i in at.info)
    assert "exact copies of the sample" in info
    caption = " ".join(c.value for c in at.caption)
    assert "noise 1 (= the sample)" in caption
    # Method 1's mean over N and C of four copies is the sample's own: Δ is rounding at most.
    assert not moved["Method 1"].endswith("(moved: depends on the batch)")


@pytest.mark.slow
def test_link_round_trip_and_bad_values():
    at = open_page({"sample": "2", "batch": "9", "mates": "noise", "shuffle": "7", "channel": "1"})
    assert not at.warning
    assert at.number_input(key="sample").value == 2
    assert at.slider(key="batch").value == 9
    assert movements(at) == expected(2, 9, "noise", 7)
    bad = open_page(
        {"sample": "x", "batch": "100", "mates": "cats", "shuffle": "-3", "channel": "9"}
    )
    warnings = conftest.shown(" ".join(w.value for w in bad.warning))
    for name in ("sample=x", "batch=100", "mates=cats", "shuffle=-3", "channel=9"):
        assert name in warnings, name
    assert not {"sample", "batch", "channel"} & set(link(bad))  # the defaults, left out
    assert held(bad) == {
        "sample": "0",
        "batch": "4",
        "mates": "images",
        "shuffle": "1",
        "channel": "0",
    }
    assert movements(bad) == expected()


def test_per_sample_methods_move_exactly_zero_and_maps_are_kept_in_float32():
    """max |Δ| comes from float64 (exactly 0 without N); the drawn maps are kept in float32,
    which halved the page's memory at the input cap (1.1 GB -> 0.5 GB, bench_explorer_caps)."""
    data = inputs.load_samples(8, 32)
    for size in (1, 7, 64):
        batch = batch_dependence.build_batch(data.x, data.sample_labels, 0, size, "noise", size)
        for move in batch_dependence.batch_movement(data.x, 0, batch):
            if move.error:  # Method 2 at N = 1: nn.BatchNorm1d refuses it
                assert (move.key, size) == ("method2", 1)
                continue
            assert move.output.dtype == move.reference.dtype == np.float32
            assert (move.max_abs == 0.0) == (not move.depends)
            if not move.depends:
                assert not np.any(move.diff(2)), move.key


@pytest.mark.slow
def test_choices_survive_a_visit_to_another_page():
    at = open_page()
    at.slider(key="batch").set_value(12).run()
    at.radio(key="mates").set_value("noise").run()
    at.switch_page("../pages/compare.py").run()
    assert not at.exception
    at.switch_page("../" + PAGE).run()
    assert not at.exception
    assert at.slider(key="batch").value == 12
    assert at.radio(key="mates").value == "noise"


# Links of before the controls were declared in batch_dependence.TABLE, and today's: each opens
# the view it opened then (sample and channel as numbers, mates as a key or as its label).
@pytest.mark.parametrize(
    ("query", "state"),
    [
        (
            {"sample": "2", "batch": "9", "mates": "noise", "shuffle": "7", "channel": "1"},
            {"sample": 2, "batch": 9, "mates": "noise", "shuffle": 7, "channel": 1},
        ),
        (
            {"sample": "5", "mates": "random noise", "channel": "2"},
            {"sample": 5, "batch": 4, "mates": "noise", "shuffle": 1, "channel": 2},
        ),
        ({"batch": "1"}, {"sample": 0, "batch": 1, "mates": "images", "channel": 0}),
    ],
)
def test_an_older_and_todays_links_open_their_view(query, state):
    at = open_page(query)
    assert not [w.value for w in at.warning if "Link parameter" in w.value] and not at.exception
    for name, value in state.items():
        assert at.session_state[name] == value, name


def test_the_server_rewrites_an_older_batch_link_in_todays_form():
    from normapp.links import old_forms, sitemap

    table = sitemap.PAGE_TABLES["batch"]
    query = "sample=2&batch=9&mates=noise&shuffle=7&channel=1"
    assert old_forms.current_form(query, table) == (
        "sample=2&batch=9&mates=random+noise&shuffle=7&channel=1"
    )
    assert old_forms.current_form("sample=2&mates=random+noise", table) is None  # today's form
    assert sitemap.PAGE_PARAMS["batch"] == ("sample", "batch", "mates", "shuffle", "channel")


def test_the_sample_and_channel_show_their_names_beside_the_number():
    at = open_page({"sample": "2", "channel": "1"})
    data = inputs.load_samples(8, 32)
    captions = [c.value for c in at.caption]
    assert f"n=2 · {data.sample_labels[2]}" in captions
    assert "c=1 · green" in captions


def test_a_link_value_that_does_not_fit_the_input_is_named_and_the_default_used():
    at = conftest.open_page(PAGE, {"sample": "6", "channel": "2"}, sidebar={"n": "4"})
    assert conftest.shown(" ".join(w.value for w in at.warning)) == (
        "Link parameter sample=6 does not fit this input (4 sample images, 32×32 RGB, "
        "shape (4, 3, 32, 32)); using the default, sample=0."
    )
    assert held(at)["sample"] == "0" and held(at)["channel"] == "2"
    assert not at.exception
    # A batch over this input's cap: 2^21 numbers hold 2 samples of 64×128×128.
    big = {"source": "random", "shape": "4x64x128x128"}
    at = conftest.open_page(PAGE, {"batch": "12"}, sidebar=big)
    warnings = conftest.shown(" ".join(w.value for w in at.warning))
    assert "Link parameter batch=12 does not fit this input (" in warnings
    assert "shape (4, 64, 128, 128)); using the default, batch=2." in warnings
    assert held(at)["batch"] == "2" and not at.exception


def test_an_input_that_shrinks_the_ranges_clamps_the_values_without_a_traceback():
    at = open_page({"sample": "6", "batch": "12", "channel": "2"})
    at.sidebar.slider(key="n").set_value(3).run()
    assert not at.exception
    assert held(at)["sample"] == "2"  # the last sample of three
    assert at.number_input(key="sample").max == 2
    # A larger image caps the batch: 64×64 RGB images allow batches of 2^21 / (3·64·64) = 170,
    # capped at 64; a one-channel input clamps the channel.
    at.sidebar.radio(key="source").set_value("random").run()
    at.sidebar.text_input(key="shape").set_value("4x64x128x128").run()
    assert not at.exception
    assert held(at)["batch"] == "2" and at.slider(key="batch").max == 2
    at.sidebar.text_input(key="shape").set_value("4x1x8x8").run()
    assert not at.exception
    assert held(at)["channel"] == "0" and at.number_input(key="channel").max == 0
    assert not [w.value for w in at.warning if "does not fit" in w.value]  # no link's values
