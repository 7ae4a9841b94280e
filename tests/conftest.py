"""Shared fixtures: personas (one user per role, plus an outsider) and a real Celery
worker process bound to the test database and the configured broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from backoffice import roles
from tests import realdata
from tests.factories.users import UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Unpack the bundled real files once per session (see ``tests.realdata``)."""
    realdata.unpack()


PERSONA_GROUPS = {
    "inspection_declarant": roles.INSPECTION_DECLARANTS,
    "inspection_reviewer": roles.INSPECTION_REVIEWERS,
    "surveillance_declarant": roles.SURVEILLANCE_DECLARANTS,
    "surveillance_reviewer": roles.SURVEILLANCE_REVIEWERS,
    "data_office": roles.DATA_OFFICE,
    "administrator": roles.ADMINISTRATORS,
}


@pytest.fixture
def personas(db: Any) -> dict[str, Any]:
    """One user per role, plus ``outsider`` (an account in no group)."""
    users = {
        name: UserFactory.create(username=name, groups=[group])
        for name, group in PERSONA_GROUPS.items()
    }
    users["administrator"].is_superuser = True
    users["administrator"].save(update_fields=["is_superuser"])
    users["outsider"] = UserFactory.create(username="outsider")
    return users


def database_url_for_worker() -> str:
    """A DATABASE_URL pointing a subprocess at the current (test) database."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    return f"postgres://{credentials}{host}{port}/{db['NAME']}"


@dataclass
class WorkerProcess:
    """A real ``celery worker`` subprocess; ``log`` is its output file."""

    process: subprocess.Popen[bytes]
    log: Path
    name: str
    extra: dict[str, Any] = field(default_factory=dict)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"Worker {self.name} did not start:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def kill(self) -> None:
        """Kill the worker and its pool children at once, as a crash would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def celery_live(settings: Any) -> Iterator[Any]:
    """Send tasks to the real broker (not eagerly) and purge leftovers first."""
    from backoffice.celery import app

    app.conf.task_always_eager = False
    with app.connection_for_write() as conn:
        for queue in ("ingest", "publish", "default"):
            try:
                conn.default_channel.queue_purge(queue)
            except Exception:  # noqa: BLE001 - a queue never declared has nothing to purge
                continue
    yield app
    app.conf.task_always_eager = True


@pytest.fixture
def start_worker(tmp_path: Path, celery_live: Any) -> Iterator[Any]:
    """Factory starting real worker processes on the test database and the broker."""
    started: list[WorkerProcess] = []

    def start(name: str = "w1", *, pool: str = "prefork") -> WorkerProcess:
        log = tmp_path / f"worker-{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backoffice.settings.test",
            "DATABASE_URL": database_url_for_worker(),
            "JOB_HEARTBEAT_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backoffice",
            "worker",
            "--queues",
            "ingest,publish,default",
            "--pool",
            pool,
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"{name}@%h",
            "--loglevel",
            "INFO",
        ]
        with log.open("wb") as handle:
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = WorkerProcess(process=process, log=log, name=name)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


def broker_kind() -> str:
    return str(settings.CELERY_BROKER_URL).split("://", 1)[0]


@pytest.fixture(autouse=True)
def _data_migration_rows(request: pytest.FixtureRequest) -> None:
    """Transactional tests start after a flush; depending on the order of the
    session, the rows written by data migrations are not always restored (a
    flush followed by post_migrate recreates groups and permissions, not the
    review workflows nor the public site's pages). Make sure they exist, as they
    do in every real database."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps

    from publications.pages import portal_ensure
    from workflows.definitions import family_workflows_ensure

    family_workflows_ensure(apps)
    portal_ensure()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Each test starts with an empty cache: public pages are cached under keys
    made of database ids, which a rolled-back test may hand out again."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
