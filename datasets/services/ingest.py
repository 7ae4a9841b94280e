"""The whole path of one file for commands and schedulers: upload, profile,
mapping and cleaning, every job run in this process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from backoffice.exceptions import ApplicationError
from datasets.families import get_family
from datasets.models import (
    DatasetVersion,
    MappingProfile,
    Upload,
)
from datasets.services.extracts import (
    extract_create,
    extract_mapping_suggest,
    extract_root_upload,
    mapping_parts_save,
    parts_missing_message,
    parts_spec,
)
from datasets.services.mappings import (
    mapping_latest,
    mapping_missing_message,
    mapping_save,
    mapping_suggest,
)
from datasets.services.uploads import upload_create, upload_profile
from datasets.services.versions import version_create

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def extract_ingest(
    *,
    path: Path,
    family: str,
    user: AbstractBaseUser | None,
    profile_name: str = "",
    sheet: str | None = None,
) -> DatasetVersion:
    """Upload → profile → mapping → cleaning of one file, every job run in this
    process. The mapping is the named profile's latest version, else the
    automatic suggestion when it covers every required field (saved as a profile
    named after the file). Raises ApplicationError with the French reason."""
    if not path.is_file():
        raise ApplicationError(_("No file at %(path)s.") % {"path": path})
    schema = get_family(family)
    upload, _created = upload_create(
        source=path, name=path.name, family=family, user=user, sheet=sheet, inline=True
    )
    if upload.status != Upload.Status.PROFILED:
        if upload.status == Upload.Status.FAILED:
            raise ApplicationError(upload.error)
        upload = upload_profile(upload=upload)
    if profile_name:
        mapping = _named_profile(family, profile_name)
    else:
        suggestion = mapping_suggest(upload=upload)
        if suggestion.missing:
            raise ApplicationError(
                mapping_missing_message(schema, suggestion.missing)
                + " "
                + _("Name a mapping profile with --profile.")
            )
        mapping = mapping_save(
            family=family,
            name=suggestion.based_on or path.stem,
            spec=suggestion.spec,
            columns=[c["name"] for c in upload.columns],
            user=user,
            note=_("Suggested automatically."),
        )
    version = version_create(upload=upload, mapping=mapping, user=user, inline=True)
    if version.status != DatasetVersion.Status.DRAFT:
        raise ApplicationError(
            version.error or (version.job.error if version.job else "")
        )
    return version


def extract_ingest_parts(
    *,
    paths: list[Path],
    family: str,
    user: AbstractBaseUser | None,
    profile_name: str = "",
) -> DatasetVersion:
    """Upload → parts → mapping → cleaning of a multi-table extract (several
    files, a zip of them or one workbook), every job run in this process. The
    mapping is the named profile's latest version, else a saved profile that
    fits every part, else the columns named by the headers when they give every
    required column (saved as a profile). Raises ApplicationError with the French
    reason."""
    for path in paths:
        if not path.is_file():
            raise ApplicationError(_("No file at %(path)s.") % {"path": path})
    version = extract_upload(
        sources=[(path, path.name) for path in paths],
        family=family,
        user=user,
        profile_name=profile_name,
        inline=True,
    )
    if version.status != DatasetVersion.Status.DRAFT:
        raise ApplicationError(
            version.error or (version.job.error if version.job else "")
        )
    return version


def extract_upload(
    *,
    sources: list[tuple[Any, str]],
    family: str,
    user: AbstractBaseUser | None,
    profile_name: str = "",
    inline: bool = False,
) -> DatasetVersion:
    """Store the tables of a multi-table extract (files, a zip or a workbook),
    map them (the named profile, else a saved profile that fits every table,
    else the columns their headers name, saved as a profile named after the
    first file) and start the cleaning of a new draft version (in a worker, or
    in this process when ``inline``). Raises ApplicationError naming what is
    missing; PermissionRefused outside the user's directorate."""
    spec = parts_spec(family)
    extract = extract_create(sources=sources, family=family, user=user)
    if profile_name:
        mapping = _named_profile(family, profile_name)
    else:
        suggestion = extract_mapping_suggest(extract=extract)
        if suggestion.missing:
            raise ApplicationError(parts_missing_message(spec, suggestion.missing))
        mapping = mapping_parts_save(
            family=family,
            name=suggestion.based_on or Path(sources[0][1]).stem,
            spec=suggestion.spec,
            user=user,
            note=_("Suggested automatically."),
        )
    return version_create(
        upload=extract_root_upload(extract),
        mapping=mapping,
        user=user,
        inline=inline,
        extract=extract,
    )


def _named_profile(family: str, profile_name: str) -> MappingProfile:
    profiles = [p for p in mapping_latest(family) if p.name == profile_name]
    if not profiles:
        names = ", ".join(sorted(p.name for p in mapping_latest(family)))
        raise ApplicationError(
            _("No mapping profile named “%(name)s”. Profiles: %(names)s.")
            % {"name": profile_name, "names": names or "-"}
        )
    return profiles[0]
