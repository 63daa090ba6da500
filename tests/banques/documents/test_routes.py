"""The documents API over HTTP, once per endpoint."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from banques.accounts.models import Role
from banques.config import Settings
from banques.devices.lifecycle import State
from banques.devices.models import AssetSequence, AssetTag
from banques.documents.schemas import MAX_BLANK_LABELS
from labels import TEMPLATES, asset_code, device_url
from tests.banques.devices.helpers import SERIAL
from tests.banques.devices.test_routes import register, scan_body
from tests.banques.documents.helpers import decode_cells
from tests.factories import World, auth
from tests.labels.conftest import page_texts

DOWNLOAD = re.compile(r'^attachment; filename="[A-Za-z0-9._-]+"$')


def base_url(app: FastAPI) -> str:
    settings: Settings = app.state.settings
    return settings.base_url


def allocated(engine: Engine) -> tuple[int, list[int]]:
    with Session(engine) as session:
        tags = session.exec(select(func.count()).select_from(AssetTag)).one()
        numbers = [s.next_number for s in session.exec(select(AssetSequence))]
    return int(tags), numbers


def walk_to(client: TestClient, world: World, tag: str, until: State) -> None:
    steps = [State.collected, State.received, State.diagnosed, State.wiped]
    for minutes, state in enumerate(steps[: steps.index(until) + 1]):
        role = Role.collector if state is State.collected else Role.technician
        response = client.post(
            "/api/v1/scans",
            headers=auth(world.a.users[role]),
            json=scan_body(state, world, tag, minutes),
        )
        assert response.status_code == 201, response.text


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    return body


def test_labels_pdf_download(app: FastAPI, client: TestClient, world: World) -> None:
    tags = [register(client, world, serial=f"S{i}") for i in range(2)]
    response = client.post(
        "/api/v1/documents/labels",
        headers=auth(world.a.users[Role.collector]),
        json={"asset_tags": tags, "template": "L7160", "start": 3},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert DOWNLOAD.match(response.headers["content-disposition"])
    assert response.headers["cache-control"] == "no-store"
    (page,) = decode_cells(response.content, "L7160", 5)
    urls = [device_url(base_url(app), t) for t in tags]
    assert page == ["", "", *urls, ""]


def test_labels_zpl_download(client: TestClient, world: World) -> None:
    tag = register(client, world)
    response = client.post(
        "/api/v1/documents/labels",
        headers=auth(world.a.users[Role.collector]),
        json={"asset_tags": [tag], "template": "62MM", "format": "zpl", "dpmm": 12},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"].endswith('.zpl"')
    assert f"/D/{tag}" in response.text


def test_one_hidden_tag_is_404_for_the_whole_list(
    client: TestClient, world: World
) -> None:
    mine = register(client, world)
    theirs = client.post(
        "/api/v1/devices",
        headers=auth(world.b.users[Role.collector]),
        json={"category": "laptop", "brand": "HP", "model": "840", "serial": "B"},
    ).json()["asset_tag"]
    for caller, tags in (
        (world.a.users[Role.collector], [mine, theirs]),
        (world.b.users[Role.coordinator], [mine]),
        (world.a.other_technician, [mine]),
        (world.a.users[Role.collector], [mine, asset_code("AAA", 4242)]),
    ):
        assert caller is not None
        response = client.post(
            "/api/v1/documents/labels",
            headers=auth(caller),
            json={"asset_tags": tags},
        )
        body = assert_problem(response, 404)
        assert body["detail"] == f"Étiquette introuvable : {tags[-1]}."


def test_labels_need_the_label_printing_role(client: TestClient, world: World) -> None:
    tag = register(client, world)
    response = client.post(
        "/api/v1/documents/labels",
        headers=auth(world.a.users[Role.donor]),
        json={"asset_tags": [tag]},
    )
    assert_problem(response, 403)


@pytest.mark.parametrize(
    "body",
    [
        {"asset_tags": ["AAA-00001-X"], "template": "L9999"},
        {"asset_tags": ["AAA-00001-X"], "start": 66},
        {"asset_tags": ["AAA-00001-X"], "org_id": "x"},
        {"asset_tags": ["pas une étiquette"]},
        {"asset_tags": []},
        {"filter": {}},
    ],
)
def test_bad_label_requests_are_422_problems(
    client: TestClient, world: World, body: dict[str, Any]
) -> None:
    response = client.post(
        "/api/v1/documents/labels",
        headers=auth(world.a.users[Role.collector]),
        json=body,
    )
    assert_problem(response, 422)


def test_blank_labels_are_allocated_and_printed_then_reprinted(
    app: FastAPI, client: TestClient, world: World, engine: Engine
) -> None:
    headers = auth(world.a.users[Role.technician])
    before, _ = allocated(engine)
    response = client.post(
        "/api/v1/documents/blank-labels",
        headers=headers,
        json={"count": 2, "template": "L7163", "offset_mm": [0.4, -0.3]},
    )
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert DOWNLOAD.match(response.headers["content-disposition"])
    after, numbers = allocated(engine)
    assert after == before + 2
    (page,) = decode_cells(response.content, "L7163", 3)
    tags = [re.sub(r".*/D/", "", url) for url in page[:2]]
    assert page == [device_url(base_url(app), t) for t in tags] + [""]

    reprint = client.post(
        "/api/v1/documents/labels", headers=headers, json={"asset_tags": tags}
    )
    assert reprint.status_code == 200, reprint.text
    assert allocated(engine) == (after, numbers)
    (again,) = decode_cells(reprint.content, "L7651", 3)
    assert again == page


@pytest.mark.parametrize(
    "body",
    [
        {"count": 0},
        {"count": MAX_BLANK_LABELS + 1},
        {"count": 2, "template": "nope"},
        {"count": 2, "start": 0},
        {"count": 2, "template": "L7163", "start": 15},
        {"count": 2, "format": "zpl"},
        {"count": 2, "offset_mm": [0, 50]},
        {"count": 2, "bank_id": "x"},
        {"count": "beaucoup"},
    ],
)
def test_bad_blank_label_requests_allocate_nothing(
    client: TestClient, world: World, engine: Engine, body: dict[str, Any]
) -> None:
    before = allocated(engine)
    response = client.post(
        "/api/v1/documents/blank-labels",
        headers=auth(world.a.users[Role.technician]),
        json=body,
    )
    assert_problem(response, 422)
    assert allocated(engine) == before


def test_a_failed_rendering_allocates_nothing(
    client: TestClient, world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from banques.documents import rendering

    def broken(*_args: object, **_kwargs: object) -> bytes:
        raise RuntimeError("printer on fire")

    monkeypatch.setattr(rendering, "label_sheet_pdf", broken)
    before = allocated(engine)
    response = client.post(
        "/api/v1/documents/blank-labels",
        headers=auth(world.a.users[Role.technician]),
        json={"count": 3},
    )
    assert_problem(response, 500)
    assert allocated(engine) == before


def test_erasure_certificate_download(
    app: FastAPI, client: TestClient, world: World
) -> None:
    tag = register(client, world)
    walk_to(client, world, tag, State.diagnosed)
    url = f"/api/v1/devices/{tag}/erasure-certificate.pdf"
    technician = auth(world.a.users[Role.technician])
    body = assert_problem(client.get(url, headers=technician), 409)
    assert body["type"].endswith("erasure-missing")
    wiped = scan_body(State.wiped, world, tag, 9)
    assert client.post("/api/v1/scans", headers=technician, json=wiped).is_success
    response = client.get(url, headers=technician)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="certificat-effacement-{tag}.pdf"'
    )
    text = " ".join(page_texts(response.content))
    for fact in ("Purge", "nwipe 0.37", SERIAL, "Thomas T.", "2 novembre 2026"):
        assert fact in text
    assert device_url(base_url(app), tag) in re.sub(r"\s", "", text)
    for caller in (world.b.users[Role.coordinator], world.a.other_technician):
        assert caller is not None
        assert_problem(client.get(url, headers=auth(caller)), 404)
    coordinator = auth(world.a.users[Role.coordinator])
    assert client.get(url, headers=coordinator).status_code == 200


def test_templates_and_calibration(client: TestClient, world: World) -> None:
    headers = auth(world.a.users[Role.school_staff])
    listed = client.get("/api/v1/documents/templates", headers=headers)
    assert listed.status_code == 200
    by_name = {t["name"]: t for t in listed.json()}
    assert set(by_name) == set(TEMPLATES)
    l7651 = by_name["L7651"]
    assert (l7651["cols"], l7651["rows"], l7651["per_page"]) == (5, 13, 65)
    assert l7651["label_mm"] == [38.1, 21.2]
    assert l7651["formats"] == ["pdf"]
    assert by_name["57X32"]["formats"] == ["pdf", "zpl"]
    calibration = "/api/v1/documents/calibration.pdf"
    page = client.get(calibration, params={"template": "L7160"}, headers=headers)
    assert page.status_code == 200
    assert page.headers["content-type"] == "application/pdf"
    assert "Calibrage L7160" in page_texts(page.content)[0]
    bad = client.get(calibration, params={"template": "X"}, headers=headers)
    assert_problem(bad, 422)


def test_donation_bundle_download(client: TestClient, world: World) -> None:
    collector = auth(world.a.users[Role.collector])
    created = client.post(
        "/api/v1/devices",
        headers=collector,
        json={
            "category": "desktop",
            "brand": "HP",
            "model": "EliteDesk 800",
            "serial": "SN-DON",
            "donation_ref": "DON/42",
        },
    )
    tag = created.json()["asset_tag"]
    url = "/api/v1/documents/erasure-certificates.pdf"
    params = {"donation_ref": "DON/42"}
    assert_problem(client.get(url, params=params, headers=collector), 409)
    walk_to(client, world, tag, State.wiped)
    response = client.get(url, params=params, headers=collector)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        'attachment; filename="certificats-effacement-don-DON-42.pdf"'
    )
    assert tag in page_texts(response.content)[0]
    other = auth(world.b.users[Role.coordinator])
    assert_problem(client.get(url, params=params, headers=other), 404)
