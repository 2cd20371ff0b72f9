"""`/docs` works without internet: a real Chromium reading it from an instance served on
127.0.0.1, with every request to another origin blocked, sees every operation."""

from __future__ import annotations

import httpx
import pytest

from hub.api.app import create_app
from tests.servers import serve


@pytest.fixture
def instance(db):
    with serve(lambda base: create_app(db.settings(role="hub", base_url=base), engine=db.engine)) as url:
        yield url


@pytest.fixture
def offline(chromium_browser, instance):
    """A tab that can reach the instance and nothing else; the list of what it tried elsewhere."""
    context = chromium_browser.new_context()
    elsewhere: list[str] = []

    def only_the_instance(route) -> None:
        if route.request.url.startswith(instance + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_instance)
    yield context.new_page(), elsewhere
    context.close()


def _operations(instance: str) -> int:
    paths = httpx.get(f"{instance}/openapi.json").json()["paths"]
    return sum(len(operations) for operations in paths.values())


def test_swagger_ui_lists_every_operation_without_internet(instance, offline):
    page, elsewhere = offline
    page.goto(f"{instance}/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() == _operations(instance)
    assert page.locator(".opblock-summary-path", has_text="/api/v1/occurrences").count() == 1
    assert elsewhere == []


def test_there_is_no_redoc_which_would_load_its_logo_from_its_cdn(instance):
    assert httpx.get(f"{instance}/redoc").status_code == 404
