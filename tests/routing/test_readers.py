"""Readers on committed public instances, JSON format, and the CLI."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from routing import Plan, Stats, check
from routing.model import compile_problem
from routing.readers import read, read_json, read_solomon, read_vrplib
from routing.validate import schedule
from tests.routing.conftest import DATA

ROOT = Path(__file__).resolve().parents[2]


def test_vrplib_cvrptw_uses_truncated_tenths() -> None:
    p = read_vrplib(DATA / "C101.100.10.vrptw")
    assert len(p.stops) == 100
    assert len(p.vehicles) == 25
    assert p.vehicles[0].capacity == 200
    assert p.matrices is not None
    # depot (40,50) -> customer 1 (45,68): sqrt(349) = 18.68..., truncated to 18.6
    assert p.matrices.distance_m[0][1] == 186
    assert p.stops[0].id == "1"
    assert p.stops[0].service_fixed_s == 900


def test_cvrplib_bks_solution_scores_its_published_cost() -> None:
    p = read_vrplib(DATA / "X-n101-k25.vrp")
    assert len(p.vehicles) == math.ceil(1.25 * 25)
    c = compile_problem(p)
    routes = [
        [int(x) for x in line.split(":")[1].split()]
        for line in (DATA / "X-n101-k25.sol").read_text().splitlines()
        if line.startswith("Route")
    ]
    orders = [[c.n_depots + k - 1 for k in r] for r in routes]
    orders += [[] for _ in range(len(p.vehicles) - len(orders))]
    plan = schedule(c, orders, Stats("bks", "", "", 0, 0, 0))
    check(c, plan)
    assert plan.cost == pytest.approx(27591)


def test_solomon_text_is_double_precision() -> None:
    p = read_solomon(DATA / "C101.txt")
    assert p.name == "C101"
    assert len(p.stops) == 100
    assert len(p.vehicles) == 25
    assert p.matrices is not None
    assert p.matrices.distance_m[0][1] == round(math.sqrt(25 + 18**2) * 1000)


def test_format_guessed_from_extension() -> None:
    assert read(DATA / "C101.txt").name == "C101"
    assert read(DATA / "X-n101-k25.vrp").name == "X-n101-k25"


PROBLEM_JSON = {
    "name": "lyon-tuesday",
    "day": "2026-03-11",
    "timezone": "Europe/Paris",
    "depots": [
        {"id": "atelier", "lat": 45.7578, "lon": 4.832,
         "opens": "07:30", "closes": "18:00"}
    ],
    "vehicles": [
        {"id": "van-1", "kind": "van", "start_depot": "atelier", "capacity": 40,
         "shift_start": "08:00", "shift_end": "17:30", "cost_per_km": 0.3,
         "fixed_cost": 50},
        {"id": "bike-1", "kind": "cargo_bike", "start_depot": "atelier", "capacity": 8,
         "speed_kmh": 15, "cost_per_km": 0.1, "fixed_cost": 12},
    ],
    "stops": [
        {"id": "0690001A", "lat": 45.764, "lon": 4.8357, "devices": 12,
         "windows": [["08:30", "11:30"], ["13:30", "16:30"]],
         "closures": [{"weekday": 2, "start": "12:00"}],
         "service_fixed_s": 600, "service_per_device_s": 60},
        {"id": "0690002B", "lat": 45.7536, "lon": 4.8466, "devices": 5,
         "kind": "collection", "required": False, "penalty": 30},
    ],
}  # fmt: skip


def test_json_reader(tmp_path: Path) -> None:
    f = tmp_path / "day.json"
    f.write_text(json.dumps(PROBLEM_JSON))
    p = read_json(f)
    assert p.vehicles[1].speed_kmh == 15
    assert p.stops[1].kind == "collection"
    # Wednesday: the afternoon window is closed.
    assert len(p.open_windows(p.stops[0])) == 1


def _cli(*args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "routing", "solve", *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    data = json.loads(out.stdout)
    assert isinstance(data, dict)
    return data


def test_cli_solves_a_benchmark_instance() -> None:
    data = _cli(str(DATA / "C101.100.10.vrptw"), "--time-limit", "1", "--workers", "1")
    assert set(data) >= {"cost", "vehicles", "unserved", "stats", "routes"}
    routes = data["routes"]
    assert isinstance(routes, list)
    assert sorted(x for r in routes for x in r) == list(range(1, 101))
    assert data["unserved"] == []
    cost = data["cost"]
    assert isinstance(cost, float)
    assert cost >= 827.3 - 1e-6  # the BKS


def test_cli_json_format(tmp_path: Path) -> None:
    f = tmp_path / "day.json"
    f.write_text(json.dumps(PROBLEM_JSON))
    data = _cli(
        str(f), "--format", "json", "--time-limit", "1", "--solution-limit", "20"
    )
    routes = data["routes"]
    assert isinstance(routes, list)
    served = [x for r in routes for x in r]
    assert "0690001A" in served
    stats = data["stats"]
    assert isinstance(stats, dict)
    assert re.match(r"ROUTING_|FEASIBLE", str(stats["status"]))


def test_plan_is_plain_data(four_stops: object) -> None:
    assert Plan.__dataclass_params__.frozen  # type: ignore[attr-defined]
