"""Nothing leaves the machine: every page, loaded and used, requests only the app's host.

Issue 7 item 6: every page load fetched the favicon from an external font
host, so "works offline" was not true. Foreign requests are recorded and
aborted (the test never reaches the network either way).
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.helpers import PAGE_PATHS, act, assert_no_problems, new_tab, open_app

pytestmark = pytest.mark.browser

PAGES = tuple(PAGE_PATHS.values())


def test_no_page_requests_another_host(browser, warm_app_url):
    app_host = urlparse(warm_app_url).netloc
    context, tab = new_tab(browser)
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))

    def local_only(route):
        if urlparse(route.request.url).netloc == app_host:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", local_only)
    try:
        for path in PAGES:
            open_app(tab, warm_app_url + path)
            assert_no_problems(tab, f"opening {path}")
            icons = tab.eval_on_selector_all(
                "link[rel~=icon]", "links => links.map(link => link.href)"
            )
            # The app's own host, or a data URL (the favicon: embedded, nothing fetched).
            assert all(
                urlparse(icon).netloc == app_host or urlparse(icon).scheme == "data"
                for icon in icons
            ), icons
        # The Explorer's tabs draw other figures (and fonts): open each one too.
        open_app(tab, warm_app_url + "/")
        tabs = tab.get_by_test_id("stTab")
        for index in range(1, tabs.count()):
            act(tab, tabs.nth(index).click)
            assert_no_problems(tab, f"Explorer tab {index}")
        foreign = sorted(
            {u for u in requested if u.startswith("http") and urlparse(u).netloc != app_host}
        )
        assert foreign == [], f"requests to other hosts: {foreign}"
    finally:
        context.close()
