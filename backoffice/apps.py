from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles_after_migrate(sender: AppConfig, **kwargs: Any) -> None:
    # post_migrate is sent once per app; permissions of every app exist only after
    # the last one, so sync then. Keeps roles complete when later apps add models.
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is not with_models[-1]:
        return
    from backoffice.roles import apply_roles

    apply_roles(kwargs.get("apps") or apps)


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("DataMed back office")

    def ready(self) -> None:
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="datamed-roles")
