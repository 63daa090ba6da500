"""Chain of custody at the service level: the rules, one by one."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from banques.accounts.models import Role
from banques.accounts.permissions import Principal
from banques.devices import service
from banques.devices.lifecycle import State
from banques.devices.models import ConflictStatus, DeviceEvent, ScanConflict
from banques.devices.schemas import (
    AllocationMode,
    ConflictAction,
    DeviceCreate,
    ItemStatus,
    ScanIn,
)
from banques.errors import Forbidden, Invalid, NotFound
from banques.sqltypes import utcnow
from labels.codes import is_valid_asset_code
from labels.documents import AllocationMode as Printed
from tests.banques.devices.helpers import (
    HAPPY_PATH,
    SERIAL,
    T0,
    payload_for,
    principal,
    register,
    scan,
    walk,
)
from tests.factories import Tenant, make_tenant, make_user


@pytest.fixture
def tenant(session: Session) -> Tenant:
    return make_tenant(session, "LYO")


def events_of(session: Session, device_id: uuid.UUID) -> list[DeviceEvent]:
    return list(
        session.exec(
            select(DeviceEvent)
            .where(DeviceEvent.device_id == device_id)
            .order_by(col(DeviceEvent.seq))
        )
    )


def test_registration_allocates_valid_unique_tags(
    session: Session, tenant: Tenant
) -> None:
    a = register(session, tenant, serial="A")
    b = register(session, tenant, serial="B")
    assert a.asset_tag != b.asset_tag
    assert a.asset_tag.startswith("LYO-")
    assert is_valid_asset_code(a.asset_tag)
    assert a.state is State.registered
    assert a.custodian_id == tenant.users[Role.collector].organisation_id
    assert [e.to_state for e in events_of(session, a.id)] == [State.registered]


def test_happy_path_to_the_pupil(session: Session, tenant: Tenant) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.handed_over)
    assert device.state is State.handed_over
    assert tenant.school is not None
    assert device.custodian_id == tenant.school.organisation_id
    assert device.grade == "B"
    assert device.specs is not None
    assert device.specs["ram_gb"] == 8
    events = events_of(session, device.id)
    assert [e.to_state for e in events] == [State.registered, *HAPPY_PATH]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert service.project(events) == service.projection_of(device)
    check = service.verify_chain(
        session, principal(session, tenant.users[Role.coordinator]), device.asset_tag
    )
    assert check.valid
    assert check.events == 11


def test_custody_passes_to_the_receiving_association(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.collected)
    assert device.custodian_id == tenant.orgs["eco_organisme"].id
    walk_from = principal(session, tenant.users[Role.technician])
    service.apply_scan(
        session, walk_from, scan(State.received, tenant, device.asset_tag)
    )
    assert device.custodian_id == tenant.orgs["association"].id


def test_no_state_is_skipped(session: Session, tenant: Tenant) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.received)
    tech = principal(session, tenant.users[Role.technician])
    with pytest.raises(service.ScanRejected) as info:
        service.apply_scan(session, tech, scan(State.wiped, tenant, device.asset_tag))
    assert info.value.reason_code == "illegal-transition"
    assert info.value.status_code == 409
    assert len(events_of(session, device.id)) == 3


def test_another_association_cannot_move_or_see_the_device(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.received)
    other = principal(session, tenant.other_technician)
    with pytest.raises(service.ScanRejected) as info:
        service.apply_scan(
            session, other, scan(State.diagnosed, tenant, device.asset_tag)
        )
    assert info.value.status_code == 404
    with pytest.raises(NotFound):
        service.get_device(session, other, device.asset_tag)
    rows, _ = service.list_devices(session, other, limit=100, cursor=None)
    assert device.id not in {d.id for d in rows}


def test_other_bank_cannot_scan_even_a_takeable_device(
    session: Session, tenant: Tenant
) -> None:
    other_bank = make_tenant(session, "CAY", "America/Cayenne")
    device = register(session, tenant)
    walk(session, tenant, device, State.collected)
    stranger = principal(session, other_bank.users[Role.technician])
    with pytest.raises(service.ScanRejected) as info:
        service.apply_scan(
            session, stranger, scan(State.received, tenant, device.asset_tag)
        )
    assert info.value.status_code == 404


def test_role_not_allowed(session: Session, tenant: Tenant) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.received)
    donor = principal(session, tenant.users[Role.donor])
    with pytest.raises(Forbidden):
        service.apply_scan(
            session, donor, scan(State.diagnosed, tenant, device.asset_tag)
        )


def test_nothing_leaves_the_workshop_without_verified_erasure(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.diagnosed)
    tech = principal(session, tenant.users[Role.technician])
    bad = payload_for(State.wiped, tenant)
    bad["records"][0]["verification_passed"] = False
    with pytest.raises(service.ScanRejected) as info:
        service.apply_scan(
            session, tech, scan(State.wiped, tenant, device.asset_tag, payload=bad)
        )
    assert info.value.reason_code == "erasure-failed"
    other = payload_for(State.wiped, tenant)
    other["records"][0]["medium_serial"] = "ANOTHER-DISK"
    with pytest.raises(service.ScanRejected) as info:
        service.apply_scan(
            session, tech, scan(State.wiped, tenant, device.asset_tag, payload=other)
        )
    assert info.value.reason_code == "media-not-erased"
    assert device.state is State.diagnosed
    assert not device.erasure_verified


def test_reconditionne_needs_a_passed_functional_test(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.wiped)
    tech = principal(session, tenant.users[Role.technician])
    failed = payload_for(State.refurbished, tenant) | {"functional_test_passed": False}
    with pytest.raises(service.ScanRejected) as info:
        service.apply_scan(
            session,
            tech,
            scan(State.refurbished, tenant, device.asset_tag, payload=failed),
        )
    assert info.value.reason_code == "functional-test"
    assert "R122-4" in info.value.detail


def test_delivery_only_to_the_allocated_school(
    session: Session, tenant: Tenant
) -> None:
    from banques.accounts.models import OrganisationKind
    from tests.factories import make_org, make_school

    device = register(session, tenant)
    walk(session, tenant, device, State.in_transit)
    other_school = make_school(
        session, tenant.bank, make_org(session, tenant.bank, OrganisationKind.school)
    )
    driver = principal(session, tenant.users[Role.driver])
    wrong = payload_for(State.delivered, tenant) | {"school_id": str(other_school.id)}
    with pytest.raises(service.ScanRejected) as info:
        service.apply_scan(
            session,
            driver,
            scan(State.delivered, tenant, device.asset_tag, payload=wrong),
        )
    assert info.value.reason_code == "wrong-school"


def test_invalid_payload_is_422(session: Session, tenant: Tenant) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.received)
    tech = principal(session, tenant.users[Role.technician])
    with pytest.raises(service.ScanRejected) as info:
        service.apply_scan(
            session,
            tech,
            scan(
                State.diagnosed,
                tenant,
                device.asset_tag,
                payload={"cpu": "x", "admin": True},
            ),
        )
    assert info.value.status_code == 422


def test_replay_is_idempotent_and_a_changed_replay_is_refused(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    collector = principal(session, tenant.users[Role.collector])
    first = scan(State.collected, tenant, device.asset_tag)
    result, replayed = service.apply_scan(session, collector, first)
    again, replayed_again = service.apply_scan(session, collector, first)
    assert (replayed, replayed_again) == (False, True)
    assert again == result
    assert len(events_of(session, device.id)) == 2
    changed = first.model_copy(update={"payload": {"collection_ref": "OTHER"}})
    with pytest.raises(service.ScanRejected) as info:
        service.apply_scan(session, collector, changed)
    assert info.value.reason_code == "event-reused"


def test_tag_typed_with_lookalikes_or_as_a_url(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    collector = principal(session, tenant.users[Role.collector])
    url = f"HTTPS://BANQUES.EXAMPLE.FR/D/{device.asset_tag}"
    service.apply_scan(session, collector, scan(State.collected, tenant, url))
    typed = device.asset_tag.lower().replace("-", " ").replace("0", "o")
    assert service.get_device(session, collector, typed).id == device.id
    assert service.get_device(session, collector, "SN-1").id == device.id


def test_blank_label_is_bound_at_first_scan(session: Session, tenant: Tenant) -> None:
    collector = principal(session, tenant.users[Role.collector])
    (tag,) = service.allocate_blank_tags(session, collector, 1)
    first = scan(State.collected, tenant, tag)
    with pytest.raises(service.ScanRejected) as info:
        service.apply_scan(session, collector, first)
    assert info.value.reason_code == "unbound-tag"
    first.device = DeviceCreate(category="tablet", brand="Apple", model="iPad 6")
    result, _ = service.apply_scan(session, collector, first)
    assert result.seq == 2
    assert result.to_state is State.collected
    device = service.get_device(session, collector, tag)
    assert device.model == "iPad 6"
    assert service.apply_scan(session, collector, first)[1] is True


def test_batch_applies_per_device_in_time_order_and_keeps_rejections(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.received)
    tech = principal(session, tenant.users[Role.technician])
    steps = [State.diagnosed, State.wiped, State.refurbished, State.ready]
    items = [
        scan(s, tenant, device.asset_tag, at=T0 + timedelta(hours=i + 1)).model_dump(
            mode="json"
        )
        for i, s in enumerate(steps)
    ]
    bad = scan(
        State.delivered, tenant, device.asset_tag, at=T0 + timedelta(hours=9)
    ).model_dump(mode="json")
    garbage = {"asset_tag": "???", "event_id": str(uuid.uuid4())}
    batch = [items[3], bad, items[1], garbage, items[0], items[2]]
    outcomes = service.apply_batch(session, tech, batch)
    statuses = [o.outcome.status.value for o in outcomes]
    assert statuses == [
        "applied",
        "rejected",
        "applied",
        "rejected",
        "applied",
        "applied",
    ]
    assert device.state is State.ready
    conflicts = list(session.exec(select(ScanConflict)))
    assert {c.reason_code for c in conflicts} == {"illegal-transition", "invalid"}
    again = service.apply_batch(session, tech, batch)
    assert [o.outcome.status.value for o in again] == [
        "duplicate",
        "rejected",
        "duplicate",
        "rejected",
        "duplicate",
        "duplicate",
    ]
    assert len(list(session.exec(select(ScanConflict)))) == 2


def _batch(session: Session, who: Principal, *scans: ScanIn) -> list[str]:
    outcomes = service.apply_batch(
        session, who, [s.model_dump(mode="json") for s in scans]
    )
    return [o.outcome.status.value for o in outcomes]


def test_a_scan_that_arrived_early_applies_with_the_one_it_follows(
    session: Session, tenant: Tenant
) -> None:
    """Phone B's queue reaches the server before phone A's: B's scan waits as a
    conflict and applies, as B, in the batch that brings A's."""
    device = register(session, tenant)
    walk(session, tenant, device, State.received)
    a = principal(session, tenant.users[Role.technician])
    b_user = make_user(session, tenant.orgs["association"], Role.technician)
    b = principal(session, b_user)
    at = T0 + timedelta(hours=2)
    diagnosed = scan(State.diagnosed, tenant, device.asset_tag, at=at)
    wiped = scan(State.wiped, tenant, device.asset_tag, at=at + timedelta(minutes=10))
    refurbished = scan(
        State.refurbished, tenant, device.asset_tag, at=at + timedelta(minutes=20)
    )
    assert _batch(session, b, wiped) == ["rejected"]
    # A's queue: diagnosed, then refurbished, which needs B's wiped first: the
    # answer reports it applied, since it was by the end of the batch.
    assert _batch(session, a, diagnosed, refurbished) == ["applied", "applied"]
    assert device.state is State.refurbished
    states = [(e.to_state, e.actor_id) for e in events_of(session, device.id)][-3:]
    assert states == [
        (State.diagnosed, a.user_id),
        (State.wiped, b_user.id),
        (State.refurbished, a.user_id),
    ]
    conflicts = list(session.exec(select(ScanConflict)))
    assert len(conflicts) == 2  # wiped (B's), refurbished (A's), both applied
    assert {c.status for c in conflicts} == {ConflictStatus.retried}
    assert service.verify_chain(session, a, device.asset_tag).valid


