"""Dataset versions: create one from an upload and a mapping, correct it with
another, delete a draft never submitted, record each change as a revision, and
start its cleaning."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from backoffice.exceptions import (
    ApplicationError,
    InvalidTransition,
)
from datasets.families import get_family
from datasets.models import (
    DatasetVersion,
    Extract,
    MappingProfile,
    Upload,
)
from datasets.permissions import family_check, version_edit_error
from datasets.pipeline.mapping import MappingSpec
from datasets.records import record_model
from datasets.services.common import author_of
from datasets.services.extracts import check_parts_mapping
from datasets.services.mappings import check_mapping
from tasks.services import job_enqueue, job_run_inline

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from tasks.models import JobRun


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
    revision = fresh.save_revision(user=author_of(user), clean=False)
    log(
        instance=fresh,
        action=action,
        user=author_of(user),
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
    extract: Extract | None = None,
) -> DatasetVersion:
    """Create a draft version of the upload with this mapping and start cleaning
    (in a worker, or in this process when ``inline``). A family of multi-table
    extracts takes the ``extract`` (``upload`` is then its root part's).

    Raises ApplicationError when the mapping misses a required field (naming it)
    or belongs to another family.
    """
    family_check(user, upload.family)
    if mapping.family != upload.family:
        raise ApplicationError(_("This mapping profile belongs to another family."))
    _check_version_mapping(upload.family, upload, mapping, extract)
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
                    extract=extract,
                    created_by=author_of(user),
                    live=False,
                )
            break
        except IntegrityError:
            continue
    else:
        raise ApplicationError(_("Could not number the version; try again."))
    _clean_start(version, user, inline=inline)
    return version


def _check_version_mapping(
    family: str,
    upload: Upload,
    mapping: MappingProfile,
    extract: Extract | None,
) -> None:
    """ApplicationError when the mapping does not fit the upload, or, for a
    family of multi-table extracts, the extract's parts."""
    schema = get_family(family)
    if schema.parts is None:
        check_mapping(schema, MappingSpec.from_dict(mapping.spec), upload.columns)
        return
    if extract is None or extract.family != family:
        raise ApplicationError(
            _(
                "Extracts of this family are made of several tables: "
                "upload them together."
            )
        )
    check_parts_mapping(extract, mapping)


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
    _check_version_mapping(version.family, upload, mapping, version.extract)
    with transaction.atomic():
        DatasetVersion.objects.filter(pk=version.pk).update(
            upload=upload, mapping=mapping, status=DatasetVersion.Status.PENDING
        )
        version.refresh_from_db()
        log(
            instance=version,
            action="datamed.version.reclean",
            user=author_of(user),
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
            user=author_of(user),
            deleted=True,
        )
        version.delete()


def _clean_job(
    version: DatasetVersion, user: AbstractBaseUser | None
) -> dict[str, Any]:
    """Arguments of the cleaning job of a version, queued or run inline."""
    author = author_of(user)
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
        run = job_run_inline(**_clean_job(version, user), user=user)
        DatasetVersion.objects.filter(pk=version.pk).update(job=run)
        version.refresh_from_db()
    else:
        version_clean_enqueue(version=version, user=user)


def version_clean_enqueue(
    *, version: DatasetVersion, user: AbstractBaseUser | None
) -> JobRun:
    """Start the cleaning job of a version (queue ``ingest``)."""
    run = job_enqueue(**_clean_job(version, user), user=user)
    DatasetVersion.objects.filter(pk=version.pk).update(
        job=run, status=DatasetVersion.Status.PENDING
    )
    return run
