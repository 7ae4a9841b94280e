"""Services that publish: a new release when a version's review approves it, a
rollback as a new release of the previous one. Each switches the family's
current release in one transaction: a reader sees the old release or the new
one, never a mix."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from backoffice.exceptions import ApplicationError, InvalidTransition, PermissionRefused
from datasets.families import get_family
from datasets.selectors import version_diff
from publications.aggregates import disclosure_metadata
from publications.exports import release_files
from publications.models import Release

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from datasets.models import DatasetVersion


def _changes(
    version: DatasetVersion, baseline: DatasetVersion | None
) -> dict[str, Any]:
    """Rows added, removed and changed since the baseline, per natural key."""
    if not get_family(version.family).record_model:
        return {"baseline_version": baseline.number if baseline else None}
    diff = version_diff(version, baseline)
    return {
        "baseline_version": baseline.number if baseline is not None else None,
        "added": len(diff["added"]),
        "removed": len(diff["removed"]),
        "changed": len(diff["changed"]),
        "per_column": [[label, count] for label, count in diff["per_column"]],
    }


def _switch(
    *,
    family: str,
    version: DatasetVersion,
    user: Any,
    kind: str,
    note: str = "",
) -> Release:
    """Lock the family's current release, add the next one and make it current."""
    current = (
        Release.objects.select_for_update()
        .filter(family=family, is_current=True)
        .select_related("version")
        .first()
    )
    number = (
        Release.objects.filter(family=family).aggregate(top=Max("number"))["top"] or 0
    ) + 1
    baseline = current.version if current is not None else None
    release = Release(
        family=family,
        number=number,
        version=version,
        kind=kind,
        replaces=current,
        note=note,
        rows=version.rows_loaded,
        changes=_changes(version, baseline),
        disclosure=disclosure_metadata(version),
        published_by=user if user is not None and user.is_authenticated else None,
    )
    if current is not None:
        Release.objects.filter(pk=current.pk).update(is_current=False)
    release.is_current = True
    release.save()
    # Written before the commit: the files, the tables and the pointer to the
    # current release become visible together.
    release.files = release_files(release)
    Release.objects.filter(pk=release.pk).update(files=release.files)
    log(
        instance=release,
        action=f"datamed.release.{kind}",
        user=release.published_by,
        data={"version": version.pk, "number": number, "note": note},
    )
    return release


@transaction.atomic
def release_publish(*, version: DatasetVersion, user: Any = None) -> Release:
    """Make an approved, published version its family's current release.

    Called by the last approval of the review (or the periodic job at the
    scheduled date), inside the same transaction as Wagtail's publication.
    Raises InvalidTransition for a version that is not live.
    """
    if not version.live:
        raise InvalidTransition(_("Only an approved version can be released."))
    return _switch(
        family=version.family, version=version, user=user, kind=Release.Kind.PUBLICATION
    )


@transaction.atomic
def release_rollback(*, family: str, user: User, note: str) -> Release:
    """Publish again the release before the current one, as a new release with a
    public note saying why. Data Office only. Raises ApplicationError without a
    note, InvalidTransition when there is nothing to go back to."""
    if not user.has_perm("publications.rollback_release"):
        raise PermissionRefused(_("Only the Data Office can roll back a publication."))
    if not note.strip():
        raise ApplicationError(
            _("Explain the rollback: the note is published with the release.")
        )
    current = (
        Release.objects.select_for_update()
        .filter(family=family, is_current=True)
        .first()
    )
    if current is None:
        raise InvalidTransition(_("Nothing has been published for this family."))
    previous = (
        Release.objects.filter(family=family, number__lt=current.number)
        .order_by("-number")
        .select_related("version")
        .first()
    )
    if previous is None:
        raise InvalidTransition(
            _("The current release is the family's first: there is nothing before it.")
        )
    return _switch(
        family=family,
        version=previous.version,
        user=user,
        kind=Release.Kind.ROLLBACK,
        note=note.strip(),
    )
