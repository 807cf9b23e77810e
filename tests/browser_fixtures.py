"""Browser fixtures (a plugin registered in tests/conftest.py): the system's Chromium driven by Playwright,
a real server process, and pages that fail their test on any JavaScript error."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import DEFAULT_PASSWORD
from tests.live_server import LiveServer

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = os.environ.get("FORUM_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    required = os.environ.get("FORUM_TEST_REQUIRE_BROWSER")
    if not os.path.exists(path):
        if required:
            pytest.fail(
                f"FORUM_TEST_REQUIRE_BROWSER is set but no Chromium was found at {path}", pytrace=False
            )
        pytest.skip("Chromium is not installed (Debian package 'chromium'); browser tests skipped")
    return path


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def server(database_url, tmp_path, app):
    running = LiveServer(database_url, tmp_path).start()
    yield running
    running.stop()


@pytest.fixture
def new_page(browser):
    contexts = []

    def factory(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.js_errors = errors
        return page

    yield factory
    for context in contexts:
        for page in context.pages:
            assert page.js_errors == [], page.js_errors
        context.close()


def sign_in(page, server, email):
    """Sign an organizer in through the real form."""
    page.goto(server.url + "/auth/signin")
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/manage/")
