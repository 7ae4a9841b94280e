from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferentialAdminConfig(AppConfig):
    name = "referential_admin"
    verbose_name = _("Medicines referential")

    def ready(self) -> None:
        # An app config loads before any model: models are imported once ready.
        from wagtail.permissions import register_permission_policy

        from backoffice.permissions import ReadOnlyPermissionPolicy
        from referential_admin import models

        for model in (
            models.Speciality,
            models.Presentation,
            models.Substance,
            models.AtcClass,
            models.Holder,
            models.ReferentialImport,
            models.ReferentialChange,
        ):
            register_permission_policy(model, ReadOnlyPermissionPolicy(model))
