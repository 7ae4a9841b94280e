"""Benchmark of the medicines referential, on PostgreSQL, with same-run baselines.

    python -m bench.referential            # DATABASE_URL, else postgres:///datamed_bench

1. Full import of the shared BDPM set (``manage.py referential_import``, a fresh
   process: wall time and its peak RSS), against a bare COPY of the same raw files
   into text tables (the physical floor, measured in the same run).
2. Unchanged re-import (must write nothing): as run (same checksums, detected),
   and with ``--force`` (every row compared with the database).
3. Matching: throughput and accuracy on a labelled set built from real names with
   realistic corruptions (``bench/labelled_set.py``), against a naive rapidfuzz
   ``extractOne(WRatio)`` full scan over a sample of the same labels.

The last line is one JSON object. The benchmark database is dropped and created
again (only when it is the default ``datamed_bench``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

from bench.labelled_set import (  # noqa: E402
    BDPM_DIR,
    indexed_specialities,
    make_labelled_set,
    read_specialities,
)

DEFAULT_URL = "postgres:///datamed_bench"
FILES = (
    "CIS_bdpm.txt",
    "CIS_CIP_bdpm.txt",
    "CIS_COMPO_bdpm.txt",
    "CIS_GENER_bdpm.txt",
    "CIS_CPD_bdpm.txt",
    "CIS_CIP_Dispo_Spec.txt",
    "CIS_MITM.txt",
    "CIS_HAS_SMR_bdpm.txt",
    "CIS_HAS_ASMR_bdpm.txt",
    "HAS_LiensPageCT_bdpm.txt",
)


def log(message: str) -> None:
    sys.stderr.write(message + "\n")


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a command; return wall seconds, its own peak RSS (MiB) and stdout."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    stdout = process.stdout.read().decode() if process.stdout else ""
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, stdout


def prepare_database(url: str, env: dict[str, str]) -> None:
    if url == DEFAULT_URL:
        subprocess.run(["dropdb", "-w", "--if-exists", "datamed_bench"], check=True)
        subprocess.run(["createdb", "-w", "datamed_bench"], check=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )


def bare_copy_seconds(url: str) -> float:
    """Decode each raw file and COPY it, as is, into a table of text columns."""
    from referential_admin.bdpm import detect_encoding

    conninfo = url.replace("postgres://", "postgresql://", 1)
    start = time.perf_counter()
    with psycopg.connect(conninfo) as conn, conn.cursor() as cursor:
        for number, name in enumerate(FILES):
            data = (BDPM_DIR / name).read_bytes()
            text = data.decode(detect_encoding(data))
            rows = [line.rstrip("\r") for line in text.split("\n") if line.strip()]
            width = max(line.count("\t") for line in rows) + 1
            table = f"bench_raw_{number}"
            columns = ", ".join(f"c{i} text" for i in range(width))
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TABLE {table} (id bigserial PRIMARY KEY, {columns})"
            )
            names = ", ".join(f"c{i}" for i in range(width))
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for line in rows:
                    fields = line.split("\t")
                    copy.write_row(fields + [None] * (width - len(fields)))
        conn.commit()
        seconds = time.perf_counter() - start
        for number in range(len(FILES)):
            cursor.execute(f"DROP TABLE bench_raw_{number}")
        conn.commit()
    return seconds


def matching_figures(
    n: int = 20_000, seed: int = 0, naive_sample: int = 200
) -> dict[str, Any]:
    from rapidfuzz import fuzz, process, utils

    from bench.labelled_set import evaluate, read_presentations
    from referential_admin.matching import ReferentialIndex, match_labels

    specialities = read_specialities()
    labelled = make_labelled_set(specialities, n, seed)
    kept = indexed_specialities(specialities, labelled)
    start = time.perf_counter()
    index = ReferentialIndex.build(kept, read_presentations())
    build_seconds = time.perf_counter() - start
    start = time.perf_counter()
    result = match_labels(index, labelled["label"].tolist())
    seconds = time.perf_counter() - start
    figures = evaluate(result, labelled)

    choices = [utils.default_process(name) for name in kept["name"].astype(str)]
    sample = labelled["label"].head(naive_sample).astype(str).tolist()
    start = time.perf_counter()
    for label in sample:
        process.extractOne(
            utils.default_process(label), choices, scorer=fuzz.WRatio, processor=None
        )
    naive_seconds = time.perf_counter() - start
    return {
        "labels": n,
        "index_build_seconds": round(build_seconds, 3),
        "match_seconds": round(seconds, 3),
        "match_labels_per_s": round(n / seconds),
        "naive_wratio_labels_per_s": round(naive_sample / naive_seconds, 1),
        "match_vs_naive": round((n / seconds) / (naive_sample / naive_seconds), 1),
        "match_top1": figures["top1"],
        "match_auto_precision": figures["auto_precision"],
        "match_auto_rate": figures["auto_rate"],
        "match_out_of_referential_auto_accepted": figures.get(
            "out_of_referential_auto_accepted"
        ),
    }


def main() -> None:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        raise SystemExit("bench/referential.py measures PostgreSQL: set DATABASE_URL")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.dev",
        "DATAMED_VAR_DIR": str(BASE_DIR / "var" / "bench"),
    }
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.dev")
    log(f"Database: {url}; BDPM files: {BDPM_DIR}")
    prepare_database(url, env)

    copy_seconds = bare_copy_seconds(url)
    log(f"bare COPY of the raw files: {copy_seconds:.2f} s")
    command = [
        sys.executable,
        "manage.py",
        "referential_import",
        str(BDPM_DIR),
        "--json",
    ]
    import_seconds, peak_rss, stdout = run_measured(command, env)
    first = json.loads(stdout.strip().splitlines()[-1])
    log(f"full import: {import_seconds:.2f} s, peak RSS {peak_rss:.0f} MiB, {first}")
    reimport_seconds, reimport_rss, stdout = run_measured(command, env)
    second = json.loads(stdout.strip().splitlines()[-1])
    log(f"unchanged re-import: {reimport_seconds:.2f} s, {second}")
    forced_seconds, forced_rss, stdout = run_measured([*command, "--force"], env)
    forced = json.loads(stdout.strip().splitlines()[-1])
    log(f"unchanged re-import, every row compared (--force): {forced_seconds:.2f} s")
    for result in (second, forced):
        if result["created"] or result["updated"] or result["withdrawn"]:
            raise SystemExit("the unchanged re-import wrote rows")

    match = matching_figures()
    log(f"matching: {match}")
    summary = {
        "import_seconds": round(import_seconds, 2),
        "import_internal_seconds": first["seconds"],
        "bare_copy_seconds": round(copy_seconds, 2),
        "import_vs_copy": round(import_seconds / copy_seconds, 2),
        "reimport_seconds": round(reimport_seconds, 2),
        "reimport_vs_copy": round(reimport_seconds / copy_seconds, 2),
        "reimport_forced_seconds": round(forced_seconds, 2),
        "reimport_forced_internal_seconds": forced["seconds"],
        "peak_rss_mb": round(max(peak_rss, reimport_rss, forced_rss)),
        "rows_created": first["created"],
        "rejected_lines": first["rejected_lines"],
        **match,
        "goals_met": {
            "import_le_30s": import_seconds <= 30,
            "reimport_le_10s": reimport_seconds <= 10,
            "forced_reimport_le_10s": forced_seconds <= 10,
            "match_ge_5000_per_s": match["match_labels_per_s"] >= 5000,
            "top1_ge_0_97": (match["match_top1"] or 0) >= 0.97,
            "auto_precision_ge_0_995": (match["match_auto_precision"] or 0) >= 0.995,
        },
    }
    sys.stdout.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main()
