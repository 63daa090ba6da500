"""Readers: Solomon text, VRPLIB/CVRPLIB (incl. LKH-3 CVRPTW) and our JSON format.

Benchmark readers build explicit integer matrices, set ``cost_per_km`` so that the
plan cost is the total distance in the instance's own units, and name stops by the
instance's customer numbers (depot = 0).
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, time
from pathlib import Path
from typing import Any

from routing.problem import (
    Clock,
    Closure,
    Depot,
    Location,
    Matrices,
    Problem,
    Stop,
    StopKind,
    TimeWindow,
    Vehicle,
    VehicleKind,
)

#: Solomon's fleet, used for the CVRPTW files (their VEHICLES is the BKS's count).
SOLOMON_FLEET = 25
#: Integer units per Solomon distance unit for the double-precision text format.
SOLOMON_SCALE = 1000


def _benchmark_problem(
    name: str,
    dist: list[list[int]],
    travel: list[list[int]],
    demand: list[int],
    windows: list[tuple[int, int]] | None,
    service: list[int],
    capacity: int,
    fleet: int,
    scale: int,
) -> Problem:
    """Depot at node 0; stop ids are the customer numbers 1..n."""
    h0, h1 = windows[0] if windows else (0, 10**9)
    depot = Depot("0", opens=h0, closes=h1)
    vehicles = tuple(
        Vehicle(
            id=f"v{k}",
            start_depot="0",
            capacity=capacity,
            profile="default",
            cost_per_km=1000.0 / scale,
            shift_start=h0,
            shift_end=h1,
        )
        for k in range(fleet)
    )
    stops = tuple(
        Stop(
            id=str(i),
            devices=demand[i],
            windows=(TimeWindow(windows[i][0], windows[i][1]),) if windows else (),
            service_fixed_s=service[i],
        )
        for i in range(1, len(demand))
    )
    return Problem(
        depots=(depot,),
        vehicles=vehicles,
        stops=stops,
        timezone="UTC",
        matrices=Matrices(distance_m=dist, durations_s={"default": travel}),
        name=name,
    )


def read_solomon(path: str | Path, *, fleet: int | None = None) -> Problem:
    """Classic Solomon text layout; double-precision Euclidean, time = distance.

    Distances are kept as integers in 1/1000 units (rounded; travel times rounded
    up, so a plan feasible here is feasible in double precision).
    """
    lines = [ln.strip() for ln in Path(path).read_text().splitlines()]
    name = lines[0]
    nums = [ln.split() for ln in lines if ln and re.match(r"^-?\d", ln)]
    n_veh, capacity = int(nums[0][0]), int(nums[0][1])
    rows = [r for r in nums[1:] if len(r) >= 7]
    coords = [(float(r[1]), float(r[2])) for r in rows]
    s = SOLOMON_SCALE
    demand = [int(float(r[3])) for r in rows]
    windows = [(round(float(r[4]) * s), round(float(r[5]) * s)) for r in rows]
    service = [round(float(r[6]) * s) for r in rows]
    euc = [[math.dist(a, b) * s for b in coords] for a in coords]
    dist = [[round(x) for x in row] for row in euc]
    travel = [[math.ceil(x - 1e-9) for x in row] for row in euc]
    return _benchmark_problem(
        name, dist, travel, demand, windows, service, capacity,
        fleet if fleet is not None else n_veh, s,
    )  # fmt: skip


def read_vrplib(path: str | Path, *, fleet: int | None = None) -> Problem:
    """VRPLIB/CVRPLIB (EUC_2D rounded) and LKH-3 CVRPTW (FLOOR_2D with SCALE).

    Fleet: CVRPTW files get Solomon's 25 vehicles; CVRP files ceil(1.25·k) with k from
    the ``-k`` in the name (or VEHICLES).
    """
    header: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current: str | None = None
    for raw in Path(path).read_text().splitlines():
        ln = raw.strip()
        if not ln or ln == "EOF":
            continue
        m = re.match(r"^([A-Z_]+)\s*:\s*(.*)$", ln)
        if m and not m.group(1).endswith("SECTION"):
            header[m.group(1)] = m.group(2).strip().strip('"')
            current = None
        elif re.match(r"^[A-Z_]+SECTION", ln):
            current = ln.split()[0]
            sections[current] = []
        elif current is not None:
            sections[current].append(ln.split())
    name = header.get("NAME", Path(path).stem)
    n = int(header["DIMENSION"])
    coords = [(float(r[1]), float(r[2])) for r in sections["NODE_COORD_SECTION"][:n]]
    demand = [int(r[1]) for r in sections["DEMAND_SECTION"][:n]]
    depot_id = int(sections.get("DEPOT_SECTION", [["1"]])[0][0])
    if depot_id != 1:
        raise ValueError("only instances with the depot at node 1 are supported")
    kind = header.get("EDGE_WEIGHT_TYPE", "EUC_2D")
    scale = int(float(header.get("SCALE", "1")))
    if kind == "EUC_2D":
        dist = [[round(math.dist(a, b)) for b in coords] for a in coords]
    elif kind == "FLOOR_2D":
        dist = [[math.floor(math.dist(a, b) * scale) for b in coords] for a in coords]
    else:
        raise ValueError(f"unsupported EDGE_WEIGHT_TYPE {kind}")
    windows = None
    service = [0] * n
    if "TIME_WINDOW_SECTION" in sections:
        windows = [
            (int(float(r[1]) * scale), int(float(r[2]) * scale))
            for r in sections["TIME_WINDOW_SECTION"][:n]
        ]
        st = round(float(header.get("SERVICE_TIME", "0")) * scale)
        service = [0] + [st] * (n - 1)
        if "SERVICE_TIME_SECTION" in sections:
            service = [
                round(float(r[1]) * scale) for r in sections["SERVICE_TIME_SECTION"][:n]
            ]
    if fleet is None:
        if windows is not None:
            fleet = SOLOMON_FLEET
        else:
            km = re.search(r"-k(\d+)", name)
            k = int(km.group(1)) if km else int(header.get("VEHICLES", n - 1))
            fleet = math.ceil(1.25 * k)
    capacity = int(header["CAPACITY"])
    return _benchmark_problem(
        name, dist, dist, demand, windows, service, capacity, fleet, scale
    )


# --- JSON ------------------------------------------------------------------------


def _clock(v: Any) -> Clock:
    if isinstance(v, int):
        return v
    return time.fromisoformat(str(v))


def _loc(d: dict[str, Any]) -> Location | None:
    if "lat" in d and "lon" in d:
        return Location(float(d["lat"]), float(d["lon"]))
    return None


def problem_from_dict(data: dict[str, Any]) -> Problem:
    """Build a problem from the JSON format documented in docs/routing.md."""
    depots = tuple(
        Depot(
            id=str(d["id"]),
            location=_loc(d),
            opens=_clock(d.get("opens", "00:00")),
            closes=_clock(d.get("closes", "23:59:59")),
        )
        for d in data["depots"]
    )
    vehicles = []
    for v in data["vehicles"]:
        kw: dict[str, Any] = {
            k: v[k]
            for k in (
                "speed_kmh", "profile", "cost_per_km", "cost_per_hour", "fixed_cost",
                "max_duration_s", "max_distance_m", "end_depot",
            )
            if k in v
        }  # fmt: skip
        for k in ("shift_start", "shift_end"):
            if k in v:
                kw[k] = _clock(v[k])
        vehicles.append(
            Vehicle(
                id=str(v["id"]),
                start_depot=str(v["start_depot"]),
                capacity=int(v["capacity"]),
                kind=VehicleKind(v.get("kind", "van")),
                **kw,
            )
        )
    stops = []
    for s in data["stops"]:
        stops.append(
            Stop(
                id=str(s["id"]),
                devices=int(s.get("devices", 0)),
                kind=StopKind(s.get("kind", "delivery")),
                location=_loc(s),
                windows=tuple(
                    TimeWindow(_clock(a), _clock(b)) for a, b in s.get("windows", [])
                ),
                closures=tuple(
                    Closure(
                        weekday=c.get("weekday"),
                        day=date.fromisoformat(c["day"]) if "day" in c else None,
                        start=_clock(c.get("start", "00:00")),
                        end=_clock(c.get("end", "23:59:59")),
                    )
                    for c in s.get("closures", [])
                ),
                service_fixed_s=int(s.get("service_fixed_s", 0)),
                service_per_device_s=int(s.get("service_per_device_s", 0)),
                required=bool(s.get("required", True)),
                penalty=float(s.get("penalty", 0.0)),
            )
        )
    mats = None
    if "matrices" in data:
        m = data["matrices"]
        mats = Matrices(
            distance_m=m["distance_m"], durations_s=dict(m.get("durations_s", {}))
        )
    return Problem(
        depots=depots,
        vehicles=tuple(vehicles),
        stops=tuple(stops),
        day=date.fromisoformat(data.get("day", "2026-01-05")),
        timezone=data.get("timezone", "Europe/Paris"),
        matrices=mats,
        name=str(data.get("name", "")),
    )


def read_json(path: str | Path) -> Problem:
    """Read the JSON problem format (docs/routing.md)."""
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict):
        raise ValueError("a JSON problem is an object")
    return problem_from_dict(data)


def read(
    path: str | Path, fmt: str | None = None, *, fleet: int | None = None
) -> Problem:
    """Read any supported format; guessed from the extension when ``fmt`` is None."""
    p = Path(path)
    if fmt is None:
        suffix = p.suffix.lower()
        fmt = {".json": "json", ".txt": "solomon"}.get(suffix, "vrplib")
    if fmt == "json":
        return read_json(p)
    if fmt == "solomon":
        return read_solomon(p, fleet=fleet)
    if fmt == "vrplib":
        return read_vrplib(p, fleet=fleet)
    raise ValueError(f"unknown format {fmt!r}")
