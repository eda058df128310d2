"""Shared fixtures: the app served on loopback and headless Chromium driving it.

Under CI (``CI=true``) a missing Chromium or PostgreSQL server is a failure, not a skip:
`.ci/run` installs them. torch and Keras are test requirements (requirements-oracle.txt):
missing, they fail everywhere. Elsewhere the browser tests skip, saying why.
Screenshots go to ``test-artifacts/`` (not committed).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.support.classroom import StreamlitServer
from tests.support.postgres import PostgresUnavailableError, temporary_postgres

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
IN_CI = os.environ.get("CI") == "true"
# AppTest starts here, not from app.py: see the module's docstring. Page paths given to
# AppTest.switch_page are relative to it ("../pages/quiz.py").
APP_ENTRY = ROOT / "tests" / "app_entry.py"


# What a test needs, read off the fixtures it uses (a module or test adds `slow`, `torch`
# and `server` where no fixture says so). `make test-fast` is every test that needs no
# browser, server, PostgreSQL and is not slow; `make test` runs them all.
_NEEDS_BY_FIXTURE = {
    "browser": "browser",
    "page": "browser",
    "app_url": "server",
    "warm_app_url": "server",
    "postgres_url": "postgres",
    "postgres_database_url": "postgres",
    "wheel": "slow",  # tests/test_packaging.py: builds normlib's wheel
    "installed": "slow",  # ...and installs it in a fresh venv
}


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        needs = {
            _NEEDS_BY_FIXTURE[f]
            for f in getattr(item, "fixturenames", ())
            if f in _NEEDS_BY_FIXTURE
        }
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        if any(isinstance(value, str) and value == "postgresql" for value in params):
            needs.add("postgres")  # a store fixture parametrized over both databases
        if "browser" in needs:
            needs.add("server")  # a browser test drives a served app
        for name in sorted(needs):
            item.add_marker(name)


def open_page(page: str, query: dict | None = None, sidebar: dict | None = None):
    """Open `page` under AppTest as a link with `sidebar` and `query` parameters would.

    A link opens a new session, so its page's widgets start from the URL: the page runs
    first with the link's parameters. Before a first run AppTest knows a page only by its
    file name, which is the page's URL path except for pages/train_eval.py ("train-eval");
    that one opens after one run of the default page with the sidebar's parameters.
    """
    from streamlit.testing.v1 import AppTest

    from normapp.links import sitemap

    at = AppTest.from_file(str(APP_ENTRY), default_timeout=60)
    stem = Path(page).stem
    if stem != "explorer":  # the default page runs without a switch
        if stem not in {path for path, _, _ in sitemap.PAGES}:  # known after a first run
            at.query_params.update(sidebar or {})
            at.run()
            at.query_params.clear()
        at.switch_page("../" + page)
    at.query_params.update({**(sidebar or {}), **(query or {})})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(markdown: str) -> str:
    """The text a reader sees for `markdown` whose echoes went through
    normapp.links.literal.literal.

    literal() backslash-escapes every ASCII punctuation character; AppTest
    reports the Markdown source, so a test that looks for an echoed value
    (``pick=1,2``) compares against the text with those escapes (and the
    invisible zero-width spaces that break autolinks) removed.
    """
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u200b", "")


def link(at) -> dict[str, str]:
    """The URL's query parameters after an AppTest run, one string each."""
    return {key: str(at.query_params[key]) for key in at.query_params}


def missing(what: str) -> None:
    """Fail under CI, skip elsewhere."""
    if IN_CI:
        pytest.fail(f"{what} (.ci/run installs the README's system packages; it must be there)")
    pytest.skip(what)


def require_torch():
    """Import torch for a live cross-check; missing, it is a failure everywhere.

    torch is a test requirement (requirements-oracle.txt, which `make test` installs), not an
    optional tool: a skipped oracle check would pass a claim nobody checked.
    """
    try:
        import torch
    except ImportError:
        pytest.fail("torch is not installed: run `make test` (it installs requirements-oracle.txt)")
    return torch


def require_keras():
    """Import Keras 3 on the torch backend (requirements-oracle.txt); missing, a failure."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    require_torch()
    try:
        import keras
    except ImportError:
        pytest.fail("keras is not installed: run `make test` (it installs requirements-oracle.txt)")
    assert keras.backend.backend() == "torch", keras.backend.backend()
    return keras


class Server(StreamlitServer):
    """`streamlit run` of the app as `make run` does (or of `script`), its log in test-artifacts/.

    tests/support/classroom.py's server; a server that does not start fails the test.
    """

    def __init__(
        self,
        log_name: str = "streamlit-server",
        script: Path | None = None,
        options: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ):
        script = script or ROOT / "app.py"
        # One log per pytest-xdist worker: two workers serve their own app_url side by side.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        log = ARTIFACTS / (f"{log_name}-{worker}.log" if worker else f"{log_name}.log")
        super().__init__(script, log, env=env, options=options)

    def wait_until_healthy(self, timeout_s: float = 180) -> None:
        try:
            super().wait_until_healthy(timeout_s)
        except RuntimeError as error:
            pytest.fail(str(error))


@contextlib.contextmanager
def serve_apps(servers: dict[str, Server]) -> Iterator[dict[str, str]]:
    """Wait until every one of `servers` (already starting) answers; yield their URLs by name."""
    try:
        for server in servers.values():
            server.wait_until_healthy()
        yield {name: server.url for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()


@contextlib.contextmanager
def serve_app(log_name: str = "streamlit-server", script: Path | None = None) -> Iterator[str]:
    """Serve the app as `make run` does (or `script`) on a loopback port; yield its URL."""
    with serve_apps({log_name: Server(log_name, script)}) as urls:
        yield urls[log_name]


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """The app served once for the whole test session."""
    with serve_app() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the session (tests/support/postgres.py), fsync off."""
    try:
        with temporary_postgres(durable=False) as url:
            yield url
    except PostgresUnavailableError as error:
        missing(str(error))


@pytest.fixture
def postgres_database_url(postgres_url) -> Iterator[str]:
    """A fresh, empty database in the session's PostgreSQL cluster, dropped after the test."""
    import sqlalchemy as sa

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield sa.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()


# Playwright's expect(...) gives up after 5 s unless told otherwise. On a 2-core machine running
# two test workers (and their servers and browsers) a rerun that shows a button can take longer
# (a CI-like run: the presenter's "Reveal the grid" came after 5 s under four workers), so a
# bare expect waits up to 30 s; a condition that holds still returns at once, and the long
# waits (a page's first load) keep their own LOAD_MS.
EXPECT_MS = 30_000


@pytest.fixture(scope="session", autouse=True)
def expect_waits_for_a_busy_machine() -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_MS)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args) -> dict:
    """pytest-playwright's browser fixtures on Debian's Chromium (never a downloaded browser).

    Missing, it is a failure under CI and a skip elsewhere, saying how to install it.
    """
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        missing(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture
def page(browser, app_url):
    """A fresh 1280×720 tab on the served app (pytest-playwright's, plus the server)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(tab, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def warm_app_url(browser, app_url) -> str:
    """The session's app after one visit to "/" (app.py's navigation has run once).

    Tests that are not about a fresh server's first request use this, so that a
    deep link's first-request problem (issue 7 item 0, tested on its own) does
    not stand in front of what they check.
    """
    from tests.helpers import new_tab, open_app

    context, tab = new_tab(browser)
    try:
        open_app(tab, f"{app_url}/", timeout_ms=240_000)  # a cold server on a busy machine
    finally:
        context.close()
    return app_url
