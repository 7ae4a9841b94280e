"""The registry of data families: one declarative schema per family."""

from __future__ import annotations

from django.utils.translation import gettext as _

from backoffice.exceptions import ApplicationError
from datasets.pipeline.schema import FamilySchema

FAMILIES: dict[str, FamilySchema] = {}


def register_family(schema: FamilySchema) -> FamilySchema:
    """Add a family to the registry (called when its module is imported)."""
    FAMILIES[schema.key] = schema
    return schema


def get_family(key: str) -> FamilySchema:
    """The family's schema; ApplicationError when no such family is registered."""
    try:
        return FAMILIES[key]
    except KeyError:
        raise ApplicationError(
            _("Unknown data family: %(family)s. Known families: %(known)s.")
            % {"family": key, "known": ", ".join(sorted(FAMILIES)) or "-"}
        ) from None


def family_choices() -> list[tuple[str, str]]:
    """(key, label) of every registered family, for forms and filters."""
    return [(key, str(schema.label)) for key, schema in FAMILIES.items()]


def load_families() -> None:
    """Import every family module so that it registers itself."""
    # Called when the apps are ready: the families' public sections read models.
    from datasets.families import shortages  # noqa: F401  (registers itself)
    from datasets.families.pharmacovigilance import public, schema  # noqa: F401