def test_conflicts_older_than_the_device_history_wait_for_a_person(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.received)
    tech = principal(session, tenant.users[Role.technician])
    at = T0 + timedelta(hours=2)
    stale = scan(State.wiped, tenant, device.asset_tag, at=at)
    assert _batch(session, tech, stale) == ["rejected"]
    later = scan(
        State.diagnosed, tenant, device.asset_tag, at=at + timedelta(minutes=5)
    )
    assert _batch(session, tech, later) == ["applied"]
    # The wiped scan occurred before the diagnosis it would follow: not replayed.
    assert device.state is State.diagnosed
    (conflict,) = session.exec(select(ScanConflict)).all()
    assert conflict.status is ConflictStatus.open


def test_conflicts_are_visible_to_sender_and_coordinator_only(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.received)
    tech = principal(session, tenant.users[Role.technician])
    early = scan(State.wiped, tenant, device.asset_tag).model_dump(mode="json")
    (outcome,) = service.apply_batch(session, tech, [early])
    conflict_id = outcome.outcome.conflict_id
    assert conflict_id is not None
    coordinator = principal(session, tenant.users[Role.coordinator])
    assert (
        service.get_conflict(session, coordinator, conflict_id).reason_code
        == "illegal-transition"
    )
    with pytest.raises(NotFound):
        service.get_conflict(
            session, principal(session, tenant.other_technician), conflict_id
        )
    # Once the missing diagnosis arrives, the coordinator retries the conflict.
    service.apply_scan(session, tech, scan(State.diagnosed, tenant, device.asset_tag))
    resolved = service.resolve_conflict(
        session,
        coordinator,
        conflict_id,
        action=ConflictAction.retry,
        note="ordre rétabli",
    )
    assert resolved.status is ConflictStatus.retried
    assert device.state is State.wiped


