"""Mapping a raw table to a family's fields: the mapping itself, its application,
and the automatic suggestion from header names, earlier mappings and sample values."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from datasets.pipeline.arrowtext import Distinct, repeated
from datasets.pipeline.schema import FamilySchema, FieldSpec
from referential_admin.text import TEXT, fold, fold_series


class MappingError(Exception):
    """The mapping cannot be applied; ``code`` is stable, ``params`` name the cause."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


@dataclass
class MappingSpec:
    """Raw column → field, constants, value maps and date formats of one source."""

    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    date_formats: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": dict(self.columns),
            "constants": dict(self.constants),
            "value_maps": {k: dict(v) for k, v in self.value_maps.items()},
            "date_formats": dict(self.date_formats),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> MappingSpec:
        data = data or {}
        return cls(
            columns={str(k): str(v) for k, v in (data.get("columns") or {}).items()},
            constants={
                str(k): str(v) for k, v in (data.get("constants") or {}).items()
            },
            value_maps={
                str(k): {str(a): str(b) for a, b in (v or {}).items()}
                for k, v in (data.get("value_maps") or {}).items()
            },
            date_formats={
                str(k): str(v) for k, v in (data.get("date_formats") or {}).items()
            },
        )

    def provides(self, name: str) -> bool:
        return bool(self.columns.get(name) or self.constants.get(name))


def fold_values(series: pd.Series) -> pd.Series:
    """``fold`` over a series (missing values fold to ""), computed once per
    distinct value by Arrow's kernels; the result is an Arrow-backed ``str``
    series."""
    distinct = Distinct(series)
    return distinct.spread(fold_series(distinct.uniques))


def missing_required(schema: FamilySchema, spec: MappingSpec) -> list[tuple[str, ...]]:
    """The required field groups the mapping provides no source for."""
    return [
        group
        for group in schema.required_groups()
        if not any(spec.provides(name) for name in group)
    ]


def apply_mapping(
    frame: pd.DataFrame, schema: FamilySchema, spec: MappingSpec
) -> pd.DataFrame:
    """One string column per family field, taken from the raw frame.

    Unmapped fields are empty. Raises MappingError ``REQUIRED_FIELD_UNMAPPED``
    (naming the fields) or ``UNKNOWN_COLUMN`` before any row is read.
    """
    missing = missing_required(schema, spec)
    if missing:
        raise MappingError(
            "REQUIRED_FIELD_UNMAPPED", fields=[list(group) for group in missing]
        )
    unknown = [c for c in spec.columns.values() if c and c not in frame.columns]
    if unknown:
        raise MappingError("UNKNOWN_COLUMN", columns=unknown)
    out: dict[str, pd.Series] = {}
    n = len(frame)
    for spec_field in schema.fields:
        name = spec_field.name
        column = spec.columns.get(name)
        constant = spec.constants.get(name, "")
        if column:
            values = frame[column]
            if values.dtype != TEXT or values.hasnans:
                values = values.fillna("").astype(TEXT)
            if constant:
                values = values.where(values.str.strip() != "", constant)
            out[name] = values
        else:
            out[name] = repeated(constant, n, frame.index)
    return pd.DataFrame(out, index=frame.index)


# --------------------------------------------------------------------------------------
# Suggestion
# --------------------------------------------------------------------------------------

_VALUE_PATTERNS = {
    "cis": re.compile(r"^[1-9]\d{7}$"),
    "cip13": re.compile(r"^3400\d{9}$"),
    "atc": re.compile(r"^[A-Z]\d{2}[A-Z]{2}\d{2}$"),
    "url": re.compile(r"^https?://"),
}


@dataclass
class Suggestion:
    """A proposed mapping, why each field was chosen, and what is still missing."""

    spec: MappingSpec
    reasons: dict[str, str]
    missing: list[tuple[str, ...]]
    based_on: str = ""

    @property
    def complete(self) -> bool:
        return not self.missing


def header_signature(columns: Iterable[str]) -> list[str]:
    """The folded, sorted column names: what identifies a source's export format."""
    return sorted({fold(c) for c in columns if fold(c)})


