from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.db.models.signals import post_migrate, pre_delete, pre_save
from django.utils.translation import gettext_lazy as _

from backoffice.memory import tune_malloc
from backoffice.roles import apply_roles


def _sync_roles_after_migrate(sender: AppConfig, **kwargs: Any) -> None:
    # post_migrate is sent once per app; permissions of every app exist only after
    # the last one, so sync then. Keeps roles complete when later apps add models.
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is not with_models[-1]:
        return
    apply_roles(kwargs.get("apps") or apps)


def _refuse_log_entry_change(
    sender: Any, instance: Any, raw: bool = False, **kwargs: Any
) -> None:
    """The audit trail is evidence: an entry, once written, is never changed by
    the application (no screen offers it either)."""
    from django.core.exceptions import PermissionDenied

    if raw or instance.pk is None:
        return
    if sender.objects.filter(pk=instance.pk).exists():
        raise PermissionDenied(_("Audit log entries are never modified."))


def _refuse_log_entry_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied(_("Audit log entries are never deleted."))


def use_arrow_memory_pool() -> None:
    """Arrow allocates from ``settings.ARROW_MEMORY_POOL`` in this process."""
    import pyarrow as pa
    from django.core.exceptions import ImproperlyConfigured

    pools = {
        "system": pa.system_memory_pool,
        "jemalloc": pa.jemalloc_memory_pool,
        "mimalloc": pa.mimalloc_memory_pool,
    }
    name = settings.ARROW_MEMORY_POOL
    if name not in pools:
        raise ImproperlyConfigured(
            f"ARROW_DEFAULT_MEMORY_POOL={name!r}: expected one of {sorted(pools)}"
        )
    pa.set_memory_pool(pools[name]())


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("DataMed back office")

    def ready(self) -> None:
        tune_malloc()
        use_arrow_memory_pool()
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="datamed-roles")
        from backoffice.spreadsheets import protect_wagtail_csv

        protect_wagtail_csv()
        from django.db.models.signals import post_save
        from wagtail.models import ModelLogEntry, PageLogEntry

        from backoffice.audit import seal_after_commit

        for model in (ModelLogEntry, PageLogEntry):
            post_save.connect(
                seal_after_commit, sender=model, dispatch_uid=f"audit-seal-{model}"
            )
            pre_save.connect(
                _refuse_log_entry_change,
                sender=model,
                dispatch_uid=f"append-only-{model}",
            )
            pre_delete.connect(
                _refuse_log_entry_delete,
                sender=model,
                dispatch_uid=f"append-only-delete-{model}",
            )
