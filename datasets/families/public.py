"""What a family shows on the public pages. Each family registers its sections:
functions of what its current release publishes (the portal passes the
release's version, or for a family published as tables its protected tables,
and caches their answers per release) and the templates that draw them. The
portal's core knows no family's rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass
class CountRow:
    """One line of a count table: its label, count and share of the largest."""

    label: str
    count: int
    share: float


@dataclass(frozen=True)
class Breakdown:
    """A count table of a family's page in figures, drawn with its chart."""

    key: str
    heading: str
    rows: list[CountRow]
    #: Categories (horizontal bars) rather than an ordered axis (years).
    categorical: bool
    #: Categories in an order of their own (age classes): not sorted by count.
    ordered: bool = False


@dataclass(frozen=True)
class PublicSections:
    """A family's public sections (see the module's docstring)."""

    family: str
    #: The family's records about one speciality (CIS), and its template (which
    #: reads ``section.release``, ``section.data`` and ``section.charts``).
    speciality: Callable[[Any, str], Any]
    speciality_template: str
    #: Counts per speciality for a substance page: CIS → one count per column
    #: (a text where a count is hidden).
    substance_counts: Callable[[Any, list[str]], dict[str, list[Any]]]
    substance_columns: tuple[str | Promise, ...]
    substance_caption: str | Promise
    #: Said where the family has published nothing yet.
    unpublished: str | Promise
    #: The specialities (CIS) the released records name, for the sitemap.
    specialities: Callable[[Any], list[str]]
    #: The family's page in figures: its address under the portal, its data
    #: (with ``breakdowns``: the count tables to chart), template and title.
    figures: Callable[[Any], Any] | None = None
    figures_slug: str = ""
    figures_template: str = ""
    figures_title: str | Promise = ""
    #: Its short name in the portal's menu.
    figures_menu: str | Promise = ""
    #: The value the figures' charts count ("Declarations").
    figures_value: str | Promise = ""
    #: The functions read the release's protected tables (``schema.tables``
    #: after disclosure control) instead of its version.
    reads_tables: bool = False
    #: A section of the family on a substance page (by substance code).
    substance: Callable[[Any, str], Any] | None = None
    substance_template: str = ""


PUBLIC_SECTIONS: dict[str, PublicSections] = {}


def register_public_sections(sections: PublicSections) -> PublicSections:
    """Add a family's public sections (called when its module is imported)."""
    PUBLIC_SECTIONS[sections.family] = sections
    return sections


def sections_with_figures(slug: str) -> PublicSections | None:
    """The family whose page in figures lives at ``slug``, if any."""
    return next(
        (
            sections
            for sections in PUBLIC_SECTIONS.values()
            if sections.figures is not None and sections.figures_slug == slug
        ),
        None,
    )
