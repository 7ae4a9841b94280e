"""What the browser journeys share: the real files they upload, the admin's
URLs they wait for, and the gestures (upload, read a message, a number, a full
screenshot) written once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.realdata import REAL

DISPOMED = REAL / "shortages" / "dispomed_big_table_for_import.csv"
BDPM_AVAILABILITY = REAL / "bdpm" / "CIS_CIP_Dispo_Spec.txt"
UPLOAD_URL = re.compile(r".*/admin/donnees/depot/(\d+)/$")
VERSION_URL = re.compile(r".*/admin/donnees/version/(\d+)/$")
ACCEPT_ALL = "Accepter pour toutes les valeurs identiques"
# A valid 1×1 PNG: an image whatever its name says.
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe"
    b"\x02\xfe\xa75\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def full_screenshot(page: Any, name: str) -> Path:
    """The whole page: Wagtail scrolls inside its layout rather than the document,
    so the viewport is stretched to the content for the shot."""
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
            ...Array.from(document.querySelectorAll('body *'))
                .filter(e => e.scrollHeight > e.clientHeight + 1
                    && ['auto', 'scroll'].includes(getComputedStyle(e).overflowY))
                .map(e => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": 1280, "height": min(max(900, height), 6000)})
    try:
        return screenshot(page, name)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def wait_for_message(page: Any, text: str) -> None:
    """A Wagtail message, once it has slid in."""
    message = page.locator(".messages li", has_text=text)
    expect(message).to_be_visible()
    page.wait_for_timeout(400)


def fact(page: Any, term: str) -> Any:
    """The value of a term in the screen's facts lists."""
    return page.locator(f'dl.datamed-facts dt:text-is("{term}") + dd')


def upload(page: Any, base_url: str, path: Path) -> None:
    page.goto(f"{base_url}/admin/donnees/deposer/")
    expect(page.get_by_role("heading", name="Déposer un extrait")).to_be_visible()
    page.get_by_label("Extrait").set_input_files(str(path))
    page.get_by_role("button", name="Déposer et analyser").click()


def number_in(text: str) -> int:
    return int(re.findall(r"\d+", text)[-1])
