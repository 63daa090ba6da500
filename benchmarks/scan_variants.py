"""The scan endpoints as ``async def`` routes, for comparison with the shipped ones.

``banques`` serves ``POST /api/v1/scans`` and ``/scans/batch`` as plain ``def``
endpoints: FastAPI runs the session dependency, the principal dependency and the
endpoint in its threadpool (one thread hop each). This factory builds the same app
with those two routes replaced by ``async def`` endpoints that run the whole unit
of work (authentication, service, commit) in a single worker thread, with the same
sync service and ``db.transaction``. ``benchmarks/scans.py --modes sync,async``
compares both in the same run (docs/benchmarks.md has the figures):

    uvicorn --factory benchmarks.scan_variants:async_app --workers 2
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlmodel import Session

from banques import db
from banques.accounts import service as accounts
from banques.accounts.permissions import Principal
from banques.app import create_app
from banques.config import Settings
from banques.devices import service
from banques.devices.schemas import (
    ScanBatchIn,
    ScanBatchResult,
    ScanIn,
    ScanResult,
)
from banques.errors import Unauthorized

T = TypeVar("T")
router = APIRouter(prefix="/api/v1", tags=["appareils"])
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


async def credentials(
    bearer: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> str:
    token = bearer or api_key
    if not token:
        raise Unauthorized("Authentification requise (jeton Bearer ou clé d'API).")
    return token


Credentials = Annotated[str, Depends(credentials)]


async def in_transaction(
    request: Request, token: str, work: Callable[[Session, Principal], T]
) -> T:
    """Authenticate and run ``work`` in one transaction, in one worker thread."""
    settings: Settings = request.app.state.settings

    def run() -> T:
        with db.transaction(request.app.state.engine) as session:
            principal = accounts.authenticate_token(
                session, token, secret=settings.secret_key.get_secret_value()
            )
            return work(session, principal)

    return await run_in_threadpool(run)


@router.post("/scans", response_model=ScanResult, status_code=201)
async def scan(
    body: ScanIn, request: Request, token: Credentials, response: Response
) -> ScanResult:
    result, replayed = await in_transaction(
        request, token, lambda s, p: service.apply_scan(s, p, body)
    )
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return result


@router.post("/scans/batch", response_model=ScanBatchResult)
async def scan_batch(
    body: ScanBatchIn, request: Request, token: Credentials
) -> ScanBatchResult:
    outcomes = await in_transaction(
        request, token, lambda s, p: service.apply_batch(s, p, body.scans)
    )
    return ScanBatchResult.of(outcomes)


def async_app() -> FastAPI:
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
