"""A real headless Chromium (the system's), driven by Playwright, with axe-core for accessibility."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "Chromium is not installed: `make test` installs the Debian packages chromium, chromium-driver"
        )
    return path


@contextmanager
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical violations (WCAG 2.1 A and AA) on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    )
    return [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """The page (or, without `full_page`, what its first screen shows) as `name`.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@contextmanager
def opened(
    chromium, url: str, *, width: int = 1280, height: int = 900, statuses: tuple[int, ...] = ()
) -> Iterator:
    """A tab on `url`; fails on any console error, page error or dialog seen while it is open,
    but for the console's note of a page answered with one of `statuses` (a form shown again
    with its refusals answers 422)."""
    page = chromium.new_page()
    page.set_viewport_size({"width": width, "height": height})
    problems: list[str] = []
    expected = tuple(f"the server responded with a status of {status} " for status in statuses)

    def console(message) -> None:
        if message.type == "error" and not any(note in message.text for note in expected):
            problems.append(f"{page.url}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.on("dialog", lambda d: (problems.append(f"{page.url}: dialog {d.message}"), d.dismiss()))
    page.goto(url)
    try:
        yield page
        assert problems == [], problems
    finally:
        page.close()


def follow(page, link) -> None:
    """Click `link` and wait until the page it leads to has loaded: reading before would race it."""
    with page.expect_navigation():
        link.click()
