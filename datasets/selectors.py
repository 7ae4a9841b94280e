"""Reads of datasets shared by screens, exports and commands: visible objects,
quality report, match review queue, comparison with the live release."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
from django.db.models import (
    CharField,
    Count,
    Min,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from wagtail.models import Revision, WorkflowState

from datasets.families import get_family
from datasets.messages import rule_label
from datasets.models import DatasetVersion, Issue, MatchDecision, ProblemRow, Upload
from datasets.permissions import user_families
from datasets.pipeline.diff import diff_records
from datasets.records import TO_REVIEW, record_model
from referential_admin.matching import normalise_label, strengths_differ
from referential_admin.models import Alias
from referential_admin.selectors import match_labels_for_family

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def uploads_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Upload]:
    """Uploads of the families the user's directorate owns (all for managers)."""
    return Upload.objects.for_families(user_families(user)).select_related(
        "uploaded_by"
    )


def version_visible_to(
    user: AbstractBaseUser | AnonymousUser, pk: int
) -> DatasetVersion:
    """Version ``pk`` when the user's directorate owns its family; Http404
    otherwise, whether it does not exist or belongs to another directorate."""
    return get_object_or_404(versions_visible_to(user), pk=pk)


def versions_visible_to(
    user: AbstractBaseUser | AnonymousUser,
) -> QuerySet[DatasetVersion]:
    """Versions of the families the user's directorate owns (all for managers)."""
    families = user_families(user)
    versions = DatasetVersion.objects.select_related("upload", "mapping", "created_by")
    return versions if families is None else versions.filter(family__in=families)


@dataclass
class RuleCount:
    code: str
    label: str
    severity: str
    count: int


@dataclass
class FieldCompleteness:
    name: str
    label: str
    filled: int
    percent: float
    required: bool


@dataclass
class QualityReport:
    """What the quality report screen and its XLSX export show."""

    version: DatasetVersion
    rules: list[RuleCount]
    completeness: list[FieldCompleteness]
    matches: list[tuple[str, str, int, float]]
    blocking: int
    warnings: int
    decisions: list[MatchDecision] = field(default_factory=list)


def match_label(category: str) -> str:
    labels = {
        "exact": _("Exact (code or name)"),
        "alias": _("By alias or decision"),
        "fuzzy": _("Approximate, accepted"),
        "ambiguous": _("To review"),
        "unmatched": _("Not found"),
        "excluded": _("Outside the referential"),
    }
    return str(labels.get(category, category))


def quality_report(version: DatasetVersion) -> QualityReport:
    """Counts per rule, completeness per field and match statistics of a version."""
    schema = get_family(version.family)
    per_rule = (
        Issue.objects.filter(version=version)
        .order_by()
        .values("code", "severity")
        .annotate(n=Count("pk"))
    )
    rules = sorted(
        (
            RuleCount(row["code"], rule_label(row["code"]), row["severity"], row["n"])
            for row in per_rule
        ),
        key=lambda r: (r.severity != "blocking", -r.count),
    )
    loaded = version.rows_loaded or 0
    completeness = [
        FieldCompleteness(
            name=spec.name,
            label=str(spec.label),
            filled=int(version.completeness.get(spec.name, 0)),
            percent=(
                100.0 * int(version.completeness.get(spec.name, 0)) / loaded
                if loaded
                else 0.0
            ),
            required=spec.required,
        )
        for spec in schema.fields
    ]
    counts = version.match_counts or {}
    total = sum(int(v) for v in counts.values()) or 0
    matches = [
        (
            key,
            match_label(key),
            int(counts.get(key, 0)),
            100.0 * int(counts.get(key, 0)) / total if total else 0.0,
        )
        for key in ("exact", "alias", "fuzzy", "ambiguous", "unmatched", "excluded")
    ]
    return QualityReport(
        version=version,
        rules=rules,
        completeness=completeness,
        matches=matches,
        blocking=sum(r.count for r in rules if r.severity == "blocking"),
        warnings=sum(r.count for r in rules if r.severity != "blocking"),
        decisions=list(
            version.match_decisions.select_related("decided_by", "alias")[:200]
        ),
    )


def left_out_reasons(version: DatasetVersion) -> list[tuple[str, int]]:
    """Why rows were left out: rows with a blocking issue, duplicates, drafts."""
    counts = version.issue_counts or {}
    reasons = [
        (
            _("Refused (blocking issue)"),
            Issue.objects.filter(version=version, severity=Issue.Severity.BLOCKING)
            .values("row_number")
            .distinct()
            .count(),
        ),
        (rule_label("DUPLICATE_ROW"), int(counts.get("DUPLICATE_ROW", 0))),
        (rule_label("DUPLICATE_KEY"), int(counts.get("DUPLICATE_KEY", 0))),
        (rule_label("EXCLUDED_DRAFT"), int(counts.get("EXCLUDED_DRAFT", 0))),
    ]
    return [(str(label), count) for label, count in reasons if count]


