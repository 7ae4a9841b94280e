"""Benchmark of a pharmacovigilance extract (three tables) from upload to release,
on PostgreSQL, with a same-run baseline.

    python bench/pharmacovigilance.py [--rows 1000000] [--bdpm DIR] [--keep]
        [--pg "host=127.0.0.1 port=5432 user=postgres"]

1. A scratch database (``datamed_bench_pv``, dropped and created again) is
   migrated and loaded with a BDPM snapshot (``--bdpm``; by default the full
   real one beside the project, see ``bench/make_shortage_extract.py``), in a
   child process so that its memory is not counted.
2. The family's seeded generator writes an extract whose ``Médicaments`` table
   has about ``--rows`` case × drug rows (``Cas-Patients`` and ``Effets`` in
   proportion: versions, foreign cases, English SOC names, age units, brand-only
   drug names), named from the referential's real specialities; in a child
   process, timed apart, not counted.
3. Baseline: each file's bytes streamed with ``COPY … FROM STDIN WITH (FORMAT
   csv, HEADER true, DELIMITER ';')`` into a table of its shape (one text
   column per header, a bigserial primary key and a btree index on the case
   key): ``ingest_vs_copy`` divides the ingest by the three COPYs' sum.
4. The project's whole ingestion, ``extract_ingest_parts`` (uploads, parts,
   automatic mapping, assembly of the cases, cleaning, matching of the drug
   texts and substances, binary COPY of the records), in this process; peak
   RSS is read right after it.
5. ``release_tables`` (every table of distinct cases, disclosure control
   across them): ``aggregate_vs_ingest``.
6. The version reviewed by three people (surveillance declarant, reviewer, Data
   Office); the final approval publishes the release: ``publish_seconds``.

The last stdout line is one JSON object. The scratch database and the temporary
folder are removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

from bench.ingest import (  # noqa: E402
    DEFAULT_PG,
    conninfo,
    log,
    peak_rss_mb,
    recreate_database,
    run_child,
    scratch_main,
)
from bench.make_shortage_extract import BDPM_DIR  # noqa: E402

DATABASE = "datamed_bench_pv"
GOALS = {
    "ingest_vs_copy": 2.0,
    "peak_rss_mb": 2048,
    "aggregate_vs_ingest": 0.10,
    "publish_seconds": 60,
}
#: Case × drug rows per distinct case: 3 versions and 1.5 drug texts on average.
ROWS_PER_CASE = 4.5


def generate(folder: Path, rows: int) -> list[Path]:
    """Child process: write the extract from the referential's specialities."""
    import django

    django.setup()
    from datasets.families.pharmacovigilance.generator import (
        Medicine,
        brand_of,
        write_extract,
    )
    from datasets.families.pharmacovigilance.generator import (
        generate as generate_parts,
    )
    from referential_admin.selectors import medicines_with_substances

    medicines = [
        Medicine(name, brand_of(name), tuple(substances))
        for name, substances in medicines_with_substances(3000)
    ]
    parts = generate_parts(max(1, int(rows / ROWS_PER_CASE)), medicines, seed=7)
    return write_extract(parts, folder)


def copy_seconds(pg: str, dbname: str, paths: list[Path]) -> float:
    """The three files COPYed into tables of their shapes (text columns, a
    bigserial key, an index on the case key), one after the other."""
    total = 0.0
    with psycopg.connect(conninfo(pg, dbname)) as conn, conn.cursor() as cursor:
        for number, path in enumerate(paths):
            with path.open(encoding="utf-8") as handle:
                headers = handle.readline().rstrip("\n").split(";")
            table = sql.Identifier(f"bench_raw_{number}")
            columns = [sql.SQL("id bigserial PRIMARY KEY")] + [
                sql.SQL("{} text").format(sql.Identifier(f"c{i}"))
                for i in range(len(headers))
            ]
            names = sql.SQL(", ").join(
                sql.Identifier(f"c{i}") for i in range(len(headers))
            )
            cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
            cursor.execute(
                sql.SQL("CREATE TABLE {} ({})").format(
                    table, sql.SQL(", ").join(columns)
                )
            )
            cursor.execute(sql.SQL("CREATE INDEX ON {} (c0, c1, c2)").format(table))
            conn.commit()
            cursor.execute("CHECKPOINT")
            start = time.perf_counter()
            with (
                cursor.copy(
                    sql.SQL(
                        "COPY {} ({}) FROM STDIN "
                        "WITH (FORMAT csv, HEADER true, DELIMITER ';')"
                    ).format(table, names)
                ) as copy,
                path.open("rb") as handle,
            ):
                while chunk := handle.read(1024 * 1024):
                    copy.write(chunk)
            conn.commit()
            total += time.perf_counter() - start
            cursor.execute(sql.SQL("DROP TABLE {}").format(table))
            conn.commit()
    return total


