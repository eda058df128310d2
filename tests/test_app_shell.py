"""The app shell under AppTest: link and file-name echoes, refused typed values, page paths.

Browser-only behaviour (a fresh server's deep links, unknown paths, requests,
layout) is in test_browser_shell.py.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import re
import tomllib

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from normapp import ui
from normapp.links import bound, input_controls, sitemap
from tests.conftest import APP_ENTRY, ROOT, shown

HOSTILE_TAB = (
    "stats` **Your session expired.** [Click here to sign in again](http://evil.example/login) `"
)
# Markdown that would render if a value were echoed as is: a link, an image, bold, a code span.
MARKDOWN_SYNTAX = re.compile(r"\]\(|!\[|(?<!\\)\*\*|(?<!\\)`")


def run_app(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP_ENTRY), default_timeout=60)
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 12), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_hostile_link_value_is_echoed_literally():
    at = run_app({"tab": HOSTILE_TAB})
    warning = " ".join(w.value for w in at.warning)
    assert "tab=" in warning  # the message names the parameter...
    assert not MARKDOWN_SYNTAX.search(warning), warning  # ...and the value renders as text
    assert "://" not in warning.replace("\\", "")  # a bare URL would become a link (GFM)
    assert "**Your session expired.** [Click here to sign in again](" in shown(warning)


def test_a_very_long_link_value_is_truncated_in_its_message():
    at = run_app({"axes": "a" * 20_000})
    (warning,) = [w.value for w in at.warning]
    assert "axes=" in warning and "…" in warning
    assert len(warning) < 600, len(warning)


def test_an_upload_named_like_markdown_is_named_literally():
    name = "**Session expired** [sign in](http://evil.example) ![x](http://evil.example/p.png).png"
    at = run_app({"source": "uploads"})
    at.sidebar.file_uploader(key="in:uploads").set_value(
        [("red.png", png_bytes(), "image/png"), (name, b"not an image", "image/png")]
    ).run()
    assert not at.exception
    (error,) = [e.value for e in at.sidebar.error]
    assert not MARKDOWN_SYNTAX.search(error), error
    assert "://" not in error.replace("\\", "")
    assert shown(error).startswith("**Session expired** [sign in](http://evil.example)")
    # The same name in the "kept from earlier" caption is literal too: choosing another
    # source and coming back shows the files kept from the uploader Streamlit forgot.
    at.sidebar.radio(key="source").set_value("random").run()
    at.sidebar.radio(key="source").set_value("uploads").run()
    (kept,) = [c.value for c in at.sidebar.caption if c.value.startswith("Keeping")]
    assert "Session expired" in kept and not MARKDOWN_SYNTAX.search(kept), kept


def test_a_typed_negative_seed_is_refused_by_name_and_the_kept_seed_shown():
    at = run_app({"source": "random", "seed": "5"})
    at.sidebar.number_input(key="seed").set_value(-3).run()
    assert not at.exception
    errors = " ".join(shown(e.value) for e in at.sidebar.error)
    assert "Seed “-3” was refused" in errors and "Kept 5." in errors, errors
    assert at.sidebar.number_input(key="seed").value == 5
    # The next valid seed is used, and the message goes.
    at.sidebar.number_input(key="seed").set_value(7).run()
    assert at.sidebar.number_input(key="seed").value == 7 and not at.sidebar.error
    assert "seed 7" in at.sidebar.caption[-1].value


def test_a_typed_shape_out_of_range_is_refused_by_name_and_the_kept_shape_shown():
    at = run_app({"source": "random", "shape": "4x6x10x12"})
    at.sidebar.text_input(key="shape").set_value("4x6x10x999").run()
    assert not at.exception
    errors = " ".join(shown(e.value) for e in at.sidebar.error)
    assert "Shape “4x6x10x999” was refused" in errors and "W = 999" in errors, errors
    assert "Kept 4x6x10x12." in errors
    assert at.sidebar.text_input(key="shape").value == "4x6x10x12"


def test_a_link_shape_over_the_caps_is_named_and_the_box_repaired_on_the_next_run():
    at = run_app({"source": "random", "shape": "4x6x10x999"})
    (warning,) = [shown(w.value) for w in at.warning]
    assert warning.startswith("Link parameter shape=4x6x10x999 was ignored: W = 999"), warning
    assert warning.endswith("Using shape=8x6x16x16."), warning
    assert at.sidebar.text_input(key="shape").value == "8x6x16x16"
    assert "shape" not in at.query_params  # the default: a link copied now is clean
    # A shape typed later is the last good one; a refused one after it keeps it.
    at.sidebar.text_input(key="shape").set_value("2x3x4x5").run()
    at.sidebar.text_input(key="shape").set_value("2x3x4").run()
    errors = " ".join(shown(e.value) for e in at.sidebar.error)
    assert "Shape “2x3x4” was refused" in errors and "Kept 2x3x4x5." in errors, errors
    assert "shape (2, 3, 4, 5)" in at.sidebar.caption[-1].value


def test_every_page_file_is_a_page_of_the_navigation():
    """Each script in pages/ is registered under one URL path, and each path has its script."""
    files = {path.name for path in ui.PAGES_DIR.glob("*.py")}
    assert files == {sitemap.page_script(stem) for stem, _, _ in sitemap.PAGES}
    assert set(ui.page_paths()) == (sitemap.PAGE_PATHS - {"explorer"}) | {""}


def test_error_details_are_withheld_from_learners_in_the_config():
    """The behaviour is checked in a browser (test_browser_shell.py); this pins the values."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["showErrorLinks"] == "false"


