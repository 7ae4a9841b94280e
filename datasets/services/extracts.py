"""Extracts made of several tables: the files (or a zip of them, or one workbook
with a sheet per table) stored as raw uploads, each table recognised as a part
of the family's extract, read and described like an extract of its own, and
mapped by one versioned profile for all its parts."""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.exceptions import ApplicationError
from datasets.families import get_family
from datasets.messages import read_error_message
from datasets.models import Extract, ExtractPart, MappingProfile, Upload
from datasets.permissions import family_check
from datasets.pipeline import read
from datasets.pipeline.parts import (
    MultiTableSpec,
    assign_parts,
    missing_part_columns,
    suggest_part_columns,
)
from datasets.services.common import (
    author_of,
    max_uncompressed_bytes,
    max_upload_bytes,
    quoted,
    read_error,
)
from datasets.services.mappings import mapping_latest, profile_version_save
from datasets.services.uploads import upload_create

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass
class _Table:
    """One table found among the sources: its upload, sheet and how it reads."""

    name: str
    upload: Upload
    sheet: str
    detection: read.Detection
    columns: list[str] = field(default_factory=list)


def parts_spec(family: str) -> MultiTableSpec:
    """The family's parts; ApplicationError for a family of one-table extracts."""
    spec = get_family(family).parts
    if spec is None:
        raise ApplicationError(
            _("Extracts of this family are a single file: upload one file.")
        )
    return spec


