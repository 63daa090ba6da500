"""Documents use cases: asset labels, blank labels, erasure certificates (and bundles).

The only caller of ``labels`` (DESIGN.md §3). Every function checks the caller's
permission and the visibility of what it prints through ``devices.service``, builds
the library's plain data and returns bytes (or ZPL text) with a file name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlmodel import Session

from banques.accounts.models import Bank, Organisation
from banques.accounts.permissions import Action, Principal, Scope, authorize
from banques.devices import service as devices
from banques.devices.lifecycle import State
from banques.devices.models import Category, Device, DeviceEvent, ErasureReport
from banques.devices.schemas import ErasureRecordIn
from banques.documents import jobs
from banques.documents.models import PrintJob
from banques.documents.rendering import PDF, Document, render_labels
from banques.documents.schemas import (
    MAX_LABELS,
    BlankLabelsRequest,
    DeviceFilter,
    LabelsRequest,
    PrintOptions,
)
from banques.errors import Conflict, Invalid, NotFound
from banques.sqltypes import utcnow
from labels import (
    TEMPLATES,
    AssetLabel,
    ErasedMedium,
    ErasureBundle,
    ErasureCertificate,
    InvalidAssetCode,
    Person,
    SanitizationMethod,
    Verification,
    calibration_pdf,
    device_url,
    erasure_bundle_pdf,
    erasure_certificate_pdf,
    get_template,
    tag_from_scan,
)

MAX_BUNDLE = 200

CATEGORY_FR = {
    Category.laptop: "Ordinateur portable",
    Category.desktop: "Ordinateur fixe",
    Category.tablet: "Tablette",
    Category.screen: "Écran",
    Category.other: "Autre",
}

MEDIUM_TYPE_FR = {
    "hdd": "HDD",
    "ssd": "SSD",
    "nvme": "SSD NVMe",
    "emmc": "eMMC",
    "other": "autre",
}


class ErasureMissing(Conflict):
    code = "erasure-missing"
    title = "Effacement non enregistré"


# --- asset labels -----------------------------------------------------------------


def _canonical(text: str) -> str:
    try:
        return tag_from_scan(text)
    except InvalidAssetCode as exc:
        raise Invalid(
            f"Étiquette illisible ou mal saisie : « {text[:64]} ».",
            asset_tag=text[:64],
        ) from exc


def _device_label(device: Device, bank: Bank) -> AssetLabel:
    return AssetLabel(
        device.asset_tag,
        bank.short_name,
        CATEGORY_FR[Category(device.category)],
        f"{device.brand} {device.model}",
    )


def _deliver(
    session: Session,
    principal: Principal,
    labels: list[AssetLabel],
    options: PrintOptions,
    *,
    base_url: str,
    stem: str,
) -> Document | PrintJob:
    """One sheet's worth is rendered now; more is queued as a print job."""
    if len(labels) <= jobs.SYNC_LABELS:
        return render_labels(labels, options, base_url=base_url, stem=stem)
    return jobs.enqueue(session, principal, labels, options, stem=stem)


def _banks(session: Session, bank_ids: Iterable[Any]) -> dict[Any, Bank]:
    banks = {}
    for bank_id in set(bank_ids):
        bank = session.get(Bank, bank_id)
        assert bank is not None
        banks[bank_id] = bank
    return banks


def _filtered_devices(
    session: Session, principal: Principal, criteria: DeviceFilter
) -> list[Device]:
    """Every visible device matching the filter, by tag; at most MAX_LABELS."""
    found: list[Device] = []
    cursor: str | None = None
    while True:
        page, cursor = devices.list_devices(
            session,
            principal,
            limit=1000,
            cursor=cursor,
            state=criteria.state,
            category=criteria.category,
            custodian_id=criteria.custodian_id,
            grade=criteria.grade,
        )
        found += page
        if len(found) > MAX_LABELS:
            raise Invalid(
                f"Plus de {MAX_LABELS} appareils correspondent à ce filtre : "
                "affinez-le ou imprimez en plusieurs fois."
            )
        if cursor is None:
            break
    if not found:
        raise Invalid("Aucun appareil ne correspond à ce filtre.")
    return sorted(found, key=lambda d: d.asset_tag)


