"""Browser helpers for the monkey, hostile-link and screen tests (playwright, sync API).

Waiting is done on Streamlit's own signals, never on fixed sleeps: an init
script counts the script runs the server reports finished (its
``script_finished`` messages on the websocket), and an interaction waits until
a new run has finished and been drawn, with nothing left as a skeleton or stale.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import numpy as np

from normapp.links import sitemap

RUN_TIMEOUT_MS = 120_000  # generous: a busy 2-core CI machine can take a minute

# Counts Streamlit script runs: every ForwardMsg `script_finished` (field 6, a varint) the
# server sends, except FINISHED_EARLY_FOR_RERUN (2), whose rerun is counted when it finishes.
# Not stApp's data-test-script-state turning to "running": a run faster than a frame
# (the Quiz's Check button, with Streamlit's post-run GC off) never shows "running", so
# that count missed real reruns. The count goes up a task, a frame and a task after the
# message, once Streamlit has dispatched it and React has drawn what it changed.
COUNT_RUNS_SCRIPT = """
window.__stRuns = 0;
const countFinishedRun = (event) => {
  if (!(event.data instanceof ArrayBuffer)) return;
  const bytes = new Uint8Array(event.data);
  let at = 0;
  const varint = () => {
    let value = 0, shift = 0, byte;
    do { byte = bytes[at++]; value += (byte & 127) * 2 ** shift; shift += 7; } while (byte & 128);
    return value;
  };
  while (at < bytes.length) {
    const tag = varint(), field = Math.floor(tag / 8), wire = tag & 7;
    if (wire === 0) {
      const value = varint();
      if (field === 6 && value !== 2) {
        setTimeout(() => requestAnimationFrame(() => setTimeout(() => { window.__stRuns += 1; })));
      }
    } else if (wire === 2) { const length = varint(); at += length; }
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else return;
  }
};
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', countFinishedRun);
  }
};
"""

_RUN_FINISHED = """(before) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return window.__stRuns > before
    && app && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
    && document.querySelectorAll('[data-stale="true"]').length === 0
    && document.querySelector('[data-testid="stMainBlockContainer"]') !== null;
}"""


def runs(tab) -> int:
    """How many script runs the page has seen so far."""
    return int(tab.evaluate("window.__stRuns || 0"))


def wait_for_run_after(tab, before: int, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait until a script run that finished after `before` runs has been drawn."""
    tab.wait_for_function(_RUN_FINISHED, arg=before, timeout=timeout_ms)