def test_tampering_with_history_is_detected(session: Session, tenant: Tenant) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.refurbished)
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER device_event_no_update"))
    else:
        session.execute(
            text("ALTER TABLE device_event DISABLE TRIGGER device_event_append_only")
        )
    session.execute(
        text("UPDATE device_event SET payload = :p WHERE device_id = :d AND seq = 6"),
        {
            "p": '{"grade": "A", "os": "x"}',
            "d": device.id.hex
            if session.get_bind().dialect.name == "sqlite"
            else device.id,
        },
    )
    session.expire_all()
    check = service.verify_chain(
        session, principal(session, tenant.users[Role.coordinator]), device.asset_tag
    )
    assert not check.valid
    assert check.first_invalid_seq == 6


def test_event_log_refuses_update_and_delete(session: Session, tenant: Tenant) -> None:
    device = register(session, tenant)
    session.flush()
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE device_event SET seq = 9"))
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("DELETE FROM device_event"))
    assert len(events_of(session, device.id)) == 1


def test_pupil_reference_hidden_from_other_viewers(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.handed_over)
    collector = principal(session, tenant.users[Role.collector])  # registered it
    redacted = service.device_events(session, collector, device.asset_tag)[-1]
    assert redacted.payload["pupil_ref"] == "***"
    school = principal(session, tenant.users[Role.school_staff])
    assert (
        service.device_events(session, school, device.asset_tag)[-1].payload[
            "pupil_ref"
        ]
        == "ELV-2026-017"
    )
    stored = events_of(session, device.id)[-1]
    assert stored.payload["pupil_ref"] == "ELV-2026-017"


