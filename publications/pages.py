"""The public portal: one routable Wagtail page serving the home (search), a page
per speciality (identity from the referential, shortage history from the
current release) and the dataset catalogue. Built from published data only:
current releases and the referential, never a version under review."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.models import Page

from publications import portal
from publications.models import Release
from publications.theme import agency_theme

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
    """What every public page's frame needs: DSFR's site configuration and the
    agency's identity."""
    return {"SITE_CONFIG": SITE_CONFIG, "agency": agency_theme()}


def _render(
    request: HttpRequest, template: str, context: dict[str, Any]
) -> HttpResponse:
    return TemplateResponse(request, template, {**portal_context(), **context})


#: Seconds a rendered public page stays cached (its key changes with every new
#: release or referential import anyway).
PAGE_CACHE_SECONDS = 3600


def _published_state() -> str:
    """What the public pages depend on: the current releases and the referential."""
    from referential_admin.models import ReferentialImport

    releases = list(
        Release.objects.filter(is_current=True)
        .order_by("family")
        .values_list("pk", flat=True)
    )
    referential = (
        ReferentialImport.objects.order_by("-pk").values_list("pk", flat=True).first()
    )
    # A new name or colour for the agency shows at once, too.
    theme = hashlib.sha256(repr(agency_theme()).encode()).hexdigest()[:12]
    return f"{releases}:{referential}:{theme}"


def cached_route(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a public route from the cache, keyed by the URL and the published
    state: a publication or a rollback invalidates every page by itself."""

    @wraps(view)
    def wrapped(page: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method != "GET":
            return view(page, request, *args, **kwargs)
        digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
        key = f"portal:page:{digest}:{_published_state()}"
        cached = cache.get(key)
        if cached is not None:
            return HttpResponse(cached, content_type="text/html; charset=utf-8")
        response = view(page, request, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()
        if response.status_code == 200:
            cache.set(key, response.content, PAGE_CACHE_SECONDS)
        return response

    return wrapped


class PortalPage(RoutablePageMixin, Page):
    """The public site's root page (one per site)."""

    max_count = 1
    subpage_types = ["publications.VisualisationPage"]
    template = "publications/portal_home.html"

    class Meta:
        verbose_name = gettext_lazy("public portal")

    @path("")
    @cached_route
    def home(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "").strip()
        return _render(
            request,
            "publications/portal_home.html",
            {
                "page": self,
                "query": query,
                "search": portal.search(query) if query else None,
                "releases": portal.current_releases(),
                "title": _("Medicines: shortages and public data"),
            },
        )

    @path("medicament/<str:cis>/")
    @cached_route
    def speciality(self, request: HttpRequest, cis: str) -> HttpResponse:
        detail = portal.speciality_page(cis)
        if detail is None:
            raise Http404
        return _render(
            request,
            "publications/portal_speciality.html",
            {"page": self, "detail": detail, "title": detail.speciality.name},
        )

    @path("ruptures/")
    @cached_route
    def shortages(self, request: HttpRequest) -> HttpResponse:
        from publications.charts import bar_chart

        statistics = portal.shortage_statistics()
        charts = {}
        if statistics is not None:
            breakdowns = (
                ("year", statistics.per_year, _("Year"), False),
                (
                    "classification",
                    statistics.per_classification,
                    _("Classification"),
                    True,
                ),
                ("cause", statistics.per_cause, _("Cause"), True),
                ("atc", statistics.per_atc, _("ATC main group"), True),
            )
            charts = {
                key: bar_chart(
                    rows,
                    category=label,
                    value=_("Declarations"),
                    horizontal=horizontal,
                    sort_by_value=horizontal,
                )
                for key, rows, label, horizontal in breakdowns
            }
        return _render(
            request,
            "publications/portal_shortages.html",
            {
                "page": self,
                "statistics": statistics,
                "charts": charts,
                "title": _("Drug shortages in figures"),
            },
        )

    @path("substance/<str:code>/")
    @cached_route
    def substance(self, request: HttpRequest, code: str) -> HttpResponse:
        detail = portal.substance_page(code)
        if detail is None:
            raise Http404
        return _render(
            request,
            "publications/portal_substance.html",
            {"page": self, "detail": detail, "title": detail.substance.name},
        )

    @path("jeux-de-donnees/")
    @cached_route
    def catalogue(self, request: HttpRequest) -> HttpResponse:
        return _render(
            request,
            "publications/portal_catalogue.html",
            {
                "page": self,
                "families": portal.catalogue(),
                "title": _("Datasets"),
            },
        )

    def get_sitemap_urls(self, request: Any = None) -> list[dict[str, Any]]:
        base = self.get_full_url(request)
        urls = [
            {"location": base},
            {"location": base + "ruptures/"},
            {"location": base + "jeux-de-donnees/"},
        ]
        urls.extend(
            {"location": base + f"medicament/{cis}/"}
            for cis in portal.specialities_with_shortages()
        )
        return urls


def aggregate_choices() -> list[tuple[str, str]]:
    """Every published table a visualisation may show: "family:aggregate"."""
    from datasets.families import FAMILIES

    return [
        (f"{key}:{aggregate.name}", f"{schema.label} – {aggregate.label}")
        for key, schema in FAMILIES.items()
        for aggregate in schema.aggregates
    ]


class PublishedTableBlock(blocks.StructBlock):
    """A chart or a table bound to a published aggregate of a family."""

    source = blocks.ChoiceBlock(choices=aggregate_choices, label=gettext_lazy("Table"))
    title = blocks.CharBlock(label=gettext_lazy("Title"))

    class Meta:
        icon = "table"


class VisualisationPage(Page):
    """A page the Data Office composes from text, charts and tables of the
    published data; published through the public pages' review workflow."""

    body = StreamField(
        [
            ("text", blocks.RichTextBlock(label=gettext_lazy("Text"))),
            ("chart", PublishedTableBlock(label=gettext_lazy("Chart"))),
            ("table", PublishedTableBlock(label=gettext_lazy("Table"))),
        ],
        use_json_field=True,
        blank=True,
    )
    content_panels = [*Page.content_panels, FieldPanel("body")]
    parent_page_types = ["publications.PortalPage"]
    subpage_types: list[str] = []
    template = "publications/visualisation_page.html"

    class Meta:
        verbose_name = gettext_lazy("visualisation page")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        context = super().get_context(request, *args, **kwargs)
        context.update(portal_context())
        context["title"] = self.title
        context["blocks"] = [
            {
                "type": block.block_type,
                "value": block.value,
                "data": portal.published_table(block.value["source"])
                if block.block_type in ("chart", "table")
                else None,
            }
            for block in self.body
        ]
        return context
