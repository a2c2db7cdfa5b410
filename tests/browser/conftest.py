"""Browser rig: Playwright drives Chromium against a real uvicorn ASGI server.

`make test` finds or provides the browser first (tests/browser/chromium.py) and passes
its path in CHROMIUM.
"""

import os
import time
from pathlib import Path

import pytest

from tests.browser.chromium import find_chromium
from tests.servers import asgi_server

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between page actions are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def live_url(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), asgi_server() as base:
        yield base


@pytest.fixture(autouse=True)
def _server_done_before_flush(_django_db_helper, live_url):
    """After each test, wait (up to 10 s) until the server holds no open transaction on
    the test database before pytest-django truncates its tables: a request or websocket
    handler still running after the page closed holds row locks that the TRUNCATE waits
    on, and PostgreSQL may break the wait as a deadlock (seen once under load). Set up
    after the database fixture, so torn down before its flush."""
    yield
    from django.db import connection

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
                "AND state IN ('active', 'idle in transaction')"
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.05)


# Module scope: Playwright's sync API keeps an event loop running while it is open, which
# would stop async tests (websocket consumers) from running in the same session.
@pytest.fixture(scope="module")
def browser():
    chromium = find_chromium()
    if chromium is None:
        pytest.fail("No Chromium: `make test` finds or installs one (tests/browser/chromium.py).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def login(page, live_url: str, username: str, password: str) -> None:
    page.goto(f"{live_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> Path:
    """Keep a picture of what a person saw (test-artifacts/, ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Live pages: a flag the page sets when htmx's websocket opens, so a test waits for the
# socket before it changes anything the page should hear about.
WS_OPEN = "document.addEventListener('htmx:wsOpen', () => { window.__wsOpen = true; });"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def console_errors(page) -> list[str]:
    """The page's console errors from now on (a list that fills as they come)."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    return errors


def open_live(browser, live_url, user, path, viewport=LAPTOP):
    """`user` signed in on `path` in a context of its own, its websocket open; the page
    marks its document so a test can assert no full reload happened."""
    from tests.factories import PASSWORD

    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.add_init_script(WS_OPEN)
    login(page, live_url, user.username, PASSWORD)
    page.goto(f"{live_url}{path}")
    page.wait_for_function("window.__wsOpen === true", timeout=10_000)
    page.evaluate("window.__sameDocument = true")
    return context, page
