"""Crash test: ``kill -9`` the real server mid-batch; every scan lands exactly once.

RELIABILITY.md §3: lost = acknowledged event ids - event ids in device_event, and
duplicated = event rows - distinct (organisation, client event id); both must be 0.
The client behaves like the phone: it resends the same batches (same event ids)
until every item is acknowledged (applied or duplicate), then replays them all.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, make_url, text
from sqlmodel import Session, col, select

from banques import db
from banques.accounts.models import Role
from banques.accounts.service import principal_for
from banques.devices import service
from banques.devices.lifecycle import State
from banques.devices.models import Device, DeviceEvent, ScanConflict
from banques.devices.schemas import DeviceCreate
from tests.banques.devices.helpers import T0, payload_for
from tests.factories import SECRET, Tenant, make_tenant, token_for
from tests.server import free_port, kill_group, service_env, spawn_server, wait_healthy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DEVICES = 1500  # two scans each (collected, received): 3,000 scans
PER_BATCH = 500  # devices per batch: 1,000 scans
KILLS = 2
DEADLINE = 45.0  # seconds for the whole send / crash / resend phase


@dataclass
class Crash:
    url: str
    engine: Engine
    tenant: Tenant
    tags: list[str]
    token: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = service_env(self.url, BANQUES_SECRET_KEY=SECRET)
        self.process = spawn_server(env, port=self.port, extra_args=["--workers", "2"])
        wait_healthy(self.base_url, self.process, timeout=30)

    def kill(self) -> None:
        if self.process is not None:
            kill_group(self.process)


@pytest.fixture
def crash(pg_url: str) -> Iterator[Crash]:
    """A fresh PostgreSQL database (not the lane's), seeded; dropped afterwards."""
    name = f"banques_crash_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(make_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url, pool_size=2)
    state: Crash | None = None
    try:
        db.upgrade(url)
        with db.transaction(engine) as session:
            tenant = make_tenant(session, "CRA")
            technician = tenant.users[Role.technician]
            devices = service.register_devices(
                session,
                principal_for(session, technician),
                [
                    DeviceCreate(
                        category="laptop", brand="Dell", model="E7470", serial=f"K{i}"
                    )
                    for i in range(DEVICES)
                ],
            )
            tags = [d.asset_tag for d in devices]
        state = Crash(url, engine, tenant, tags, token_for(technician))
        yield state
    finally:
        if state is not None:
            state.kill()
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _scan(tenant: Tenant, tag: str, state: State, minute: int) -> dict[str, Any]:
    return {
        "asset_tag": tag,
        "to_state": state.value,
        "event_id": str(uuid.uuid4()),
        "occurred_at": (T0 + timedelta(minutes=minute)).isoformat(),
        "payload": payload_for(state, tenant),
    }


def _batches(crash: Crash) -> list[list[dict[str, Any]]]:
    """Each device is collected then received, both in the same offline batch."""
    batches = []
    for start in range(0, len(crash.tags), PER_BATCH):
        block = crash.tags[start : start + PER_BATCH]
        batch = [_scan(crash.tenant, t, State.collected, 0) for t in block]
        batch += [_scan(crash.tenant, t, State.received, 1) for t in block]
        batches.append(batch)
    return batches


@dataclass
class Client:
    """The phone: resends each batch, same event ids, until all are acknowledged."""

    crash: Crash
    acknowledged: set[str] = field(default_factory=set)
    statuses: dict[str, int] = field(default_factory=dict)
    transient: int = 0
    in_flight: threading.Event = field(default_factory=threading.Event)

    def send(self, batch: list[dict[str, Any]], deadline: float) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.crash.token}"}
        while time.monotonic() < deadline:
            self.in_flight.set()
            try:
                response = httpx.post(
                    f"{self.crash.base_url}/api/v1/scans/batch",
                    json={"scans": batch},
                    headers=headers,
                    timeout=20,
                )
            except httpx.HTTPError:
                self.transient += 1
                time.sleep(0.1)
                continue
            if response.status_code != 200:
                self.transient += 1
                self.statuses[str(response.status_code)] = (
                    self.statuses.get(str(response.status_code), 0) + 1
                )
                time.sleep(0.1)
                continue
            results = response.json()["results"]
            outcome = {r["event_id"]: r["status"] for r in results}
            self.acknowledged |= {
                e for e, s in outcome.items() if s in ("applied", "duplicate")
            }
            return outcome
        raise AssertionError("batch not acknowledged before the deadline")


OPEN_TRANSACTIONS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"
)


def _chaos(
    crash: Crash, client: Client, kills: list[tuple[float, int]], stop: float
) -> None:
    """Kill the server's process group mid-batch, restart it; ``KILLS`` times.
    Each kill is recorded with the number of transactions it interrupted."""
    started = time.monotonic()
    for _ in range(KILLS):
        if not client.in_flight.wait(timeout=max(0.0, stop - time.monotonic())):
            return
        # Kill while the batch's transaction is open (it lasts about a second).
        wait_until = time.monotonic() + 3
        with crash.engine.connect() as conn:
            while True:
                open_transactions = int(conn.execute(OPEN_TRANSACTIONS).scalar_one())
                conn.rollback()  # pg_stat_activity is a snapshot per transaction
                if open_transactions or time.monotonic() > wait_until:
                    break
                time.sleep(0.02)
        time.sleep(0.05)
        crash.kill()
        kills.append((round(time.monotonic() - started, 2), open_transactions))
        client.in_flight.clear()
        crash.start()


