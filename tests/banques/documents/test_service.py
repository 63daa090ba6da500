"""Documents at the service level: what is printed, for whom, and what is refused."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, select

from banques.accounts.models import Role
from banques.devices import service as devices
from banques.devices.lifecycle import State
from banques.devices.models import (
    AssetSequence,
    AssetTag,
    Category,
    Device,
    ErasureReport,
)
from banques.devices.schemas import DeviceCreate
from banques.documents import service
from banques.documents.models import PrintJob
from banques.documents.rendering import Document
from banques.documents.schemas import (
    BlankLabelsRequest,
    DeviceFilter,
    LabelsRequest,
)
from banques.errors import Forbidden, Invalid, NotFound
from labels import asset_code, device_url
from tests.banques.devices.helpers import (
    SERIAL,
    payload_for,
    principal,
    register,
    scan,
    walk,
)
from tests.banques.documents.helpers import BASE_URL, blank_cells, decode_cells
from tests.factories import Tenant, make_tenant
from tests.labels.conftest import decode_region as decode
from tests.labels.conftest import page_texts, render_pages


@pytest.fixture
def tenant(session: Session) -> Tenant:
    return make_tenant(session, "LYO")


@pytest.fixture
def other(session: Session) -> Tenant:
    return make_tenant(session, "MRS")


def at_once(result: Document | PrintJob) -> Document:
    """A run of one sheet or less is rendered at once."""
    assert isinstance(result, Document)
    return result


def labels(**fields: Any) -> LabelsRequest:
    return LabelsRequest.model_validate(fields)


def tag_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(AssetTag)).one())


# --- device labels ------------------------------------------------------------------


def test_labels_for_visible_devices_decode_to_their_urls_from_start(
    session: Session, tenant: Tenant
) -> None:
    found = [register(session, tenant, serial=f"S{i}") for i in range(3)]
    tags = [d.asset_tag for d in found]
    collector = principal(session, tenant.users[Role.collector])
    document = at_once(
        service.device_labels(
            session,
            collector,
            labels(asset_tags=[tags[2], tags[0], tags[1].lower()], start=7),
            base_url=BASE_URL,
        )
    )
    assert document.media_type == "application/pdf"
    assert document.filename == "etiquettes-L7651.pdf"
    (page,) = decode_cells(document.content, "L7651", 10)
    urls = [device_url(BASE_URL, t) for t in (tags[2], tags[0], tags[1])]
    assert page[6:9] == urls  # label k in cell start - 1 + k, in the order given
    assert page[:6] == [""] * 6
    assert page[9] == ""
    assert blank_cells(document.content, "L7651", range(6))


def test_labels_run_onto_new_pages_and_carry_bank_and_model(
    session: Session, tenant: Tenant
) -> None:
    found = [register(session, tenant, serial=f"S{i}") for i in range(3)]
    coordinator = principal(session, tenant.users[Role.coordinator])
    document = at_once(
        service.device_labels(
            session,
            coordinator,
            labels(asset_tags=[d.asset_tag for d in found], template="l7163", start=13),
            base_url=BASE_URL,
        )
    )
    first, second = decode_cells(document.content, "L7163", 14)
    assert first[12:] == [device_url(BASE_URL, d.asset_tag) for d in found[:2]]
    assert second[0] == device_url(BASE_URL, found[2].asset_tag)
    text = page_texts(document.content)[0]
    assert "LYO" in text
    assert found[0].asset_tag in text
    assert "Lenovo T480" in text


def test_a_single_hidden_tag_refuses_the_whole_request(
    session: Session, tenant: Tenant, other: Tenant
) -> None:
    mine = register(session, tenant, serial="MINE")
    theirs = register(session, other, serial="THEIRS")
    collector = principal(session, tenant.users[Role.collector])
    for hidden in (theirs.asset_tag, asset_code("LYO", 999), asset_code("MRS", 999)):
        with pytest.raises(NotFound) as info:
            service.device_labels(
                session,
                collector,
                labels(asset_tags=[mine.asset_tag, hidden]),
                base_url=BASE_URL,
            )
        assert info.value.detail.startswith("Étiquette introuvable")
    # Same bank, another association: not its device either (until it takes custody).
    technician = principal(session, tenant.users[Role.technician])
    with pytest.raises(NotFound):
        service.device_labels(
            session, technician, labels(asset_tags=[mine.asset_tag]), base_url=BASE_URL
        )


def test_an_unreadable_tag_is_bad_input(session: Session, tenant: Tenant) -> None:
    collector = principal(session, tenant.users[Role.collector])
    with pytest.raises(Invalid):
        service.device_labels(
            session, collector, labels(asset_tags=["NOT A TAG"]), base_url=BASE_URL
        )


def test_roles_without_label_printing_are_refused(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    for role in (Role.donor, Role.school_staff, Role.driver, Role.observer):
        with pytest.raises(Forbidden):
            service.device_labels(
                session,
                principal(session, tenant.users[role]),
                labels(asset_tags=[device.asset_tag]),
                base_url=BASE_URL,
            )


def test_labels_by_filter_are_the_visible_matching_devices_by_tag(
    session: Session, tenant: Tenant, other: Tenant
) -> None:
    found = [register(session, tenant, serial=f"S{i}") for i in range(3)]
    register(session, other, serial="OTHER")
    walk(session, tenant, found[1], State.collected)
    collector = principal(session, tenant.users[Role.collector])
    document = at_once(
        service.device_labels(
            session,
            collector,
            labels(filter={"state": "registered"}, template="L7160"),
            base_url=BASE_URL,
        )
    )
    (page,) = decode_cells(document.content, "L7160", 3)
    expected = sorted(d.asset_tag for d in (found[0], found[2]))
    assert page == [device_url(BASE_URL, t) for t in expected] + [""]
    with pytest.raises(Invalid):
        service.device_labels(
            session,
            collector,
            labels(filter={"state": "handed_over"}),
            base_url=BASE_URL,
        )


def test_zpl_labels_carry_the_device_urls(session: Session, tenant: Tenant) -> None:
    found = [register(session, tenant, serial=f"S{i}") for i in range(2)]
    collector = principal(session, tenant.users[Role.collector])
    document = at_once(
        service.device_labels(
            session,
            collector,
            labels(
                asset_tags=[d.asset_tag for d in found],
                template="57X32",
                format="zpl",
                offset_mm=(1.0, -0.5),
            ),
            base_url=BASE_URL,
        )
    )
    assert document.media_type.startswith("text/plain")
    assert document.filename.endswith(".zpl")
    zpl = document.content.decode()
    assert zpl.count("^XA") == zpl.count("^XZ") == 2
    data = re.findall(r"\^FDMA,([^\^]+)\^FS", zpl)
    assert data == [device_url(BASE_URL, d.asset_tag) for d in found]
    assert "^LH8,-4" in zpl  # the offset, in dots at 8 dots/mm


# --- blank labels ---------------------------------------------------------------------


def test_blank_labels_allocate_then_reprint_without_allocating(
    session: Session, tenant: Tenant
) -> None:
    technician = principal(session, tenant.users[Role.technician])
    before = tag_count(session)
    document = at_once(
        service.blank_labels(
            session,
            technician,
            BlankLabelsRequest(count=3, template="L7160", start=2),
            base_url=BASE_URL,
        )
    )
    new = list(
        session.exec(
            select(AssetTag).where(
                AssetTag.organisation_id == technician.organisation_id
            )
        )
    )
    assert len(new) == 3 == tag_count(session) - before
    tags = sorted(t.tag for t in new)
    (page,) = decode_cells(document.content, "L7160", 5)
    assert page == [""] + [device_url(BASE_URL, t) for t in tags] + [""]
    assert document.filename == f"etiquettes-vierges-{tags[0]}-a-{tags[-1]}-L7160.pdf"

    sequence = session.get(AssetSequence, tenant.bank.id)
    assert sequence is not None
    next_number = sequence.next_number
    reprint = at_once(
        service.device_labels(
            session, technician, labels(asset_tags=tags[1:]), base_url=BASE_URL
        )
    )
    (page,) = decode_cells(reprint.content, "L7651", 3)
    assert page == [device_url(BASE_URL, t) for t in tags[1:]] + [""]
    assert tag_count(session) - before == 3
    assert sequence.next_number == next_number
    # Another association cannot reprint them; the bank's coordinator can.
    other_tech = principal(session, tenant.other_technician)
    with pytest.raises(NotFound):
        service.device_labels(
            session, other_tech, labels(asset_tags=tags[:1]), base_url=BASE_URL
        )
    coordinator = principal(session, tenant.users[Role.coordinator])
    service.device_labels(
        session, coordinator, labels(asset_tags=tags[:1]), base_url=BASE_URL
    )


def test_a_bound_blank_tag_prints_as_its_device(
    session: Session, tenant: Tenant
) -> None:
    technician = principal(session, tenant.users[Role.technician])
    (tag,) = devices.allocate_blank_tags(session, technician, 1)
    bound = scan(State.registered, tenant, tag).model_copy(
        update={
            "device": DeviceCreate(
                category=Category.tablet, brand="Apple", model="iPad"
            )
        }
    )
    devices.apply_scan(session, technician, bound)
    document = at_once(
        service.device_labels(
            session, technician, labels(asset_tags=[tag]), base_url=BASE_URL
        )
    )
    assert "Apple iPad" in page_texts(document.content)[0]


def test_blank_labels_need_label_printing(session: Session, tenant: Tenant) -> None:
    before = tag_count(session)
    with pytest.raises(Forbidden):
        service.blank_labels(
            session,
            principal(session, tenant.users[Role.driver]),
            BlankLabelsRequest(count=2),
            base_url=BASE_URL,
        )
    assert tag_count(session) == before


@pytest.mark.parametrize(
    "body",
    [
        {"count": 0},
        {"count": 1001},
        {"count": 1, "template": "L9999"},
        {"count": 1, "start": 0},
        {"count": 1, "start": 66},
        {"count": 1, "template": "L7160", "start": 22},
        {"count": 1, "format": "zpl"},  # ZPL on a sheet
        {"count": 1, "offset_mm": [11, 0]},
        {"count": 1, "dpmm": 7},
        {"count": 1, "org_id": "x"},
    ],
)
def test_bad_print_options_are_refused_by_the_schema(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        BlankLabelsRequest.model_validate(body)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"asset_tags": []},
        {"asset_tags": ["LYO-00001-X"] * 5001},
        {"asset_tags": ["LYO-00001-X"], "filter": {"state": "ready"}},
        {"filter": {}},
        {"filter": {"state": "nowhere"}},
        {"asset_tags": ["LYO-00001-X"], "count": 3},
    ],
)
def test_bad_selections_are_refused_by_the_schema(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        LabelsRequest.model_validate(body)


def test_filter_schema_accepts_one_criterion() -> None:
    assert DeviceFilter.model_validate({"category": "laptop"}).category == "laptop"


# --- erasure certificate ----------------------------------------------------------


def _nwipe_report(session: Session, tenant: Tenant) -> str:
    content = json.dumps(
        {
            "report_metadata": {"software": "nwipe", "version": "0.37"},
            "device": {
                "model": "WD SN520",
                "serial_no": SERIAL,
                "size_bytes": 256060514304,
            },
            "wipe_result": {
                "status": "success",
                "pass_errors": 0,
                "verify_errors": 0,
                "start_time": 1762070400,
                "end_time": 1762072800,
            },
        }
    ).encode()
    report = devices.upload_erasure_report(
        session,
        principal(session, tenant.users[Role.technician]),
        filename="nwipe.json",
        content=content,
    )
    return str(report.id)


def _wiped(session: Session, tenant: Tenant, *, report: bool = False) -> Device:
    device = register(session, tenant)
    walk(session, tenant, device, State.diagnosed)
    payload = payload_for(State.wiped, tenant)
    if report:
        payload["records"][0]["report_id"] = _nwipe_report(session, tenant)
    devices.apply_scan(
        session,
        principal(session, tenant.users[Role.technician]),
        scan(State.wiped, tenant, device.asset_tag, payload=payload),
    )
    return device


def test_erasure_certificate_carries_the_facts_and_the_device_qr(
    session: Session, tenant: Tenant
) -> None:
    device = _wiped(session, tenant, report=True)
    technician = principal(session, tenant.users[Role.technician])
    document = service.erasure_certificate(
        session, technician, device.asset_tag.lower(), base_url=BASE_URL
    )
    assert document.filename == f"certificat-effacement-{device.asset_tag}.pdf"
    text = " ".join(page_texts(document.content))
    for fact in (
        "Certificat d'effacement",
        device.asset_tag,
        "Lenovo T480",
        "SN-1",
        "Purge",
        "nwipe 0.37",
        SERIAL,
        "WD SN520",
        "256 Go",
        "Thomas T.",
        "2 novembre 2026 à 9 h 00 (UTC+01:00)",
        "2 novembre 2026 à 9 h 40 (UTC+01:00)",
        "vérification complète : réussie",
        tenant.orgs["association"].name,
    ):
        assert fact in text, fact
    (report,) = session.exec(select(ErasureReport)).all()
    assert report.sha256 in re.sub(r"\s", "", text)
    assert "selon le rapport nwipe.json (success)" in text
    (page, *_) = render_pages(document.content, 200)
    height_mm = page.shape[0] / 200 * 25.4
    width_mm = page.shape[1] / 200 * 25.4
    found = decode(page, 200, 0, 0, width_mm, height_mm)
    assert [f.text for f in found] == [device_url(BASE_URL, device.asset_tag)]


def test_erasure_certificate_number_names_the_wiped_event(
    session: Session, tenant: Tenant
) -> None:
    device = _wiped(session, tenant)
    coordinator = principal(session, tenant.users[Role.coordinator])
    events = devices.device_events(session, coordinator, device.asset_tag)
    wiped = next(e for e in events if e.to_state is State.wiped)
    document = service.erasure_certificate(
        session, coordinator, device.asset_tag, base_url=BASE_URL
    )
    number = f"{device.asset_tag}/E{wiped.seq}-{wiped.hash[:8].upper()}"
    assert number in " ".join(page_texts(document.content))


def test_no_certificate_without_erasure_409(session: Session, tenant: Tenant) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.diagnosed)
    technician = principal(session, tenant.users[Role.technician])
    with pytest.raises(service.ErasureMissing) as info:
        service.erasure_certificate(
            session, technician, device.asset_tag, base_url=BASE_URL
        )
    assert info.value.status_code == 409
    assert "Aucun effacement" in info.value.detail


def test_a_returned_device_needs_a_new_erasure(
    session: Session, tenant: Tenant
) -> None:
    device = register(session, tenant)
    walk(session, tenant, device, State.handed_over)
    school = principal(session, tenant.users[Role.school_staff])
    devices.apply_scan(session, school, scan(State.returned, tenant, device.asset_tag))
    technician = principal(session, tenant.users[Role.technician])
    devices.apply_scan(
        session, technician, scan(State.received, tenant, device.asset_tag)
    )
    with pytest.raises(service.ErasureMissing) as info:
        service.erasure_certificate(
            session, technician, device.asset_tag, base_url=BASE_URL
        )
    assert "revenu" in info.value.detail


def test_erasure_certificate_of_a_hidden_device_is_404(
    session: Session, tenant: Tenant, other: Tenant
) -> None:
    device = _wiped(session, tenant)
    for caller in (
        other.users[Role.coordinator],
        other.users[Role.technician],
        tenant.other_technician,
    ):
        with pytest.raises(NotFound):
            service.erasure_certificate(
                session, principal(session, caller), device.asset_tag, base_url=BASE_URL
            )


def test_calibration_page_and_unknown_template(session: Session) -> None:
    document = service.calibration("5160")
    assert document.filename == "calibrage-5160.pdf"
    assert "Calibrage 5160" in page_texts(document.content)[0]
    with pytest.raises(Invalid):
        service.calibration("L0000")
    assert session.exec(select(func.count()).select_from(Device)).one() == 0


# --- a donation's certificates -----------------------------------------------------


def _donation(session: Session, tenant: Tenant, ref: str, n: int) -> list[Device]:
    collector = principal(session, tenant.users[Role.collector])
    return devices.register_devices(
        session,
        collector,
        [
            DeviceCreate(
                category=Category.laptop,
                brand="Dell",
                model="Latitude 7490",
                serial=f"{ref}-{i}",
                donation_ref=ref,
            )
            for i in range(n)
        ],
    )


def test_donation_bundle_for_the_registering_organisation(
    session: Session, tenant: Tenant, other: Tenant
) -> None:
    wiped, recycled, pending = _donation(session, tenant, "DON-2026-001", 3)
    walk(session, tenant, wiped, State.wiped)
    walk(session, tenant, recycled, State.received)
    walk(session, tenant, pending, State.collected)
    technician = principal(session, tenant.users[Role.technician])
    devices.apply_scan(
        session, technician, scan(State.recycled, tenant, recycled.asset_tag)
    )
    _donation(session, tenant, "DON-2026-002", 1)

    collector = principal(session, tenant.users[Role.collector])
    document = service.erasure_bundle(
        session, collector, "DON-2026-001", base_url=BASE_URL
    )
    assert document.filename == "certificats-effacement-don-DON-2026-001.pdf"
    cover, certificate = page_texts(document.content)
    assert "Don n° DON-2026-001" in cover
    assert wiped.asset_tag in cover
    assert recycled.asset_tag in cover  # listed as recycled
    assert pending.asset_tag not in cover + certificate
    assert "Certificat d'effacement" in certificate
    assert SERIAL in certificate
    coordinator = principal(session, tenant.users[Role.coordinator])
    service.erasure_bundle(session, coordinator, "DON-2026-001", base_url=BASE_URL)

    # The workshop holds the device but did not register the donation: 404, as for
    # another bank's coordinator and an unknown donation.
    for caller, ref in (
        (technician, "DON-2026-001"),
        (principal(session, other.users[Role.coordinator]), "DON-2026-001"),
        (collector, "DON-1999-999"),
    ):
        with pytest.raises(NotFound):
            service.erasure_bundle(session, caller, ref, base_url=BASE_URL)
    with pytest.raises(service.ErasureMissing):
        service.erasure_bundle(session, collector, "DON-2026-002", base_url=BASE_URL)
