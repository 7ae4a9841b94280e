from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatasetsConfig(AppConfig):
    name = "datasets"
    verbose_name = _("Datasets")

    def ready(self) -> None:
        # An app config loads before any model: models are imported once ready.
        from datasets.families import load_families

        load_families()
