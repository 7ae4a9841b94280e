"""Admin viewset bases shared by the apps."""

from __future__ import annotations

from typing import Any

from django.urls import path
from wagtail.admin.viewsets.model import ModelViewSet


class ReadOnlyModelViewSet(ModelViewSet):
    """List, search, filter and inspect; no add, edit, copy or delete routes."""

    copy_view_enabled = False
    inspect_view_enabled = True

    def get_urlpatterns(self) -> list[Any]:
        patterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
        if self.inspect_view_enabled:
            # A disabled inspect view has no route at all (it would still answer).
            patterns.append(
                path("inspect/<int:pk>/", self.inspect_view, name="inspect")
            )
        return patterns
