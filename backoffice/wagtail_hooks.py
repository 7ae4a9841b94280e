"""Admin shell: branding and menus trimmed to what works offline; documents kept
private."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks


@hooks.register("insert_global_admin_css")
def datamed_admin_css() -> str:
    return format_html(
        '<link rel="stylesheet" href="{}">', static("backoffice/css/admin.css")
    )


@hooks.register("construct_main_menu")
def hide_help_menu(request: HttpRequest, menu_items: list[Any]) -> None:
    # The help menu links to wagtail.org, which the agency's network does not reach.
    menu_items[:] = [item for item in menu_items if item.name != "help"]


@hooks.register("register_account_menu_item")
def second_factor_account_item(request: HttpRequest) -> dict[str, Any]:
    # Every account sets up its authenticator from its own account page (« Mon
    # compte »), before it is required; directorates have no settings menu.
    return {
        "url": reverse("backoffice_second_factor"),
        "label": _("Second factor"),
        "help_text": _(
            "Set up or check the authenticator application of your account."
        ),
    }


@hooks.register("before_serve_document")
def documents_are_private(document: Any, request: HttpRequest) -> None:
    """Documents added in the admin are working files, not reviewed content: only
    a user who may choose or change the document downloads it (as an attachment,
    see ``WAGTAILDOCS_INLINE_CONTENT_TYPES``); anyone else is told it does not
    exist (the portal's 404)."""
    # Wagtail's permission module must not load before its app is ready.
    from wagtail.documents.permissions import permission_policy

    user = request.user
    if user.is_authenticated and permission_policy.user_has_any_permission_for_instance(
        user, ["change", "choose"], document
    ):
        return
    raise Http404(_("This document does not exist."))
