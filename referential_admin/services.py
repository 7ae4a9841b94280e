"""Services that write the referential: import of a BDPM snapshot (create, update,
withdraw by natural key, in bulk), aliases and corrections."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.bulk import bulk_upsert
from backoffice.exceptions import ApplicationError, PermissionRefused
from backoffice.roles import families_of, sees_every_family
from backoffice.storage import private_root
from referential_admin import bdpm
from referential_admin.matching import normalise_label
from referential_admin.models import (
    Alias,
    AtcClass,
    AtcCorrection,
    AvailabilityStatus,
    Composition,
    GenericGroup,
    GenericGroupMember,
    HasOpinion,
    Holder,
    MitmEntry,
    PrescriptionCondition,
    Presentation,
    ReferentialChange,
    ReferentialImport,
    Speciality,
    Substance,
)
from referential_admin.snapshot import (
    EntityFrame,
    Snapshot,
    atc_frame,
    build_snapshot,
)
from referential_admin.text import fold_series
from tasks.base import JobOutcome
from tasks.progress import NullProgress, ProgressReporter
from tasks.services import job_enqueue

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from tasks.models import JobRun

logger = logging.getLogger(__name__)

ENTITY_MODELS: dict[str, type[models.Model]] = {
    "specialities": Speciality,
    "presentations": Presentation,
    "compositions": Composition,
    "generic_groups": GenericGroup,
    "generic_members": GenericGroupMember,
    "conditions": PrescriptionCondition,
    "availability": AvailabilityStatus,
    "mitm": MitmEntry,
    "has_opinions": HasOpinion,
}
#: Active-entity counts reported by the import (the ``--json`` keys).
TOTALS = {
    "specialities": Speciality,
    "presentations": Presentation,
    "compositions": Composition,
    "generic_groups": GenericGroup,
    "availability": AvailabilityStatus,
    "mitm": MitmEntry,
}
SPECIALITY_DERIVED = ["atc_id", "is_mitm", "search_text"]
MAX_STORED_REJECTED = 2000
_SUCCESS = ("done", "done_with_errors")
BATCH = 2000
ATC_LABELS = Path(__file__).resolve().parent / "data" / "atc_fr.json"


@dataclass
class EntityCounts:
    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "withdrawn": self.withdrawn,
            "unchanged": self.unchanged,
        }


@dataclass
class ImportReport:
    """What one import did, per entity and in total."""

    referential_import: ReferentialImport
    counts: dict[str, EntityCounts] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The ``--json`` object of ``manage.py referential_import``."""
        imp = self.referential_import
        return {
            **{name: imp.totals.get(name, 0) for name in TOTALS},
            "created": sum(c.created for c in self.counts.values()),
            "updated": sum(c.updated for c in self.counts.values()),
            "withdrawn": sum(c.withdrawn for c in self.counts.values()),
            "rejected_lines": imp.rejected_count,
            "seconds": round(imp.seconds or 0.0, 2),
        }


def _file_infos(
    directory: Path, tables: dict[str, bdpm.BdpmTable]
) -> list[dict[str, Any]]:
    infos = []
    for name, table in sorted(tables.items()):
        path = directory / table.file
        data = path.read_bytes() if path.exists() else b""
        infos.append(
            {
                "name": name,
                "file": table.file,
                "encoding": table.encoding,
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
                "records": table.records_read,
                "rejected": len(table.rejected),
            }
        )
    return infos


