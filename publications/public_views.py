"""Public reads of the releases: open data files and the JSON API (/api/v1/).
Only the current release (or a named past one) is ever read: never a version
that was not approved."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import http_date, quote_etag, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from backoffice.throttle import retry_after
from datasets.families import FAMILIES, get_family
from datasets.records import record_model
from publications.aggregates import aggregate_tables, release_tables
from publications.catalogue import dcat_catalogue, openapi_document
from publications.disclosure import TOTAL
from publications.models import Release
from publications.theme import portal_context

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    "json": ("application/json", "json"),
    "schema": ("application/json", "schema.json"),
    "datapackage": ("application/json", "json"),
}
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def _release(family: str, number: int | None) -> Release:
    if family not in FAMILIES:
        raise Http404
    if number is None:
        release = Release.objects.current(family)
    else:
        release = Release.objects.filter(family=family, number=number).first()
    if release is None:
        raise Http404
    return release


def _not_modified(request: HttpRequest, etag: str) -> bool:
    return request.headers.get("If-None-Match") == etag


def _cached(response: HttpResponseBase, etag: str, modified: Any) -> HttpResponseBase:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified.timestamp())
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def release_file_view(
    request: HttpRequest, family: str, fmt: str, number: int | None = None
) -> HttpResponseBase:
    """A file of the current release ("derniere") or of release ``number``."""
    if fmt not in FORMATS:
        raise Http404
    release = _release(family, number)
    info = release.files.get(fmt)
    if not info or not default_storage.exists(info["path"]):
        raise Http404
    etag = quote_etag(info["sha256"])
    if _not_modified(request, etag):
        return _cached(HttpResponse(status=304), etag, release.published_at)
    content_type, _extension = FORMATS[fmt]
    response = FileResponse(
        default_storage.open(info["path"], "rb"),
        content_type=content_type,
        as_attachment=fmt in ("csv", "xlsx"),
        filename=info["path"].rsplit("/", 1)[-1],
    )
    return _cached(response, etag, release.published_at)


def _release_json(release: Release) -> dict[str, Any]:
    files = {
        fmt: {
            "url": reverse(
                "public_release_file",
                kwargs={"family": release.family, "number": release.number, "fmt": fmt},
            ),
            "sha256": info["sha256"],
            "bytes": info["size"],
        }
        for fmt, info in release.files.items()
    }
    return {
        "family": release.family,
        "number": release.number,
        "kind": release.kind,
        "current": release.is_current,
        "published_at": release.published_at.isoformat(),
        "note": release.note,
        "rows": release.rows,
        "changes": release.changes,
        "disclosure": release.disclosure,
        "files": files,
    }


def too_many_requests(wait: int) -> JsonResponse:
    """The answer past a client's rate limit: 429, French, with Retry-After."""
    response = JsonResponse(
        {
            "error": _(
                "Too many requests from your address: try again in %(seconds)s s."
            )
            % {"seconds": wait}
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def throttled(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Count the request against the client's API limit (``backoffice.throttle``)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        wait = retry_after(request, "api")
        if wait is not None:
            return too_many_requests(wait)
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@throttled
def api_releases_view(request: HttpRequest) -> JsonResponse:
    """Every release, newest first; ``?family=`` narrows to one family."""
    releases = Release.objects.all().order_by("family", "-number")
    family = request.GET.get("family")
    if family:
        releases = releases.filter(family=family)
    return JsonResponse(
        {"results": [_release_json(r) for r in releases]},
        json_dumps_params={"ensure_ascii": False},
    )


_PATTERNS = {
    "cis": (re.compile(r"\d{8}"), "un code CIS de 8 chiffres"),
    "cip13": (re.compile(r"\d{13}"), "un code CIP13 de 13 chiffres"),
    "atc": (
        re.compile(r"[A-Z0-9]{1,7}"),
        "un début de code ATC (7 caractères au plus)",
    ),
}
RECORDS_PARAMS = (
    "cis",
    "cip13",
    "substance",
    "atc",
    "date_from",
    "date_to",
    "page",
    "page_size",
)
MAX_TEXT = 200


def _integer(value: str | None, name: str, default: int, high: int | None) -> int:
    if value is None or value == "":
        return default
    if (
        not value.isdigit()
        or int(value) < 1
        or (high is not None and int(value) > high)
    ):
        bound = f"entre 1 et {high}" if high is not None else "à partir de 1"
        raise ValueError(
            _("Invalid parameter %(name)s: a whole number %(bound)s is expected.")
            % {"name": name, "bound": bound}
        )
    return int(value)


def records_params(query: Any) -> dict[str, Any]:
    """The records API's parameters, validated: raises ValueError with a French
    message naming the parameter (unknown, malformed or out of range)."""
    unknown = sorted(set(query) - set(RECORDS_PARAMS))
    if unknown:
        raise ValueError(
            _("Unknown parameter(s): %(names)s. Known: %(known)s.")
            % {"names": ", ".join(unknown), "known": ", ".join(RECORDS_PARAMS)}
        )
    params: dict[str, Any] = {}
    for name in ("cis", "cip13", "atc", "substance"):
        value = (query.get(name) or "").strip()
        if name == "atc":
            value = value.upper()
        if len(value) > MAX_TEXT:
            raise ValueError(
                _("Invalid parameter %(name)s: %(max)s characters at most.")
                % {"name": name, "max": MAX_TEXT}
            )
        if value and name in _PATTERNS and not _PATTERNS[name][0].fullmatch(value):
            raise ValueError(
                _("Invalid parameter %(name)s: %(expected)s is expected.")
                % {"name": name, "expected": _PATTERNS[name][1]}
            )
        params[name] = value
    for name in ("date_from", "date_to"):
        value = query.get(name) or ""
        try:
            params[name] = date.fromisoformat(value) if value else None
        except ValueError:
            raise ValueError(
                _("Invalid parameter %(name)s: a date YYYY-MM-DD is expected.")
                % {"name": name}
            ) from None
    params["page"] = _integer(query.get("page"), "page", 1, None)
    params["page_size"] = _integer(
        query.get("page_size"), "page_size", PAGE_SIZE, MAX_PAGE_SIZE
    )
    return params


@require_GET
@throttled
def api_records_view(request: HttpRequest, family: str) -> HttpResponseBase:
    """The records of the family's current release, filtered and paginated.

    Filters: ``cis``, ``cip13``, ``substance`` (contains, any case), ``atc``
    (prefix), ``date_from``/``date_to`` (on the family's first date field).
    Answers 304 when ``If-None-Match`` matches: the ETag changes with the
    release and the query.
    """
    release = _release(family, None)
    schema = get_family(family)
    if not schema.row_level:
        return JsonResponse(
            {"error": _("This family is only published as aggregates.")}, status=404
        )
    try:
        params = records_params(request.GET)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    # Keyed by the validated parameters only: reordered or unknown spellings of
    # one query share one entry, and nothing else can grow the cache.
    normalised = json.dumps(params, sort_keys=True, default=str)
    etag = quote_etag(
        hashlib.sha256(f"{release.pk}:{normalised}".encode()).hexdigest()[:32]
    )
    if _not_modified(request, etag):
        return _cached(HttpResponse(status=304), etag, release.published_at)
    key = f"api:records:{request.get_host()}:{etag}"
    body_text = cache.get(key)
    if body_text is not None:
        response = HttpResponse(body_text, content_type="application/json")
        return _cached(response, etag, release.published_at)
    date_from, date_to = params["date_from"], params["date_to"]
    page_size, page_number = params["page_size"], params["page"]
    names = [*schema.field_names, "matched_cis"]
    rows = record_model(schema)._default_manager.filter(version=release.version)
    if cis := params["cis"]:
        field_names = set(schema.field_names)
        condition = Q(matched_cis=cis)
        if "cis" in field_names:
            condition |= Q(cis=cis)
        rows = rows.filter(condition)
    if cip13 := params["cip13"]:
        rows = rows.filter(cip13=cip13)
    if substance := params["substance"]:
        rows = rows.filter(substance__icontains=substance)
    if atc := params["atc"]:
        rows = rows.filter(atc__startswith=atc)
    first_date = next((s.name for s in schema.fields if s.type == "date"), None)
    if first_date and date_from:
        rows = rows.filter(**{f"{first_date}__gte": date_from})
    if first_date and date_to:
        rows = rows.filter(**{f"{first_date}__lte": date_to})
    paginator = Paginator(rows.order_by("row_number").values(*names), page_size)
    try:
        page = paginator.page(page_number)
    except EmptyPage:
        return JsonResponse({"error": _("This page does not exist.")}, status=404)
    base = request.build_absolute_uri(request.path)
    query = {k: str(v) for k, v in params.items() if v not in (None, "")}

    def link(number: int) -> str:
        query["page"] = str(number)
        return f"{base}?{urlencode(query)}"

    body = {
        "release": release.number,
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
        "results": [
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
            for row in page.object_list
        ],
    }
    body_text = json.dumps(body, ensure_ascii=False)
    cache.set(key, body_text, 3600)  # the key holds the release: no stale answer
    response = HttpResponse(body_text, content_type="application/json")
    return _cached(response, etag, release.published_at)


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_GET
def api_openapi_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        openapi_document(_base(request)), json_dumps_params={"ensure_ascii": False}
    )


@require_GET
def api_catalogue_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        json.dumps(dcat_catalogue(_base(request)), ensure_ascii=False),
        content_type="application/ld+json",
    )


@require_GET
def robots_view(request: HttpRequest) -> HttpResponse:
    """Everything public may be indexed, the back office may not."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Allow: /",
        f"Sitemap: {_base(request)}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@require_GET
@throttled
def api_aggregates_view(request: HttpRequest, family: str) -> HttpResponseBase:
    """The aggregate tables of the family's current release, after disclosure
    control: a hidden count is ``null`` with ``shown`` "< threshold"."""
    release = _release(family, None)
    etag = quote_etag(f"aggregates-{release.pk}")
    if _not_modified(request, etag):
        return _cached(HttpResponse(status=304), etag, release.published_at)
    schema = get_family(family)
    if schema.tables is not None:
        response = HttpResponse(
            json.dumps(
                {
                    "release": release.number,
                    "threshold": schema.disclosure_threshold,
                    "tables": release_tables(release.version),
                },
                ensure_ascii=False,
                default=str,
            ),
            content_type="application/json",
        )
        return _cached(response, etag, release.published_at)
    tables = []
    for item in aggregate_tables(release.version):
        table = item.table
        tables.append(
            {
                "name": item.aggregate.name,
                "label": str(item.aggregate.label),
                "keys": item.keys,
                "cells": [
                    {
                        "row": None if row == TOTAL else str(row),
                        "column": None if column in (TOTAL, "n") else str(column),
                        "count": table.value(row, column),
                        "shown": table.shown(row, column),
                    }
                    for (row, column) in table.cells
                ],
            }
        )
    body = {
        "release": release.number,
        "threshold": None if schema.row_level else schema.disclosure_threshold,
        "aggregates": tables,
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), content_type="application/json"
    )
    return _cached(response, etag, release.published_at)


def not_found_view(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    """Error 404: JSON under the API, else a French page of the portal."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)

    return render(
        request,
        "publications/portal_404.html",
        {**portal_context(), "title": _("Page not found")},
        status=404,
    )
