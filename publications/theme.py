"""The agency's identity on the public site, and what every public page's frame
needs.

The State design system (DSFR) keeps the State's colours on its components; an
operator such as the ANSM shows its own name or logo beside the Marianne block
("bloc opérateur") and may use its colour for illustrations. Here: its name (or
logo) in the header, and its colour on charts, bars and the timeline. The values
come from the settings (``DATAMED_AGENCY_*``), to be set from the agency's brand
reference; a colour that is not ``#rrggbb`` falls back to the State's blue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register
from django.utils.translation import gettext_lazy

#: DSFR's "bleu France", the fallback accent.
STATE_BLUE = "#000091"
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class AgencyTheme:
    name: str
    logo: str  # a static file path, or "" to show the name as text
    colour: str


def agency_theme() -> AgencyTheme:
    """The agency's name, logo and accent colour (always a valid colour)."""
    colour = str(getattr(settings, "DATAMED_AGENCY_COLOUR", "") or "")
    return AgencyTheme(
        name=str(getattr(settings, "DATAMED_AGENCY_NAME", "") or "ANSM"),
        logo=str(getattr(settings, "DATAMED_AGENCY_LOGO", "") or ""),
        colour=colour if _COLOUR.match(colour) else STATE_BLUE,
    )


#: What django-dsfr's header and footer read (its context processor would query
#: the database on every render, admin pages included).
SITE_CONFIG = {
    "site_title": "DataMed",
    "site_tagline": gettext_lazy("Public data on medicines from the ANSM"),
    "header_brand_html": "République<br>française",
    "footer_brand_html": "République<br>française",
    "footer_description": gettext_lazy(
        "DataMed publishes the ANSM's data on medicines: drug shortages and, "
        "soon, adverse effects and medication errors. Small counts are never "
        "published."
    ),
}


def portal_context() -> dict[str, Any]:
    """What every public page's frame needs: DSFR's site configuration, the
    agency's identity and the families' pages in figures (for the menu)."""
    from datasets.families.public import PUBLIC_SECTIONS

    return {
        "SITE_CONFIG": SITE_CONFIG,
        "agency": agency_theme(),
        "figures_pages": [
            (
                f"/{sections.figures_slug}/",
                str(sections.figures_menu or sections.figures_title),
            )
            for sections in PUBLIC_SECTIONS.values()
            if sections.figures is not None
        ],
    }


@register()
def check_agency_colour(**kwargs: object) -> list[CheckMessage]:
    colour = str(getattr(settings, "DATAMED_AGENCY_COLOUR", "") or "")
    if colour and not _COLOUR.match(colour):
        return [
            Warning(
                f"DATAMED_AGENCY_COLOUR={colour!r} is not a #rrggbb colour; "
                f"the public site uses {STATE_BLUE}.",
                id="publications.W001",
            )
        ]
    return []
