"""Bulk loading: PostgreSQL's binary COPY format written by Arrow kernels
(``backoffice.pgbinary``), and the stream loader on both databases."""

from __future__ import annotations

import datetime as dt
import math
import struct
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from django.db import connection, transaction

from backoffice import pgbinary
from backoffice.bulk import bulk_insert_stream, copy_encode
from datasets.models import ProblemRow, ShortageRecord
from tests.factories.datasets import DatasetVersionFactory

pytestmark = pytest.mark.django_db

_EPOCH = dt.date(2000, 1, 1)


def decode(buffers: list[Any], kinds: list[str]) -> list[tuple[Any, ...]]:
    """Rows read back from binary COPY input (a reader written from the
    PostgreSQL documentation, independent of the encoder)."""
    data = b"".join(bytes(b) for b in buffers)
    assert data[:11] == b"PGCOPY\n\xff\r\n\x00"
    flags, extension = struct.unpack(">ii", data[11:19])
    assert (flags, extension) == (0, 0)
    at, rows = 19, []
    while True:
        (count,) = struct.unpack(">h", data[at : at + 2])
        at += 2
        if count == -1:
            break
        assert count == len(kinds)
        row: list[Any] = []
        for kind in kinds:
            (length,) = struct.unpack(">i", data[at : at + 4])
            at += 4
            if length == -1:
                row.append(None)
                continue
            value = data[at : at + length]
            at += length
            if kind == "int2":
                row.append(struct.unpack(">h", value)[0])
            elif kind == "int4":
                row.append(struct.unpack(">i", value)[0])
            elif kind == "int8":
                row.append(struct.unpack(">q", value)[0])
            elif kind == "float8":
                row.append(struct.unpack(">d", value)[0])
            elif kind == "bool":
                row.append(value == b"\x01")
            elif kind == "date":
                days = struct.unpack(">i", value)[0]
                row.append(_EPOCH + dt.timedelta(days=days))
            elif kind == "jsonb":
                assert value[:1] == b"\x01"
                row.append(value[1:].decode())
            else:
                row.append(value.decode())
        rows.append(tuple(row))
    assert at == len(data), "bytes after the trailer"
    return rows


def test_every_kind_round_trips_through_the_binary_format() -> None:
    table = pa.table(
        {
            "small": pa.array([1, None, -32768], pa.int64()),
            "int": pa.array([2_147_483_647, -1, None], pa.int64()),
            "big": pa.array([None, 2**40, -(2**62)], pa.int64()),
            "float": pa.array([0.5, None, -1e300], pa.float64()),
            "flag": pa.array([True, False, None], pa.bool_()),
            "day": pa.array(
                [dt.date(1999, 12, 31), None, dt.date(2026, 11, 29)], pa.date32()
            ),
            "text": pa.array(["é€ 𝄞", "", None], pa.string()),
            "json": pa.array(['{"a": "b"}', None, "[]"], pa.string()),
        }
    )
    kinds = ["int2", "int4", "int8", "float8", "bool", "date", "text", "jsonb"]
    assert decode(pgbinary.encode(table, kinds), kinds) == [
        (
            1,
            2_147_483_647,
            None,
            0.5,
            True,
            dt.date(1999, 12, 31),
            "é€ 𝄞",
            '{"a": "b"}',
        ),
        (None, -1, 2**40, None, False, None, "", None),
        (-32768, None, -(2**62), -1e300, None, dt.date(2026, 11, 29), None, "[]"),
    ]


def test_the_rows_come_out_in_order_whatever_their_widths() -> None:
    rng = np.random.default_rng(7)
    texts = ["x" * int(n) for n in rng.integers(0, 40, 1000)]
    numbers = rng.integers(-1000, 1000, 1000)
    table = pa.table({"n": pa.array(numbers), "t": pa.array(texts)})
    expected = list(zip(numbers.tolist(), texts, strict=True))
    # Batches of other sizes one after the other (the row order's buffer is reused).
    for size in (1000, 10, 1000, 999):
        rows = decode(
            pgbinary.encode(table.slice(0, size), ["int4", "text"]), ["int4", "text"]
        )
        assert rows == expected[:size]
    assert decode(pgbinary.encode(table.slice(0, 0), ["int4", "text"]), []) == []


def test_an_integer_too_large_for_its_column_is_not_truncated() -> None:
    table = pa.table({"n": pa.array([1, 2**31], pa.int64())})
    with pytest.raises(OverflowError):
        pgbinary.encode(table, ["int4"])


def test_column_types_the_format_cannot_write_are_named() -> None:
    assert pgbinary.kind_of("varchar(20)") == "text"
    assert pgbinary.kind_of("double precision") == "float8"
    assert pgbinary.kind_of("timestamp with time zone") is None
    assert pgbinary.kind_of(None) is None


def _records(version_id: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "version_id": version_id,
            "row_number": [2, 3, 4],
            "record_key": ["k|1", "k|2", "k|3"],
            "medicine_key": ["3400930000000", None, "GEL, « collyre »"],
            "matched_cis": ["60000001", None, None],
            "match_method": ["code", "", "unmatched"],
            "match_score": [100.0, 0.0, 0.0],
            "declaration_number": ['21-1 "bis"', "21-2", None],
            "declared_on": pd.to_datetime(["1999-02-28", None, "2026-11-29"]),
            "holder": ["Laboratoire, Ünïcode\tet virgule", None, ""],
            "measures": ["ligne 1 ligne 2", None, None],
        }
    )


def test_the_stream_loads_the_same_rows_on_every_database() -> None:
    """PostgreSQL (binary COPY, encoded ahead or not) and SQLite (bulk_create)
    store the same values: nulls stay nulls, empty text stays empty."""
    version = DatasetVersionFactory.create()
    first, second = _records(version.pk), _records(version.pk)
    second["row_number"] += 10
    problems = pd.DataFrame(
        {
            "version_id": version.pk,
            "row_number": [2, 3],
            "rejected": [True, False],
            "raw": [{"Nom": "A;B", "Date": None}, {}],
        }
    )
    with transaction.atomic():
        sent = bulk_insert_stream(
            [
                (ShortageRecord, first, copy_encode(ShortageRecord, first)),
                (ShortageRecord, second, None),
                (ProblemRow, problems, None),
            ]
        )
    assert sent == 8
    if connection.vendor == "postgresql":
        encoded = copy_encode(ShortageRecord, first)
        assert encoded is not None and "FORMAT binary" in encoded.statement
    else:
        assert copy_encode(ShortageRecord, first) is None
    stored = list(
        ShortageRecord.objects.filter(version=version)
        .order_by("row_number")
        .values_list(
            "row_number",
            "medicine_key",
            "match_method",
            "match_score",
            "declaration_number",
            "declared_on",
            "holder",
            "returned_on",
        )
    )
    assert stored[:3] == [
        (
            2,
            "3400930000000",
            "code",
            100.0,
            '21-1 "bis"',
            dt.date(1999, 2, 28),
            "Laboratoire, Ünïcode\tet virgule",
            None,
        ),
        (3, None, "", 0.0, "21-2", None, None, None),
        (
            4,
            "GEL, « collyre »",
            "unmatched",
            0.0,
            None,
            dt.date(2026, 11, 29),
            "",
            None,
        ),
    ]
    assert [r[0] for r in stored[3:]] == [12, 13, 14]
    assert list(
        ProblemRow.objects.filter(version=version)
        .order_by("row_number")
        .values_list("row_number", "rejected", "raw")
    ) == [(2, True, {"Nom": "A;B", "Date": None}), (3, False, {})]
    assert not math.isnan(stored[1][3])
