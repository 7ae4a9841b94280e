"""Mapping profiles: the versioned mapping of a source's export format to a
family, proposed from earlier profiles, headers and values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from backoffice.exceptions import ApplicationError
from datasets.families import get_family
from datasets.models import (
    MappingProfile,
    Upload,
)
from datasets.pipeline.mapping import (
    MappingError,
    MappingSpec,
    Suggestion,
    header_signature,
    missing_required,
    suggest_mapping,
)
from datasets.pipeline.schema import FamilySchema
from datasets.services.common import author_of, quoted

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def mapping_presets_ensure(family: str) -> None:
    """Create version 1 of the family's ready-made profiles if missing."""
    schema = get_family(family)
    for name, spec in schema.presets.items():
        if not MappingProfile.objects.filter(family=family, name=name).exists():
            mapping = MappingSpec.from_dict(spec)
            MappingProfile.objects.create(
                family=family,
                name=name,
                version=1,
                spec=mapping.as_dict(),
                header_signature=header_signature(mapping.columns.values()),
                note=_("Ready-made profile of the family."),
            )


def mapping_latest(family: str) -> list[MappingProfile]:
    """The newest version of each of the family's profiles, newest first."""
    mapping_presets_ensure(family)
    latest = (
        MappingProfile.objects.filter(family=family)
        .values("name")
        .annotate(last=Max("version"))
    )
    wanted = {(row["name"], row["last"]) for row in latest}
    profiles = MappingProfile.objects.filter(family=family).order_by(
        "-created_at", "-pk"
    )
    return [p for p in profiles if (p.name, p.version) in wanted]


def mapping_suggest(*, upload: Upload) -> Suggestion:
    """The mapping proposed for a profiled upload (saved profile, headers, values)."""
    schema = get_family(upload.family)
    earlier = [
        (p.name, MappingSpec.from_dict(p.spec)) for p in mapping_latest(upload.family)
    ]
    return suggest_mapping(schema, upload.columns, earlier)


def mapping_save(
    *,
    family: str,
    name: str,
    spec: MappingSpec,
    columns: Iterable[str],
    user: AbstractBaseUser | None,
    note: str = "",
) -> MappingProfile:
    """Save the mapping as the next version of the profile ``name`` (or reuse the
    latest version when nothing changed). Raises ApplicationError for an unknown
    field or vocabulary code."""
    schema = get_family(family)
    known = set(schema.field_names)
    for section in (spec.columns, spec.constants, spec.value_maps, spec.date_formats):
        unknown = sorted(set(section) - known)
        if unknown:
            raise ApplicationError(
                _("Unknown fields in the mapping: %(fields)s.")
                % {"fields": ", ".join(unknown)}
            )
    for field_name, values in spec.value_maps.items():
        vocabulary = schema.field(field_name).vocabulary
        wrong = sorted({code for code in values.values() if code not in vocabulary})
        if wrong:
            raise ApplicationError(
                _("“%(codes)s” are not values of “%(field)s”.")
                % {"codes": ", ".join(wrong), "field": schema.field(field_name).label}
            )
    cleaned = MappingSpec.from_dict(spec.as_dict())
    cleaned.columns = {k: v for k, v in cleaned.columns.items() if v}
    cleaned.constants = {k: v for k, v in cleaned.constants.items() if v.strip()}
    cleaned.value_maps = {k: v for k, v in cleaned.value_maps.items() if v}
    cleaned.date_formats = {k: v for k, v in cleaned.date_formats.items() if v}
    return profile_version_save(
        family=family,
        name=name,
        spec=cleaned.as_dict(),
        columns=columns,
        user=user,
        note=note,
    )


def profile_version_save(
    *,
    family: str,
    name: str,
    spec: dict[str, Any],
    columns: Iterable[str],
    user: AbstractBaseUser | None,
    note: str = "",
) -> MappingProfile:
    """Save ``spec`` (already checked) as the next version of the profile
    ``name``, or return the latest version when it holds the same mapping.
    ApplicationError without a name."""
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the source a name (for example “TrustMed”)."))
    with transaction.atomic():
        last = (
            MappingProfile.objects.select_for_update()
            .filter(family=family, name=name)
            .order_by("-version")
            .first()
        )
        if last is not None and last.spec == spec:
            return last
        profile = MappingProfile(
            family=family,
            name=name,
            version=(last.version + 1) if last is not None else 1,
            spec=spec,
            header_signature=header_signature(columns),
            note=note,
            created_by=author_of(user),
        )
        profile.full_clean()
        profile.save()
        log(
            instance=profile,
            action="datamed.mapping",
            user=author_of(user),
            data={"name": name, "version": profile.version, "family": family},
        )
    return profile


def check_mapping(
    schema: FamilySchema, spec: MappingSpec, columns: list[dict[str, Any]]
) -> None:

    missing = missing_required(schema, spec)
    if missing:
        raise ApplicationError(mapping_missing_message(schema, missing))
    names = {str(c["name"]) for c in columns}
    if names:
        absent = sorted({c for c in spec.columns.values() if c and c not in names})
        if absent:
            raise ApplicationError(
                _("The file has no column named %(columns)s.")
                % {"columns": ", ".join(quoted(c) for c in absent)}
            )


def mapping_missing_message(schema: FamilySchema, groups: list[Any]) -> str:
    """French sentence naming the required fields a mapping leaves out."""
    parts = []
    for group in groups:
        labels = [quoted(schema.field(name).label) for name in group]
        parts.append(_(" or ").join(labels))
    return _("Required fields without a column or a constant: %(fields)s.") % {
        "fields": "; ".join(parts)
    }


def mapping_error_message(schema: FamilySchema, exc: MappingError) -> str:
    if exc.code == "REQUIRED_FIELD_UNMAPPED":
        return mapping_missing_message(schema, exc.params["fields"])
    return _("The file has no column named %(columns)s.") % {
        "columns": ", ".join(quoted(c) for c in exc.params.get("columns", []))
    }
