"""Cleaning and loading a version: read the raw file, apply the mapping, clean,
match and deduplicate it slice by slice while PostgreSQL loads the previous
slices, then replace the version's records, issues and problem rows in one
transaction."""

from __future__ import annotations

import itertools
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.bulk import (
    Encoded,
    bulk_insert_stream,
    copy_encode,
)
from backoffice.exceptions import ApplicationError
from datasets.families import get_family
from datasets.messages import assembly_message, issue_message
from datasets.models import (
    DatasetVersion,
    ExtractPart,
    Issue,
    ProblemRow,
    Upload,
)
from datasets.pipeline import read
from datasets.pipeline.clean import (
    CleanResult,
    MedicineMatcher,
    SubstanceMatcher,
    TypedMemo,
    clean,
    deduplicate,
    match_counts,
    match_issues,
)
from datasets.pipeline.mapping import (
    MappingError,
    MappingSpec,
    apply_mapping,
)
from datasets.pipeline.parts import Assembled, rename_part
from datasets.pipeline.schema import FamilySchema
from datasets.records import field_labels, record_model
from datasets.services.common import read_error
from datasets.services.mappings import mapping_error_message
from datasets.services.versions import version_revision_record
from referential_admin.selectors import (
    brand_substances,
    family_matcher,
    substance_names,
)
from referential_admin.text import TEXT, to_arrow
from tasks.progress import NullProgress, ProgressReporter

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def version_clean(
    *,
    version: DatasetVersion,
    progress: ProgressReporter | None = None,
    user: AbstractBaseUser | None = None,
) -> CleanResult:
    """Read the raw file, apply the mapping, normalise, validate, match and
    deduplicate, then replace the version's records and issues in one transaction,
    and record the result as a revision of the version by ``user``.

    Raises ApplicationError when the file cannot be read or the mapping does
    not fit it; the version is then marked failed with that message.
    """
    report = progress or NullProgress()
    started = time.monotonic()
    schema = get_family(version.family)
    DatasetVersion.objects.filter(pk=version.pk).update(
        status=DatasetVersion.Status.CLEANING, error=""
    )
    try:
        report.update(0, stage=_("Reading the file"))
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The file is parsed (by Arrow, mostly outside the GIL) while this
            # thread reads the referential index from the database.
            # What the reading thread needs is read from the database here: the
            # thread has a connection of its own, outside this transaction.
            mapping_spec = dict(version.mapping.spec)
            reading: Future[
                tuple[read.Table, pd.DataFrame, MappingSpec, Assembled | None]
            ]
            if schema.parts is None:
                reading = pool.submit(
                    _read_single, version.upload, mapping_spec, schema
                )
            else:
                reading = pool.submit(
                    _read_extract, _extract_parts(version), mapping_spec, schema
                )
            matcher = (
                MedicineMatcher(schema, family_matcher(version.family))
                if schema.medicine is not None
                else None
            )
            substances = (
                SubstanceMatcher(
                    schema.substances,
                    substance_names(),
                    brand_substances() if schema.substances.brand_field else None,
                )
                if schema.substances is not None
                else None
            )
            table, mapped, spec, assembled = reading.result()
        report.update(0, total=len(mapped), stage=_("Cleaning"))
        result = _clean_and_store(
            version, schema, spec, table, mapped, matcher, report, substances
        )
        if assembled is not None:
            _store_assembly(version, schema, assembled, result)
    except ApplicationError as exc:
        DatasetVersion.objects.filter(pk=version.pk).update(
            status=DatasetVersion.Status.FAILED, error=exc.message
        )
        raise
    DatasetVersion.objects.filter(pk=version.pk).update(
        seconds=round(time.monotonic() - started, 3)
    )
    version_revision_record(
        version=version,
        user=user,
        action="datamed.version.clean",
        data={
            "upload": version.upload_id,
            "mapping": version.mapping_id,
            "rows_read": result.rows_read,
            "rows_loaded": result.rows_loaded,
            "rows_rejected": result.rows_rejected,
        },
    )
    report.update(result.rows_read, total=result.rows_read, stage=_("Done"))
    return result


