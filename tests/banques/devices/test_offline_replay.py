"""Offline queues from several phones, uploaded in any order, converge.

RELIABILITY.md §0 ("offline replay"): phones in a workshop scan while the network is
down, then upload their queues in pieces, in any order, some items twice, some that
can never apply. Whatever the order, with no one touching the conflicts list:
nothing is lost, nothing is stored twice, every device ends where its scans lead,
and only the scans that can never apply are left as conflicts. A scan that arrived
before the one it follows is applied by the batch that brings the missing one.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from banques.accounts.models import Role
from banques.accounts.service import principal_for
from banques.devices import service
from banques.devices.lifecycle import State
from banques.devices.models import ConflictStatus, Device, DeviceEvent, ScanConflict
from banques.devices.schemas import ScanIn
from tests.banques.devices.helpers import T0, payload_for, register, scan, walk
from tests.factories import Tenant, make_tenant, make_user

WORKSHOP = [
    State.received,
    State.diagnosed,
    State.wiped,
    State.refurbished,
    State.ready,
]


@dataclass(frozen=True)
class Item:
    phone: int
    scan: ScanIn


def failed_erasure(tenant: Tenant, tag: str, at_minutes: int) -> ScanIn:
    """A scan that can never apply: an erasure whose verification failed."""
    payload = payload_for(State.wiped, tenant)
    payload["records"][0]["verification_passed"] = False
    return scan(
        State.wiped,
        tenant,
        tag,
        at=T0 + timedelta(hours=1, minutes=at_minutes),
        payload=payload,
    )


def open_conflicts(session: Session) -> list[ScanConflict]:
    return list(
        session.exec(
            select(ScanConflict)
            .where(ScanConflict.status == ConflictStatus.open)
            .order_by(col(ScanConflict.occurred_at), col(ScanConflict.id))
        )
    )


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_offline_queues_converge_whatever_the_upload_order(
    engine: Engine, data: st.DataObject
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        try:
            run_example(session, data)
        finally:
            session.rollback()


def run_example(session: Session, data: st.DataObject) -> None:
    tenant = make_tenant(session, "OFF")
    workshop = tenant.orgs["association"]
    phones = [tenant.users[Role.technician]] + [
        make_user(session, workshop, Role.technician) for _ in range(2)
    ]
    devices: list[Device] = []
    depth: dict[uuid.UUID, int] = {}
    items: list[Item] = []
    never: set[uuid.UUID] = set()
    for d in range(data.draw(st.integers(1, 4), label="devices")):
        device = register(session, tenant, serial=f"OFF-{d}")
        walk(session, tenant, device, until=State.collected)
        devices.append(device)
        depth[device.id] = data.draw(st.integers(1, len(WORKSHOP)), label="steps")
        for step, state in enumerate(WORKSHOP[: depth[device.id]]):
            at = T0 + timedelta(hours=1, minutes=10 * step + d)
            phone = data.draw(st.integers(0, len(phones) - 1), label="phone")
            items.append(Item(phone, scan(state, tenant, device.asset_tag, at=at)))
        if data.draw(st.booleans(), label="a scan that can never apply"):
            bad = failed_erasure(tenant, device.asset_tag, at_minutes=15 + d)
            never.add(bad.event_id)
            items.append(Item(data.draw(st.integers(0, len(phones) - 1)), bad))

    # Each phone's queue in the order it scanned, some items queued twice (a retry
    # after a timeout), then cut into uploads sent in any order, across phones.
    uploads: list[tuple[int, list[ScanIn]]] = []
    for phone in range(len(phones)):
        queue = sorted(
            (i.scan for i in items if i.phone == phone), key=lambda s: s.occurred_at
        )
        for resent in data.draw(st.lists(st.sampled_from(queue))) if queue else []:
            queue.insert(data.draw(st.integers(0, len(queue))), resent)
        cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(queue) - 1)))))
        bounds = [0, *[c for c in cuts if c < len(queue)], len(queue)]
        uploads += [(phone, queue[a:b]) for a, b in itertools.pairwise(bounds) if b > a]
    for phone, batch in data.draw(st.permutations(uploads), label="upload order"):
        who = principal_for(session, phones[phone])
        service.apply_batch(session, who, [s.model_dump(mode="json") for s in batch])

    # How often the upload order mattered (pytest --hypothesis-show-statistics).
    late = len(
        session.exec(
            select(ScanConflict).where(ScanConflict.status == ConflictStatus.retried)
        ).all()
    )
    event(f"scans applied after the one they follow: {late if late < 3 else '3+'}")

    sent = {i.scan.event_id for i in items}
    stored = list(
        session.exec(
            select(DeviceEvent.client_event_id).where(
                col(DeviceEvent.client_event_id).in_(sent)
            )
        )
    )
    assert len(stored) == len(set(stored)), "a scan stored twice"
    assert set(stored) == sent - never, "a scan lost"
    assert {c.client_event_id for c in open_conflicts(session)} == never
    for device in devices:
        session.refresh(device)
        assert device.state is WORKSHOP[depth[device.id] - 1]
        assert device.version == 2 + depth[device.id]  # registered, collected, ...
        check = service.verify_chain(
            session, principal_for(session, phones[0]), device.asset_tag
        )
        assert check.valid
