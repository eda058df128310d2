"""Links written before the pages' controls were declared in tables (issue 26.2) still open
the view they opened then.

Each link below is one the app, its README or its tests wrote before that change (taken
from commit 547522d~1): the sidebar's, each page's, the quiz's answer links and the README's
examples, in their older forms (``source=random``, ``axes=NHW``, ``pick=0,1,2,3``) and older
names (the lab's ``batch`` and ``steps``). Each is sent as a browser sends it to the real
server (which may redirect it to today's form), then the page is opened under AppTest with
the query the browser ends at, and the view is checked: no warning, and each value the link
asks for, written here by hand as a reader of the page would check it.

How a page holds a value (its session key) is in VIEWS, one small reader per page: a page
whose controls move to other keys changes its reader, never the expectations.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from normapp.lab import runs
from normapp.links import input_controls, sitemap
from tests.conftest import open_page


def session_reader(keys: dict[str, str | tuple[str, ...]]) -> Callable[[Any], dict[str, Any]]:
    """A page's reader: each value a link sets, by what the page calls it, from its session
    key (a tuple of keys: one value made of several widgets', as pick's n, c, h, w)."""

    def read(at) -> dict[str, Any]:
        held = at.session_state.get
        return {
            name: tuple(map(held, key)) if isinstance(key, tuple) else held(key)
            for name, key in keys.items()
        }

    return read


SIDEBAR = {"source": "source", "N": "n", "size": "size", "shape": "shape", "seed": "seed"}
# What each page shows, by what a reader calls it: page path -> reader (the sidebar's too).
VIEWS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "explorer": session_reader(
        {
            **SIDEBAR,
            "method": "method",
            "axes": "axes",
            "G": "groups",
            "centered": "center",
            "tab": "tab",
            "pick": ("ex:n", "ex:c", "ex:h", "ex:w"),
        }
    ),
    "compare": session_reader(
        {**SIDEBAR, "methods": "methods", "pick": ("cmp:n", "cmp:c", "cmp:h", "cmp:w")}
    ),
    "batch": session_reader(
        {
            **SIDEBAR,
            "sample": "sample",
            "B": "batch",
            "mates": "mates",
            "shuffle": "shuffle",
            "channel": "channel",
        }
    ),
    "train-eval": session_reader(
        {**SIDEBAR, "momentum": "te:momentum", "steps": "steps", "B": "bsize", "bseed": "bseed"}
    ),
    "lab": session_reader(
        {
            **SIDEBAR,
            "norms": "norms",
            "B": "tbatch",
            "steps": "tsteps",
            "seed": "tseed",
            "match": "match",
            "G": "gn_groups",
            "custom axes": "custom_axes",
        }
    ),
    "quiz": session_reader({**SIDEBAR, "quiz number": "quiz:seed"}),
}

RANDOM_4x6x10x12 = {"source": "random", "shape": "4x6x10x12"}
# (path, the link's query as written before, what the view shows), by page.
OLDER_LINKS = [
    # The sidebar's, on the default page and on another.
    ("/", "source=random&shape=4x6x10x12&seed=1", {**RANDOM_4x6x10x12, "seed": 1}),
    ("/", "source=Random+tensor", {"source": "random", "shape": "8x6x16x16", "seed": 0}),
    ("/", "n=4&size=16", {"source": "samples", "N": 4, "size": "16"}),
    ("/compare", "source=random&shape=4x6x10x12&seed=1", {**RANDOM_4x6x10x12, "seed": 1}),
    ("/batch", "n=4&size=16", {"N": 4, "size": "16"}),
    # The Explorer's (the README's examples among them).
    ("/", "axes=NHW", {"axes": ["N", "H", "W"], "method": "batchnorm"}),
    ("/", "axes=N&axes=H&axes=W", {"axes": ["N", "H", "W"], "method": "batchnorm"}),
    ("/", "axes=CHW", {"axes": ["C", "H", "W"], "method": "layernorm"}),
    (
        "/",
        "method=layernorm&tab=cube",
        {"method": "layernorm", "axes": ["C", "H", "W"], "centered": True, "tab": "GN-paper cube"},
    ),
    (
        "/",
        "source=random&axes=CHW&method=layernorm&tab=cube",
        {
            "source": "random",
            "method": "layernorm",
            "axes": ["C", "H", "W"],
            "tab": "GN-paper cube",
        },
    ),
    ("/", "source=Random+tensor&shape=4x6x10x12&axes=N", {**RANDOM_4x6x10x12, "axes": ["N"]}),
    ("/", "tab=stats&center=1", {"tab": "Statistics", "centered": True}),
    ("/", "axes=CHW&center=0", {"axes": ["C", "H", "W"], "centered": False}),
    ("/", "pick=0,1,2,3", {"pick": (0, 1, 2, 3)}),
    ("/", "method=groupnorm&groups=2&source=features", {"method": "groupnorm", "G": 2}),
    # A quiz answer's link to the Explorer (normapp/classroom/quiz.explorer_view).
    (
        "/",
        "source=Random+tensor&shape=2x6x4x4&groups=2&pick=1,3,2,0&axes=C&axes=H&axes=W",
        {"shape": "2x6x4x4", "axes": ["C", "H", "W"], "G": 2, "pick": (1, 3, 2, 0)},
    ),
    # Compare's.
    (
        "/compare",
        "methods=batchnorm,layernorm&pick=0,1,2,3",
        {"methods": ["batchnorm", "layernorm"], "pick": (0, 1, 2, 3)},
    ),
    # Batch dependence's.
    (
        "/batch",
        "sample=2&batch=6&mates=noise&shuffle=3&channel=1",
        {"sample": 2, "B": 6, "mates": "noise", "shuffle": 3, "channel": 1},
    ),
    # Train vs eval's.
    (
        "/train-eval",
        "momentum=0.5&steps=40&batch=2&bseed=3",
        {"momentum": "0.5", "steps": 40, "B": 2, "bseed": 3},
    ),
    ("/train-eval", "momentum=none", {"momentum": "none", "steps": 100, "B": 4}),
    # The Training lab's (batch and steps are tbatch and tsteps today).
    (
        "/lab",
        "norms=batchnorm,groupnorm&batch=8&steps=50&tseed=3&match=steps",
        {"norms": ["batchnorm", "groupnorm"], "B": 8, "steps": 50, "seed": 3, "match": "steps"},
    ),
    ("/lab", "norms=custom&custom_axes=NH&tsteps=50", {"norms": ["custom"], "custom axes": "NH"}),
    ("/lab", "gn_groups=8&tsteps=50", {"norms": ["batchnorm", "groupnorm"], "G": 8}),
    # The Quiz's (the README's quiz=42 among them).
    ("/quiz", "quiz=123", {"quiz number": 123}),
    ("/quiz", "quiz=42&source=random", {"quiz number": 42, "source": "random"}),
]


def link_of(case) -> tuple:
    return tuple(case.values) if hasattr(case, "values") else case


def page_of(path: str) -> str:
    return path.strip("/") or sitemap.PAGES[0][0]


def browser_lands_on(app_url: str, path: str, query: str) -> tuple[str, str]:
    """The path and query a browser ends at for `path?query`: the server's redirect, if any."""
    address = urlsplit(app_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", f"{path}?{query}", headers={"Accept": "text/html"})
        response = connection.getresponse()
        response.read()
        if response.status == 302:
            location = urlsplit(response.getheader("Location", ""))
            return location.path, location.query
        assert response.status == 200, (path, query, response.status)
        return path, query
    finally:
        connection.close()


def as_query(query: str) -> dict[str, str | list[str]]:
    """A query as AppTest takes it: a repeated key's values as a list."""
    return {name: v[0] if len(v) == 1 else v for name, v in parse_qs(query).items()}


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    OLDER_LINKS,
    ids=[f"{p}?{q}" for p, q, _ in map(link_of, OLDER_LINKS)],
)
def test_a_link_written_before_the_tables_opens_the_view_it_opened(
    app_url, monkeypatch, path, query, expected
):
    monkeypatch.setattr(runs.REGISTRY, "max_pending", 0)  # the lab's view, not its training
    landed_path, landed_query = browser_lands_on(app_url, path, query)
    assert landed_path == path  # the page exists: only the form of the link may move
    page = page_of(path)
    landed = as_query(landed_query)
    # A link opens a new session: the sidebar's values seed its widgets on the first run.
    sidebar = {name: value for name, value in landed.items() if name in input_controls.TABLE.names}
    at = open_page(f"pages/{sitemap.page_script(page)}", landed, sidebar)
    # The lab says it does not train while a test holds no room for runs; nothing else.
    warnings = [w.value for w in at.warning if "server is busy" not in w.value]
    assert not warnings, warnings
    view = VIEWS[page](at)
    assert {name: view[name] for name in expected} == expected


def test_an_older_link_whose_method_and_center_disagree_keeps_center_and_says_so(app_url):
    """Before, `method=layernorm&center=0` opened a centred LayerNorm and said nothing: the
    preset overwrote the link's own center=0. The link's center is kept and the page names
    the disagreement (RMSNorm is LayerNorm's sets without the mean)."""
    _, landed_query = browser_lands_on(app_url, "/", "method=layernorm&tab=cube&center=0")
    at = open_page("pages/explorer.py", as_query(landed_query))
    view = VIEWS["explorer"](at)
    assert view["axes"] == ["C", "H", "W"] and view["centered"] is False
    assert view["tab"] == "GN-paper cube" and view["method"] == "rmsnorm"
    said = " ".join(w.value for w in at.warning)
    assert "method=layernorm is LayerNorm" in said and "this is RMSNorm" in said, said
