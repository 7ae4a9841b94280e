"""Admin shell: branding and menus trimmed to what works offline."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
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