def test_csv_import_is_all_or_nothing(session: Session, tenant: Tenant) -> None:
    from banques.errors import Invalid

    tech = principal(session, tenant.users[Role.technician])
    good = (
        "category;brand;model;serial\n"
        "laptop;Dell;Latitude 5490;ABC1\ndesktop;HP;800 G3;ABC2\n"
    )
    devices = service.import_csv(session, tech, good.encode())
    assert [d.serial for d in devices] == ["ABC1", "ABC2"]
    bad = "category,brand,model\nlaptop,Dell,Latitude\ntoaster,Moulinex,X\n"
    with pytest.raises(Invalid) as info:
        service.import_csv(session, tech, bad.encode())
    assert info.value.extensions["errors"] == [{"line": 3, "fields": ["category"]}]
    rows, _ = service.list_devices(session, tech, limit=100, cursor=None)
    assert len(rows) == 2


def test_nwipe_report_is_matched_to_its_medium(
    session: Session, tenant: Tenant
) -> None:
    import json

    device = register(session, tenant)
    walk(session, tenant, device, State.diagnosed)
    tech = principal(session, tenant.users[Role.technician])
    content = json.dumps(
        {
            "report_metadata": {
                "generated_at": "2026-11-02",
                "software": "nwipe",
                "version": "0.37",
            },
            "organization": {"business_name": "Atelier"},
            "device": {
                "name": "/dev/nvme0n1",
                "model": "WD SN520",
                "serial_no": SERIAL,
                "size_bytes": 256060514304,
            },
            "wipe_result": {
                "status": "success",
                "rounds_requested": 1,
                "pass_errors": 0,
                "verify_errors": 0,
                "start_time": 1762070400,
                "end_time": 1762072800,
            },
        }
    ).encode()
    report = service.upload_erasure_report(
        session, tech, filename="nwipe_report.json", content=content
    )
    assert len(report.sha256) == 64
    assert report.medium_serial == SERIAL
    payload = payload_for(State.wiped, tenant)
    payload["records"][0]["report_id"] = str(report.id)
    service.apply_scan(
        session, tech, scan(State.wiped, tenant, device.asset_tag, payload=payload)
    )
    assert device.state is State.wiped


