"""Admin screens of the datasets: upload, profile, mapping, quality report,
match review queue and comparison. Each view authorises, calls one service or
selector and renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from wagtail.admin.views import generic

from backoffice.exceptions import ApplicationError, PermissionRefused
from backoffice.http import AuthenticatedRequest
from datasets import permissions, records, reports, selectors, services
from datasets.families import get_family
from datasets.forms import ENCODINGS, MappingForm, ReadingForm, UploadForm
from datasets.models import DatasetVersion, MappingProfile, MatchDecision, Upload
from datasets.pipeline.mapping import MappingSpec, unresolved_values
from referential_admin.selectors import speciality_search
from tasks.models import JobRun

PROBLEMS_PER_PAGE = 50
QUEUE_PER_PAGE = 10


def _require(request: AuthenticatedRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _upload(request: AuthenticatedRequest, pk: int) -> Upload:
    _require(request, "datasets.view_upload")
    return get_object_or_404(selectors.uploads_visible_to(request.user), pk=pk)


def _version(request: AuthenticatedRequest, pk: int) -> DatasetVersion:
    _require(request, "datasets.view_datasetversion")
    return selectors.version_visible_to(request.user, pk)


class UploadIndexView(generic.IndexView):
    """Uploads of the user's families; "add" is the upload form."""

    def get_base_queryset(self) -> Any:
        return selectors.uploads_visible_to(self.request.user)

    add_item_label = _lazy("Upload an extract")

    def get_add_url(self) -> str | None:
        if not permissions.upload_families(self.request.user):
            return None
        return reverse("datasets_upload_create")


class MappingProfileIndexView(generic.IndexView):
    """Profiles of the user's families, created from an upload's mapping
    screen, not from here."""

    def get_base_queryset(self) -> Any:
        families = permissions.user_families(self.request.user)
        queryset = super().get_base_queryset()
        return queryset if families is None else queryset.filter(family__in=families)

    def get_add_url(self) -> str | None:
        return None


def upload_create_view(request: AuthenticatedRequest) -> HttpResponse:
    """Drop an extract; its analysis starts in the background."""
    _require(request, "datasets.add_upload")
    families = permissions.upload_families(request.user)
    if not families:
        messages.warning(
            request, _("No data family of your directorate takes extracts yet.")
        )
        return redirect("wagtailadmin_home")
    form = UploadForm(request.POST or None, request.FILES or None, families=families)
    if request.method == "POST" and form.is_valid():
        files = form.cleaned_data["file"]
        if get_family(form.cleaned_data["family"]).parts is not None:
            try:
                version = services.extract_upload(
                    sources=[(file, file.name) for file in files],
                    family=form.cleaned_data["family"],
                    user=request.user,
                )
            except (ApplicationError, PermissionRefused) as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(
                    request,
                    _("Tables received and joined; the cleaning is running."),
                )
                return redirect("datasets_version", version.pk)
            return _upload_page(request, form)
        file = files[0]
        try:
            with transaction.atomic():
                upload, created = services.upload_create(
                    source=file,
                    name=file.name,
                    family=form.cleaned_data["family"],
                    user=request.user,
                    sheet=form.cleaned_data["sheet"] or None,
                )
        except (ApplicationError, PermissionRefused) as exc:
            form.add_error("file", exc.message)
        else:
            if created and upload.status == Upload.Status.PROFILED:
                messages.success(request, _("File received and analysed."))
            elif created:
                messages.success(
                    request,
                    _("File received. Its analysis is running; this page updates."),
                )
            else:
                messages.warning(
                    request,
                    _(
                        "These exact bytes were already uploaded on %(date)s "
                        "(upload no. %(number)s): here it is."
                    )
                    % {
                        "date": date_format(
                            timezone.localtime(upload.uploaded_at), "DATETIME_FORMAT"
                        ),
                        "number": upload.pk,
                    },
                )
            return redirect("datasets_upload", upload.pk)
    return _upload_page(request, form)


def _upload_page(request: AuthenticatedRequest, form: UploadForm) -> HttpResponse:
    return TemplateResponse(
        request,
        "datasets/upload_form.html",
        {"form": form, "page_title": _("Upload an extract"), "header_icon": "upload"},
    )


