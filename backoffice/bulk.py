"""Bulk writes of data frames: PostgreSQL COPY into a staging table then one
INSERT … ON CONFLICT; ``bulk_create`` on SQLite. Never one query per row."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.db import connection, models
from psycopg.types.json import Jsonb

from backoffice import pgbinary

BATCH = 2000


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def bulk_upsert(
    model: type[models.Model],
    frame: pd.DataFrame,
    *,
    unique_field: str,
    update_fields: Sequence[str],
) -> int:
    """Insert the frame's rows into ``model``'s table; where ``unique_field``
    already exists, overwrite ``update_fields`` only. Columns are attnames.

    Returns the number of rows sent. Runs inside the caller's transaction.
    """
    if frame.empty:
        return 0
    if connection.vendor == "postgresql":
        _copy_upsert(model, frame, unique_field, update_fields)
    else:
        _orm_upsert(model, frame, unique_field, update_fields)
    return len(frame)


_INTEGER_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
}


def _is_integer(field: models.Field[Any, Any]) -> bool:
    if isinstance(field, models.ForeignKey):
        return _is_integer(field.target_field)
    return field.get_internal_type() in _INTEGER_TYPES


def _fields_by_attname(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {f.attname: f for f in model._meta.concrete_fields}


def _orm_upsert(
    model: type[models.Model],
    frame: pd.DataFrame,
    unique_field: str,
    update_fields: Sequence[str],
) -> None:
    fields = _fields_by_attname(model)
    records = frame.to_dict("records")
    objects = [model(**{str(k): _clean(v) for k, v in row.items()}) for row in records]
    model._default_manager.bulk_create(
        objects,
        batch_size=BATCH,
        update_conflicts=bool(update_fields),
        ignore_conflicts=not update_fields,
        unique_fields=[fields[unique_field].name] if update_fields else None,
        update_fields=[fields[f].name for f in update_fields] or None,
    )


def _copy_upsert(
    model: type[models.Model],
    frame: pd.DataFrame,
    unique_field: str,
    update_fields: Sequence[str],
) -> None:
    fields = _fields_by_attname(model)
    attnames = list(frame.columns)
    columns = [fields[a].column for a in attnames]
    json_positions = [
        i for i, a in enumerate(attnames) if isinstance(fields[a], models.JSONField)
    ]
    # pandas turns integer columns with missing values into floats ("13.0").
    integer_positions = [i for i, a in enumerate(attnames) if _is_integer(fields[a])]
    table = model._meta.db_table
    stage = f"_stage_{uuid.uuid4().hex[:12]}"
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(c) for c in columns)
    conflict = quote(fields[unique_field].column)
    if update_fields:
        assignments = ", ".join(
            f"{quote(fields[a].column)} = EXCLUDED.{quote(fields[a].column)}"
            for a in update_fields
        )
        action = f"DO UPDATE SET {assignments}"
    else:
        action = "DO NOTHING"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        # Same column types as the target, without its constraints or identity.
        raw.execute(
            f"CREATE TEMP TABLE {quote(stage)} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {column_list} FROM {quote(table)} WITH NO DATA"
        )
        with raw.copy(f"COPY {quote(stage)} ({column_list}) FROM STDIN") as copy:
            for row in frame.itertuples(index=False, name=None):
                values = [_clean(v) for v in row]
                for i in integer_positions:
                    if isinstance(values[i], float):
                        values[i] = int(values[i])
                for i in json_positions:
                    values[i] = Jsonb(values[i]) if values[i] is not None else None
                copy.write_row(values)
        raw.execute(
            f"INSERT INTO {quote(table)} ({column_list}) "  # noqa: S608 - quoted names
            f"SELECT {column_list} FROM {quote(stage)} "
            f"ON CONFLICT ({conflict}) {action}"
        )
        raw.execute(f"DROP TABLE {quote(stage)}")


def _arrow_table(model: type[models.Model], frame: pd.DataFrame) -> Any:
    """The frame as an Arrow table whose text form PostgreSQL's CSV COPY accepts."""
    import json

    import pyarrow as pa

    fields = _fields_by_attname(model)
    arrays = []
    for attname in frame.columns:
        field = fields[attname]
        series = frame[attname]
        if isinstance(field, models.JSONField):
            values = [None if v is None else json.dumps(v) for v in series]
            arrays.append(pa.array(values, type=pa.string()))
        elif isinstance(field, models.DateField) and not isinstance(
            field, models.DateTimeField
        ):
            dates = pd.to_datetime(series, errors="coerce")
            arrays.append(pa.array(dates, type=pa.timestamp("ns")).cast(pa.date32()))
        elif _is_integer(field):
            integers = series.astype("Int64")
            arrays.append(pa.array(integers, type=pa.int64(), from_pandas=True))
        elif isinstance(field, models.FloatField):
            arrays.append(pa.array(pd.to_numeric(series), type=pa.float64()))
        elif isinstance(field, models.BooleanField):
            arrays.append(pa.array(series.astype(bool), type=pa.bool_()))
        else:
            try:
                # Arrow-backed text columns convert without a Python object each.
                arrays.append(pa.array(series, type=pa.string(), from_pandas=True))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                text = series.astype(object).where(series.notna(), None)
                text = text.map(lambda v: v if v is None else str(v))
                arrays.append(pa.array(text, type=pa.string(), from_pandas=True))
    return pa.table(arrays, names=[fields[a].column for a in frame.columns])


