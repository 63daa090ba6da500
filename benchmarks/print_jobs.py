"""Label printing through the real server: one sheet at once, larger runs as jobs.

    PYTHONPATH=. python -m benchmarks.print_jobs [--db sqlite|postgres]
        [--runs 3] [--count 1000] [--workers 2] [--data-dir DIR] [--pg-url URL]

On a fresh database, with the real server (``banques serve``) in its own process
group:

* one sheet: ``POST /api/v1/documents/blank-labels`` of 65 labels, answered with the
  PDF (201): time per request;
* a job: the same for ``--count`` labels, answered 202; the client polls the job
  every 50 ms until it is done and downloads the document: time from the request
  to the document in hand;
* baseline, in the same run: the library alone (``labels.label_sheet_pdf``)
  rendering the same number of labels in this process.

RELIABILITY.md §0 proposes: one sheet p95 < 1 s, synchronous; 1,000 labels as a
background job in < 10 s. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from banques import db
from benchmarks.scans import (
    DEFAULT_PG,
    cpu_model,
    fresh_database,
    load,
    server,
    technician,
)
from labels import AssetLabel, asset_code, get_template, label_sheet_pdf
from tests.factories import token_for

BASE_URL = "https://banques.example.fr"


def seed(url: str) -> str:
    """One bank, one association, one technician; a bearer token."""
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        token = token_for(technician(session, "PRT"))
    engine.dispose()
    return token


def one_sheet(client: httpx.Client) -> float:
    started = time.perf_counter()
    answer = client.post("/api/v1/documents/blank-labels", json={"count": 65})
    answer.raise_for_status()
    assert answer.status_code == 201
    assert answer.content.startswith(b"%PDF")
    return time.perf_counter() - started


def one_job(client: httpx.Client, count: int) -> tuple[float, int]:
    started = time.perf_counter()
    answer = client.post("/api/v1/documents/blank-labels", json={"count": count})
    assert answer.status_code == 202, answer.text
    location = answer.headers["location"]
    body = answer.json()
    while body["status"] != "done":
        if body["status"] == "failed":
            raise RuntimeError(f"print job failed: {body}")
        time.sleep(0.05)
        body = client.get(location).json()
    document = client.get(body["document_url"])
    document.raise_for_status()
    return time.perf_counter() - started, len(document.content)


def library_alone(count: int) -> float:
    labels = [AssetLabel(asset_code("PRT", i), "Essai") for i in range(1, count + 1)]
    started = time.perf_counter()
    label_sheet_pdf(labels, get_template("L7651"), base_url=BASE_URL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BANQUES_BENCH_DATABASE_URL", DEFAULT_PG),
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    own_dir = args.data_dir is None
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="banques-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    print(f"Machine: {os.cpu_count()} CPU, {cpu_model()}, {platform.system()}")
    print(f"Python {platform.python_version()}, load average at start: {load()}")
    try:
        with fresh_database(args.db, data_dir, args.pg_url, 1) as url:
            token = seed(url)
            with (
                server(url, workers=args.workers, mode="sync") as served,
                httpx.Client(
                    base_url=served.base,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                ) as client,
            ):
                sheets = [one_sheet(client) for _ in range(max(5, args.runs))]
                runs = [one_job(client, args.count) for _ in range(args.runs)]
        alone = [library_alone(args.count) for _ in range(args.runs)]
    finally:
        if own_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    job_s = [s for s, _ in runs]
    print(f"\n{args.db}, {args.workers} worker(s), load average after: {load()}")
    print(
        f"one sheet (65 labels, 201 with the PDF): p50 {statistics.median(sheets):.2f}"
        f" s, max {max(sheets):.2f} s over {len(sheets)} requests"
    )
    print(
        f"job of {args.count} labels (202, poll, download): p50 "
        f"{statistics.median(job_s):.2f} s, max {max(job_s):.2f} s over {len(runs)} "
        f"runs; PDF {runs[0][1] / 1e6:.2f} MB"
    )
    print(
        f"baseline, the library alone in this process, {args.count} labels: p50 "
        f"{statistics.median(alone):.2f} s"
    )
    print("Targets (RELIABILITY.md): one sheet < 1 s; 1,000 labels as a job < 10 s.")


if __name__ == "__main__":
    main()
