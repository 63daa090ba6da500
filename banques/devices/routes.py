"""Devices, scans and conflicts endpoints (thin)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from banques.deps import CurrentUser, SessionDep
from banques.devices import service
from banques.devices.lifecycle import State
from banques.devices.models import Category, ConflictStatus, Grade
from banques.devices.schemas import (
    BlankTagsCreate,
    BlankTagsRead,
    ChainVerification,
    ConflictRead,
    ConflictResolve,
    DeviceCreate,
    DeviceRead,
    ErasureReportRead,
    EventRead,
    ImportResult,
    ScanBatchIn,
    ScanBatchResult,
    ScanIn,
    ScanResult,
)
from banques.errors import Invalid
from banques.schemas import Limit, Page

router = APIRouter(prefix="/api/v1", tags=["appareils"])
Cursor = Annotated[str | None, Query(max_length=200)]
MAX_UPLOAD = 2 * 1024 * 1024


def _read_upload(file: UploadFile) -> bytes:
    content = file.file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise Invalid("Fichier trop volumineux (2 Mo au plus).")
    return content


@router.post("/devices", response_model=DeviceRead, status_code=201)
def register_device(
    body: DeviceCreate, principal: CurrentUser, session: SessionDep
) -> DeviceRead:
    """Enregistre un appareil à l'entrée et lui attribue son étiquette."""
    (device,) = service.register_devices(session, principal, [body])
    return DeviceRead.model_validate(device)


@router.post("/devices/import", response_model=ImportResult, status_code=201)
def import_devices(
    file: Annotated[UploadFile, File(description="CSV : category,brand,model,serial")],
    principal: CurrentUser,
    session: SessionDep,
) -> ImportResult:
    """Enregistre tous les appareils d'un CSV (tous ou aucun)."""
    content = _read_upload(file)
    devices = service.import_csv(session, principal, content)
    return ImportResult(created=[DeviceRead.model_validate(d) for d in devices])


@router.get("/devices", response_model=Page[DeviceRead])
def list_devices(
    principal: CurrentUser,
    session: SessionDep,
    state: State | None = None,
    category: Category | None = None,
    custodian_id: uuid.UUID | None = None,
    grade: Grade | None = None,
    serial: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DeviceRead]:
    rows, next_cursor = service.list_devices(
        session,
        principal,
        limit=limit,
        cursor=cursor,
        state=state,
        category=category,
        custodian_id=custodian_id,
        grade=grade,
        serial=serial,
    )
    return Page(
        items=[DeviceRead.model_validate(d) for d in rows], next_cursor=next_cursor
    )


@router.get("/devices/{asset_tag}", response_model=DeviceRead)
def get_device(
    asset_tag: str, principal: CurrentUser, session: SessionDep
) -> DeviceRead:
    """Un appareil par étiquette (ou numéro de série du fabricant)."""
    return DeviceRead.model_validate(service.get_device(session, principal, asset_tag))


@router.get("/devices/{asset_tag}/events", response_model=list[EventRead])
def device_events(
    asset_tag: str, principal: CurrentUser, session: SessionDep
) -> list[EventRead]:
    events = service.device_events(session, principal, asset_tag)
    return [EventRead.model_validate(e) for e in events]


@router.get("/devices/{asset_tag}/chain", response_model=ChainVerification)
def verify_chain(
    asset_tag: str, principal: CurrentUser, session: SessionDep
) -> ChainVerification:
    """Vérifie l'intégrité du journal (chaîne d'empreintes) de l'appareil."""
    check = service.verify_chain(session, principal, asset_tag)
    return ChainVerification(
        asset_tag=service.get_device(session, principal, asset_tag).asset_tag,
        events=check.events,
        valid=check.valid,
        first_invalid_seq=check.first_invalid_seq,
        detail=check.detail,
    )


@router.post("/asset-tags/blank", response_model=BlankTagsRead, status_code=201)
def blank_tags(
    body: BlankTagsCreate, principal: CurrentUser, session: SessionDep
) -> BlankTagsRead:
    """Réserve des étiquettes vierges à pré-imprimer (liées au premier scan)."""
    return BlankTagsRead(
        tags=service.allocate_blank_tags(session, principal, body.count)
    )


@router.post(
    "/scans",
    response_model=ScanResult,
    status_code=201,
    responses={200: {"description": "Rejeu : le même résultat, rien de nouveau"}},
)
def scan(
    body: ScanIn, principal: CurrentUser, session: SessionDep, response: Response
) -> ScanResult:
    """Applique un scan ; rejouer le même `event_id` renvoie le même résultat."""
    result, replayed = service.apply_scan(session, principal, body)
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return result


@router.post("/scans/batch", response_model=ScanBatchResult)
def scan_batch(
    body: ScanBatchIn, principal: CurrentUser, session: SessionDep
) -> ScanBatchResult:
    """Applique une file de scans hors ligne (≤ 1 000) : un résultat par scan."""
    outcomes = service.apply_batch(session, principal, body.scans)
    return ScanBatchResult.of(outcomes)


@router.get("/scan-conflicts", response_model=Page[ConflictRead])
def list_conflicts(
    principal: CurrentUser,
    session: SessionDep,
    status: ConflictStatus | None = ConflictStatus.open,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ConflictRead]:
    rows, next_cursor = service.list_conflicts(
        session, principal, status=status, limit=limit, cursor=cursor
    )
    return Page(
        items=[ConflictRead.model_validate(c) for c in rows], next_cursor=next_cursor
    )


@router.get("/scan-conflicts/{conflict_id}", response_model=ConflictRead)
def get_conflict(
    conflict_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> ConflictRead:
    return ConflictRead.model_validate(
        service.get_conflict(session, principal, conflict_id)
    )


@router.post("/scan-conflicts/{conflict_id}/resolve", response_model=ConflictRead)
def resolve_conflict(
    conflict_id: uuid.UUID,
    body: ConflictResolve,
    principal: CurrentUser,
    session: SessionDep,
) -> ConflictRead:
    """Écarte un conflit, ou rejoue son scan maintenant."""
    conflict = service.resolve_conflict(
        session, principal, conflict_id, action=body.action, note=body.note
    )
    return ConflictRead.model_validate(conflict)


@router.post("/erasure-reports", response_model=ErasureReportRead, status_code=201)
def upload_erasure_report(
    file: Annotated[UploadFile, File(description="Rapport JSON de nwipe")],
    principal: CurrentUser,
    session: SessionDep,
) -> ErasureReportRead:
    """Dépose un rapport nwipe ; le fichier est conservé avec son empreinte SHA-256."""
    content = _read_upload(file)
    report = service.upload_erasure_report(
        session, principal, filename=file.filename or "rapport.json", content=content
    )
    return ErasureReportRead.model_validate(report)


@router.get("/erasure-reports/{report_id}", response_model=ErasureReportRead)
def get_erasure_report(
    report_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> ErasureReportRead:
    return ErasureReportRead.model_validate(
        service.get_erasure_report(session, principal, report_id)
    )
