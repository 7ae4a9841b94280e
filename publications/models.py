"""Releases: what the public sees of a data family, one numbered, immutable
release after another. Exactly one release per family is current; publishing or
rolling back switches it in one transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReleaseQuerySet(models.QuerySet["Release"]):
    def current(self, family: str) -> Release | None:
        """The family's current release (what the public sees), or None."""
        return (
            self.filter(family=family, is_current=True)
            .select_related("version")
            .first()
        )


class Release(models.Model):
    """A published state of a family: the approved version it shows, the changes
    since the previous release, the disclosure control applied. Never modified
    after creation, except the ``is_current`` flag that the next release turns
    off in the same transaction."""

    class Kind(models.TextChoices):
        PUBLICATION = "publication", _("Publication")
        ROLLBACK = "rollback", _("Rollback")

    family = models.CharField(_("data family"), max_length=40, db_index=True)
    number = models.PositiveIntegerField(_("number"))
    version = models.ForeignKey(
        "datasets.DatasetVersion",
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="releases",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.PUBLICATION
    )
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
    )
    note = models.TextField(_("public note"), blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    changes = models.JSONField(_("changes since the previous release"), default=dict)
    disclosure = models.JSONField(_("disclosure control"), default=dict)
    files = models.JSONField(_("open data files"), default=dict)
    is_current = models.BooleanField(_("current"), default=False)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["family", "-number"]
        permissions = [("rollback_release", _("Can roll back a publication"))]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "number"], name="release_number_per_family"
            ),
            models.UniqueConstraint(
                fields=["family"],
                condition=Q(is_current=True),
                name="one_current_release_per_family",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Release %(number)s") % {"number": self.number})
