"""Accounts endpoints (thin: parse, call one service function, shape the answer)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from banques.accounts import service
from banques.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    BankCreate,
    BankRead,
    MeRead,
    OrganisationCreate,
    OrganisationRead,
    PasswordChange,
    TokenRead,
    UserCreate,
    UserRead,
)
from banques.deps import CurrentUser, SessionDep, SettingsDep
from banques.errors import TooManyRequests, Unauthorized, problem_for
from banques.schemas import Limit, Page

router = APIRouter(prefix="/api/v1", tags=["comptes"])


@router.post("/auth/token", response_model=TokenRead)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenRead | JSONResponse:
    """Échange e-mail et mot de passe contre un jeton d'accès (OAuth2 password)."""
    try:
        issued = service.login(
            session,
            email=form.username,
            password=form.password,
            client=request.client.host if request.client else "unknown",
            limiter=request.app.state.login_limiter,
            secret=settings.secret_key.get_secret_value(),
            minutes=settings.access_token_minutes,
        )
    except (Unauthorized, TooManyRequests) as refused:
        # Answered, not raised: the failure just counted must be committed.
        return problem_for(refused)
    return TokenRead(access_token=issued.token, expires_in=issued.expires_in)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(principal: CurrentUser, session: SessionDep) -> Response:
    """Révoque tous les jetons d'accès et toutes les sessions de l'utilisateur."""
    service.logout_everywhere(session, principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=MeRead)
def me(principal: CurrentUser, session: SessionDep) -> MeRead:
    user = service.get_user(session, principal, principal.user_id)
    org = service.get_organisation(session, principal, principal.organisation_id)
    bank = service.get_bank(session, principal, principal.bank_id)
    return MeRead(
        user=UserRead.model_validate(user),
        organisation=OrganisationRead.model_validate(org),
        bank=BankRead.model_validate(bank),
    )


@router.put("/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChange, principal: CurrentUser, session: SessionDep
) -> Response:
    """Change le mot de passe ; les jetons existants cessent de fonctionner."""
    service.change_password(
        session,
        principal,
        current=body.current_password.get_secret_value(),
        new=body.new_password.get_secret_value(),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/banks", response_model=list[BankRead])
def list_banks(principal: CurrentUser, session: SessionDep) -> list[BankRead]:
    return [BankRead.model_validate(b) for b in service.list_banks(session, principal)]


@router.post("/banks", response_model=BankRead, status_code=201)
def create_bank(
    body: BankCreate, principal: CurrentUser, session: SessionDep
) -> BankRead:
    return BankRead.model_validate(service.create_bank(session, principal, body))


@router.get("/banks/{bank_id}", response_model=BankRead)
def get_bank(
    bank_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> BankRead:
    return BankRead.model_validate(service.get_bank(session, principal, bank_id))


@router.get("/organisations", response_model=Page[OrganisationRead])
def list_organisations(
    principal: CurrentUser,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[OrganisationRead]:
    rows, next_cursor = service.list_organisations(
        session, principal, limit=limit, cursor=cursor
    )
    return Page(
        items=[OrganisationRead.model_validate(o) for o in rows],
        next_cursor=next_cursor,
    )


@router.post("/organisations", response_model=OrganisationRead, status_code=201)
def create_organisation(
    body: OrganisationCreate, principal: CurrentUser, session: SessionDep
) -> OrganisationRead:
    org = service.create_organisation(session, principal, body)
    return OrganisationRead.model_validate(org)


@router.get("/organisations/{organisation_id}", response_model=OrganisationRead)
def get_organisation(
    organisation_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> OrganisationRead:
    org = service.get_organisation(session, principal, organisation_id)
    return OrganisationRead.model_validate(org)


@router.get("/users", response_model=Page[UserRead])
def list_users(
    principal: CurrentUser,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[UserRead]:
    rows, next_cursor = service.list_users(
        session, principal, limit=limit, cursor=cursor
    )
    return Page(
        items=[UserRead.model_validate(u) for u in rows], next_cursor=next_cursor
    )


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(
    body: UserCreate, principal: CurrentUser, session: SessionDep
) -> UserRead:
    return UserRead.model_validate(service.create_user(session, principal, body))


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(
    user_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> UserRead:
    return UserRead.model_validate(service.get_user(session, principal, user_id))


@router.get("/api-keys", response_model=list[ApiKeyRead])
def list_api_keys(principal: CurrentUser, session: SessionDep) -> list[ApiKeyRead]:
    keys = service.list_api_keys(session, principal)
    return [ApiKeyRead.model_validate(k) for k in keys]


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201)
def create_api_key(
    body: ApiKeyCreate, principal: CurrentUser, session: SessionDep
) -> ApiKeyCreated:
    """Crée une clé d'API pour son propre compte (clients machines)."""
    key, secret = service.create_api_key(session, principal, name=body.name)
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), key=secret)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyRead)
def revoke_api_key(
    key_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> ApiKeyRead:
    return ApiKeyRead.model_validate(service.revoke_api_key(session, principal, key_id))