#: Rows per COPY statement (and per progress report).
COPY_BATCH = 100_000


def _binary_kinds(
    model: type[models.Model], attnames: Iterable[Any]
) -> list[str] | None:
    """What ``pgbinary`` writes for each column, or None when a column's type
    is one it cannot write (the batch then goes as CSV)."""
    fields = _fields_by_attname(model)
    kinds = [pgbinary.kind_of(fields[a].db_type(connection)) for a in attnames]
    if any(kind is None for kind in kinds):
        return None
    return [str(kind) for kind in kinds]


@dataclass(frozen=True)
class Encoded:
    """A frame turned into COPY input ahead of time (``copy_encode``)."""

    statement: str
    buffers: list[Any]
    rows: int


def copy_encode(model: type[models.Model], frame: pd.DataFrame) -> Encoded | None:
    """The frame as COPY input for ``model``'s table, for ``bulk_insert_stream``;
    None when the database is not PostgreSQL. Pure (no query): it may run in
    other threads than the one loading."""
    if connection.vendor != "postgresql" or frame.empty:
        return None
    return _encode(model, frame, model._meta.db_table)


def _copy_payload(
    model: type[models.Model], frame: pd.DataFrame, table: str
) -> tuple[str, list[Any]]:
    """The COPY statement and the buffers to send for ``frame``: PostgreSQL's
    binary format when every column's type allows it (no text for PostgreSQL
    to parse), else CSV written by Arrow."""
    import io

    import pyarrow.csv as pacsv

    quote = connection.ops.quote_name
    arrow = _arrow_table(model, frame)
    column_list = ", ".join(quote(c) for c in arrow.column_names)
    statement = f"COPY {quote(table)} ({column_list}) FROM STDIN WITH (FORMAT "
    kinds = _binary_kinds(model, frame.columns)
    if kinds is not None:
        try:
            return statement + "binary)", pgbinary.encode(arrow, kinds)
        except OverflowError:
            pass  # as CSV: PostgreSQL's own error names the column
    sink = io.BytesIO()
    options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
    pacsv.write_csv(arrow, sink, write_options=options)
    return statement + "csv)", [sink.getvalue()]


def _copy_batches(
    batches: Iterable[Encoded], progress: Callable[[int], None] | None = None
) -> int:
    """COPY each encoded frame into its table, in the caller's transaction,
    while the next one is prepared.

    A writer thread streams each batch to PostgreSQL on this thread's own
    connection, one COPY per batch, and reports progress (from its own
    connection, so a job's progress is visible at once). Meanwhile this thread
    computes the next batch (the ``batches`` iterator may be lazy): the Python
    work and PostgreSQL's loading overlap on two cores. The calling thread must
    not use the connection until this returns (the iterator included); an error
    on either side stops both and is raised.
    """
    import queue
    import threading

    from django.db import connections

    connection.ensure_connection()
    raw = connection.connection
    pending: queue.Queue[Encoded | None] = queue.Queue(maxsize=2)
    failures: list[BaseException] = []
    written = [0]

    def write() -> None:
        try:
            while (item := pending.get()) is not None:
                if failures:
                    continue  # drain: the producer is told after its next put
                try:
                    with raw.cursor() as cursor, cursor.copy(item.statement) as copy:
                        for buffer in item.buffers:
                            copy.write(buffer)
                    written[0] += item.rows
                    if progress is not None:
                        progress(written[0])
                except BaseException as exc:  # noqa: BLE001 - re-raised by the caller
                    failures.append(exc)
        finally:
            connections.close_all()  # the progress reports' own connection

    writer = threading.Thread(target=write, name="copy-writer", daemon=True)
    writer.start()
    try:
        for encoded in batches:
            if failures:
                break
            pending.put(encoded)
    finally:
        pending.put(None)
        writer.join()
    if failures:
        raise failures[0]
    return written[0]


