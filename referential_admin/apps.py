from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferentialAdminConfig(AppConfig):
    name = "referential_admin"
    verbose_name = _("Medicines referential")
