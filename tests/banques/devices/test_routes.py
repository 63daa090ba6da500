"""The custody API over HTTP, once per endpoint."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient

from banques.accounts.models import Role
from banques.devices.lifecycle import State
from tests.banques.devices.helpers import HAPPY_PATH, SERIAL, T0, actor_for, payload_for
from tests.factories import World, auth


def register(client: TestClient, world: World, serial: str = "SN-HTTP") -> str:
    response = client.post(
        "/api/v1/devices",
        headers=auth(world.a.users[Role.collector]),
        json={
            "category": "laptop",
            "brand": "Dell",
            "model": "Latitude 5490",
            "serial": serial,
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["asset_tag"])


def scan_body(
    state: State, world: World, tag: str, minutes: int = 0
) -> dict[str, object]:
    return {
        "asset_tag": tag,
        "to_state": state.value,
        "event_id": str(uuid.uuid4()),
        "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "payload": payload_for(state, world.a),
    }


def test_scan_and_replay_over_http(client: TestClient, world: World) -> None:
    tag = register(client, world)
    body = scan_body(State.collected, world, tag)
    headers = auth(world.a.users[Role.collector])
    first = client.post("/api/v1/scans", headers=headers, json=body)
    assert first.status_code == 201, first.text
    replay = client.post("/api/v1/scans", headers=headers, json=body)
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == first.content
    changed = client.post(
        "/api/v1/scans",
        headers=headers,
        json=body | {"payload": {"collection_ref": "X"}},
    )
    assert changed.status_code == 422
    assert changed.json()["reason_code"] == "event-reused"
    device = client.get(f"/api/v1/devices/{tag}", headers=headers).json()
    assert device["state"] == "collected"
    assert device["version"] == 2


def test_full_walk_history_and_chain_over_http(
    client: TestClient, world: World
) -> None:
    tag = register(client, world)
    for i, state in enumerate(HAPPY_PATH):
        response = client.post(
            "/api/v1/scans",
            headers=auth(actor_for(state, world.a)),
            json=scan_body(state, world, tag, i),
        )
        assert response.status_code == 201, (state, response.text)
    coordinator = auth(world.a.users[Role.coordinator])
    events = client.get(f"/api/v1/devices/{tag}/events", headers=coordinator).json()
    assert [e["to_state"] for e in events] == [
        "registered",
        *[s.value for s in HAPPY_PATH],
    ]
    assert events[1]["prev_hash"] == events[0]["hash"]
    chain = client.get(f"/api/v1/devices/{tag}/chain", headers=coordinator).json()
    assert chain == {
        "asset_tag": tag,
        "events": 11,
        "valid": True,
        "first_invalid_seq": None,
        "detail": "journal intègre",
    }
    listed = client.get(
        "/api/v1/devices",
        headers=coordinator,
        params={"state": "handed_over", "grade": "B"},
    ).json()
    assert [d["asset_tag"] for d in listed["items"]] == [tag]


def test_rejected_scan_is_a_problem_and_changes_nothing(
    client: TestClient, world: World
) -> None:
    tag = register(client, world)
    headers = auth(world.a.users[Role.collector])
    response = client.post(
        "/api/v1/scans", headers=headers, json=scan_body(State.diagnosed, world, tag)
    )
    assert response.status_code == 409
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["reason_code"] == "illegal-transition"
    assert "registered" in problem["detail"]
    device = client.get(
        f"/api/v1/devices/{tag}", headers=auth(world.a.users[Role.coordinator])
    )
    assert device.json()["version"] == 1


def test_other_bank_cannot_see_or_scan(client: TestClient, world: World) -> None:
    tag = register(client, world)
    stranger = auth(world.b.users[Role.collector])
    assert client.get(f"/api/v1/devices/{tag}", headers=stranger).status_code == 404
    response = client.post(
        "/api/v1/scans", headers=stranger, json=scan_body(State.collected, world, tag)
    )
    assert response.status_code == 404
    own = auth(world.a.users[Role.coordinator])
    assert (
        client.get(f"/api/v1/devices/{tag}", headers=own).json()["state"]
        == "registered"
    )


def test_batch_over_http(client: TestClient, world: World) -> None:
    tag = register(client, world)
    headers = auth(world.a.users[Role.collector])
    good = scan_body(State.collected, world, tag, 1)
    bad = scan_body(State.received, world, tag, 2)  # collectors cannot receive
    response = client.post(
        "/api/v1/scans/batch", headers=headers, json={"scans": [bad, good, {"x": 1}]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["applied"], body["duplicate"], body["rejected"]) == (1, 0, 2)
    assert [r["status"] for r in body["results"]] == ["rejected", "applied", "rejected"]
    assert body["results"][0]["reason_code"] == "role"
    conflicts = client.get("/api/v1/scan-conflicts", headers=headers).json()["items"]
    assert len(conflicts) == 2
    dismissed = client.post(
        f"/api/v1/scan-conflicts/{conflicts[0]['id']}/resolve",
        headers=auth(world.a.users[Role.coordinator]),
        json={"action": "dismiss", "note": "erreur de saisie"},
    )
    assert dismissed.status_code == 200
    assert dismissed.json()["status"] == "dismissed"


def test_a_batch_catches_up_the_scans_that_arrived_before_it(
    client: TestClient, world: World
) -> None:
    tag = register(client, world)
    tech = auth(world.a.users[Role.technician])
    early = [
        scan_body(State.received, world, tag, 2),
        scan_body(State.diagnosed, world, tag, 3),
    ]
    first = client.post("/api/v1/scans/batch", headers=tech, json={"scans": early})
    assert [r["status"] for r in first.json()["results"]] == ["rejected", "rejected"]
    assert len(client.get("/api/v1/scan-conflicts", headers=tech).json()["items"]) == 2
    collector = auth(world.a.users[Role.collector])
    late = client.post(
        "/api/v1/scans/batch",
        headers=collector,
        json={"scans": [scan_body(State.collected, world, tag, 1)]},
    )
    assert late.json()["applied"] == 1
    device = client.get(f"/api/v1/devices/{tag}", headers=tech).json()
    assert (device["state"], device["version"]) == ("diagnosed", 4)
    assert client.get("/api/v1/scan-conflicts", headers=tech).json()["items"] == []


def test_batch_size_is_capped(client: TestClient, world: World) -> None:
    headers = auth(world.a.users[Role.collector])
    response = client.post(
        "/api/v1/scans/batch", headers=headers, json={"scans": [{}] * 1001}
    )
    assert response.status_code == 422


def test_blank_tags_and_csv_import_and_erasure_report(
    client: TestClient, world: World
) -> None:
    tech = auth(world.a.users[Role.technician])
    tags = client.post(
        "/api/v1/asset-tags/blank", headers=tech, json={"count": 3}
    ).json()
    assert len(tags["tags"]) == 3
    csv = (
        b"category,brand,model,serial\n"
        b"laptop,HP,EliteBook 840,X1\ntablet,Samsung,Tab A,X2\n"
    )
    imported = client.post(
        "/api/v1/devices/import",
        headers=tech,
        files={"file": ("lot.csv", csv, "text/csv")},
    )
    assert imported.status_code == 201, imported.text
    assert [d["serial"] for d in imported.json()["created"]] == ["X1", "X2"]
    report = {
        "report_metadata": {"software": "nwipe", "version": "0.37"},
        "device": {"model": "WD SN520", "serial_no": SERIAL},
        "wipe_result": {"status": "success", "pass_errors": 0, "verify_errors": 0},
    }
    uploaded = client.post(
        "/api/v1/erasure-reports",
        headers=tech,
        files={
            "file": (
                "nwipe_report.json",
                json.dumps(report).encode(),
                "application/json",
            )
        },
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["medium_serial"] == SERIAL
    rid = uploaded.json()["id"]
    assert client.get(f"/api/v1/erasure-reports/{rid}", headers=tech).status_code == 200
    other = auth(world.a.other_technician)  # type: ignore[arg-type]
    assert (
        client.get(f"/api/v1/erasure-reports/{rid}", headers=other).status_code == 404
    )
    broken = client.post(
        "/api/v1/erasure-reports",
        headers=tech,
        files={"file": ("x.json", b"{", "application/json")},
    )
    assert broken.status_code == 422


def test_one_event_id_with_two_contents_in_a_batch_never_blocks_a_device(
    client: TestClient, world: World
) -> None:
    """The second content is refused (event-reused): no conflict left behind that
    would later clash with the applied event."""
    d1, d2 = register(client, world, "SN-1"), register(client, world, "SN-2")
    collector = auth(world.a.users[Role.collector])
    tech = auth(world.a.users[Role.technician])
    collected = scan_body(State.collected, world, d2, 0)
    assert (
        client.post(
            "/api/v1/scans/batch", headers=collector, json={"scans": [collected]}
        ).json()["applied"]
        == 1
    )
    same_id = str(uuid.uuid4())
    first = scan_body(State.received, world, d1, 60) | {"event_id": same_id}
    second = scan_body(State.received, world, d2, 120) | {"event_id": same_id}
    answer = client.post(
        "/api/v1/scans/batch", headers=tech, json={"scans": [first, second]}
    ).json()
    assert [r["status"] for r in answer["results"]] == ["rejected", "rejected"]
    assert answer["results"][1]["reason_code"] == "event-reused"
    later = client.post(
        "/api/v1/scans/batch",
        headers=collector,
        json={"scans": [scan_body(State.collected, world, d1, 30)]},
    )
    assert later.status_code == 200, later.text
    assert later.json()["applied"] == 1


def test_a_nul_character_in_a_blank_labels_description_is_one_refused_item(
    client: TestClient, world: World
) -> None:
    collector = auth(world.a.users[Role.collector])
    (blank,) = client.post(
        "/api/v1/asset-tags/blank", headers=collector, json={"count": 1}
    ).json()["tags"]
    good_tag = register(client, world, "SN-G")
    good = scan_body(State.collected, world, good_tag, 0)
    bad = scan_body(State.collected, world, blank, 1) | {
        "device": {"category": "laptop", "brand": "De\x00ll", "model": "X"}
    }
    answer = client.post(
        "/api/v1/scans/batch", headers=collector, json={"scans": [good, bad]}
    )
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["applied", "rejected"]
    conflicts = client.get("/api/v1/scan-conflicts", headers=collector).json()
    assert len(conflicts["items"]) == 1
