"""Match decisions: a person's choice on a medicine of a version (kept as an
alias for later uploads), and matching a version again after new decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
from django.db import models, transaction
from django.utils.translation import gettext as _

from backoffice.bulk import bulk_update_frame
from backoffice.exceptions import ApplicationError
from datasets.families import get_family
from datasets.messages import MEDICINE_CODES
from datasets.models import (
    DatasetVersion,
    Issue,
    MatchDecision,
)
from datasets.permissions import family_check
from datasets.pipeline.clean import (
    match_counts,
    match_medicines,
)
from datasets.pipeline.schema import FamilySchema
from datasets.records import TO_REVIEW, record_model
from datasets.services.versions import (
    version_require_editable,
    version_revision_record,
)
from referential_admin.matching import normalise_label
from referential_admin.models import Alias, Speciality
from referential_admin.selectors import family_matcher
from referential_admin.services import alias_save
from tasks.progress import NullProgress, ProgressReporter
from tasks.services import job_enqueue

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from tasks.models import JobRun


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
        matched = match_medicines(rows, schema, family_matcher(version.family))
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
