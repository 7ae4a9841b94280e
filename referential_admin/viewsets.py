from __future__ import annotations

from typing import Any

from django import forms
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from backoffice.viewsets import ReadOnlyModelViewSet
from referential_admin import views
from referential_admin.models import (
    Alias,
    AtcClass,
    AtcCorrection,
    Holder,
    Presentation,
    ReferentialChange,
    ReferentialImport,
    Speciality,
    Substance,
)


class SpecialityViewSet(ReadOnlyModelViewSet):
    model = Speciality
    icon = "doc-full"
    menu_label = _("Specialities")
    index_view_class = views.SpecialityIndexView
    inspect_view_class = views.SpecialityInspectView
    list_per_page = 50


class PresentationViewSet(ReadOnlyModelViewSet):
    model = Presentation
    icon = "list-ul"
    menu_label = _("Presentations")
    list_display = [
        "label",
        "cip13",
        "cip7",
        "speciality_id",
        "marketing_status",
        "price",
    ]
    search_fields = ["cip13", "cip7", "label", "speciality__name"]
    list_filter = ["administrative_status", "hospital_approval"]
    list_per_page = 50


class SubstanceViewSet(ReadOnlyModelViewSet):
    model = Substance
    icon = "pick"
    menu_label = _("Substances")
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    list_per_page = 50


class AtcClassViewSet(ReadOnlyModelViewSet):
    model = AtcClass
    icon = "folder-open-inverse"
    menu_label = _("ATC classes")
    list_display = ["code", "label", "level", "parent_id"]
    search_fields = ["code", "label"]
    list_filter = ["level"]
    list_per_page = 50


class HolderViewSet(ReadOnlyModelViewSet):
    model = Holder
    icon = "group"
    menu_label = _("Holders")
    list_display = ["name"]
    search_fields = ["name"]
    list_per_page = 50


class ReferentialImportViewSet(ReadOnlyModelViewSet):
    model = ReferentialImport
    icon = "download"
    menu_label = _("Imports")
    index_view_class = views.ReferentialImportIndexView
    inspect_view_class = views.ReferentialImportInspectView

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("upload/", views.upload_view, name="upload"),
        ]


class ReferentialChangeViewSet(ReadOnlyModelViewSet):
    model = ReferentialChange
    icon = "history"
    menu_label = _("Changes")
    index_view_class = views.ReferentialChangeIndexView
    inspect_view_enabled = False
    list_per_page = 100


class CisChoiceField(forms.ModelChoiceField):
    """A speciality typed as its CIS code (16,000 choices do not fit a select)."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=Speciality.objects.all(), to_field_name="cis", **kwargs
        )


class AliasForm(WagtailAdminModelForm):
    speciality = CisChoiceField(
        label=_("CIS code"),
        required=False,
        help_text=_("Leave empty to record the label as outside the referential."),
    )

    class Meta:
        model = Alias
        fields = ["label", "family", "speciality", "note"]


class AtcCorrectionForm(WagtailAdminModelForm):
    speciality = CisChoiceField(label=_("CIS code"))

    class Meta:
        model = AtcCorrection
        fields = ["speciality", "atc_code", "note"]


class TransferViewSetMixin:
    transfer_kind = ""

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),  # type: ignore[misc]
            path(
                "export/<str:file_format>/",
                views.export_view,
                {"kind": self.transfer_kind},
                name="export",
            ),
            path(
                "import/",
                views.import_view,
                {"kind": self.transfer_kind},
                name="import",
            ),
        ]


class AliasViewSet(TransferViewSetMixin, ModelViewSet):
    model = Alias
    icon = "link"
    menu_label = _("Aliases")

    def get_form_class(self, for_update: bool = False) -> type[AliasForm]:
        return AliasForm

    add_view_class = views.AliasCreateView
    edit_view_class = views.AliasEditView
    list_display = ["label", "speciality", "family", "created_by", "created_at"]
    search_fields = ["label", "normalised_label", "speciality__name", "speciality__cis"]
    list_filter = ["family"]
    copy_view_enabled = False
    transfer_kind = "aliases"
    index_template_name = "referential_admin/transfer_index.html"


class AtcCorrectionViewSet(TransferViewSetMixin, ModelViewSet):
    model = AtcCorrection
    icon = "edit"
    menu_label = _("ATC corrections")

    def get_form_class(self, for_update: bool = False) -> type[AtcCorrectionForm]:
        return AtcCorrectionForm

    list_display = ["speciality", "atc_code", "note", "created_by", "created_at"]
    search_fields = ["speciality__cis", "speciality__name", "atc_code"]
    copy_view_enabled = False
    transfer_kind = "atc-corrections"
    index_template_name = "referential_admin/transfer_index.html"


class ReferentialViewSetGroup(ModelViewSetGroup):
    menu_label = _("Referential")
    menu_icon = "doc-full-inverse"
    menu_name = "referential"
    menu_order = 200
    items = (
        SpecialityViewSet("specialities", url_prefix="referentiel/specialites"),
        PresentationViewSet("presentations", url_prefix="referentiel/presentations"),
        SubstanceViewSet("substances", url_prefix="referentiel/substances"),
        AtcClassViewSet("atc_classes", url_prefix="referentiel/atc"),
        HolderViewSet("holders", url_prefix="referentiel/titulaires"),
        AliasViewSet("aliases", url_prefix="referentiel/alias"),
        AtcCorrectionViewSet(
            "atc_corrections", url_prefix="referentiel/corrections-atc"
        ),
        ReferentialImportViewSet(
            "referential_imports", url_prefix="referentiel/imports"
        ),
        ReferentialChangeViewSet(
            "referential_changes", url_prefix="referentiel/changements"
        ),
    )
