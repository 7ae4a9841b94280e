"""Headless Chromium (Debian's package) driven by Playwright, against live_server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.conftest import team  # noqa: F401

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "e2e-screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        message = (
            "Debian's chromium package is not installed (apt-get install chromium)"
        )
        if os.environ.get("DATAMED_REQUIRE_E2E") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; the ORM calls
    # made by the tests and their fixtures stay synchronous and safe. Only for the
    # browser's lifetime, so that no subprocess inherits it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(
                executable_path=path, args=CHROMIUM_ARGS
            )
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="fr-FR"
    )
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


@pytest.fixture
def demo(settings: Any, tmp_path: Any) -> None:
    """Demo accounts and the bundled demo referential (~2,700 specialities, about
    3 s), so that real extracts' medicine names find candidates. Media files go to
    a temporary folder."""
    from django.core.management import call_command

    from referential_admin import demo as referential_demo
    from tests.realdata import REAL, require

    require(
        REAL / "shortages" / "dispomed_big_table_for_import.csv",
        REAL / "bdpm" / "CIS_CIP_Dispo_Spec.txt",
    )
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"
    call_command("create_demo_users")
    # Only the referential's demo: the datasets demo would take version 1.
    referential_demo.load()


@pytest.fixture
def open_as(browser: Any, live_server: Any) -> Iterator[Any]:
    """A logged-in page in a fresh browser context, one per demo account."""
    from backoffice.services import DEMO_PASSWORD

    contexts: list[Any] = []

    def make(username: str) -> Any:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="fr-FR"
        )
        contexts.append(context)
        page = context.new_page()
        login(page, live_server.url, username, DEMO_PASSWORD)
        return page

    yield make
    for context in contexts:
        context.close()
