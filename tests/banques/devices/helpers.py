"""Valid scans for every transition, and a walker along the happy path."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from banques.accounts.models import Role, User
from banques.accounts.permissions import Principal
from banques.accounts.service import principal_for
from banques.devices import service
from banques.devices.lifecycle import State
from banques.devices.models import Device
from banques.devices.schemas import DeviceCreate, ScanIn
from tests.factories import Tenant

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SERIAL = "WD-WX11A2345678"


def payload_for(state: State, tenant: Tenant) -> dict[str, Any]:
    school_id = str(tenant.school.id) if tenant.school else str(uuid.uuid4())
    table: dict[State, dict[str, Any]] = {
        State.collected: {"collection_ref": "COL-2026-0042", "weight_kg": 2.1},
        State.received: {},
        State.diagnosed: {
            "cpu": "Intel Core i5-8250U",
            "ram_gb": 8,
            "storage_gb": 256,
            "storage_type": "ssd",
            "battery_health_pct": 81,
            "screen": "14 pouces, sans défaut",
            "reconditionable": True,
            "media": [{"type": "ssd", "model": "WD SN520", "serial": SERIAL}],
        },
        State.wiped: {
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
                    "operator": "Thomas T.",
                }
            ]
        },
        State.refurbished: {
            "os": "Linux Mint 22",
            "repairs": ["clavier remplacé"],
            "parts": ["clavier AZERTY"],
            "functional_test_passed": True,
            "grade": "B",
        },
        State.ready: {},
        State.allocated: {"school_id": school_id, "request_ref": "REQ-1"},
        State.in_transit: {"vehicle": "Kangoo 1"},
        State.delivered: {
            "school_id": school_id,
            "signer_name": "Mme Martin",
            "signed_at": "2026-11-03T10:15:00+01:00",
        },
        State.handed_over: {"pupil_ref": "ELV-2026-017", "allocation_mode": "loan"},
        State.returned: {"reason": "fin de scolarité"},
        State.cancelled: {"reason": "doublon"},
        State.recycled: {"reason": "carte mère HS"},
        State.lost: {"circumstances": "volé dans le véhicule"},
        State.registered: {},
    }
    return table[state]


HAPPY_PATH = [
    State.collected,
    State.received,
    State.diagnosed,
    State.wiped,
    State.refurbished,
    State.ready,
    State.allocated,
    State.in_transit,
    State.delivered,
    State.handed_over,
]


def actor_for(state: State, tenant: Tenant) -> User:
    """Who performs each step on the happy path."""
    if state is State.collected:
        return tenant.users[Role.collector]
    if state in (State.in_transit, State.delivered):
        return tenant.users[Role.driver]
    if state in (State.handed_over, State.returned):
        return tenant.users[Role.school_staff]
    if state is State.allocated:
        return tenant.users[Role.coordinator]
    return tenant.users[Role.technician]


def scan(
    state: State,
    tenant: Tenant,
    tag: str,
    *,
    at: datetime | None = None,
    event_id: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
) -> ScanIn:
    return ScanIn(
        asset_tag=tag,
        to_state=state,
        event_id=event_id or uuid.uuid4(),
        occurred_at=at or T0,
        payload=payload_for(state, tenant) if payload is None else payload,
    )


def register(session: Session, tenant: Tenant, *, serial: str = "SN-1") -> Device:
    donor = principal_for(session, tenant.users[Role.collector])
    (device,) = service.register_devices(
        session,
        donor,
        [DeviceCreate(category="laptop", brand="Lenovo", model="T480", serial=serial)],
    )
    return device


def walk(session: Session, tenant: Tenant, device: Device, until: State) -> None:
    """Scan a registered device along the happy path up to ``until``."""
    for i, state in enumerate(HAPPY_PATH):
        who = principal_for(session, actor_for(state, tenant))
        service.apply_scan(
            session,
            who,
            scan(state, tenant, device.asset_tag, at=T0 + timedelta(minutes=i)),
        )
        if state is until:
            return
    raise AssertionError(f"{until} is not on the happy path")


def principal(session: Session, user: User | None) -> Principal:
    assert user is not None
    return principal_for(session, user)
