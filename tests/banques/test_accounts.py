"""Accounts: login, tokens, API keys, users — at the service level and over HTTP."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from banques import db
from banques.accounts import security, service
from banques.accounts.models import ApiKey, LoginFailure, Role, User
from banques.accounts.ratelimit import FailureLimiter
from banques.accounts.schemas import UserCreate
from banques.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from tests.banques.web.pages import csrf_of
from tests.factories import PASSWORD, SECRET, World, auth, make_tenant


def login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/api/v1/auth/token", data={"username": email, "password": password}
    )


def test_login_returns_a_bearer_token_that_opens_me(
    client: TestClient, world: World
) -> None:
    tech = world.a.users[Role.technician]
    response = client.post(
        "/api/v1/auth/token",
        data={"username": tech.email.upper(), "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["user"]["email"] == tech.email
    assert me.json()["organisation"]["id"] == str(tech.organisation_id)
    assert me.json()["bank"]["code"] == "AAA"
    assert "password_hash" not in me.text


def test_wrong_password_is_a_problem_401(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/auth/token",
        data={"username": world.a.users[Role.donor].email, "password": "nope"},
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Adresse e-mail ou mot de passe incorrect."


def test_eleventh_failed_login_in_a_minute_is_throttled(
    client: TestClient, world: World
) -> None:
    email = world.a.users[Role.donor].email
    statuses = [
        client.post(
            "/api/v1/auth/token", data={"username": email, "password": "bad"}
        ).status_code
        for _ in range(11)
    ]
    assert statuses == [401] * 10 + [429]
    blocked = client.post(
        "/api/v1/auth/token", data={"username": email, "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0


def test_limiter_forgets_after_its_window(session: Session) -> None:
    limiter = FailureLimiter(limit=2, window_s=60, secret=SECRET)
    t0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    limiter.fail(session, "k", now=t0)
    limiter.fail(session, "k", now=t0)
    assert limiter.retry_after(session, "k", now=t0 + timedelta(seconds=30)) == 31
    assert limiter.retry_after(session, "k", now=t0 + timedelta(seconds=60)) is None


def test_limiter_blocks_at_its_limit(session: Session) -> None:
    limiter = FailureLimiter(limit=2, window_s=60, secret=SECRET)
    limiter.fail(session, "k")
    assert limiter.retry_after(session, "k") is None
    limiter.fail(session, "k")
    wait = limiter.retry_after(session, "k")
    assert wait is not None
    assert 0 < wait <= 61
    assert limiter.retry_after(session, "other") is None


def test_limiter_is_shared_by_workers_and_stores_no_key(session: Session) -> None:
    """Two limiters (two worker processes) count the same failures, kept as HMACs."""
    one = FailureLimiter(limit=2, window_s=60, secret=SECRET)
    other = FailureLimiter(limit=2, window_s=60, secret=SECRET)
    one.fail(session, "email:eve@example.org")
    other.fail(session, "email:eve@example.org")
    assert one.retry_after(session, "email:eve@example.org") is not None
    stored = session.exec(select(LoginFailure.key_hash)).all()
    assert len(stored) == 2
    assert all("eve" not in h and len(h) == 64 for h in stored)


def test_limiter_prunes_failures_out_of_the_window(session: Session) -> None:
    limiter = FailureLimiter(limit=5, window_s=60, secret=SECRET)
    t0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    limiter.fail(session, "a", "b", now=t0)
    limiter.fail(session, "c", now=t0 + timedelta(minutes=5))
    assert len(session.exec(select(LoginFailure)).all()) == 1


def test_service_login_raises_429_when_throttled(session: Session) -> None:
    tenant = make_tenant(session, "CCC")
    limiter = FailureLimiter(limit=1, secret=SECRET)
    email = tenant.users[Role.donor].email
    kwargs = {"client": "1.2.3.4", "limiter": limiter, "secret": SECRET, "minutes": 5}
    with pytest.raises(Exception, match="incorrect"):
        service.login(session, email=email, password="bad", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TooManyRequests):
        service.login(session, email=email, password=PASSWORD, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-jwt",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
        "Bearer bsk_000000000000_forged",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_bad_tokens_get_401(client: TestClient, world: World, header: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["status"] == 401


def test_expired_token_gets_401(client: TestClient, world: World) -> None:
    user = world.a.users[Role.coordinator]
    old = security.issue_token(
        user_id=user.id,
        token_version=0,
        secret=SECRET,
        now=datetime.now(UTC) - timedelta(hours=2),
        minutes=30,
    )
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401


def test_token_signed_with_another_key_gets_401(
    client: TestClient, world: World
) -> None:
    user = world.a.users[Role.coordinator]
    forged = security.issue_token(
        user_id=user.id,
        token_version=0,
        secret="another-secret-another-secret-00",
        now=datetime.now(UTC),
        minutes=30,
    )
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_logout_revokes_existing_tokens(client: TestClient, world: World) -> None:
    headers = auth(world.a.users[Role.driver])
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_password_change_invalidates_old_tokens(
    client: TestClient, world: World
) -> None:
    user = world.a.users[Role.driver]
    headers = auth(user)
    wrong = client.put(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": "wrong", "new_password": "a-new-long-password"},
    )
    assert wrong.status_code == 422
    response = client.put(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": "a-new-long-password"},
    )
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert login(client, user.email, "a-new-long-password").status_code == 200
    assert login(client, user.email).status_code == 401


def test_deactivated_user_cannot_log_in(
    client: TestClient, world: World, engine: object
) -> None:
    from banques import db

    user = world.a.users[Role.donor]
    with db.transaction(engine) as s:  # type: ignore[arg-type]
        row = s.get(User, user.id)
        assert row is not None
        row.is_active = False
    assert login(client, user.email).status_code == 401
    assert client.get("/api/v1/me", headers=auth(user)).status_code == 401


def test_api_key_lifecycle(client: TestClient, world: World, engine: object) -> None:
    from banques import db

    headers = auth(world.a.users[Role.technician])
    created = client.post(
        "/api/v1/api-keys", headers=headers, json={"name": "douchette"}
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("bsk_")
    with db.transaction(engine) as s:  # type: ignore[arg-type]
        stored = s.exec(select(ApiKey)).one()
        assert key not in (stored.key_hash, stored.prefix)  # hashed at rest
        assert stored.key_hash == security.sha256(key)
    me = client.get("/api/v1/me", headers={"X-API-Key": key})
    assert me.status_code == 200
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code
        == 200
    )
    listed = client.get("/api/v1/api-keys", headers=headers).json()
    assert [k["name"] for k in listed] == ["douchette"]
    assert "key" not in listed[0]
    revoked = client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 401


def test_api_key_of_another_user_cannot_be_revoked(
    client: TestClient, world: World
) -> None:
    created = client.post(
        "/api/v1/api-keys",
        headers=auth(world.a.users[Role.technician]),
        json={"name": "x"},
    ).json()
    other = client.delete(
        f"/api/v1/api-keys/{created['id']}",
        headers=auth(world.a.other_technician),  # type: ignore[arg-type]
    )
    assert other.status_code == 404
    assert (
        client.get("/api/v1/me", headers={"X-API-Key": created["key"]}).status_code
        == 200
    )


# --- users (service level) ----------------------------------------------------


def _new_user(
    org_id: object, role: Role, email: str = "new.user@example.org"
) -> UserCreate:
    return UserCreate.model_validate(
        {
            "organisation_id": str(org_id),
            "email": email,
            "full_name": "Nouvel Utilisateur",
            "role": role.value,
            "password": "a-long-enough-password",
        }
    )


def test_coordinator_creates_users_in_own_bank_only(session: Session) -> None:
    a = make_tenant(session, "CCC")
    b = make_tenant(session, "DDD")
    from banques.accounts.service import principal_for

    coordinator = principal_for(session, a.users[Role.coordinator])
    user = service.create_user(
        session, coordinator, _new_user(a.orgs["association"].id, Role.technician)
    )
    assert user.email == "new.user@example.org"
    assert security.verify_password("a-long-enough-password", user.password_hash)
    with pytest.raises(NotFound):
        service.create_user(
            session,
            coordinator,
            _new_user(b.orgs["association"].id, Role.technician, "x@example.org"),
        )
    with pytest.raises(Conflict):
        service.create_user(
            session, coordinator, _new_user(a.orgs["association"].id, Role.driver)
        )
    with pytest.raises(Invalid):
        service.create_user(
            session,
            coordinator,
            _new_user(a.orgs["school"].id, Role.technician, "y@example.org"),
        )
    with pytest.raises(Forbidden):
        service.create_user(
            session,
            coordinator,
            _new_user(a.orgs["coordination"].id, Role.admin, "z@example.org"),
        )
    technician = principal_for(session, a.users[Role.technician])
    with pytest.raises(Forbidden):
        service.create_user(
            session,
            technician,
            _new_user(a.orgs["association"].id, Role.driver, "w@example.org"),
        )


def test_user_lists_are_scoped(session: Session) -> None:
    a = make_tenant(session, "CCC")
    b = make_tenant(session, "DDD")
    from banques.accounts.service import principal_for

    coordinator = principal_for(session, a.users[Role.coordinator])
    rows, _ = service.list_users(session, coordinator, limit=100, cursor=None)
    ids = {u.id for u in rows}
    assert {u.id for u in a.users.values()} <= ids
    assert not ids & {u.id for u in b.users.values()}


def test_user_list_pagination_visits_every_row_once(
    client: TestClient, world: World
) -> None:
    headers = auth(world.admin)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/users", headers=headers, params=params).json()
        seen += [u["id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 2 * 8 + 1


def test_http_user_creation_by_coordinator(client: TestClient, world: World) -> None:
    body = {
        "organisation_id": str(world.a.orgs["association"].id),
        "email": "Nouveau.Tech@Example.org",
        "full_name": "Nouveau Technicien",
        "role": "technician",
        "password": "a-long-enough-password",
    }
    response = client.post(
        "/api/v1/users", headers=auth(world.a.users[Role.coordinator]), json=body
    )
    assert response.status_code == 201, response.text
    assert response.json()["email"] == "nouveau.tech@example.org"
    assert "password" not in response.text
    assert (
        login(client, "nouveau.tech@example.org", "a-long-enough-password").status_code
        == 200
    )


# --- browser sessions -------------------------------------------------------------

LIMITS = service.SessionLimits(idle=timedelta(hours=4), lifetime=timedelta(hours=12))
MORNING = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def open_session(session: Session, user: User, at: datetime = MORNING) -> str:
    limiter = FailureLimiter(limit=10, secret=SECRET)
    issued = service.open_web_session(
        session,
        email=user.email,
        password=PASSWORD,
        client="10.0.0.1",
        limiter=limiter,
        limits=LIMITS,
        now=at,
    )
    assert issued.max_age == 12 * 3600
    return issued.token


def test_a_browser_session_slides_while_used_and_ends_when_idle(
    session: Session,
) -> None:
    user = make_tenant(session, "SES").users[Role.technician]
    token = open_session(session, user)
    at = MORNING
    for _ in range(3):  # used every 3 hours: never idle for 4
        at += timedelta(hours=3)
        p = service.authenticate_web_session(session, token, limits=LIMITS, now=at)
        assert p.user_id == user.id
    with pytest.raises(Unauthorized):
        service.authenticate_web_session(
            session, token, limits=LIMITS, now=at + timedelta(hours=4)
        )


def test_a_browser_session_ends_at_its_absolute_limit(session: Session) -> None:
    user = make_tenant(session, "SEA").users[Role.technician]
    token = open_session(session, user)
    at = MORNING
    while at + timedelta(hours=2) < MORNING + timedelta(hours=12):
        at += timedelta(hours=2)
        service.authenticate_web_session(session, token, limits=LIMITS, now=at)
    with pytest.raises(Unauthorized):
        service.authenticate_web_session(
            session, token, limits=LIMITS, now=MORNING + timedelta(hours=12)
        )


def test_closing_a_browser_session_leaves_the_others(session: Session) -> None:
    user = make_tenant(session, "SEC").users[Role.technician]
    phone, desk = open_session(session, user), open_session(session, user)
    service.close_web_session(session, phone, now=MORNING)
    later = MORNING + timedelta(minutes=5)
    with pytest.raises(Unauthorized):
        service.authenticate_web_session(session, phone, limits=LIMITS, now=later)
    assert service.authenticate_web_session(session, desk, limits=LIMITS, now=later)


def test_password_change_and_deactivation_end_browser_sessions(
    session: Session,
) -> None:
    tenant = make_tenant(session, "SED")
    user = tenant.users[Role.technician]
    token = open_session(session, user)
    principal = service.principal_for(session, user)
    service.change_password(
        session, principal, current=PASSWORD, new="un autre mot de passe long"
    )
    with pytest.raises(Unauthorized):
        service.authenticate_web_session(session, token, limits=LIMITS, now=MORNING)
    other = tenant.users[Role.driver]
    token = open_session(session, other)
    other.is_active = False
    session.add(other)
    session.flush()
    with pytest.raises(Unauthorized):
        service.authenticate_web_session(session, token, limits=LIMITS, now=MORNING)


def test_unknown_session_tokens_are_refused(session: Session) -> None:
    with pytest.raises(Unauthorized):
        service.authenticate_web_session(
            session, "forged-token", limits=LIMITS, now=MORNING
        )


def test_parallel_wrong_passwords_check_no_more_than_the_limit(
    engine: Engine, world: World
) -> None:
    """30 guesses at once on one account, limit 10: 10 passwords checked, 20
    refused (advisory locks on PostgreSQL, the write lock on SQLite)."""
    email = world.a.users[Role.technician].email
    limiter = FailureLimiter(limit=10, window_s=60, secret=SECRET)
    answers: list[int] = []
    start = threading.Barrier(30)

    def guess(i: int) -> None:
        start.wait()
        with db.transaction(engine) as session:
            try:
                service.check_password(
                    session,
                    email=email,
                    password=f"faux-{i}",
                    client=f"10.0.0.{i}",
                    limiter=limiter,
                )
            except (Unauthorized, TooManyRequests) as refused:
                answers.append(refused.status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [401] * 10 + [429] * 20


def test_a_nul_character_in_the_login_is_a_wrong_login(
    client: TestClient, world: World
) -> None:
    email = world.a.users[Role.technician].email
    answer = login(client, email + "\x00", PASSWORD)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    page = client.get("/connexion")
    form = client.post(
        "/connexion",
        data={"email": "\x00", "mot_de_passe": "x", "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert form.status_code == 401
    assert "incorrect" in form.text
