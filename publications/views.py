"""Admin screens of the releases: the list (a read-only listing) and the
rollback form of the Data Office."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from wagtail.admin.views import generic
from wagtail.admin.widgets.button import HeaderButton

from backoffice.exceptions import ApplicationError
from backoffice.http import AuthenticatedRequest
from datasets.families import FAMILIES
from datasets.permissions import user_families
from publications.models import Release
from publications.services import release_rollback


class ReleaseIndexView(generic.IndexView):
    """Releases of the user's families, newest first."""

    def get_base_queryset(self) -> Any:
        families = user_families(self.request.user)
        releases = Release.objects.select_related("version", "published_by")
        if families is not None:
            releases = releases.filter(family__in=families)
        return releases

    def get_add_url(self) -> str | None:
        return None

    @cached_property
    def header_buttons(self) -> list[Any]:
        """« Revenir à la publication précédente » for each family with more than
        one release (Data Office)."""
        if not self.request.user.has_perm("publications.rollback_release"):
            return []
        families = (
            Release.objects.filter(number__gt=1, is_current=True)
            .order_by("family")
            .values_list("family", flat=True)
        )
        return [
            HeaderButton(
                _("Roll back – %(family)s")
                % {"family": FAMILIES[key].label if key in FAMILIES else key},
                url=reverse("publications_rollback", args=[key]),
                icon_name="history",
            )
            for key in families
        ]


def rollback_view(request: AuthenticatedRequest, family: str) -> HttpResponse:
    """Publish the previous release again, with a public note (Data Office)."""
    if not request.user.has_perm("publications.rollback_release"):
        raise PermissionDenied
    schema = FAMILIES.get(family)
    if schema is None:
        raise Http404
    current = Release.objects.current(family)
    previous = (
        Release.objects.filter(family=family, number__lt=current.number)
        .order_by("-number")
        .select_related("version")
        .first()
        if current is not None
        else None
    )
    note = ""
    if request.method == "POST":
        note = request.POST.get("note", "")
        try:
            release = release_rollback(
                family=family,
                user=request.user,
                note=note,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(release)s now shows %(version)s again.")
                % {"release": release, "version": release.version},
            )
            return redirect("releases:index")
    return TemplateResponse(
        request,
        "publications/rollback.html",
        {
            "family": schema,
            "current": current,
            "previous": previous,
            "note": note,
            "page_title": _("Roll back – %(family)s") % {"family": schema.label},
            "header_icon": "history",
        },
    )