def device_labels(
    session: Session, principal: Principal, request: LabelsRequest, *, base_url: str
) -> Document | PrintJob:
    """Labels for visible devices (or the caller's unused blank tags, reprinted).

    One label per entry, in the order given. If any tag is unknown or not the
    caller's to see, the whole request is answered 404 and nothing is rendered.
    """
    authorize(principal, Action.label_print)
    if request.filter is not None:
        found = _filtered_devices(session, principal, request.filter)
        banks = _banks(session, (d.bank_id for d in found))
        labels = [_device_label(d, banks[d.bank_id]) for d in found]
        return _deliver(
            session, principal, labels, request, base_url=base_url, stem="etiquettes"
        )
    assert request.asset_tags is not None
    tags = [_canonical(t) for t in request.asset_tags]
    by_tag = {d.asset_tag: d for d in devices.get_devices(session, principal, tags)}
    missing = [t for t in tags if t not in by_tag]
    blanks = {b.tag: b for b in devices.get_blank_tags(session, principal, missing)}
    hidden = [t for t in missing if t not in blanks]
    if hidden:
        # One message whatever the reason (unknown, another organisation's, another
        # bank's): existence does not leak.
        raise NotFound(f"Étiquette introuvable : {hidden[0]}.", asset_tag=hidden[0])
    banks = _banks(
        session,
        [d.bank_id for d in by_tag.values()] + [b.bank_id for b in blanks.values()],
    )
    labels = [
        _device_label(by_tag[t], banks[by_tag[t].bank_id])
        if t in by_tag
        else AssetLabel(t, banks[blanks[t].bank_id].short_name)
        for t in tags
    ]
    return _deliver(
        session, principal, labels, request, base_url=base_url, stem="etiquettes"
    )


def blank_labels(
    session: Session,
    principal: Principal,
    request: BlankLabelsRequest,
    *,
    base_url: str,
) -> Document | PrintJob:
    """Reserve ``count`` new blank tags and render them. The caller's transaction
    holds both: if rendering fails, the reservation is rolled back."""
    authorize(principal, Action.label_print)
    tags = devices.allocate_blank_tags(session, principal, request.count)
    bank = session.get(Bank, principal.bank_id)
    assert bank is not None
    labels = [AssetLabel(tag, bank.short_name) for tag in tags]
    stem = f"etiquettes-vierges-{tags[0]}" + (f"-a-{tags[-1]}" if len(tags) > 1 else "")
    return _deliver(session, principal, labels, request, base_url=base_url, stem=stem)


def calibration(template: str) -> Document:
    """The calibration page of a template (no data: any signed-in user)."""
    try:
        tpl = get_template(template)
    except ValueError as exc:
        raise Invalid(
            f"Modèle inconnu « {template[:20]} » (connus : {', '.join(TEMPLATES)})."
        ) from exc
    return Document(calibration_pdf(tpl), PDF, f"calibrage-{tpl.name}.pdf")


# --- erasure certificate ------------------------------------------------------------


def _latest_erasure(
    session: Session, principal: Principal, device: Device
) -> DeviceEvent:
    """The ``wiped`` event of the device's current workshop cycle; 409 without."""
    events = devices.device_events(session, principal, device.asset_tag)
    wiped = [e for e in events if State(e.to_state) is State.wiped]
    if not wiped:
        raise ErasureMissing(
            f"Aucun effacement n'est enregistré pour l'appareil {device.asset_tag} : "
            "pas de certificat d'effacement."
        )
    latest = wiped[-1]
    re_entered = any(
        State(e.to_state) is State.received and e.seq > latest.seq for e in events
    )
    if re_entered or not device.erasure_verified:
        raise ErasureMissing(
            f"L'appareil {device.asset_tag} est revenu à l'atelier depuis son dernier "
            "effacement : le nouvel effacement n'est pas encore enregistré."
        )
    return latest


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    return devices.as_utc(value).astimezone(zone)


def _medium(
    session: Session,
    device: Device,
    record: ErasureRecordIn,
    zone: ZoneInfo,
) -> ErasedMedium:
    declared: dict[str, Any] = next(
        (
            m
            for m in (device.specs or {}).get("media", [])
            if str(m.get("serial", "")).strip().upper()
            == record.medium_serial.strip().upper()
        ),
        {},
    )
    report = session.get(ErasureReport, record.report_id) if record.report_id else None
    if report is not None and report.bank_id != device.bank_id:
        report = None
    kind = record.medium_type.value if record.medium_type else declared.get("type")
    size_gb = declared.get("size_gb")
    if size_gb is None and report is not None and report.size_bytes:
        size_gb = report.size_bytes / 1e9
    technique = (
        f"selon le rapport {report.filename} ({report.status})"
        if report is not None
        else "selon l'outil indiqué"
    )
    verification = (record.verification_method or "").strip().lower()
    return ErasedMedium(
        media_type=MEDIUM_TYPE_FR.get(str(kind), "non renseigné"),
        manufacturer="",
        model=record.medium_model
        or declared.get("model")
        or (report.medium_model if report else "")
        or "non renseigné",
        serial=record.medium_serial,
        capacity=f"{size_gb:.0f} Go" if size_gb else "non renseignée",
        method=SanitizationMethod(record.method.value),
        technique=technique,
        tool=record.tool,
        tool_version=record.tool_version,
        # Unknown verification methods are printed as the weaker claim (sample).
        verification=Verification.FULL
        if verification in ("full", "complete", "complète", "totale")
        else Verification.SAMPLE,
        verified=record.verification_passed,
        started_at=_local(record.started_at, zone),
        ended_at=_local(record.ended_at, zone),
        report_sha256=report.sha256 if report is not None else None,
    )


