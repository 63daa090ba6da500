"""Matrix providers: haversine, and OSRM against a response fixture (no live OSRM)."""

from __future__ import annotations

import json

import pytest

from routing import Haversine, Location, Osrm
from routing.matrix import UNREACHABLE, haversine_m
from tests.routing.conftest import DATA

LYON = [Location(45.764, 4.8357), Location(45.7536, 4.8466), Location(45.7378, 4.8423)]


def test_haversine_paris_lyon() -> None:
    d = haversine_m(Location(48.8566, 2.3522), Location(45.7640, 4.8357))
    assert d == pytest.approx(391_500, rel=0.01)


def test_haversine_provider_applies_detour() -> None:
    m = Haversine(detour=1.3).matrices(LYON, {"car"})
    assert m.distance_m[0][0] == 0
    assert m.distance_m[0][1] == m.distance_m[1][0]
    assert m.distance_m[0][1] == round(1.3 * haversine_m(LYON[0], LYON[1]))
    assert m.durations_s == {}


def test_osrm_table_fixture() -> None:
    body = (DATA / "osrm_table_3.json").read_bytes()
    urls: list[str] = []

    def fetch(url: str, timeout_s: float) -> bytes:
        urls.append(url)
        return body

    m = Osrm("http://osrm.local:5000/", profiles={"car": "driving"}, fetch=fetch)
    mats = m.matrices(LYON, ["car"])
    assert urls == [
        "http://osrm.local:5000/table/v1/driving/"
        "4.835700,45.764000;4.846600,45.753600;4.842300,45.737800"
        "?annotations=duration,distance"
    ]
    assert mats.distance_m[0][1] == 3120
    assert mats.durations_s["car"][1][2] == 301
    assert mats.durations_s["car"][2][2] == UNREACHABLE  # null in the response


def test_osrm_error_code_raises() -> None:
    def fetch(url: str, timeout_s: float) -> bytes:
        return json.dumps({"code": "InvalidQuery", "message": "bad"}).encode()

    with pytest.raises(RuntimeError, match="InvalidQuery"):
        Osrm("http://x", fetch=fetch).matrices(LYON, ["car"])
