from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicationsConfig(AppConfig):
    name = "publications"
    verbose_name = _("Publications")

    def import_models(self) -> None:
        """The public site's Wagtail pages are models and views at once: they live
        in the views' layer (``publications.pages``, which reads the portal's
        selectors) and are loaded with the models, so that ``publications.models``
        never imports the layers above it."""
        super().import_models()
        import_module("publications.pages")
