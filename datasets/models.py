"""Uploads, mapping profiles, dataset versions, their records, issues and match
decisions. Raw files and versions are never modified once written."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, PublishingPanel
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    Workflow,
    WorkflowMixin,
)

from backoffice.storage import private_storage

FAMILY_LENGTH = 40


class UploadQuerySet(models.QuerySet["Upload"]):
    def for_families(self, families: list[str] | None) -> UploadQuerySet:
        """Uploads of these families (``None`` = every family)."""
        return self if families is None else self.filter(family__in=families)


class Upload(models.Model):
    """A raw extract exactly as the agent dropped it, with its SHA-256."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROFILING = "profiling", _("Being analysed")
        PROFILED = "profiled", _("Analysed")
        FAILED = "failed", _("Unreadable")

    family = models.CharField(_("data family"), max_length=FAMILY_LENGTH, db_index=True)
    # Under PRIVATE_ROOT, named by family, month and SHA-256 (no extension).
    file = models.FileField(
        _("raw file"),
        upload_to="extracts/%Y/%m/",
        storage=private_storage,
        max_length=255,
    )
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"))
    format = models.CharField(_("format"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    detection = models.JSONField(_("reading options"), default=dict, blank=True)
    profile = models.JSONField(_("profile"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="extract_uploads",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = UploadQuerySet.as_manager()

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")
        ordering = ["-uploaded_at", "-pk"]
        # The same bytes once per family: a family never learns of another's.
        constraints = [
            models.UniqueConstraint(
                fields=["family", "sha256"], name="upload_same_bytes_once_per_family"
            )
        ]

    def __str__(self) -> str:
        return f"{self.original_name} (n° {self.pk})"

    @property
    def columns(self) -> list[dict[str, Any]]:
        return list(self.profile.get("columns") or [])


class MappingProfile(models.Model):
    """One version of the mapping of a source's export format to a family.

    Saving a change creates a new version; versions are never edited, so every
    dataset version can say exactly which mapping produced it.
    """

    family = models.CharField(_("data family"), max_length=FAMILY_LENGTH, db_index=True)
    name = models.CharField(_("source"), max_length=150)
    version = models.PositiveIntegerField(_("version"))
    spec = models.JSONField(_("mapping"), default=dict)
    header_signature = models.JSONField(_("columns of the source"), default=list)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mapping_profiles",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mapping profile")
        verbose_name_plural = _("mapping profiles")
        ordering = ["family", "name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "name", "version"], name="mapping_profile_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class FamilyWorkflow(models.Model):
    """The workflow that reviews a data family's versions (one per family)."""

    family = models.CharField(_("data family"), max_length=FAMILY_LENGTH, unique=True)
    workflow = models.ForeignKey(
        Workflow,
        verbose_name=_("workflow"),
        on_delete=models.PROTECT,
        related_name="datamed_families",
    )

    class Meta:
        verbose_name = _("family workflow")
        verbose_name_plural = _("family workflows")
        ordering = ["family"]
        # Created by the workflows app, which defined the model first.
        db_table = "workflows_familyworkflow"

    def __str__(self) -> str:
        return f"{self.family} → {self.workflow}"

    @classmethod
    def workflow_for(cls, family: str) -> Workflow | None:
        """The active workflow reviewing the family, or None."""
        row = (
            cls.objects.filter(family=family, workflow__active=True)
            .select_related("workflow")
            .first()
        )
        return row.workflow if row is not None else None


class DatasetVersion(
    WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, models.Model
):
    """The cleaned result of one upload with one mapping version: a draft until
    its family's review workflow approves it, then published (``live``).

    ``status`` tracks the cleaning job; the review lives in Wagtail's workflow
    state, revisions (one per change of content: cleaning, match decisions) and
    log entries. Created with ``live=False``: nothing is public before approval.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for cleaning")
        CLEANING = "cleaning", _("Being cleaned")
        DRAFT = "draft", _("Draft")
        FAILED = "failed", _("Cleaning failed")

    family = models.CharField(_("data family"), max_length=FAMILY_LENGTH, db_index=True)
    number = models.PositiveIntegerField(_("number"))
    upload = models.ForeignKey(
        Upload,
        verbose_name=_("upload"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    mapping = models.ForeignKey(
        MappingProfile,
        verbose_name=_("mapping profile"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    extract = models.ForeignKey(
        "Extract",
        verbose_name=_("multi-table extract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="versions",
    )
    #: Multi-table extracts: rows per part, rows linked to no case, cases kept…
    assembly = models.JSONField(_("assembly of the parts"), default=dict, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_loaded = models.PositiveIntegerField(_("rows loaded"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    blocking_issues = models.PositiveIntegerField(_("blocking issues"), default=0)
    issue_counts = models.JSONField(_("issues per rule"), default=dict, blank=True)
    match_counts = models.JSONField(_("matches"), default=dict, blank=True)
    completeness = models.JSONField(_("filled values per field"), default=dict)
    seconds = models.FloatField(_("duration (s)"), default=0)
    error = models.TextField(_("error"), blank=True)
    job = models.ForeignKey(
        "tasks.JobRun",
        verbose_name=_("job"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dataset_versions",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    cleaned_at = models.DateTimeField(_("cleaned at"), null=True, blank=True)
    note = models.TextField(
        _("note for the reviewers"),
        blank=True,
        help_text=_(
            "What this version contains and what changed since the last one: "
            "the reviewers read it first."
        ),
    )
    _revisions = GenericRelation(
        "wagtailcore.Revision", related_query_name="dataset_version"
    )
    #: For prefetching the review states of a listing (see ``with_review_state``).
    _workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        for_concrete_model=False,
    )

    panels = [FieldPanel("note"), PublishingPanel()]

    class Meta:
        verbose_name = _("dataset version")
        verbose_name_plural = _("dataset versions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "number"], name="dataset_version_number"
            )
        ]

    def __str__(self) -> str:
        return str(_("Version %(number)s") % {"number": self.number})

    def get_absolute_url(self) -> str:
        return reverse("datasets_version", args=[self.pk])

    @property
    def revisions(self) -> Any:
        return self._revisions

    def save_revision(self, *args: Any, **kwargs: Any) -> Any:
        """Wagtail's save_revision, refused once the version was approved or
        published (as stored, whatever this instance holds): it never changes
        again, whichever path asks."""
        if self.pk is not None and (
            DatasetVersion.objects.filter(pk=self.pk)
            .filter(
                Q(live=True)
                | Q(last_published_at__isnull=False)
                | Q(_revisions__approved_go_live_at__isnull=False)
            )
            .exists()
        ):
            raise PermissionDenied(
                _(
                    "This version has been approved for publication and can no "
                    "longer change: upload a new extract to correct it."
                )
            )
        return super().save_revision(*args, **kwargs)

    def get_workflow(self) -> Workflow | None:
        """The review workflow of this version's family (one per family)."""
        return FamilyWorkflow.workflow_for(self.family)

    @property
    def unmatched_rate(self) -> float:
        counts = self.match_counts or {}
        total = sum(int(v) for v in counts.values())
        if not total:
            return 0.0
        return (
            int(counts.get("unmatched", 0)) + int(counts.get("ambiguous", 0))
        ) / total


class RecordBase(models.Model):
    """Columns every family's record model has, besides its own fields."""

    # Indexed by the record models' composite indexes, which start with it:
    # every extra index slows the bulk load of a million rows.
    version = models.ForeignKey(
        DatasetVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        # Rows are only written by the cleaning service, in the version's
        # transaction; a per-row foreign-key check would double the load time.
        db_constraint=False,
    )
    row_number = models.PositiveIntegerField(_("row in the file"))
    record_key = models.CharField(_("natural key"), max_length=600)
    medicine_key = models.CharField(_("medicine key"), max_length=600, null=True)
    matched_cis = models.CharField(_("matched CIS"), max_length=8, null=True)
    match_method = models.CharField(_("match method"), max_length=20, blank=True)
    match_score = models.FloatField(_("match score"), default=0)

    class Meta:
        abstract = True


class ShortageRecord(RecordBase):
    """One shortage declaration (per presentation), as cleaned."""

    declaration_number = models.CharField(
        _("declaration number"), max_length=50, null=True
    )
    state = models.CharField(_("state"), max_length=20, null=True)
    classification = models.CharField(_("classification"), max_length=20, null=True)
    declared_on = models.DateField(_("declaration date"), null=True)
    started_on = models.DateField(_("start date"), null=True)
    town_started_on = models.DateField(_("start in community pharmacies"), null=True)
    hospital_started_on = models.DateField(_("start in hospitals"), null=True)
    expected_return_on = models.DateField(_("expected return date"), null=True)
    returned_on = models.DateField(_("return date"), null=True)
    updated_on = models.DateField(_("update date"), null=True)
    holder = models.CharField(_("holder"), max_length=255, null=True)
    cip13 = models.CharField(_("CIP13"), max_length=13, null=True)
    cis = models.CharField(_("CIS given"), max_length=8, null=True)
    product_name = models.CharField(_("medicine name"), max_length=500, null=True)
    substance = models.CharField(_("substance"), max_length=500, null=True)
    atc = models.CharField(_("ATC code"), max_length=7, null=True)
    circuit = models.CharField(_("distribution channel"), max_length=20, null=True)
    cause = models.CharField(_("cause"), max_length=40, null=True)
    measures = models.TextField(_("measures"), null=True)
    source_url = models.CharField(_("link"), max_length=500, null=True)

    class Meta:
        verbose_name = _("shortage declaration")
        verbose_name_plural = _("shortage declarations")
        indexes = [
            # Only the rows waiting for a person: a small index, cheap to load.
            models.Index(
                fields=["version", "match_method"],
                condition=Q(match_method__in=("unmatched", "review", "ambiguous")),
                name="shortage_to_review",
            ),
        ]

    def __str__(self) -> str:
        return self.product_name or self.cip13 or self.cis or self.record_key


class PharmacovigilanceRecord(RecordBase):
    """One case of a suspected adverse effect (its latest version, in France)
    and one of its drug texts, as cleaned: the case's dimensions are repeated
    on each of its drug texts, and the tables count distinct cases."""

    case_id = models.CharField(_("case"), max_length=100, null=True)
    aer_id = models.CharField(_("AER_ID"), max_length=50, null=True)
    case_number = models.CharField(_("case number"), max_length=50, null=True)
    case_version = models.CharField(_("case version"), max_length=20, null=True)
    year = models.IntegerField(_("notification year"), null=True)
    sex = models.CharField(_("sex"), max_length=10, null=True)
    age = models.IntegerField(_("age"), null=True)
    age_class = models.CharField(_("age class"), max_length=10, null=True)
    age_decade = models.CharField(_("age decade"), max_length=20, null=True)
    seriousness = models.CharField(_("seriousness"), max_length=10, null=True)
    criteria = models.CharField(_("seriousness criteria"), max_length=100, null=True)
    notifier = models.CharField(_("notifier type"), max_length=100, null=True)
    socs = models.TextField(_("system organ classes"), null=True)
    hlts = models.TextField(_("high level terms"), null=True)
    drug_text = models.CharField(_("drug as declared"), max_length=500, null=True)
    drug_type = models.CharField(_("drug text type"), max_length=20, null=True)
    substance_text = models.CharField(
        _("substance as declared"), max_length=500, null=True
    )
    brand_text = models.CharField(_("brand as declared"), max_length=500, null=True)
    #: Codes joined by "|" for a brand of several substances.
    substance_code = models.CharField(_("substance code"), max_length=200, null=True)

    class Meta:
        verbose_name = _("adverse effect case")
        verbose_name_plural = _("adverse effect cases")
        indexes = [
            models.Index(
                fields=["version", "match_method"],
                condition=Q(match_method__in=("unmatched", "review", "ambiguous")),
                name="pv_to_review",
            ),
        ]

    def __str__(self) -> str:
        return self.case_id or self.record_key


class Extract(models.Model):
    """An extract made of several tables (files, zip members or workbook sheets)
    uploaded together: which stored upload (and sheet) is which part."""

    family = models.CharField(_("data family"), max_length=FAMILY_LENGTH, db_index=True)
    name = models.CharField(_("name"), max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("multi-table extract")
        verbose_name_plural = _("multi-table extracts")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class ExtractPart(models.Model):
    """One table of an extract: its part name, the raw upload holding it (a
    workbook holds several parts, one per sheet) and how it reads."""

    extract = models.ForeignKey(
        Extract,
        verbose_name=_("extract"),
        on_delete=models.CASCADE,
        related_name="parts",
    )
    part = models.CharField(_("part"), max_length=40)
    upload = models.ForeignKey(
        Upload,
        verbose_name=_("upload"),
        on_delete=models.PROTECT,
        related_name="extract_parts",
    )
    sheet = models.CharField(_("sheet"), max_length=255, blank=True)
    detection = models.JSONField(_("reading options"), default=dict, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)

    class Meta:
        verbose_name = _("extract part")
        verbose_name_plural = _("extract parts")
        ordering = ["extract", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["extract", "part"], name="extract_part_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.part}: {self.upload.original_name}"


class Issue(models.Model):
    """One problem found in one row (or the whole file): stable rule code,
    severity and a French message."""

    class Severity(models.TextChoices):
        BLOCKING = "blocking", _("Blocking")
        WARNING = "warning", _("Warning")

    version = models.ForeignKey(
        DatasetVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="issues",
    )
    row_number = models.PositiveIntegerField(_("row"), null=True)
    field = models.CharField(_("field"), max_length=100, blank=True)
    value = models.TextField(_("value"), blank=True)
    code = models.CharField(_("rule"), max_length=40)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    message = models.TextField(_("message"))

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["row_number", "pk"]
        indexes = [
            models.Index(fields=["version", "code"], name="issue_version_code"),
            models.Index(fields=["version", "row_number"], name="issue_version_row"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.row_number})"


class ProblemRow(models.Model):
    """The raw values of a row that has at least one issue, as read from the file."""

    version = models.ForeignKey(
        DatasetVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="problem_rows",
    )
    row_number = models.PositiveIntegerField(_("row"))
    rejected = models.BooleanField(_("rejected"), default=False)
    raw = models.JSONField(_("raw values"), default=dict)

    class Meta:
        verbose_name = _("problem row")
        verbose_name_plural = _("problem rows")
        ordering = ["row_number"]
        indexes = [
            models.Index(fields=["version", "row_number"], name="problem_version_row")
        ]

    def __str__(self) -> str:
        return str(self.row_number)


class MatchDecision(models.Model):
    """A person's decision on a medicine label of a version: a CIS, or "outside
    the referential". It is also kept as an alias for later uploads."""

    class Scope(models.TextChoices):
        ROW = "row", _("This row only")
        ALL = "all", _("Every identical value")

    version = models.ForeignKey(
        DatasetVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="match_decisions",
    )
    label = models.TextField(_("label"))
    row_number = models.PositiveIntegerField(_("row"), null=True, blank=True)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    cis = models.CharField(_("CIS"), max_length=8, blank=True)
    outside_referential = models.BooleanField(
        _("outside the referential"), default=False
    )
    rows_updated = models.PositiveIntegerField(_("rows updated"), default=0)
    alias = models.ForeignKey(
        "referential_admin.Alias",
        verbose_name=_("alias"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="match_decisions",
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        verbose_name = _("match decision")
        verbose_name_plural = _("match decisions")
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outside_referential=True) | ~Q(cis=""),
                name="match_decision_has_target",
            )
        ]

    def __str__(self) -> str:
        return self.label
