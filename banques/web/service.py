"""Page-specific reads: what the device page shows, gathered in one place.

Visibility and rules stay in the domain services (``devices.service.get_device``,
``device_events``, the lifecycle table); this module only collects the names and
choices a page needs around them. It never writes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from banques.accounts.models import Bank, Organisation, User
from banques.accounts.permissions import Action, Principal, Scope
from banques.devices import service as devices
from banques.devices.lifecycle import FINAL, TRANSITIONS, Custody, State, Transition
from banques.devices.models import Device, DeviceEvent
from banques.schools.models import School

# Transitions shown apart ("autres issues") on the device page.
SIDE_EXITS = frozenset({State.lost, State.recycled, State.cancelled})


@dataclass(frozen=True)
class HistoryRow:
    event: DeviceEvent
    organisation: str
    actor: str | None  # None when the viewer may not see the person's name


@dataclass(frozen=True)
class DevicePage:
    device: Device
    bank: Bank
    custodian: str
    school: School | None
    history: list[HistoryRow]
    steps: list[Transition]
    schools: list[School]
    school_names: dict[str, str]
    viewer_name: str


def next_steps(principal: Principal, device: Device) -> list[Transition]:
    """The transitions the lifecycle table offers this user from the device's state.

    A preview for the page only: ``apply_scan`` checks everything again (role,
    custody, payload, guards) and its refusal is what the user sees.
    """
    state = State(device.state)
    if state in FINAL or not principal.may(Action.scan_apply):
        return []
    holder = principal.organisation_id == device.custodian_id
    coordinator = principal.scope is not Scope.organisation
    steps = []
    for transition in TRANSITIONS.values():
        if state not in transition.from_states:
            continue
        if principal.role not in transition.roles and principal.scope is not (
            Scope.platform
        ):
            continue
        rule = transition.custody
        if rule is Custody.take:
            allowed = principal.organisation_kind in transition.takers
        elif rule is Custody.holder_or_coordinator:
            allowed = holder or coordinator
        else:
            allowed = holder
        if allowed:
            steps.append(transition)
    steps.sort(key=lambda t: (t.to_state in SIDE_EXITS, list(State).index(t.to_state)))
    return steps


def _names(
    session: Session, principal: Principal, events: list[DeviceEvent]
) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str]]:
    org_ids = {e.organisation_id for e in events}
    user_ids = {e.actor_id for e in events}
    orgs = {
        o.id: o.name
        for o in session.exec(
            select(Organisation).where(col(Organisation.id).in_(org_ids))
        )
    }
    users: dict[uuid.UUID, str] = {}
    for user in session.exec(select(User).where(col(User.id).in_(user_ids))):
        # The same rule as GET /api/v1/users/{id}: oneself, or a user reader
        # (coordinator, admin) who sees the user's organisation.
        own = user.id == principal.user_id
        if own or principal.may(Action.user_read):
            org = session.get(Organisation, user.organisation_id)
            if own or (
                org is not None
                and principal.sees(bank_id=org.bank_id, organisation_ids=(org.id,))
            ):
                users[user.id] = user.full_name
    return orgs, users


def device_page(session: Session, principal: Principal, tag: str) -> DevicePage:
    """Everything the device page shows; 404 (NotFound) for a device not visible."""
    events = devices.device_events(session, principal, tag)
    device = devices.get_device(session, principal, tag)
    bank = session.get(Bank, device.bank_id)
    custodian = session.get(Organisation, device.custodian_id)
    assert bank is not None
    assert custodian is not None
    school = session.get(School, device.school_id) if device.school_id else None
    orgs, users = _names(session, principal, events)
    steps = next_steps(principal, device)
    schools: list[School] = []
    if any(t.to_state is State.allocated for t in steps):
        schools = list(
            session.exec(
                select(School)
                .where(School.bank_id == device.bank_id)
                .order_by(col(School.name))
            )
        )
    ids = {device.school_id} | {
        _uuid(e.payload.get("school_id")) for e in events if "school_id" in e.payload
    }
    known = [i for i in ids if i is not None]
    school_names = (
        {
            str(s.id): s.name
            for s in session.exec(
                select(School).where(
                    col(School.id).in_(known), School.bank_id == device.bank_id
                )
            )
        }
        if known
        else {}
    )
    viewer = session.get(User, principal.user_id)
    return DevicePage(
        device=device,
        bank=bank,
        custodian=custodian.name,
        school=school,
        history=[
            HistoryRow(e, orgs.get(e.organisation_id, "?"), users.get(e.actor_id))
            for e in events
        ],
        steps=steps,
        schools=schools,
        school_names=school_names,
        viewer_name=viewer.full_name if viewer else "",
    )


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def declared_media(device: Device) -> list[dict[str, Any]]:
    """The storage media declared at diagnosis (each needs its erasure record)."""
    media = (device.specs or {}).get("media") or []
    return [dict(m) for m in media if isinstance(m, dict)]


def user_name(session: Session, principal: Principal) -> str:
    user = session.get(User, principal.user_id)
    return user.full_name if user else ""