def problem_rows(
    version: DatasetVersion, *, code: str = "", severity: str = ""
) -> QuerySet[ProblemRow]:
    """Rows with issues, optionally only those with a given rule or severity."""
    rows = ProblemRow.objects.filter(version=version)
    if code or severity:
        issues = Issue.objects.filter(version=version)
        if code:
            issues = issues.filter(code=code)
        if severity:
            issues = issues.filter(severity=severity)
        rows = rows.filter(row_number__in=issues.values("row_number"))
    return rows.order_by("row_number")


def issues_by_row(version: DatasetVersion, rows: list[int]) -> dict[int, list[Issue]]:
    """The issues of the given rows, grouped by row."""
    grouped: dict[int, list[Issue]] = {}
    for issue in Issue.objects.filter(version=version, row_number__in=rows).order_by(
        "row_number", "severity", "pk"
    ):
        grouped.setdefault(issue.row_number or 0, []).append(issue)
    return grouped


@dataclass
class ReviewItem:
    """One distinct medicine label waiting for a person, with its candidates."""

    key: str
    label: str
    rows: int
    first_row: int
    method: str
    #: (CIS, name, score, whether the name lacks a dosage the label states),
    #: the names with the label's dosages first.
    candidates: list[tuple[str, str, float, bool]]


def review_queue(version: DatasetVersion) -> QuerySet[Any]:
    """Distinct medicines (by medicine key: code, or label without case and
    accents) of rows that need a person, most rows first."""
    schema = get_family(version.family)
    model = record_model(schema)
    if schema.medicine is None:
        nothing: QuerySet[Any] = model._default_manager.none().values()
        return nothing
    label = schema.medicine.label_field
    queue: QuerySet[Any] = (
        model._default_manager.filter(version=version, match_method__in=TO_REVIEW)
        .order_by()
        .values("medicine_key")
        .annotate(
            rows=Count("pk"),
            first_row=Min("row_number"),
            method=Min("match_method"),
            label=Min(label),
        )
        .order_by("-rows", "medicine_key")
    )
    return queue


def review_items(
    version: DatasetVersion, page: list[dict[str, Any]]
) -> list[ReviewItem]:
    """The queue's page with ranked candidates (computed for this page only)."""
    if not page:
        return []
    labels = [row["label"] for row in page]
    matched = match_labels_for_family(labels, None, family=version.family)

    def ranked(label: str, candidates: Any) -> list[tuple[str, str, float, bool]]:
        # A close name with another strength is another medicine: after the rest.
        found = [
            (c[0], c[1], float(c[2]), strengths_differ(label, c[1])) for c in candidates
        ]
        return sorted(found, key=lambda c: c[3])

    return [
        ReviewItem(
            key=row["medicine_key"],
            label=row["label"] or "",
            rows=row["rows"],
            first_row=row["first_row"],
            method=row["method"],
            candidates=ranked(row["label"], candidates) if row["label"] else [],
        )
        for row, candidates in zip(page, matched["candidates"], strict=True)
    ]


@dataclass(frozen=True)
class ReviewStatus:
    """Where a version stands, for lists, panels and the review screen."""

    code: str
    label: str
    task: str = ""
    when: Any = None


def with_review_state(
    versions: QuerySet[DatasetVersion],
) -> QuerySet[DatasetVersion]:
    """Versions with what ``review_status`` reads, in a fixed number of queries
    for a whole listing: active workflow states (with their step), the date of an
    approved scheduled revision, the status of the last workflow."""
    object_id = Cast(OuterRef("pk"), output_field=CharField())
    revisions = Revision.objects.filter(
        base_content_type_id=DatasetVersion().get_base_content_type().pk,
        object_id=object_id,
    )
    states = WorkflowState.objects.filter(
        base_content_type_id=DatasetVersion().get_base_content_type().pk,
        object_id=object_id,
    )
    return versions.annotate(
        _scheduled_at=Subquery(
            revisions.exclude(approved_go_live_at=None)
            .order_by("-created_at")
            .values("approved_go_live_at")[:1]
        ),
        _last_workflow_status=Subquery(
            states.order_by("-created_at").values("status")[:1]
        ),
    ).prefetch_related(
        Prefetch(
            "_workflow_states",
            queryset=WorkflowState.objects.active().select_related(
                "current_task_state__task"
            ),
            to_attr="_current_workflow_states",
        )
    )


