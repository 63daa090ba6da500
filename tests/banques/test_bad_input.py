"""Bad input gets a 4xx problem response and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from banques.accounts.models import Role
from banques.models import metadata
from tests.factories import World, auth


def row_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        return {
            t.name: int(s.execute(select(func.count()).select_from(t)).scalar_one())
            for t in metadata.sorted_tables
        }


@pytest.fixture
def unchanged(engine: Engine, world: World) -> Iterator[None]:
    before = row_counts(engine)
    yield
    assert row_counts(engine) == before


def problem_of(response: Any) -> dict[str, object]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code
    assert body["title"]
    assert "Traceback" not in response.text
    return dict(body)


USER_BODY = {
    "email": "nouveau@example.org",
    "full_name": "Nouveau",
    "role": "technician",
    "password": "a-long-enough-password",
}


@pytest.mark.usefixtures("unchanged")
def test_malformed_json_is_400(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/users",
        headers=auth(world.a.users[Role.coordinator])
        | {"content-type": "application/json"},
        content=b'{"email": "x@example.org",',
    )
    assert response.status_code == 400
    assert (
        problem_of(response)["detail"]
        == "Le corps de la requête n'est pas un JSON valide."
    )


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "00000000-0000-0000-0000-000000000000"),
        ("is_active", False),
        ("token_version", 9),
        ("password_hash", "x"),
        ("bank_id", "00000000-0000-0000-0000-000000000000"),
        ("created_by", "me"),
    ],
)
def test_unknown_fields_are_refused(
    client: TestClient, world: World, field: str, value: object
) -> None:
    body = USER_BODY | {
        "organisation_id": str(world.a.orgs["association"].id),
        field: value,
    }
    response = client.post(
        "/api/v1/users", headers=auth(world.a.users[Role.coordinator]), json=body
    )
    assert response.status_code == 422
    problem = problem_of(response)
    assert problem["errors"] == [
        {"loc": ["body", field], "type": "extra_forbidden", "msg": "champ non autorisé"}
    ]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "patch",
    [
        {"role": "pirate"},
        {"email": "not-an-email"},
        {"password": "short"},
        {"organisation_id": "not-a-uuid"},
        {"full_name": 42},
        {"organisation_id": None},
    ],
)
def test_wrong_types_are_422_in_french(
    client: TestClient, world: World, patch: dict[str, object]
) -> None:
    body = USER_BODY | {"organisation_id": str(world.a.orgs["association"].id)} | patch
    response = client.post(
        "/api/v1/users", headers=auth(world.a.users[Role.coordinator]), json=body
    )
    assert response.status_code == 422
    problem = problem_of(response)
    assert str(problem["detail"]).startswith(
        "La requête contient des données invalides"
    )


@pytest.mark.usefixtures("unchanged")
def test_non_object_body_is_422(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/users", headers=auth(world.a.users[Role.coordinator]), json=[1, 2]
    )
    problem_of(response)


@pytest.mark.usefixtures("unchanged")
def test_oversized_body_is_413(client: TestClient, world: World) -> None:
    big = "x" * (3 * 1024 * 1024)
    response = client.post(
        "/api/v1/users",
        headers=auth(world.a.users[Role.coordinator]),
        json=USER_BODY | {"full_name": big},
    )
    assert response.status_code == 413
    problem_of(response)


@pytest.mark.usefixtures("unchanged")
def test_oversized_chunked_body_is_413(client: TestClient, world: World) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * (100 * 1024)

    response = client.post(
        "/api/v1/users",
        headers=auth(world.a.users[Role.coordinator])
        | {"content-type": "application/json"},
        content=chunks(),
    )
    assert response.status_code == 413


@pytest.mark.usefixtures("unchanged")
def test_bad_query_parameters_are_422(client: TestClient, world: World) -> None:
    headers = auth(world.a.users[Role.coordinator])
    for params in ({"limit": 0}, {"limit": 1000}, {"limit": "abc"}, {"cursor": "%%%"}):
        problem_of(client.get("/api/v1/users", headers=headers, params=params))


@pytest.mark.usefixtures("unchanged")
def test_bad_path_id_is_422(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/users/not-a-uuid", headers=auth(world.admin))
    assert response.status_code == 422
    problem_of(response)


@pytest.mark.usefixtures("unchanged")
def test_unknown_path_and_method_are_problems(client: TestClient, world: World) -> None:
    assert problem_of(client.get("/api/v1/nothing-here"))["status"] == 404
    assert problem_of(client.delete("/health"))["status"] == 405


@pytest.mark.usefixtures("unchanged")
def test_conflicting_write_changes_nothing(client: TestClient, world: World) -> None:
    body = USER_BODY | {
        "organisation_id": str(world.a.orgs["association"].id),
        "email": world.a.users[Role.driver].email,
    }
    response = client.post(
        "/api/v1/users", headers=auth(world.a.users[Role.coordinator]), json=body
    )
    assert response.status_code == 409
    problem_of(response)


def test_unexpected_errors_are_500_problems_without_traceback(
    app: object, world: World
) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/v1/devices?serial=a%00b", None),
        ("GET", "/api/v1/devices/LYO%00", None),
        (
            "POST",
            "/api/v1/devices",
            {"category": "laptop", "brand": "a\x00b", "model": "m"},
        ),
        ("GET", "/api/v1/documents/erasure-certificates.pdf?donation_ref=%00", None),
    ],
)
def test_nul_characters_are_refused_not_crashed_on(
    client: TestClient,
    engine: Engine,
    world: World,
    method: str,
    url: str,
    body: object,
) -> None:
    """PostgreSQL cannot keep a NUL character in a text: 422, nothing recorded
    (SQLite keeps it: there the request simply runs)."""
    before = row_counts(engine)
    headers = auth(world.a.users[Role.technician])
    response = client.request(method, url, headers=headers, json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        problem_of(response)
    if response.status_code == 422 and method == "POST":
        assert row_counts(engine) == before


def test_a_batch_keeps_items_with_nul_characters_as_conflicts(
    client: TestClient, world: World
) -> None:
    headers = auth(world.a.users[Role.collector])
    tag = client.post(
        "/api/v1/devices",
        headers=headers,
        json={"category": "laptop", "brand": "Dell", "model": "E7470"},
    ).json()["asset_tag"]
    good = {
        "asset_tag": tag,
        "to_state": "collected",
        "event_id": "6b4ee88b-27cc-47cb-bc9a-06c28a451ab5",
        "occurred_at": "2026-11-02T08:00:00Z",
        "payload": {"collection_ref": "COL-1"},
    }
    nul_key = {"\x00": None}
    nul_tag = good | {
        "asset_tag": "A\x00B",
        "event_id": "7b4ee88b-27cc-47cb-bc9a-06c28a451ab5",
    }
    response = client.post(
        "/api/v1/scans/batch", headers=headers, json={"scans": [nul_key, good, nul_tag]}
    )
    assert response.status_code == 200, response.text
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["rejected", "applied", "rejected"]
    conflicts = client.get("/api/v1/scan-conflicts", headers=headers).json()["items"]
    assert len(conflicts) == 2
