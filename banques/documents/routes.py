"""Labels and printed documents (the only caller of ``labels``): thin routes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask

from banques.deps import CurrentUser, SessionDep, SettingsDep, get_principal
from banques.documents import jobs, service
from banques.documents.models import PrintJob
from banques.documents.rendering import Document
from banques.documents.schemas import (
    BlankLabelsRequest,
    LabelFormat,
    LabelsRequest,
    PrintJobRead,
    TemplateRead,
)
from labels import TEMPLATES

router = APIRouter(prefix="/api/v1", tags=["documents"])

Responses = dict[int | str, dict[str, Any]]
_BINARY: dict[str, Any] = {"schema": {"type": "string", "format": "binary"}}
_PDF: Responses = {
    200: {"description": "Document PDF", "content": {"application/pdf": _BINARY}}
}
_LABELS: Responses = {
    200: {
        "description": "Planche d'étiquettes (PDF) ou ZPL",
        "content": {
            "application/pdf": _BINARY,
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}


def _errors(*codes: int) -> Responses:
    return {
        code: {
            "description": "Problème (RFC 9457)",
            "content": {"application/problem+json": {}},
        }
        for code in codes
    }


_JOB: Responses = {
    202: {
        "description": "Impression préparée en arrière-plan (plus d'une planche)",
        "model": PrintJobRead,
    }
}


def _answer(request: Request, result: Document | PrintJob) -> Response:
    if isinstance(result, Document):
        return _download(result)
    runner = request.app.state.job_runner
    return JSONResponse(
        PrintJobRead.model_validate(result).model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"/api/v1/documents/jobs/{result.id}"},
        # After the response, so after the commit: the runner then sees the job.
        background=BackgroundTask(runner.kick) if runner is not None else None,
    )


def _download(document: Document) -> Response:
    return Response(
        content=document.content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{document.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/documents/labels",
    response_class=Response,
    responses=_LABELS | _JOB | _errors(400, 401, 403, 404, 413, 422),
)
def device_labels(
    body: LabelsRequest,
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Étiquettes QR d'appareils (liste d'étiquettes ou filtre), en PDF ou ZPL.

    Une étiquette par entrée, dans l'ordre donné ; une étiquette inconnue ou non
    visible rend toute la demande 404. Au-delà de 65 étiquettes (une planche),
    l'impression est préparée en arrière-plan : réponse 202 avec l'adresse de la
    tâche (`Location`), dont le document se télécharge une fois prêt.
    """
    result = service.device_labels(session, principal, body, base_url=settings.base_url)
    return _answer(request, result)


@router.post(
    "/documents/blank-labels",
    response_class=Response,
    status_code=201,
    responses={201: _LABELS[200], **_JOB, **_errors(400, 401, 403, 413, 422)},
)
def blank_labels(
    body: BlankLabelsRequest,
    request: Request,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Réserve `count` étiquettes vierges (≤ 1 000) et renvoie leur impression.

    La réservation et l'impression réussissent ensemble ou rien n'est réservé ;
    au-delà de 65 étiquettes, les numéros sont réservés tout de suite et
    l'impression est préparée en arrière-plan (réponse 202, comme pour
    `POST /api/v1/documents/labels`).
    Pour réimprimer des étiquettes vierges déjà réservées, passez leurs numéros à
    `POST /api/v1/documents/labels` (aucun nouveau numéro n'est alors réservé).
    """
    result = service.blank_labels(session, principal, body, base_url=settings.base_url)
    response = _answer(request, result)
    if response.status_code == 200:
        response.status_code = 201
    return response


@router.get(
    "/devices/{asset_tag}/erasure-certificate.pdf",
    response_class=Response,
    responses=_PDF | _errors(401, 403, 404, 409),
)
def erasure_certificate(
    asset_tag: str,
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Certificat d'effacement de l'appareil (NIST SP 800-88), d'après son dernier
    effacement enregistré ; 409 si aucun effacement n'est enregistré."""
    document = service.erasure_certificate(
        session, principal, asset_tag, base_url=settings.base_url
    )
    return _download(document)


@router.get(
    "/documents/erasure-certificates.pdf",
    response_class=Response,
    responses=_PDF | _errors(401, 403, 404, 409, 422),
)
def erasure_bundle(
    donation_ref: Annotated[str, Query(min_length=1, max_length=100)],
    principal: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Certificats d'effacement d'un don (récapitulatif + un certificat par
    appareil effacé), pour le donateur : coordinateurs de la banque et organisation
    qui a enregistré les appareils du don."""
    document = service.erasure_bundle(
        session, principal, donation_ref, base_url=settings.base_url
    )
    return _download(document)


@router.get(
    "/documents/templates",
    response_model=list[TemplateRead],
    responses=_errors(401),
    dependencies=[Depends(get_principal)],
)
def list_templates() -> list[TemplateRead]:
    """Les modèles d'étiquettes et leur géométrie (mm)."""
    return [
        TemplateRead(
            name=t.name,
            description=t.description,
            page_mm=t.page_mm,
            cols=t.cols,
            rows=t.rows,
            per_page=t.per_page,
            label_mm=t.label_mm,
            left_mm=t.left_mm,
            top_mm=t.top_mm,
            pitch_x_mm=t.pitch_x_mm,
            pitch_y_mm=t.pitch_y_mm,
            printable_area_mm=t.printable_area(),
            module_mm=t.module_mm,
            roll=t.roll,
            formats=[LabelFormat.pdf, LabelFormat.zpl] if t.roll else [LabelFormat.pdf],
        )
        for t in TEMPLATES.values()
    ]


@router.get(
    "/documents/calibration.pdf",
    response_class=Response,
    responses=_PDF | _errors(401, 422),
    dependencies=[Depends(get_principal)],
)
def calibration(
    template: Annotated[str, Query(max_length=20)] = "L7651",
) -> Response:
    """Page de calibrage d'un modèle : à imprimer à 100 % sur papier ordinaire."""
    return _download(service.calibration(template))


@router.get(
    "/documents/jobs/{job_id}",
    response_model=PrintJobRead,
    responses=_errors(401, 403, 404),
)
def print_job(
    job_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> PrintJobRead:
    """État d'une impression préparée en arrière-plan (queued, running, done,
    failed) ; organisation qui l'a demandée et coordinateurs de la banque."""
    return PrintJobRead.model_validate(jobs.get_job(session, principal, job_id))


@router.get(
    "/documents/jobs/{job_id}/document",
    response_class=Response,
    responses=_LABELS | _errors(401, 403, 404, 409),
)
def print_job_document(
    job_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> Response:
    """Le document d'une impression terminée ; 409 tant qu'elle n'est pas prête
    (ou si elle a échoué). Gardé 24 heures."""
    return _download(jobs.job_document(session, principal, job_id))
