"""The public sections of family ``shortages``: what an ongoing shortage is, a
speciality's shortage history, the counts a substance page shows, and the page
"Shortages in figures". Each function reads the records of one released version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, ExtractYear, Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from datasets.families.public import (
    Breakdown,
    CountRow,
    PublicSections,
    register_public_sections,
)
from datasets.families.shortages.schema import SHORTAGES
from datasets.models import DatasetVersion
from datasets.records import record_model
from referential_admin.selectors import atc_group_labels, speciality_names

#: Classifications that say the supply is back: never an ongoing shortage.
ENDED_CLASSIFICATIONS = ("remise",)


def ongoing_q() -> Q:
    """Shortage records still ongoing: no return, not closed, not back in supply."""
    return (
        Q(returned_on=None)
        & ~Q(state="ferme")
        & ~Q(classification__in=ENDED_CLASSIFICATIONS)
    )


def _records(version: DatasetVersion) -> QuerySet[Any]:
    return record_model(SHORTAGES)._default_manager.filter(version=version)


def _label(name: str, code: Any) -> str:
    if code in (None, ""):
        return ""
    return str(SHORTAGES.field(name).vocabulary.get(code, code))


@dataclass
class Shortage:
    number: str
    classification: str
    state: str
    cause: str
    started_on: Any
    declared_on: Any
    expected_return_on: Any
    returned_on: Any
    measures: str
    open: bool


@dataclass
class SpecialityShortages:
    """A speciality's declarations, newest first."""

    shortages: list[Shortage]

    @property
    def current(self) -> list[Shortage]:
        return [s for s in self.shortages if s.open]


def speciality_shortages(version: DatasetVersion, cis: str) -> SpecialityShortages:
    """The shortage declarations of a speciality, newest first."""
    rows = (
        _records(version)
        .filter(matched_cis=cis)
        .order_by("-started_on", "-declared_on", "-row_number")
        .values(
            "declaration_number",
            "classification",
            "state",
            "cause",
            "started_on",
            "declared_on",
            "expected_return_on",
            "returned_on",
            "measures",
        )
    )
    return SpecialityShortages(
        [
            Shortage(
                number=row["declaration_number"] or "",
                classification=_label("classification", row["classification"]),
                state=_label("state", row["state"]),
                cause=_label("cause", row["cause"]),
                started_on=row["started_on"],
                declared_on=row["declared_on"],
                expected_return_on=row["expected_return_on"],
                returned_on=row["returned_on"],
                measures=row["measures"] or "",
                open=row["returned_on"] is None
                and row["state"] != "ferme"
                and row["classification"] not in ENDED_CLASSIFICATIONS,
            )
            for row in rows
        ]
    )


def substance_counts(
    version: DatasetVersion, cis_codes: list[str]
) -> dict[str, list[int]]:
    """Declarations and ongoing ones per speciality of a substance."""
    return {
        row["matched_cis"]: [row["n"], row["ongoing"]]
        for row in _records(version)
        .filter(matched_cis__in=cis_codes)
        .values("matched_cis")
        .annotate(n=_declarations(), ongoing=_declarations(ongoing_q()))
    }


def specialities(version: DatasetVersion) -> list[str]:
    """The specialities that have at least one declaration."""
    return list(
        _records(version)
        .exclude(matched_cis=None)
        .order_by()
        .values_list("matched_cis", flat=True)
        .distinct()
    )


@dataclass
class ShortageFigures:
    total: int
    ongoing: int
    per_year: list[CountRow]
    per_classification: list[CountRow]
    per_cause: list[CountRow]
    per_atc: list[CountRow]
    recent: list[dict[str, Any]]

    @property
    def breakdowns(self) -> list[Breakdown]:
        """The count tables, in the page's order."""
        return [
            Breakdown(
                "year",
                _("Year"),
                self.per_year,
                categorical=False,
            ),
            Breakdown(
                "classification",
                _("Classification"),
                self.per_classification,
                categorical=True,
            ),
            Breakdown(
                "cause",
                _("Cause"),
                self.per_cause,
                categorical=True,
            ),
            Breakdown(
                "atc",
                _("ATC main group"),
                self.per_atc,
                categorical=True,
            ),
        ]


