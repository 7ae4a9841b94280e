from pathlib import Path

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("Jobs")

    def ready(self) -> None:
        # An app config loads before any model: models are imported once ready.
        from django.conf import settings
        from django.utils.module_loading import autodiscover_modules
        from wagtail.permissions import register_permission_policy

        from tasks.models import JobRun
        from tasks.permissions import JobRunPermissionPolicy

        register_permission_policy(JobRun, JobRunPermissionPolicy(JobRun))

        # Job kinds register when their tasks module is imported: web processes
        # need them too, to enqueue and to label runs.
        autodiscover_modules("tasks")
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
        for key in (
            "data_folder_in",
            "data_folder_out",
            "processed_folder",
            "control_folder",
        ):
            if key in options:
                Path(options[key]).mkdir(parents=True, exist_ok=True)
