"""Two simultaneous scans of one device: one applies, the other sees its result."""

from __future__ import annotations

import threading

from sqlalchemy import Engine
from sqlmodel import select

from banques import db
from banques.accounts.models import Role
from banques.accounts.service import principal_for
from banques.devices import service
from banques.devices.lifecycle import State
from banques.devices.models import Device, DeviceEvent
from tests.banques.devices.helpers import register, scan, walk
from tests.factories import make_tenant


def test_simultaneous_scans_never_both_apply_from_the_same_state(
    engine: Engine,
) -> None:
    rounds = 8
    with db.transaction(engine) as session:
        tenant = make_tenant(session, "CON")
        tags = []
        for i in range(rounds):
            device = register(session, tenant, serial=f"C{i}")
            walk(session, tenant, device, State.received)
            tags.append(device.asset_tag)
        techs = [tenant.users[Role.technician].id, tenant.users[Role.technician].id]

    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(tag: str, target: State, barrier: threading.Barrier) -> None:
        from banques.accounts.models import User

        barrier.wait()
        try:
            with db.transaction(engine) as session:
                user = session.get(User, techs[0])
                assert user is not None
                who = principal_for(session, user)
                service.apply_scan(session, who, scan(target, tenant, tag))
            result = f"applied:{target.value}"
        except service.ScanRejected as exc:
            result = f"rejected:{exc.reason_code}"
        with lock:
            outcomes.append(result)

    for tag in tags:
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=worker, args=(tag, target, barrier))
            for target in (State.diagnosed, State.diagnosed)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

    assert sorted(outcomes) == sorted(
        ["applied:diagnosed", "rejected:illegal-transition"] * rounds
    ), outcomes
    with db.transaction(engine) as session:
        for tag in tags:
            device = session.exec(select(Device).where(Device.asset_tag == tag)).one()
            events = list(
                session.exec(
                    select(DeviceEvent).where(DeviceEvent.device_id == device.id)
                )
            )
            from_received = [e for e in events if e.from_state is State.received]
            assert len(from_received) == 1, tag
            assert device.version == len(events) == 4  # registered…diagnosed
