"""Bundled demo data: each app may define ``demo.load() -> list[str]`` (idempotent),
called in INSTALLED_APPS order by ``manage.py load_demo`` (``make run``)."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.utils.translation import gettext as _


def load_demo_data() -> list[str]:
    """Run every app's demo loader; return the lines they report."""
    lines: list[str] = []
    for app_config in apps.get_app_configs():
        module_name = f"{app_config.name}.demo"
        if app_config.name == "backoffice" or find_spec(module_name) is None:
            continue
        module = import_module(module_name)
        lines.extend(module.load())
    return lines or [_("No demo data to load.")]