def _event_counts(engine: Engine, ids: set[str]) -> tuple[int, int, set[str]]:
    with Session(engine) as session:
        rows = int(session.exec(select(func.count()).select_from(DeviceEvent)).one())
        distinct = int(
            session.exec(
                select(func.count()).select_from(
                    select(DeviceEvent.organisation_id, DeviceEvent.client_event_id)
                    .distinct()
                    .subquery()
                )
            ).one()
        )
        stored = {
            str(e)
            for e in session.exec(
                select(DeviceEvent.client_event_id).where(
                    col(DeviceEvent.client_event_id).in_([uuid.UUID(i) for i in ids])
                )
            )
        }
    return rows, distinct, stored


def test_kill_9_mid_batch_loses_and_duplicates_nothing(crash: Crash) -> None:
    begin = time.monotonic()
    batches = _batches(crash)
    sent = {s["event_id"] for b in batches for s in b}
    crash.start()
    client = Client(crash)
    deadline = time.monotonic() + DEADLINE
    kills: list[tuple[float, int]] = []
    chaos = threading.Thread(
        target=_chaos, args=(crash, client, kills, deadline), daemon=True
    )
    chaos.start()
    for batch in batches:
        client.send(batch, deadline)
    chaos.join(timeout=max(1.0, deadline - time.monotonic()))
    assert not chaos.is_alive()
    wait_healthy(crash.base_url, crash.process, timeout=30)  # type: ignore[arg-type]
    # Every item acknowledged; a full replay now only answers "duplicate".
    for batch in batches:
        outcome = client.send(batch, deadline)
        assert set(outcome.values()) == {"duplicate"}

    rows, distinct, stored = _event_counts(crash.engine, sent)
    registrations = DEVICES
    lost = client.acknowledged - stored
    print(
        f"\ncrash test: sent={len(sent)} acknowledged={len(client.acknowledged)} "
        f"events={rows - registrations} duplicated={rows - distinct} "
        f"kills={len(kills)} (s, open transactions): {kills} "
        f"transient={client.transient} {client.statuses} "
        f"duration={time.monotonic() - begin:.1f} s"
    )
    assert len(kills) == KILLS
    assert any(open_transactions for _, open_transactions in kills)
    assert client.acknowledged == sent
    assert lost == set()
    assert rows - distinct == 0  # duplicated
    assert stored == sent  # every scan applied exactly once
    assert rows == registrations + len(sent)
    with Session(crash.engine) as session:
        assert session.exec(select(func.count()).select_from(ScanConflict)).one() == 0
        versions = session.exec(select(Device.state, Device.version)).all()
        assert {(State(s), v) for s, v in versions} == {(State.received, 3)}
        per_device = session.exec(
            select(
                DeviceEvent.device_id, func.count(), func.max(DeviceEvent.seq)
            ).group_by(col(DeviceEvent.device_id))
        ).all()
        assert {(n, top) for _, n, top in per_device} == {(3, 3)}
        viewer = principal_for(session, crash.tenant.users[Role.coordinator])
        broken = [
            tag
            for tag in crash.tags
            if not service.verify_chain(session, viewer, tag).valid
        ]
        assert broken == []


def _post_and_hang_up(base_url: str, path: str, token: str, body: bytes) -> None:
    """Send a request, then close the connection without reading the answer."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )


def _wait_for_events(engine: Engine, ids: set[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _event_counts(engine, ids)[2] == ids:
            return
        time.sleep(0.05)
    raise AssertionError("the cut request never committed")


def test_connection_cut_after_commit_resend_answers_duplicate(crash: Crash) -> None:
    import json

    crash.start()
    headers = {"Authorization": f"Bearer {crash.token}"}
    # One scan: the client hangs up before the answer; the server commits anyway.
    single = _scan(crash.tenant, crash.tags[0], State.collected, 0)
    _post_and_hang_up(
        crash.base_url, "/api/v1/scans", crash.token, json.dumps(single).encode()
    )
    _wait_for_events(crash.engine, {single["event_id"]})
    again = httpx.post(
        f"{crash.base_url}/api/v1/scans", json=single, headers=headers, timeout=20
    )
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    # A batch whose client times out (and hangs up) right after sending it.
    batch = [_scan(crash.tenant, t, State.collected, 0) for t in crash.tags[1:301]]
    with pytest.raises(httpx.TimeoutException):
        httpx.post(
            f"{crash.base_url}/api/v1/scans/batch",
            json={"scans": batch},
            headers=headers,
            timeout=httpx.Timeout(5, read=0.001),
        )
    ids = {s["event_id"] for s in batch}
    _wait_for_events(crash.engine, ids)
    replay = httpx.post(
        f"{crash.base_url}/api/v1/scans/batch",
        json={"scans": batch},
        headers=headers,
        timeout=20,
    )
    assert replay.status_code == 200
    assert replay.json()["duplicate"] == len(batch)
    rows, distinct, stored = _event_counts(crash.engine, ids | {single["event_id"]})
    assert stored == ids | {single["event_id"]}
    assert rows == distinct == DEVICES + len(batch) + 1
