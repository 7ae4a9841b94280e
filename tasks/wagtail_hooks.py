from __future__ import annotations

from typing import Any

from wagtail import hooks

from tasks.viewsets import jobrun_viewset


@hooks.register("register_admin_viewset")
def register_jobrun_viewset() -> Any:
    return jobrun_viewset