def open_app(tab, url: str, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Go to `url` and wait for the page's first script run to finish.

    The tab's context must have COUNT_RUNS_SCRIPT installed (see `new_tab`).
    """
    tab.goto(url)
    wait_for_run_after(tab, 0, timeout_ms)


def counting_context(browser, width: int = 1280, height: int = 720, color_scheme: str = "light"):
    """A browser context whose tabs count Streamlit runs; close it when done.

    Tabs of one context share its HTTP cache, so a test that opens many tabs loads
    Streamlit's scripts and styles once rather than once per tab.
    """
    context = browser.new_context(
        viewport={"width": width, "height": height}, color_scheme=color_scheme
    )
    context.add_init_script(COUNT_RUNS_SCRIPT)
    return context


def new_tab(browser, width: int = 1280, height: int = 720, color_scheme: str = "light"):
    """A fresh context and tab that counts Streamlit runs; close the context when done."""
    context = counting_context(browser, width, height, color_scheme)
    return context, context.new_page()


def act(tab, action) -> None:
    """Do `action` (a callable that changes a widget) and wait for the rerun it causes."""
    before = runs(tab)
    action()
    wait_for_run_after(tab, before)


def press(tab, button, lost_after_ms: int = 15_000) -> None:
    """Click `button` and wait for the run it causes; a click that caused none is repeated once.

    Once, in CI (2 cores, the whole suite running), a click on "Start a class session"
    reached the page and no run followed in 120 s: no callback ran, nothing was drawn,
    and the same test passes alone. A click the browser dropped is not the app's
    behaviour, so it gets one more try; a run that happens and draws the wrong thing
    still fails the caller's expect. The tab's context must count runs (`counting_context`).
    """
    before = runs(tab)
    button.click()
    try:
        wait_for_run_after(tab, before, lost_after_ms)
    except Exception:  # playwright's TimeoutError: the click caused no run
        if runs(tab) > before:
            raise
        print(f"press: no run {lost_after_ms} ms after a click; clicking once more")
        button.click()
        wait_for_run_after(tab, before)


# ------------------------------------------------------------------ what went wrong
def visible_problems(tab) -> list[str]:
    """Everything on the page that a learner must never see: exceptions, tracebacks, dialogs."""
    problems = []
    exceptions = tab.get_by_test_id("stException")
    for index in range(exceptions.count()):
        problems.append("stException: " + exceptions.nth(index).inner_text()[:400])
    text = tab.inner_text("body")
    if "Traceback" in text:
        problems.append("a Traceback is shown")
    dialogs = tab.get_by_role("dialog")
    for index in range(dialogs.count()):
        if dialogs.nth(index).is_visible():
            problems.append("a dialog is shown: " + dialogs.nth(index).inner_text()[:200])
    return problems


def assert_no_problems(tab, context: str) -> None:
    problems = visible_problems(tab)
    assert not problems, f"after {context} ({tab.url}): {problems}"


# ------------------------------------------------------------------ the URL and the headline
HEADLINE = re.compile(r"([\d,]+) sets? × ([\d,]+) elements? per set")


def query(tab) -> dict[str, str]:
    """The page's URL query parameters, one (the last) value each."""
    # keep_blank_values: "axes=" (no axes) is a value, not a missing parameter.
    query_string = urlparse(tab.url).query
    parsed = parse_qs(query_string, keep_blank_values=True)
    return {key: values[-1] for key, values in parsed.items()}


def headline_counts(tab) -> tuple[int, int]:
    """The Explorer headline's (sets, elements per set)."""
    match = HEADLINE.search(tab.get_by_text(HEADLINE).first.inner_text())
    assert match, tab.url
    return int(match[1].replace(",", "")), int(match[2].replace(",", ""))


def sidebar_shape(tab) -> tuple[int, int, int, int]:
    """The (N, C, H, W) the sidebar says it loaded ('… · shape (8, 3, 32, 32)')."""
    text = tab.get_by_test_id("stSidebar").inner_text()
    match = re.search(r"shape \((\d+), (\d+), (\d+), (\d+)\)", text)
    assert match, text
    return tuple(int(g) for g in match.groups())  # type: ignore[return-value]


def brute_force_sets(shape: tuple[int, ...], axes: str, groups: int) -> tuple[int, int]:
    """(number of sets, elements per set) by grouping every element's coordinates.

    Two elements share a mean exactly when they agree on every kept axis and,
    under GroupNorm, lie in the same group of C/G channels. Counted with
    np.unique over all coordinates, independent of normlib.
    """
    n, c, h, w = shape
    coordinates = np.indices(shape).reshape(4, -1)
    key_rows = []
    for axis, row in zip("NCHW", coordinates, strict=True):
        if axis not in axes:
            key_rows.append(row)
        elif axis == "C" and groups > 1:
            key_rows.append(row // (c // groups))
    if not key_rows:
        return 1, n * c * h * w
    _, sizes = np.unique(np.stack(key_rows, axis=1), axis=0, return_counts=True)
    assert sizes.min() == sizes.max(), "sets of unequal size"
    return len(sizes), int(sizes[0])


# ------------------------------------------------------------------ the monkey
# One pass over the DOM: tag every enabled, visible control with data-monkey-id and
# describe it (a round trip per attribute would take seconds on a busy machine).
_CONTROLS_SCRIPT = """() => {
  const found = [];
  // Fresh ids on every pass: an element tagged by an earlier pass must not match.
  window.__monkeyPass = (window.__monkeyPass || 0) + 1;
  for (const el of document.querySelectorAll('[data-monkey-id]')) {
    el.removeAttribute('data-monkey-id');
  }
  const visible = (el) => el.offsetParent !== null || el.getClientRects().length > 0;
  const label = (el) => {
    const l = el.querySelector('[data-testid="stWidgetLabel"]');
    return ((l ? l.innerText : el.innerText) || '').split(/\\s+/).join(' ').trim().slice(0, 60);
  };
  const add = (el, kind, widget, option, extra) => {
    const id = `${window.__monkeyPass}-${found.length}`;
    el.setAttribute('data-monkey-id', id);
    const control = {id, kind, widget, option: option || '', selected: false};
    found.push(Object.assign(control, extra || {}));
  };
  const areas = [['main', 'stMain'], ['sidebar', 'stSidebar']];
  for (const [area, testid] of areas) {
    const root = document.querySelector(`[data-testid="${testid}"]`);
    if (!root || !visible(root)) continue;
    const all = (t) => [...root.querySelectorAll(`[data-testid="${t}"]`)].filter(visible);
    for (const el of all('stSlider')) {
      const thumb = el.querySelector('input[type=range]');
      if (thumb && !thumb.disabled) add(thumb, 'slider', `${area}: ${label(el)}`, '',
        {value: +thumb.value, min: +thumb.min, max: +thumb.max, step: +(thumb.step || 1)});
    }
    for (const el of all('stButtonGroup')) {
      for (const b of el.querySelectorAll('button[data-variant]')) {
        if (b.disabled || !visible(b)) continue;
        const on = b.getAttribute('aria-checked') === 'true'
          || b.getAttribute('aria-pressed') === 'true';
        add(b, 'button', `${area}: ${label(el)}`, b.innerText.trim(), {selected: on});
      }
    }
    for (const el of all('stCheckbox')) {
      const input = el.querySelector('input');
      if (input && !input.disabled) {
        add(el.querySelector('label'), 'toggle', `${area}: ${label(el)}`);
      }
    }
    for (const el of all('stNumberInput')) {
      const input = el.querySelector('input');
      if (input && !input.disabled) add(input, 'number', `${area}: ${label(el)}`, '',
        {value: input.value, min: +input.min, max: +input.max, step: +(input.step || 1)});
    }
    for (const el of all('stSelectbox')) add(el, 'select', `${area}: ${label(el)}`);
    for (const el of all('stRadio')) {
      for (const o of el.querySelectorAll('[data-testid="stRadioOption"]')) {
        if (o.getAttribute('data-selected') !== 'true' && visible(o))
          add(o, 'radio', `${area}: ${label(el)}`, o.innerText.trim());
      }
    }
    for (const t of all('stTab')) {
      if (t.getAttribute('aria-selected') !== 'true') {
        add(t, 'tab', `${area}: tabs`, t.innerText.trim());
      }
    }
    if (area === 'main') {
      for (const el of all('stButton')) {
        const b = el.querySelector('button');
        // A button in a closed expander keeps its box but is hidden: no learner can press it.
        if (b && !b.disabled && b.checkVisibility({visibilityProperty: true})) {
          add(b, 'press', `${area}: ${b.innerText.trim()}`);
        }
      }
    }
  }
  return found;
}"""


@dataclass
class Control:
    """One thing a learner can change: a widget, or one option of a widget."""

    kind: str  # slider, button, toggle, number, select, radio, tab, press
    widget: str  # "<area>: <label>", the same across reruns
    option: str  # the option's text, or "" for the widget itself
    locator: object
    selected: bool = False  # an option that was on before the change
    value: object = None  # sliders and number inputs: value, range and step
    low: float = 0.0
    high: float = 0.0
    step: float = 1.0


def controls(tab) -> list[Control]:
    """Every enabled, visible control on the page, in DOM order (main area, then sidebar)."""
    return [
        Control(
            kind=c["kind"],
            widget=c["widget"],
            option=c["option"],
            locator=tab.locator(f'[data-monkey-id="{c["id"]}"]'),
            selected=c["selected"],
            value=c.get("value"),
            low=c.get("min", 0.0),
            high=c.get("max", 0.0),
            step=c.get("step", 1.0),
        )
        for c in tab.evaluate(_CONTROLS_SCRIPT)
    ]


def _visible(locator) -> list:
    return [locator.nth(i) for i in range(locator.count()) if locator.nth(i).is_visible()]


# Values to type into a float number input (those inside its range are used).
_FLOATS = (0.0, 1e-5, 1e-3, 0.1, 0.5, 1.0, 2.0, -1.0, -0.5, 3.0)


class Monkey:
    """Seeded random interactions; each one changes a value, so each one causes a rerun.

    `weights` favours some widgets (by label prefix, e.g. {"main: Method": 6}).
    Sidebar sliders stay within two notches above where they started, so the
    input never grows into a slow one.
    """

    def __init__(self, tab, seed: int, weights: dict[str, float] | None = None):
        self.tab = tab
        self.rng = random.Random(seed)
        self.weights = weights or {}
        self.started_at: dict[str, float] = {}
        self.last_widget = ""
        self.log: list[str] = []

    def weight(self, widget: str) -> float:
        return next((w for prefix, w in self.weights.items() if widget.startswith(prefix)), 1.0)

    def step(self) -> Control:
        """Change one control and wait for the rerun; return what was changed."""
        found = controls(self.tab)
        assert found, f"no control on {self.tab.url}"
        widgets = list(dict.fromkeys(c.widget for c in found))
        if self.last_widget in widgets and self.rng.random() < 0.35:
            widget = self.last_widget  # the same widget again: "moved one notch, then again"
        else:
            widget = self.rng.choices(widgets, [self.weight(w) for w in widgets])[0]
        control = self.rng.choice([c for c in found if c.widget == widget])
        started = time.monotonic()
        description, control = self._change(control)
        self.last_widget = control.widget
        self.log.append(f"{description} ({time.monotonic() - started:.1f} s)")
        return control

    def _change(self, control: Control) -> tuple[str, Control]:
        """Change `control` (or, when it cannot move, another one); say what was done."""
        tab, rng = self.tab, self.rng
        where = f"{control.widget}" + (f" → {control.option!r}" if control.option else "")
        if control.kind == "slider":
            thumb = control.locator
            value, low, high, step = float(control.value), control.low, control.high, control.step
            start = self.started_at.setdefault(control.widget, value)
            if control.widget.startswith("sidebar"):
                high = min(high, start + 2 * step)
            if low >= high:
                return self._skip(control)
            up = value < high and (value <= low or rng.random() < 0.5)
            key = "ArrowRight" if up else "ArrowLeft"
            act(tab, lambda: (thumb.focus(), thumb.press(key)))
            return f"{where}: {key}", control
        if control.kind == "number":
            field = control.locator
            current, low, high, step = control.value, control.low, control.high, control.step
            if step == int(step):
                top = int(min(high, low + 20))
                options = [str(v) for v in range(int(low), top + 1)]
            else:
                options = [repr(v) for v in _FLOATS if low <= v <= high]
            options = [o for o in options if float(o) != float(current or "nan")]
            if not options:
                return self._skip(control)
            value = rng.choice(options)
            act(tab, lambda: (field.fill(value), field.press("Enter")))
            return f"{where}: typed {value}", control
        if control.kind == "select":
            control.locator.click()
            options = tab.get_by_role("option")
            choices = [o for o in _visible(options) if o.get_attribute("aria-selected") != "true"]
            if not choices:
                tab.keyboard.press("Escape")
                return self._skip(control)
            option = rng.choice(choices)
            text = option.inner_text()
            act(tab, option.click)
            return f"{where}: chose {text!r}", control
        act(tab, control.locator.click)
        return f"{where}: clicked", control

    def _skip(self, control: Control) -> tuple[str, Control]:
        # A slider with nowhere to go: change something else instead.
        self.last_widget = ""
        others = [c for c in controls(self.tab) if c.widget != control.widget]
        return self._change(self.rng.choice(others))


# Every page of the app by name, with the path a link uses (the app's own page table).
PAGE_PATHS = {stem: "/" if i == 0 else f"/{stem}" for i, (stem, _, _) in enumerate(sitemap.PAGES)}


# ------------------------------------------------------------------ the per-page browser tests
# tests/test_browser_<page>.py wait with playwright's expect(...), which retries until its
# condition holds: on Streamlit's script state, or on the text a run draws.
LOAD_MS = 120_000  # a page load and its charts on a busy 2-core machine
PHONE = {"width": 390, "height": 844}


def expect_drawn(tab, timeout_ms: int = LOAD_MS) -> None:
    """The script has finished and nothing on the page is a loading skeleton or stale.

    Call it after an expect on something the run draws: right after a goto, the
    script state reads "notRunning" before the first run has even started.
    """
    from playwright.sync_api import expect

    expect(tab.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=timeout_ms
    )
    expect(tab.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)
    # Elements left from the previous run are marked stale until the new run redraws them.
    expect(tab.locator("[data-stale='true']")).to_have_count(0, timeout=timeout_ms)


def open_page_at(tab, url: str, landmark, timeout_ms: int = LOAD_MS) -> None:
    """Go to `url`, wait until `landmark` (a text or regex) shows, then until the run is done."""
    from playwright.sync_api import expect

    tab.goto(url)
    expect(tab.get_by_test_id("stMain").get_by_text(landmark).first).to_be_visible(
        timeout=timeout_ms
    )
    expect_drawn(tab, timeout_ms)


def page_tab(browser, url: str, landmark, color_scheme: str = "light", viewport=None):
    """A fresh context and tab (1280×720 unless `viewport`) opened on `url`; close the context."""
    size = viewport or {"width": 1280, "height": 720}
    context = browser.new_context(viewport=size, color_scheme=color_scheme)
    tab = context.new_page()
    try:
        open_page_at(tab, url, landmark)
    except BaseException:
        context.close()
        raise
    return context, tab


def reopen_at(tab, url: str, landmark, color_scheme: str = "light", viewport=None) -> None:
    """page_tab's visit in an open tab: the window (1280×720 unless `viewport`) and system
    theme set, then a goto to `url` (a new Streamlit session) until `landmark` shows.

    A goto in an open tab costs Chromium about half a fresh context's CPU (its renderer
    has compiled Streamlit's scripts already); see README, Tests.
    """
    tab.set_viewport_size(viewport or {"width": 1280, "height": 720})
    tab.emulate_media(color_scheme=color_scheme)
    open_page_at(tab, url, landmark)


def close_sidebar(tab) -> None:
    """Close the sidebar if it is open (on a phone it lies over the page)."""
    from playwright.sync_api import expect

    sidebar = tab.get_by_test_id("stSidebar")
    if sidebar.get_attribute("data-collapsed") == "false":
        tab.get_by_test_id("stSidebarCollapseButton").get_by_role("button").click()
    expect(sidebar).to_have_attribute("data-collapsed", "true")


def expect_charts_drawn(tab, timeout_ms: int = LOAD_MS) -> None:
    """Every Plotly chart on the page has drawn its plot (Plotly draws after the run)."""
    from playwright.sync_api import expect

    charts = tab.get_by_test_id("stPlotlyChart")
    expect(charts.locator(".js-plotly-plot")).to_have_count(charts.count(), timeout=timeout_ms)


# Resolves once the layout (main area, sidebar, every chart's box) and the app's
# background have kept the same for SETTLED_MS: after a resize Streamlit and Plotly lay
# the page out again, and a change of system theme repaints it.
_LAYOUT_SETTLED = """(settledMs) => new Promise((resolve) => {
  const boxes = () => JSON.stringify([...document.querySelectorAll(
      '[data-testid="stMain"], [data-testid="stSidebar"], .js-plotly-plot .main-svg')]
    .map((el) => { const r = el.getBoundingClientRect(); return [r.x, r.width, r.height]; })
    .concat([getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor]));
  let last = boxes(), since = performance.now();
  const check = () => {
    const now = boxes();
    if (now !== last) { last = now; since = performance.now(); }
    if (performance.now() - since >= settledMs) resolve(); else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})"""
SETTLED_MS = 300


def settle_layout(tab) -> None:
    """Wait until the page's layout has stopped changing (after a resize or a theme change)."""
    tab.evaluate(_LAYOUT_SETTLED, SETTLED_MS)


def _next_frames(tab) -> None:
    """Wait until the browser has laid out and painted twice (after a resize)."""
    tab.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def save_views(tab, name: str) -> None:
    """The 1280×720 view a class sees as `name`, plus the whole page as `name`-full.

    Screenshots go to test-artifacts/ for a person to judge; the page must be drawn.
    """
    from tests.conftest import screenshot

    expect_charts_drawn(tab)
    screenshot(tab, name)
    height = tab.get_by_test_id("stMain").evaluate("main => main.scrollHeight")
    tab.set_viewport_size({"width": 1280, "height": min(int(height) + 40, 6000)})
    _next_frames(tab)
    expect_charts_drawn(tab)
    screenshot(tab, f"{name}-full")
    tab.set_viewport_size({"width": 1280, "height": 720})
    _next_frames(tab)