def upload_detail_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """What was detected in the file, for confirmation, and its versions."""
    upload = _upload(request, pk)
    detection = upload.detection or {}
    form = ReadingForm(
        request.POST or None,
        sheets=list(detection.get("sheets") or []),
        file_format=upload.format,
        initial={
            "encoding": detection.get("encoding"),
            "delimiter": detection.get("delimiter"),
            "header_row": (
                0
                if detection.get("header_row") is None
                else int(detection["header_row"]) + 1
            ),
            "sheet": detection.get("sheet"),
        },
    )
    if request.method == "POST":
        _require(request, "datasets.add_upload")
        if form.is_valid():
            with transaction.atomic():
                services.upload_profile_enqueue(
                    upload=upload,
                    user=request.user,
                    overrides=form.overrides(),
                )
            messages.success(request, _("The file is being read again."))
            return redirect("datasets_upload", upload.pk)
    suggestion = None
    if upload.status == Upload.Status.PROFILED:
        suggestion = services.mapping_suggest(upload=upload)
    kinds = {
        "empty": _("empty"),
        "integer": _("whole number"),
        "decimal": _("decimal number"),
        "date": _("date"),
        "code": _("code"),
        "text": _("text"),
    }
    columns = [
        {**column, "kind_label": kinds.get(column.get("kind", ""), column.get("kind"))}
        for column in upload.columns
    ]
    preview = upload.profile.get("preview") or []
    return TemplateResponse(
        request,
        "datasets/upload_detail.html",
        {
            "upload": upload,
            "schema": get_family(upload.family),
            "form": form,
            "columns": columns,
            "encoding_label": dict(ENCODINGS).get(
                detection.get("encoding", ""), detection.get("encoding", "")
            ),
            "preview_header": [c["name"] for c in columns],
            "preview": [
                (number, [row.get(c["name"], "") for c in columns])
                for number, row in zip(
                    upload.profile.get("preview_rows") or [], preview, strict=False
                )
            ],
            "suggestion": suggestion,
            "missing": (
                services.mapping_missing_message(
                    get_family(upload.family), suggestion.missing
                )
                if suggestion is not None and suggestion.missing
                else ""
            ),
            "versions": upload.versions.select_related("mapping").order_by("-pk"),
            "run": JobRun.objects.for_target(upload).first(),
            "busy": upload.status in (Upload.Status.RECEIVED, Upload.Status.PROFILING),
            "page_title": upload.original_name,
            "header_icon": "doc-full",
            "can_map": request.user.has_perm("datasets.add_datasetversion"),
        },
    )


