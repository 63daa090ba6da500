"""Scans: throughput and latency of the real server, against a bare INSERT baseline.

    PYTHONPATH=. python -m benchmarks.scans [--db sqlite|postgres|both]
        [--duration 10] [--connections 8] [--workers 1,2] [--modes sync,sync-tp8]
        [--repeat 1] [--data-dir DIR] [--pg-url URL]

For each configuration (database x uvicorn workers x mode), on a fresh database:

1. seed one technician and ``registered`` devices through the service;
2. start the real server (``banques serve --workers N``) in its own process group;
3. single scans: ``POST /api/v1/scans`` at ``--connections`` concurrent connections
   for ``--duration`` seconds, with wrk and ``benchmarks/scans.lua`` (or, when wrk is
   missing, a Python load generator with one httpx client per connection). Every
   request is a legal transition of a distinct device (collected, received,
   diagnosed, wiped, refurbished, ready in turn), with a unique event id;
4. batches: ``POST /api/v1/scans/batch`` of 1,000 scans (1,000 devices, one round
   each), one after the other: time per batch;
5. baseline, in the same run: the same number of device_event-like rows inserted
   through the same driver (psycopg 3 / sqlite3) into a copy of ``device_event``
   (same columns, unique constraints and indexes, no foreign keys): one row per
   transaction from ``--connections`` threads, and 1,000 rows per transaction.

Modes: ``sync`` is the service as shipped (plain ``def`` scan endpoints with sync
session and principal dependencies, each run in AnyIO's threadpool); ``async`` is
the same app with the two scan endpoints as ``async def`` routes running their whole
unit of work in one worker thread (benchmarks/scan_variants.py); a ``-tpN``
suffix sets ``BANQUES_THREADPOOL_SIZE=N`` (AnyIO's default threadpool has 40
threads).

The figures are printed, never asserted: this machine is shared and noisy, so the
load average is printed next to each configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import bindparam, create_engine, make_url, text
from sqlmodel import Session

from banques import db
from banques.accounts.models import OrganisationKind, Role, User
from banques.accounts.service import principal_for
from banques.devices import service
from banques.devices.lifecycle import State
from banques.devices.schemas import DeviceCreate
from tests.factories import SECRET, make_bank, make_org, make_user, token_for
from tests.server import free_port, kill_group, service_env, spawn_server, wait_healthy

HERE = Path(__file__).resolve().parent
LUA = HERE / "scans.lua"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SERIAL = "WD-BENCH-0001"
BATCH = 1000
ROUNDS: list[tuple[State, dict[str, Any]]] = [
    (State.collected, {"collection_ref": "COL-BENCH", "weight_kg": 2.1}),
    (State.received, {}),
    (
        State.diagnosed,
        {
            "cpu": "Intel Core i5-8250U",
            "ram_gb": 8,
            "storage_gb": 256,
            "storage_type": "ssd",
            "battery_health_pct": 81,
            "screen": "14 pouces",
            "reconditionable": True,
            "media": [{"type": "ssd", "model": "WD SN520", "serial": SERIAL}],
        },
    ),
    (
        State.wiped,
        {
            "records": [
                {
                    "method": "purge",
                    "tool": "nwipe",
                    "tool_version": "0.37",
                    "medium_model": "WD SN520",
                    "medium_serial": SERIAL,
                    "verification_passed": True,
                    "verification_method": "full",
                    "started_at": "2026-11-02T09:00:00+01:00",
                    "ended_at": "2026-11-02T09:40:00+01:00",
                    "operator": "Banc d'essai",
                }
            ]
        },
    ),
    (
        State.refurbished,
        {
            "os": "Linux Mint 22",
            "repairs": [],
            "parts": [],
            "functional_test_passed": True,
            "grade": "B",
        },
    ),
    (State.ready, {}),
]


def scan_body(tag: str, event_id: str, round_: int) -> dict[str, Any]:
    state, payload = ROUNDS[round_]
    return {
        "asset_tag": tag,
        "to_state": state.value,
        "event_id": event_id,
        "occurred_at": (T0 + timedelta(minutes=round_)).isoformat(),
        "payload": payload,
    }


# --- machine ---------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# --- databases -------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(kind: str, data_dir: Path, pg_url: str, n: int) -> Iterator[str]:
    """A new, migrated database; removed afterwards."""
    if kind == "sqlite":
        path = data_dir / f"bench-{os.getpid()}-{n}.db"
        url = f"sqlite:///{path}"
        db.upgrade(url)
        try:
            yield url
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"banques_bench_{os.getpid()}_{n}"
    admin = create_engine(make_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    try:
        db.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Seeded:
    token: str
    single_tags: list[str]
    warmup_tags: list[str]
    batch_tags: list[str]
    seconds: float


def technician(session: Session, bank_code: str) -> User:
    """One bank, one association, one technician (the test factories' own)."""
    bank = make_bank(session, code=bank_code)
    return make_user(
        session, make_org(session, bank, OrganisationKind.association), Role.technician
    )


def seed(url: str, *, single: int, warmup: int, batch: int) -> Seeded:
    """One bank, one association, one technician, and registered devices."""
    started = time.perf_counter()
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        user = technician(session, "BEN")
        principal = principal_for(session, user)
        total = single + warmup + batch
        devices = service.register_devices(
            session,
            principal,
            [
                DeviceCreate(
                    category="laptop", brand="Lenovo", model="T480", serial=f"B{i}"
                )
                for i in range(total)
            ],
        )
        tags = [d.asset_tag for d in devices]
        token = token_for(user)  # signed with the factories' SECRET
    engine.dispose()
    return Seeded(
        token=token,
        single_tags=tags[:single],
        warmup_tags=tags[single : single + warmup],
        batch_tags=tags[single + warmup :],
        seconds=time.perf_counter() - started,
    )


# --- server ----------------------------------------------------------------------


@dataclass
class Served:
    base: str
    pgid: int
    url: str


def _cpu_seconds(pids: set[int] | None = None, pgid: int | None = None) -> float:
    """User + system CPU of processes (by pid, or by process group), from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2 :].split()
        pid = int(stat.parent.name)
        if (pids is not None and pid in pids) or (
            pgid is not None and int(fields[2]) == pgid
        ):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _backends(url: str) -> set[int]:
    """PostgreSQL backends serving the benchmark's database (its pool)."""
    if url.startswith("sqlite"):
        return set()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return {int(r[0]) for r in rows}


@dataclass
class CpuMeter:
    """CPU seconds spent by the server processes and by PostgreSQL for them."""

    served: Served
    app: float = 0.0
    db: float = 0.0
    _pids: set[int] = field(default_factory=set)

    def __enter__(self) -> CpuMeter:
        self._pids = _backends(self.served.url)
        self.app = -_cpu_seconds(pgid=self.served.pgid)
        self.db = -_cpu_seconds(pids=self._pids)
        return self

    def __exit__(self, *_: object) -> None:
        self.app += _cpu_seconds(pgid=self.served.pgid)
        self.db += _cpu_seconds(pids=self._pids)


@contextlib.contextmanager
def server(url: str, *, workers: int, mode: str) -> Iterator[Served]:
    """``sync``: the service as shipped; ``async``: the same app with the scan
    endpoints as ``async def`` routes (benchmarks.scan_variants); ``-tpN`` caps
    AnyIO's threadpool at N threads (BANQUES_THREADPOOL_SIZE)."""
    extra: dict[str, str] = {"BANQUES_SECRET_KEY": SECRET}
    parsed = re.fullmatch(r"(sync|async)(?:-tp(\d+))?", mode)
    if parsed is None:
        raise SystemExit(f"unknown mode {mode!r} (sync, async, sync-tp8, ...)")
    if parsed.group(2):
        extra["BANQUES_THREADPOOL_SIZE"] = parsed.group(2)
    port = free_port()
    env = service_env(url, **extra)
    if parsed.group(1) == "sync":
        process = spawn_server(env, port=port, extra_args=["--workers", str(workers)])
    else:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "benchmarks.scan_variants:async_app",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=HERE.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, timeout=60)
        yield Served(base, process.pid, url)
    finally:
        kill_group(process)


