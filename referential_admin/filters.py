from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from referential_admin.models import (
    AtcClass,
    ReferentialChange,
    ReferentialImport,
    Speciality,
)


def _level1_choices() -> list[tuple[str, str]]:
    return [
        (code, f"{code} – {label}")
        for code, label in AtcClass.objects.filter(level=1).values_list("code", "label")
    ]


def _distinct(field: str) -> Any:
    def choices() -> list[tuple[str, str]]:
        values = (
            Speciality.objects.exclude(**{field: ""})
            .order_by(field)
            .values_list(field, flat=True)
            .distinct()
        )
        return [(value, value) for value in values]

    return choices


class SpecialityFilterSet(WagtailFilterSet):
    marketing_status = django_filters.ChoiceFilter(
        label=_("Marketing status"), choices=_distinct("marketing_status")
    )
    authorisation_status = django_filters.ChoiceFilter(
        label=_("Authorisation status"), choices=_distinct("authorisation_status")
    )
    is_mitm = django_filters.BooleanFilter(label=_("MITM"))
    withdrawn = django_filters.BooleanFilter(
        label=_("Withdrawn from the BDPM"),
        field_name="withdrawn_at",
        lookup_expr="isnull",
        exclude=True,
    )
    atc = django_filters.ChoiceFilter(
        label=_("ATC class (level 1)"), choices=_level1_choices, method="filter_atc"
    )
    holder = django_filters.CharFilter(
        label=_("Holder"), field_name="holders__name", lookup_expr="icontains"
    )

    class Meta:
        model = Speciality
        fields = ["marketing_status", "authorisation_status", "is_mitm"]

    def filter_atc(
        self, queryset: QuerySet[Speciality], name: str, value: str
    ) -> QuerySet[Speciality]:
        return queryset.filter(atc_id__startswith=value) if value else queryset


class ReferentialChangeFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Change"), choices=ReferentialChange.Kind.choices
    )
    referential_import = django_filters.ModelChoiceFilter(
        label=_("Import"), queryset=ReferentialImport.objects.all()
    )

    class Meta:
        model = ReferentialChange
        fields = ["kind", "referential_import"]
