"""Template helpers of the portal."""

from __future__ import annotations

from typing import Any

from django import template

from publications.charts import bar_chart

register = template.Library()


@register.simple_tag
def cell(data: Any, row: Any, column: Any) -> str:
    """The published text of a cell of a ``PublishedTable``."""
    return str(data.cells.get((row, column), ""))


@register.simple_tag
def label(data: Any, key: Any) -> str:
    """The French label of a row or column key (a vocabulary code, a year)."""
    return str(data.labels.get(key, key))


@register.simple_tag
def chart_of(data: Any, title: str) -> Any:
    """The chart of a published table's totals (None below two bars)."""
    from django.utils.translation import gettext as _

    return bar_chart(data.totals, category=title, value=_("Count"))
