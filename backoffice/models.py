"""The project shell's one table: the seals of the audit trail's hash chain."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditSeal(models.Model):
    """One link of the chain over Wagtail's log entries (``backoffice.chain``):
    which entry it seals, the digest before it and its own. Written only by
    ``backoffice.audit``; never changed."""

    class Kind(models.TextChoices):
        MODEL = "model", _("object")
        PAGE = "page", _("page")

    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    entry_id = models.BigIntegerField(_("log entry"))
    previous = models.CharField(_("previous digest"), max_length=64)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    sealed_at = models.DateTimeField(_("sealed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "entry_id"], name="audit_seal_one_per_entry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.entry_id}"