def test_allocation_modes_are_those_of_the_hand_over_attestation() -> None:
    assert {m.value for m in AllocationMode} == {m.value for m in Printed}


def test_scans_dated_beyond_a_day_ahead_are_refused(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    collector = principal(session, tenant.users[Role.collector])
    item = scan(State.collected, tenant, device.asset_tag).model_dump(mode="json")
    item["occurred_at"] = (utcnow() + timedelta(days=2)).isoformat()
    (outcome,) = service.apply_batch(session, collector, [item])
    assert outcome.outcome.status is ItemStatus.rejected
    (conflict,) = session.exec(select(ScanConflict)).all()
    assert conflict.reason_code == "invalid"
    assert device.state is State.registered


def test_the_catch_up_skips_the_scans_of_a_closed_account(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.received)
    leaver_user = make_user(session, tenant.orgs["association"], Role.technician)
    leaver = principal(session, leaver_user)
    at = T0 + timedelta(hours=2)
    wiped = scan(State.wiped, tenant, device.asset_tag, at=at + timedelta(minutes=10))
    assert _batch(session, leaver, wiped) == ["rejected"]
    leaver_user.is_active = False
    session.add(leaver_user)
    tech = principal(session, tenant.users[Role.technician])
    diagnosed = scan(State.diagnosed, tenant, device.asset_tag, at=at)
    assert _batch(session, tech, diagnosed) == ["applied"]
    assert device.state is State.diagnosed  # the closed account's scan waits
    (conflict,) = session.exec(select(ScanConflict)).all()
    assert conflict.status is ConflictStatus.open
    coordinator = principal(session, tenant.users[Role.coordinator])
    with pytest.raises(Invalid, match="désactivé"):
        service.resolve_conflict(
            session, coordinator, conflict.id, action=ConflictAction.retry, note=None
        )