def reviewers() -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from backoffice import roles

    people = {}
    for name, group in (
        ("declarant", roles.SURVEILLANCE_DECLARANTS),
        ("reviewer", roles.SURVEILLANCE_REVIEWERS),
        ("data_office", roles.DATA_OFFICE),
    ):
        user = get_user_model().objects.create(username=f"bench_{name}")
        user.groups.set([Group.objects.get(name=group)])
        people[name] = user
    return people


def run(args: argparse.Namespace, work: Path, env: dict[str, str]) -> dict[str, Any]:
    recreate_database(args.pg, args.database)
    python = sys.executable
    seconds, _out = run_child(
        [python, "manage.py", "migrate", "--no-input", "-v", "0"], env
    )
    log(f"migrate: {seconds:.1f} s")
    seconds, _out = run_child(
        [python, "manage.py", "referential_import", str(args.bdpm), "--json"], env
    )
    log(f"referential_import: {seconds:.1f} s")
    folder = work / "extract"
    generate_seconds, out = run_child(
        [python, __file__, "--generate-only", str(folder), "--rows", str(args.rows)],
        env,
    )
    paths = [Path(p) for p in json.loads(out.strip().splitlines()[-1])]
    sizes = {p.name: p.stat().st_size for p in paths}
    drug_rows = sum(1 for _line in paths[2].open(encoding="utf-8")) - 1
    log(f"generate: {generate_seconds:.1f} s, {drug_rows} drug rows, {sizes}")
    baseline = copy_seconds(args.pg, args.database, paths)
    log(f"COPY of the three files: {baseline:.2f} s")

    import django

    django.setup()
    from datasets.services import extract_ingest_parts
    from publications.aggregates import release_tables
    from publications.models import Release
    from workflows import services as review

    people = reviewers()
    start = time.perf_counter()
    version = extract_ingest_parts(
        paths=paths, family="pharmacovigilance", user=people["declarant"]
    )
    ingest = time.perf_counter() - start
    rss = peak_rss_mb()
    log(f"ingest: {ingest:.2f} s, peak RSS {rss:.0f} MB, {version.assembly}")
    start = time.perf_counter()
    tables = release_tables(version)
    aggregate = time.perf_counter() - start
    cells = sum(len(t["rows"]) for t in tables.values())
    log(f"release tables: {aggregate:.2f} s, {len(tables)} tables, {cells} cells")
    review.version_submit(version=version, user=people["declarant"])
    review.version_decide(version=version, user=people["reviewer"], action="approve")
    start = time.perf_counter()
    review.version_decide(version=version, user=people["data_office"], action="approve")
    publish = time.perf_counter() - start
    released = Release.objects.filter(family="pharmacovigilance").exists()
    log(f"publication: {publish:.2f} s (released: {released})")
    summary = {
        "drug_rows": drug_rows,
        "cases": version.assembly.get("cases"),
        "records": version.rows_loaded,
        "copy_seconds": round(baseline, 3),
        "ingest_seconds": round(ingest, 3),
        "ingest_vs_copy": round(ingest / baseline, 2),
        "peak_rss_mb": round(rss),
        "aggregate_seconds": round(aggregate, 3),
        "aggregate_vs_ingest": round(aggregate / ingest, 3),
        "publish_seconds": round(publish, 3),
        "released": released,
        "cells": cells,
        "matches": version.match_counts,
        "goals": GOALS,
    }
    summary["goals_met"] = {key: summary[key] <= goal for key, goal in GOALS.items()}
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bdpm", type=Path, default=BDPM_DIR)
    parser.add_argument("--keep", action="store_true", help="keep database and files")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", DEFAULT_PG))
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate_only is not None:
        paths = generate(args.generate_only, args.rows)
        sys.stdout.write(json.dumps([str(p) for p in paths]) + "\n")
        return
    scratch_main(args, "datamed_bench_pv_", run, source=str(args.bdpm))


if __name__ == "__main__":
    main()
