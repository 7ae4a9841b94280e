"""Root URLs: Wagtail admin under /admin/, public files and API, public pages.
No Django admin."""

from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from backoffice.views import second_factor_view

urlpatterns: list[URLPattern | URLResolver] = [
    # Before the admin's own URLs: reachable before the second factor is given.
    path("admin/securite/", second_factor_view, name="backoffice_second_factor"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include("publications.public_urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    # Only images are public files; releases and documents go through their
    # views, raw files are not under MEDIA_ROOT at all.
    for folder in ("images", "original_images"):
        urlpatterns += static(
            f"{settings.MEDIA_URL}{folder}/",
            document_root=settings.MEDIA_ROOT / folder,
        )

urlpatterns += [path("", include(wagtail_urls))]

# A missing page answers in French, in the portal's frame (JSON under /api/);
# templates/500.html needs nothing that could itself fail.
handler404 = "publications.public_views.not_found_view"
