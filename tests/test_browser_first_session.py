"""The first learner on a freshly started server is treated like every later one.

A server's very first run used to differ from all the others: Streamlit ran it in
its older pages/-folder mode, as app.py had not yet called st.navigation, so every
widget in that run got another id than in later runs. The learner who happened to
be that run lost their first upload (the rerun it caused came back with an empty
uploader of another id); on a fresh replica behind `make serve` the same happened
to whoever arrived first.
Now that mode is off before the first session (normapp/server.py, which every entry
imports through app.py), so the first run is like every other.
This test is that learner: a freshly started server, one browser, an upload at
once. It failed before the fix (3 of 3 fresh servers lost the upload).
"""

from __future__ import annotations

import io

import pytest

from tests.conftest import Server, screenshot, serve_apps
from tests.helpers import LOAD_MS, expect_drawn

pytestmark = pytest.mark.browser


def _png(rgb: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_first_session_on_a_fresh_server_keeps_its_first_upload(browser):
    from playwright.sync_api import expect

    with serve_apps({"first": Server("streamlit-first-session")}) as urls:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        tab = context.new_page()
        try:
            tab.goto(urls["first"] + "/?source=uploads")
            sidebar = tab.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text("No readable upload yet")).to_be_visible(timeout=LOAD_MS)
            uploader = sidebar.get_by_test_id("stFileUploaderDropzoneInput")
            expect(uploader).to_be_attached(timeout=LOAD_MS)
            expect_drawn(tab, LOAD_MS)
            uploader.set_input_files(
                files=[{"name": "first.png", "mimeType": "image/png", "buffer": _png((9, 99, 199))}]
            )
            try:
                expect(sidebar.get_by_text("1 uploaded image")).to_be_visible(timeout=LOAD_MS)
                main = tab.get_by_test_id("stMain")
                expect(main.get_by_text("Input: 1 uploaded image")).to_be_visible(timeout=LOAD_MS)
            except AssertionError:
                screenshot(tab, "first-session-upload-lost")
                raise
        finally:
            context.close()
