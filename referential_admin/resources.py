"""django-import-export resources: aliases and ATC corrections as XLSX/CSV."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields, resources

from referential_admin.matching import normalise_label
from referential_admin.models import Alias, AtcCorrection, Speciality
from referential_admin.services import alias_family_error


def _known_cis(cis: str) -> bool:
    return Speciality.objects.filter(cis=cis).exists()


def _ensure_columns(dataset: Any, headers: tuple[str, ...]) -> None:
    """Add the optional columns a hand-made file may lack (filled with blanks)."""
    for header in headers:
        if header not in (dataset.headers or []):
            dataset.append_col([""] * len(dataset), header=header)


class AliasResource(resources.ModelResource):
    label = fields.Field(attribute="label", column_name="libelle")
    family = fields.Field(attribute="family", column_name="famille")
    cis = fields.Field(attribute="speciality_id", column_name="cis")
    note = fields.Field(attribute="note", column_name="note")
    normalised_label = fields.Field(
        attribute="normalised_label", column_name="libelle_normalise", readonly=False
    )

    class Meta:
        model = Alias
        fields = ("label", "family", "cis", "note", "normalised_label")
        import_id_fields = ("normalised_label", "family")
        skip_unchanged = True
        use_transactions = True

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        _ensure_columns(dataset, ("famille", "cis", "note", "libelle_normalise"))

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        label = str(row.get("libelle") or "").strip()
        if not label:
            raise ValueError(_("The “libelle” column is empty."))
        row["libelle_normalise"] = normalise_label(label)
        row["famille"] = str(row.get("famille") or "").strip()
        cis = str(row.get("cis") or "").strip()
        if cis and not _known_cis(cis):
            raise ValueError(
                _("CIS code %(cis)s is not in the referential.") % {"cis": cis}
            )
        row["cis"] = cis or None

    def before_save_instance(self, instance: Alias, row: Any, **kwargs: Any) -> None:
        user = kwargs.get("user")
        stored = (
            Alias.objects.filter(pk=instance.pk)
            .values_list("family", flat=True)
            .first()
            if instance.pk is not None
            else None
        )
        for family in {instance.family, stored} - {None}:
            reason = alias_family_error(user, str(family))
            if reason is not None:
                raise ValueError(reason)
        # A row saved (new or changed: unchanged rows are skipped) is a decision
        # of the importing user, now, as in ``alias_save``.
        instance.created_by = (
            user if user is not None and user.is_authenticated else None
        )
        instance.created_at = timezone.now()


class AtcCorrectionResource(resources.ModelResource):
    cis = fields.Field(attribute="speciality_id", column_name="cis")
    atc_code = fields.Field(attribute="atc_code", column_name="code_atc")
    note = fields.Field(attribute="note", column_name="motif")

    class Meta:
        model = AtcCorrection
        fields = ("cis", "atc_code", "note")
        import_id_fields = ("cis",)
        skip_unchanged = True
        use_transactions = True

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        _ensure_columns(dataset, ("motif",))

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        cis = str(row.get("cis") or "").strip()
        if not _known_cis(cis):
            raise ValueError(
                _("CIS code %(cis)s is not in the referential.") % {"cis": cis}
            )
        code = str(row.get("code_atc") or "").strip().upper()
        if len(code) not in (1, 3, 4, 5, 7):
            raise ValueError(_("“%(code)s” is not an ATC code.") % {"code": code})
        row["cis"], row["code_atc"] = cis, code

    def before_save_instance(
        self, instance: AtcCorrection, row: Any, **kwargs: Any
    ) -> None:
        user = kwargs.get("user")
        if instance.pk is None and user is not None and user.is_authenticated:
            instance.created_by = user
