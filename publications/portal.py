"""Reads of the public portal, from published data only: the current release of
each family and the referential. Each family's own sections come from the
family (``datasets.families.public``); the portal picks the release and caches
what depends on it under a key holding its id, so a new release invalidates
them by itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from datasets.families import FAMILIES, get_family
from datasets.families.public import (
    PUBLIC_SECTIONS,
    CountRow,
    PublicSections,
    sections_with_figures,
)
from publications.aggregates import aggregate_tables, release_tables
from publications.disclosure import TOTAL
from publications.models import Release
from referential_admin.matching import normalise_label
from referential_admin.selectors import (
    referential_state,
    specialities_by_cis,
    specialities_with_substance,
    speciality_by_cis,
    speciality_detail,
    speciality_names_all,
    speciality_search,
    substance_by_code,
)

SEARCH_LIMIT = 30


@dataclass
class SearchResult:
    specialities: list[Any]
    suggestions: list[Any] = field(default_factory=list)
    #: Every speciality matching, when more than the ones listed.
    total: int = 0


def _names_index() -> tuple[list[str], list[str]]:
    """Folded speciality names and their CIS, cached per state of the referential."""
    key = f"portal:names:{referential_state()}"
    cached = cache.get(key)
    if cached is None:
        rows = speciality_names_all()
        cached = ([normalise_label(name) for _cis, name in rows], [c for c, _n in rows])
        cache.set(key, cached, 3600)
    return cached


def search(query: str) -> SearchResult:
    """Specialities by name, substance, CIS or CIP13 (every word, any case or
    accent); with nothing found, the closest names as suggestions (typos)."""
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
        by_cis = specialities_by_cis(wanted)
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
class Section:
    """A family's section of a public page: the release it reads, what its
    records say, and the family's template that draws it."""

    family: str
    release: Release | None
    data: Any
    template: str
    #: The charts of the data's breakdowns (set by the page that draws them).
    charts: dict[str, Any] = field(default_factory=dict)


def _released(family: str) -> Release | None:
    return Release.objects.current(family)


def _reader(
    public: PublicSections,
    release: Release,
    read: Callable[[Any, str], Any],
    argument: str,
) -> Callable[[], Any]:
    """``read`` of the release's source and ``argument``, when called."""
    return lambda: read(_source(public, release), argument)


def _source(public: PublicSections, release: Release) -> Any:
    """What the family's section functions read of its release: its version,
    or its protected tables (the files' and the API's)."""
    if public.reads_tables:
        return release_tables(release.version)
    return release.version


def _cached_per_release(release: Release, name: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` cached under a key holding the release: a new release
    (or a rollback) reads afresh."""
    key = f"portal:{release.family}:{name}:{release.pk}"
    cached = cache.get(key)
    if cached is None:
        cached = compute()
        cache.set(key, cached, 3600)
    return cached


@dataclass
class SpecialityPage:
    speciality: Any
    detail: Any
    sections: list[Section]

    @property
    def substances(self) -> list[Any]:
        """Active substances (BDPM "SA" rows; all rows when none is marked)."""
        compositions = self.detail.compositions
        active = [c for c in compositions if c.component_nature == "SA"]
        return active or compositions


def speciality_page(cis: str) -> SpecialityPage | None:
    """Identity of the speciality (referential) and each family's section about
    it (cached per release)."""
    speciality = speciality_by_cis(cis)
    if speciality is None:
        return None
    sections = []
    for family, public in PUBLIC_SECTIONS.items():
        release = _released(family)
        data = None
        if release is not None:
            data = _cached_per_release(
                release,
                f"speciality:{cis}",
                _reader(public, release, public.speciality, cis),
            )
        sections.append(Section(family, release, data, public.speciality_template))
    return SpecialityPage(
        speciality=speciality, detail=speciality_detail(speciality), sections=sections
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


def specialities_with_records() -> list[str]:
    """The specialities some family's current release names (for the sitemap)."""
    found: set[str] = set()
    for family, public in PUBLIC_SECTIONS.items():
        release = _released(family)
        if release is not None:
            found.update(public.specialities(_source(public, release)))
    return sorted(found)


@dataclass
class FamilyFigures:
    """A family's page in figures: its data and the charts of its count tables."""

    sections: PublicSections
    release: Release | None
    data: Any


def family_figures(slug: str) -> FamilyFigures | None:
    """The page in figures at ``slug`` (None: no family has one there), with the
    data of the family's current release (cached per release)."""
    public = sections_with_figures(slug)
    if public is None or public.figures is None:
        return None
    release = _released(public.family)
    figures = public.figures
    data = (
        _cached_per_release(
            release, "figures", lambda: figures(_source(public, release))
        )
        if release is not None
        else None
    )
    return FamilyFigures(sections=public, release=release, data=data)


@dataclass
class SubstancePage:
    substance: Any
    specialities: list[dict[str, Any]]
    columns: list[str]
    caption: str
    #: What families with nothing published yet say.
    unpublished: list[str]
    #: The sections of families that have one on a substance page.
    sections: list[Section] = field(default_factory=list)


def substance_page(code: str) -> SubstancePage | None:
    """A substance, the specialities that contain it, and each family's counts
    for them in its current release."""
    substance = substance_by_code(code)
    if substance is None:
        return None
    specialities = specialities_with_substance(substance)
    cis_codes = [item["cis"] for item in specialities]
    columns: list[str] = []
    unpublished: list[str] = []
    counts_per_family = []
    sections = []
    for family, public in PUBLIC_SECTIONS.items():
        columns.extend(str(label) for label in public.substance_columns)
        release = _released(family)
        if release is None:
            unpublished.append(str(public.unpublished))
            counts = {}
        else:
            source = _source(public, release)
            counts = public.substance_counts(source, cis_codes)
        counts_per_family.append((counts, len(public.substance_columns)))
        if public.substance is not None:
            section = public.substance
            data = (
                None
                if release is None
                else _cached_per_release(
                    release,
                    f"substance:{code}",
                    _reader(public, release, section, code),
                )
            )
            sections.append(Section(family, release, data, public.substance_template))
    for item in specialities:
        item["counts"] = [
            value
            for counts, width in counts_per_family
            for value in counts.get(item["cis"], [0] * width)
        ]
    captions = [str(p.substance_caption) for p in PUBLIC_SECTIONS.values()]
    return SubstancePage(
        substance=substance,
        specialities=specialities,
        columns=columns,
        caption=captions[0]
        if len(captions) == 1
        else _("Medicines containing this substance"),
        unpublished=unpublished,
        sections=sections,
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
