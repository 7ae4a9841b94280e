"""The public sections of family ``pharmacovigilance``: the declared cases of a
speciality, of a substance, and the page "Adverse effects in figures". Each
function reads the protected tables of a release (``schema.tables`` after
disclosure control, the API's shape): a page never shows a count the files
hide, and a hidden count is said to be hidden, never drawn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from datasets.families.pharmacovigilance.rules import CRITERIA, UNKNOWN
from datasets.families.pharmacovigilance.schema import (
    AGE_CLASSES,
    PHARMACOVIGILANCE,
    SERIOUSNESS,
    SEXES,
)
from datasets.families.public import (
    Breakdown,
    CountRow,
    PublicSections,
    register_public_sections,
)

Tables = Mapping[str, Any]
SUPPRESSED = "suppressed"
CRITERION_LABELS = {
    "DECES": gettext_lazy("Death"),
    "PRO_V": gettext_lazy("Life-threatening"),
    "HOSPI": gettext_lazy("Hospitalisation"),
    "INCAP": gettext_lazy("Disability"),
    "ANO_C": gettext_lazy("Congenital anomaly"),
    "AUTRE": gettext_lazy("Other serious situation"),
}
ENTITY_PREFIXES = {"substance_code": "substance_", "cis": "speciality_"}


@dataclass(frozen=True)
class CaseCell:
    """One published count: its category, count (None when hidden), status and
    share of the cases."""

    code: str
    label: str
    n: int | None
    status: str
    pct: float | None

    @property
    def hidden(self) -> bool:
        return self.status == SUPPRESSED


@dataclass(frozen=True)
class CaseTable:
    """A split of the cases (by sex, age class…), as published."""

    key: str
    caption: str
    heading: str
    cells: list[CaseCell]
    #: The categories split the cases (their shares sum to 100 %).
    additive: bool = True

    @property
    def empty(self) -> bool:
        """Nothing to show: every count hidden or zero."""
        return not any(cell.n for cell in self.cells)

    @property
    def breakdown(self) -> Breakdown:
        """The shown counts, for the chart (hidden ones are not drawn)."""
        shown = [cell for cell in self.cells if cell.n]
        top = max((cell.n or 0 for cell in shown), default=0)
        return Breakdown(
            key=self.key,
            heading=self.heading,
            rows=[
                CountRow(cell.label, cell.n or 0, (cell.n or 0) / top if top else 0)
                for cell in shown
            ],
            categorical=self.key != "year",
            ordered=self.key in _ORDER,
        )


@dataclass(frozen=True)
class SocCases:
    """A system organ class and the HLTs of its cases (the drill-down)."""

    cell: CaseCell
    hlts: list[CaseCell]


@dataclass
class CaseFigures:
    """What a page says of the cases of all medicines, a substance or a
    speciality."""

    total: CaseCell
    tables: list[CaseTable]
    socs: list[SocCases]
    first_year: int | None
    last_year: int | None
    threshold: int

    @property
    def empty(self) -> bool:
        return not self.total.n and all(table.empty for table in self.tables)

    @property
    def breakdowns(self) -> list[Breakdown]:
        """The charts: every table with two bars or more."""
        return [t.breakdown for t in self.tables if len(t.breakdown.rows) >= 2]

    def table(self, key: str) -> CaseTable | None:
        return next((t for t in self.tables if t.key == key), None)


def _label(key: str, code: Any) -> str:
    labels: Mapping[str, Any] = {
        "sex": SEXES,
        "age_class": AGE_CLASSES,
        "seriousness": SERIOUSNESS,
        "criterion": CRITERION_LABELS,
    }.get(key, {})
    if code in (None, "", UNKNOWN, "Inconnu"):
        return _("Not given")
    return str(labels.get(code, code))


def _cell(key: str, row: Mapping[str, Any]) -> CaseCell:
    code = "" if row.get(key) is None else str(row[key])
    return CaseCell(code, _label(key, code), row["n"], row["status"], row["pct"])


def _rows(tables: Tables, name: str, entity: str, value: str) -> list[Any]:
    rows = tables.get(name, {}).get("rows", [])
    if not entity:
        return list(rows)
    return [row for row in rows if str(row.get(entity)) == value]


#: The splits a page shows, in its order: table suffix, key, caption, heading.
SPLITS = (
    (
        "cases_by_year",
        "year",
        gettext_lazy("Cases per notification year"),
        gettext_lazy("Year"),
    ),
    ("cases_by_sex", "sex", gettext_lazy("Cases by sex"), gettext_lazy("Sex")),
    (
        "cases_by_age_class",
        "age_class",
        gettext_lazy("Cases by age"),
        gettext_lazy("Age"),
    ),
    (
        "cases_by_seriousness",
        "seriousness",
        gettext_lazy("Serious and non-serious cases"),
        gettext_lazy("Seriousness"),
    ),
    (
        "cases_by_criterion",
        "criterion",
        gettext_lazy(
            "Serious cases by seriousness criterion (a case may meet several)"
        ),
        gettext_lazy("Criterion"),
    ),
    (
        "cases_by_notifier",
        "notifier",
        gettext_lazy("Cases by type of notifier"),
        gettext_lazy("Notifier"),
    ),
)
_ORDER = {
    "sex": list(SEXES),
    "age_class": list(AGE_CLASSES),
    "seriousness": list(SERIOUSNESS),
    "criterion": list(CRITERIA),
}


def _ordered(key: str, cells: list[CaseCell]) -> list[CaseCell]:
    """Ordered axes in their order (years, classes), the others largest first
    with « Not given » last."""
    if key == "year":
        return sorted(cells, key=lambda c: (not c.code.isdigit(), c.code))
    if key in _ORDER:
        order = _ORDER[key]
        return sorted(
            cells, key=lambda c: order.index(c.code) if c.code in order else 99
        )
    return sorted(
        cells, key=lambda c: (c.label == _("Not given"), -(c.n or 0), c.label)
    )


def case_figures(tables: Tables, entity: str = "", value: str = "") -> CaseFigures:
    """The cases of all medicines (no ``entity``), of a substance
    (``substance_code``) or of a speciality (``cis``), from a release's
    protected tables."""
    prefix = ENTITY_PREFIXES.get(entity, "")
    if entity:
        totals = _rows(tables, f"{prefix}cases", entity, value)
        total_row = totals[0] if totals else {"n": 0, "status": "zero", "pct": None}
    else:
        total_row = tables["cases_total"]["rows"][0]
    splits = []
    for suffix, key, caption, heading in SPLITS:
        rows = _rows(tables, prefix + suffix, entity, value)
        cells = [_cell(key, row) for row in rows]
        if key == "criterion":  # every criterion, met or not
            met = {cell.code for cell in cells}
            cells += [
                CaseCell(c, _label(key, c), 0, "zero", 0.0)
                for c in CRITERIA
                if c not in met
            ]
        splits.append(
            CaseTable(
                key,
                str(caption),
                str(heading),
                _ordered(key, cells),
                additive=key != "criterion",
            )
        )
    hlts: dict[str, list[CaseCell]] = {}
    for row in _rows(tables, prefix + "cases_by_hlt", entity, value):
        hlts.setdefault(str(row["soc"]), []).append(_cell("hlt", row))
    socs = [
        SocCases(cell, _ordered("hlt", hlts.get(cell.code, [])))
        for cell in _ordered(
            "soc",
            [
                _cell("soc", row)
                for row in _rows(tables, prefix + "cases_by_soc", entity, value)
            ],
        )
    ]
    years = [int(c.code) for c in splits[0].cells if c.code.isdigit()]
    return CaseFigures(
        total=CaseCell("", "", total_row["n"], total_row["status"], None),
        tables=splits,
        socs=socs,
        first_year=min(years, default=None),
        last_year=max(years, default=None),
        threshold=PHARMACOVIGILANCE.disclosure_threshold,
    )


def figures(tables: Tables) -> CaseFigures:
    """The page "Adverse effects in figures": the cases of all medicines."""
    return case_figures(tables)


def speciality_cases(tables: Tables, cis: str) -> CaseFigures:
    """The cases naming a speciality (by its name, or through none of its
    substances: substance-only texts count on the substance's page)."""
    return case_figures(tables, "cis", cis)


def substance_cases(tables: Tables, code: str) -> CaseFigures:
    """The cases naming a substance: directly, through a brand or through a
    speciality containing it."""
    return case_figures(tables, "substance_code", code)


def substance_counts(tables: Tables, cis_codes: list[str]) -> dict[str, list[Any]]:
    """The cases of each speciality of a substance page (« hidden » for a
    hidden count)."""
    wanted = set(cis_codes)
    hidden = _("hidden")
    return {
        str(row["cis"]): [hidden if row["status"] == SUPPRESSED else row["n"]]
        for row in tables.get("speciality_cases", {}).get("rows", [])
        if str(row["cis"]) in wanted
    }


def specialities(tables: Tables) -> list[str]:
    """The specialities with published cases (for the sitemap)."""
    return [
        str(row["cis"])
        for row in tables.get("speciality_cases", {}).get("rows", [])
        if row["n"]
    ]


register_public_sections(
    PublicSections(
        family=PHARMACOVIGILANCE.key,
        reads_tables=True,
        speciality=speciality_cases,
        speciality_template="families/pharmacovigilance/speciality.html",
        substance=substance_cases,
        substance_template="families/pharmacovigilance/substance.html",
        substance_counts=substance_counts,
        substance_columns=(gettext_lazy("Declared adverse-effect cases"),),
        substance_caption=gettext_lazy(
            "Medicines containing this substance, with their declared cases"
        ),
        unpublished=gettext_lazy("No adverse-effect data has been published yet."),
        specialities=specialities,
        figures=figures,
        figures_slug="effets-indesirables",
        figures_template="families/pharmacovigilance/figures.html",
        figures_title=gettext_lazy("Adverse effects in figures"),
        figures_menu=pgettext_lazy("menu", "Adverse effects in figures"),
        figures_value=gettext_lazy("Cases"),
    )
)
