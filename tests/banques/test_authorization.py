"""Every registered route: anonymous callers get 401, other banks never see objects.

This test grows with every endpoint: a route whose path parameter has no entry in
``object_ids`` (below) fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from banques.accounts.models import Role
from tests.factories import Tenant, World, auth

# Routes anyone may call without credentials.
PUBLIC = {
    ("GET", "/health"),
    ("POST", "/api/v1/auth/token"),
}

# Routes about the caller's own account (no object of another organisation to leak).
SELF_ONLY = {
    ("GET", "/api/v1/me"),
    ("PUT", "/api/v1/me/password"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/api-keys"),
    ("POST", "/api/v1/api-keys"),
}

# For each path parameter: how to get the id of bank A's object of that type.
ObjectIds = dict[str, Callable[[Tenant], str]]
object_ids: ObjectIds = {
    "bank_id": lambda t: str(t.bank.id),
    "organisation_id": lambda t: str(t.orgs["association"].id),
    "user_id": lambda t: str(t.users[Role.technician].id),
}

# Parameters whose objects are created per test by a callable (client, tenant) -> id.
Creator = Callable[[TestClient, Tenant], str]


def _api_key(client: TestClient, tenant: Tenant) -> str:
    response = client.post(
        "/api/v1/api-keys",
        headers=auth(tenant.users[Role.technician]),
        json={"name": "k"},
    )
    assert response.status_code == 201
    return str(response.json()["id"])


def _device(client: TestClient, tenant: Tenant) -> str:
    response = client.post(
        "/api/v1/devices",
        headers=auth(tenant.users[Role.technician]),
        json={"category": "laptop", "brand": "Dell", "model": "E7470", "serial": "S-A"},
    )
    assert response.status_code == 201
    return str(response.json()["asset_tag"])


def _conflict(client: TestClient, tenant: Tenant) -> str:
    tag = _device(client, tenant)
    scan = {
        "asset_tag": tag,
        "to_state": "wiped",
        "event_id": str(uuid.uuid4()),
        "occurred_at": "2026-11-02T08:00:00Z",
        "payload": {},
    }
    response = client.post(
        "/api/v1/scans/batch",
        headers=auth(tenant.users[Role.technician]),
        json={"scans": [scan]},
    )
    return str(response.json()["results"][0]["conflict_id"])


def _erasure_report(client: TestClient, tenant: Tenant) -> str:
    report = (
        b'{"report_metadata": {"software": "nwipe", "version": "0.37"},'
        b' "device": {"model": "M", "serial_no": "S"}, "wipe_result": {"status": "ok"}}'
    )
    response = client.post(
        "/api/v1/erasure-reports",
        headers=auth(tenant.users[Role.technician]),
        files={"file": ("r.json", report, "application/json")},
    )
    assert response.status_code == 201
    return str(response.json()["id"])


def _print_job(client: TestClient, tenant: Tenant) -> str:
    response = client.post(
        "/api/v1/documents/blank-labels",
        headers=auth(tenant.users[Role.technician]),
        json={"count": 66},
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


created_ids: dict[str, Creator] = {
    "key_id": _api_key,
    "asset_tag": _device,
    "conflict_id": _conflict,
    "report_id": _erasure_report,
    "job_id": _print_job,
}

PARAM = re.compile(r"{(\w+)}")


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the application serves, from its OpenAPI document."""
    paths = app.openapi()["paths"]
    pairs = [(m.upper(), path) for path, ops in paths.items() for m in ops]
    assert pairs, "no routes found"
    return sorted(pairs)


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    missing = []
    for method, path in api_routes(app):
        if (method, path) in PUBLIC | SELF_ONLY:
            continue
        params = PARAM.findall(path)
        unknown = [p for p in params if p not in object_ids and p not in created_ids]
        if unknown:
            missing.append(f"{method} {path}: {unknown}")
    assert not missing, "routes without an authorisation matrix entry:\n" + "\n".join(
        missing
    )


def _fill(path: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: values[m.group(1)], path)


def test_anonymous_callers_get_401_everywhere_but_public_routes(
    app: FastAPI, client: TestClient, world: World
) -> None:
    dummy = {name: str(uuid.uuid4()) for name in object_ids | created_ids}
    dummy["asset_tag"] = "AAA-00001-X"
    checked = 0
    for method, path in api_routes(app):
        if (method, path) in PUBLIC:
            continue
        response = client.request(method, _fill(path, dummy), json={})
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"
        checked += 1
    assert checked >= 10


def test_public_routes_answer_without_credentials(client: TestClient) -> None:
    assert client.get("/health").json()["status"] == "ok"


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.admin])
def test_other_bank_never_sees_bank_a_objects(
    app: FastAPI, client: TestClient, world: World, role: Role
) -> None:
    """Every object route answers the same for bank A's object as for a random id,
    and never with success; lists contain none of bank A's ids. (Platform admins see
    every bank by design: ``test_admin_sees_every_bank``.)"""
    headers = auth(world.b.users[role])
    a_values = {name: get(world.a) for name, get in object_ids.items()}
    a_values |= {name: make(client, world.a) for name, make in created_ids.items()}
    random_values = {name: str(uuid.uuid4()) for name in a_values}
    random_values["asset_tag"] = "AAA-00999-" + "0"
    secrets = set(a_values.values())
    for method, path in api_routes(app):
        if (method, path) in PUBLIC:
            continue
        params = PARAM.findall(path)
        if params:
            real = client.request(
                method, _fill(path, a_values), headers=headers, json={}
            )
            fake = client.request(
                method, _fill(path, random_values), headers=headers, json={}
            )
            assert real.status_code >= 400, (method, path, real.status_code)
            assert real.status_code == fake.status_code, (method, path)
            assert not any(s in real.text for s in secrets), (method, path)
        elif method == "GET":
            listed = client.get(path, headers=headers)
            leaked = [s for s in secrets if s in listed.text]
            assert not leaked, (path, leaked)


def test_same_bank_other_association_cannot_see_users(
    client: TestClient, world: World
) -> None:
    caller = world.a.other_technician
    assert caller is not None
    target = world.a.users[Role.technician]
    response = client.get(f"/api/v1/users/{target.id}", headers=auth(caller))
    assert response.status_code in (403, 404)
    assert target.email not in response.text


def test_coordinator_sees_own_bank_not_the_other(
    client: TestClient, world: World
) -> None:
    headers = auth(world.a.users[Role.coordinator])
    own = client.get(
        f"/api/v1/organisations/{world.a.orgs['school'].id}", headers=headers
    )
    assert own.status_code == 200
    other = client.get(
        f"/api/v1/organisations/{world.b.orgs['school'].id}", headers=headers
    )
    assert other.status_code == 404
    banks = client.get("/api/v1/banks", headers=headers).json()
    assert [b["code"] for b in banks] == ["AAA"]


def test_admin_sees_every_bank(client: TestClient, world: World) -> None:
    banks = client.get("/api/v1/banks", headers=auth(world.admin)).json()
    assert {b["code"] for b in banks} == {"AAA", "BBB"}