def bdpm_directory_fingerprint(directory: Path) -> dict[str, str]:
    """SHA-256 of each standard BDPM file in ``directory`` (name -> digest)."""
    fingerprint = {}
    for path in sorted(directory.iterdir()):
        spec = bdpm.spec_for_filename(path.name)
        if spec is not None and path.is_file():
            fingerprint[spec.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return fingerprint


def _fingerprint(hashes: dict[str, str]) -> str:
    """One digest of the files read and of the ATC corrections in force: two
    imports with the same fingerprint produce the same referential."""
    corrections = sorted(
        (str(cis), code)
        for cis, code in AtcCorrection.objects.values_list("speciality_id", "atc_code")
    )
    payload = json.dumps([sorted(hashes.items()), corrections]).encode()
    return hashlib.sha256(payload).hexdigest()


def _unchanged_import(
    imp: ReferentialImport, previous: ReferentialImport, started: float
) -> ImportReport:
    """Record an import of files identical to the last successful one: every row
    is unchanged, so nothing is compared or written."""
    report = ImportReport(referential_import=imp)
    for name, counts in previous.counts.items():
        total = sum(counts.get(k, 0) for k in ("created", "updated", "unchanged"))
        report.counts[name] = EntityCounts(unchanged=total)
    imp.counts = {name: c.as_dict() for name, c in report.counts.items()}
    imp.totals = previous.totals
    imp.files = previous.files
    imp.rejected_count = previous.rejected_count
    imp.rejected_lines = previous.rejected_lines
    imp.warnings = [
        _("Same files as import #%(pk)s: nothing to change.") % {"pk": previous.pk},
        *previous.warnings,
    ]
    imp.status = previous.status
    imp.finished_at = timezone.now()
    imp.seconds = time.monotonic() - started
    imp.save()
    return report


def _existing(model: type[models.Model], key: str, extra: list[str]) -> pd.DataFrame:
    columns = [key, "row_hash", "withdrawn_at", *extra]
    rows = list(model.objects.values_list(*columns))  # type: ignore[attr-defined]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    return frame.rename(columns={key: "__key", "row_hash": "__old_hash"})


def _as_text(series: pd.Series) -> np.ndarray:
    return series.astype(object).where(series.notna(), "").astype(str).to_numpy()


def _sync_entity(
    entity: EntityFrame,
    model: type[models.Model],
    imp: ReferentialImport,
    now: Any,
    extra: list[str] | None = None,
) -> tuple[EntityCounts, pd.DataFrame, pd.DataFrame]:
    """Create, update and withdraw ``model`` rows so that they match ``entity``.

    Returns the counts, the frame of rows whose content changed (with old values
    for the hashed columns) and the keys withdrawn. Rows whose only difference is
    in ``extra`` (derived columns) are rewritten but not counted as updated.
    """
    extra = extra or []
    frame = entity.frame
    existing = _existing(model, entity.key, extra)
    merged = frame.merge(
        existing,
        how="left",
        left_on=entity.key,
        right_on="__key",
        suffixes=("", "__old"),
    )
    is_new = merged["__old_hash"].isna().to_numpy()
    was_withdrawn = merged["withdrawn_at"].notna().to_numpy()
    changed = ~is_new & (
        (merged["__old_hash"] != merged["row_hash"]).to_numpy() | was_withdrawn
    )
    derived_diff = np.zeros(len(merged), dtype=bool)
    for column in extra:
        new_values = _as_text(merged[column])
        old_values = _as_text(merged[f"{column}__old"])
        derived_diff |= new_values != old_values
    derived_changed = ~is_new & ~changed & derived_diff
    present = set(frame[entity.key])
    missing = existing[
        existing["withdrawn_at"].isna() & ~existing["__key"].isin(present)
    ]

    columns = [c for c in frame.columns if c != "row_hash"]
    selected = is_new | changed | derived_changed
    write = merged.loc[selected, [*columns, "row_hash"]].copy()
    new_flags = is_new[selected]
    hashed_changed = changed[selected]
    write["withdrawn_at"] = None
    write["first_seen_id"] = pd.Series(
        [imp.pk if new else None for new in new_flags], index=write.index, dtype=object
    )
    write["last_changed_id"] = pd.Series(
        [
            imp.pk if new or content else None
            for new, content in zip(new_flags, hashed_changed, strict=True)
        ],
        index=write.index,
        dtype=object,
    )
    update_fields = [c for c in columns if c != entity.key] + [
        "row_hash",
        "withdrawn_at",
    ]
    bulk_upsert(model, write, unique_field=entity.key, update_fields=update_fields)
    changed_keys = list(write.loc[hashed_changed & ~new_flags, entity.key])
    for start in range(0, len(changed_keys), BATCH):
        model.objects.filter(  # type: ignore[attr-defined]
            **{f"{entity.key}__in": changed_keys[start : start + BATCH]}
        ).update(last_changed=imp)
    missing_keys = list(missing["__key"])
    for start in range(0, len(missing_keys), BATCH):
        model.objects.filter(  # type: ignore[attr-defined]
            **{f"{entity.key}__in": missing_keys[start : start + BATCH]}
        ).update(withdrawn_at=now)
    counts = EntityCounts(
        created=int(is_new.sum()),
        updated=int(changed.sum()),
        withdrawn=len(missing_keys),
        unchanged=int((~is_new & ~changed).sum()),
    )
    return counts, merged[changed], missing


def _join_by_key(keys: pd.Series, values: pd.Series) -> dict[str, str]:
    """Distinct values per key, sorted and joined by spaces (one pass, no groupby)."""
    pairs = pd.DataFrame({"k": keys.astype(str), "v": values.fillna("").astype(str)})
    pairs = pairs.drop_duplicates().sort_values(["k", "v"])
    joined: dict[str, list[str]] = {}
    for key, value in zip(pairs["k"], pairs["v"], strict=True):
        joined.setdefault(key, []).append(value)
    return {key: " ".join(items) for key, items in joined.items()}


def _speciality_derived(snapshot: Snapshot) -> pd.DataFrame:
    """atc_id, is_mitm and search_text per CIS, from the snapshot's other files."""
    specialities = snapshot.entities["specialities"].frame
    cis = specialities["cis"]
    derived = pd.DataFrame({"cis": cis})
    mitm = snapshot.entities.get("mitm")
    atc_by_cis: dict[str, str] = {}
    if mitm is not None:
        atc_by_cis = dict(
            zip(mitm.frame["speciality_id"], mitm.frame["atc_code"], strict=True)
        )
    corrections: dict[str, str] = {
        str(cis): code
        for cis, code in AtcCorrection.objects.values_list("speciality_id", "atc_code")
    }
    atc_by_cis.update(corrections)
    derived["atc_id"] = cis.map(atc_by_cis).where(cis.isin(atc_by_cis.keys()), None)
    derived["is_mitm"] = cis.isin(set(mitm.frame["speciality_id"]) if mitm else set())

    parts = [specialities["name"], cis, specialities["holders_text"]]
    for name, column in (
        ("compositions", "substance_name"),
        ("presentations", "cip13"),
        ("presentations", "cip7"),
    ):
        entity = snapshot.entities.get(name)
        if entity is not None:
            joined = _join_by_key(entity.frame["speciality_id"], entity.frame[column])
            parts.append(cis.map(joined).fillna(""))
    parts.append(derived["atc_id"].astype(object).fillna(""))
    text = parts[0].astype(str)
    for part in parts[1:]:
        text = text + " " + part.astype(str)
    derived["search_text"] = fold_series(text, keep_punctuation=True)
    return derived


def _sync_holders(snapshot: Snapshot, changed_cis: set[str]) -> None:
    holders = snapshot.holders
    if holders is None or not changed_cis:
        return
    names = sorted(set(holders["holder"]))
    Holder.objects.bulk_create(
        [Holder(name=name) for name in names], ignore_conflicts=True, batch_size=BATCH
    )
    holder_ids = dict(Holder.objects.filter(name__in=names).values_list("name", "pk"))
    speciality_ids = dict(
        Speciality.objects.filter(cis__in=changed_cis).values_list("cis", "pk")
    )
    through = Speciality.holders.through
    pks = list(speciality_ids.values())
    for start in range(0, len(pks), BATCH):
        through.objects.filter(speciality_id__in=pks[start : start + BATCH]).delete()
    wanted = holders[holders["cis"].isin(changed_cis)]
    through.objects.bulk_create(
        [
            through(speciality_id=speciality_ids[c], holder_id=holder_ids[h])
            for c, h in zip(wanted["cis"], wanted["holder"], strict=True)
            if c in speciality_ids
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )


def _sync_substances(snapshot: Snapshot) -> None:
    substances = snapshot.substances
    if substances is None:
        return
    existing = {
        code: (name, variants)
        for code, name, variants in Substance.objects.values_list(
            "code", "name", "name_variants"
        )
    }
    objects = [
        Substance(code=code, name=name, name_variants=variants)
        for code, name, variants in zip(
            substances["code"],
            substances["name"],
            substances["name_variants"],
            strict=True,
        )
        if existing.get(code) != (name, variants)
    ]
    Substance.objects.bulk_create(
        objects,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "name_variants"],
    )


def _sync_atc(snapshot: Snapshot) -> None:
    labels = json.loads(ATC_LABELS.read_text(encoding="utf-8"))
    extra: list[str] = list(AtcCorrection.objects.values_list("atc_code", flat=True))
    mitm = snapshot.entities.get("mitm")
    if mitm is not None:
        extra.extend(mitm.frame["atc_code"].dropna().unique())
    frame = atc_frame(labels, extra)
    existing = {
        code: (level, label, parent)
        for code, level, label, parent in AtcClass.objects.values_list(
            "code", "level", "label", "parent_id"
        )
    }
    objects = [
        AtcClass(code=code, level=level, label=label, parent_id=parent)
        for code, level, label, parent in frame[
            ["code", "level", "label", "parent_id"]
        ].itertuples(index=False, name=None)
        if existing.get(code) != (level, label, parent)
    ]
    AtcClass.objects.bulk_create(
        objects,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["level", "label", "parent_id"],
    )


_DIFF_FIELDS = {
    "name": ReferentialChange.Kind.RENAMED,
    "marketing_status": ReferentialChange.Kind.STATUS,
    "authorisation_status": ReferentialChange.Kind.STATUS,
    "holders_text": ReferentialChange.Kind.HOLDER,
}


def _record_speciality_changes(
    imp: ReferentialImport,
    frame: pd.DataFrame,
    old: pd.DataFrame,
    changed: pd.DataFrame,
    missing: pd.DataFrame,
    new_cis: set[str],
) -> None:
    changes: list[ReferentialChange] = []
    for cis, name in zip(frame["cis"], frame["name"], strict=True):
        if cis in new_cis:
            changes.append(
                ReferentialChange(
                    referential_import=imp,
                    kind=ReferentialChange.Kind.APPEARED,
                    cis=cis,
                    name=name,
                )
            )
    names = dict(
        Speciality.objects.filter(cis__in=list(missing["__key"])).values_list(
            "cis", "name"
        )
    )
    for cis in missing["__key"]:
        changes.append(
            ReferentialChange(
                referential_import=imp,
                kind=ReferentialChange.Kind.WITHDRAWN,
                cis=cis,
                name=names.get(cis, ""),
            )
        )
    old_by_cis = old.set_index("cis") if not old.empty else old
    for row in changed.to_dict("records"):
        cis = row["cis"]
        if cis not in old_by_cis.index:
            continue
        previous = old_by_cis.loc[cis]
        kinds_found = False
        for column, kind in _DIFF_FIELDS.items():
            if str(previous[column]) != str(row[column]):
                kinds_found = True
                changes.append(
                    ReferentialChange(
                        referential_import=imp,
                        kind=kind,
                        cis=cis,
                        name=row["name"],
                        field=column,
                        old_value=str(previous[column]),
                        new_value=str(row[column]),
                    )
                )
        if not kinds_found:
            changes.append(
                ReferentialChange(
                    referential_import=imp,
                    kind=ReferentialChange.Kind.OTHER,
                    cis=cis,
                    name=row["name"],
                )
            )
    ReferentialChange.objects.bulk_create(changes, batch_size=BATCH)


def referential_import(
    *,
    directory: Path,
    user: AbstractBaseUser | None = None,
    source: str = "",
    progress: ProgressReporter | None = None,
    force: bool = False,
) -> ImportReport:
    """Import every standard BDPM file found in ``directory`` in one transaction.

    Creates, updates and withdraws rows by natural key; never deletes. Bad lines are
    reported (file, line, reason) and skipped; the import goes on. Raises
    ApplicationError when the folder holds no BDPM file or CIS_bdpm.txt is missing
    while other files need it. Files identical to those of the latest successful
    import (same checksums and ATC corrections) are recorded without comparing
    rows, unless ``force``.
    """
    progress = progress or NullProgress()
    started = time.monotonic()
    directory = Path(directory)
    if not directory.is_dir():
        raise ApplicationError(
            _("The folder %(path)s does not exist.") % {"path": directory}
        )
    imp = ReferentialImport.objects.create(
        source=source or str(directory),
        started_by=user if user is not None and user.is_authenticated else None,  # type: ignore[misc]
    )
    steps = len(ENTITY_MODELS) + 4
    try:
        progress.update(0, steps, _("Reading the BDPM files"))
        imp.fingerprint = _fingerprint(bdpm_directory_fingerprint(directory))
        latest = (
            ReferentialImport.objects.exclude(pk=imp.pk)
            .filter(status__in=_SUCCESS)
            .order_by("-pk")
            .first()
        )
        if not force and latest is not None and latest.fingerprint == imp.fingerprint:
            return _unchanged_import(imp, latest, started)
        tables = bdpm.read_bdpm_dir(directory)
        if not tables:
            raise ApplicationError(
                _(
                    "No BDPM file was found in %(path)s "
                    "(expected CIS_bdpm.txt, CIS_CIP_bdpm.txt, …)."
                )
                % {"path": directory}
            )
        snapshot = build_snapshot(tables)
        if "specialities" not in snapshot.entities and not Speciality.objects.exists():
            raise ApplicationError(
                _(
                    "CIS_bdpm.txt is required for a first import: "
                    "the other files refer to it."
                )
            )
        rejected = [
            {
                "file": line.file,
                "line": line.line_number,
                "reason": line.reason,
                "raw": line.raw[:300],
            }
            for table in tables.values()
            for line in table.rejected
        ]
        imp.files = _file_infos(directory, tables)
        imp.rejected_count = len(rejected)
        imp.rejected_lines = rejected[:MAX_STORED_REJECTED]
        imp.warnings = list(snapshot.warnings)
        report = ImportReport(referential_import=imp)
        now = timezone.now()
        with transaction.atomic():
            progress.update(1, steps, _("Updating ATC classes and substances"))
            _sync_atc(snapshot)
            _sync_substances(snapshot)
            for step, (name, model) in enumerate(ENTITY_MODELS.items(), start=2):
                entity = snapshot.entities.get(name)
                if entity is None:
                    continue
                if entity.frame.empty:
                    # An empty (or truncated) file must not withdraw every row.
                    imp.warnings.append(
                        _(
                            "%(entity)s: the file holds no valid line; nothing "
                            "was changed or withdrawn."
                        )
                        % {"entity": model._meta.verbose_name_plural}
                    )
                    continue
                progress.update(
                    step,
                    steps,
                    _("Updating: %(entity)s")
                    % {"entity": model._meta.verbose_name_plural},
                )
                if name == "specialities":
                    derived = _speciality_derived(snapshot)
                    entity.frame = entity.frame.join(derived.drop(columns="cis"))
                    old = pd.DataFrame.from_records(
                        Speciality.objects.values_list("cis", *_DIFF_FIELDS),
                        columns=["cis", *_DIFF_FIELDS],
                    )
                    counts, changed, missing = _sync_entity(
                        entity, model, imp, now, extra=SPECIALITY_DERIVED
                    )
                    new_cis = set(entity.frame["cis"]) - set(old["cis"])
                    holders_changed = set(changed["cis"]) | new_cis
                    _sync_holders(snapshot, holders_changed)
                    _record_speciality_changes(
                        imp, entity.frame, old, changed, missing, new_cis
                    )
                else:
                    counts, _changed, _missing = _sync_entity(entity, model, imp, now)
                report.counts[name] = counts
            progress.update(steps - 1, steps, _("Counting"))
            imp.counts = {
                name: counts.as_dict() for name, counts in report.counts.items()
            }
            imp.totals = {
                name: model.objects.active().count() for name, model in TOTALS.items()
            }
            imp.status = (
                ReferentialImport.Status.DONE_WITH_ERRORS
                if imp.rejected_count
                else ReferentialImport.Status.DONE
            )
            imp.finished_at = timezone.now()
            imp.seconds = time.monotonic() - started
            imp.save()
        progress.update(steps, steps, _("Import finished"))
        return report
    except Exception as exc:
        message = exc.message if isinstance(exc, ApplicationError) else str(exc)
        ReferentialImport.objects.filter(pk=imp.pk).update(
            status=ReferentialImport.Status.FAILED,
            finished_at=timezone.now(),
            seconds=time.monotonic() - started,
            warnings=[message],
        )
        raise


def referential_drop_dir() -> Path | None:
    """The folder where the agency drops the daily BDPM files, if configured."""
    value = getattr(settings, "BDPM_DROP_DIR", "")
    return Path(value) if value else None


def referential_import_job(
    *,
    progress: ProgressReporter,
    directory: str,
    source: str = "",
    user_id: int | None = None,
) -> JobOutcome:
    """Body of the import job: run the import and summarise it for the job screen."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    report = referential_import(
        directory=Path(directory), user=user, source=source, progress=progress
    )
    summary = report.summary()
    imp = report.referential_import
    for warning in imp.warnings[:50]:
        progress.log(warning)
    for line in imp.rejected_lines[:50]:
        progress.log(_("Rejected: %(file)s line %(line)s: %(reason)s") % line)
    return JobOutcome(
        result={"import": imp.pk, **summary},
        with_errors=imp.rejected_count > 0,
        message=_(
            "Import #%(pk)s: %(created)s created, %(updated)s updated, "
            "%(withdrawn)s withdrawn, %(rejected)s rejected lines."
        )
        % {
            "pk": imp.pk,
            "created": summary["created"],
            "updated": summary["updated"],
            "withdrawn": summary["withdrawn"],
            "rejected": summary["rejected_lines"],
        },
    )


def referential_import_enqueue(
    *, directory: Path, user: AbstractBaseUser | None, source: str
) -> JobRun:
    """Start the import of ``directory`` as a background job (queue ``ingest``)."""
    return job_enqueue(
        kind="referential.import",
        params={
            "directory": str(directory),
            "source": source,
            "user_id": user.pk if user is not None else None,
        },
        user=user,
        target_label=source or str(directory),
    )


def referential_refresh_from_drop_dir() -> JobRun | None:
    """Enqueue an import of the drop folder when its files differ from those of
    the last successful import; return the run, or None when nothing is new."""
    directory = referential_drop_dir()
    if directory is None or not directory.is_dir():
        return None
    fingerprint = bdpm_directory_fingerprint(directory)
    if not fingerprint:
        return None
    last = (
        ReferentialImport.objects.filter(
            status__in=(
                ReferentialImport.Status.DONE,
                ReferentialImport.Status.DONE_WITH_ERRORS,
            )
        )
        .order_by("-started_at")
        .first()
    )
    if last is not None:
        previous = {info["name"]: info["sha256"] for info in last.files}
        if previous == fingerprint:
            return None
    with transaction.atomic():
        return referential_import_enqueue(
            directory=directory, user=None, source=_("Daily BDPM drop folder")
        )


MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def referential_upload_store(*, files: list[Any], user: AbstractBaseUser) -> Path:
    """Store uploaded BDPM files (or one zip of them) in a new folder of the
    private storage (never served) and return it. Only standard BDPM file names
    are kept; a zip is read without trusting its paths. Raises ApplicationError
    for anything else."""
    import zipfile

    stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
    target = private_root() / "referential" / f"{stamp}-{user.pk}"
    empty = [Path(u.name).name for u in files if not u.size]
    if empty:
        raise ApplicationError(
            _(
                "These files are empty: %(names)s. Nothing was imported; upload "
                "the right files (an empty file would withdraw every row)."
            )
            % {"names": ", ".join(empty)}
        )
    target.mkdir(parents=True, exist_ok=False)
    kept: list[str] = []
    for upload in files:
        name = Path(upload.name).name
        if name.lower().endswith(".zip"):
            try:
                archive = zipfile.ZipFile(upload)
            except zipfile.BadZipFile as exc:
                raise ApplicationError(
                    _("%(name)s is not a readable zip archive.") % {"name": name}
                ) from exc
            total = sum(info.file_size for info in archive.infolist())
            if total > MAX_UPLOAD_BYTES:
                raise ApplicationError(
                    _("%(name)s expands to more than 200 MB: refused.") % {"name": name}
                )
            for info in archive.infolist():
                inner = Path(info.filename).name
                spec = bdpm.spec_for_filename(inner)
                if spec is None or info.is_dir():
                    continue
                (target / spec.name).write_bytes(archive.read(info))
                kept.append(spec.name)
            continue
        spec = bdpm.spec_for_filename(name)
        if spec is None:
            raise ApplicationError(
                _(
                    "%(name)s is not a BDPM file (expected CIS_bdpm.txt, "
                    "CIS_CIP_bdpm.txt, CIS_COMPO_bdpm.txt, … or a zip of them)."
                )
                % {"name": name}
            )
        with (target / spec.name).open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        kept.append(spec.name)
    if not kept:
        raise ApplicationError(_("No BDPM file was found in the upload."))
    return target


def alias_family_error(user: AbstractBaseUser | None, family: str) -> str | None:
    """Why ``user`` may not write an alias of ``family`` (``""``: shared by every
    family), or None. A directorate writes its own families' aliases; shared ones
    are the Data Office's (they redirect every family's future matches)."""
    if user is None or sees_every_family(user):
        return None
    if not family:
        return _(
            "Only the Data Office writes aliases shared by every family: choose "
            "your family."
        )
    if family not in families_of(user):
        return _("Your directorate does not handle the family of this alias.")
    return None


def alias_save(
    *,
    instance: Alias | None = None,
    label: str,
    family: str = "",
    speciality: Speciality | None,
    note: str = "",
    user: AbstractBaseUser | None,
) -> Alias:
    """Create or update the alias of ``label`` (normalised as the matching service
    does). ``speciality=None`` records the label as outside the referential.
    The user and the moment become the alias's decision (a change is a new
    decision). Raises ApplicationError when another alias already covers the same label,
    PermissionRefused for a family (before or after) the user may not write
    (``alias_family_error``)."""
    normalised = normalise_label(label)
    if not normalised:
        raise ApplicationError(_("The label is empty once normalised."))
    alias = instance if instance is not None else Alias()
    stored = (
        Alias.objects.filter(pk=alias.pk).values_list("family", flat=True).first()
        if alias.pk is not None
        else None
    )
    for target in {family, stored} - {None}:
        reason = alias_family_error(user, str(target))
        if reason is not None:
            raise PermissionRefused(reason)
    clash = Alias.objects.filter(normalised_label=normalised, family=family).exclude(
        pk=alias.pk
    )
    if clash.exists():
        raise ApplicationError(
            _("An alias already exists for this label: %(label)s")
            % {"label": clash.first()}
        )
    alias.label = label.strip()
    alias.normalised_label = normalised
    alias.family = family
    alias.speciality = speciality
    alias.note = note
    # Who decided the alias as it now stands, and when: a change is a new decision
    # (the review of a version it matches shows it).
    alias.created_by_id = (
        user.pk if user is not None and user.is_authenticated else None
    )
    alias.created_at = timezone.now()
    alias.full_clean()
    alias.save()
    return alias