def review_status(version: DatasetVersion) -> ReviewStatus:
    """The version's stage: cleaning, draft, under review (and at which step),
    changes requested, approved for a date, published or withdrawn. Reads the
    annotations of ``with_review_state`` when present."""
    if version.status in (
        DatasetVersion.Status.PENDING,
        DatasetVersion.Status.CLEANING,
    ):
        return ReviewStatus("cleaning", _("Being cleaned"))
    if version.status == DatasetVersion.Status.FAILED:
        return ReviewStatus("failed", _("Cleaning failed"))
    if version.live:
        return ReviewStatus("published", _("Published"), when=version.last_published_at)
    if hasattr(version, "_scheduled_at"):
        scheduled_at = version._scheduled_at
    else:
        scheduled = version.scheduled_revision
        scheduled_at = scheduled.approved_go_live_at if scheduled else None
    if scheduled_at is not None:
        return ReviewStatus(
            "scheduled",
            _("Approved, to be published on the scheduled date"),
            when=scheduled_at,
        )
    state = version.current_workflow_state
    if state is None:
        if hasattr(version, "_last_workflow_status"):
            last_status = version._last_workflow_status
        else:
            last = version.workflow_states.order_by("-created_at").first()
            last_status = last.status if last is not None else None
        if last_status == WorkflowState.STATUS_CANCELLED:
            return ReviewStatus("cancelled", _("Review withdrawn"))
        if version.last_published_at:
            return ReviewStatus("unpublished", _("Withdrawn from publication"))
        return ReviewStatus("draft", _("Draft, not submitted"))
    task = state.current_task_state.task.name if state.current_task_state else ""
    if state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        return ReviewStatus("needs_changes", _("Changes requested"), task=task)
    return ReviewStatus(
        "in_review",
        _("Under review at the step “%(task)s”") % {"task": task},
        task=task,
    )


def _records_frame(version: DatasetVersion, columns: list[str]) -> pd.DataFrame:
    model = record_model(get_family(version.family))
    rows = model._default_manager.filter(version=version).values_list(
        "record_key", *columns
    )
    return pd.DataFrame.from_records(list(rows), columns=["record_key", *columns])


def version_diff(
    version: DatasetVersion, baseline: DatasetVersion | None
) -> dict[str, Any]:
    """Rows added, removed and changed by natural key, and changes per column."""
    schema = get_family(version.family)
    columns = [*schema.field_names, "matched_cis"]
    new = _records_frame(version, columns)
    old = (
        _records_frame(baseline, columns)
        if baseline is not None
        else pd.DataFrame(columns=["record_key", *columns])
    )
    result = diff_records(old, new, columns)
    labels = {spec.name: str(spec.label) for spec in schema.fields}
    labels["matched_cis"] = _("Matched CIS")
    result["per_column"] = sorted(
        ((labels.get(k, k), v) for k, v in result["per_column"].items()),
        key=lambda item: -item[1],
    )
    result["baseline"] = baseline
    return result


@dataclass
class AliasChange:
    """An alias decided since the baseline that matched rows of the version."""

    label: str
    target: str
    shared: bool
    decided_by: str
    decided_at: Any
    rows: int


def alias_changes(
    version: DatasetVersion, baseline: DatasetVersion | None
) -> list[AliasChange]:
    """The aliases (of the version's family, or shared by every family) decided
    after ``baseline`` was cleaned — all of them when there is no baseline — that
    matched rows of ``version``, with the number of its rows each one decided.
    A reviewer sees who redirected the version's matches outside the review
    queue. Distinct labels are normalised once each, never once per row."""
    schema = get_family(version.family)
    if schema.medicine is None:
        return []
    label_field = schema.medicine.label_field
    counted = (
        record_model(schema)
        ._default_manager.filter(version=version, match_method="alias")
        .values_list(label_field)
        .annotate(rows=Count("pk"))
    )
    rows_per_key: dict[str, int] = {}
    for label, rows in counted:
        key = normalise_label(label or "")
        rows_per_key[key] = rows_per_key.get(key, 0) + rows
    aliases = Alias.objects.filter(
        normalised_label__in=list(rows_per_key), family__in=[version.family, ""]
    ).select_related("speciality", "created_by")
    if baseline is not None and baseline.cleaned_at is not None:
        aliases = aliases.filter(created_at__gt=baseline.cleaned_at)
    return [
        AliasChange(
            label=alias.label,
            target=str(alias.speciality) if alias.speciality_id else "",
            shared=not alias.family,
            decided_by=(
                alias.created_by.get_full_name() or alias.created_by.get_username()
            )
            if alias.created_by
            else "",
            decided_at=alias.created_at,
            rows=rows_per_key[alias.normalised_label],
        )
        for alias in aliases.order_by("-created_at")
    ]


def summary_columns(family: str) -> list[str]:
    """Labels of the fields a family shows when it lists a few records."""
    schema = get_family(family)
    return [str(schema.field(name).label) for name in schema.summary()]


def records_sample(
    version: DatasetVersion, keys: list[str], limit: int = 50
) -> list[tuple[int, list[Any], str]]:
    """(row, summary values, matched CIS) of a version's records with the given
    natural keys, vocabulary codes shown as their labels (for the diff screen)."""
    schema = get_family(version.family)
    model = record_model(schema)
    names = schema.summary()
    rows = model._default_manager.filter(
        version=version, record_key__in=keys[:limit]
    ).order_by("row_number")
    vocabularies = {name: schema.field(name).vocabulary for name in names}
    sample = []
    for row in rows.values("row_number", "matched_cis", *names):
        values = [
            str(vocabularies[name].get(row[name], row[name]))
            if vocabularies[name] and row[name] is not None
            else row[name]
            for name in names
        ]
        sample.append((row["row_number"], values, row["matched_cis"] or ""))
    return sample