# --- single scans ----------------------------------------------------------------


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    first_bad: str = ""  # status and body of the first non-2xx answer

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def run_wrk(
    base: str,
    tags: list[str],
    token: str,
    *,
    connections: int,
    duration: float,
    work: Path,
) -> LoadResult:
    threads = 2 if connections >= 2 else 1
    tags = tags[: len(tags) - len(tags) % threads]
    tags_file = _write_lines(work / "tags.txt", tags)
    templates = [
        json.dumps(scan_body("{TAG}", "{EID}", r), ensure_ascii=False)
        for r in range(len(ROUNDS))
    ]
    bodies_file = _write_lines(work / "bodies.txt", templates)
    run_id = uuid.uuid4().hex[:8]
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(LUA),
            base,
            "--",
            str(tags_file),
            str(bodies_file),
            token,
            run_id,
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"WRK_JSON (\{.*\})", out)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    r = json.loads(match.group(1))
    bad = re.search(r"WRK_FIRST_BAD (.*)", out)
    return LoadResult(
        tool="wrk",
        requests=r["requests"],
        seconds=r["duration_us"] / 1e6,
        non_2xx=r["non_2xx"],
        socket_errors=r["connect"] + r["read"] + r["write"] + r["timeout"],
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        max_ms=r["max_us"] / 1000,
        first_bad=bad.group(1).strip() if bad else "",
    )


