"""Raw extracts are evidence kept out of reach of any web server: under the
private root with a neutral name, handed out only as attachments of a neutral
type by the permission-checked view."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from datasets import services
from datasets.models import Upload
from tests.datasets.conftest import HEADER, write_csv
from tests.factories.clients import login
from tests.factories.datasets import UploadFactory

pytestmark = pytest.mark.django_db

HOSTILE = HEADER + "21-1;ouvert;rupture;01/01/2024;;<script>alert(1)</script>\n"


def test_a_raw_extract_lives_outside_every_served_folder_under_a_neutral_name(
    tmp_path: Path, media: Path
) -> None:
    path = write_csv(tmp_path / "page.html", HOSTILE)
    upload, _created = services.upload_create(
        source=path, name="page.html", family="shortages", user=None
    )
    stored = Path(upload.file.path)
    private = Path(settings.PRIVATE_ROOT).resolve()
    assert stored.is_relative_to(private)
    assert stored.name == upload.sha256  # no extension, nothing of the uploader's
    assert stored.read_bytes() == path.read_bytes()
    assert not [p for p in media.rglob("*") if p.is_file()]
    with pytest.raises(ValueError, match="no URL"):
        upload.file.url  # noqa: B018
    assert upload.original_name == "page.html"  # the name is kept as data


def test_no_served_folder_holds_the_private_root() -> None:
    private = Path(settings.PRIVATE_ROOT).resolve()
    for served in (settings.MEDIA_ROOT, settings.STATIC_ROOT):
        served = Path(served).resolve()
        assert not private.is_relative_to(served)
        assert not served.is_relative_to(private)


def test_the_raw_file_downloads_as_an_attachment_never_rendered(
    tmp_path: Path, media: Path, personas: dict[str, Any]
) -> None:
    path = write_csv(tmp_path / "page.html", HOSTILE)
    upload, _created = services.upload_create(
        source=path,
        name="page.html",
        family="shortages",
        user=personas["inspection_declarant"],
    )
    url = reverse("datasets_upload_raw", args=[upload.pk])
    response = login(personas["inspection_declarant"]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="page.html"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content) == path.read_bytes()
    # The other directorate does not learn the file exists.
    other = login(personas["surveillance_declarant"]).get(url)
    assert other.status_code == 404


def test_the_migration_moves_earlier_raw_files_to_the_private_root(
    media: Path,
) -> None:
    upload = UploadFactory.create(family="shortages", sha256="ab" * 32)
    old_name = "extracts/2024/01/abcdef-page.html"
    (media / old_name).parent.mkdir(parents=True)
    (media / old_name).write_bytes(b"brut")
    Upload.objects.filter(pk=upload.pk).update(file=old_name)
    missing = UploadFactory.create(family="shortages")  # its file is gone already
    migration = importlib.import_module("datasets.migrations.0006_private_raw_files")
    migration.move_raw_files(apps, None)
    upload.refresh_from_db()
    stored = Path(upload.file.path)
    assert stored.name == "ab" * 32 and stored.read_bytes() == b"brut"
    assert stored.is_relative_to(Path(settings.PRIVATE_ROOT).resolve())
    assert not (media / old_name).exists()
    missing_name = missing.file.name
    missing.refresh_from_db()
    assert missing.file.name == missing_name
