from __future__ import annotations

from typing import Any

from wagtail import hooks

from referential_admin.viewsets import ReferentialViewSetGroup


@hooks.register("register_admin_viewset")
def register_referential_viewsets() -> Any:
    return ReferentialViewSetGroup()
