"""Services that write datasets: store and profile uploads, save mapping profiles,
create, clean and re-match dataset versions, record match decisions."""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import shutil
import stat
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from backoffice.bulk import (
    Encoded,
    bulk_insert_stream,
    bulk_update_frame,
    copy_encode,
)
from backoffice.exceptions import (
    ApplicationError,
    InvalidTransition,
    PermissionRefused,
)
from backoffice.roles import families_of, sees_every_family
from datasets.families import get_family
from datasets.messages import MEDICINE_CODES, issue_message, read_error_message
from datasets.models import (
    DatasetVersion,
    Issue,
    MappingProfile,
    MatchDecision,
    ProblemRow,
    Upload,
)
from datasets.pipeline import read
from datasets.pipeline.clean import (
    CleanResult,
    MedicineMatcher,
    TypedMemo,
    clean,
    deduplicate,
    match_counts,
    match_issues,
    match_medicines,
)
from datasets.pipeline.mapping import (
    MappingError,
    MappingSpec,
    Suggestion,
    apply_mapping,
    header_signature,
    suggest_mapping,
)
from datasets.pipeline.schema import FamilySchema
from referential_admin.text import TEXT, to_arrow
from tasks.base import JobOutcome
from tasks.progress import NullProgress, ProgressReporter

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from tasks.models import JobRun

logger = logging.getLogger(__name__)

PROFILE_SAMPLE_ROWS = 100_000


def max_upload_bytes() -> int:
    return int(settings.EXTRACT_MAX_BYTES)


def max_uncompressed_bytes() -> int:
    return int(settings.EXTRACT_MAX_UNCOMPRESSED_BYTES)


def _author(user: AbstractBaseUser | None) -> Any:
    """The user to record as author, or None for a command or an anonymous call."""
    return user if user is not None and user.is_authenticated else None


def quoted(text: object) -> str:
    """Text between the quotation marks of the user's language."""
    return _("“%(text)s”") % {"text": text}


def user_families(user: AbstractBaseUser | AnonymousUser) -> list[str] | None:
    """The families the user may see; ``None`` means every family."""
    if sees_every_family(user):
        return None
    return sorted(families_of(user))