def _is_plain_zip(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return "xl/workbook.xml" not in archive.namelist()


def _unpacked(path: Path, name: str, folder: Path) -> list[tuple[Path, str]]:
    """The members of a zip of tables, written to ``folder`` (a member is stored
    as it is, byte for byte). Refuses an archive larger than the uncompressed
    limit once expanded, nested folders' junk, and a member whose CRC fails."""
    limit = max_uncompressed_bytes()
    out: list[tuple[Path, str]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                m
                for m in archive.infolist()
                if not m.is_dir()
                and not Path(m.filename).name.startswith(".")
                and "__MACOSX" not in m.filename
            ]
            total = sum(m.file_size for m in members)
            if total > limit:
                raise ApplicationError(
                    _(
                        "%(name)s: the archive holds %(size)s bytes once expanded, "
                        "more than the %(limit)s accepted."
                    )
                    % {"name": quoted(name), "size": total, "limit": limit}
                )
            for index, member in enumerate(members):
                target = folder / f"{index}"
                with archive.open(member) as source, target.open("wb") as copy:
                    while chunk := source.read(1024 * 1024):
                        copy.write(chunk)
                out.append((target, Path(member.filename).name))
    except (zipfile.BadZipFile, OSError) as exc:
        raise ApplicationError(
            _("%(name)s: the archive is damaged and cannot be read (%(error)s).")
            % {"name": quoted(name), "error": exc}
        ) from exc
    if not out:
        raise ApplicationError(
            _("%(name)s: the archive is empty.") % {"name": quoted(name)}
        )
    return out


def _received(source: Any, name: str, target: Path) -> Path:
    """Copy a received file object to ``target``, refusing it past the size
    limit (the copy is removed with its folder)."""
    limit = max_upload_bytes()
    size = 0
    with target.open("wb") as out:
        chunks = (
            source.chunks()
            if hasattr(source, "chunks")
            else iter(lambda: source.read(1024 * 1024), b"")
        )
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise ApplicationError(
                    read_error_message(
                        "TOO_LARGE", {"size": size, "limit": limit}, name
                    )
                )
            out.write(chunk)
    return target


def _tables_of(upload: Upload, name: str) -> list[_Table]:
    """The tables of one stored upload: one per sheet of a workbook, else one."""
    path = Path(upload.file.path)
    detection = read.Detection.from_dict(upload.detection)
    if detection.format != "xlsx" or len(detection.sheets) <= 1:
        return [_Table(name, upload, detection.sheet, detection)]
    tables = []
    for sheet in detection.sheets:
        try:
            sheet_detection = read.sniff(
                path,
                max_bytes=max_upload_bytes(),
                max_uncompressed=max_uncompressed_bytes(),
                sheet=sheet,
            )
        except read.ReadError:
            continue  # an empty sheet or a sheet of notes: not a table
        tables.append(_Table(sheet, upload, sheet, sheet_detection))
    return tables


def _columns(table: _Table) -> list[str]:
    try:
        sample = read.read_table(table.upload.file.path, table.detection, nrows=50)
    except read.ReadError as exc:
        raise read_error(exc, table.name) from exc
    return [str(column) for column in sample.columns]


def _assignment_error(
    spec: MultiTableSpec,
    missing: Sequence[str],
    unknown: Sequence[str],
    ambiguous: Sequence[str],
) -> str:
    messages = []
    if missing:
        labels = ", ".join(quoted(spec.part(name).label) for name in missing)
        messages.append(_("Missing tables: %(parts)s.") % {"parts": labels})
    if ambiguous:
        messages.append(
            _("These files or sheets name the same table, or several: %(names)s.")
            % {"names": ", ".join(quoted(n) for n in ambiguous)}
        )
    if unknown:
        messages.append(
            _("Not a table of this extract: %(names)s.")
            % {"names": ", ".join(quoted(n) for n in unknown)}
        )
    expected = ", ".join(quoted(part.label) for part in spec.parts)
    messages.append(
        _("Each file or sheet must be named after its table: %(parts)s.")
        % {"parts": expected}
    )
    return " ".join(messages)


def extract_create(
    *,
    sources: Sequence[tuple[Any, str]],
    family: str,
    user: AbstractBaseUser | None,
) -> Extract:
    """Store the sources (paths or file objects with their names: several files,
    a zip of them, or one workbook with a sheet per table) as raw uploads, and
    record which is which part of the family's extract, with how each reads and
    its columns.

    Raises ApplicationError, naming the files, when a table is missing, when a
    file or sheet names no table or several, or when a file cannot be read;
    the raw files already stored are kept. PermissionRefused for a family
    outside the user's directorate.
    """
    family_check(user, family)
    spec = parts_spec(family)
    tables: list[_Table] = []
    with tempfile.TemporaryDirectory(prefix="datamed-extract-") as folder:
        expanded: list[tuple[Any, str]] = []
        for index, (given, name) in enumerate(sources):
            source = given
            if not isinstance(source, (str, Path)):
                # A file received by the web server: looked at as a file (a zip
                # of tables is opened), stored as it is by upload_create.
                source = _received(given, name, Path(folder) / f"received-{index}")
            if _is_plain_zip(Path(source)):
                sub = Path(folder) / str(index)
                sub.mkdir()
                expanded.extend(_unpacked(Path(source), name, sub))
            else:
                expanded.append((source, name))
        for source, name in expanded:
            upload, _created = upload_create(
                source=source, name=name, family=family, user=user, inline=True
            )
            if upload.status == Upload.Status.FAILED:
                raise ApplicationError(upload.error)
            tables.extend(_tables_of(upload, name))
    assignment = assign_parts([t.name for t in tables], spec)
    if assignment.missing or assignment.unknown or assignment.ambiguous:
        raise ApplicationError(
            _assignment_error(
                spec, assignment.missing, assignment.unknown, assignment.ambiguous
            )
        )
    by_name = {t.name: t for t in tables}
    names = [name for _source, name in sources]
    with transaction.atomic():
        extract = Extract.objects.create(
            family=family,
            name=" + ".join(names)[:255],
            created_by=author_of(user),
        )
        for part, table_name in assignment.parts.items():
            table = by_name[table_name]
            ExtractPart.objects.create(
                extract=extract,
                part=part,
                upload=table.upload,
                sheet=table.sheet,
                detection=table.detection.as_dict(),
                columns=_columns(table),
            )
    return extract


@dataclass
class PartsSuggestion:
    """The proposed mapping of every part (part → column → header), the profile
    it starts from, and each part's required columns left without a header."""

    spec: dict[str, Any]
    missing: dict[str, list[str]]
    based_on: str = ""


def extract_mapping_suggest(*, extract: Extract) -> PartsSuggestion:
    """The latest profile of the family whose every part's required columns are
    found in this extract's headers, else the columns named by the headers."""
    spec = parts_spec(extract.family)
    parts = {p.part: p for p in extract.parts.all()}
    for profile in mapping_latest(extract.family):
        columns = profile.spec.get("parts") or {}
        if parts_missing(spec, profile.spec, parts) == {}:
            return PartsSuggestion({"parts": columns}, {}, based_on=profile.name)
    proposal = {
        name: {"columns": suggest_part_columns(spec.part(name), part.columns)}
        for name, part in parts.items()
    }
    suggested = {"parts": proposal}
    return PartsSuggestion(suggested, parts_missing(spec, suggested, parts))


def parts_missing(
    spec: MultiTableSpec, mapping: dict[str, Any], parts: dict[str, ExtractPart]
) -> dict[str, list[str]]:
    """Per part: required columns the mapping leaves out or names by a header the
    part does not have."""
    missing: dict[str, list[str]] = {}
    given = mapping.get("parts") or {}
    for name, part in parts.items():
        columns = {
            k: v
            for k, v in ((given.get(name) or {}).get("columns") or {}).items()
            if v in part.columns
        }
        absent = missing_part_columns(spec.part(name), columns)
        if absent:
            missing[name] = absent
    return missing


def parts_missing_message(spec: MultiTableSpec, missing: dict[str, list[str]]) -> str:
    """French sentence naming, per table, the required columns left out."""
    return _("Required columns without a source column: %(parts)s.") % {
        "parts": "; ".join(
            _("%(part)s: %(columns)s")
            % {
                "part": quoted(spec.part(name).label),
                "columns": ", ".join(columns),
            }
            for name, columns in missing.items()
        )
    }


def check_parts_mapping(extract: Extract, mapping: MappingProfile) -> None:
    """ApplicationError naming the required columns the mapping leaves out."""
    spec = parts_spec(extract.family)
    if not mapping.spec.get("parts"):
        raise ApplicationError(
            _("This mapping profile maps a single file, not the tables of an extract.")
        )
    missing = parts_missing(
        spec, mapping.spec, {p.part: p for p in extract.parts.all()}
    )
    if missing:
        raise ApplicationError(parts_missing_message(spec, missing))


def extract_root_upload(extract: Extract) -> Upload:
    """The upload holding the extract's root part (the version's upload)."""
    spec = parts_spec(extract.family)
    return extract.parts.select_related("upload").get(part=spec.root).upload


def mapping_parts_save(
    *,
    family: str,
    name: str,
    spec: dict[str, Any],
    user: AbstractBaseUser | None,
    note: str = "",
) -> MappingProfile:
    """Save the mapping of every part (``{"parts": {part: {"columns": {column:
    header}}}}``) as the next version of the profile ``name``: one profile for
    all the tables of the source. Raises ApplicationError for an unknown part or
    column."""
    parts = parts_spec(family)
    known = {part.name: set(part.columns) for part in parts.parts}
    cleaned: dict[str, Any] = {}
    headers: list[str] = []
    for part_name, part_spec in (spec.get("parts") or {}).items():
        if part_name not in known:
            raise ApplicationError(
                _("Unknown table in the mapping: %(part)s.") % {"part": part_name}
            )
        columns = {k: v for k, v in (part_spec.get("columns") or {}).items() if v}
        unknown = sorted(set(columns) - known[part_name])
        if unknown:
            raise ApplicationError(
                _("Unknown columns of %(part)s in the mapping: %(columns)s.")
                % {
                    "part": quoted(parts.part(part_name).label),
                    "columns": ", ".join(unknown),
                }
            )
        cleaned[part_name] = {"columns": columns}
        headers.extend(f"{part_name}:{header}" for header in columns.values())
    return profile_version_save(
        family=family,
        name=name,
        spec={"parts": cleaned},
        columns=headers,
        user=user,
        note=note,
    )
