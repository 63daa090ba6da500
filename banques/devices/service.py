"""Devices use cases: registration, asset tags, scans (live and batched), history.

``apply`` is the single writer of device events. Every scan is validated completely
(tag, visibility, lifecycle table, role, custody, payload, guards) before anything is
written, so a rejected scan writes nothing but, in a batch, its conflict record.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import BindParameter, bindparam, literal, union_all, update
from sqlmodel import Session, col, select

from banques.accounts.models import Bank, Organisation, OrganisationKind, Role, User
from banques.accounts.permissions import (
    Action,
    Principal,
    Scope,
    authorize,
    scope_clause,
)
from banques.devices import nwipe
from banques.devices.lifecycle import (
    OUTSIDE_WORKSHOP,
    Custody,
    IllegalTransition,
    State,
    Transition,
    transition_to,
)
from banques.devices.models import (
    AssetSequence,
    AssetTag,
    ConflictStatus,
    Device,
    DeviceEvent,
    ErasureReport,
    Grade,
    ScanConflict,
)
from banques.devices.schemas import (
    MAX_CLOCK_AHEAD,
    PAYLOADS,
    AllocatedPayload,
    ConflictAction,
    DeliveredPayload,
    DeviceCreate,
    ItemStatus,
    ScanIn,
    ScanResult,
    WipedPayload,
)
from banques.errors import BanqueError, Invalid, NotFound
from banques.pagination import keyset_page
from banques.schools.models import School
from banques.sqltypes import utcnow
from labels.codes import InvalidAssetCode, asset_code, tag_from_scan

GENESIS = "0" * 64


# --- errors -----------------------------------------------------------------


class ScanRejected(BanqueError):
    """A scan that cannot apply; ``code`` is the machine-readable reason."""

    title = "Scan refusé"

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail, reason_code=code)
        self.status_code = status
        self.code = f"scan-{code}"
        self.reason_code = code


def _rejected(status: int, code: str, detail: str) -> ScanRejected:
    return ScanRejected(status, code, detail)


# --- time and hashing ---------------------------------------------------------


def as_utc(value: datetime) -> datetime:
    """Aware UTC (SQLite returns naive datetimes, stored in UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _ts(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(data: Any) -> str:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def request_hash(scan: ScanIn) -> str:
    """What makes two scans with one event id "the same request"."""
    return _sha(
        canonical(
            {
                "asset_tag": scan.asset_tag,
                "to_state": scan.to_state.value,
                "occurred_at": _ts(scan.occurred_at),
                "payload": scan.payload,
                "device": scan.device.model_dump(mode="json") if scan.device else None,
            }
        )
    )


def event_hash(event: DeviceEvent) -> str:
    return _sha(
        canonical(
            {
                "device_id": str(event.device_id),
                "seq": event.seq,
                "from": event.from_state.value if event.from_state else None,
                "to": State(event.to_state).value,
                "organisation_id": str(event.organisation_id),
                "actor_id": str(event.actor_id),
                "custodian_id": str(event.custodian_id),
                "occurred_at": _ts(event.occurred_at),
                "recorded_at": _ts(event.recorded_at),
                "client_event_id": str(event.client_event_id),
                "request_hash": event.request_hash,
                "payload": event.payload,
                "prev_hash": event.prev_hash,
            }
        )
    )


# --- projection ---------------------------------------------------------------


@dataclass
class Projection:
    """What the device row holds, as a fold over its events."""

    state: State
    custodian_id: uuid.UUID
    version: int
    last_hash: str
    school_id: uuid.UUID | None = None
    grade: str | None = None
    specs: dict[str, Any] | None = None
    erasure_verified: bool = False


def fold(current: Projection | None, event: DeviceEvent) -> Projection:
    """The projection after one more event."""
    to = State(event.to_state)
    p = current or Projection(
        state=to, custodian_id=event.custodian_id, version=0, last_hash=GENESIS
    )
    p = Projection(**vars(p))
    p.state, p.custodian_id = to, event.custodian_id
    p.version, p.last_hash = event.seq, event.hash
    payload = event.payload
    if to is State.received:  # (re-)entering the workshop: everything is redone
        p.school_id, p.grade, p.specs, p.erasure_verified = None, None, None, False
    elif to is State.diagnosed:
        p.specs = dict(payload)
    elif to is State.wiped:
        p.erasure_verified = True
    elif to is State.refurbished:
        p.grade = payload["grade"]
    elif to is State.allocated:
        p.school_id = uuid.UUID(payload["school_id"])
    elif to is State.ready:
        p.school_id = None
    return p


def project(events: Iterable[DeviceEvent]) -> Projection | None:
    p: Projection | None = None
    for event in events:
        p = fold(p, event)
    return p


def _set_projection(device: Device, p: Projection) -> None:
    device.state = p.state
    device.custodian_id = p.custodian_id
    device.version = p.version
    device.last_hash = p.last_hash
    device.school_id = p.school_id
    device.grade = Grade(p.grade) if p.grade else None
    device.specs = p.specs
    device.erasure_verified = p.erasure_verified


def projection_of(device: Device) -> Projection:
    return Projection(
        state=State(device.state),
        custodian_id=device.custodian_id,
        version=device.version,
        last_hash=device.last_hash,
        school_id=device.school_id,
        grade=Grade(device.grade).value if device.grade else None,
        specs=device.specs,
        erasure_verified=device.erasure_verified,
    )


# --- visibility -----------------------------------------------------------------


def _device_clause(principal: Principal) -> Any:
    return scope_clause(
        principal,
        bank_col=Device.bank_id,
        organisation_cols=(Device.custodian_id, Device.registered_by_id),
    )


def _sees(principal: Principal, device: Device) -> bool:
    return principal.sees(
        bank_id=device.bank_id,
        organisation_ids=(device.custodian_id, device.registered_by_id),
    )


def _parse_tag(text: str) -> str:
    """The canonical tag of a typed tag or of a scanned label URL (…/D/LYO-…)."""
    try:
        return tag_from_scan(text)
    except InvalidAssetCode as exc:
        raise _rejected(
            422, "bad-tag", f"Étiquette illisible ou mal saisie : « {text} »."
        ) from exc


def get_device(session: Session, principal: Principal, tag_or_serial: str) -> Device:
    """A visible device by asset tag (or manufacturer serial); 404 otherwise."""
    authorize(principal, Action.device_read)
    query = select(Device).where(_device_clause(principal))
    try:
        tag = _parse_tag(tag_or_serial)
        query = query.where(Device.asset_tag == tag)
    except ScanRejected:
        query = query.where(Device.serial == tag_or_serial.strip())
    device = session.exec(query).first()
    if device is None:
        raise NotFound("Appareil introuvable.")
    return device


def list_devices(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None,
    state: State | None = None,
    category: str | None = None,
    custodian_id: uuid.UUID | None = None,
    grade: str | None = None,
    serial: str | None = None,
    donation_ref: str | None = None,
) -> tuple[list[Device], str | None]:
    authorize(principal, Action.device_read)
    query = select(Device).where(_device_clause(principal))
    filters = {
        Device.state: state,
        Device.category: category,
        Device.custodian_id: custodian_id,
        Device.grade: grade,
        Device.serial: serial,
        Device.donation_ref: donation_ref,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    return keyset_page(session, query, Device.id, limit=limit, cursor=cursor)


def get_devices(
    session: Session, principal: Principal, tags: Iterable[str]
) -> list[Device]:
    """The visible devices among canonical asset ``tags`` (unknown or hidden ones
    are simply absent), in no particular order."""
    authorize(principal, Action.device_read)
    wanted = sorted(set(tags))
    found: list[Device] = []
    for i in range(0, len(wanted), 500):
        found += session.exec(
            select(Device).where(
                _device_clause(principal),
                col(Device.asset_tag).in_(wanted[i : i + 500]),
            )
        )
    return found


def get_blank_tags(
    session: Session, principal: Principal, tags: Iterable[str]
) -> list[AssetTag]:
    """The caller's pre-printed tags among ``tags`` that no device uses yet (for a
    reprint): their organisation's, or the bank's for coordinators."""
    wanted = sorted(set(tags))
    found: list[AssetTag] = []
    for i in range(0, len(wanted), 500):
        found += session.exec(
            select(AssetTag).where(
                col(AssetTag.tag).in_(wanted[i : i + 500]),
                col(AssetTag.device_id).is_(None),
                scope_clause(
                    principal,
                    bank_col=AssetTag.bank_id,
                    organisation_cols=(AssetTag.organisation_id,),
                ),
            )
        )
    return found


PUPIL_FIELDS = frozenset({"pupil_ref"})


def device_events(
    session: Session, principal: Principal, tag: str
) -> list[DeviceEvent]:
    """The device's history; pupil references only for its school and coordinators."""
    device = get_device(session, principal, tag)
    events = list(
        session.exec(
            select(DeviceEvent)
            .where(DeviceEvent.device_id == device.id)
            .order_by(col(DeviceEvent.seq))
        )
    )
    may_see_pupils = principal.scope is not Scope.organisation or (
        principal.organisation_kind is OrganisationKind.school
        and principal.organisation_id == device.custodian_id
    )
    if not may_see_pupils:
        for event in events:
            if PUPIL_FIELDS & event.payload.keys():
                session.expunge(event)
                event.payload = {
                    k: ("***" if k in PUPIL_FIELDS else v)
                    for k, v in event.payload.items()
                }
    return events


@dataclass(frozen=True)
class ChainCheck:
    events: int
    valid: bool
    first_invalid_seq: int | None
    detail: str


def verify_chain(session: Session, principal: Principal, tag: str) -> ChainCheck:
    """Recompute the hash chain and the projection of one device."""
    device = get_device(session, principal, tag)
    events = list(
        session.exec(
            select(DeviceEvent)
            .where(DeviceEvent.device_id == device.id)
            .order_by(col(DeviceEvent.seq))
        )
    )
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return ChainCheck(len(events), False, event.seq, "numérotation rompue")
        if event.prev_hash != prev or event_hash(event) != event.hash:
            return ChainCheck(len(events), False, event.seq, "empreinte invalide")
        prev = event.hash
    if project(events) != projection_of(device):
        return ChainCheck(
            len(events),
            False,
            None,
            "l'état de l'appareil ne correspond pas à son journal",
        )
    return ChainCheck(len(events), True, None, "journal intègre")


# --- asset tags and registration ------------------------------------------------


def _allocate_numbers(session: Session, bank_id: uuid.UUID, count: int) -> range:
    """Reserve ``count`` consecutive asset numbers of a bank (never reused)."""
    end = session.execute(
        update(AssetSequence)
        .where(col(AssetSequence.bank_id) == bank_id)
        .values(next_number=col(AssetSequence.next_number) + count)
        .returning(col(AssetSequence.next_number))
    ).scalar_one_or_none()
    if end is None:
        session.add(AssetSequence(bank_id=bank_id, next_number=1 + count))
        session.flush()
        end = 1 + count
    return range(end - count, end)


def _bank_code(session: Session, bank_id: uuid.UUID) -> str:
    bank = session.get(Bank, bank_id)
    assert bank is not None
    return bank.code


def allocate_blank_tags(
    session: Session, principal: Principal, count: int
) -> list[str]:
    """Tags for pre-printed labels, bound to a device at its first scan."""
    authorize(principal, Action.label_print)
    prefix = _bank_code(session, principal.bank_id)
    rows = [
        AssetTag(
            tag=asset_code(prefix, number),
            bank_id=principal.bank_id,
            number=number,
            organisation_id=principal.organisation_id,
        )
        for number in _allocate_numbers(session, principal.bank_id, count)
    ]
    session.add_all(rows)
    session.flush()
    return [row.tag for row in rows]


def register_devices(
    session: Session,
    principal: Principal,
    items: Sequence[DeviceCreate],
    *,
    now: datetime | None = None,
) -> list[Device]:
    """Register devices at intake: allocate their tags, record ``registered``."""
    authorize(principal, Action.device_register)
    now = now or utcnow()
    prefix = _bank_code(session, principal.bank_id)
    numbers = _allocate_numbers(session, principal.bank_id, len(items))
    tags = [
        AssetTag(
            tag=asset_code(prefix, number),
            bank_id=principal.bank_id,
            number=number,
            organisation_id=principal.organisation_id,
        )
        for number in numbers
    ]
    pairs = [(tag, data, uuid.uuid4()) for tag, data in zip(tags, items, strict=True)]
    devices = [d for d, _ in _create_devices(session, principal, pairs, now=now)]
    session.flush()
    return devices


def _create_devices(
    session: Session,
    principal: Principal,
    pairs: Sequence[tuple[AssetTag, DeviceCreate, uuid.UUID]],
    *,
    now: datetime,
    occurred_at: datetime | None = None,
    req_hash: str = "",
) -> list[tuple[Device, DeviceEvent]]:
    """New devices in ``registered``, bound to their tags, with their first event."""
    devices = [
        Device(
            bank_id=tag.bank_id,
            asset_tag=tag.tag,
            registered_by_id=principal.organisation_id,
            state=State.registered,
            custodian_id=principal.organisation_id,
            last_hash=GENESIS,
            created_at=now,
            updated_at=now,
            **data.model_dump(),
        )
        for tag, data, _ in pairs
    ]
    session.add_all(devices)
    session.flush()  # devices first: tags and events refer to them
    created = []
    for device, (tag, _, event_id) in zip(devices, pairs, strict=True):
        tag.device_id = device.id
        session.add(tag)
        event = _append(
            session,
            principal,
            device,
            to=State.registered,
            custodian_id=principal.organisation_id,
            payload={},
            event_id=event_id,
            occurred_at=occurred_at or now,
            now=now,
            req_hash=req_hash or _sha(str(event_id)),
        )
        created.append((device, event))
    return created


def import_csv(session: Session, principal: Principal, content: bytes) -> list[Device]:
    """Register every row of a CSV (category,brand,model,serial,donation_ref); all
    rows or none."""
    authorize(principal, Action.device_register)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid("Le fichier CSV doit être encodé en UTF-8.") from exc
    sample = text[:2048]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    required = {"category", "brand", "model"}
    header = {h.strip().lower() for h in reader.fieldnames or []}
    if not required <= header:
        raise Invalid(
            "Colonnes attendues : category, brand, model (serial, donation_ref "
            f"facultatives). Reçu : {', '.join(sorted(header)) or 'rien'}."
        )
    items: list[DeviceCreate] = []
    errors: list[dict[str, Any]] = []
    for line, row in enumerate(reader, start=2):
        clean = {
            (k or "").strip().lower(): (v or "").strip() or None for k, v in row.items()
        }
        data = {
            k: clean.get(k)
            for k in ("category", "brand", "model", "serial", "donation_ref")
        }
        try:
            items.append(DeviceCreate.model_validate(data))
        except ValidationError as exc:
            errors.append(
                {
                    "line": line,
                    "fields": [".".join(map(str, e["loc"])) for e in exc.errors()],
                }
            )
        if line > 5001:
            raise Invalid("5 000 lignes au plus par import.")
    if errors:
        raise Invalid(
            f"{len(errors)} ligne(s) invalide(s) ; aucun appareil n'a été créé.",
            errors=errors[:100],
        )
    if not items:
        raise Invalid("Le fichier ne contient aucun appareil.")
    return register_devices(session, principal, items)


# --- erasure reports ------------------------------------------------------------


def upload_erasure_report(
    session: Session, principal: Principal, *, filename: str, content: bytes
) -> ErasureReport:
    authorize(principal, Action.scan_apply)
    try:
        parsed = nwipe.parse_nwipe(content)
    except nwipe.ReportError as exc:
        raise Invalid(f"Rapport nwipe illisible : {exc}.") from exc
    report = ErasureReport(
        bank_id=principal.bank_id,
        organisation_id=principal.organisation_id,
        uploaded_by_id=principal.user_id,
        filename=filename[:255] or "rapport.json",
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        software=parsed.software,
        software_version=parsed.version,
        medium_model=parsed.model,
        medium_serial=parsed.serial,
        size_bytes=parsed.size_bytes,
        status=parsed.status,
        verify_errors=parsed.verify_errors,
        pass_errors=parsed.pass_errors,
        started_at=parsed.started_at,
        ended_at=parsed.ended_at,
    )
    session.add(report)
    session.flush()
    return report


def get_erasure_report(
    session: Session, principal: Principal, report_id: uuid.UUID
) -> ErasureReport:
    report = session.get(ErasureReport, report_id)
    if report is None or not principal.sees(
        bank_id=report.bank_id, organisation_ids=(report.organisation_id,)
    ):
        raise NotFound("Rapport d'effacement introuvable.")
    return report


# --- scans ----------------------------------------------------------------------


@dataclass
class Outcome:
    status: ItemStatus
    result: ScanResult | None = None
    error: ScanRejected | None = None
    conflict_id: uuid.UUID | None = None


@dataclass
class _Context:
    """What a batch prefetches once: tags, devices, prior events and conflicts."""

    tags: dict[str, AssetTag] = field(default_factory=dict)
    devices: dict[uuid.UUID, Device] = field(default_factory=dict)
    events: dict[uuid.UUID, DeviceEvent] = field(default_factory=dict)
    conflicts: dict[uuid.UUID, ScanConflict] = field(default_factory=dict)
    schools: dict[uuid.UUID, School | None] = field(default_factory=dict)


# The scan path's statements, built once: building and cache-keying a statement
# costs more than executing it. Expanding IN parameters keep one compiled form
# for any number of values.
_TAGS: BindParameter[list[str]] = bindparam("tags", expanding=True)
_IDS: BindParameter[list[uuid.UUID]] = bindparam("ids", expanding=True)
_ORG: BindParameter[uuid.UUID] = bindparam("org")
# A bound tag and its device, both locked (FOR UPDATE without OF locks the rows of
# every table of an inner join), in tag order: the usual case, one statement.
_LOCK_BOUND = (
    select(AssetTag, Device)
    .join(Device, col(Device.id) == col(AssetTag.device_id))
    .where(col(AssetTag.tag).in_(_TAGS))
    .order_by(col(AssetTag.tag))
    .with_for_update()
)
# Tags without a device at the first statement (blank labels, typos).
_LOCK_TAGS = (
    select(AssetTag)
    .where(col(AssetTag.tag).in_(_TAGS))
    .order_by(col(AssetTag.tag))
    .with_for_update()
)
_LOCK_DEVICES = (
    select(Device)
    .where(col(Device.id).in_(_IDS))
    .order_by(col(Device.id))
    .with_for_update()
)
# Which event ids are already known, as events or as conflicts: new scans (the
# usual case) stop at this light query.
_KNOWN = union_all(
    select(literal("event"), DeviceEvent.client_event_id).where(
        DeviceEvent.organisation_id == _ORG,
        col(DeviceEvent.client_event_id).in_(_IDS),
    ),
    select(literal("conflict"), ScanConflict.client_event_id).where(
        ScanConflict.organisation_id == _ORG,
        col(ScanConflict.client_event_id).in_(_IDS),
    ),
)
_KNOWN_EVENTS = select(DeviceEvent).where(
    DeviceEvent.organisation_id == _ORG, col(DeviceEvent.client_event_id).in_(_IDS)
)
_KNOWN_CONFLICTS = select(ScanConflict).where(
    ScanConflict.organisation_id == _ORG,
    col(ScanConflict.client_event_id).in_(_IDS),
)


def _prefetch(
    session: Session, principal: Principal, scans: Sequence[ScanIn]
) -> _Context:
    """Lock the scanned tags and their devices, and load the events and conflicts
    already recorded under these event ids.

    Locks are taken in tag order: bound tags with their devices first, then the
    tags that had no device (rare: blank labels), then devices bound to those
    meanwhile. A transaction holding a device also holds its tag, so no two scans
    wait on each other in a cycle."""
    ctx = _Context()
    tags = set()
    for scan in scans:
        with contextlib.suppress(ScanRejected):
            tags.add(_parse_tag(scan.asset_tag))
    if tags:
        for tag, device in session.execute(_LOCK_BOUND, {"tags": sorted(tags)}):
            ctx.tags[tag.tag] = tag
            ctx.devices[device.id] = device
        missing = sorted(tags - ctx.tags.keys())
        if missing:
            for tag in session.scalars(_LOCK_TAGS, {"tags": missing}):
                ctx.tags[tag.tag] = tag
            bound = sorted(
                t.device_id
                for t in ctx.tags.values()
                if t.device_id and t.device_id not in ctx.devices
            )
            if bound:
                for device in session.scalars(_LOCK_DEVICES, {"ids": bound}):
                    ctx.devices[device.id] = device
    ids = list(dict.fromkeys(s.event_id for s in scans))
    if not ids:
        return ctx
    params = {"org": principal.organisation_id, "ids": ids}
    known = session.execute(_KNOWN, params).all()
    known_events = [i for kind, i in known if kind == "event"]
    known_conflicts = [i for kind, i in known if kind == "conflict"]
    if known_events:
        params["ids"] = known_events
        for event in session.scalars(_KNOWN_EVENTS, params):
            ctx.events[event.client_event_id] = event
    if known_conflicts:
        params["ids"] = known_conflicts
        for conflict in session.scalars(_KNOWN_CONFLICTS, params):
            ctx.conflicts[conflict.client_event_id] = conflict
    return ctx


def _result(event: DeviceEvent, tag: str) -> ScanResult:
    return ScanResult(
        event_id=event.client_event_id,
        asset_tag=tag,
        seq=event.seq,
        from_state=event.from_state,
        to_state=event.to_state,
        custodian_id=event.custodian_id,
        occurred_at=as_utc(event.occurred_at),
        recorded_at=as_utc(event.recorded_at),
        hash=event.hash,
    )


def apply_scan(
    session: Session, principal: Principal, scan: ScanIn, *, now: datetime | None = None
) -> tuple[ScanResult, bool]:
    """Apply one scan; returns (result, replayed). Raises ScanRejected."""
    authorize(principal, Action.scan_apply)
    now = now or utcnow()
    ctx = _prefetch(session, principal, [scan])
    outcome = _apply(session, principal, scan, ctx, now)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.result is not None
    conflict = ctx.conflicts.get(scan.event_id)
    if conflict is not None and conflict.status is ConflictStatus.open:
        _close_conflict(conflict, principal, ConflictStatus.retried, "appliqué", now)
    session.flush()
    return outcome.result, outcome.status is ItemStatus.duplicate


@dataclass(frozen=True)
class BatchOutcome:
    index: int
    event_id: uuid.UUID | None
    outcome: Outcome


def apply_batch(
    session: Session,
    principal: Principal,
    items: Sequence[dict[str, Any]],
    *,
    now: datetime | None = None,
) -> list[BatchOutcome]:
    """Apply an offline queue: per device in ``occurred_at`` order; one result per
    item, in the order sent. Rejected items are kept as conflicts."""
    authorize(principal, Action.scan_apply)
    now = now or utcnow()
    parsed: list[tuple[int, ScanIn]] = []
    results: dict[int, BatchOutcome] = {}
    for index, raw in enumerate(items):
        try:
            parsed.append((index, ScanIn.model_validate(raw)))
        except ValidationError as exc:
            error = _rejected(422, "invalid", _describe(exc))
            conflict = _record_invalid(session, principal, raw, error, now)
            results[index] = BatchOutcome(
                index,
                conflict.client_event_id if conflict else None,
                Outcome(
                    ItemStatus.rejected,
                    error=error,
                    conflict_id=conflict.id if conflict else None,
                ),
            )
    # The first occurrence of each event id in this batch: its request hash and
    # what became of it. A repeat is that same answer (duplicate, or the same
    # refusal), or "event-reused" if its content differs: one id, one scan.
    firsts: dict[uuid.UUID, tuple[str, Outcome]] = {}
    ctx = _prefetch(session, principal, [s for _, s in parsed])
    for index, scan in sorted(parsed, key=lambda p: (as_utc(p[1].occurred_at), p[0])):
        if scan.event_id in firsts:
            results[index] = BatchOutcome(
                index, scan.event_id, _repeat(scan, *firsts[scan.event_id], ctx)
            )
            continue
        outcome = _apply(session, principal, scan, ctx, now)
        firsts[scan.event_id] = (request_hash(scan), outcome)
        conflict = ctx.conflicts.get(scan.event_id)
        if outcome.error is not None and outcome.error.reason_code != "event-reused":
            conflict = _record_conflict(
                session, principal, scan, outcome.error, ctx, now
            )
            outcome.conflict_id = conflict.id
        elif (
            outcome.error is None
            and conflict
            and conflict.status is ConflictStatus.open
        ):
            _close_conflict(
                conflict, principal, ConflictStatus.retried, "appliqué", now
            )
        results[index] = BatchOutcome(index, scan.event_id, outcome)
    touched = {
        ctx.events[r.event_id].device_id
        for r in results.values()
        if r.event_id and r.outcome.status is ItemStatus.applied
    }
    applied = _catch_up(session, ctx, touched, now)
    for index, item in results.items():
        late = applied.get(item.event_id) if item.event_id else None
        if late is not None and item.outcome.status is ItemStatus.rejected:
            results[index] = BatchOutcome(index, item.event_id, late)
    session.flush()
    return [results[i] for i in range(len(items))]


# Open conflicts of these devices that occurred after the device's last event:
# scans that arrived before the one they follow (another phone's upload, a later
# piece of the same queue). Older conflicts are left to people, as are conflicts
# from another bank, conflicts whose event id has since been used by an applied
# scan, and conflicts dated beyond ``MAX_CLOCK_AHEAD`` from now (a phone's clock
# far ahead: such scans are now refused). Conflicts a person is resolving right
# now are skipped (SKIP LOCKED); at most ``_CATCH_UP_MAX`` are tried per batch.
_LATEST = (
    select(DeviceEvent.occurred_at)
    .where(
        col(DeviceEvent.device_id) == col(Device.id),
        col(DeviceEvent.seq) == col(Device.version),
    )
    .scalar_subquery()
)
_USED = (
    select(DeviceEvent.id)
    .where(
        col(DeviceEvent.organisation_id) == col(ScanConflict.organisation_id),
        col(DeviceEvent.client_event_id) == col(ScanConflict.client_event_id),
    )
    .exists()
)
_CATCH_UP_MAX = 200
_CATCH_UP = (
    select(ScanConflict)
    .join(Device, col(Device.asset_tag) == col(ScanConflict.asset_tag))
    .where(
        col(ScanConflict.status) == ConflictStatus.open,
        col(Device.id).in_(_IDS),
        col(ScanConflict.bank_id) == col(Device.bank_id),
        col(ScanConflict.occurred_at) >= _LATEST,
        col(ScanConflict.occurred_at) <= bindparam("horizon"),
        ~_USED,
    )
    .order_by(col(ScanConflict.occurred_at), col(ScanConflict.id))
    .limit(_CATCH_UP_MAX)
    .with_for_update(of=ScanConflict, skip_locked=True)
)


def _catch_up(
    session: Session, ctx: _Context, touched: set[uuid.UUID], now: datetime
) -> dict[uuid.UUID, Outcome]:
    """Retry, oldest first and as their senders, the open conflicts that this
    batch's scans may have unblocked; returns what applied, by event id."""
    applied: dict[uuid.UUID, Outcome] = {}
    if not touched:
        return applied
    session.flush()
    params = {"ids": sorted(touched), "horizon": now + MAX_CLOCK_AHEAD}
    for conflict in session.scalars(_CATCH_UP, params).all():
        try:
            scan = ScanIn.model_validate(conflict.scan)
        except ValidationError:
            continue  # a malformed item: only a person can dismiss it
        sender = _sender(session, conflict)
        if sender is None:
            continue  # its sender's account was closed: a person decides
        outcome = _apply(session, sender, scan, ctx, now)
        if outcome.status is ItemStatus.applied:
            _close_conflict(
                conflict, sender, ConflictStatus.retried, "appliqué à son tour", now
            )
            session.add(conflict)
            applied[conflict.client_event_id] = outcome
    return applied


def _repeat(scan: ScanIn, first_hash: str, first: Outcome, ctx: _Context) -> Outcome:
    """The answer to an event id sent a second time in the same batch."""
    if request_hash(scan) != first_hash:
        return Outcome(ItemStatus.rejected, error=_event_reused())
    if first.status is ItemStatus.rejected:
        return first
    event = ctx.events[scan.event_id]
    return Outcome(ItemStatus.duplicate, _result(event, _tag_of(ctx, event)))


def _tag_of(ctx: _Context, event: DeviceEvent) -> str:
    device = ctx.devices.get(event.device_id)
    return device.asset_tag if device else ""


def _event_reused() -> ScanRejected:
    return _rejected(
        422, "event-reused", "Cet identifiant de scan a déjà servi pour un autre scan."
    )


def _describe(exc: ValidationError) -> str:
    fields = ", ".join(".".join(map(str, e["loc"])) or "?" for e in exc.errors()[:5])
    return f"Scan mal formé (champs : {fields})."


def _apply(
    session: Session, principal: Principal, scan: ScanIn, ctx: _Context, now: datetime
) -> Outcome:
    """Validate everything, then write; a rejection writes nothing."""
    req_hash = request_hash(scan)
    prior = ctx.events.get(scan.event_id)
    if prior is not None:
        if prior.request_hash != req_hash:
            return Outcome(ItemStatus.rejected, error=_event_reused())
        device = ctx.devices.get(prior.device_id) or session.get(
            Device, prior.device_id
        )
        assert device is not None
        return Outcome(ItemStatus.duplicate, _result(prior, device.asset_tag))
    try:
        event = _validate_and_write(session, principal, scan, ctx, now, req_hash)
    except ScanRejected as error:
        return Outcome(ItemStatus.rejected, error=error)
    ctx.events[scan.event_id] = event
    device = ctx.devices[event.device_id]
    return Outcome(ItemStatus.applied, _result(event, device.asset_tag))


def _validate_and_write(
    session: Session,
    principal: Principal,
    scan: ScanIn,
    ctx: _Context,
    now: datetime,
    req_hash: str,
) -> DeviceEvent:
    tag_text = _parse_tag(scan.asset_tag)
    tag = ctx.tags.get(tag_text)
    in_bank = tag is not None and (
        principal.scope is Scope.platform or tag.bank_id == principal.bank_id
    )
    if tag is None or not in_bank:
        raise _rejected(404, "unknown-tag", f"Étiquette {tag_text} inconnue.")
    device = ctx.devices.get(tag.device_id) if tag.device_id else None
    if device is None:
        return _bind_blank_tag(session, principal, scan, tag, ctx, now, req_hash)
    state = State(device.state)
    target = scan.to_state
    transition = _transition(principal, device, state, target)
    payload = _payload(target, scan.payload)
    custodian = _custody(session, principal, device, transition, payload, ctx)
    _guards(session, principal, device, target, payload, ctx)
    return _append(
        session,
        principal,
        device,
        to=target,
        custodian_id=custodian,
        payload=payload,
        event_id=scan.event_id,
        occurred_at=scan.occurred_at,
        now=now,
        req_hash=req_hash,
    )


def _bind_blank_tag(
    session: Session,
    principal: Principal,
    scan: ScanIn,
    tag: AssetTag,
    ctx: _Context,
    now: datetime,
    req_hash: str,
) -> DeviceEvent:
    """First scan of a pre-printed label: register the device, then apply."""
    if (
        tag.organisation_id != principal.organisation_id
        and principal.scope is Scope.organisation
    ):
        raise _rejected(404, "unknown-tag", f"Étiquette {tag.tag} inconnue.")
    if scan.device is None:
        raise _rejected(
            422,
            "unbound-tag",
            f"L'étiquette {tag.tag} n'est liée à aucun appareil : joignez sa "
            "description (« device ») au premier scan.",
        )
    authorize(principal, Action.device_register)
    target = scan.to_state
    if target is not State.registered:
        # Validate the transition from "registered" before creating anything.
        probe = Device(
            bank_id=tag.bank_id,
            asset_tag=tag.tag,
            registered_by_id=principal.organisation_id,
            state=State.registered,
            custodian_id=principal.organisation_id,
            last_hash=GENESIS,
            **scan.device.model_dump(),
        )
        transition = _transition(principal, probe, State.registered, target)
        payload = _payload(target, scan.payload)
        _custody(session, principal, probe, transition, payload, ctx)
        _guards(session, principal, probe, target, payload, ctx)
    register_id = (
        scan.event_id
        if target is State.registered
        else uuid.uuid5(scan.event_id, "registered")
    )
    ((device, registration),) = _create_devices(
        session,
        principal,
        [(tag, scan.device, register_id)],
        now=now,
        occurred_at=scan.occurred_at,
        req_hash=req_hash,
    )
    ctx.devices[device.id] = device
    if target is State.registered:
        return registration
    return _validate_and_write(session, principal, scan, ctx, now, req_hash)


def _transition(
    principal: Principal, device: Device, state: State, target: State
) -> Transition:
    visible = _sees(principal, device)
    try:
        transition = transition_to(state, target)
    except IllegalTransition as exc:
        if not visible:
            raise _rejected(
                404, "unknown-tag", f"Étiquette {device.asset_tag} inconnue."
            ) from exc
        raise _rejected(
            409,
            "illegal-transition",
            f"Passage impossible de « {state.value} » à « {target.value} » "
            "(aucune étape ne peut être sautée).",
        ) from exc
    takes = (
        transition.custody is Custody.take
        and principal.organisation_kind in transition.takers
        and device.bank_id == principal.bank_id
    )
    if not visible and not takes:
        raise _rejected(404, "unknown-tag", f"Étiquette {device.asset_tag} inconnue.")
    if principal.role not in transition.roles and principal.role is not Role.admin:
        raise _rejected(
            403,
            "role",
            f"Le rôle {principal.role.value} ne peut pas passer un appareil "
            f"à « {target.value} ».",
        )
    return transition


def _payload(target: State, raw: dict[str, Any]) -> dict[str, Any]:
    schema = PAYLOADS[target]
    try:
        return schema.model_validate(raw).model_dump(mode="json")
    except ValidationError as exc:
        fields = ", ".join(
            ".".join(map(str, e["loc"])) or "?" for e in exc.errors()[:5]
        )
        raise _rejected(
            422,
            "invalid-payload",
            f"Données de « {target.value} » invalides : {fields}.",
        ) from exc


def _custody(
    session: Session,
    principal: Principal,
    device: Device,
    transition: Transition,
    payload: dict[str, Any],
    ctx: _Context,
) -> uuid.UUID:
    """The custodian after the transition; refuses callers without custody."""
    holder = principal.organisation_id == device.custodian_id
    coordinator = principal.scope is not Scope.organisation and principal.role in (
        Role.coordinator,
        Role.admin,
    )
    rule = transition.custody
    if rule is Custody.take:
        if principal.organisation_kind not in transition.takers:
            raise _rejected(
                409,
                "custody",
                "Seule une organisation "
                + " ou ".join(k.value for k in sorted(transition.takers))
                + " peut prendre cet appareil en charge.",
            )
        return principal.organisation_id
    if rule is Custody.holder_or_coordinator and coordinator:
        return device.custodian_id
    if not holder:
        raise _rejected(
            409, "custody", "Votre organisation n'a pas la garde de cet appareil."
        )
    if rule is Custody.hand_to_school:
        school = _school(session, ctx, uuid.UUID(payload["school_id"]), device.bank_id)
        if school.organisation_id is None:
            raise _rejected(
                409, "school", "Cet établissement n'a pas de compte pour recevoir."
            )
        return school.organisation_id
    return device.custodian_id


def _school(
    session: Session, ctx: _Context, school_id: uuid.UUID, bank_id: uuid.UUID
) -> School:
    if school_id not in ctx.schools:
        ctx.schools[school_id] = session.get(School, school_id)
    school = ctx.schools[school_id]
    if school is None or school.bank_id != bank_id:
        raise _rejected(422, "school", "Établissement inconnu dans cette banque.")
    return school


def _guards(
    session: Session,
    principal: Principal,
    device: Device,
    target: State,
    payload: dict[str, Any],
    ctx: _Context,
) -> None:
    """Rules that need data: erasure, functional test, allocation, delivery."""
    if target is State.wiped:
        _check_erasure(session, principal, device, WipedPayload.model_validate(payload))
    elif target is State.refurbished:
        specs = device.specs or {}
        if not specs.get("reconditionable", False):
            raise _rejected(
                409,
                "not-reconditionable",
                "Diagnostic : appareil non reconditionnable ; recyclez-le.",
            )
        if not payload["functional_test_passed"]:
            raise _rejected(
                422,
                "functional-test",
                "Le test de toutes les fonctions doit être réussi pour parler de "
                "« reconditionné » (art. R122-4 du code de la consommation).",
            )
    if target in OUTSIDE_WORKSHOP and not device.erasure_verified:
        raise _rejected(
            409,
            "erasure-missing",
            "Aucun effacement vérifié n'est enregistré : l'appareil ne peut pas "
            "quitter l'atelier.",
        )
    if target is State.allocated:
        _school(
            session,
            ctx,
            AllocatedPayload.model_validate(payload).school_id,
            device.bank_id,
        )
    elif target is State.delivered:
        delivered = DeliveredPayload.model_validate(payload)
        if device.school_id != delivered.school_id:
            raise _rejected(
                409,
                "wrong-school",
                "Cet appareil est attribué à un autre établissement.",
            )


def _check_erasure(
    session: Session, principal: Principal, device: Device, wiped: WipedPayload
) -> None:
    failed = [r.medium_serial for r in wiped.records if not r.verification_passed]
    if failed:
        raise _rejected(
            422,
            "erasure-failed",
            "Vérification de l'effacement échouée pour : " + ", ".join(failed) + ".",
        )
    serials = [r.medium_serial.strip().upper() for r in wiped.records]
    if len(set(serials)) != len(serials):
        raise _rejected(422, "erasure-duplicate", "Un support figure deux fois.")
    declared = {
        str(m["serial"]).strip().upper() for m in (device.specs or {}).get("media", [])
    }
    missing = declared - set(serials)
    if missing:
        raise _rejected(
            422,
            "media-not-erased",
            "Supports déclarés au diagnostic sans effacement : "
            + ", ".join(sorted(missing))
            + ".",
        )
    for record in wiped.records:
        if record.report_id is None:
            continue
        report = session.get(ErasureReport, record.report_id)
        if report is None or report.organisation_id != principal.organisation_id:
            raise _rejected(422, "report", "Rapport d'effacement introuvable.")
        if report.medium_serial.strip().upper() != record.medium_serial.strip().upper():
            raise _rejected(
                422,
                "report",
                f"Le rapport {report.filename} concerne le support "
                f"{report.medium_serial}, pas {record.medium_serial}.",
            )
        if not nwipe.wipe_succeeded(
            report.status, report.pass_errors, report.verify_errors
        ):
            raise _rejected(
                422,
                "erasure-failed",
                f"Le rapport {report.filename} ne constate pas un effacement réussi.",
            )


def _append(
    session: Session,
    principal: Principal,
    device: Device,
    *,
    to: State,
    custodian_id: uuid.UUID,
    payload: dict[str, Any],
    event_id: uuid.UUID,
    occurred_at: datetime,
    now: datetime,
    req_hash: str,
) -> DeviceEvent:
    """The single writer: append an event and update the projection."""
    event = DeviceEvent(
        device_id=device.id,
        seq=device.version + 1,
        organisation_id=principal.organisation_id,
        actor_id=principal.user_id,
        from_state=None if device.version == 0 else State(device.state),
        to_state=to,
        custodian_id=custodian_id,
        occurred_at=as_utc(occurred_at),
        recorded_at=as_utc(now),
        client_event_id=event_id,
        request_hash=req_hash,
        payload=payload,
        prev_hash=device.last_hash,
        hash="",
    )
    event.hash = event_hash(event)
    previous = projection_of(device) if device.version else None
    _set_projection(device, fold(previous, event))
    device.updated_at = now
    session.add(event)
    session.add(device)
    return event


# --- conflicts ------------------------------------------------------------------


def _record_conflict(
    session: Session,
    principal: Principal,
    scan: ScanIn,
    error: ScanRejected,
    ctx: _Context,
    now: datetime,
) -> ScanConflict:
    existing = ctx.conflicts.get(scan.event_id)
    if existing is not None:
        existing.reason_code = error.reason_code
        existing.reason = _storable(error.detail, 500)
        session.add(existing)
        return existing
    conflict = ScanConflict(
        bank_id=principal.bank_id,
        organisation_id=principal.organisation_id,
        actor_id=principal.user_id,
        client_event_id=scan.event_id,
        request_hash=request_hash(scan),
        asset_tag=_tag_or_raw(scan.asset_tag),
        to_state=scan.to_state.value,
        occurred_at=as_utc(scan.occurred_at),
        received_at=now,
        scan=scan.model_dump(mode="json"),
        reason_code=error.reason_code,
        reason=_storable(error.detail, 500),
    )
    session.add(conflict)
    ctx.conflicts[scan.event_id] = conflict
    return conflict


def _tag_or_raw(text: str) -> str:
    """The canonical asset tag (what the catch-up matches on), else the text sent."""
    try:
        return _parse_tag(text)
    except ScanRejected:
        return _storable(text, 64)


def _storable(text: str, length: int) -> str:
    """Text from a phone, as a text column can keep it: PostgreSQL refuses NUL
    characters, and a refused item must still be kept as a conflict."""
    return text.replace("\x00", "\N{REPLACEMENT CHARACTER}")[:length]


def _record_invalid(
    session: Session,
    principal: Principal,
    raw: Any,
    error: ScanRejected,
    now: datetime,
) -> ScanConflict | None:
    """Keep a malformed item too (keyed by its event id, or by its content)."""
    raw_dict = raw if isinstance(raw, dict) else {"item": raw}
    try:
        event_id = uuid.UUID(str(raw_dict.get("event_id")))
    except ValueError:
        event_id = uuid.uuid5(uuid.NAMESPACE_URL, "banques:scan:" + canonical(raw_dict))
    existing = session.exec(
        select(ScanConflict).where(
            ScanConflict.organisation_id == principal.organisation_id,
            ScanConflict.client_event_id == event_id,
        )
    ).first()
    if existing is not None:
        return existing
    conflict = ScanConflict(
        bank_id=principal.bank_id,
        organisation_id=principal.organisation_id,
        actor_id=principal.user_id,
        client_event_id=event_id,
        request_hash=_sha(canonical(raw_dict)),
        asset_tag=_storable(str(raw_dict.get("asset_tag") or ""), 64),
        to_state=_storable(str(raw_dict.get("to_state") or ""), 32),
        occurred_at=now,
        received_at=now,
        scan=json.loads(canonical(raw_dict)),
        reason_code=error.reason_code,
        reason=_storable(error.detail, 500),
    )
    session.add(conflict)
    session.flush()
    return conflict


def _close_conflict(
    conflict: ScanConflict,
    principal: Principal,
    status: ConflictStatus,
    note: str | None,
    now: datetime,
) -> None:
    conflict.status = status
    conflict.resolved_by_id = principal.user_id
    conflict.resolved_at = now
    conflict.resolution_note = note


def _conflict_clause(principal: Principal) -> Any:
    return scope_clause(
        principal,
        bank_col=ScanConflict.bank_id,
        organisation_cols=(ScanConflict.organisation_id,),
    )


def list_conflicts(
    session: Session,
    principal: Principal,
    *,
    status: ConflictStatus | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ScanConflict], str | None]:
    authorize(principal, Action.conflict_read)
    query = select(ScanConflict).where(_conflict_clause(principal))
    if status is not None:
        query = query.where(ScanConflict.status == status)
    return keyset_page(session, query, ScanConflict.id, limit=limit, cursor=cursor)


def get_conflict(
    session: Session, principal: Principal, conflict_id: uuid.UUID
) -> ScanConflict:
    authorize(principal, Action.conflict_read)
    conflict = session.exec(
        select(ScanConflict).where(
            ScanConflict.id == conflict_id, _conflict_clause(principal)
        )
    ).first()
    if conflict is None:
        raise NotFound("Conflit introuvable.")
    return conflict


def resolve_conflict(
    session: Session,
    principal: Principal,
    conflict_id: uuid.UUID,
    *,
    action: ConflictAction,
    note: str | None,
    now: datetime | None = None,
) -> ScanConflict:
    """Dismiss a conflict, or retry its scan now (as its sender's organisation)."""
    get_conflict(session, principal, conflict_id)
    authorize(principal, Action.conflict_resolve)
    now = now or utcnow()
    # Locked, then read again: a batch's catch-up may be applying it right now.
    conflict = session.get(
        ScanConflict, conflict_id, with_for_update=True, populate_existing=True
    )
    assert conflict is not None
    if conflict.status is not ConflictStatus.open:
        raise Invalid("Ce conflit est déjà résolu.")
    if action is ConflictAction.dismiss:
        _close_conflict(conflict, principal, ConflictStatus.dismissed, note, now)
        session.add(conflict)
        session.flush()
        return conflict
    try:
        scan = ScanIn.model_validate(conflict.scan)
    except ValidationError as exc:
        raise Invalid("Ce scan est mal formé : il ne peut qu'être écarté.") from exc
    sender = _sender(session, conflict)
    if sender is None:
        raise Invalid(
            "Le compte qui a envoyé ce scan est désactivé : il ne peut qu'être écarté."
        )
    apply_scan(session, sender, scan, now=now)
    _close_conflict(conflict, principal, ConflictStatus.retried, note, now)
    session.add(conflict)
    session.flush()
    return conflict


def _sender(session: Session, conflict: ScanConflict) -> Principal | None:
    """Who sent the scan, as they are now; None if their account is closed."""
    user = session.get(User, conflict.actor_id)
    org = session.get(Organisation, conflict.organisation_id)
    assert user is not None
    assert org is not None
    if not user.is_active:
        return None
    return Principal(
        user_id=user.id,
        organisation_id=org.id,
        organisation_kind=org.kind,
        bank_id=org.bank_id,
        role=user.role,
    )