def upload_families(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    """Registered families the user may upload extracts of (none without the
    permission)."""
    from datasets.families import FAMILIES

    if not getattr(user, "has_perm", lambda _perm: False)("datasets.add_upload"):
        return []
    allowed = user_families(user)
    return [key for key in FAMILIES if allowed is None or key in allowed]


def family_check(user: AbstractBaseUser | AnonymousUser | None, family: str) -> None:
    """Raise PermissionRefused unless the user's directorate owns the family."""
    get_family(family)
    if user is None:
        return
    allowed = user_families(user)
    if allowed is not None and family not in allowed:
        raise PermissionRefused(
            _("Your directorate does not handle the family “%(family)s”.")
            % {"family": get_family(family).label}
        )


def record_model(schema: FamilySchema) -> type[models.Model]:
    """The typed record model of a family."""
    return apps.get_model(schema.record_model)


# --------------------------------------------------------------------------------------
# Upload
# --------------------------------------------------------------------------------------


def _read_error(exc: read.ReadError, name: str) -> ApplicationError:
    return ApplicationError(read_error_message(exc.code, dict(exc.params), name))


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
    bytes uploaded again return the existing upload with ``created=False``.
    ``inline`` runs the profiling job in this process instead of a worker.
    Raises ApplicationError (French message naming the file) for a refused file
    and PermissionRefused for a family outside the user's directorate.
    """
    family_check(user, family)
    base = Path(settings.MEDIA_ROOT) / "extracts"
    staging = base / "incoming"
    staging.mkdir(parents=True, exist_ok=True)
    temporary = staging / f"{time.time_ns()}-{os.getpid()}.part"
    limit = max_upload_bytes()
    try:
        sha, size = _store_raw(source, temporary, limit, name)
        existing = Upload.objects.filter(sha256=sha).first()
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
            raise _read_error(exc, name) from exc
        stamp = timezone.now()
        relative = (
            Path("extracts")
            / stamp.strftime("%Y/%m")
            / (f"{sha[:16]}-{get_valid_filename(Path(name).name) or 'extrait'}")
        )
        final = Path(settings.MEDIA_ROOT) / relative
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
            uploaded_by=_author(user),
        )
        upload.file.name = str(relative)
        upload.full_clean(exclude=["file"])
        try:
            with transaction.atomic():
                upload.save()
                log(
                    instance=upload,
                    action="datamed.upload",
                    user=_author(user),
                    data={"sha256": sha, "size": size, "family": family},
                )
        except IntegrityError:
            # The same bytes arrived at the same moment: keep the first.
            final.unlink(missing_ok=True)
            return Upload.objects.get(sha256=sha), False
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
    from tasks.services import job_enqueue, job_run_inline

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


def upload_profile_job(
    *,
    progress: ProgressReporter,
    upload_id: int,
    overrides: dict[str, Any] | None = None,
) -> JobOutcome:
    """Job body of ``datasets.profile``."""
    upload = Upload.objects.get(pk=upload_id)
    upload = upload_profile(upload=upload, overrides=overrides, progress=progress)
    return JobOutcome(
        result={"upload": upload.pk, "columns": len(upload.columns)},
    )


# --------------------------------------------------------------------------------------
# Mapping profiles
# --------------------------------------------------------------------------------------


def mapping_presets_ensure(family: str) -> None:
    """Create version 1 of the family's ready-made profiles if missing."""
    schema = get_family(family)
    for name, spec in schema.presets.items():
        if not MappingProfile.objects.filter(family=family, name=name).exists():
            mapping = MappingSpec.from_dict(spec)
            MappingProfile.objects.create(
                family=family,
                name=name,
                version=1,
                spec=mapping.as_dict(),
                header_signature=header_signature(mapping.columns.values()),
                note=_("Ready-made profile of the family."),
            )


def mapping_latest(family: str) -> list[MappingProfile]:
    """The newest version of each of the family's profiles, newest first."""
    mapping_presets_ensure(family)
    latest = (
        MappingProfile.objects.filter(family=family)
        .values("name")
        .annotate(last=Max("version"))
    )
    wanted = {(row["name"], row["last"]) for row in latest}
    profiles = MappingProfile.objects.filter(family=family).order_by(
        "-created_at", "-pk"
    )
    return [p for p in profiles if (p.name, p.version) in wanted]


def mapping_suggest(*, upload: Upload) -> Suggestion:
    """The mapping proposed for a profiled upload (saved profile, headers, values)."""
    schema = get_family(upload.family)
    earlier = [
        (p.name, MappingSpec.from_dict(p.spec)) for p in mapping_latest(upload.family)
    ]
    return suggest_mapping(schema, upload.columns, earlier)


def mapping_save(
    *,
    family: str,
    name: str,
    spec: MappingSpec,
    columns: Iterable[str],
    user: AbstractBaseUser | None,
    note: str = "",
) -> MappingProfile:
    """Save the mapping as the next version of the profile ``name`` (or reuse the
    latest version when nothing changed). Raises ApplicationError for an unknown
    field or vocabulary code."""
    schema = get_family(family)
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the source a name (for example “TrustMed”)."))
    known = set(schema.field_names)
    for section in (spec.columns, spec.constants, spec.value_maps, spec.date_formats):
        unknown = sorted(set(section) - known)
        if unknown:
            raise ApplicationError(
                _("Unknown fields in the mapping: %(fields)s.")
                % {"fields": ", ".join(unknown)}
            )
    for field_name, values in spec.value_maps.items():
        vocabulary = schema.field(field_name).vocabulary
        wrong = sorted({code for code in values.values() if code not in vocabulary})
        if wrong:
            raise ApplicationError(
                _("“%(codes)s” are not values of “%(field)s”.")
                % {"codes": ", ".join(wrong), "field": schema.field(field_name).label}
            )
    cleaned = MappingSpec.from_dict(spec.as_dict())
    cleaned.columns = {k: v for k, v in cleaned.columns.items() if v}
    cleaned.constants = {k: v for k, v in cleaned.constants.items() if v.strip()}
    cleaned.value_maps = {k: v for k, v in cleaned.value_maps.items() if v}
    cleaned.date_formats = {k: v for k, v in cleaned.date_formats.items() if v}
    with transaction.atomic():
        last = (
            MappingProfile.objects.select_for_update()
            .filter(family=family, name=name)
            .order_by("-version")
            .first()
        )
        if last is not None and last.spec == cleaned.as_dict():
            return last
        profile = MappingProfile(
            family=family,
            name=name,
            version=(last.version + 1) if last is not None else 1,
            spec=cleaned.as_dict(),
            header_signature=header_signature(columns),
            note=note,
            created_by=_author(user),
        )
        profile.full_clean()
        profile.save()
        log(
            instance=profile,
            action="datamed.mapping",
            user=_author(user),
            data={"name": name, "version": profile.version, "family": family},
        )
    return profile


# --------------------------------------------------------------------------------------
# Versions and cleaning
# --------------------------------------------------------------------------------------


def _scheduled(version: DatasetVersion) -> bool:
    """Whether an approved revision waits for its publication date."""
    if hasattr(version, "_scheduled_at"):
        return version._scheduled_at is not None
    return version.scheduled_revision is not None


def version_edit_error(version: DatasetVersion) -> str | None:
    """Why the version's content cannot change now, or None when it can.

    A version can change while it is a draft that is not under review: never
    submitted, sent back with changes requested, or with its review cancelled.
    Once approved or published it never changes again.
    """
    if version.live or version.last_published_at or _scheduled(version):
        return _(
            "This version has been approved for publication and can no longer "
            "change: upload a new extract to correct it."
        )
    if version.workflow_in_progress:
        return _(
            "This version is under review and locked: a reviewer must request "
            "changes before it can be corrected."
        )
    if version.status in (
        DatasetVersion.Status.PENDING,
        DatasetVersion.Status.CLEANING,
    ):
        return _("This version is still being cleaned.")
    return None


def version_require_editable(version: DatasetVersion) -> None:
    """Raise InvalidTransition with the reason when the version cannot change
    (read from the database, not from the caller's copy)."""
    reason = version_edit_error(DatasetVersion.objects.get(pk=version.pk))
    if reason is not None:
        raise InvalidTransition(reason)


def version_revision_record(
    *,
    version: DatasetVersion,
    user: AbstractBaseUser | None,
    action: str,
    data: dict[str, Any] | None = None,
) -> Any:
    """Record the version's current content as a new revision by ``user`` and log
    ``action`` against it. The revision's author counts as a preparer: the
    four-eyes rule keeps them from approving this version, and an approval given
    to an earlier revision no longer counts."""
    fresh = DatasetVersion.objects.get(pk=version.pk)
    revision = fresh.save_revision(user=_author(user), clean=False)
    log(
        instance=fresh,
        action=action,
        user=_author(user),
        revision=revision,
        data=data or {},
    )
    return revision


def version_create(
    *,
    upload: Upload,
    mapping: MappingProfile,
    user: AbstractBaseUser | None,
    inline: bool = False,
) -> DatasetVersion:
    """Create a draft version of the upload with this mapping and start cleaning
    (in a worker, or in this process when ``inline``).

    Raises ApplicationError when the mapping misses a required field (naming it)
    or belongs to another family.
    """
    family_check(user, upload.family)
    if mapping.family != upload.family:
        raise ApplicationError(_("This mapping profile belongs to another family."))
    schema = get_family(upload.family)
    _check_mapping(schema, MappingSpec.from_dict(mapping.spec), upload.columns)
    for _attempt in range(5):
        number = (
            DatasetVersion.objects.filter(family=upload.family).aggregate(
                top=Max("number")
            )["top"]
            or 0
        ) + 1
        try:
            with transaction.atomic():
                version = DatasetVersion.objects.create(
                    family=upload.family,
                    number=number,
                    upload=upload,
                    mapping=mapping,
                    created_by=_author(user),
                    live=False,
                )
            break
        except IntegrityError:
            continue
    else:
        raise ApplicationError(_("Could not number the version; try again."))
    _clean_start(version, user, inline=inline)
    return version


def version_reclean(
    *,
    version: DatasetVersion,
    upload: Upload,
    mapping: MappingProfile,
    user: AbstractBaseUser,
    inline: bool = False,
) -> DatasetVersion:
    """Correct a version sent back by its reviewers (or never submitted) with
    another upload of the same family and/or another mapping version: its records
    are cleaned again, and the result is a new revision by ``user``, so that every
    step of the review is passed again.

    Raises InvalidTransition when the version is under review or approved, and
    ApplicationError when the upload or mapping belongs to another family or the
    mapping misses a required field.
    """
    family_check(user, version.family)
    reason = version_edit_error(version)
    if reason is not None and version.status != DatasetVersion.Status.FAILED:
        raise InvalidTransition(reason)
    if upload.family != version.family or mapping.family != version.family:
        raise ApplicationError(
            _("The upload and the mapping must belong to the version's family.")
        )
    if upload.status != Upload.Status.PROFILED:
        raise ApplicationError(_("This upload has not been analysed successfully."))
    schema = get_family(version.family)
    _check_mapping(schema, MappingSpec.from_dict(mapping.spec), upload.columns)
    with transaction.atomic():
        DatasetVersion.objects.filter(pk=version.pk).update(
            upload=upload, mapping=mapping, status=DatasetVersion.Status.PENDING
        )
        version.refresh_from_db()
        log(
            instance=version,
            action="datamed.version.reclean",
            user=_author(user),
            data={"upload": upload.pk, "mapping": mapping.pk},
        )
    _clean_start(version, user, inline=inline)
    return version


def version_delete(*, version: DatasetVersion, user: AbstractBaseUser) -> None:
    """Delete a draft that was never submitted for review, with its records.

    Raises InvalidTransition for a version under review, sent back, approved or
    published: those are evidence of a review and are kept.
    """
    family_check(user, version.family)
    if version.live or version.last_published_at or version.scheduled_revision:
        raise InvalidTransition(_("A published version is never deleted."))
    if version.workflow_states.exists():
        raise InvalidTransition(
            _(
                "This version has been submitted for review: it is kept as the "
                "record of that review and cannot be deleted."
            )
        )
    if version.status in (
        DatasetVersion.Status.PENDING,
        DatasetVersion.Status.CLEANING,
    ):
        raise InvalidTransition(_("This version is still being cleaned."))
    schema = get_family(version.family)
    with transaction.atomic():
        record_model(schema)._default_manager.filter(version=version).delete()
        log(
            instance=version,
            action="wagtail.delete",
            user=_author(user),
            deleted=True,
        )
        version.delete()


def _check_mapping(
    schema: FamilySchema, spec: MappingSpec, columns: list[dict[str, Any]]
) -> None:
    from datasets.pipeline.mapping import missing_required

    missing = missing_required(schema, spec)
    if missing:
        raise ApplicationError(mapping_missing_message(schema, missing))
    names = {str(c["name"]) for c in columns}
    if names:
        absent = sorted({c for c in spec.columns.values() if c and c not in names})
        if absent:
            raise ApplicationError(
                _("The file has no column named %(columns)s.")
                % {"columns": ", ".join(quoted(c) for c in absent)}
            )


def mapping_missing_message(schema: FamilySchema, groups: list[Any]) -> str:
    """French sentence naming the required fields a mapping leaves out."""
    parts = []
    for group in groups:
        labels = [quoted(schema.field(name).label) for name in group]
        parts.append(_(" or ").join(labels))
    return _("Required fields without a column or a constant: %(fields)s.") % {
        "fields": "; ".join(parts)
    }


def _clean_job(
    version: DatasetVersion, user: AbstractBaseUser | None
) -> dict[str, Any]:
    """Arguments of the cleaning job of a version, queued or run inline."""
    author = _author(user)
    return {
        "kind": "datasets.clean",
        "params": {
            "version_id": version.pk,
            "user_id": author.pk if author is not None else None,
        },
        "target": version,
        "target_label": f"{get_family(version.family).label} – {version}",
        "family": version.family,
    }


def _clean_start(
    version: DatasetVersion, user: AbstractBaseUser | None, *, inline: bool
) -> None:
    """Run the cleaning job in this process (``inline``) or queue it."""
    if inline:
        from tasks.services import job_run_inline

        run = job_run_inline(**_clean_job(version, user), user=user)
        DatasetVersion.objects.filter(pk=version.pk).update(job=run)
        version.refresh_from_db()
    else:
        version_clean_enqueue(version=version, user=user)


def version_clean_enqueue(
    *, version: DatasetVersion, user: AbstractBaseUser | None
) -> JobRun:
    """Start the cleaning job of a version (queue ``ingest``)."""
    from tasks.services import job_enqueue

    run = job_enqueue(**_clean_job(version, user), user=user)
    DatasetVersion.objects.filter(pk=version.pk).update(
        job=run, status=DatasetVersion.Status.PENDING
    )
    return run


def _matcher(family: str) -> Any:
    from referential_admin.selectors import family_matcher

    return family_matcher(family)


def version_clean(
    *,
    version: DatasetVersion,
    progress: ProgressReporter | None = None,
    user: AbstractBaseUser | None = None,
) -> CleanResult:
    """Read the raw file, apply the mapping, normalise, validate, match and
    deduplicate, then replace the version's records and issues in one transaction,
    and record the result as a revision of the version by ``user``.

    Raises ApplicationError when the file cannot be read or the mapping does
    not fit it; the version is then marked failed with that message.
    """
    report = progress or NullProgress()
    started = time.monotonic()
    schema = get_family(version.family)
    upload = version.upload
    DatasetVersion.objects.filter(pk=version.pk).update(
        status=DatasetVersion.Status.CLEANING, error=""
    )
    try:
        report.update(0, stage=_("Reading the file"))
        detection = read.Detection.from_dict(upload.detection)
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The file is parsed (by Arrow, mostly outside the GIL) while this
            # thread reads the referential index from the database.
            reading = pool.submit(read.read_table, upload.file.path, detection)
            matcher = (
                MedicineMatcher(schema, _matcher(version.family))
                if schema.medicine is not None
                else None
            )
            try:
                table = reading.result()
            except read.ReadError as exc:
                raise _read_error(exc, upload.original_name) from exc
        total = len(table.frame)
        report.update(0, total=total, stage=_("Applying the mapping"))
        spec = MappingSpec.from_dict(version.mapping.spec)
        try:
            mapped = apply_mapping(table.frame, schema, spec)
        except MappingError as exc:
            raise ApplicationError(_mapping_error_message(schema, exc)) from exc
        result = _clean_and_store(version, schema, spec, table, mapped, matcher, report)
    except ApplicationError as exc:
        DatasetVersion.objects.filter(pk=version.pk).update(
            status=DatasetVersion.Status.FAILED, error=exc.message
        )
        raise
    DatasetVersion.objects.filter(pk=version.pk).update(
        seconds=round(time.monotonic() - started, 3)
    )
    version_revision_record(
        version=version,
        user=user,
        action="datamed.version.clean",
        data={
            "upload": version.upload_id,
            "mapping": version.mapping_id,
            "rows_read": result.rows_read,
            "rows_loaded": result.rows_loaded,
            "rows_rejected": result.rows_rejected,
        },
    )
    report.update(total, total=total, stage=_("Done"))
    return result


def _mapping_error_message(schema: FamilySchema, exc: MappingError) -> str:
    if exc.code == "REQUIRED_FIELD_UNMAPPED":
        return mapping_missing_message(schema, exc.params["fields"])
    return _("The file has no column named %(columns)s.") % {
        "columns": ", ".join(quoted(c) for c in exc.params.get("columns", []))
    }


def field_labels(schema: FamilySchema) -> dict[str, str]:
    """Field name → French label, with the pseudo-fields issues use."""
    labels = {spec.name: str(spec.label) for spec in schema.fields}
    labels["record_key"] = str(_("natural key"))
    labels["medicine"] = str(_("Medicine"))
    labels[""] = ""
    return labels


def _issue_frame(
    schema: FamilySchema, issues: pd.DataFrame, row_numbers: np.ndarray
) -> pd.DataFrame:
    """Issues with file row numbers and French messages (one message per
    distinct rule, field and detail, not per row)."""
    if issues.empty:
        return pd.DataFrame(
            columns=["row_number", "field", "value", "code", "severity", "message"]
        )
    labels = field_labels(schema)
    detail = issues["detail"].astype(str)
    # Duplicates name the row kept instead by its position: show its row number.
    duplicate = issues["code"].isin(["DUPLICATE_ROW", "DUPLICATE_KEY"]).to_numpy()
    if duplicate.any():
        positions = detail[duplicate].astype(np.int64).to_numpy()
        detail = detail.copy()
        detail[duplicate] = row_numbers[positions].astype(str)
    keys = issues["code"] + "\x1f" + issues["field"] + "\x1f" + detail
    messages: dict[str, str] = {}
    for key in pd.unique(keys):
        code, field_name, extra = str(key).split("\x1f")
        field_label = ", ".join(labels.get(f, f) for f in field_name.split(","))
        messages[key] = issue_message(code, field_label, labels.get(extra, extra))
    return pd.DataFrame(
        {
            "version_id": 0,
            "row_number": row_numbers[issues["position"].to_numpy(dtype=np.int64)],
            "field": issues["field"].str.slice(0, 100),
            "value": issues["value"].astype(str),
            "code": issues["code"],
            "severity": issues["severity"],
            "message": keys.map(messages),
        }
    )


#: Rows cleaned, matched and loaded per slice (the first slice is smaller, so
#: that the database starts loading sooner).
LOAD_BATCH = 100_000
FIRST_BATCH = 20_000


def _issue_rows(
    version: DatasetVersion,
    schema: FamilySchema,
    table: read.Table,
    result: CleanResult,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Issue rows and the ProblemRow rows (raw values of every row with an
    issue) of a cleaning result; frees the raw table afterwards."""
    problem_positions = np.unique(result.issues["position"].to_numpy(np.int64))
    raw = table.frame.iloc[problem_positions]
    names = [str(name) for name in raw.columns]
    # Arrow turns each column into Python strings at once (not cell by cell).
    cells = [to_arrow(raw[name].astype(str)).to_pylist() for name in raw.columns]
    raw_rows = [dict(zip(names, row, strict=True)) for row in zip(*cells, strict=True)]
    table.frame = table.frame.iloc[:0]  # the raw table is no longer needed
    issues = _issue_frame(schema, result.issues, table.row_numbers)
    issues["version_id"] = version.pk
    problems = pd.DataFrame(
        {
            "version_id": version.pk,
            "row_number": table.row_numbers[problem_positions],
            "rejected": np.isin(problem_positions, result.rejected_positions),
            "raw": pd.Series(raw_rows, dtype=object),
        }
    )
    return issues, problems


def _record_rows(
    version: DatasetVersion, schema: FamilySchema, table: read.Table, records: Any
) -> pd.DataFrame:
    """The record model's rows (attnames as columns) of cleaned records."""
    frame = records[schema.field_names]  # lazy selection (copy on write)
    frame["version_id"] = version.pk
    frame["row_number"] = table.row_numbers[
        records["position"].to_numpy(dtype=np.int64)
    ]
    frame["record_key"] = records["record_key"].str.slice(0, 600)
    frame["medicine_key"] = records["medicine_key"]
    for column in ("matched_cis", "match_method", "match_score"):
        if column in records:
            frame[column] = records[column]
    if "match_method" in frame:
        frame["match_method"] = frame["match_method"].fillna("")
    return frame


@dataclass
class _Slice:
    """One slice cleaned and matched, with what the run keeps of it."""

    result: CleanResult
    #: The record model's rows, to load, and their COPY input (PostgreSQL).
    rows: pd.DataFrame
    encoded: Encoded | None
    #: The warnings on medicines waiting for a person.
    reviewed: pd.DataFrame
    #: Records per match method.
    methods: dict[str, int]
    #: Filled values per field.
    filled: dict[str, int]


class _Slices:
    """What the slices of one extract left behind once cleaned and loaded: their
    issues and counts, and each record's position and natural key only (the
    records themselves are in the database; the few that share a key are
    cleaned again at the end, see ``finish``)."""

    def __init__(self, schema: FamilySchema) -> None:
        self.schema = schema
        self.issues: list[pd.DataFrame] = []
        self.rejected: list[np.ndarray] = []
        self.keys: list[pd.DataFrame] = []
        self.kept = 0
        self.methods: Counter[str] = Counter()
        self.filled: Counter[str] = Counter(dict.fromkeys(schema.field_names, 0))

    def summarise(
        self, result: CleanResult, rows: pd.DataFrame, model: type[models.Model]
    ) -> _Slice:
        """The slice's summary; thread-safe (computed by the cleaning threads)."""
        records = result.records
        matching = self.schema.medicine is not None
        methods: dict[str, int] = {}
        if matching and len(records):
            counted = records["match_method"].astype(TEXT).value_counts()
            methods = {str(k): int(v) for k, v in counted.items()}
        return _Slice(
            result=result,
            rows=rows,
            encoded=copy_encode(model, rows),
            reviewed=match_issues(records, self.schema),
            methods=methods,
            filled={
                name: int(records[name].notna().sum())
                for name in self.schema.field_names
            },
        )

    def add(self, piece: _Slice) -> None:
        records = piece.result.records
        self.issues.extend([piece.result.issues, piece.reviewed])
        self.rejected.append(piece.result.rejected_positions)
        self.keys.append(records[["position", "record_key"]])
        self.kept += len(records)
        self.methods.update(piece.methods)
        self.filled.update(piece.filled)

    def _shared_positions(self) -> np.ndarray:
        """Positions of the records whose natural key another record has."""
        if not self.keys:
            return np.zeros(0, dtype=np.int64)
        keys = pd.concat(self.keys, ignore_index=True)
        shared = keys["record_key"].duplicated(keep=False).to_numpy()
        return np.sort(keys["position"].to_numpy(dtype=np.int64)[shared])

    def finish(
        self,
        rows_read: int,
        matching: bool,
        records_at: Callable[[np.ndarray], pd.DataFrame],
    ) -> tuple[CleanResult, np.ndarray]:
        """The run's result, and the positions of the rows a later row of another
        slice repeats (loaded already: to delete). ``records_at(positions)``
        gives the cleaned and matched records at those positions again."""
        positions = self._shared_positions()
        self.keys.clear()
        # Only the few rows sharing a key are cleaned again, with all their values.
        candidates = records_at(positions)
        dropped, duplicates = deduplicate(candidates, self.schema)
        gone = candidates[dropped]
        issues = pd.concat([*self.issues, duplicates], ignore_index=True)
        gone_positions = gone["position"].to_numpy(dtype=np.int64)
        if len(gone_positions):
            medicine = (issues["field"] == "medicine") & issues["position"].isin(
                gone_positions
            )
            issues = issues[~medicine.to_numpy()]
        counts: dict[str, int] = {}
        if matching:
            remaining = Counter(self.methods)
            if len(gone):
                remaining.subtract(
                    str(m) for m in gone["match_method"].astype(object).tolist()
                )
            counts = match_counts({m: n for m, n in remaining.items() if n})
        for name in self.schema.field_names:
            self.filled[name] -= int(gone[name].notna().sum())
        result = CleanResult(
            records=candidates.iloc[:0],
            issues=issues.sort_values(["position", "code"], kind="stable").reset_index(
                drop=True
            ),
            rows_read=rows_read,
            rejected_positions=np.sort(
                np.concatenate([*self.rejected, gone_positions])
            ),
            matches=counts,
            kept=self.kept - len(gone),
        )
        return result, gone_positions


def _clean_and_store(
    version: DatasetVersion,
    schema: FamilySchema,
    spec: MappingSpec,
    table: read.Table,
    mapped: pd.DataFrame,
    matcher: MedicineMatcher | None,
    report: ProgressReporter,
) -> CleanResult:
    """Clean, match and load the extract slice by slice, then replace the
    version's records, issues and problem rows, all in one transaction.

    While PostgreSQL loads a slice, the next ones are cleaned and matched by
    ``settings.EXTRACT_CLEANING_THREADS`` threads (see ``bulk_insert_stream``;
    the Arrow kernels release the GIL); duplicates are found over the whole
    extract at the end, and the rows a later row repeats are deleted again.
    ``matcher`` (read from the database beforehand: the threads never query it)
    matches the medicines, or is None when the family has none.
    """
    model = record_model(schema)
    total = len(mapped)
    matching = matcher is not None
    slices = _Slices(schema)
    memo = TypedMemo()
    stage = str(_("Cleaning, matching and loading the records"))
    bounds = sorted({0, *range(FIRST_BATCH, total, LOAD_BATCH), total})

    def cleaned(rows: pd.DataFrame, offset: int = 0) -> CleanResult:
        part = clean(
            rows, schema, spec, offset=offset, deduplicate_rows=False, memo=memo
        )
        if matcher is not None and len(part.records):
            found = matcher.match(part.records)
            for column in found.columns:
                part.records[column] = found[column].to_numpy()
        return part

    def records_at(positions: np.ndarray) -> pd.DataFrame:
        # Cleaning and matching are row by row (and the memos answer the same):
        # these are the records the slices loaded.
        records = cleaned(mapped.iloc[positions]).records
        records["position"] = positions[records["position"].to_numpy(dtype=np.int64)]
        return records

    def prepare(start: int, stop: int) -> _Slice:
        part = cleaned(mapped.iloc[start:stop], offset=start)
        rows = _record_rows(version, schema, table, part.records)
        return slices.summarise(part, rows, model)

    def batches() -> Iterator[tuple[Any, pd.DataFrame, Encoded | None]]:
        cleaners = settings.EXTRACT_CLEANING_THREADS
        with ThreadPoolExecutor(max_workers=cleaners) as pool:
            waiting: deque[Future[_Slice]] = deque()
            pairs = itertools.pairwise(bounds)
            # At most ``cleaners`` slices in flight; handed over in file order.
            while (bound := next(pairs, None)) is not None or waiting:
                if bound is not None:
                    waiting.append(pool.submit(prepare, *bound))
                    if len(waiting) < cleaners:
                        continue
                piece = waiting.popleft().result()
                slices.add(piece)
                yield model, piece.rows, piece.encoded
        # While the last slices load: duplicates over the slices, then the
        # issues and the raw values of the rows they concern, loaded after them.
        result, gone = slices.finish(total, matching, records_at)
        outcome["result"], outcome["gone"] = result, gone
        issues, problems = _issue_rows(version, schema, table, result)
        yield Issue, issues, None
        yield ProblemRow, problems, None

    outcome: dict[str, Any] = {}
    report.update(0, total=total, stage=stage)
    with transaction.atomic():
        # Records, issues and problem rows are only written here, with
        # cleaned_at, in one transaction: a version never cleaned has none, and
        # deleting nothing would still scan the record table's newest pages.
        if DatasetVersion.objects.filter(pk=version.pk, cleaned_at__isnull=False):
            model._default_manager.filter(version=version).delete()
            Issue.objects.filter(version=version).delete()
            ProblemRow.objects.filter(version=version).delete()
        # The rows of this load have the ids after these: the repeated ones are
        # looked up in that range of the primary key, not in the whole table.
        first_id = (model._default_manager.aggregate(last=Max("pk"))["last"] or 0) + 1
        bulk_insert_stream(
            batches(),
            progress=lambda done: report.update(
                min(done, total), total=total, stage=stage
            ),
        )
        result, gone = outcome["result"], outcome["gone"]
        if len(gone):
            last_id = model._default_manager.aggregate(last=Max("pk"))["last"]
            model._default_manager.filter(
                # Both bounds: without fresh statistics PostgreSQL estimates
                # a closed range as small (an index scan), an open one as a third
                # of the table (a sequential scan of millions of rows).
                pk__range=(first_id, last_id),
                version=version,
                row_number__in=table.row_numbers[gone].tolist(),
            ).delete()
        DatasetVersion.objects.filter(pk=version.pk).update(
            status=DatasetVersion.Status.DRAFT,
            rows_read=result.rows_read,
            rows_loaded=result.rows_loaded,
            rows_rejected=result.rows_rejected,
            blocking_issues=int((result.issues["severity"] == "blocking").sum()),
            issue_counts=result.issue_counts(),
            match_counts=result.matches,
            completeness=dict(slices.filled),
            cleaned_at=timezone.now(),
        )
    return result


def version_clean_job(
    *, progress: ProgressReporter, version_id: int, user_id: int | None = None
) -> JobOutcome:
    """Job body of ``datasets.clean``."""
    from django.contrib.auth import get_user_model

    version = DatasetVersion.objects.select_related("upload", "mapping").get(
        pk=version_id
    )
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    result = version_clean(version=version, progress=progress, user=user)
    return JobOutcome(
        result={
            "version": version.pk,
            "rows_read": result.rows_read,
            "rows_loaded": result.rows_loaded,
            "rows_rejected": result.rows_rejected,
            "issues": sum(result.issue_counts().values()),
        },
        # Duplicates and drafts left out are expected: only rows refused for a
        # blocking issue make the job "finished with errors".
        with_errors=bool((result.issues["severity"] == "blocking").any()),
    )


# --------------------------------------------------------------------------------------
# Matching decisions
# --------------------------------------------------------------------------------------

TO_REVIEW = ("unmatched", "review", "ambiguous")


def _refresh_match_state(version: DatasetVersion, schema: FamilySchema) -> None:
    """Recount matches and drop the medicine issues of rows now resolved."""
    model = record_model(schema)
    rows = model._default_manager.filter(version=version)
    per_method = dict(
        rows.order_by().values_list("match_method").annotate(n=models.Count("pk"))
    )
    counts = match_counts(per_method)
    resolved = rows.exclude(match_method__in=TO_REVIEW).values("row_number")
    Issue.objects.filter(
        version=version, code__in=MEDICINE_CODES, row_number__in=resolved
    ).delete()
    issue_counts = dict(
        Issue.objects.filter(version=version)
        .order_by()
        .values_list("code")
        .annotate(n=models.Count("pk"))
    )
    DatasetVersion.objects.filter(pk=version.pk).update(
        match_counts=counts, issue_counts=issue_counts
    )


def match_decide(
    *,
    version: DatasetVersion,
    key: str,
    cis: str | None,
    user: AbstractBaseUser,
    scope: str = MatchDecision.Scope.ALL,
    row_number: int | None = None,
) -> MatchDecision:
    """Record a person's decision on a medicine of a version, named by its
    medicine key (code, or folded label): a CIS, or ``None`` for "outside the
    referential". ``scope="all"`` applies it to every row with that key and keeps
    it as an alias of the label for later uploads; ``"row"`` to one row only.
    Raises ApplicationError for an unknown CIS, an unknown key or a version that
    is not a draft."""
    from referential_admin.models import Speciality

    family_check(user, version.family)
    if version.status != DatasetVersion.Status.DRAFT:
        raise ApplicationError(_("Only a draft version can be changed."))
    version_require_editable(version)
    schema = get_family(version.family)
    if schema.medicine is None:
        raise ApplicationError(_("This family names no medicine."))
    speciality = None
    if cis:
        speciality = Speciality.objects.filter(cis=cis).first()
        if speciality is None:
            raise ApplicationError(
                _("No speciality has the CIS code %(cis)s.") % {"cis": cis}
            )
    model = record_model(schema)
    rows = model._default_manager.filter(version=version, medicine_key=key)
    label_field = schema.medicine.label_field
    label = (
        rows.exclude(**{f"{label_field}__isnull": True})
        .order_by("row_number")
        .values_list(label_field, flat=True)
        .first()
    )
    if scope == MatchDecision.Scope.ROW:
        if row_number is None:
            raise ApplicationError(_("Choose the row the decision applies to."))
        rows = rows.filter(row_number=row_number)
    with transaction.atomic():
        updated = rows.update(
            matched_cis=cis or None,
            match_method="manual" if cis else "excluded",
            match_score=100.0 if cis else 0.0,
        )
        if not updated:
            raise ApplicationError(_("No row of this version has this medicine."))
        alias = None
        if scope == MatchDecision.Scope.ALL and label:
            alias = _alias_remember(label, version, speciality, user)
        decision = MatchDecision(
            version=version,
            label=label or key,
            row_number=row_number if scope == MatchDecision.Scope.ROW else None,
            scope=scope,
            cis=cis or "",
            outside_referential=not cis,
            rows_updated=updated,
            alias=alias,
            decided_by=user,  # type: ignore[misc]
        )
        decision.full_clean()
        decision.save()
        _refresh_match_state(version, schema)
        version_revision_record(
            version=version,
            user=user,
            action="datamed.match",
            data={
                "label": decision.label,
                "cis": decision.cis,
                "scope": decision.scope,
                "rows": updated,
            },
        )
    return decision


def _alias_remember(
    label: str, version: DatasetVersion, speciality: Any, user: AbstractBaseUser
) -> Any:
    """Create or update the family's alias of a label decided in a review."""
    from referential_admin.matching import normalise_label
    from referential_admin.models import Alias
    from referential_admin.services import alias_save

    existing = Alias.objects.filter(
        normalised_label=normalise_label(label), family=version.family
    ).first()
    return alias_save(
        instance=existing,
        label=label,
        family=version.family,
        speciality=speciality,
        note=_("Decided while reviewing %(version)s.") % {"version": version},
        user=user,
    )


def version_rematch(
    *,
    version: DatasetVersion,
    progress: ProgressReporter | None = None,
    user: AbstractBaseUser | None = None,
) -> dict[str, int]:
    """Match again every row not decided by a person (after new aliases or a new
    referential), without a new upload. Returns the new match counts."""
    report = progress or NullProgress()
    schema = get_family(version.family)
    if schema.medicine is None:
        return {}
    model = record_model(schema)
    link = schema.medicine
    fields = ["id", *link.code_fields, link.label_field]
    rows = pd.DataFrame.from_records(
        model._default_manager.filter(version=version)
        .exclude(match_method__in=("manual", "excluded"))
        .values_list(*fields),
        columns=fields,
    )
    report.update(0, total=len(rows), stage=_("Matching medicines to the referential"))
    if len(rows):
        matched = match_medicines(rows, schema, _matcher(version.family))
        update = pd.DataFrame(
            {
                "id": rows["id"],
                "matched_cis": matched["matched_cis"],
                "match_method": matched["match_method"].fillna(""),
                "match_score": matched["match_score"],
            }
        )
        with transaction.atomic():
            bulk_update_frame(model, update)
            _refresh_match_state(version, schema)
    report.update(len(rows), total=len(rows), stage=_("Done"))
    version.refresh_from_db(fields=["match_counts"])
    version_revision_record(
        version=version,
        user=user,
        action="datamed.version.rematch",
        data={"matches": dict(version.match_counts)},
    )
    return dict(version.match_counts)


def version_rematch_enqueue(
    *, version: DatasetVersion, user: AbstractBaseUser
) -> JobRun:
    """Start the re-matching job of a version."""
    from tasks.services import job_enqueue

    family_check(user, version.family)
    version_require_editable(version)
    return job_enqueue(
        kind="datasets.rematch",
        params={"version_id": version.pk, "user_id": user.pk},
        user=user,
        target=version,
        target_label=f"{get_family(version.family).label} – {version}",
        family=version.family,
    )


def version_rematch_job(
    *, progress: ProgressReporter, version_id: int, user_id: int | None = None
) -> JobOutcome:
    """Job body of ``datasets.rematch``."""
    from django.contrib.auth import get_user_model

    version = DatasetVersion.objects.get(pk=version_id)
    version_require_editable(version)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    counts = version_rematch(version=version, progress=progress, user=user)
    return JobOutcome(result={"version": version.pk, **counts})


# --------------------------------------------------------------------------------------
# The whole path, for commands
# --------------------------------------------------------------------------------------


def extract_ingest(
    *,
    path: Path,
    family: str,
    user: AbstractBaseUser | None,
    profile_name: str = "",
    sheet: str | None = None,
) -> DatasetVersion:
    """Upload → profile → mapping → cleaning of one file, every job run in this
    process. The mapping is the named profile's latest version, else the
    automatic suggestion when it covers every required field (saved as a profile
    named after the file). Raises ApplicationError with the French reason."""
    if not path.is_file():
        raise ApplicationError(_("No file at %(path)s.") % {"path": path})
    schema = get_family(family)
    upload, _created = upload_create(
        source=path, name=path.name, family=family, user=user, sheet=sheet, inline=True
    )
    if upload.status != Upload.Status.PROFILED:
        if upload.status == Upload.Status.FAILED:
            raise ApplicationError(upload.error)
        upload = upload_profile(upload=upload)
    if profile_name:
        profiles = [p for p in mapping_latest(family) if p.name == profile_name]
        if not profiles:
            names = ", ".join(sorted(p.name for p in mapping_latest(family)))
            raise ApplicationError(
                _("No mapping profile named “%(name)s”. Profiles: %(names)s.")
                % {"name": profile_name, "names": names or "-"}
            )
        mapping = profiles[0]
    else:
        suggestion = mapping_suggest(upload=upload)
        if suggestion.missing:
            raise ApplicationError(
                mapping_missing_message(schema, suggestion.missing)
                + " "
                + _("Name a mapping profile with --profile.")
            )
        mapping = mapping_save(
            family=family,
            name=suggestion.based_on or path.stem,
            spec=suggestion.spec,
            columns=[c["name"] for c in upload.columns],
            user=user,
            note=_("Suggested automatically."),
        )
    version = version_create(upload=upload, mapping=mapping, user=user, inline=True)
    if version.status != DatasetVersion.Status.DRAFT:
        raise ApplicationError(
            version.error or (version.job.error if version.job else "")
        )
    return version
