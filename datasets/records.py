"""The read side of a family's records for every app above datasets: which model
holds them, how their fields are named in French, which match methods wait for a
person."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _

from datasets.pipeline.schema import FamilySchema

#: Match methods of the records that wait for a person's decision.
TO_REVIEW = ("unmatched", "review", "ambiguous")


def record_model(schema: FamilySchema) -> type[models.Model]:
    """The typed record model of a family."""
    return apps.get_model(schema.record_model)


def field_labels(schema: FamilySchema) -> dict[str, str]:
    """Field name → French label, with the pseudo-fields issues use."""
    labels = {spec.name: str(spec.label) for spec in schema.fields}
    labels["record_key"] = str(_("natural key"))
    labels["medicine"] = str(_("Medicine"))
    labels[""] = ""
    return labels