def _certificate(
    session: Session,
    device: Device,
    event: DeviceEvent,
    *,
    base_url: str,
) -> ErasureCertificate:
    records = [ErasureRecordIn.model_validate(r) for r in event.payload["records"]]
    bank = session.get(Bank, device.bank_id)
    workshop = session.get(Organisation, event.organisation_id)
    assert bank is not None
    assert workshop is not None
    zone = ZoneInfo(bank.time_zone)
    operators = list(dict.fromkeys(r.operator for r in records))
    return ErasureCertificate(
        number=f"{device.asset_tag}/E{event.seq}-{event.hash[:8].upper()}",
        bank=bank.name,
        organisation=workshop.name,
        organisation_address=workshop.address or "adresse non renseignée",
        location=workshop.address or workshop.name,
        device_tag=device.asset_tag,
        device_category=CATEGORY_FR[Category(device.category)],
        device_model=f"{device.brand} {device.model}",
        device_serial=device.serial or "non renseigné",
        media=tuple(_medium(session, device, r, zone) for r in records),
        operator=Person(", ".join(operators)),
        issued_at=_local(event.recorded_at, zone),
        verify_url=device_url(base_url, device.asset_tag),
        donation_ref=device.donation_ref,
    )


def erasure_certificate(
    session: Session, principal: Principal, tag: str, *, base_url: str
) -> Document:
    """The certificat d'effacement of a visible device, from its latest ``wiped``
    event. Its number ``<tag>/E<seq>-<hash>`` names that event in the hash-chained
    history; its QR code opens the device's page (the label's URL)."""
    device = devices.get_device(session, principal, tag)
    event = _latest_erasure(session, principal, device)
    cert = _certificate(session, device, event, base_url=base_url)
    return Document(
        erasure_certificate_pdf(cert),
        PDF,
        f"certificat-effacement-{device.asset_tag}.pdf",
    )


def erasure_bundle(
    session: Session,
    principal: Principal,
    donation_ref: str,
    *,
    base_url: str,
    now: datetime | None = None,
) -> Document:
    """A donation's certificates behind a summary page, for its donor.

    For the bank's coordinators (and admins) and for the organisation that
    registered the donation's devices; others get 404. Devices not erased yet are
    left out; recycled ones are listed on the summary page.
    """
    authorize(principal, Action.device_read)
    found: list[Device] = []
    cursor: str | None = None
    while True:
        page, cursor = devices.list_devices(
            session, principal, limit=100, cursor=cursor, donation_ref=donation_ref
        )
        found += [
            d
            for d in page
            if principal.scope is not Scope.organisation
            or d.registered_by_id == principal.organisation_id
        ]
        if len(found) > MAX_BUNDLE:
            raise Invalid(
                f"Ce don compte plus de {MAX_BUNDLE} appareils : téléchargez les "
                "certificats appareil par appareil."
            )
        if cursor is None:
            break
    if not found:
        raise NotFound(f"Don introuvable : « {donation_ref} ».")
    found.sort(key=lambda d: d.asset_tag)
    certificates = []
    for device in found:
        try:
            event = _latest_erasure(session, principal, device)
        except ErasureMissing:
            continue
        certificates.append(_certificate(session, device, event, base_url=base_url))
    recycled = tuple(d.asset_tag for d in found if State(d.state) is State.recycled)
    if not certificates:
        raise ErasureMissing(
            f"Aucun appareil du don « {donation_ref} » n'a encore d'effacement "
            "enregistré."
        )
    bank = session.get(Bank, found[0].bank_id)
    assert bank is not None
    bundle = ErasureBundle(
        bank=bank.name,
        donor="non renseigné",
        donation_ref=donation_ref,
        issued_at=_local(now or utcnow(), ZoneInfo(bank.time_zone)),
        verify_url=base_url.rstrip("/")
        + "/api/v1/documents/erasure-certificates.pdf?"
        + urlencode({"donation_ref": donation_ref}),
        certificates=tuple(certificates),
        recycled=recycled,
    )
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", donation_ref).strip("-")[:40] or "don"
    return Document(
        erasure_bundle_pdf(bundle), PDF, f"certificats-effacement-don-{safe}.pdf"
    )
