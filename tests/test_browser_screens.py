"""Every page at the sizes a class meets it, light and dark: screenshots plus measurements.

Sizes: a phone (390×844), a laptop (1280×720) and a projector (1920×1080).
The theme follows the browser's prefers-color-scheme (Streamlit 1.67's default
"Use system setting"), emulated here. Each page is opened once per theme on a
phone, as a learner would open a link, then the window is resized to the laptop
and the projector (Streamlit lays the page out again live). At each size:

- the screen is saved under test-artifacts/screens-<page>-<size>-<theme>.png
  (the first screen) and …-full.png (the whole page) for a person to look at;
- the theme took effect (dark background in dark, light in light);
- the page has a title (an h1, issue 7 item 13) and, on the phone, it is not
  hidden under Streamlit's fixed header (item 11);
- on the phone, the page does not scroll sideways, no text, formula or table
  runs past its own box, and the sidebar is collapsed at first load, not
  covering the page (issue 7 item 11);
- on the projector, body text is at least 18 px (issue 7 item 12).

One test per page, size and theme reads the measurements its page's visit took.
"""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS
from tests.helpers import (
    PAGE_PATHS,
    counting_context,
    expect_charts_drawn,
    open_app,
    settle_layout,
    visible_problems,
)

pytestmark = pytest.mark.browser

PAGES = PAGE_PATHS
SIZES = {"phone": (390, 844), "laptop": (1280, 720), "projector": (1920, 1080)}
PROJECTOR_TEXT_PX = 18

_MEASURE = """() => {
  const box = (el) => el ? el.getBoundingClientRect() : null;
  const main = document.querySelector('[data-testid="stMain"]');
  const header = document.querySelector('[data-testid="stHeader"]');
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  const title = main.querySelector('h1');
  // Body text: an st.markdown paragraph, not a widget's or expander's label (those
  // are Streamlit's smaller label type, which the same stMarkdownContainer carries).
  const paragraph = main.querySelector(
      '[data-testid="stMarkdown"] [data-testid="stMarkdownContainer"] p');
  const overflowing = [];
  for (const el of main.querySelectorAll(
      '[data-testid="stMarkdownContainer"], [data-testid="stTable"], .katex-display')) {
    // KaTeX's display box is 2 px wider than its content box for every formula, even
    // "x = 0"; a formula that really runs off a phone is hundreds of px over.
    if (el.getBoundingClientRect().width > 0 && el.scrollWidth > el.clientWidth + 4)
      overflowing.push(`${el.getAttribute('data-testid') || el.className}: `
        + `${el.scrollWidth} px in ${el.clientWidth} px: ${el.innerText.slice(0, 60)}`);
  }
  const rgb = getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor
    .match(/\\d+/g).slice(0, 3).map(Number);
  const sidebarBox = box(sidebar);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    headerBottom: header ? box(header).bottom : 0,
    headerVisible: header ? getComputedStyle(header).visibility !== 'hidden'
      && box(header).height > 0 : false,
    titleTop: title ? box(title).top : null,
    title: title ? title.innerText : null,
    textPx: paragraph ? parseFloat(getComputedStyle(paragraph).fontSize) : null,
    overflowing,
    background: rgb,
    sidebarExpanded: sidebar ? sidebar.getAttribute('aria-expanded') : null,
    sidebarCovers: sidebarBox ? Math.max(0, Math.min(sidebarBox.right, window.innerWidth)
      - Math.max(sidebarBox.left, 0)) / window.innerWidth : 0,
  };
}"""


def luminance(rgb: list[int]) -> float:
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255


def visit(tab, app_url: str, page_name: str) -> dict[tuple[str, str], dict]:
    """Open `page_name` once on a phone in light, then measure it at every size and theme.

    The first screen is the phone's, so "the sidebar is collapsed at first load" is
    measured on a real first load; the window then grows to the laptop and the
    projector, the system theme turns dark, and the window shrinks back. The pages are
    visited one after another in the module's tab (a goto, a new session each).
    """
    phone_width, phone_height = SIZES["phone"]
    tab.set_viewport_size({"width": phone_width, "height": phone_height})
    tab.emulate_media(color_scheme="light")
    seen = {}
    open_app(tab, app_url + PAGES[page_name])
    order = [("light", size) for size in SIZES] + [("dark", s) for s in reversed(SIZES)]
    for theme, size in order:
        if theme == "dark":
            tab.emulate_media(color_scheme="dark")
        width, height = SIZES[size]
        tab.set_viewport_size({"width": width, "height": height})
        settle_layout(tab)
        expect_charts_drawn(tab)
        name = f"screens-{page_name}-{size}-{theme}"
        tab.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        tab.screenshot(path=str(ARTIFACTS / f"{name}-full.png"), full_page=True)
        seen[theme, size] = {**tab.evaluate(_MEASURE), "problems": visible_problems(tab)}
    return seen


@pytest.fixture(scope="module")
def tab(browser):
    """The module's one tab (a goto costs Chromium about half a fresh context's CPU)."""
    phone_width, phone_height = SIZES["phone"]
    context = counting_context(browser, phone_width, phone_height)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def measured(tab, warm_app_url):
    """`measured(page_name)`: that page's measurements, from one visit per page (cached)."""
    ARTIFACTS.mkdir(exist_ok=True)
    visits: dict[str, dict | Exception] = {}

    def measurements(page_name: str) -> dict[tuple[str, str], dict]:
        if page_name not in visits:
            try:
                visits[page_name] = visit(tab, warm_app_url, page_name)
            except Exception as error:  # reported by every test of the page, tried once
                visits[page_name] = error
        result = visits[page_name]
        if isinstance(result, Exception):
            raise AssertionError(f"visiting {page_name} failed: {result}") from result
        return result

    return measurements


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("page_name", list(PAGES))
def test_page_on_screen(measured, page_name, size, theme):
    m = measured(page_name)[theme, size]
    assert not m["problems"], f"at {size} in {theme}: {m['problems']}"

    dark = luminance(m["background"]) < 0.5
    assert dark == (theme == "dark"), f"the {theme} theme did not apply: {m['background']}"

    assert m["title"], "the page has no title (h1)"
    # On wide screens the header is a transparent band with the menu at the right;
    # on a phone its menu and sidebar button cover the title (item 11).
    if size == "phone" and m["headerVisible"]:
        assert m["titleTop"] >= m["headerBottom"] - 1, (
            f"the title {m['title']!r} starts at {m['titleTop']:.0f} px, under the fixed "
            f"header that ends at {m['headerBottom']:.0f} px"
        )
    if size == "phone":
        assert m["scrollWidth"] <= m["innerWidth"], (
            f"the page scrolls sideways: {m['scrollWidth']} px wide in {m['innerWidth']} px"
        )
        assert m["sidebarExpanded"] != "true" and m["sidebarCovers"] < 0.05, (
            f"the sidebar covers {m['sidebarCovers']:.0%} of the phone's width"
        )
        assert m["overflowing"] == [], "content runs past its box on a phone"
    if size == "projector":
        assert m["textPx"] is not None and m["textPx"] >= PROJECTOR_TEXT_PX, (
            f"body text is {m['textPx']} px at 1920×1080; a room needs ≥ {PROJECTOR_TEXT_PX}"
        )
