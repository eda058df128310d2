"""A whole class at once: a freshly started server, many new sessions in the same moment.

The sessions speak Streamlit's own websocket protocol (tests/support/classroom.py):
each asks for a page with a link's query string and waits for the run to end.
Any exception element in any view fails the test. On the code before the fix
(normapp/server.py without `preload`), a cold server hit this way showed tracebacks
("partially initialized module 'pandas' has no attribute 'Series'").
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from normapp.links import sitemap
from tests.conftest import ROOT, serve_app
from tests.support.classroom import CLASS_VIEWS, View, classroom, run_class

pytestmark = pytest.mark.server

STUDENTS = 24


def test_the_server_imports_what_plotly_probes_before_any_session():
    # A fresh interpreter, as `streamlit run app.py` (or uvicorn app:app) starts: importing
    # app.py as the server does must leave pandas wholly imported (its __spec__ is no longer
    # initializing) and Streamlit's pages/-folder mode off, before any session exists.
    probe = (
        "import sys, app\n"
        "from streamlit.runtime.pages_manager import PagesManager\n"
        "pd = sys.modules.get('pandas')\n"
        "print(pd is not None and not getattr(pd.__spec__, '_initializing', False)"
        " and hasattr(pd, 'Series') and PagesManager.uses_pages_directory is False"
        " and type(app.app).__name__ == 'App')\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "True", shown.stderr


@pytest.mark.timeout(900)
def test_a_class_arriving_at_once_on_a_cold_server_sees_no_traceback():
    # Every student's first view draws Plotly figures in a new session's thread, all
    # started together on a server that has served nothing yet.
    students = classroom(STUDENTS, views_each=2)
    assert {views[0].page for views in students} == {v.page for v in CLASS_VIEWS}
    with serve_app("class-at-once") as url:
        # The test is about correctness, not speed: a view may wait its turn a long
        # time on a busy two-core machine (bench_class.py measures the waits).
        result = run_class(url, students, view_timeout_s=600)
    assert len(result.views) == STUDENTS * 2
    unfinished = [v.view for v in result.views if not v.finished]
    assert unfinished == []
    tracebacks = [(v.view, v.exceptions) for v in result.views if v.exceptions]
    assert tracebacks == []
    # Every view drew its page: a page's figures and text are tens of KB, a run that
    # drew nothing (an empty page would pass the checks above) is under 2 KB.
    assert min(v.received_bytes for v in result.views) > 10_000


def test_a_hostile_link_in_one_session_does_not_disturb_the_others(app_url):
    hostile = View("", "shape=99999x99999x99999x99999&source=Random+tensor&axes=%3Cscript%3E")
    plain = View("", "method=LayerNorm")
    result = run_class(app_url, [[hostile, hostile], [plain], [plain], [plain]])
    assert [v for v in result.views if not v.ok] == []
    assert {v.view for v in result.views} == {hostile, plain}


# What one rerun of a page may send on the default input (issue 10: Compare sent 416 KB).
RERUN_BYTES_MAX = 150_000


@pytest.mark.parametrize("page", [stem for stem, _, _ in sitemap.PAGES])
def test_a_page_sends_at_most_150_kb_per_rerun_on_the_default_input(app_url, page):
    # A new session's first view of the page (everything it draws, nothing cached in the
    # browser yet), then a second run of the same view, as after a click that changes
    # nothing: what the server sends again although the browser has it.
    path = "" if page == sitemap.PAGES[0][0] else page
    result = run_class(app_url, [[View(path), View(path)]], view_timeout_s=300)
    first, again = result.views
    assert first.ok and again.ok, (first.exceptions, again.exceptions)
    assert first.received_bytes > 10_000  # the page was drawn
    assert first.received_bytes <= RERUN_BYTES_MAX
    assert again.received_bytes <= RERUN_BYTES_MAX
