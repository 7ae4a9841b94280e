"""The referential in headless Chromium: a manager imports BDPM files through the
admin, follows the job, then searches and opens a speciality."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from backoffice.services import DEMO_PASSWORD
from referential_admin.models import Speciality
from tests.e2e.conftest import login, screenshot
from tests.referential_admin.conftest import cut_snapshot

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_manager_imports_searches_and_opens_a_speciality(
    live_server: Any, page: Any, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"
    call_command("create_demo_users")
    folder = cut_snapshot(tmp_path / "bdpm", ["60234100", "69309629", "61266250"])
    login(page, live_server.url, "gestionnaire.dataoffice", DEMO_PASSWORD)

    page.goto(f"{live_server.url}/admin/referentiel/imports/")
    page.get_by_role("link", name="Importer des fichiers BDPM").click()
    # Files cut to these three CIS may be empty; an empty file is refused (tested
    # in test_admin), so only the others are uploaded here.
    files = [str(p) for p in sorted(folder.iterdir()) if p.stat().st_size]
    page.set_input_files("input[type=file]", files)
    page.get_by_role("button", name="Lancer l'import").click()
    page.wait_for_url(re.compile(r".*/admin/travaux/inspect/\d+/"))
    # Eager jobs in tests: the import ran before the redirect.
    assert page.locator(".datamed-status").first.inner_text() in (
        "Terminé",
        "Terminé avec erreurs",
    )
    screenshot(page, "referential-import-job")
    assert Speciality.objects.count() == 3

    page.goto(f"{live_server.url}/admin/referentiel/specialites/?q=doliprane+comprime")
    rows = page.locator("table.listing tbody tr")
    assert rows.count() == 1
    page.get_by_role("link", name="DOLIPRANE 1000 mg, comprimé").click()
    page.wait_for_url(re.compile(r".*/admin/referentiel/specialites/inspect/\d+/"))
    page.get_by_text("3400935955838").wait_for()
    assert page.get_by_text("PARACÉTAMOL").first.is_visible()
    screenshot(page, "referential-speciality")
