"""Extracts made of several tables (a pharmacovigilance extract is three files,
or one workbook with those sheets, joined on a case key): which file or sheet is
which part, which parts are missing, and which rows of a part link to no row of
the root part. A general capability of family schemas, not one family's code.

Pure: no framework import; the French messages are built by the caller from the
counts returned here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from referential_admin.text import fold


@dataclass(frozen=True)
class PartSpec:
    """One table of a multi-table extract, recognised by fragments of its file
    or sheet name (compared folded: no case, accents or punctuation)."""

    name: str
    label: str
    patterns: tuple[str, ...]
    required: bool = True
    #: The part's columns as the family's rules name them (a part's mapping
    #: gives each the source's header), and those the cleaning cannot do without.
    columns: tuple[str, ...] = ()
    required_columns: tuple[str, ...] = ()

    def matches(self, source_name: str) -> bool:
        folded = fold(source_name)
        return any(fold(pattern) in folded for pattern in self.patterns)


@dataclass(frozen=True)
class MultiTableSpec:
    """The parts of an extract, the root part the others link to, and the key
    columns every part carries."""

    root: str
    keys: tuple[str, ...]
    parts: tuple[PartSpec, ...]

    def part(self, name: str) -> PartSpec:
        return next(part for part in self.parts if part.name == name)


@dataclass(frozen=True)
class Assignment:
    """Which source (file or sheet name) is which part."""

    parts: dict[str, str]
    missing: tuple[str, ...]
    unknown: tuple[str, ...]
    ambiguous: tuple[str, ...] = ()


def assign_parts(source_names: Sequence[str], spec: MultiTableSpec) -> Assignment:
    """Each source name → the one part it names. Required parts named by no
    source are ``missing``; sources naming no part are ``unknown``; a part named
    by several sources, or a source naming several parts, is ``ambiguous``."""
    found: dict[str, list[str]] = {part.name: [] for part in spec.parts}
    unknown: list[str] = []
    ambiguous: list[str] = []
    for source in source_names:
        named = [part.name for part in spec.parts if part.matches(source)]
        if not named:
            unknown.append(source)
        elif len(named) > 1:
            ambiguous.append(source)
        else:
            found[named[0]].append(source)
    parts: dict[str, str] = {}
    for name, sources in found.items():
        if len(sources) == 1:
            parts[name] = sources[0]
        elif sources:
            ambiguous.extend(sources)
    missing = tuple(
        part.name for part in spec.parts if part.required and part.name not in parts
    )
    return Assignment(parts, missing, tuple(unknown), tuple(ambiguous))


@dataclass
class LinkReport:
    """Per part: rows read, rows kept, rows whose key matches no root row; and the
    root's rows that no row of a part links to."""

    rows: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    orphans: dict[str, int] = field(default_factory=dict)
    root_without: dict[str, int] = field(default_factory=dict)


def _key_index(frame: pd.DataFrame, keys: Sequence[str]) -> pd.MultiIndex:
    text = frame[list(keys)].astype("string").apply(lambda c: c.str.strip())
    return pd.MultiIndex.from_frame(text.fillna(""))


def link_parts(
    frames: Mapping[str, pd.DataFrame], spec: MultiTableSpec
) -> tuple[dict[str, pd.DataFrame], LinkReport]:
    """Keep each part's rows whose key (stripped text) matches a row of the root
    part; count the others. The root part is returned whole. Keys are compared
    as whole tuples in one vectorised membership test per part."""
    root = frames[spec.root]
    root_keys = _key_index(root, spec.keys)
    report = LinkReport()
    linked: dict[str, pd.DataFrame] = {spec.root: root}
    report.rows[spec.root] = report.kept[spec.root] = len(root)
    for name, frame in frames.items():
        if name == spec.root:
            continue
        keys = _key_index(frame, spec.keys)
        inside = keys.isin(root_keys)
        linked[name] = frame.loc[inside]
        report.rows[name] = len(frame)
        report.kept[name] = int(inside.sum())
        report.orphans[name] = int((~inside).sum())
        report.root_without[name] = int((~root_keys.isin(keys)).sum())
    return linked, report


def suggest_part_columns(part: PartSpec, headers: Sequence[str]) -> dict[str, str]:
    """Column of the part → the source header that names it (compared folded);
    columns no header names are left out."""
    by_folded = {fold(header): header for header in reversed(headers)}
    return {
        column: by_folded[fold(column)]
        for column in part.columns
        if fold(column) in by_folded
    }


def missing_part_columns(part: PartSpec, columns: Mapping[str, str]) -> list[str]:
    """The part's required columns its mapping gives no header for."""
    return [name for name in part.required_columns if not columns.get(name)]


def rename_part(
    frame: pd.DataFrame, part: PartSpec, columns: Mapping[str, str]
) -> pd.DataFrame:
    """The part's frame with its columns as the rules name them (a column the
    mapping leaves out is empty text)."""
    out = {
        name: frame[columns[name]] if columns.get(name) in frame else ""
        for name in part.columns
    }
    return pd.DataFrame(out, index=frame.index)


@dataclass
class Assembled:
    """What a multi-table family's assembly gives the pipeline: one frame of raw
    text values named after the family's fields (one row per record), the file
    row each record comes from (in its ``origin`` part), and the counts its
    quality report states (rows per part, rows linked to no case, …)."""

    frame: pd.DataFrame
    origin: str
    row_positions: pd.Series
    links: LinkReport
    counts: dict[str, int] = field(default_factory=dict)
