"""The lifecycle table (pure) and a stateful property test of the custody service."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from banques.accounts.models import Role
from banques.accounts.permissions import Principal
from banques.accounts.service import principal_for
from banques.devices import service
from banques.devices.lifecycle import (
    FINAL,
    OUTSIDE_WORKSHOP,
    TRANSITIONS,
    Custody,
    IllegalTransition,
    State,
    replay,
    transition_to,
)
from banques.devices.models import Device, DeviceEvent
from banques.devices.schemas import ScanIn
from banques.errors import BanqueError
from tests.banques.devices.helpers import (
    HAPPY_PATH,
    T0,
    actor_for,
    payload_for,
    register,
    scan,
)
from tests.factories import Tenant, make_tenant


def test_every_state_is_reachable_and_final_states_are_final() -> None:
    reachable = {State.registered}
    frontier = [State.registered]
    while frontier:
        current = frontier.pop()
        for target, t in TRANSITIONS.items():
            if current in t.from_states and target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(State)
    for t in TRANSITIONS.values():
        assert not t.from_states & FINAL, t.to_state


def test_happy_path_replays_and_skips_are_illegal() -> None:
    assert replay(HAPPY_PATH) is State.handed_over
    with pytest.raises(IllegalTransition):
        replay([State.collected, State.diagnosed])
    with pytest.raises(IllegalTransition):
        transition_to(State.diagnosed, State.ready)


def test_take_transitions_name_who_may_take() -> None:
    for t in TRANSITIONS.values():
        assert bool(t.takers) == (t.custody is Custody.take), t.to_state


def test_docs_diagram_lists_every_transition() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[3] / "docs" / "devices.md").read_text(
        encoding="utf-8"
    )
    for t in TRANSITIONS.values():
        assert f"| `{t.to_state.value}` |" in doc, t.to_state


ROLES = [
    Role.collector,
    Role.technician,
    Role.driver,
    Role.school_staff,
    Role.coordinator,
    Role.donor,
]


class Custody_(RuleBasedStateMachine):
    """Random scans from random roles never break an invariant."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.session = Session(engine, expire_on_commit=False)
        self.tenant: Tenant = make_tenant(self.session, "HYP")
        self.devices: list[Device] = []
        self.sent: dict[uuid.UUID, tuple[Device, ScanIn, Principal]] = {}
        self.clock = 0

    def teardown(self) -> None:
        self.session.rollback()
        self.session.close()

    def actor(self, role: Role, other_org: bool) -> Principal:
        user = (
            self.tenant.other_technician
            if other_org and role is Role.technician
            else self.tenant.users[role]
        )
        assert user is not None
        return principal_for(self.session, user)

    @rule()
    @precondition(lambda self: len(self.devices) < 4)
    def register(self) -> None:
        self.devices.append(
            register(self.session, self.tenant, serial=f"S{len(self.devices)}")
        )

    @rule(
        index=st.integers(0, 3),
        any_state=st.sampled_from(list(State)),
        pick=st.integers(0, 99),
        role=st.sampled_from(ROLES),
        other_org=st.booleans(),
        valid_payload=st.integers(0, 9),
    )
    @precondition(lambda self: bool(self.devices))
    def scan(
        self,
        index: int,
        any_state: State,
        pick: int,
        role: Role,
        other_org: bool,
        valid_payload: int,
    ) -> None:
        device = self.devices[index % len(self.devices)]
        before_state, before_custodian = State(device.state), device.custodian_id
        legal = sorted(
            t for t, e in TRANSITIONS.items() if before_state in e.from_states
        )
        target = legal[pick % len(legal)] if pick < 70 and legal else any_state
        if pick < 55 and target in HAPPY_PATH:
            role = actor_for(target, self.tenant).role
        before_events = self.count(device)
        payload = payload_for(target, self.tenant) if valid_payload else {"bad": 1}
        self.clock += 1
        request = scan(
            target,
            self.tenant,
            device.asset_tag,
            at=T0 + timedelta(minutes=self.clock),
            payload=payload,
        )
        who = self.actor(role, other_org)
        try:
            service.apply_scan(self.session, who, request)
        except BanqueError:
            assert self.count(device) == before_events  # a refusal writes nothing
            assert device.state is before_state
            return
        self.sent[request.event_id] = (device, request, who)
        assert self.count(device) == before_events + 1
        transition = transition_to(before_state, target)  # never a skipped state
        assert who.role in transition.roles
        if transition.custody is Custody.holder:
            assert who.organisation_id == before_custodian
        if transition.custody is Custody.take:
            assert device.custodian_id == who.organisation_id

    @rule(data=st.data())
    @precondition(lambda self: bool(self.sent))
    def replay_a_sent_scan(self, data: st.DataObject) -> None:
        event_id = data.draw(st.sampled_from(sorted(self.sent)))
        device, request, who = self.sent[event_id]
        before = self.count(device)
        _, replayed = service.apply_scan(self.session, who, request)
        assert replayed
        assert self.count(device) == before

    def count(self, device: Device) -> int:
        return len(self.events(device))

    def events(self, device: Device) -> list[DeviceEvent]:
        return list(
            self.session.exec(
                select(DeviceEvent)
                .where(DeviceEvent.device_id == device.id)
                .order_by(col(DeviceEvent.seq))
            )
        )

    @invariant()
    def projection_equals_replay_and_chain_holds(self) -> None:
        coordinator = principal_for(self.session, self.tenant.users[Role.coordinator])
        for device in self.devices:
            events = self.events(device)
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            assert service.project(events) == service.projection_of(device)
            assert replay([State(e.to_state) for e in events[1:]]) is device.state
            assert service.verify_chain(
                self.session, coordinator, device.asset_tag
            ).valid

    @invariant()
    def nothing_outside_the_workshop_without_erasure(self) -> None:
        for device in self.devices:
            if device.state not in OUTSIDE_WORKSHOP:
                continue
            states = [State(e.to_state) for e in self.events(device)]
            last_received = max(i for i, s in enumerate(states) if s is State.received)
            assert State.wiped in states[last_received:]


def test_random_scans_never_break_an_invariant(engine: Engine) -> None:
    from hypothesis import settings

    run_state_machine_as_test(
        lambda: Custody_(engine),  # type: ignore[arg-type]
        settings=settings(stateful_step_count=25, deadline=None),
    )
