"""Hostile links: every page opened with every link parameter set to a hostile value.

A link is text anyone can write and hand to a class. Whatever it holds, the
page must (issue 7 items 4, 5, 8, 9):

- show no exception, traceback or dialog;
- echo the value literally: no link to, no image from, no network request to
  the value's host, no bold or italic made of it, no colour or maths directive
  taking effect, control and bidirectional characters shown as ⟨U+XXXX⟩, and never
  more than a few lines (a 20,000-character value is truncated);
- say which parameter was ignored (a message containing ``name=``);
- finish its script run within a bounded time, however big the link asks for;
- request nothing from any host but the app's own (checked last, so a stray
  favicon request, issue 7 item 6, does not hide the other findings).

Every page with every parameter set to each kind of value in turn is checked under
AppTest (test_link_hostile.py: the messages' text, Markdown source and run time). Here,
in Chromium, each page opens once with one link that gives every kind of value to some
of its parameters, and the page as drawn is checked. Each page's parameters come from
README.md's "Pages and links" table and normapp/links/params.py; the sidebar's
parameters are read on every page.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode, urlparse

import pytest

from tests.conftest import ARTIFACTS, screenshot
from tests.helpers import act, assert_no_problems, counting_context, open_app

pytestmark = pytest.mark.browser

SIDEBAR = ("source", "n", "size", "shape", "seed", "dist", "coff", "cscale", "soff", "sscale")
PAGES = {
    "/": ("axes", "groups", "eps", "center", "gamma", "beta", "method", "pick", "log", "tab"),
    "/compare": ("methods", "pick"),
    "/batch": ("sample", "batch", "mates", "shuffle", "channel"),
    "/train-eval": ("momentum", "steps", "bsize", "bseed"),
    "/lab": ("norms", "tbatch", "lr", "tsteps", "tseed", "gn_groups", "custom_axes", "match"),
    "/quiz": ("quiz",),
    "/question": (),
}
EVIL = "evil.example"
HOSTILE = {
    "markdown": f"**bold** [link](http://{EVIL}/login) ![img](http://{EVIL}/pix.png) :red[x] $x$",
    "backtick": f"stats` **x** [Click here to sign in](http://{EVIL}/login) `",
    "html": f"<img src=http://{EVIL}/x.png onerror=alert(1)><a href=http://{EVIL}/a>a</a>",
    "long": "a" * 20_000,
    "negative": "-1",
    "huge": "9" * 30,
    "controls": "\u202eevil\u2066 a\x00b\u200bc",
}
# Characters that must show as ⟨U+XXXX⟩, never as themselves (issue 24.8). (A zero-width
# space is one too, but the app puts its own into an echoed "://" so it cannot autolink.)
CONTROLS = ("\u202e", "\u2066", "\x00")
# Values that are valid for a parameter, so no message is due: γ and β may be negative.
ACCEPTS = {"negative": ("gamma", "beta")}
# A link's run may cost a few times the default view's, never a stall (item 5: 37 s
# alone). The floor is for the whole suite on 2 cores: /?…64x64x64x64&axes=&tab=downloads
# takes 10 s alone, and 13-21 s for the cap links in full runs, once over 24 s (the other
# worker busy at that moment), so a 20 s floor failed a link that did only capped work.
# An uncapped link's 37 s alone would be twice that under the same load.
SLOWDOWN = 4.0
BUDGET_FLOOR_S = 30.0
TALLEST_ALERT_PX = 300  # a few lines; item 9's 20,000 letters made an 11,240-px warning

_RENDERED_FROM_VALUE = """(evil) => {
  const found = [];
  for (const a of document.querySelectorAll('a[href]'))
    if (a.href.includes(evil)) found.push('a link to ' + a.href);
  for (const img of document.querySelectorAll('img'))
    if ((img.getAttribute('src') || '').includes(evil)) found.push('an image from ' + img.src);
  for (const b of document.querySelectorAll('strong, b, em, i')) {
    const text = b.innerText.trim();
    if (['bold', 'x', 'link', 'img'].includes(text) || text.includes('Click here'))
      found.push(`<${b.tagName.toLowerCase()}>${text}</${b.tagName.toLowerCase()}>`);
  }
  for (const alert of document.querySelectorAll('[data-testid="stAlert"]')) {
    if (alert.querySelector('.katex')) found.push('maths rendered in a message');
    if (alert.querySelector('[class*="ColoredText"], span[style*="color"]'))
      found.push('coloured text in a message');
  }
  return found;
}"""


def alerts(tab) -> list[str]:
    messages = tab.get_by_test_id("stAlert")
    return [messages.nth(i).inner_text() for i in range(messages.count())]


def tallest_alert(tab) -> float:
    return tab.evaluate(
        """() => Math.max(0, ...[...document.querySelectorAll('[data-testid="stAlert"]')]
            .map((a) => a.getBoundingClientRect().height))"""
    )


def hostile_link(params, kind_of) -> dict[str, str]:
    """A link setting each of `params` to HOSTILE[kind_of(name)].

    Item 9's link had one 20,000-letter value. Every parameter that long would make a
    URL over the server's 64 KB request-header limit, which it refuses before the app
    runs; so the first long value is 20,000 letters and the others 2,000.
    """
    link: dict[str, str] = {}
    for name in params:
        value = HOSTILE[kind_of(name)]
        if len(value) > 2_000 and any(len(v) > 2_000 for v in link.values()):
            value = value[:2_000]
        link[name] = value
    return link


def names(message_text: str, name: str) -> bool:
    """Does the text name link parameter `name` as a link writes it (``name=``)?"""
    return re.search(rf"(?<![\w-]){re.escape(name)}\s*=", message_text) is not None


class Visit:
    """The module's tab gone to a new address: a new Streamlit session, every request recorded.

    The module's visits share one tab, hence one browser context and its HTTP cache: each
    goto loads Streamlit's scripts from the cache, not the server, costs Chromium about 30 %
    less than a fresh tab, and the time a link's first run takes is the app's. Nothing can
    leave the machine: Chromium resolves no host name but this machine's
    (tests/support/chromium.py), and the requests are checked for others. (Routing
    requests to abort them, as before, turns the cache off.)
    """

    def __init__(self, tab, app_url: str):
        self.app_host = urlparse(app_url).netloc
        self.tab = tab
        self.requests: list[str] = []
        self._record = lambda request: self.requests.append(request.url)
        self.tab.on("request", self._record)

    def foreign(self) -> list[str]:
        return [
            url
            for url in self.requests
            if not url.startswith(("data:", "blob:")) and urlparse(url).netloc != self.app_host
        ]

    def close(self) -> None:
        self.tab.remove_listener("request", self._record)


@pytest.fixture(scope="module")
def context(browser):
    """One browser context for the module's tabs: they share its HTTP cache."""
    shared = counting_context(browser)
    yield shared
    shared.close()