def upload_raw_view(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The raw file exactly as uploaded, as an attachment of a neutral type (never
    rendered by the browser, whatever the uploader named it)."""
    upload = _upload(request, pk)
    response = FileResponse(
        upload.file.open("rb"),
        as_attachment=True,
        filename=upload.original_name,
        content_type="application/octet-stream",
    )
    response["Content-Security-Policy"] = "sandbox"
    return response


def _value_choices(
    form_data: Any, upload: Upload, initial: dict[str, Any]
) -> dict[str, list[str]]:
    """For each vocabulary field, the column's frequent values to map by hand."""
    schema = get_family(upload.family)
    samples = {
        c["name"]: [v for v, _n in c.get("samples") or []] for c in upload.columns
    }
    spec = MappingSpec.from_dict(initial.get("spec"))
    choices: dict[str, list[str]] = {}
    for field_spec in schema.fields:
        if field_spec.type != "vocabulary":
            continue
        key = f"column__{field_spec.name}"
        column = (form_data.get(key) if form_data else None) or initial.get(key) or ""
        values = samples.get(column, [])
        mapped = spec.value_maps.get(field_spec.name, {})
        pending = unresolved_values(field_spec, values, {})
        choices[field_spec.name] = sorted(set(pending) | set(mapped))
    return choices


def mapping_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Map the file's columns to the family's fields, then clean."""
    upload = _upload(request, pk)
    _require(request, "datasets.add_datasetversion")
    if upload.status != Upload.Status.PROFILED:
        messages.warning(request, _("The file has not been analysed yet."))
        return redirect("datasets_upload", upload.pk)
    schema = get_family(upload.family)
    profiles = services.mapping_latest(upload.family)
    chosen_id = request.GET.get("profile")
    base: MappingProfile | None = None
    if chosen_id:
        base = next((p for p in profiles if str(p.pk) == chosen_id), None)
    if base is not None:
        spec = MappingSpec.from_dict(base.spec)
        name = base.name
        reasons: dict[str, str] = dict.fromkeys(spec.columns, "profile")
    else:
        suggestion = services.mapping_suggest(upload=upload)
        spec, reasons = suggestion.spec, suggestion.reasons
        name = suggestion.based_on or upload.original_name.rsplit(".", 1)[0]
    initial: dict[str, Any] = {"profile_name": name, "spec": spec.as_dict()}
    for field_spec in schema.fields:
        initial[f"column__{field_spec.name}"] = spec.columns.get(field_spec.name, "")
        initial[f"constant__{field_spec.name}"] = spec.constants.get(
            field_spec.name, ""
        )
        initial[f"format__{field_spec.name}"] = spec.date_formats.get(
            field_spec.name, ""
        )
    value_choices = _value_choices(request.POST, upload, initial)
    for field_name, raws in value_choices.items():
        mapped = spec.value_maps.get(field_name, {})
        for i, raw in enumerate(raws):
            initial[f"value__{field_name}__{i}"] = mapped.get(raw, "")
    form = MappingForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        schema=schema,
        columns=upload.columns,
        value_choices=value_choices,
    )
    if request.method == "POST" and "save" in request.POST and form.is_valid():
        data = form.cleaned_data
        new_spec = MappingSpec(
            columns={
                f.name: data[f"column__{f.name}"]
                for f in schema.fields
                if data.get(f"column__{f.name}")
            },
            constants={
                f.name: data[f"constant__{f.name}"]
                for f in schema.fields
                if data.get(f"constant__{f.name}")
            },
            date_formats={
                f.name: data[f"format__{f.name}"]
                for f in schema.fields
                if data.get(f"format__{f.name}")
            },
            value_maps={
                field_name: {raw: data[name] for name, raw in entries if data.get(name)}
                for field_name, entries in form.value_fields.items()
            },
        )
        try:
            with transaction.atomic():
                profile = services.mapping_save(
                    family=upload.family,
                    name=data["profile_name"],
                    spec=new_spec,
                    columns=[c["name"] for c in upload.columns],
                    user=request.user,
                )
                version = services.version_create(
                    upload=upload,
                    mapping=profile,
                    user=request.user,
                )
        except (ApplicationError, PermissionRefused) as exc:
            form.add_error(None, exc.message)
        else:
            version.refresh_from_db(fields=["status"])
            if version.status == DatasetVersion.Status.DRAFT:
                text = _("Mapping %(profile)s saved; version %(number)s is cleaned.")
            else:
                text = _(
                    "Mapping %(profile)s saved; cleaning of version %(number)s started."
                )
            messages.success(
                request,
                text % {"profile": services.quoted(profile), "number": version.number},
            )
            return redirect("datasets_version", version.pk)
    return TemplateResponse(
        request,
        "datasets/mapping.html",
        {
            "upload": upload,
            "schema": schema,
            "form": form,
            "rows": [
                {**row, "reason": reasons.get(row["spec"].name, "")}
                for row in form.rows()
            ],
            "profiles": profiles,
            "base": base,
            "page_title": _("Mapping of %(name)s") % {"name": upload.original_name},
            "header_icon": "table",
        },
    )


def version_report_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Quality report: counts per rule, completeness, matches, problem rows."""
    version = _version(request, pk)
    report = selectors.quality_report(version)
    code = request.GET.get("code", "")
    severity = request.GET.get("severity", "")
    paginator = Paginator(
        selectors.problem_rows(version, code=code, severity=severity),
        PROBLEMS_PER_PAGE,
    )
    page = paginator.get_page(request.GET.get("p"))
    rows = list(page.object_list)
    by_row = selectors.issues_by_row(version, [r.row_number for r in rows])
    labels = records.field_labels(get_family(version.family))
    for issues in by_row.values():
        for issue in issues:
            issue.field_label = labels.get(issue.field, issue.field)  # type: ignore[attr-defined]
    raw_columns = list(rows[0].raw) if rows else []
    return TemplateResponse(
        request,
        "datasets/version_report.html",
        {
            "version": version,
            "schema": get_family(version.family),
            "report": report,
            "page": page,
            "problems": [
                (
                    row,
                    by_row.get(row.row_number, []),
                    [row.raw.get(c, "") for c in raw_columns],
                )
                for row in rows
            ],
            "raw_columns": raw_columns,
            "left_out": selectors.left_out_reasons(version),
            "code": code,
            "severity": severity,
            "run": version.job,
            "busy": version.status
            in (DatasetVersion.Status.PENDING, DatasetVersion.Status.CLEANING),
            "page_title": f"{get_family(version.family).label} – {version}",
            "header_icon": "tasks",
            "can_change": request.user.has_perm("datasets.change_datasetversion"),
            "review": selectors.review_status(version),
        },
    )


def version_problems_xlsx_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The problem rows and their issues as a workbook for the producer."""
    version = _version(request, pk)
    content = reports.quality_report_xlsx(version)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    family = slugify(get_family(version.family).label)
    name = f"rapport-qualite-{family}-v{version.number}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def version_records_csv_view(
    request: AuthenticatedRequest, pk: int
) -> StreamingHttpResponse:
    """The cleaned records of a version, streamed as CSV."""
    version = _version(request, pk)
    if version.status != DatasetVersion.Status.DRAFT:
        raise Http404
    response = StreamingHttpResponse(
        reports.records_csv_lines(version), content_type="text/csv; charset=utf-8"
    )
    family = slugify(get_family(version.family).label)
    name = f"donnees-nettoyees-{family}-v{version.number}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def review_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Unmatched and ambiguous medicine labels, grouped, with candidates."""
    version = _version(request, pk)
    if request.method == "POST":
        _require(request, "datasets.add_matchdecision")
        action = request.POST.get("action", "")
        key = request.POST.get("key", "")
        cis = (request.POST.get("cis") or "").strip()
        scope = request.POST.get("scope") or MatchDecision.Scope.ALL
        row_number = request.POST.get("row_number") or None
        try:
            decision = services.match_decide(
                version=version,
                key=key,
                cis=None if action == "outside" else cis,
                user=request.user,
                scope=scope,
                row_number=int(row_number) if row_number else None,
            )
        except (ApplicationError, PermissionRefused) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                ngettext(
                    "Decision recorded for “%(label)s”: %(rows)s row updated.",
                    "Decision recorded for “%(label)s”: %(rows)s rows updated.",
                    decision.rows_updated,
                )
                % {"label": decision.label, "rows": decision.rows_updated},
            )
        return redirect(f"{request.path}?p={request.POST.get('p', '1')}")
    paginator = Paginator(selectors.review_queue(version), QUEUE_PER_PAGE)
    page = paginator.get_page(request.GET.get("p"))
    items = selectors.review_items(version, list(page.object_list))
    query = request.GET.get("q", "").strip()
    found: list[Any] = []
    if query:
        found = list(speciality_search(query)[:15])
    locked_reason = permissions.version_edit_error(version)
    return TemplateResponse(
        request,
        "datasets/review.html",
        {
            "version": version,
            "page": page,
            "items": items,
            "query": query,
            "found": found,
            "decisions": version.match_decisions.select_related("decided_by")[:20],
            "page_title": _("Match review – %(version)s") % {"version": version},
            "header_icon": "link",
            "can_decide": request.user.has_perm("datasets.add_matchdecision")
            and version.status == DatasetVersion.Status.DRAFT
            and locked_reason is None,
            "locked_reason": locked_reason,
        },
    )


