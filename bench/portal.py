"""Benchmark of the public portal.

With the full real BDPM referential (``../shared/data/real/bdpm``) and a
generated 5,000-declaration shortage extract in a scratch PostgreSQL database:

1. times one publication (``release_publish``: the release, its change log, its
   disclosure metadata and its CSV / XLSX / JSON / Table Schema files);
2. serves the site with gunicorn on loopback (production settings, Redis cache)
   and measures, under concurrent load from this process, the latency and
   throughput of a speciality page (cached after its first view), a search and
   an API list.

A baseline is measured in the same run: robots.txt, the cheapest Django view
of the site, served by the same gunicorn (``page_vs_baseline_rps``).

Goals (issue #6): speciality page p95 ≤ 50 ms and ≥ 300 requests/s when cached;
publication of 5,000 declarations with its files ≤ 60 s. The last line is one
JSON object with at least ``page_p95_ms``, ``page_rps``, ``search_p95_ms``,
``api_p95_ms`` and ``publish_seconds``.

    python bench/portal.py [--rows 5000] [--requests 3000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

from bench.ingest import (  # noqa: E402
    DEFAULT_PG,
    database_url,
    log,
    recreate_database,
    run_child,
)
from bench.make_shortage_extract import BDPM_DIR  # noqa: E402

DATABASE = "datamed_bench_portal"
GOALS = {"page_p95_ms": 50, "page_rps": 300, "publish_seconds": 60}
PORT = 8731


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def load(paths: list[str], requests: int, concurrency: int) -> dict[str, Any]:
    """GET the paths round-robin from ``concurrency`` keep-alive connections;
    latency per request, throughput over the whole run."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine: list[float] = []
        failed = 0
        while True:
            with lock:
                number = next(counter, None)
            if number is None:
                break
            path = paths[number % len(paths)]
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Host": "127.0.0.1"})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            mine.append(time.perf_counter() - start)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "rps": round(len(latencies) / elapsed, 1),
    }


def prepare(
    args: argparse.Namespace, work: Path, env: dict[str, str], served: dict[str, str]
) -> dict[str, Any]:
    """Referential, demo accounts, a cleaned extract, then one timed publication
    (development settings in this process; ``served`` are gunicorn's)."""
    python = sys.executable
    recreate_database(args.pg, args.database)
    run_child([python, "manage.py", "migrate", "--no-input", "-v", "0"], env)
    seconds, _out = run_child(
        [python, "manage.py", "referential_import", str(BDPM_DIR), "--json"], env
    )
    log(f"referential_import: {seconds:.1f} s")
    run_child([python, "manage.py", "create_demo_users"], env)
    extract = work / "ruptures.csv"
    run_child(
        [
            python,
            "bench/make_shortage_extract.py",
            str(extract),
            "--rows",
            str(args.rows),
            "--seed",
            "7",
        ],
        env,
    )
    run_child([python, "manage.py", "collectstatic", "--no-input", "-v", "0"], served)

    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from datasets.models import DatasetVersion
    from datasets.services import extract_ingest
    from publications.services import release_publish

    users = get_user_model().objects
    version = extract_ingest(
        path=extract,
        family="shortages",
        user=users.get(username="declarant.inspection"),
    )
    log(f"cleaned: {version.rows_loaded} rows loaded of {version.rows_read}")
    # The review's last approval would set these: the bench times the publication.
    DatasetVersion.objects.filter(pk=version.pk).update(live=True)
    version.refresh_from_db()
    start = time.perf_counter()
    release = release_publish(
        version=version, user=users.get(username="gestionnaire.dataoffice")
    )
    publish_seconds = time.perf_counter() - start
    log(f"publication of {release.rows} rows: {publish_seconds:.2f} s")

    from publications.portal import specialities_with_records
    from referential_admin.models import Speciality

    with_shortages = specialities_with_records()[:200]
    names = list(
        Speciality.objects.filter(cis__in=with_shortages).values_list("name", flat=True)
    )
    return {
        "publish_seconds": round(publish_seconds, 2),
        "rows": release.rows,
        "cis": with_shortages,
        "words": sorted({name.split()[0].lower() for name in names if name})[:100],
    }


def serve(env: dict[str, str], workers: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "backoffice.wsgi",
        "--bind",
        f"127.0.0.1:{PORT}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            connection.request("GET", "/robots.txt", headers={"Host": "127.0.0.1"})
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("gunicorn did not start")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", DEFAULT_PG))
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="datamed_bench_portal_"))
    env = {
        **os.environ,
        "DATABASE_URL": database_url(args.pg, args.database),
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.dev",
        "DEBUG": "false",
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/8"),
        "DATAMED_VAR_DIR": str(work / "var"),
        "MEDIA_ROOT": str(work / "var" / "media"),
    }
    served = {
        **env,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.production",
        "SECRET_KEY": "bench-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
    }
    os.environ.update(env)
    server = None
    try:
        prepared = prepare(args, work, env, served)
        import redis

        redis.Redis.from_url(env["CACHE_URL"]).flushdb()
        server = serve(served, args.workers)
        pages = [f"/medicament/{cis}/" for cis in prepared["cis"]]
        searches = [f"/?q={quote(word)}" for word in prepared["words"]]
        api = [
            f"/api/v1/shortages/records/?cis={cis}&page_size=20"
            for cis in prepared["cis"]
        ]
        # Warm-up: every URL once, so that the page measures are "when cached".
        load(pages + searches + api, len(pages + searches + api), 4)
        # Baseline of the same run: the cheapest Django view of the site.
        baseline = load(["/robots.txt"], args.requests, args.concurrency)
        log(f"baseline robots.txt: {baseline}")
        page = load(pages, args.requests, args.concurrency)
        log(f"speciality page: {page}")
        search = load(searches, args.requests // 3, args.concurrency)
        log(f"search: {search}")
        api_list = load(api, args.requests // 3, args.concurrency)
        log(f"api: {api_list}")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if not args.keep:
            from contextlib import suppress

            with suppress(Exception):
                from django.db import connections

                connections.close_all()
            recreate_database(args.pg, args.database, create=False)
            shutil.rmtree(work, ignore_errors=True)
    summary = {
        "rows": prepared["rows"],
        "publish_seconds": prepared["publish_seconds"],
        "page_p95_ms": page["p95_ms"],
        "page_p50_ms": page["p50_ms"],
        "page_rps": page["rps"],
        "page_errors": page["errors"],
        "baseline_p95_ms": baseline["p95_ms"],
        "baseline_rps": baseline["rps"],
        "page_vs_baseline_rps": round(page["rps"] / baseline["rps"], 2),
        "search_p95_ms": search["p95_ms"],
        "search_rps": search["rps"],
        "api_p95_ms": api_list["p95_ms"],
        "api_rps": api_list["rps"],
        "concurrency": args.concurrency,
        "gunicorn_workers": args.workers,
        "goals": GOALS,
        "goals_met": {
            "page_p95_ms": page["p95_ms"] <= GOALS["page_p95_ms"],
            "page_rps": page["rps"] >= GOALS["page_rps"],
            "publish_seconds": prepared["publish_seconds"] <= GOALS["publish_seconds"],
        },
    }
    sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