@pytest.fixture(scope="module")
def tab(context):
    """The module's one tab: every visit is a goto in it (see Visit)."""
    shared = context.new_page()
    yield shared
    shared.close()


@pytest.fixture(scope="module")
def default_load_seconds(tab, warm_app_url) -> dict[str, float]:
    """How long each page's default view takes here: the yardstick for a link's budget."""
    seconds = {}
    for path in PAGES:
        visit = Visit(tab, warm_app_url)
        try:
            start = time.monotonic()
            open_app(visit.tab, warm_app_url + path, timeout_ms=120_000)
            seconds[path] = time.monotonic() - start
        finally:
            visit.close()
    return seconds


def open_hostile(tab, app_url, path, link, default_seconds):
    """Open `path` with `link`; return the visit and the time its first run took."""
    visit = Visit(tab, app_url)
    budget = max(BUDGET_FLOOR_S, SLOWDOWN * default_seconds)
    start = time.monotonic()
    try:
        open_app(visit.tab, f"{app_url}{path}?{urlencode(link)}", timeout_ms=int(budget * 1000))
    except Exception as error:  # playwright's TimeoutError: the page stalled
        visit.close()
        raise AssertionError(
            f"{path}?{urlencode(link)[:200]} did not finish within {budget:.0f} s "
            f"(the default view took {default_seconds:.1f} s): {type(error).__name__}"
        ) from None
    return visit, time.monotonic() - start


def slug(path: str) -> str:
    return path.strip("/") or "explorer"


def kinds_for(path: str):
    """Each of the page's parameters' kind of value: every kind in turn, starting further
    along on each page, so that no parameter has the same kind on every page."""
    kinds = list(HOSTILE)
    params = SIDEBAR + PAGES[path]
    start = list(PAGES).index(path)
    return {name: kinds[(start + i) % len(kinds)] for i, name in enumerate(params)}


@pytest.mark.parametrize("path", list(PAGES))
def test_every_parameter_set_to_a_hostile_value(tab, warm_app_url, default_load_seconds, path):
    kind_of = kinds_for(path)
    assert set(kind_of.values()) == set(HOSTILE), "every kind of value on every page"
    link = hostile_link(kind_of, kind_of.__getitem__)
    expected = [name for name, kind in kind_of.items() if name not in ACCEPTS.get(kind, ())]
    visit, _ = open_hostile(tab, warm_app_url, path, link, default_load_seconds[path])
    try:
        screenshot(tab, f"hostile-{slug(path)}")
        assert_no_problems(tab, "a hostile link")
        assert tab.evaluate(_RENDERED_FROM_VALUE, EVIL) == []
        fetched = [u for u in visit.requests if urlparse(u).hostname == EVIL]
        assert not fetched, "the value made the page fetch"
        shown = "\n".join(alerts(tab))
        unnamed = [name for name in expected if not names(shown, name)]
        assert not unnamed, f"no message names {unnamed}; messages: {shown[:2000]}"
        assert tallest_alert(tab) <= TALLEST_ALERT_PX, "an echoed value is not truncated"
        assert HOSTILE["long"][:1000] not in shown, "a long value is echoed whole"
        assert "⟨U+202E⟩" in shown, "a control character is not made visible"
        raw = [hex(ord(ch)) for ch in CONTROLS if ch in shown]
        assert not raw, f"control characters shown as themselves: {raw}"
        assert visit.foreign() == [], "requests to other hosts (issue 7 item 6)"
    finally:
        visit.close()


