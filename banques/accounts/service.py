"""Accounts use cases: banks, organisations, users, login, API keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import bindparam, delete, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from banques.accounts import security
from banques.accounts.models import (
    ApiKey,
    Bank,
    Organisation,
    OrganisationKind,
    Role,
    User,
    WebSession,
)
from banques.accounts.permissions import (
    Action,
    Principal,
    Scope,
    authorize,
    ensure_visible,
    scope_clause,
)
from banques.accounts.ratelimit import FailureLimiter
from banques.accounts.schemas import (
    BankCreate,
    OrganisationCreate,
    UserCreate,
)
from banques.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from banques.pagination import keyset_page
from banques.sqltypes import utcnow


def principal_for(session: Session, user: User) -> Principal:
    org = session.get(Organisation, user.organisation_id)
    assert org is not None
    return Principal(
        user_id=user.id,
        organisation_id=org.id,
        organisation_kind=org.kind,
        bank_id=org.bank_id,
        role=user.role,
    )


# --- authentication ---------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int


def check_password(
    session: Session,
    *,
    email: str,
    password: str,
    client: str,
    limiter: FailureLimiter,
    now: datetime | None = None,
) -> User:
    """The active user with this e-mail and password; throttles repeated failures
    (401, then 429). The caller must commit even when this raises, or the failure
    is not counted: the routes answer these errors without raising them."""
    email = email.strip().lower()
    keys = (f"email:{email}", f"client:{client}")
    wait = limiter.retry_after(session, *keys, now=now)
    if wait is not None:
        raise TooManyRequests(
            "Trop de tentatives de connexion ; réessayez plus tard.", retry_after=wait
        )
    # No address holds a NUL character (and PostgreSQL cannot compare one).
    user = (
        None
        if "\x00" in email
        else session.exec(select(User).where(User.email == email)).first()
    )
    if user is None:
        security.burn_verify_time(password)
    if user is None or not security.verify_password(password, user.password_hash):
        limiter.fail(session, *keys, now=now)
        raise_unauthorized("Adresse e-mail ou mot de passe incorrect.")
    if not user.is_active:
        raise_unauthorized("Ce compte est désactivé.")
    limiter.reset(session, f"email:{email}")
    return user


def login(
    session: Session,
    *,
    email: str,
    password: str,
    client: str,
    limiter: FailureLimiter,
    secret: str,
    minutes: int,
    now: datetime | None = None,
) -> IssuedToken:
    """Check a password and issue an access token (the API's login)."""
    user = check_password(
        session,
        email=email,
        password=password,
        client=client,
        limiter=limiter,
        now=now,
    )
    token = security.issue_token(
        user_id=user.id,
        token_version=user.token_version,
        secret=secret,
        now=now or utcnow(),
        minutes=minutes,
    )
    return IssuedToken(token=token, expires_in=minutes * 60)


# What authentication reads of a user, always in this order (see _principal_of).
_USER_COLUMNS = (
    col(User.id),
    col(User.role),
    col(User.is_active),
    col(User.token_version),
    col(Organisation.id),
    col(Organisation.kind),
    col(Organisation.bank_id),
)


def _principal_of(row: Sequence[Any]) -> Principal:
    """The principal from the values of ``_USER_COLUMNS``."""
    user_id, role, _, _, org_id, kind, bank_id = row
    return Principal(
        user_id=user_id,
        organisation_id=org_id,
        organisation_kind=OrganisationKind(kind),
        bank_id=bank_id,
        role=Role(role),
    )


# --- browser sessions (the pages) ---------------------------------------------


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    lifetime: timedelta


@dataclass(frozen=True)
class IssuedSession:
    token: str
    max_age: int  # seconds: the cookie's lifetime, the session's absolute limit


def open_web_session(
    session: Session,
    *,
    email: str,
    password: str,
    client: str,
    limiter: FailureLimiter,
    limits: SessionLimits,
    now: datetime | None = None,
) -> IssuedSession:
    """Log in from the pages: a new revocable session (its token goes in a cookie)."""
    now = now or utcnow()
    user = check_password(
        session,
        email=email,
        password=password,
        client=client,
        limiter=limiter,
        now=now,
    )
    # Sessions past their absolute limit are of no use to anyone: forget them.
    session.execute(delete(WebSession).where(col(WebSession.expires_at) < now))
    token = security.new_session_token()
    session.add(
        WebSession(
            token_hash=security.sha256(token),
            user_id=user.id,
            token_version=user.token_version,
            created_at=now,
            last_seen_at=now,
            expires_at=now + limits.lifetime,
        )
    )
    session.flush()
    return IssuedSession(token, int(limits.lifetime.total_seconds()))


# One statement on every page: the session, its user and the user's organisation.
_WEB_PRINCIPAL = (
    sa_select(
        col(WebSession.id),
        col(WebSession.token_version),
        col(WebSession.last_seen_at),
        col(WebSession.expires_at),
        col(WebSession.ended_at),
        *_USER_COLUMNS,
    )
    .join(User, col(User.id) == col(WebSession.user_id))
    .join(Organisation, col(Organisation.id) == col(User.organisation_id))
    .where(col(WebSession.token_hash) == bindparam("token_hash"))
)
# Sliding the idle limit writes at most once a minute per session.
_TOUCH_EVERY = timedelta(minutes=1)


def authenticate_web_session(
    session: Session, token: str, *, limits: SessionLimits, now: datetime | None = None
) -> Principal:
    """The principal behind a session cookie; 401 if it ended, idled or expired."""
    now = now or utcnow()
    row = session.execute(
        _WEB_PRINCIPAL, {"token_hash": security.sha256(token)}
    ).first()
    if row is None:
        raise_unauthorized("Session inconnue.")
    sid, version, seen, expires, ended = row[:5]
    user = row[5:]
    active, user_version = user[2], user[3]
    seen, expires = _aware(seen), _aware(expires)
    if (
        ended is not None
        or now >= expires
        or now - seen >= limits.idle
        or not active
        or version != user_version
    ):
        raise_unauthorized("Session terminée ou expirée.")
    if now - seen >= _TOUCH_EVERY:
        session.execute(
            update(WebSession).where(col(WebSession.id) == sid).values(last_seen_at=now)
        )
    return _principal_of(user)


def close_web_session(
    session: Session, token: str, now: datetime | None = None
) -> None:
    """Log out from the pages: this session ends (other sessions and tokens stay)."""
    session.execute(
        update(WebSession)
        .where(
            col(WebSession.token_hash) == security.sha256(token),
            col(WebSession.ended_at).is_(None),
        )
        .values(ended_at=now or utcnow())
    )


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes (stored in UTC).
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def raise_unauthorized(detail: str) -> NoReturn:
    raise Unauthorized(detail)


# One statement, built once: the user and its organisation (runs on every request).
_PRINCIPAL = (
    sa_select(*_USER_COLUMNS)
    .join(Organisation, col(Organisation.id) == col(User.organisation_id))
    .where(col(User.id) == bindparam("user_id"))
)


def authenticate_token(session: Session, token: str, *, secret: str) -> Principal:
    """The principal behind a bearer token or API key; 401 otherwise."""
    if token.startswith(security.API_KEY_PREFIX):
        return _authenticate_api_key(session, token)
    claims = security.read_token(token, secret=secret)
    if claims is None:
        raise_unauthorized("Jeton invalide ou expiré.")
    row = session.execute(_PRINCIPAL, {"user_id": claims.user_id}).first()
    if row is None or not row[2] or row[3] != claims.token_version:
        raise_unauthorized("Jeton révoqué.")
    return _principal_of(row)


def _authenticate_api_key(session: Session, secret: str) -> Principal:
    prefix = security.split_api_key(secret)
    key = (
        session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if prefix
        else None
    )
    if key is None or key.revoked_at is not None:
        raise_unauthorized("Clé d'API invalide ou révoquée.")
    if not security.api_key_matches(secret, key.key_hash):
        raise_unauthorized("Clé d'API invalide ou révoquée.")
    user = session.get(User, key.user_id)
    if user is None or not user.is_active:
        raise_unauthorized("Clé d'API invalide ou révoquée.")
    return principal_for(session, user)


def logout_everywhere(session: Session, principal: Principal) -> None:
    """Invalidate every access token and browser session of the caller."""
    user = _user(session, principal.user_id)
    user.token_version += 1
    session.add(user)
    session.flush()


def change_password(
    session: Session, principal: Principal, *, current: str, new: str
) -> None:
    user = _user(session, principal.user_id)
    if not security.verify_password(current, user.password_hash):
        raise Invalid("Le mot de passe actuel est incorrect.")
    user.password_hash = security.hash_password(new)
    user.token_version += 1
    session.add(user)
    session.flush()


def _user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Utilisateur introuvable.")
    return user


# --- banks ------------------------------------------------------------------


def create_bank(session: Session, principal: Principal, data: BankCreate) -> Bank:
    authorize(principal, Action.bank_create)
    if session.exec(select(Bank).where(Bank.code == data.code)).first():
        raise Conflict(f"Le code de banque {data.code} est déjà utilisé.")
    bank = Bank(**data.model_dump())
    session.add(bank)
    session.flush()
    return bank


def get_bank(session: Session, principal: Principal, bank_id: uuid.UUID) -> Bank:
    authorize(principal, Action.bank_read)
    bank = session.get(Bank, bank_id)
    if bank is None:
        raise NotFound("Banque introuvable.")
    ensure_visible(principal, bank_id=bank.id, what="Banque")
    return bank


def list_banks(session: Session, principal: Principal) -> list[Bank]:
    authorize(principal, Action.bank_read)
    query = select(Bank).order_by(col(Bank.code))
    if principal.scope is not Scope.platform:
        query = query.where(Bank.id == principal.bank_id)
    return list(session.exec(query))


# --- organisations ----------------------------------------------------------


def create_organisation(
    session: Session, principal: Principal, data: OrganisationCreate
) -> Organisation:
    authorize(principal, Action.organisation_create)
    bank_id = data.bank_id or principal.bank_id
    get_bank(session, principal, bank_id)
    org = Organisation(**data.model_dump(exclude={"bank_id"}), bank_id=bank_id)
    session.add(org)
    session.flush()
    return org


def get_organisation(
    session: Session, principal: Principal, organisation_id: uuid.UUID
) -> Organisation:
    authorize(principal, Action.organisation_read)
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound("Organisation introuvable.")
    # Everyone in a bank may see its organisations (partners in the chain).
    ensure_visible(principal, bank_id=org.bank_id, what="Organisation")
    return org


def list_organisations(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None,
    kind: str | None = None,
) -> tuple[list[Organisation], str | None]:
    authorize(principal, Action.organisation_read)
    query = select(Organisation).where(
        scope_clause(principal, bank_col=Organisation.bank_id)
    )
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    return keyset_page(session, query, Organisation.id, limit=limit, cursor=cursor)


# --- users ------------------------------------------------------------------

# Roles each organisation kind may hold (admins belong to a coordination).
ROLES_BY_KIND: dict[str, frozenset[Role]] = {
    "coordination": frozenset({Role.coordinator, Role.observer, Role.admin}),
    "eco_organisme": frozenset({Role.collector, Role.driver}),
    "association": frozenset({Role.technician, Role.driver, Role.collector}),
    "school": frozenset({Role.school_staff}),
    "donor": frozenset({Role.donor}),
    "funder": frozenset({Role.observer}),
}


def create_user(session: Session, principal: Principal, data: UserCreate) -> User:
    authorize(principal, Action.user_create)
    org = get_organisation(session, principal, data.organisation_id)
    if data.role not in ROLES_BY_KIND[org.kind]:
        raise Invalid(
            f"Le rôle {data.role.value} n'existe pas dans une organisation "
            f"de type {org.kind.value}."
        )
    if data.role is Role.admin and principal.role is not Role.admin:
        raise Forbidden("Seul un administrateur peut créer un administrateur.")
    email = str(data.email).lower()
    if session.exec(select(User).where(func.lower(User.email) == email)).first():
        raise Conflict("Un compte existe déjà avec cette adresse e-mail.")
    user = User(
        organisation_id=org.id,
        email=email,
        full_name=data.full_name,
        role=data.role,
        password_hash=security.hash_password(data.password.get_secret_value()),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, principal: Principal, user_id: uuid.UUID) -> User:
    if user_id == principal.user_id:
        return _user(session, user_id)
    authorize(principal, Action.user_read)
    user = session.get(User, user_id)
    org = session.get(Organisation, user.organisation_id) if user else None
    if user is None or org is None:
        raise NotFound("Utilisateur introuvable.")
    ensure_visible(
        principal, bank_id=org.bank_id, organisation_ids=(org.id,), what="Utilisateur"
    )
    return user


def list_users(
    session: Session, principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[User], str | None]:
    authorize(principal, Action.user_read)
    query = (
        select(User)
        .join(Organisation, col(Organisation.id) == User.organisation_id)
        .where(
            scope_clause(
                principal,
                bank_col=Organisation.bank_id,
                organisation_cols=(Organisation.id,),
            )
        )
    )
    return keyset_page(session, query, User.id, limit=limit, cursor=cursor)


# --- API keys ---------------------------------------------------------------


def create_api_key(
    session: Session, principal: Principal, *, name: str
) -> tuple[ApiKey, str]:
    """A new key for the caller's own account; the secret is returned once."""
    authorize(principal, Action.apikey_manage)
    new = security.new_api_key()
    key = ApiKey(
        user_id=principal.user_id, name=name, prefix=new.prefix, key_hash=new.key_hash
    )
    session.add(key)
    session.flush()
    return key, new.secret


def list_api_keys(session: Session, principal: Principal) -> list[ApiKey]:
    authorize(principal, Action.apikey_manage)
    query = (
        select(ApiKey)
        .where(ApiKey.user_id == principal.user_id)
        .order_by(col(ApiKey.created_at))
    )
    return list(session.exec(query))


def revoke_api_key(session: Session, principal: Principal, key_id: uuid.UUID) -> ApiKey:
    authorize(principal, Action.apikey_manage)
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != principal.user_id:
        raise NotFound("Clé d'API introuvable.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.flush()
    return key
