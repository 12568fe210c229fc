"""Playwright in Debian's Chromium against the live test server."""

import os
import shutil

import pytest
from playwright.sync_api import sync_playwright


# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# to build data happen outside it, but Django cannot tell the difference.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def offline_use(request, settings):
    """The service worker only in the tests about it (marked "offline"): elsewhere, the lessons it keeps
    ahead could still be loading when a test ends and its database is emptied."""
    settings.OFFLINE_ENABLED = request.node.get_closest_marker("offline") is not None


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is needed for the browser tests (looked for {CHROMIUM}); `apt-get install chromium`.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()
