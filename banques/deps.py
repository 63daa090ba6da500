"""FastAPI dependencies shared by every router: session, settings, principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlmodel import Session

from banques.accounts import service as accounts
from banques.accounts.permissions import Principal
from banques.config import Settings
from banques.db import get_session
from banques.errors import Unauthorized

SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


async def get_settings_dep(request: Request) -> Settings:
    # async: no I/O, so no hop through the threadpool.
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_principal(
    session: SessionDep,
    settings: SettingsDep,
    bearer: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    token = bearer or api_key
    if not token:
        raise Unauthorized("Authentification requise (jeton Bearer ou clé d'API).")
    return accounts.authenticate_token(
        session, token, secret=settings.secret_key.get_secret_value()
    )


CurrentUser = Annotated[Principal, Depends(get_principal)]
