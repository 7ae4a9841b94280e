"""Reads of the public portal, from published data only: the current release of
each family and the referential. Results that depend on a release are cached
under a key holding its id, so a new release invalidates them by itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Q

from datasets.families import FAMILIES, get_family
from datasets.records import record_model
from publications.models import Release

SEARCH_LIMIT = 30
SHORTAGES = "shortages"
#: Classifications that say the supply is back: never an ongoing shortage.
ENDED_CLASSIFICATIONS = ("remise",)


def ongoing_q() -> Q:
    """Shortage records still ongoing: no return, not closed, not back in supply."""
    return (
        Q(returned_on=None)
        & ~Q(state="ferme")
        & ~Q(classification__in=ENDED_CLASSIFICATIONS)
    )


@dataclass
class SearchResult:
    specialities: list[Any]
    suggestions: list[Any] = field(default_factory=list)
    #: Every speciality matching, when more than the ones listed.
    total: int = 0


def _names_index() -> tuple[list[str], list[str]]:
    """Folded speciality names and their CIS, cached per state of the referential."""
    from referential_admin.matching import normalise_label
    from referential_admin.models import ReferentialImport, Speciality

    latest = (
        ReferentialImport.objects.order_by("-pk").values_list("pk", flat=True).first()
    )
    key = f"portal:names:{latest}:{Speciality.objects.count()}"
    cached = cache.get(key)
    if cached is None:
        rows = list(Speciality.objects.values_list("cis", "name"))
        cached = ([normalise_label(name) for _cis, name in rows], [c for c, _n in rows])
        cache.set(key, cached, 3600)
    return cached


def search(query: str) -> SearchResult:
    """Specialities by name, substance, CIS or CIP13 (every word, any case or
    accent); with nothing found, the closest names as suggestions (typos)."""
    from rapidfuzz import fuzz, process

    from referential_admin.matching import normalise_label
    from referential_admin.models import Speciality
    from referential_admin.selectors import speciality_search

    found = list(
        speciality_search(query)
        .order_by("name")
        .only("cis", "name", "pharmaceutical_form", "holders_text")[:SEARCH_LIMIT]
    )
    result = SearchResult(specialities=found, total=len(found))
    if len(found) == SEARCH_LIMIT:
        result.total = speciality_search(query).count()
    if not found and len(query) >= 3:
        names, codes = _names_index()
        best = process.extract(
            normalise_label(query), names, scorer=fuzz.WRatio, limit=5, score_cutoff=70
        )
        wanted = [codes[index] for _name, _score, index in best]
        by_cis = {s.cis: s for s in Speciality.objects.filter(cis__in=wanted)}
        result.suggestions = [by_cis[c] for c in wanted if c in by_cis]
    return result


def current_releases() -> list[Release]:
    """The current release of each family, with the family's label."""
    releases = list(
        Release.objects.filter(is_current=True)
        .select_related("version")
        .order_by("family")
    )
    for release in releases:
        schema = FAMILIES.get(release.family)
        release.family_label = schema.label if schema else release.family  # type: ignore[attr-defined]
    return releases


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
class SpecialityPage:
    speciality: Any
    detail: Any
    release: Release | None
    shortages: list[Shortage]

    @property
    def current_shortages(self) -> list[Shortage]:
        return [s for s in self.shortages if s.open]

    @property
    def substances(self) -> list[Any]:
        """Active substances (BDPM "SA" rows; all rows when none is marked)."""
        compositions = self.detail.compositions
        active = [c for c in compositions if c.component_nature == "SA"]
        return active or compositions


def _label(schema: Any, name: str, code: Any) -> str:
    if code in (None, ""):
        return ""
    return str(schema.field(name).vocabulary.get(code, code))