def test_link_messages_name_the_default_that_is_used():
    _, messages = bound.parse_params({"seed": "-3"}, [row.param for row in input_controls.TABLE])
    assert shown(messages[0]) == (
        "Link parameter seed=-3 was ignored: seed must be from 0 to 2147483647, got -3. "
        "Using the default, seed=0."
    )


def test_a_bad_choice_is_answered_with_the_labels_its_control_shows():
    """The sidebar shows "Random tensor", not the short key `random` older links used."""
    _, messages = bound.parse_params(
        {"source": "bogus"}, [row.param for row in input_controls.TABLE]
    )
    assert shown(messages[0]) == (
        "Link parameter source=bogus was ignored: source must be one of “Sample images”, "
        "“My images (upload)”, “Random tensor”, “CNN feature maps”; got 'bogus'. "
        "Using the default, source=Sample images."
    )


# ------------------------------------------------------- paths that name no page
@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/", "", None),
        ("/compare", "methods=a", None),
        ("/train-eval", "", None),
        ("/nonexistent", "", "/?missing=nonexistent"),
        ("/compare/extra/path", "methods=a", "/compare?methods=a&missing=compare%2Fextra%2Fpath"),
        ("/quiz/", "quiz=42", None),  # a trailing slash is Streamlit's to handle
        ("/a/b/c", "", "/?missing=a%2Fb%2Fc"),
        ("/**x**", "", "/?missing=%2A%2Ax%2A%2A"),
        ("/static/js/main.js", "", None),
        ("/_stcore/health", "", None),
        ("/compare/static/js/main.js", "", None),  # a file: never answered with a page
        ("/favicon.png", "", None),
        ("/media/abc", "", None),
    ],
)
def test_the_server_redirects_paths_that_name_no_page(path, query, expected):
    assert sitemap.page_redirect(path, query) == expected


def test_a_redirect_keeps_at_most_200_characters_of_the_path():
    target = sitemap.page_redirect("/" + "x" * 5000, "")
    assert target == "/?missing=" + "x" * 200


def _asgi_get(path: str, accept: str, query: str = "") -> tuple[int, dict[str, str], list[str]]:
    """Send one GET through the redirect middleware; return status, headers, and who answered."""
    answered: list[str] = []

    async def app(scope, receive, send):
        answered.append("streamlit")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"page"})

    messages: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"accept", accept.encode())],
        "scheme": "http",
        "server": ("127.0.0.1", 8501),
        "root_path": "",
    }
    # On a thread of its own: after a browser test, playwright's sync API keeps a running
    # event loop on this one, where asyncio.run refuses to start.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, sitemap.PagePathRedirect(app)(scope, receive, send)).result()
    start = messages[0]
    headers = {k.decode(): v.decode() for k, v in start.get("headers", [])}
    return start["status"], headers, answered


def test_a_browser_asking_for_an_odd_path_is_redirected_before_streamlit_answers():
    status, headers, answered = _asgi_get("/compare/extra/path", "text/html,*/*")
    assert (status, answered) == (302, [])
    assert headers["location"] == "/compare?missing=compare%2Fextra%2Fpath"


@pytest.mark.parametrize(
    ("path", "query", "location"),
    [
        ("/", "axes=NHW&method=layernorm", "/?axes=N&axes=H&axes=W&method=LayerNorm"),
        ("/compare", "methods=batchnorm,layernorm", "/compare?methods=BatchNorm&methods=LayerNorm"),
    ],
)
def test_an_older_link_is_redirected_to_todays_form(path, query, location):
    status, headers, answered = _asgi_get(path, "text/html", query)
    assert (status, answered, headers["location"]) == (302, [], location)
    assert _asgi_get(path, "text/html", location.split("?")[1])[2] == ["streamlit"]


def test_requests_that_are_not_page_loads_pass_through():
    assert _asgi_get("/compare/extra/path", "*/*")[2] == ["streamlit"]  # a script or fetch
    assert _asgi_get("/compare", "text/html")[2] == ["streamlit"]


def test_a_redirected_path_is_named_once_and_dropped_from_the_url():
    at = run_app({"missing": "**x**/[y](http://evil.example)", "axes": "NHW"})
    (warning,) = [w.value for w in at.warning if "There is no page" in w.value]
    assert shown(warning).startswith(
        "There is no page at /**x**/[y](http://evil.example) in this app, so Explorer is shown."
    )
    assert not MARKDOWN_SYNTAX.search(warning), warning
    assert "missing" not in at.query_params and at.pills(key="axes").value == ["N", "H", "W"]
    # One link per page, besides the Explorer's own link to the Training lab.
    notice_links = [
        link for link in at.main.get("page_link") if not link.proto.label.startswith("Train a")
    ]
    assert len(notice_links) == len(ui.page_paths())
    at.run()  # the next run (any widget change) says nothing more
    assert not [w for w in at.warning if "There is no page" in w.value]