def _read_single(
    upload: Upload, mapping_spec: dict[str, Any], schema: FamilySchema
) -> tuple[read.Table, pd.DataFrame, MappingSpec, None]:
    """The version's file read and mapped to the family's fields."""
    detection = read.Detection.from_dict(upload.detection)
    try:
        table = read.read_table(upload.file.path, detection)
    except read.ReadError as exc:
        raise read_error(exc, upload.original_name) from exc
    spec = MappingSpec.from_dict(mapping_spec)
    try:
        mapped = apply_mapping(table.frame, schema, spec)
    except MappingError as exc:
        raise ApplicationError(mapping_error_message(schema, exc)) from exc
    return table, mapped, spec, None


def _extract_parts(version: DatasetVersion) -> list[ExtractPart]:
    """The parts of the version's extract, with their uploads."""
    if version.extract_id is None:
        raise ApplicationError(
            _("This version has no tables: upload the tables of the extract together.")
        )
    return list(
        ExtractPart.objects.filter(extract_id=version.extract_id).select_related(
            "upload"
        )
    )


def _read_extract(
    parts: list[ExtractPart], mapping_spec: dict[str, Any], schema: FamilySchema
) -> tuple[read.Table, pd.DataFrame, MappingSpec, Assembled]:
    """The parts of the version's extract read, each renamed by its mapping,
    and assembled by the family into one frame of records (raw text). The
    records' row numbers are those of the root part's rows."""
    if schema.parts is None or schema.assemble is None:
        raise ValueError(f"family {schema.key} has no parts to assemble")
    given = mapping_spec.get("parts") or {}
    frames: dict[str, pd.DataFrame] = {}
    row_numbers: dict[str, np.ndarray] = {}
    for part in parts:
        detection = read.Detection.from_dict(part.detection)
        try:
            table = read.read_table(part.upload.file.path, detection)
        except read.ReadError as exc:
            raise read_error(exc, part.sheet or part.upload.original_name) from exc
        columns = (given.get(part.part) or {}).get("columns") or {}
        frames[part.part] = rename_part(
            table.frame, schema.parts.part(part.part), columns
        )
        row_numbers[part.part] = table.row_numbers
    assembled = schema.assemble(frames)
    frames.clear()
    mapped = assembled.frame.astype(TEXT)
    positions = assembled.row_positions.to_numpy(dtype=np.int64)
    table = read.Table(
        frame=mapped,
        row_numbers=row_numbers[assembled.origin][positions],
        columns=list(mapped.columns),
    )
    return table, mapped, MappingSpec(), assembled


#: Counts of an assembly that are problems of the file, as issue codes.
ASSEMBLY_ISSUES = {
    "soc_unknown": "SOC_UNKNOWN",
    "notifier_unmapped": "NOTIFIER_UNMAPPED",
}


def _store_assembly(
    version: DatasetVersion,
    schema: FamilySchema,
    assembled: Assembled,
    result: CleanResult,
) -> None:
    """Record the assembly's counts on the version, and its problems (rows of a
    part linked to no case, labels nobody knows) as issues of the whole file."""
    counts = dict(assembled.counts)
    issues: list[Issue] = []
    totals = dict(result.issue_counts())
    if schema.parts is None:
        raise ValueError(f"family {schema.key} has no parts")
    for part, orphans in assembled.links.orphans.items():
        if orphans:
            label = schema.parts.part(part).label
            issues.append(
                Issue(
                    version=version,
                    row_number=None,
                    field=part,
                    value=str(orphans),
                    code="PART_ORPHANS",
                    severity=Issue.Severity.WARNING,
                    message=assembly_message("PART_ORPHANS", label, orphans),
                )
            )
            totals["PART_ORPHANS"] = totals.get("PART_ORPHANS", 0) + orphans
    for name, code in ASSEMBLY_ISSUES.items():
        if counts.get(name):
            issues.append(
                Issue(
                    version=version,
                    row_number=None,
                    value=str(counts[name]),
                    code=code,
                    severity=Issue.Severity.WARNING,
                    message=assembly_message(code, "", counts[name]),
                )
            )
            totals[code] = counts[name]
    Issue.objects.bulk_create(issues)
    DatasetVersion.objects.filter(pk=version.pk).update(
        assembly=counts, issue_counts=totals
    )