def shortages_of(cis: str) -> tuple[Release | None, list[Shortage]]:
    """The shortage declarations of a speciality in the current release, newest
    first (cached per release)."""
    release = Release.objects.current(SHORTAGES)
    if release is None:
        return None, []
    key = f"portal:shortages:v3:{release.pk}:{cis}"
    cached = cache.get(key)
    if cached is not None:
        return release, cached
    schema = get_family(SHORTAGES)
    rows = (
        record_model(schema)
        ._default_manager.filter(version=release.version, matched_cis=cis)
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
    shortages = [
        Shortage(
            number=row["declaration_number"] or "",
            classification=_label(schema, "classification", row["classification"]),
            state=_label(schema, "state", row["state"]),
            cause=_label(schema, "cause", row["cause"]),
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
    cache.set(key, shortages, 3600)
    return release, shortages


def speciality_page(cis: str) -> SpecialityPage | None:
    """Identity of the speciality (referential) and its shortage history."""
    from referential_admin.models import Speciality
    from referential_admin.selectors import speciality_detail

    speciality = (
        Speciality.objects.filter(cis=cis).select_related("atc").first()
        if cis.isdigit()
        else None
    )
    if speciality is None:
        return None
    release, shortages = shortages_of(cis)
    return SpecialityPage(
        speciality=speciality,
        detail=speciality_detail(speciality),
        release=release,
        shortages=shortages,
    )


def catalogue() -> list[dict[str, Any]]:
    """Each family with its current release and its release history."""
    releases: dict[str, list[Release]] = {}
    for release in Release.objects.select_related("version").order_by(
        "family", "-number"
    ):
        releases.setdefault(release.family, []).append(release)
    return [
        {
            "key": key,
            "label": FAMILIES[key].label if key in FAMILIES else key,
            "current": next((r for r in history if r.is_current), None),
            "history": history,
        }
        for key, history in releases.items()
    ]


def specialities_with_shortages() -> list[str]:
    release = Release.objects.current(SHORTAGES)
    if release is None:
        return []
    schema = get_family(SHORTAGES)
    return list(
        record_model(schema)
        ._default_manager.filter(version=release.version)
        .exclude(matched_cis=None)
        .order_by()
        .values_list("matched_cis", flat=True)
        .distinct()
    )


@dataclass
class CountRow:
    label: str
    count: int
    share: float


@dataclass
class ShortageStatistics:
    release: Release
    total: int
    ongoing: int
    per_year: list[CountRow]
    per_classification: list[CountRow]
    per_cause: list[CountRow]
    per_atc: list[CountRow]
    recent: list[dict[str, Any]]


def _every_year(pairs: list[tuple[Any, int]]) -> list[tuple[Any, int]]:
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
    from django.utils.translation import gettext

    return [
        CountRow(
            label=str((labels or {}).get(key, key))
            if key not in (None, "")
            else gettext("Not given"),
            count=count,
            share=count / top,
        )
        for key, count in pairs
    ]


def shortage_statistics() -> ShortageStatistics | None:
    """Declarations of the current shortage release per year, classification,
    cause and ATC main group, and the latest ongoing ones (cached per release)."""
    from django.db.models import Count
    from django.db.models.functions import Coalesce, ExtractYear, Substr

    from referential_admin.models import AtcClass

    release = Release.objects.current(SHORTAGES)
    if release is None:
        return None
    key = f"portal:statistics:v3:{release.pk}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    schema = get_family(SHORTAGES)
    rows = record_model(schema)._default_manager.filter(version=release.version)
    ongoing = rows.filter(ongoing_q())

    def counted(
        queryset: Any, expression: Any, order: str = "-n"
    ) -> list[tuple[Any, int]]:
        return [
            (item["key"], item["n"])
            for item in queryset.annotate(key=expression)
            .values("key")
            .annotate(n=Count("pk"))
            .order_by(order, "key")  # ties in a stable order
        ]

    from django.db.models import F

    atc_labels = dict(AtcClass.objects.filter(level=1).values_list("code", "label"))
    statistics = ShortageStatistics(
        release=release,
        total=rows.count(),
        ongoing=ongoing.count(),
        per_year=_rows(
            _every_year(
                counted(rows, ExtractYear(Coalesce("declared_on", "started_on")), "key")
            )
        ),
        per_classification=_rows(
            counted(rows, F("classification")),
            dict(schema.field("classification").vocabulary),
        ),
        per_cause=_rows(
            counted(rows, F("cause")), dict(schema.field("cause").vocabulary)
        ),
        per_atc=_rows(
            counted(rows.exclude(atc=None), Substr("atc", 1, 1))[:14], atc_labels
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
    classification = dict(schema.field("classification").vocabulary)
    from referential_admin.models import Speciality

    names = dict(
        Speciality.objects.filter(
            cis__in=[i["matched_cis"] for i in statistics.recent if i["matched_cis"]]
        ).values_list("cis", "name")
    )
    for item in statistics.recent:
        item["name"] = names.get(item["matched_cis"]) or item["product_name"] or ""
        item["classification_label"] = str(
            classification.get(item["classification"], "")
        )
    cache.set(key, statistics, 3600)
    return statistics


@dataclass
class SubstancePage:
    substance: Any
    specialities: list[dict[str, Any]]
    release: Release | None


def substance_page(code: str) -> SubstancePage | None:
    """A substance, the specialities that contain it, and their shortage counts
    in the current release."""
    from django.db.models import Count

    from referential_admin.models import Composition, Substance

    substance = Substance.objects.filter(code=code).first()
    if substance is None:
        return None
    cis_codes = list(
        Composition.objects.filter(substance=substance)
        .values_list("speciality_id", flat=True)
        .distinct()
    )
    from referential_admin.models import Speciality

    specialities = list(
        Speciality.objects.filter(cis__in=cis_codes)
        .order_by("name")
        .values("cis", "name", "holders_text")
    )
    release = Release.objects.current(SHORTAGES)
    counts: dict[str, tuple[int, int]] = {}
    if release is not None:
        schema = get_family(SHORTAGES)
        counts = {
            row["matched_cis"]: (row["n"], row["ongoing"])
            for row in record_model(schema)
            ._default_manager.filter(version=release.version, matched_cis__in=cis_codes)
            .values("matched_cis")
            .annotate(
                n=Count("pk"),
                ongoing=Count("pk", filter=ongoing_q()),
            )
        }
    for item in specialities:
        item["declarations"], item["ongoing"] = counts.get(item["cis"], (0, 0))
    return SubstancePage(
        substance=substance, specialities=specialities, release=release
    )


@dataclass
class PublishedTable:
    """A published aggregate for a visualisation: its protected cells, the rows'
    totals for a chart, and whether suppression left anything to show."""

    label: str
    release: Release
    rows: list[Any]
    columns: list[Any]
    labels: dict[Any, str]
    cells: dict[tuple[Any, Any], str]
    totals: list[CountRow]
    empty: bool


def _vocabulary_labels(schema: Any, keys: list[str]) -> dict[Any, str]:
    """French labels of the vocabulary codes a table's rows and columns show."""
    labels: dict[Any, str] = {}
    for name in keys:
        if name in schema.field_names:
            labels.update(
                {
                    code: str(label)
                    for code, label in schema.field(name).vocabulary.items()
                }
            )
    return labels


def published_table(source: str) -> PublishedTable | None:
    """The aggregate ``family:name`` of the family's current release, after
    disclosure control; None when the family has no release."""
    from publications.aggregates import aggregate_tables
    from publications.disclosure import TOTAL

    family, _sep, name = source.partition(":")
    release = Release.objects.current(family)
    if release is None:
        return None
    schema = get_family(family)
    for item in aggregate_tables(release.version):
        if item.aggregate.name != name:
            continue
        table = item.table
        labels = _vocabulary_labels(schema, item.keys)
        cells = {
            (row, column): table.shown(row, column)
            for row in [*table.rows, TOTAL]
            for column in [*table.columns, TOTAL]
        }
        # Chart the dimension that varies: the columns when there are several.
        if len(table.columns) > 1:
            totals = [
                CountRow(labels.get(c, str(c)), table.value(TOTAL, c) or 0, 0.0)
                for c in table.columns
                if table.value(TOTAL, c) is not None
            ]
        else:
            totals = [
                CountRow(labels.get(r, str(r)), table.value(r, TOTAL) or 0, 0.0)
                for r in table.rows
                if table.value(r, TOTAL) is not None
            ]
        return PublishedTable(
            label=str(item.aggregate.label),
            release=release,
            rows=table.rows,
            columns=table.columns,
            labels=labels,
            cells=cells,
            totals=totals,
            empty=all(
                table.value(r, c) in (None, 0)
                for r in table.rows
                for c in table.columns
            ),
        )
    return None
