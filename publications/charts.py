"""Charts of the public pages: Vega-Lite specifications (altair) rendered to SVG
on the server (vl-convert, no CDN, no script in the page). Each chart comes with
a sentence that says what it shows; the page also gives its data as a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from publications.theme import agency_theme


@dataclass
class Chart:
    svg: SafeString
    summary: str


def _count_axis(frame: Any) -> Any:
    """Whole numbers only: every value up to ten, else Vega's own steps."""
    import altair as alt

    top = int(frame["count"].max())
    if top <= 10:
        return alt.Axis(format="d", values=list(range(top + 1)))
    return alt.Axis(format="d", tickMinStep=1)


def bar_chart(
    rows: Sequence[Any],
    *,
    category: str,
    value: str,
    horizontal: bool = False,
    sort_by_value: bool = False,
    counted: str = "",
) -> Chart | None:
    """A bar chart of rows with ``label`` and ``count``; None without data.
    ``counted`` names what the bars count in its sentence (declarations)."""
    import altair as alt
    import pandas as pd
    import vl_convert

    if len(rows) < 2:
        return None  # one bar says nothing a sentence does not
    frame = pd.DataFrame(
        {"label": [str(r.label) for r in rows], "count": [int(r.count) for r in rows]}
    )
    order: Any = "-x" if sort_by_value else None
    category_axis = alt.Y if horizontal else alt.X
    value_axis = alt.X if horizontal else alt.Y
    chart = (
        alt.Chart(frame)
        .mark_bar(color=agency_theme().colour)
        .encode(
            category_axis(
                "label:N",
                title=category,
                sort=order if horizontal else None,
                axis=alt.Axis(labelLimit=260, labelAngle=0),
            ),
            value_axis("count:Q", title=value, axis=_count_axis(frame)),
            tooltip=["label", "count"],
        )
        .properties(
            width=420 if horizontal else max(220, 48 * len(frame)),
            height=max(120, 26 * len(frame)) if horizontal else 220,
        )
        .configure_axis(
            labelFont="Marianne, Arial",
            titleFont="Marianne, Arial",
            labelFontSize=12,
            titleFontSize=12,
        )
        .configure_view(stroke=None)
    )
    svg = vl_convert.vegalite_to_svg(chart.to_json())
    top = max(int(r.count) for r in rows)
    leaders = [str(r.label) for r in rows if int(r.count) == top]
    total = sum(int(r.count) for r in rows)
    counted = counted or _("declarations")
    if len(leaders) == 1:
        summary = _(
            "The largest is “%(label)s”: %(value)s of %(total)s %(counted)s."
        ) % {"total": total, "label": leaders[0], "value": top, "counted": counted}
    else:
        summary = _(
            "Tied first: %(labels)s, with %(value)s of %(total)s %(counted)s each."
        ) % {
            "labels": ", ".join(_("“%(label)s”") % {"label": lb} for lb in leaders),
            "value": top,
            "total": total,
            "counted": counted,
        }
    return Chart(svg=mark_safe(svg), summary=summary)  # noqa: S308 - generated SVG
