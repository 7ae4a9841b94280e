"""Bulk writes of data frames: PostgreSQL COPY into a staging table then one
INSERT … ON CONFLICT; ``bulk_create`` on SQLite. Never one query per row."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import pandas as pd
from django.db import connection, models
from psycopg.types.json import Jsonb

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
