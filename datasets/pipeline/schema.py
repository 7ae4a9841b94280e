"""Declarative description of a data family: its fields, vocabularies, rules,
referential links, natural key and published aggregates.

A family is data, not code: the pipeline reads these declarations, so a new family
(pharmacovigilance, medication errors) needs a schema and a record model, never a
new pipeline step. Labels are whatever string-like objects the caller passes
(lazy translations on the Django side).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from datasets.pipeline.parts import Assembled, MultiTableSpec

#: Field types the normaliser knows.
FIELD_TYPES = (
    "text",
    "date",
    "integer",
    "vocabulary",
    "cis",
    "cip13",
    "atc",
    "url",
)

BLOCKING = "blocking"
WARNING = "warning"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a family: type, obligation, vocabulary and header synonyms."""

    name: str
    label: Any
    type: str = "text"
    required: bool = False
    help: Any = ""
    #: Vocabulary code → French label, for ``vocabulary`` fields.
    vocabulary: Mapping[str, Any] = field(default_factory=dict)
    #: Folded raw value → vocabulary code: the value map every profile starts from.
    synonyms: Mapping[str, str] = field(default_factory=dict)
    #: Header names (any case or accents) that suggest this field.
    headers: tuple[str, ...] = ()
    #: Severity of a value outside the vocabulary or of a malformed value.
    invalid_severity: str = BLOCKING
    #: Dates: earliest accepted ISO date and how many days ahead of today are allowed.
    min_date: str = "1990-01-01"
    max_future_days: int | None = None
    #: Integers: inclusive bounds.
    min_value: int | None = None
    max_value: int | None = None
    #: Maximum length of a text value; longer values are cut with a warning.
    max_length: int = 2000

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"unknown field type {self.type!r} for {self.name}")


@dataclass(frozen=True)
class RowRule:
    """A rule across fields, checked on every row.

    ``any_of``: at least one of ``fields`` is filled. ``order``: when both are
    filled, ``fields[0] <= fields[1]``.
    """

    code: str
    kind: str
    fields: tuple[str, ...]
    severity: str = BLOCKING


@dataclass(frozen=True)
class MedicineLink:
    """Where a family names a medicine: codes tried first, then a label."""

    code_fields: tuple[str, ...] = ("cip13", "cis")
    label_field: str = "product_name"


@dataclass(frozen=True)
class SubstanceLink:
    """Where a family names an active substance by its name: the label field
    matched to the referential's substances, and the field their code goes to."""

    label_field: str
    code_field: str
    #: The family's cascade: (distinct texts, the referential's names with
    #: ``name`` and ``code``) → ``text``, ``code`` (or NA) and ``method``.
    match: Callable[[pd.Series, pd.DataFrame], pd.DataFrame]
    #: A field of brand names (a speciality name without strength and form):
    #: matched to the substances all the brand's specialities share, their
    #: codes joined by ``|`` in ``code_field``.
    brand_field: str = ""


@dataclass(frozen=True)
class Exclusion:
    """Rows whose field holds one of ``values`` (vocabulary codes) are left out."""

    field: str
    values: tuple[str, ...]
    code: str = "EXCLUDED"


@dataclass(frozen=True)
class Aggregate:
    """A table publication will compute: counts of records grouped by fields."""

    name: str
    label: Any
    group_by: tuple[str, ...]
    #: Date field whose year becomes a "year" grouping column, if any.
    year_of: str = ""
    #: Field whose distinct values are counted instead of rows (a declaration
    #: that spans several presentations, a case with several effects, counts once
    #: in each cell); a record without that value counts as one of its own.
    distinct: str = ""


@dataclass(frozen=True)
class FamilySchema:
    """Everything the pipeline needs to know about one data family."""

    key: str
    label: Any
    fields: tuple[FieldSpec, ...]
    #: Alternatives tried in order: the first whose fields are all filled keys a row.
    natural_keys: tuple[tuple[str, ...], ...]
    rules: tuple[RowRule, ...] = ()
    medicine: MedicineLink | None = None
    exclusions: tuple[Exclusion, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    #: Family-specific derivations on the typed frame (defaults, computed fields).
    derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    #: Largest share of unmatched medicines the quality gate accepts.
    unmatched_threshold: float = 0.05
    #: "app_label.ModelName" of the typed record model.
    record_model: str = ""
    #: Ready-made mappings for known source formats: name → MappingSpec as dict.
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Whether records may be published row by row (else only as aggregates).
    row_level: bool = True
    #: Published counts from 1 to this minus one are replaced by "< threshold".
    disclosure_threshold: int = 11
    #: Fields shown when a screen lists a few records (default: the first six).
    summary_fields: tuple[str, ...] = ()
    #: Extracts made of several tables (files, zip members or sheets): their
    #: parts, and how the mapped parts become one frame of records.
    parts: MultiTableSpec | None = None
    assemble: Callable[[dict[str, pd.DataFrame]], Assembled] | None = None
    #: Substance names matched to the referential's substances (their codes).
    substances: SubstanceLink | None = None
    #: The published tables, for families whose tables are not grouped counts
    #: of records: (records, links of their medicines to substances) → name →
    #: table of keys and ``n``.
    tables: Callable[[pd.DataFrame, pd.DataFrame], Mapping[str, Any]] | None = None
    #: What those tables count (``cases``, ``reports``): ``<unit>_total`` is
    #: the total, a table named ``…_<unit>`` each entity's total.
    table_unit: str = "cases"
    #: Suffixes of the tables whose categories split the units (each unit in
    #: exactly one category): protected with their total (``by_sex``).
    additive_tables: tuple[str, ...] = ()

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def summary(self) -> list[str]:
        """The fields shown when a few records are listed."""
        return list(self.summary_fields) or self.field_names[:6]

    @property
    def field_names(self) -> list[str]:
        return [spec.name for spec in self.fields]

    def required_groups(self) -> list[tuple[str, ...]]:
        """Fields a mapping must provide: each required field, and one field of
        every ``any_of`` rule."""
        groups: list[tuple[str, ...]] = [
            (spec.name,) for spec in self.fields if spec.required
        ]
        groups += [rule.fields for rule in self.rules if rule.kind == "any_of"]
        return groups
