"""Public URLs of the releases: files (stable "latest" and per release) and the
JSON API. Mounted at the root, before Wagtail's pages."""

from __future__ import annotations

from django.urls import path
from wagtail.contrib.sitemaps.views import sitemap

from publications import public_views as views

urlpatterns = [
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", views.robots_view, name="robots"),
    path(
        "donnees/<str:family>/derniere/<str:fmt>/",
        views.release_file_view,
        name="public_latest_file",
    ),
    path(
        "donnees/<str:family>/publication/<int:number>/<str:fmt>/",
        views.release_file_view,
        name="public_release_file",
    ),
    path("api/v1/releases/", views.api_releases_view, name="api_releases"),
    path("api/v1/openapi.json", views.api_openapi_view, name="api_openapi"),
    path("api/v1/catalogue.jsonld", views.api_catalogue_view, name="api_catalogue"),
    path("api/v1/<str:family>/records/", views.api_records_view, name="api_records"),
    path(
        "api/v1/<str:family>/aggregates/",
        views.api_aggregates_view,
        name="api_aggregates",
    ),
]
