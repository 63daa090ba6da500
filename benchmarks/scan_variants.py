"""The scan endpoints as sync ``def`` routes (the first version), for comparison.

``banques`` serves ``POST /api/v1/scans`` and ``/scans/batch`` as ``async def``
endpoints that run the unit of work in one worker thread (``deps.in_transaction``).
This factory builds the same app with those two routes replaced by plain ``def``
endpoints whose session and principal are sync dependencies (FastAPI runs each in
the threadpool), so that ``benchmarks/scans.py --modes sync,async`` compares both
in the same run:

    uvicorn --factory benchmarks.scan_variants:sync_app --workers 2
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Response, status
from fastapi.routing import APIRoute

from banques.app import create_app
from banques.deps import CurrentUser, SessionDep
from banques.devices import service
from banques.devices.routes import batch_result
from banques.devices.schemas import ScanBatchIn, ScanBatchResult, ScanIn, ScanResult

router = APIRouter(prefix="/api/v1", tags=["appareils"])


@router.post("/scans", response_model=ScanResult, status_code=201)
def scan(
    body: ScanIn, principal: CurrentUser, session: SessionDep, response: Response
) -> ScanResult:
    result, replayed = service.apply_scan(session, principal, body)
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return result


@router.post("/scans/batch", response_model=ScanBatchResult)
def scan_batch(
    body: ScanBatchIn, principal: CurrentUser, session: SessionDep
) -> ScanBatchResult:
    return batch_result(service.apply_batch(session, principal, body.scans))


def sync_app() -> FastAPI:
    app = create_app()
    replaced = {"/api/v1/scans", "/api/v1/scans/batch"}
    app.router.routes[:] = [
        r
        for r in app.router.routes
        if not (
            isinstance(r, APIRoute)
            and r.path in replaced
            and "POST" in (r.methods or set())
        )
    ]
    app.include_router(router)
    return app