def run_python_load(
    base: str, tags: list[str], token: str, *, connections: int, duration: float
) -> LoadResult:
    """The same load as the Lua script, from threads (one httpx client each)."""
    n = len(tags) - len(tags) % connections
    latencies: list[float] = []
    non_2xx = errors = 0
    first_bad: list[str] = []
    lock = threading.Lock()
    run_id = uuid.uuid4().hex[:8]
    deadline = time.perf_counter() + duration
    headers = {"Authorization": f"Bearer {token}"}

    def worker(tid: int) -> None:
        nonlocal non_2xx, errors
        mine: list[float] = []
        bad = failed = 0
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            i = 0
            while time.perf_counter() < deadline:
                p = i * connections + tid
                i += 1
                round_ = min(p // n, len(ROUNDS) - 1)
                body = scan_body(
                    tags[p % n], f"{run_id}-0000-4000-8000-{p:012x}", round_
                )
                t = time.perf_counter()
                try:
                    answer = client.post("/api/v1/scans", json=body)
                except httpx.HTTPError:
                    failed += 1
                    continue
                mine.append(time.perf_counter() - t)
                if not answer.is_success:
                    bad += 1
                    if not first_bad:
                        first_bad.append(f"{answer.status_code} {answer.text[:300]}")
        with lock:
            latencies.extend(mine)
            non_2xx += bad
            errors += failed

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(t,)) for t in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return LoadResult(
        tool="python",
        requests=len(latencies) + errors,
        seconds=seconds,
        non_2xx=non_2xx,
        socket_errors=errors,
        p50_ms=q[49] * 1000,
        p99_ms=q[98] * 1000,
        max_ms=max(latencies, default=0.0) * 1000,
        first_bad=first_bad[0] if first_bad else "",
    )


def single_scans(
    served: Served,
    seeded: Seeded,
    *,
    connections: int,
    duration: float,
    work: Path,
) -> tuple[LoadResult, CpuMeter]:
    base = served.base
    if shutil.which("wrk"):
        run_wrk(
            base,
            seeded.warmup_tags,
            seeded.token,
            connections=connections,
            duration=2,
            work=work,
        )
        with CpuMeter(served) as cpu:
            result = run_wrk(
                base,
                seeded.single_tags,
                seeded.token,
                connections=connections,
                duration=duration,
                work=work,
            )
        return result, cpu
    run_python_load(
        base, seeded.warmup_tags, seeded.token, connections=connections, duration=2
    )
    with CpuMeter(served) as cpu:
        result = run_python_load(
            base,
            seeded.single_tags,
            seeded.token,
            connections=connections,
            duration=duration,
        )
    return result, cpu


