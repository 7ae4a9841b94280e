"""The medicines referential (BDPM): specialities, presentations, substances,
compositions, generic groups, conditions, availability, MITM, ATC, holders.

Rows are keyed by their natural code (CIS, CIP13, ...) and are never deleted: an
entity absent from a newer snapshot is marked withdrawn, because past datasets
reference it. Child rows point to their speciality by CIS through a foreign key
without a database constraint: the BDPM files reference codes missing from
CIS_bdpm, which are kept and reported.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReferentialQuerySet(models.QuerySet):
    def active(self) -> ReferentialQuerySet:
        return self.filter(withdrawn_at__isnull=True)

    def withdrawn(self) -> ReferentialQuerySet:
        return self.filter(withdrawn_at__isnull=False)


class ReferentialRow(models.Model):
    """Bookkeeping shared by every imported row: content hash and lifecycle."""

    row_hash = models.CharField(_("content hash"), max_length=16, editable=False)
    first_seen = models.ForeignKey(
        "referential_admin.ReferentialImport",
        verbose_name=_("first seen in import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_changed = models.ForeignKey(
        "referential_admin.ReferentialImport",
        verbose_name=_("last changed in import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True)

    objects = ReferentialQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


def _cis_fk(related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        "referential_admin.Speciality",
        verbose_name=_("speciality"),
        to_field="cis",
        db_column="cis",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name=related_name,
    )


class Holder(models.Model):
    """A marketing-authorisation holder, by normalised name."""

    name = models.CharField(_("name"), max_length=255, unique=True)

    class Meta:
        verbose_name = _("holder")
        verbose_name_plural = _("holders")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AtcClass(models.Model):
    """One node of the ATC tree (levels 1 to 5) with its French label."""

    code = models.CharField(_("ATC code"), max_length=7, unique=True)
    level = models.PositiveSmallIntegerField(_("level"))
    label = models.CharField(_("French label"), max_length=255, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent class"),
        to_field="code",
        db_column="parent_code",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="children",
    )

    class Meta:
        verbose_name = _("ATC class")
        verbose_name_plural = _("ATC classes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="atc_level_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.label}" if self.label else self.code


class Speciality(ReferentialRow):
    """A speciality (CIS code): every column of CIS_bdpm."""

    cis = models.CharField(_("CIS code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=500)
    pharmaceutical_form = models.CharField(
        _("pharmaceutical form"), max_length=255, blank=True
    )
    routes = models.JSONField(_("routes of administration"), default=list, blank=True)
    authorisation_status = models.CharField(
        _("authorisation status"), max_length=100, blank=True
    )
    authorisation_procedure = models.CharField(
        _("authorisation procedure"), max_length=100, blank=True
    )
    marketing_status = models.CharField(
        _("marketing status"), max_length=100, blank=True
    )
    authorisation_date = models.DateField(
        _("authorisation date"), null=True, blank=True
    )
    bdpm_status = models.CharField(_("BDPM status"), max_length=100, blank=True)
    eu_number = models.CharField(
        _("European authorisation number"), max_length=100, blank=True
    )
    holders_text = models.CharField(
        _("holders (as published)"), max_length=1000, blank=True
    )
    enhanced_monitoring = models.BooleanField(_("enhanced monitoring"), default=False)
    holders = models.ManyToManyField(
        Holder, verbose_name=_("holders"), blank=True, related_name="specialities"
    )
    atc = models.ForeignKey(
        AtcClass,
        verbose_name=_("ATC class"),
        to_field="code",
        db_column="atc_code",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="specialities",
    )
    is_mitm = models.BooleanField(_("major therapeutic interest (MITM)"), default=False)
    search_text = models.TextField(_("search text"), blank=True, editable=False)

    class Meta:
        verbose_name = _("speciality")
        verbose_name_plural = _("specialities")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cis__regex=r"^[0-9]{8}$"),
                name="speciality_cis_8_digits",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cis})"

    @property
    def status_label(self) -> str:
        if self.withdrawn_at is None:
            return str(_("Present"))
        return str(
            _("Withdrawn on %(date)s") % {"date": f"{self.withdrawn_at:%d/%m/%Y}"}
        )


class Presentation(ReferentialRow):
    """A presentation (box, CIP13): every column of CIS_CIP_bdpm."""

    cip13 = models.CharField(_("CIP13 code"), max_length=13, unique=True)
    cip7 = models.CharField(_("CIP7 code"), max_length=7, blank=True, db_index=True)
    speciality = _cis_fk("presentations")
    label = models.CharField(_("label"), max_length=1000)
    administrative_status = models.CharField(
        _("administrative status"), max_length=100, blank=True
    )
    marketing_status = models.CharField(
        _("marketing status"), max_length=255, blank=True
    )
    marketing_date = models.DateField(
        _("marketing declaration date"), null=True, blank=True
    )
    hospital_approval = models.CharField(
        _("approved for hospitals"), max_length=20, blank=True
    )
    reimbursement_rates = models.JSONField(
        _("reimbursement rates"), default=list, blank=True
    )
    price = models.DecimalField(
        _("price (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    price_with_fee = models.DecimalField(
        _("price with dispensing fee (EUR)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    dispensing_fee = models.DecimalField(
        _("dispensing fee (EUR)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    reimbursement_text = models.TextField(_("reimbursement indications"), blank=True)

    class Meta:
        verbose_name = _("presentation")
        verbose_name_plural = _("presentations")
        ordering = ["cip13"]

    def __str__(self) -> str:
        return f"{self.cip13} – {self.label}"


class Substance(models.Model):
    """An active substance or therapeutic fraction (5-digit code) and its names."""

    code = models.CharField(_("substance code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=500)
    name_variants = models.JSONField(_("other names"), default=list, blank=True)

    class Meta:
        verbose_name = _("substance")
        verbose_name_plural = _("substances")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Composition(ReferentialRow):
    """One line of CIS_COMPO: a substance in a pharmaceutical element."""

    row_key = models.CharField(_("row key"), max_length=32, unique=True)
    speciality = _cis_fk("compositions")
    pharmaceutical_element = models.CharField(
        _("pharmaceutical element"), max_length=255
    )
    substance = models.ForeignKey(
        Substance,
        verbose_name=_("substance"),
        to_field="code",
        db_column="substance_code",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="compositions",
    )
    substance_name = models.CharField(_("substance name"), max_length=500)
    dosage = models.CharField(_("dosage"), max_length=255, blank=True)
    dosage_reference = models.CharField(
        _("dosage reference"), max_length=255, blank=True
    )
    component_nature = models.CharField(
        _("nature"),
        max_length=2,
        choices=[("SA", _("active substance")), ("FT", _("therapeutic fraction"))],
    )
    link_number = models.PositiveIntegerField(_("link number"), null=True, blank=True)

    class Meta:
        verbose_name = _("composition")
        verbose_name_plural = _("compositions")
        ordering = ["speciality_id", "link_number", "component_nature"]

    def __str__(self) -> str:
        return f"{self.substance_name} {self.dosage}".strip()


class GenericGroup(ReferentialRow):
    """A generic group (CIS_GENER), by its BDPM identifier."""

    group_id = models.CharField(_("group identifier"), max_length=20, unique=True)
    label = models.CharField(_("label"), max_length=1000)

    class Meta:
        verbose_name = _("generic group")
        verbose_name_plural = _("generic groups")
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class GenericGroupMember(ReferentialRow):
    class GenericType(models.IntegerChoices):
        PRINCEPS = 0, _("reference product (princeps)")
        GENERIC = 1, _("generic")
        COMPLEMENTARY = 2, _("generic by posology complementarity")
        SUBSTITUTABLE = 4, _("substitutable generic")

    row_key = models.CharField(_("row key"), max_length=32, unique=True)
    group = models.ForeignKey(
        GenericGroup,
        verbose_name=_("generic group"),
        to_field="group_id",
        db_column="group_id",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="members",
    )
    speciality = _cis_fk("generic_memberships")
    generic_type = models.PositiveSmallIntegerField(
        _("generic type"), choices=GenericType.choices
    )
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("generic group member")
        verbose_name_plural = _("generic group members")
        ordering = ["group_id", "sort_order"]

    def __str__(self) -> str:
        return f"{self.group_id} / {self.speciality_id}"


class PrescriptionCondition(ReferentialRow):
    """A prescription or dispensing condition of a speciality (CIS_CPD)."""

    row_key = models.CharField(_("row key"), max_length=32, unique=True)
    speciality = _cis_fk("conditions")
    condition = models.TextField(_("condition"))

    class Meta:
        verbose_name = _("prescription condition")
        verbose_name_plural = _("prescription conditions")

    def __str__(self) -> str:
        return self.condition


class AvailabilityStatus(ReferentialRow):
    """An availability episode published by ANSM (CIS_CIP_Dispo_Spec), kept as
    history: an episode absent from a newer snapshot is marked withdrawn."""

    class Status(models.IntegerChoices):
        SHORTAGE = 1, _("Stock shortage")
        TENSION = 2, _("Supply tension")
        DISCONTINUED = 3, _("Marketing discontinued")
        AVAILABLE_AGAIN = 4, _("Available again")

    row_key = models.CharField(_("row key"), max_length=32, unique=True)
    speciality = _cis_fk("availability")
    cip13 = models.CharField(_("CIP13 code"), max_length=13, blank=True)
    status = models.PositiveSmallIntegerField(_("status"), choices=Status.choices)
    status_label = models.CharField(_("label as published"), max_length=100)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    update_date = models.DateField(_("update date"), null=True, blank=True)
    return_date = models.DateField(_("return date"), null=True, blank=True)
    link = models.URLField(_("ANSM page"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("availability status")
        verbose_name_plural = _("availability statuses")
        ordering = ["speciality_id", "-start_date"]

    def __str__(self) -> str:
        return f"{self.speciality_id} – {self.get_status_display()}"


class MitmEntry(ReferentialRow):
    """A speciality on the list of medicines of major therapeutic interest."""

    speciality = models.OneToOneField(
        Speciality,
        verbose_name=_("speciality"),
        to_field="cis",
        db_column="cis",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="mitm",
    )
    atc_code = models.CharField(_("ATC code"), max_length=7)
    name = models.CharField(_("name"), max_length=500)
    link = models.URLField(_("BDPM page"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("MITM entry")
        verbose_name_plural = _("MITM list")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HasOpinion(ReferentialRow):
    """A HAS opinion (SMR or ASMR) on a speciality (optional HAS files)."""

    class Kind(models.TextChoices):
        SMR = "SMR", _("Actual benefit (SMR)")
        ASMR = "ASMR", _("Improvement in actual benefit (ASMR)")

    row_key = models.CharField(_("row key"), max_length=32, unique=True)
    speciality = _cis_fk("has_opinions")
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    has_file_code = models.CharField(_("HAS file code"), max_length=30)
    evaluation_reason = models.CharField(_("reason"), max_length=255, blank=True)
    opinion_date = models.DateField(_("opinion date"), null=True, blank=True)
    value = models.CharField(_("value"), max_length=100, blank=True)
    label = models.TextField(_("opinion"), blank=True)

    class Meta:
        verbose_name = _("HAS opinion")
        verbose_name_plural = _("HAS opinions")

    def __str__(self) -> str:
        return f"{self.kind} {self.value} ({self.speciality_id})"


class ReferentialImport(models.Model):
    """One import of a BDPM snapshot: files read, counts and rejected lines."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        DONE_WITH_ERRORS = "done_with_errors", _("Done with rejected lines")
        FAILED = "failed", _("Failed")

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    source = models.CharField(_("source"), max_length=500, blank=True)
    files = models.JSONField(_("files read"), default=list, blank=True)
    fingerprint = models.CharField(
        _("fingerprint of the files and corrections"),
        max_length=64,
        blank=True,
        db_index=True,
    )
    counts = models.JSONField(_("counts per entity"), default=dict, blank=True)
    totals = models.JSONField(_("totals"), default=dict, blank=True)
    rejected_lines = models.JSONField(_("rejected lines"), default=list, blank=True)
    rejected_count = models.PositiveIntegerField(_("rejected lines"), default=0)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    seconds = models.FloatField(_("duration (s)"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referential_imports",
    )

    class Meta:
        verbose_name = _("referential import")
        verbose_name_plural = _("referential imports")
        ordering = ["-started_at", "-pk"]
        permissions = [("import_referential", _("Can import BDPM files"))]

    def __str__(self) -> str:
        return str(_("Import #%(pk)s") % {"pk": self.pk})

    @property
    def counts_display(self) -> list[tuple[str, dict[str, int]]]:
        """Counts per entity with the entity's French name."""
        labels = {
            "specialities": _("Specialities"),
            "presentations": _("Presentations"),
            "compositions": _("Compositions"),
            "generic_groups": _("Generic groups"),
            "generic_members": _("Generic group members"),
            "conditions": _("Prescription conditions"),
            "availability": _("Availability statuses"),
            "mitm": _("MITM list"),
            "has_opinions": _("HAS opinions"),
        }
        return [(str(labels.get(name, name)), c) for name, c in self.counts.items()]

    @property
    def change_summary(self) -> str:
        """ "+12 / ~3 / -1": rows created, updated and withdrawn, all entities."""
        created = sum(c.get("created", 0) for c in self.counts.values())
        updated = sum(c.get("updated", 0) for c in self.counts.values())
        withdrawn = sum(c.get("withdrawn", 0) for c in self.counts.values())
        return f"+{created} / ~{updated} / -{withdrawn}"


class ReferentialChange(models.Model):
    """One change an import brought to a speciality: the browsable diff."""

    class Kind(models.TextChoices):
        APPEARED = "appeared", _("Appeared")
        WITHDRAWN = "withdrawn", _("Disappeared")
        RENAMED = "renamed", _("Name changed")
        STATUS = "status", _("Status changed")
        HOLDER = "holder", _("Holder changed")
        OTHER = "other", _("Other change")

    referential_import = models.ForeignKey(
        ReferentialImport,
        verbose_name=_("import"),
        on_delete=models.CASCADE,
        related_name="changes",
    )
    kind = models.CharField(_("change"), max_length=20, choices=Kind.choices)
    cis = models.CharField(_("CIS code"), max_length=8, db_index=True)
    name = models.CharField(_("name"), max_length=500, blank=True)
    field = models.CharField(_("field"), max_length=100, blank=True)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)

    class Meta:
        verbose_name = _("referential change")
        verbose_name_plural = _("referential changes")
        ordering = ["referential_import", "kind", "cis"]
        indexes = [models.Index(fields=["referential_import", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.cis}"


class Alias(models.Model):
    """Matching memory: a raw label, as normalised, mapped to a speciality (or
    declared outside the referential) by a person."""

    label = models.CharField(_("raw label"), max_length=500)
    normalised_label = models.CharField(_("normalised label"), max_length=500)
    family = models.CharField(
        _("data family"),
        max_length=50,
        blank=True,
        help_text=_("Empty: valid for every family."),
    )
    speciality = models.ForeignKey(
        Speciality,
        verbose_name=_("speciality"),
        to_field="cis",
        db_column="cis",
        db_constraint=False,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="aliases",
        help_text=_("Empty: the label is outside the referential."),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referential_aliases",
    )
    created_at = models.DateTimeField(_("decided on"), default=timezone.now)

    class Meta:
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        ordering = ["normalised_label"]
        constraints = [
            models.UniqueConstraint(
                fields=["normalised_label", "family"], name="alias_unique_per_family"
            )
        ]

    def __str__(self) -> str:
        return self.label


class AtcCorrection(models.Model):
    """A manual correction of a speciality's ATC class, applied after each import."""

    speciality = models.OneToOneField(
        Speciality,
        verbose_name=_("speciality"),
        to_field="cis",
        db_column="cis",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
        related_name="atc_correction",
    )
    atc_code = models.CharField(_("ATC code"), max_length=7)
    note = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corrected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("corrected on"), default=timezone.now)

    class Meta:
        verbose_name = _("ATC correction")
        verbose_name_plural = _("ATC corrections")

    def __str__(self) -> str:
        return f"{self.speciality_id} → {self.atc_code}"