# A value outside the input the link loads (issue 7 item 8) is named under AppTest:
# test_link_hostile.py's test_a_value_outside_the_input_gets_a_message.


# The largest input a link may ask for (2^24 elements) with the costliest views.
AT_THE_CAPS = {"source": "random", "shape": "64x64x64x64"}
CAP_LINKS = [
    ("/", {**AT_THE_CAPS, "axes": "", "tab": "downloads"}),
    ("/", {**AT_THE_CAPS, "axes": "C", "groups": "64", "tab": "groups"}),
    ("/compare", {**AT_THE_CAPS, "methods": "method1,method2,layernorm,groupnorm,rmsnorm"}),
    ("/batch", {**AT_THE_CAPS, "batch": "64"}),
    ("/train-eval", {**AT_THE_CAPS, "steps": "1000", "bsize": "64"}),
    ("/question", AT_THE_CAPS),
]


@pytest.mark.parametrize(("path", "link"), CAP_LINKS)
def test_a_link_at_the_caps_finishes_in_bounded_time(
    tab, warm_app_url, default_load_seconds, path, link
):
    """Issue 7 item 5: /?source=random&shape=64x64x64x64&axes=&tab=downloads took 37 s."""
    visit, seconds = open_hostile(tab, warm_app_url, path, link, default_load_seconds[path])
    try:
        assert_no_problems(visit.tab, str(link))
        (ARTIFACTS / "timings.txt").open("a").write(f"{path}?{urlencode(link)}: {seconds:.1f} s\n")
    finally:
        visit.close()


def test_an_upload_named_like_markdown_is_echoed_literally(tab, warm_app_url):
    """The file name in "… was skipped" is shown character for character (item 4)."""
    name = f"**x**[y](http://{EVIL}).png"
    visit = Visit(tab, warm_app_url)
    try:
        open_app(tab, f"{warm_app_url}/?source=uploads")
        uploader = tab.get_by_test_id("stSidebar").locator("input[type=file]")
        act(
            tab,
            lambda: uploader.set_input_files(
                files=[{"name": name, "mimeType": "image/png", "buffer": b"not a PNG at all"}]
            ),
        )
        screenshot(tab, "hostile-upload-name")
        assert_no_problems(tab, "a bad upload named like Markdown")
        assert tab.evaluate(_RENDERED_FROM_VALUE, EVIL) == []
        # literal() breaks "http://" with a zero-width space so it cannot autolink.
        sidebar_text = tab.get_by_test_id("stSidebar").inner_text().replace("\u200b", "")
        assert "**x**[y](http://" in sidebar_text, sidebar_text
        assert visit.foreign() == [], "requests to other hosts (issue 7 item 6)"
    finally:
        visit.close()


# Refused values that a widget or the page repairs: the address bar keeps only what is used,
# so a link copied from it does not pass the warning on (issue 24.9).
REFUSED = [
    ("/", {"source": "random", "seed": "-1"}, "seed"),
    ("/", {"source": "random", "shape": "bad"}, "shape"),
    ("/", {"source": "random", "shape": "99999x3x4x4", "seed": "7"}, "shape"),
    ("/", {"groups": "5"}, "groups"),
    ("/", {"eps": "abc"}, "eps"),
    ("/compare", {"methods": "nope"}, "methods"),
    ("/lab", {"tbatch": "999"}, "tbatch"),
]


@pytest.mark.parametrize(("path", "link", "name"), REFUSED)
def test_a_refused_value_is_named_and_leaves_the_address_bar(tab, warm_app_url, path, link, name):
    from playwright.sync_api import expect

    open_app(tab, f"{warm_app_url}{path}?{urlencode(link)}")
    expect(tab.get_by_test_id("stAlert").filter(has_text=f"{name}=").first).to_be_visible()
    refused = re.escape(urlencode({name: link[name]}))
    expect(tab).not_to_have_url(re.compile(rf"[?&]{refused}(&|$)"))
    kept = {k: v for k, v in link.items() if k not in (name, "source")}
    for key, value in kept.items():  # what was used stays
        expect(tab).to_have_url(re.compile(rf"[?&]{re.escape(urlencode({key: value}))}(&|$)"))
