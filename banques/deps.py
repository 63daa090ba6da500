"""FastAPI dependencies shared by every router: session, settings, principal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlmodel import Session

from banques import db
from banques.accounts import service as accounts
from banques.accounts.permissions import Principal
from banques.config import Settings
from banques.db import get_session
from banques.errors import Unauthorized

T = TypeVar("T")

SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def _principal(session: Session, settings: Settings, token: str | None) -> Principal:
    if not token:
        raise Unauthorized("Authentification requise (jeton Bearer ou clé d'API).")
    return accounts.authenticate_token(
        session, token, secret=settings.secret_key.get_secret_value()
    )


def get_principal(
    session: SessionDep,
    settings: SettingsDep,
    bearer: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    return _principal(session, settings, bearer or api_key)


CurrentUser = Annotated[Principal, Depends(get_principal)]


async def get_credentials(
    bearer: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> str:
    """The caller's bearer token or API key (checked later, in the transaction)."""
    token = bearer or api_key
    if not token:
        raise Unauthorized("Authentification requise (jeton Bearer ou clé d'API).")
    return token


Credentials = Annotated[str, Depends(get_credentials)]


async def in_transaction(
    request: Request, credentials: str, work: Callable[[Session, Principal], T]
) -> T:
    """Authenticate, then run ``work`` in one transaction, in one worker thread.

    For the hot ``async def`` endpoints (scans): one thread hop per request instead
    of one per sync dependency, which keeps latency tails short under load
    (docs/benchmarks.md). Same rules as ``SessionDep`` + ``CurrentUser``.
    """
    settings: Settings = request.app.state.settings

    def run() -> T:
        with db.transaction(request.app.state.engine) as session:
            return work(session, _principal(session, settings, credentials))

    return await run_in_threadpool(run)
