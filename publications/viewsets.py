"""The "Publications" menu: the releases of each family."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn

from backoffice.viewsets import ReadOnlyModelViewSet
from datasets.viewsets import FamilyColumn, UserColumn
from publications import views
from publications.models import Release


class ReleaseViewSet(ReadOnlyModelViewSet):
    model = Release
    icon = "globe"
    menu_label = _("Releases")
    menu_order = 110
    add_to_admin_menu = True
    index_view_class = views.ReleaseIndexView
    inspect_view_enabled = False
    list_filter = ["family", "kind"]
    list_per_page = 50

    @property
    def list_display(self) -> list[Any]:
        return [
            Column("number", label=_("Release"), accessor=lambda r: str(r)),
            FamilyColumn("family", label=_("Data family")),
            Column("version", label=_("Version")),
            Column("kind", label=_("Kind"), accessor="get_kind_display"),
            BooleanColumn("is_current", label=_("Current")),
            Column("rows", label=_("Rows")),
            Column(
                "changes",
                label=_("Changes"),
                accessor=lambda r: (
                    _("+%(added)s / −%(removed)s / ~%(changed)s")
                    % {
                        "added": r.changes.get("added", 0),
                        "removed": r.changes.get("removed", 0),
                        "changed": r.changes.get("changed", 0),
                    }
                ),
            ),
            Column("note", label=_("Public note")),
            UserColumn("published_by", label=_("Published by")),
            DateColumn("published_at", label=_("Published at")),
        ]
