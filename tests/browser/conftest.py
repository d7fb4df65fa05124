"""Playwright driving Debian's Chromium (never a downloaded browser) against live_server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSWORD, require

# A real job worker for the pages that start jobs (the retrain button).
from tests.jobs.conftest import redis_broker, worker_for  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def browser(monkeypatch):
    require(CHROMIUM.exists(), "Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed (pip install -r requirements-dev.txt)")
    # Playwright's sync API runs an event loop in this thread; Django would take the test's
    # own ORM calls for calls from async code. They are not: the server runs in its thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.errors = errors
    yield page
    context.close()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def screenshot(page, name: str) -> None:
    """Kept in var/ (not committed), to look at what a person sees."""
    folder = Path(__file__).resolve().parents[2] / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def shown_tweet(page) -> int:
    return int(page.locator("#annotate").get_attribute("data-tweet"))


# Locators, not wait_for_function: Playwright evaluates a string there, which the page's
# Content-Security-Policy refuses (no 'unsafe-eval').
def wait_for_other_tweet(page, previous: int) -> None:
    page.locator(f'#annotate:not([data-tweet=""]):not([data-tweet="{previous}"])').wait_for(
        state="attached"
    )


def wait_until_saved(page) -> None:
    page.locator('#annotate[data-pending="0"]').wait_for(state="attached")
