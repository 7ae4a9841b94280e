"""A new user's first steps in the admin, in headless Chromium: each demo account
logs in and sees only its menus; a manager runs a job and watches its progress."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command

from backoffice.services import DEMO_ACCOUNTS, DEMO_PASSWORD
from tasks.models import JobRun
from tests.e2e.conftest import login, screenshot

pytestmark = [
    pytest.mark.e2e,
    # serialized_rollback restores the groups and page tree that migrations create.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EXPECTED_MENUS = {
    "declarant.inspection": {"Travaux", "Référentiel"},
    "relecteur.inspection": {"Travaux", "Référentiel"},
    "declarant.surveillance": {"Travaux", "Référentiel"},
    "relecteur.surveillance": {"Travaux", "Référentiel"},
    "gestionnaire.dataoffice": {
        "Pages",
        "Référentiel",
        "Images",
        "Documents",
        "Travaux",
        "Rapports",
    },
    "admin": {
        "Pages",
        "Référentiel",
        "Images",
        "Documents",
        "Travaux",
        "Rapports",
        "Paramètres",
    },
}
NEVER_FOR_DIRECTORATES = {"Pages", "Images", "Documents", "Paramètres", "Aide"}


def sidebar_labels(page: Any) -> set[str]:
    page.wait_for_selector(
        "nav[aria-label] .sidebar-menu-item__link, .sidebar-menu-item"
    )
    texts = page.locator(".sidebar-main-menu .menuitem-label").all_inner_texts()
    return {text.strip() for text in texts if text.strip()}


def test_each_demo_account_logs_in_and_sees_only_its_menus(
    live_server: Any, page: Any
) -> None:
    call_command("create_demo_users")
    for account in DEMO_ACCOUNTS:
        login(page, live_server.url, account.username, DEMO_PASSWORD)
        labels = sidebar_labels(page)
        expected = EXPECTED_MENUS[account.username]
        assert expected <= labels, (account.username, labels)
        if account.username.startswith(("declarant", "relecteur")):
            assert not labels & NEVER_FOR_DIRECTORATES, (account.username, labels)
        assert page.locator("text=Travaux en cours").count() >= 1
        screenshot(page, f"home-{account.username}")
        page.context.clear_cookies()


def test_a_manager_runs_the_self_check_and_reads_its_log(
    live_server: Any, page: Any
) -> None:
    call_command("create_demo_users")
    login(page, live_server.url, "gestionnaire.dataoffice", DEMO_PASSWORD)
    page.get_by_role("link", name="Travaux").first.click()
    page.get_by_role("button", name="Lancer un diagnostic de la plateforme").click()
    page.wait_for_url(re.compile(r".*/admin/travaux/inspect/\d+/"))
    assert page.locator(".datamed-status").first.inner_text() == "Terminé"
    assert "Diagnostic terminé" in page.locator(".datamed-job__log").inner_text()
    screenshot(page, "job-detail-selfcheck")
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.DONE


def test_progress_bars_follow_a_running_job_live(live_server: Any, page: Any) -> None:
    call_command("create_demo_users")
    run = JobRun.objects.create(
        kind="platform.selfcheck",
        status=JobRun.Status.RUNNING,
        progress_done=30,
        progress_total=100,
        stage="Lecture du fichier",
    )
    login(page, live_server.url, "gestionnaire.dataoffice", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/admin/travaux/")
    bar = page.locator(f"[data-job-id='{run.pk}'] .datamed-progress__text").first
    assert "30 %" in bar.inner_text()
    JobRun.objects.filter(pk=run.pk).update(progress_done=80, stage="Validation")
    page.wait_for_function(
        "id => document.querySelector(`[data-job-id='${id}'] .datamed-progress__text`)"
        ".textContent.includes('80 %')",
        arg=str(run.pk),
        timeout=15000,
    )
    screenshot(page, "jobs-list-live-progress")
    JobRun.objects.filter(pk=run.pk).update(
        status=JobRun.Status.DONE, progress_done=100
    )
    page.wait_for_function(
        "id => document.querySelector(`[data-job-status='${id}'] .datamed-status`)"
        ".textContent.includes('Terminé')",
        arg=str(run.pk),
        timeout=15000,
    )
