"""Admin screens of the referential. Views parse, authorise and call one service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, TitleColumn
from wagtail.admin.views import generic

from backoffice.exceptions import ApplicationError
from backoffice.http import AuthenticatedRequest
from referential_admin import services
from referential_admin.filters import ReferentialChangeFilterSet, SpecialityFilterSet
from referential_admin.models import (
    Alias,
    AtcCorrection,
    ReferentialChange,
    ReferentialImport,
    Speciality,
)
from referential_admin.resources import AliasResource, AtcCorrectionResource
from referential_admin.selectors import speciality_detail, speciality_search
from referential_admin.transfer import table_export, table_import


class SpecialityIndexView(generic.IndexView):
    filterset_class = SpecialityFilterSet
    search_fields = ["search_text"]
    default_ordering = "name"

    def search_queryset(self, queryset: Any) -> Any:
        if not self.is_searching:
            return queryset
        return speciality_search(self.search_query, queryset)

    @property
    def columns(self) -> list[Any]:
        return [
            TitleColumn(
                "name",
                label=_("Name"),
                sort_key="name",
                get_url=lambda s: reverse("specialities:inspect", args=[s.pk]),
            ),
            Column("cis", label=_("CIS"), sort_key="cis"),
            Column("pharmaceutical_form", label=_("Form")),
            Column("marketing_status", label=_("Marketing")),
            Column("holders_text", label=_("Holders")),
            Column("atc_id", label=_("ATC")),
            BooleanColumn("is_mitm", label=_("MITM")),
            Column("status_label", label=_("In the BDPM"), accessor="status_label"),
        ]

    def get_base_queryset(self) -> Any:
        return Speciality.objects.defer("search_text")


class SpecialityInspectView(generic.InspectView):
    template_name = "referential_admin/speciality_inspect.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["detail"] = speciality_detail(self.object)
        return context


class ReferentialImportIndexView(generic.IndexView):
    default_ordering = "-started_at"
    template_name = "referential_admin/import_index.html"

    @property
    def columns(self) -> list[Any]:
        return [
            TitleColumn(
                "pk",
                label=_("Import"),
                accessor=str,
                get_url=lambda i: reverse("referential_imports:inspect", args=[i.pk]),
            ),
            DateColumn("started_at", label=_("Started"), sort_key="started_at"),
            Column("status", label=_("Status"), accessor="get_status_display"),
            Column("source", label=_("Source")),
            Column("summary", label=_("Changes"), accessor="change_summary"),
            Column("rejected_count", label=_("Rejected lines")),
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm("referential_admin.import_referential"):
            context["upload_url"] = reverse("referential_imports:upload")
        return context


class ReferentialImportInspectView(generic.InspectView):
    template_name = "referential_admin/import_inspect.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        imp: ReferentialImport = self.object
        counts = {kind: 0 for kind, _label in ReferentialChange.Kind.choices}
        for kind in imp.changes.values_list("kind", flat=True):
            counts[kind] += 1
        context["change_counts"] = [
            (kind, label, counts[kind])
            for kind, label in ReferentialChange.Kind.choices
        ]
        context["changes_url"] = reverse("referential_changes:index")
        return context


class ReferentialChangeIndexView(generic.IndexView):
    filterset_class = ReferentialChangeFilterSet
    default_ordering = "cis"
    search_fields = ["cis", "name"]

    @property
    def columns(self) -> list[Any]:
        return [
            Column("referential_import", label=_("Import")),
            Column("kind", label=_("Change"), accessor="get_kind_display"),
            Column("cis", label=_("CIS"), sort_key="cis"),
            Column("name", label=_("Name")),
            Column("old_value", label=_("Before")),
            Column("new_value", label=_("After")),
        ]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        # Empty files are refused by the service, which names them.
        super().__init__(allow_empty_file=True, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class BdpmUploadForm(forms.Form):
    files = MultipleFileField(  # type: ignore[assignment]
        label=gettext_lazy("BDPM files"),
        help_text=gettext_lazy(
            "The text files downloaded from the BDPM (CIS_bdpm.txt, CIS_CIP_bdpm.txt, "
            "CIS_COMPO_bdpm.txt, …), several at once, or one zip of them."
        ),
    )


def upload_view(request: AuthenticatedRequest) -> HttpResponse:
    """Upload BDPM files and start their import as a background job."""
    if not request.user.has_perm("referential_admin.import_referential"):
        raise PermissionDenied
    form = BdpmUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            directory = services.referential_upload_store(
                files=form.cleaned_data["files"],
                user=request.user,
            )
            with transaction.atomic():
                run = services.referential_import_enqueue(
                    directory=directory,
                    user=request.user,
                    source=_("Upload by %(user)s")
                    % {"user": request.user.get_username()},
                )
        except ApplicationError as exc:
            form.add_error("files", exc.message)
        else:
            messages.success(request, _("Import started: follow it on this page."))
            return redirect("jobs:inspect", run.pk)
    return TemplateResponse(
        request,
        "referential_admin/upload.html",
        {
            "form": form,
            "page_title": _("Import BDPM files"),
            "header_icon": "upload",
        },
    )


class AliasFormMixin:
    """Aliases are written by the alias service, which normalises the label and
    checks the family; its refusals show on the form."""

    # Provided by the Wagtail edit and create views this mixin comes before.
    request: AuthenticatedRequest
    form: Any
    form_invalid: Callable[[Any], HttpResponse]

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)  # type: ignore[misc]
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            self.produced_error_code = "validation_error"
            self.produced_error_message = exc.message
            return self.form_invalid(form)

    def save_instance(self) -> Alias:
        data = self.form.cleaned_data
        return services.alias_save(
            instance=self.form.instance,
            label=data["label"],
            family=data.get("family", ""),
            speciality=data.get("speciality"),
            note=data.get("note", ""),
            user=self.request.user,
        )


class AliasCreateView(AliasFormMixin, generic.CreateView):
    pass


class AliasEditView(AliasFormMixin, generic.EditView):
    pass


#: Tables that round-trip as XLSX/CSV: resource, model, permission codename, list.
TRANSFERS: dict[str, tuple[Any, Any, str, str]] = {
    "aliases": (AliasResource, Alias, "alias", "aliases:index"),
    "atc-corrections": (
        AtcCorrectionResource,
        AtcCorrection,
        "atccorrection",
        "atc_corrections:index",
    ),
}


def _transfer(kind: str) -> tuple[Any, Any, str, str]:
    if kind not in TRANSFERS:
        raise PermissionDenied
    return TRANSFERS[kind]


def export_view(
    request: AuthenticatedRequest, kind: str, file_format: str
) -> HttpResponse:
    resource, model, codename, _index = _transfer(kind)
    if not request.user.has_perm(f"referential_admin.view_{codename}"):
        raise PermissionDenied
    try:
        content = table_export(resource(), model.objects.all(), file_format)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(_index)
    content_type = (
        "text/csv; charset=utf-8"
        if file_format == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{kind}.{file_format}"'
    return response


class TableImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "An .xlsx or .csv file with the columns of an export. Nothing is imported "
            "if a single row has an error."
        ),
    )


def import_view(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    resource, model, codename, index = _transfer(kind)
    if not request.user.has_perm(f"referential_admin.add_{codename}"):
        raise PermissionDenied
    form = TableImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = table_import(
                resource(),
                content=upload.read(),
                file_name=upload.name,
                user=request.user,
            )
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            if report.imported:
                messages.success(
                    request,
                    _("Imported: %(new)s new, %(update)s updated, %(skip)s unchanged.")
                    % {
                        "new": report.totals.get("new", 0),
                        "update": report.totals.get("update", 0),
                        "skip": report.totals.get("skip", 0),
                    },
                )
                return redirect(index)
    return TemplateResponse(
        request,
        "referential_admin/table_import.html",
        {
            "form": form,
            "report": report,
            "page_title": _("Import: %(name)s")
            % {"name": model._meta.verbose_name_plural},
            "header_icon": "upload",
            "index_url": reverse(index),
        },
    )
