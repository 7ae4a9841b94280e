"""The public portal: one routable Wagtail page serving the home (search), a page
per speciality (identity from the referential, shortage history from the
current release) and the dataset catalogue. Built from published data only:
current releases and the referential, never a version under review."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.models import Locale, Page, PagePermissionTester, Site
from wagtail.url_routing import RouteResult

from backoffice.throttle import retry_after
from datasets.families import FAMILIES
from datasets.families.public import PUBLIC_SECTIONS, sections_with_figures
from publications import portal
from publications.charts import bar_chart
from publications.models import Release
from publications.theme import agency_theme, portal_context
from referential_admin.selectors import referential_state


def _render(
    request: HttpRequest, template: str, context: dict[str, Any]
) -> HttpResponse:
    return TemplateResponse(request, template, {**portal_context(), **context})


def _charts(data: Any, value: str) -> dict[str, Any]:
    """The chart of each breakdown a family's data has, by the breakdown's key."""
    return {
        breakdown.key: bar_chart(
            breakdown.rows,
            category=breakdown.heading,
            value=value,
            horizontal=breakdown.categorical,
            sort_by_value=breakdown.categorical and not breakdown.ordered,
            counted=value.lower(),
        )
        for breakdown in getattr(data, "breakdowns", None) or []
    }


def _chart_sections(sections: list[Any]) -> None:
    """Draw the charts of the families' sections of a page."""
    for section in sections:
        if section.data is not None:
            public = PUBLIC_SECTIONS[section.family]
            section.charts = _charts(section.data, str(public.figures_value))


#: Seconds a rendered public page stays cached (its key changes with every new
#: release or referential import anyway).
PAGE_CACHE_SECONDS = 3600


def _published_state() -> str:
    """What the public pages depend on: the current releases and the referential."""
    releases = list(
        Release.objects.filter(is_current=True)
        .order_by("family")
        .values_list("pk", flat=True)
    )
    referential = referential_state()
    # A new name or colour for the agency shows at once, too.
    theme = hashlib.sha256(repr(agency_theme()).encode()).hexdigest()[:12]
    return f"{releases}:{referential}:{theme}"


#: Longest search kept (characters); the rest is ignored.
MAX_QUERY = 200


def search_query(request: HttpRequest) -> str:
    """The portal's search text, as the routes and the cache read it."""
    return " ".join(request.GET.get("q", "").split())[:MAX_QUERY]


def cached_route(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a public route from the cache, keyed by the URL and the published
    state: a publication or a rollback invalidates every page by itself."""

    @wraps(view)
    def wrapped(page: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method != "GET":
            return view(page, request, *args, **kwargs)
        query = search_query(request)
        if query:
            wait = retry_after(request, "search")
            if wait is not None:
                answer = HttpResponse(
                    _("Too many searches from your address: try again in %(s)s s.")
                    % {"s": wait},
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                answer["Retry-After"] = str(wait)
                return answer
        # Keyed by the path and the one parameter the routes read, normalised:
        # other or reordered parameters cannot grow the cache.
        digest = hashlib.sha256(f"{request.path}?q={query}".encode()).hexdigest()[:32]
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


class ReviewedPagePermissionTester(PagePermissionTester):
    """Nobody publishes a public page by themself, superusers included: the
    editor, the bulk action, the admin API, a copy "kept live" all ask this
    tester and are refused. Publication happens only at the last approval of
    the page's review workflow (``workflows.finish``), which skips the check."""

    def can_publish(self) -> bool:
        return False

    def can_publish_subpage(self) -> bool:
        return False


class ReviewedPage(Page):
    """A public page whose publication is its review's last approval."""

    class Meta:
        abstract = True

    def permissions_for_user(self, user: Any) -> PagePermissionTester:
        return ReviewedPagePermissionTester(user, self)


class PortalPage(RoutablePageMixin, ReviewedPage):
    """The public site's root page (one per site)."""

    max_count = 1
    subpage_types = ["publications.VisualisationPage"]
    template = "publications/portal_home.html"

    class Meta:
        verbose_name = gettext_lazy("public portal")

    @path("")
    @cached_route
    def home(self, request: HttpRequest) -> HttpResponse:
        query = search_query(request)
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
        _chart_sections(detail.sections)
        return _render(
            request,
            "publications/portal_speciality.html",
            {"page": self, "detail": detail, "title": detail.speciality.name},
        )

    def route(self, request: HttpRequest, path_components: list[str]) -> Any:
        """A family's page in figures sits at its slug ("ruptures/"): families
        name their own address (``datasets.families.public``)."""
        if (
            self.live
            and len(path_components) == 1
            and sections_with_figures(path_components[0]) is not None
        ):
            return RouteResult(
                self, args=(self.figures, (), {"slug": path_components[0]})
            )
        return super().route(request, path_components)

    @cached_route
    def figures(self, request: HttpRequest, slug: str) -> HttpResponse:
        found = portal.family_figures(slug)
        if found is None:
            raise Http404
        public = found.sections
        charts = {}
        if found.data is not None:
            charts = _charts(found.data, str(public.figures_value))
        return _render(
            request,
            public.figures_template,
            {
                "page": self,
                "figures": found.data,
                "release": found.release,
                "charts": charts,
                "title": str(public.figures_title),
            },
        )

    @path("substance/<str:code>/")
    @cached_route
    def substance(self, request: HttpRequest, code: str) -> HttpResponse:
        detail = portal.substance_page(code)
        if detail is None:
            raise Http404
        _chart_sections(detail.sections)
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
        urls = [{"location": base}]
        urls.extend(
            {"location": base + f"{sections.figures_slug}/"}
            for sections in PUBLIC_SECTIONS.values()
            if sections.figures is not None
        )
        urls.append({"location": base + "jeux-de-donnees/"})
        urls.extend(
            {"location": base + f"medicament/{cis}/"}
            for cis in portal.specialities_with_records()
        )
        return urls


def aggregate_choices() -> list[tuple[str, str]]:
    """Every published table a visualisation may show: "family:aggregate"."""
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


class VisualisationPage(ReviewedPage):
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


def portal_ensure() -> Any:
    """Make sure the public site exists: Wagtail's root page, the portal page and
    a default site serving it (idempotent; the data migration does the same on a
    new database). Returns the portal page."""
    portal = PortalPage.objects.first()
    if portal is None:
        locale, _created = Locale.objects.get_or_create(
            language_code=settings.LANGUAGE_CODE.split("-")[0]
        )
        root = Page.get_first_root_node()
        if root is None:
            root = Page.add_root(title="Root", slug="root", locale=locale)
        portal = root.add_child(
            instance=PortalPage(title="DataMed", slug="datamed", locale=locale)
        )
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=portal, is_default_site=True
        )
    elif site.root_page_id != portal.pk:
        site.root_page = portal
        site.save(update_fields=["root_page"])
    return portal