def _issue_frame(
    schema: FamilySchema, issues: pd.DataFrame, row_numbers: np.ndarray
) -> pd.DataFrame:
    """Issues with file row numbers and French messages (one message per
    distinct rule, field and detail, not per row)."""
    if issues.empty:
        return pd.DataFrame(
            columns=["row_number", "field", "value", "code", "severity", "message"]
        )
    labels = field_labels(schema)
    detail = issues["detail"].astype(str)
    # Duplicates name the row kept instead by its position: show its row number.
    duplicate = issues["code"].isin(["DUPLICATE_ROW", "DUPLICATE_KEY"]).to_numpy()
    if duplicate.any():
        positions = detail[duplicate].astype(np.int64).to_numpy()
        detail = detail.copy()
        detail[duplicate] = row_numbers[positions].astype(str)
    keys = issues["code"] + "\x1f" + issues["field"] + "\x1f" + detail
    messages: dict[str, str] = {}
    for key in pd.unique(keys):
        code, field_name, extra = str(key).split("\x1f")
        field_label = ", ".join(labels.get(f, f) for f in field_name.split(","))
        messages[key] = issue_message(code, field_label, labels.get(extra, extra))
    return pd.DataFrame(
        {
            "version_id": 0,
            "row_number": row_numbers[issues["position"].to_numpy(dtype=np.int64)],
            "field": issues["field"].str.slice(0, 100),
            "value": issues["value"].astype(str),
            "code": issues["code"],
            "severity": issues["severity"],
            "message": keys.map(messages),
        }
    )


#: Rows cleaned, matched and loaded per slice (the first slice is smaller, so
#: that the database starts loading sooner).
LOAD_BATCH = 100_000


FIRST_BATCH = 20_000