@require_POST
def version_reclean_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Clean a version again with another upload and/or mapping version."""
    version = _version(request, pk)
    _require(request, "datasets.change_datasetversion")
    upload = get_object_or_404(
        selectors.uploads_visible_to(request.user), pk=request.POST.get("upload") or 0
    )
    mapping = get_object_or_404(
        MappingProfile.objects.filter(family=version.family),
        pk=request.POST.get("mapping") or 0,
    )
    try:
        services.version_reclean(
            version=version,
            upload=upload,
            mapping=mapping,
            user=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("workflows_review", pk=version.pk)
    messages.success(
        request,
        _("The version is being cleaned again with %(upload)s and %(mapping)s.")
        % {"upload": upload.original_name, "mapping": mapping},
    )
    return redirect("datasets_version", pk=version.pk)


def rematch_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Match the version again in the background (POST only)."""
    version = _version(request, pk)
    _require(request, "datasets.change_datasetversion")
    if request.method != "POST":
        return redirect("datasets_review", version.pk)
    try:
        with transaction.atomic():
            run = services.version_rematch_enqueue(
                version=version,
                user=request.user,
            )
    except (ApplicationError, PermissionRefused) as exc:
        messages.error(request, exc.message)
        return redirect("datasets_review", version.pk)
    messages.success(request, _("New matching started."))
    return redirect("jobs:inspect", run.pk)