def _header_keys(column: str) -> list[str]:
    # JSON flattening names nested keys "Parent / child": the child also counts.
    keys = [fold(column)]
    if " / " in column:
        keys.append(fold(column.rsplit(" / ", 1)[1]))
    return [k for k in keys if k]


def _field_header_keys(spec: FieldSpec) -> set[str]:
    return {fold(h) for h in (*spec.headers, str(spec.label), spec.name)} - {""}


def _values_share(samples: Sequence[tuple[str, int]], test: Any) -> float:
    total = sum(count for _value, count in samples)
    if not total:
        return 0.0
    good = sum(count for value, count in samples if test(value))
    return good / total


def suggest_mapping(
    schema: FamilySchema,
    columns: Sequence[Mapping[str, Any]],
    earlier: Sequence[tuple[str, MappingSpec]] = (),
) -> Suggestion:
    """Propose a mapping for a profiled table.

    ``columns`` are column profiles (``name``, ``samples`` as (value, count)
    pairs); ``earlier`` are (name, mapping) of the family's saved profiles, newest
    first. A saved profile whose columns all exist wins; otherwise header names,
    then sample values, choose each field.
    """
    names = [str(c["name"]) for c in columns]
    present = set(names)
    for name, spec in earlier:
        used = {c for c in spec.columns.values() if c}
        if used and used <= present and not missing_required(schema, spec):
            return Suggestion(
                spec=MappingSpec.from_dict(spec.as_dict()),
                reasons=dict.fromkeys(spec.columns, "profile"),
                missing=[],
                based_on=name,
            )

    spec = MappingSpec()
    reasons: dict[str, str] = {}
    taken: set[str] = set()
    for field_spec in schema.fields:
        wanted = _field_header_keys(field_spec)
        for column in names:
            if column in taken:
                continue
            if wanted & set(_header_keys(column)):
                spec.columns[field_spec.name] = column
                reasons[field_spec.name] = "header"
                taken.add(column)
                break

    samples = {str(c["name"]): list(c.get("samples") or []) for c in columns}
    for field_spec in schema.fields:
        if field_spec.name in spec.columns:
            continue
        test = _value_test(field_spec)
        if test is None:
            continue
        best = max(
            (
                (_values_share(samples[col], test), col)
                for col in names
                if col not in taken
            ),
            default=(0.0, ""),
        )
        if best[0] >= 0.8:
            spec.columns[field_spec.name] = best[1]
            reasons[field_spec.name] = "values"
            taken.add(best[1])
    return Suggestion(
        spec=spec, reasons=reasons, missing=missing_required(schema, spec)
    )


def _value_test(field_spec: FieldSpec) -> Any:
    pattern = _VALUE_PATTERNS.get(field_spec.type)
    if pattern is not None:
        return lambda value: bool(pattern.match(str(value).strip()))
    if field_spec.type == "vocabulary":
        known = set(field_spec.synonyms) | {
            fold(str(label)) for label in field_spec.vocabulary.values()
        }
        return lambda value: fold(str(value)) in known
    return None


def unresolved_values(
    field_spec: FieldSpec, values: Iterable[str], value_map: Mapping[str, str]
) -> list[str]:
    """Distinct raw values of a vocabulary field that neither the value map nor
    the field's synonyms resolve."""
    lookup = vocabulary_lookup(field_spec, value_map)
    return [v for v in values if fold(v) and fold(v) not in lookup]


def vocabulary_lookup(
    field_spec: FieldSpec, value_map: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Folded raw value → code: codes, labels, synonyms, then the profile's map."""
    lookup: dict[str, str] = {}
    for code, label in field_spec.vocabulary.items():
        lookup[fold(code)] = code
        lookup[fold(str(label))] = code
    lookup.update({fold(k): v for k, v in field_spec.synonyms.items()})
    for raw, code in (value_map or {}).items():
        if code in field_spec.vocabulary:
            lookup[fold(raw)] = code
    lookup.pop("", None)
    return lookup