def _encode(model: type[models.Model], frame: pd.DataFrame, table: str) -> Encoded:
    statement, buffers = _copy_payload(model, frame, table)
    return Encoded(statement, buffers, len(frame))


def _slices(frame: pd.DataFrame, size: int = COPY_BATCH) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def _copy_frame(
    model: type[models.Model],
    frame: pd.DataFrame,
    table: str,
    progress: Callable[[int], None] | None = None,
) -> None:
    _copy_batches((_encode(model, part, table) for part in _slices(frame)), progress)


def bulk_insert(
    model: type[models.Model],
    frame: pd.DataFrame,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Append the frame's rows to ``model``'s table (columns are attnames).

    PostgreSQL: COPY in CSV form, written by Arrow, in batches of 100,000
    rows; SQLite: ``bulk_create`` in batches. ``progress`` receives the rows sent
    after each batch (it may raise to stop). Runs inside the caller's
    transaction; returns the rows sent.
    """
    if frame.empty:
        return 0
    if connection.vendor == "postgresql":
        _copy_frame(model, frame, model._meta.db_table, progress)
        return len(frame)
    fields = _fields_by_attname(model)
    date_columns = [
        a
        for a in frame.columns
        if isinstance(fields[a], models.DateField)
        and not isinstance(fields[a], models.DateTimeField)
    ]
    for start in range(0, len(frame), BATCH * 5):
        chunk = frame.iloc[start : start + BATCH * 5].astype(object)
        for column in date_columns:
            dates = pd.to_datetime(chunk[column], errors="coerce")
            chunk[column] = [None if pd.isna(d) else d.date() for d in dates]
        objects = [
            model(**{str(k): _clean(v) for k, v in row.items()})
            for row in chunk.to_dict("records")
        ]
        model._default_manager.bulk_create(objects, batch_size=BATCH)
        if progress is not None:
            progress(start + len(chunk))
    return len(frame)


def bulk_insert_stream(
    batches: Iterable[tuple[type[models.Model], pd.DataFrame, Encoded | None]],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Append the rows of each (model, frame, encoded) to the model's table;
    ``encoded`` is the frame already encoded by ``copy_encode`` (by another
    thread, say), or None. The batches may be computed lazily: on PostgreSQL
    the next one is computed while the previous one is being loaded (see
    ``_copy_batches``), so the iterator must not query the database. Runs
    inside the caller's transaction; returns the rows sent, ``progress``
    receives the rows sent so far after each frame."""
    if connection.vendor == "postgresql":
        return _copy_batches(
            (
                encoded or _encode(model, frame, model._meta.db_table)
                for model, frame, encoded in batches
                if not frame.empty
            ),
            progress,
        )
    sent = 0
    for model, frame, _encoded in batches:
        sent += bulk_insert(model, frame)
        if progress is not None:
            progress(sent)
    return sent


def bulk_update_frame(
    model: type[models.Model], frame: pd.DataFrame, *, key: str = "id"
) -> int:
    """Set the frame's columns on the rows whose ``key`` matches (one statement on
    PostgreSQL through a COPY-loaded staging table; ``bulk_update`` on SQLite)."""
    if frame.empty:
        return 0
    fields = _fields_by_attname(model)
    columns = [c for c in frame.columns if c != key]
    if connection.vendor != "postgresql":
        objects = [
            model(**{str(k): _clean(v) for k, v in row.items()})
            for row in frame.astype(object).to_dict("records")
        ]
        model._default_manager.bulk_update(
            objects, [fields[c].name for c in columns], batch_size=BATCH
        )
        return len(frame)
    quote = connection.ops.quote_name
    table = model._meta.db_table
    stage = f"_stage_{uuid.uuid4().hex[:12]}"
    all_columns = ", ".join(quote(fields[c].column) for c in [key, *columns])
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {quote(stage)} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {all_columns} FROM {quote(table)} WITH NO DATA"
        )
    _copy_frame(model, frame[[key, *columns]], stage)
    assignments = ", ".join(
        f"{quote(fields[c].column)} = s.{quote(fields[c].column)}" for c in columns
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(table)} AS t SET {assignments} "  # noqa: S608
            f"FROM {quote(stage)} AS s "
            f"WHERE t.{quote(fields[key].column)} = s.{quote(fields[key].column)}"
        )
        cursor.execute(f"DROP TABLE {quote(stage)}")
    return len(frame)
