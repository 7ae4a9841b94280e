"""Admin shell: branding and menus trimmed to what works offline."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem


@hooks.register("insert_global_admin_css")
def datamed_admin_css() -> str:
    return format_html(
        '<link rel="stylesheet" href="{}">', static("backoffice/css/admin.css")
    )


@hooks.register("construct_main_menu")
def hide_help_menu(request: HttpRequest, menu_items: list[Any]) -> None:
    # The help menu links to wagtail.org, which the agency's network does not reach.
    menu_items[:] = [item for item in menu_items if item.name != "help"]


@hooks.register("register_settings_menu_item")
def second_factor_menu_item() -> MenuItem:
    # Every account may set up its authenticator, before it is required.
    return MenuItem(
        _("Second factor"),
        reverse("backoffice_second_factor"),
        icon_name="key",
        order=10000,
    )
