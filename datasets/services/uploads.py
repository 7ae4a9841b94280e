"""Uploads: store a raw extract immutably (with its SHA-256) and profile it
(how to read it, what its columns hold)."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from backoffice.exceptions import ApplicationError
from backoffice.storage import private_root
from datasets.messages import read_error_message
from datasets.models import Upload
from datasets.permissions import family_check
from datasets.pipeline import read
from datasets.services.common import (
    PROFILE_SAMPLE_ROWS,
    author_of,
    max_uncompressed_bytes,
    max_upload_bytes,
    read_error,
)
from tasks.progress import NullProgress, ProgressReporter
from tasks.services import job_enqueue, job_run_inline

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from tasks.models import JobRun


def upload_create(
    *,
    source: Any,
    name: str,
    family: str,
    user: AbstractBaseUser | None,
    sheet: str | None = None,
    inline: bool = False,
) -> tuple[Upload, bool]:
    """Store a raw extract immutably and start its profiling.

    ``source`` is a path or a file object. Returns (upload, created); the same
    bytes uploaded again in the same family return the existing upload with
    ``created=False`` (in another family they are a new upload: nothing tells of
    the other directorate's).
    ``inline`` runs the profiling job in this process instead of a worker.
    Raises ApplicationError (French message naming the file) for a refused file
    and PermissionRefused for a family outside the user's directorate.
    """
    family_check(user, family)
    base = private_root() / "extracts"
    staging = base / "incoming"
    staging.mkdir(parents=True, exist_ok=True)
    temporary = staging / f"{time.time_ns()}-{os.getpid()}.part"
    limit = max_upload_bytes()
    try:
        sha, size = _store_raw(source, temporary, limit, name)
        existing = Upload.objects.filter(family=family, sha256=sha).first()
        if existing is not None:
            return existing, False
        try:
            detection = read.sniff(
                temporary,
                max_bytes=limit,
                max_uncompressed=max_uncompressed_bytes(),
                sheet=sheet or None,
            )
        except read.ReadError as exc:
            raise read_error(exc, name) from exc
        stamp = timezone.now()
        # A neutral name: the uploader's name and extension are only data.
        relative = Path("extracts") / family / stamp.strftime("%Y/%m") / sha
        final = private_root() / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(temporary, final)
        # Raw files are evidence: nobody rewrites them, not even by mistake.
        final.chmod(stat.S_IRUSR | stat.S_IRGRP)
        upload = Upload(
            family=family,
            original_name=Path(name).name[:255],
            sha256=sha,
            size=size,
            format=detection.format,
            detection=detection.as_dict(),
            uploaded_by=author_of(user),
        )
        upload.file.name = str(relative)
        upload.full_clean(exclude=["file"])
        try:
            with transaction.atomic():
                upload.save()
                log(
                    instance=upload,
                    action="datamed.upload",
                    user=author_of(user),
                    data={"sha256": sha, "size": size, "family": family},
                )
        except IntegrityError:
            # The same bytes arrived at the same moment: keep the first.
            final.unlink(missing_ok=True)
            return Upload.objects.get(family=family, sha256=sha), False
    finally:
        temporary.unlink(missing_ok=True)
    upload_profile_enqueue(upload=upload, user=user, inline=inline)
    if inline:
        upload.refresh_from_db()
    return upload, True


def _store_raw(source: Any, temporary: Path, limit: int, name: str) -> tuple[str, int]:
    """Copy ``source`` (a path or a file object) to ``temporary``; return the
    copy's SHA-256 and size. Raises ApplicationError past ``limit`` bytes."""

    def too_large(size: int) -> ApplicationError:
        params = {"size": size, "limit": limit}
        return ApplicationError(read_error_message("TOO_LARGE", params, name))

    if isinstance(source, (str, Path)):
        if os.path.getsize(source) > limit:
            raise too_large(os.path.getsize(source))
        shutil.copyfile(source, temporary)  # copied by the kernel
        with temporary.open("rb") as handle:
            sha = hashlib.file_digest(handle, "sha256").hexdigest()
        size = temporary.stat().st_size  # what was stored, had the source grown
        if size > limit:
            raise too_large(size)
        return sha, size
    digest = hashlib.sha256()
    size = 0
    with temporary.open("wb") as out:
        for chunk in _chunks(source):
            size += len(chunk)
            if size > limit:
                raise too_large(size)
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def _chunks(source: Any) -> Iterable[bytes]:
    if hasattr(source, "chunks"):
        yield from source.chunks()
        return
    while chunk := source.read(1024 * 1024):
        yield chunk


def upload_profile_enqueue(
    *,
    upload: Upload,
    user: AbstractBaseUser | None,
    overrides: dict[str, Any] | None = None,
    inline: bool = False,
) -> JobRun:
    """Start the profiling job of an upload (queue ``ingest``), or run it in
    this process when ``inline``."""

    Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.PROFILING)
    start = job_run_inline if inline else job_enqueue
    return start(
        kind="datasets.profile",
        params={"upload_id": upload.pk, "overrides": overrides or {}},
        user=user,
        target=upload,
        family=upload.family,
    )


def upload_profile(
    *,
    upload: Upload,
    overrides: dict[str, Any] | None = None,
    progress: ProgressReporter | None = None,
) -> Upload:
    """Detect how to read the upload and describe its columns (types, samples).

    ``overrides`` (encoding, delimiter, header_row, sheet) correct the detection.
    The profile reads at most the first 100,000 rows. A file that cannot be read
    with the options leaves the upload "unreadable" with the French reason.
    """
    report = progress or NullProgress()
    path = upload.file.path
    report.update(0, stage=_("Detecting the format"))
    try:
        detection = read.sniff(
            path,
            max_bytes=max_upload_bytes(),
            max_uncompressed=max_uncompressed_bytes(),
            sheet=(overrides or {}).get("sheet")
            or upload.detection.get("sheet")
            or None,
            overrides=overrides or None,
        )
        report.update(0, stage=_("Reading a sample"))
        table = read.read_table(path, detection, nrows=PROFILE_SAMPLE_ROWS)
    except read.ReadError as exc:
        upload.status = Upload.Status.FAILED
        upload.error = read_error_message(
            exc.code, dict(exc.params), upload.original_name
        )
        upload.save(update_fields=["status", "error"])
        raise ApplicationError(upload.error) from exc
    columns = [c.as_dict() for c in read.profile_columns(table.frame)]
    upload.detection = detection.as_dict()
    upload.profile = {
        "columns": columns,
        "sample_rows": len(table.frame),
        "sampled": len(table.frame) >= PROFILE_SAMPLE_ROWS,
        "preview": table.frame.head(10).to_dict("records"),
        "preview_rows": [int(n) for n in table.row_numbers[:10]],
    }
    upload.status = Upload.Status.PROFILED
    upload.error = ""
    upload.save(update_fields=["detection", "profile", "status", "error"])
    return upload
