from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

from tasks.models import JobRun
from tasks.registry import kind_choices


class JobRunFilterSet(WagtailFilterSet):
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=JobRun.Status.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=kind_choices)
    created_at = django_filters.DateFromToRangeFilter(
        label=_("Created"), widget=DateRangePickerWidget
    )

    class Meta:
        model = JobRun
        fields = ["status", "kind", "created_at"]