def every_year(pairs: list[tuple[Any, int]]) -> list[tuple[Any, int]]:
    """Counts per year with the years between that have none (as 0): a chart
    must not make 2014 and 2017 look adjacent. Undated rows stay last."""
    counts = dict(pairs)
    years = [year for year in counts if year is not None]
    if not years:
        return pairs
    every = [(year, counts.get(year, 0)) for year in range(min(years), max(years) + 1)]
    return [*every, (None, counts[None])] if None in counts else every


def _rows(
    pairs: list[tuple[Any, int]], labels: dict[Any, Any] | None = None
) -> list[CountRow]:
    top = max((count for _key, count in pairs), default=0) or 1
    return [
        CountRow(
            label=str((labels or {}).get(key, key))
            if key not in (None, "")
            else _("Not given"),
            count=count,
            share=count / top,
        )
        for key, count in pairs
    ]


def _declarations(condition: Q | None = None) -> Any:
    """Declarations, not records: the records of one declaration number (one per
    presentation) count once; a record without a number counts as its own (the
    rule of the published aggregates, ``Aggregate.distinct``). ``condition``
    restricts the records counted."""
    unnumbered = Q(declaration_number=None)
    return Count("declaration_number", distinct=True, filter=condition) + Count(
        "pk", filter=unnumbered if condition is None else unnumbered & condition
    )


def _counted(
    queryset: QuerySet[Any], expression: Any, order: str = "-n"
) -> list[tuple[Any, int]]:
    return [
        (item["key"], item["n"])
        for item in queryset.annotate(key=expression)
        .values("key")
        .annotate(n=_declarations())
        .order_by(order, "key")  # ties in a stable order
    ]


def figures(version: DatasetVersion) -> ShortageFigures:
    """Declarations per year, classification, cause and ATC main group, and the
    latest ongoing ones."""
    rows = _records(version)
    ongoing = rows.filter(ongoing_q())
    classification = dict(SHORTAGES.field("classification").vocabulary)
    result = ShortageFigures(
        total=rows.aggregate(n=_declarations())["n"],
        ongoing=ongoing.aggregate(n=_declarations())["n"],
        per_year=_rows(
            every_year(
                _counted(
                    rows, ExtractYear(Coalesce("declared_on", "started_on")), "key"
                )
            )
        ),
        per_classification=_rows(_counted(rows, F("classification")), classification),
        per_cause=_rows(
            _counted(rows, F("cause")), dict(SHORTAGES.field("cause").vocabulary)
        ),
        per_atc=_rows(
            _counted(rows.exclude(atc=None), Substr("atc", 1, 1))[:14],
            atc_group_labels(),
        ),
        recent=list(
            ongoing.annotate(since=Coalesce("declared_on", "started_on"))
            .order_by("-since", "-row_number")
            .values(
                "declaration_number",
                "product_name",
                "matched_cis",
                "since",
                "classification",
            )[:20]
        ),
    )
    names = speciality_names(
        [item["matched_cis"] for item in result.recent if item["matched_cis"]]
    )
    for item in result.recent:
        item["name"] = names.get(item["matched_cis"]) or item["product_name"] or ""
        item["classification_label"] = str(
            classification.get(item["classification"], "")
        )
    return result


register_public_sections(
    PublicSections(
        family=SHORTAGES.key,
        speciality=speciality_shortages,
        speciality_template="families/shortages/speciality.html",
        substance_counts=substance_counts,
        substance_columns=(gettext_lazy("Declarations"), gettext_lazy("Ongoing")),
        substance_caption=gettext_lazy(
            "Medicines containing this substance, with their shortage declarations"
        ),
        unpublished=gettext_lazy("No shortage data has been published yet."),
        specialities=specialities,
        figures=figures,
        figures_slug="ruptures",
        figures_template="families/shortages/figures.html",
        figures_title=gettext_lazy("Drug shortages in figures"),
        figures_menu=gettext_lazy("Shortages in figures"),
        figures_value=gettext_lazy("Declarations"),
    )
)