def _issue_rows(
    version: DatasetVersion,
    schema: FamilySchema,
    table: read.Table,
    result: CleanResult,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Issue rows and the ProblemRow rows (raw values of every row with an
    issue) of a cleaning result; frees the raw table afterwards."""
    problem_positions = np.unique(result.issues["position"].to_numpy(np.int64))
    raw = table.frame.iloc[problem_positions]
    names = [str(name) for name in raw.columns]
    # Arrow turns each column into Python strings at once (not cell by cell).
    cells = [to_arrow(raw[name].astype(str)).to_pylist() for name in raw.columns]
    raw_rows = [dict(zip(names, row, strict=True)) for row in zip(*cells, strict=True)]
    table.frame = table.frame.iloc[:0]  # the raw table is no longer needed
    issues = _issue_frame(schema, result.issues, table.row_numbers)
    issues["version_id"] = version.pk
    problems = pd.DataFrame(
        {
            "version_id": version.pk,
            "row_number": table.row_numbers[problem_positions],
            "rejected": np.isin(problem_positions, result.rejected_positions),
            "raw": pd.Series(raw_rows, dtype=object),
        }
    )
    return issues, problems


def _record_rows(
    version: DatasetVersion,
    schema: FamilySchema,
    table: read.Table,
    records: pd.DataFrame,
) -> pd.DataFrame:
    """The record model's rows (attnames as columns) of cleaned records."""
    frame = records[list(schema.field_names)]  # lazy selection (copy on write)
    frame["version_id"] = version.pk
    frame["row_number"] = table.row_numbers[
        records["position"].to_numpy(dtype=np.int64)
    ]
    frame["record_key"] = records["record_key"].str.slice(0, 600)
    frame["medicine_key"] = records["medicine_key"]
    for column in ("matched_cis", "match_method", "match_score"):
        if column in records:
            frame[column] = records[column]
    if "match_method" in frame:
        frame["match_method"] = frame["match_method"].fillna("")
    return frame


@dataclass
class _Slice:
    """One slice cleaned and matched, with what the run keeps of it."""

    result: CleanResult
    #: The record model's rows, to load, and their COPY input (PostgreSQL).
    rows: pd.DataFrame
    encoded: Encoded | None
    #: The warnings on medicines waiting for a person.
    reviewed: pd.DataFrame
    #: Records per match method.
    methods: dict[str, int]
    #: Filled values per field.
    filled: dict[str, int]


class _Slices:
    """What the slices of one extract left behind once cleaned and loaded: their
    issues and counts, and each record's position and natural key only (the
    records themselves are in the database; the few that share a key are
    cleaned again at the end, see ``finish``)."""

    def __init__(self, schema: FamilySchema) -> None:
        self.schema = schema
        self.issues: list[pd.DataFrame] = []
        self.rejected: list[np.ndarray] = []
        self.keys: list[pd.DataFrame] = []
        self.kept = 0
        self.methods: Counter[str] = Counter()
        self.filled: Counter[str] = Counter(dict.fromkeys(schema.field_names, 0))

    def summarise(
        self, result: CleanResult, rows: pd.DataFrame, model: type[models.Model]
    ) -> _Slice:
        """The slice's summary; thread-safe (computed by the cleaning threads)."""
        records = result.records
        matching = self.schema.medicine is not None
        methods: dict[str, int] = {}
        if matching and len(records):
            counted = records["match_method"].astype(TEXT).value_counts()
            methods = {str(k): int(v) for k, v in counted.items()}
        return _Slice(
            result=result,
            rows=rows,
            encoded=copy_encode(model, rows),
            reviewed=match_issues(records, self.schema),
            methods=methods,
            filled={
                name: int(records[name].notna().sum())
                for name in self.schema.field_names
            },
        )

    def add(self, piece: _Slice) -> None:
        records = piece.result.records
        self.issues.extend([piece.result.issues, piece.reviewed])
        self.rejected.append(piece.result.rejected_positions)
        self.keys.append(records[["position", "record_key"]])
        self.kept += len(records)
        self.methods.update(piece.methods)
        self.filled.update(piece.filled)

    def _shared_positions(self) -> np.ndarray:
        """Positions of the records whose natural key another record has."""
        if not self.keys:
            return np.zeros(0, dtype=np.int64)
        keys = pd.concat(self.keys, ignore_index=True)
        shared = keys["record_key"].duplicated(keep=False).to_numpy()
        return np.sort(keys["position"].to_numpy(dtype=np.int64)[shared])

    def finish(
        self,
        rows_read: int,
        matching: bool,
        records_at: Callable[[np.ndarray], pd.DataFrame],
    ) -> tuple[CleanResult, np.ndarray]:
        """The run's result, and the positions of the rows a later row of another
        slice repeats (loaded already: to delete). ``records_at(positions)``
        gives the cleaned and matched records at those positions again."""
        positions = self._shared_positions()
        self.keys.clear()
        # Only the few rows sharing a key are cleaned again, with all their values.
        candidates = records_at(positions)
        dropped, duplicates = deduplicate(candidates, self.schema)
        gone = candidates[dropped]
        issues = pd.concat([*self.issues, duplicates], ignore_index=True)
        gone_positions = gone["position"].to_numpy(dtype=np.int64)
        if len(gone_positions):
            medicine = (issues["field"] == "medicine") & issues["position"].isin(
                gone_positions
            )
            issues = issues[~medicine.to_numpy()]
        counts: dict[str, int] = {}
        if matching:
            remaining = Counter(self.methods)
            if len(gone):
                remaining.subtract(
                    str(m) for m in gone["match_method"].astype(object).tolist()
                )
            counts = match_counts({m: n for m, n in remaining.items() if n})
        for name in self.schema.field_names:
            self.filled[name] -= int(gone[name].notna().sum())
        result = CleanResult(
            records=candidates.iloc[:0],
            issues=issues.sort_values(["position", "code"], kind="stable").reset_index(
                drop=True
            ),
            rows_read=rows_read,
            rejected_positions=np.sort(
                np.concatenate([*self.rejected, gone_positions])
            ),
            matches=counts,
            kept=self.kept - len(gone),
        )
        return result, gone_positions


def _clean_and_store(
    version: DatasetVersion,
    schema: FamilySchema,
    spec: MappingSpec,
    table: read.Table,
    mapped: pd.DataFrame,
    matcher: MedicineMatcher | None,
    report: ProgressReporter,
    substances: SubstanceMatcher | None = None,
) -> CleanResult:
    """Clean, match and load the extract slice by slice, then replace the
    version's records, issues and problem rows, all in one transaction.

    While PostgreSQL loads a slice, the next ones are cleaned and matched by
    ``settings.EXTRACT_CLEANING_THREADS`` threads (see ``bulk_insert_stream``;
    the Arrow kernels release the GIL); duplicates are found over the whole
    extract at the end, and the rows a later row repeats are deleted again.
    ``matcher`` (read from the database beforehand: the threads never query it)
    matches the medicines, or is None when the family has none.
    """
    model = record_model(schema)
    total = len(mapped)
    matching = matcher is not None
    slices = _Slices(schema)
    memo = TypedMemo()
    stage = str(_("Cleaning, matching and loading the records"))
    bounds = sorted({0, *range(FIRST_BATCH, total, LOAD_BATCH), total})

    def cleaned(rows: pd.DataFrame, offset: int = 0) -> CleanResult:
        part = clean(
            rows, schema, spec, offset=offset, deduplicate_rows=False, memo=memo
        )
        if matcher is not None and len(part.records):
            found = matcher.match(part.records)
            for column in found.columns:
                part.records[column] = found[column].to_numpy()
        if substances is not None and len(part.records):
            part.records, unmatched = substances.match(part.records)
            if len(unmatched):
                part.issues = pd.concat([part.issues, unmatched], ignore_index=True)
        return part

    def records_at(positions: np.ndarray) -> pd.DataFrame:
        # Cleaning and matching are row by row (and the memos answer the same):
        # these are the records the slices loaded.
        records = cleaned(mapped.iloc[positions]).records
        records["position"] = positions[records["position"].to_numpy(dtype=np.int64)]
        return records

    def prepare(start: int, stop: int) -> _Slice:
        part = cleaned(mapped.iloc[start:stop], offset=start)
        rows = _record_rows(version, schema, table, part.records)
        return slices.summarise(part, rows, model)

    def batches() -> Iterator[tuple[Any, pd.DataFrame, Encoded | None]]:
        cleaners = settings.EXTRACT_CLEANING_THREADS
        with ThreadPoolExecutor(max_workers=cleaners) as pool:
            waiting: deque[Future[_Slice]] = deque()
            pairs = itertools.pairwise(bounds)
            # At most ``cleaners`` slices in flight; handed over in file order.
            while (bound := next(pairs, None)) is not None or waiting:
                if bound is not None:
                    waiting.append(pool.submit(prepare, *bound))
                    if len(waiting) < cleaners:
                        continue
                piece = waiting.popleft().result()
                slices.add(piece)
                yield model, piece.rows, piece.encoded
        # While the last slices load: duplicates over the slices, then the
        # issues and the raw values of the rows they concern, loaded after them.
        result, gone = slices.finish(total, matching, records_at)
        outcome["result"], outcome["gone"] = result, gone
        issues, problems = _issue_rows(version, schema, table, result)
        yield Issue, issues, None
        yield ProblemRow, problems, None

    outcome: dict[str, Any] = {}
    report.update(0, total=total, stage=stage)
    with transaction.atomic():
        # Records, issues and problem rows are only written here, with
        # cleaned_at, in one transaction: a version never cleaned has none, and
        # deleting nothing would still scan the record table's newest pages.
        if DatasetVersion.objects.filter(pk=version.pk, cleaned_at__isnull=False):
            model._default_manager.filter(version=version).delete()
            Issue.objects.filter(version=version).delete()
            ProblemRow.objects.filter(version=version).delete()
        # The rows of this load have the ids after these: the repeated ones are
        # looked up in that range of the primary key, not in the whole table.
        first_id = (model._default_manager.aggregate(last=Max("pk"))["last"] or 0) + 1
        bulk_insert_stream(
            batches(),
            progress=lambda done: report.update(
                min(done, total), total=total, stage=stage
            ),
        )
        result: CleanResult = outcome["result"]
        gone = outcome["gone"]
        if len(gone):
            last_id = model._default_manager.aggregate(last=Max("pk"))["last"]
            model._default_manager.filter(
                # Both bounds: without fresh statistics PostgreSQL estimates
                # a closed range as small (an index scan), an open one as a third
                # of the table (a sequential scan of millions of rows).
                pk__range=(first_id, last_id),
                version=version,
                row_number__in=table.row_numbers[gone].tolist(),
            ).delete()
        DatasetVersion.objects.filter(pk=version.pk).update(
            status=DatasetVersion.Status.DRAFT,
            rows_read=result.rows_read,
            rows_loaded=result.rows_loaded,
            rows_rejected=result.rows_rejected,
            blocking_issues=int((result.issues["severity"] == "blocking").sum()),
            issue_counts=result.issue_counts(),
            match_counts=result.matches,
            completeness=dict(slices.filled),
            cleaned_at=timezone.now(),
        )
    return result
