"""The app's pages and their URL paths: one table for the app, its server and its tests.

A page's script is pages/<URL path with "_" for "-">.py (`page_script`); app.py
registers each with st.navigation under its URL path.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from normapp.classroom import quiz
from normapp.explorer import controls as explorer_controls
from normapp.lab import controls as lab_controls
from normapp.links import old_forms
from normapp.links.table import Table
from normapp.teaching import batch_dependence, compare, running_statistics

PAGES = (
    # (URL path, title, icon); the first is the default page at "/"
    ("explorer", "Explorer", ":material/search:"),
    ("compare", "Compare methods", ":material/compare:"),
    ("batch", "Batch dependence", ":material/groups:"),
    ("train-eval", "Train vs eval", ":material/model_training:"),
    ("lab", "Training lab", ":material/science:"),
    ("quiz", "Quiz", ":material/quiz:"),
    ("question", "The question, answered", ":material/task_alt:"),
)

PAGE_PATHS = frozenset(stem for stem, _, _ in PAGES)


def page_script(path: str) -> str:
    """The file name, in pages/, of the page at URL path `path`.

    >>> page_script("train-eval")
    'train_eval.py'
    """
    return f"{path.replace('-', '_')}.py"


# Each page's controls, declared once (normapp/links/table.py): the server rewrites an older
# link's names and values from them, in the form their widgets read.
PAGE_TABLES: dict[str, Table] = {
    "explorer": explorer_controls.TABLE,
    "compare": compare.TABLE,
    "batch": batch_dependence.TABLE,
    "train-eval": running_statistics.TABLE,
    "lab": lab_controls.TABLE,
    "quiz": quiz.TABLE,  # with a class session's links: normapp/classroom/class_quiz.py
    "question": Table(()),
}
# Each page's own link parameters (the sidebar's are everyone's): a page drops the others'
# from the URL, so a link copied on one page carries nothing another page left there.
PAGE_PARAMS = {page: table.names for page, table in PAGE_TABLES.items()}


def kept_params(page: str) -> set[str]:
    """The parameters a link to `page` may carry: its own, and older names of its own."""
    table = PAGE_TABLES.get(page)
    return {*PAGE_PARAMS[page], *(table.renamed if table else ())}


def multi_valued(page: str) -> set[str]:
    """The parameters of `page` a link gives once per choice (a multi-select's)."""
    table = PAGE_TABLES.get(page)
    return {c.name for c in table if c.multi} if table else set()


# The server (normapp/server.py) redirects a path that names no page to the
# nearest page with this parameter; the app says so and drops it. Without the
# redirect, extra segments (/compare/extra/path) left the browser on a blank
# page (the page's scripts load relative to the path, and the server answered
# them with HTML), and an unknown path as a fresh server's first request drew
# Streamlit's own blocking "Page not found" dialog.
MISSING_PARAM = "missing"

# Streamlit's own routes and the top-level files of its front end: never pages.
_SERVER_PREFIXES = ("_stcore", "media", "component", "static", "app", "auth", "oauth2callback")


def page_redirect(path: str, query: str) -> str | None:
    """Where a browser asking for `path` should go instead, or None to serve it.

    >>> page_redirect("/compare", "")
    >>> page_redirect("/compare/extra/path", "methods=a")
    '/compare?methods=a&missing=compare%2Fextra%2Fpath'
    >>> page_redirect("/nonexistent", "")
    '/?missing=nonexistent'
    >>> page_redirect("/static/js/main.js", "")
    """
    segments = [s for s in path.split("/") if s]
    if not segments:
        return None
    first = segments[0]
    if first in _SERVER_PREFIXES or "." in segments[-1]:
        return None  # a file or one of Streamlit's routes
    if len(segments) == 1 and first in PAGE_PATHS:
        return None
    target = f"/{first}" if first in PAGE_PATHS else "/"
    missing = urlencode({MISSING_PARAM: "/".join(segments)[:200]}, quote_via=quote)
    return f"{target}?{query}&{missing}" if query else f"{target}?{missing}"


class PagePathRedirect:
    """Redirect browser navigations to paths that name no page (see page_redirect)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            accepts = dict(scope.get("headers") or ()).get(b"accept", b"")
            if b"text/html" in accepts:
                query = scope.get("query_string", b"").decode("latin-1")
                target = page_redirect(scope["path"], query)
                table = PAGE_TABLES.get(scope["path"].strip("/") or PAGES[0][0])  # "/": Explorer
                current = old_forms.current_form(query, table)
                if target is None and current is not None:
                    target = f"{scope['path']}?{current}"  # an older link, in today's form
                if target is not None:
                    await RedirectResponse(target, status_code=302)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