# --- batches ---------------------------------------------------------------------


@dataclass
class BatchResult:
    seconds: list[float] = field(default_factory=list)
    applied: int = 0
    other: int = 0

    def pct(self, q: float) -> float:
        ordered = sorted(self.seconds)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def batches(base: str, seeded: Seeded) -> BatchResult:
    """One 1,000-scan batch per lifecycle round over the batch devices."""
    result = BatchResult()
    headers = {"Authorization": f"Bearer {seeded.token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for start in range(0, len(seeded.batch_tags), BATCH):
            block = seeded.batch_tags[start : start + BATCH]
            for round_ in range(len(ROUNDS)):
                scans = [scan_body(t, str(uuid.uuid4()), round_) for t in block]
                t = time.perf_counter()
                response = client.post("/api/v1/scans/batch", json={"scans": scans})
                result.seconds.append(time.perf_counter() - t)
                response.raise_for_status()
                body = response.json()
                result.applied += body["applied"]
                result.other += body["duplicate"] + body["rejected"]
    return result


# --- baseline --------------------------------------------------------------------


@dataclass
class Baseline:
    single_rows_s: float
    bulk_rows_s: float
    bulk_ms: float


COLUMNS = (
    "id, device_id, seq, organisation_id, actor_id, from_state, to_state, "
    "custodian_id, occurred_at, recorded_at, client_event_id, request_hash, "
    "payload, prev_hash, hash"
)


def _row(org: str, seq: int, sqlite: bool) -> tuple[Any, ...]:
    now = datetime.now(UTC)
    payload = json.dumps(ROUNDS[2][1])
    ids = [uuid.uuid4() for _ in range(5)]
    if sqlite:  # stored as SQLAlchemy stores them: hex uuids, naive UTC datetimes
        values: list[Any] = [i.hex for i in ids]
        at: Any = now.replace(tzinfo=None).isoformat(sep=" ")
    else:
        values, at = list(ids), now
    event_id, device_id, actor_id, custodian_id, client_id = values
    return (
        event_id,
        device_id,
        seq,
        org,
        actor_id,
        "received",
        "diagnosed",
        custodian_id,
        at,
        at,
        client_id,
        "a" * 64,
        payload,
        "b" * 64,
        "c" * 64,
    )


def baseline(url: str, *, connections: int, duration: float) -> Baseline:
    """Bare INSERTs of device_event-like rows through the same driver."""
    sqlite = url.startswith("sqlite")
    org = uuid.uuid4().hex if sqlite else str(uuid.uuid4())
    if sqlite:
        path = url.split("///", 1)[1]

        def connect() -> Any:
            conn = sqlite3.connect(path, isolation_level=None, timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            return conn

        setup = connect()
        ddl = setup.execute(
            "SELECT sql FROM sqlite_master WHERE type='table' AND name='device_event'"
        ).fetchone()[0]
        setup.execute(ddl.replace("device_event", "bench_event", 1))
        setup.close()
        marks = ", ".join("?" * 15)
    else:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(False)

        def connect() -> Any:
            return psycopg.connect(dsn, autocommit=True)

        with connect() as setup:
            setup.execute("CREATE TABLE bench_event (LIKE device_event INCLUDING ALL)")
        marks = ", ".join(["%s"] * 15)
    insert = f"INSERT INTO bench_event ({COLUMNS}) VALUES ({marks})"

    counts = [0] * connections
    deadline = time.perf_counter() + duration

    def one_per_transaction(tid: int) -> None:
        conn = connect()
        try:
            while time.perf_counter() < deadline:
                if sqlite:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.execute(insert, _row(org, counts[tid], sqlite))
                    conn.execute("COMMIT")
                else:
                    with conn.transaction():
                        conn.execute(insert, _row(org, counts[tid], sqlite))
                counts[tid] += 1
        finally:
            conn.close()

    started = time.perf_counter()
    threads = [
        threading.Thread(target=one_per_transaction, args=(t,))
        for t in range(connections)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    single = sum(counts) / (time.perf_counter() - started)

    conn = connect()
    times = []
    for _ in range(5):
        rows = [_row(org, i, sqlite) for i in range(BATCH)]
        t0 = time.perf_counter()
        if sqlite:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(insert, rows)
            conn.execute("COMMIT")
        else:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(insert, rows)
        times.append(time.perf_counter() - t0)
    conn.close()
    bulk = statistics.median(times)
    return Baseline(single_rows_s=single, bulk_rows_s=BATCH / bulk, bulk_ms=bulk * 1000)


# --- main ------------------------------------------------------------------------


@dataclass
class Row:
    db: str
    workers: int
    mode: str
    load: LoadResult
    batch: BatchResult
    base: Baseline
    load_before: str
    load_after: str
    recorded: int  # scan events stored for the single-scan devices
    cpu_app_ms: float  # server CPU per single scan
    cpu_db_ms: float  # PostgreSQL backends' CPU per single scan
    batch_cpu_app_ms: float  # per 1,000-scan batch
    batch_cpu_db_ms: float


def run_config(
    kind: str,
    workers: int,
    mode: str,
    args: argparse.Namespace,
    n: int,
) -> Row:
    # Enough devices for 6 rounds at up to 1,500 scans/s.
    single = max(1200, int(args.duration * 1500 / len(ROUNDS)))
    single -= single % (2 * args.connections)
    before = load()
    with (
        fresh_database(kind, args.data_dir, args.pg_url, n) as url,
        tempfile.TemporaryDirectory(dir=args.data_dir) as work,
    ):
        seeded = seed(url, single=single, warmup=400, batch=BATCH * args.batch_blocks)
        print(
            f"  seeded {single + 400 + BATCH * args.batch_blocks} devices "
            f"in {seeded.seconds:.1f} s",
            file=sys.stderr,
        )
        with server(url, workers=workers, mode=mode) as served:
            load_result, cpu = single_scans(
                served,
                seeded,
                connections=args.connections,
                duration=args.duration,
                work=Path(work),
            )
            recorded = scan_events(url, seeded.single_tags)
            with CpuMeter(served) as batch_cpu:
                batch_result = batches(served.base, seeded)
        base_result = baseline(
            url, connections=args.connections, duration=min(args.duration, 5)
        )
    return Row(
        kind,
        workers,
        mode,
        load_result,
        batch_result,
        base_result,
        before,
        load(),
        recorded=recorded,
        cpu_app_ms=1000 * cpu.app / max(1, load_result.requests),
        cpu_db_ms=1000 * cpu.db / max(1, load_result.requests),
        batch_cpu_app_ms=1000 * batch_cpu.app / max(1, len(batch_result.seconds)),
        batch_cpu_db_ms=1000 * batch_cpu.db / max(1, len(batch_result.seconds)),
    )


def scan_events(url: str, tags: list[str]) -> int:
    """Scan events stored for these devices (registrations left out)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM device_event e JOIN device d "
                        "ON d.id = e.device_id WHERE e.seq > 1 "
                        "AND d.asset_tag IN :tags"
                    ).bindparams(bindparam("tags", expanding=True)),
                    {"tags": tags},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def print_table(rows: list[Row], connections: int) -> None:
    tool = rows[0].load.tool
    print()
    print(
        f"Single scans (POST /api/v1/scans, {connections} connections, {tool}); "
        "CPU = ms of CPU per scan, server processes + PostgreSQL backends"
    )
    print(
        f"{'db':<8} {'w':>1} {'mode':<9} {'scans/s':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'non2xx':>6} {'sockerr':>7} {'scans':>6} "
        f"{'stored':>6} {'CPU app':>7} {'CPU db':>6}  load avg (before -> after)"
    )
    for r in rows:
        lr = r.load
        print(
            f"{r.db:<8} {r.workers:>1} {r.mode:<9} {lr.rate:>7.0f} {lr.p50_ms:>7.1f} "
            f"{lr.p99_ms:>7.1f} {lr.max_ms:>7.0f} {lr.non_2xx:>6} "
            f"{lr.socket_errors:>7} {lr.requests:>6} {r.recorded:>6} "
            f"{r.cpu_app_ms:>7.2f} "
            f"{r.cpu_db_ms:>6.2f}  {r.load_before} -> {r.load_after}"
            + ("  STALLED: no scan completed" if lr.requests == 0 else "")
        )
    for r in rows:
        if r.load.first_bad:
            print(
                f"  first non-2xx ({r.db}, {r.workers}, {r.mode}): {r.load.first_bad}"
            )
    print()
    print(
        f"Batches (POST /api/v1/scans/batch, {BATCH} scans, one at a time) and "
        "baseline (bare INSERT of device_event-like rows, same driver)"
    )
    print(
        f"{'db':<8} {'w':>1} {'mode':<9} {'batches':>7} {'p50 s':>6} {'p95 s':>6} "
        f"{'max s':>6} {'applied':>11} {'CPU app s':>9} {'CPU db s':>8} "
        f"{'base 1 row/txn r/s':>18} {'base 1000 rows/txn r/s':>22}"
    )
    for r in rows:
        b = r.batch
        print(
            f"{r.db:<8} {r.workers:>1} {r.mode:<9} {len(b.seconds):>7} "
            f"{b.pct(0.5):>6.2f} {b.pct(0.95):>6.2f} {max(b.seconds, default=0):>6.2f} "
            f"{b.applied:>5}/{b.applied + b.other:<5} "
            f"{r.batch_cpu_app_ms / 1000:>9.2f} {r.batch_cpu_db_ms / 1000:>8.2f} "
            f"{r.base.single_rows_s:>18.0f} {r.base.bulk_rows_s:>22.0f}"
        )
    print()
    print(
        f"Baseline: 1 row per transaction from {connections} threads, and "
        f"{BATCH} rows per transaction (executemany), into a copy of device_event."
    )
    print(
        "stored = scan events in the database for the single-scan devices: the 2xx "
        "answers, plus any scan still in flight when the load generator stopped "
        f"(at most {connections})."
    )
    print("Targets (PostgreSQL): >= 200 scans/s, p99 < 150 ms, batch of 1,000 < 2 s.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", default="1,2", help="e.g. 1,2")
    parser.add_argument(
        "--modes", default="sync,async", help="sync, async, sync-tp8, async-tp8..."
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--batch-blocks", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BANQUES_BENCH_DATABASE_URL", DEFAULT_PG),
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on kill
    own_dir = args.data_dir is None
    args.data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="banques-bench-"))
    args.data_dir.mkdir(parents=True, exist_ok=True)

    print(f"Machine: {os.cpu_count()} CPU, {cpu_model()}, {platform.system()}")
    print(f"Python {platform.python_version()}, load average at start: {load()}")
    if not shutil.which("wrk"):
        print(
            "wrk is missing (apt-get install wrk): single scans use the Python "
            "load generator (httpx threads), which costs CPU on the same cores.",
        )
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    rows: list[Row] = []
    n = 0
    try:
        for _ in range(args.repeat):
            for kind in kinds:
                for workers in [int(w) for w in args.workers.split(",")]:
                    for mode in args.modes.split(","):
                        n += 1
                        print(f"- {kind}, {workers} worker(s), {mode}", file=sys.stderr)
                        rows.append(run_config(kind, workers, mode, args, n))
    finally:
        if own_dir:
            shutil.rmtree(args.data_dir, ignore_errors=True)
        if rows:
            print_table(rows, args.connections)


if __name__ == "__main__":
    main()
