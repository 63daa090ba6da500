"""The problem compiled to integers: nodes, matrices, windows and costs.

Node ``i < n_depots`` is depot ``i``; node ``n_depots + k`` is stop ``k``. Times are
seconds from the problem day's local midnight, distances metres. Shared by the solver
adapters and by the validator (neither changes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.matrix import Haversine, MatrixProvider
from routing.plan import Reason
from routing.problem import DEFAULT_SPEED_KMH, Location, Matrices, Problem, StopKind

#: Integer cost units per currency unit inside the solvers (1e-5 €).
COST_SCALE = 100_000


@dataclass(frozen=True, slots=True)
class Compiled:
    """Integer view of a problem. Per-vehicle data is indexed by vehicle position."""

    problem: Problem
    n_depots: int
    distance: list[list[int]]
    travel: list[list[list[int]]]  # distinct travel-time matrices
    vehicle_travel: list[int]  # vehicle -> index into ``travel``
    service: list[int]  # per node
    delivery: list[int]  # per node
    pickup: list[int]  # per node
    windows: list[list[tuple[int, int]]]  # per node; depots: opening hours
    vehicle_start: list[int]  # node
    vehicle_end: list[int]  # node
    vehicle_window: list[tuple[int, int]]  # earliest leave, latest return
    excluded: dict[int, Reason]  # stop node -> reason, decided before solving

    @property
    def n_nodes(self) -> int:
        """Depots plus stops."""
        return len(self.distance)

    def stop_node(self, k: int) -> int:
        """Node of stop ``k``."""
        return self.n_depots + k

    def vehicle_arc_cost(self, v: int, i: int, j: int) -> float:
        """Distance cost of arc i->j for vehicle v, in currency units."""
        return self.problem.vehicles[v].cost_per_km * self.distance[i][j] / 1000.0

    def route_cost(self, v: int, distance_m: int, duration_s: int) -> float:
        """Cost of a used vehicle's route, in currency units."""
        veh = self.problem.vehicles[v]
        return (
            veh.fixed_cost
            + veh.cost_per_km * distance_m / 1000.0
            + veh.cost_per_hour * duration_s / 3600.0
        )


def _locations(problem: Problem) -> list[Location]:
    out: list[Location] = []
    for d in problem.depots:
        if d.location is None:
            raise ValueError(f"depot {d.id} has no location and no matrix was given")
        out.append(d.location)
    for s in problem.stops:
        if s.location is None:
            raise ValueError(f"stop {s.id} has no location and no matrix was given")
        out.append(s.location)
    return out


def matrices_for(problem: Problem, provider: MatrixProvider | None) -> Matrices:
    """The problem's own matrices, or the provider's (haversine × 1.3 by default)."""
    if problem.matrices is not None:
        return problem.matrices
    profiles = {v.matrix_profile for v in problem.vehicles if v.speed_kmh is None}
    return (provider or Haversine()).matrices(_locations(problem), profiles)


def _speed_matrix(dist: Sequence[Sequence[int]], kmh: float) -> list[list[int]]:
    arr = np.asarray(dist, dtype=np.float64)
    out: list[list[int]] = np.ceil(arr * (3.6 / kmh) - 1e-9).astype(np.int64).tolist()
    return out


def compile_problem(
    problem: Problem, provider: MatrixProvider | None = None
) -> Compiled:
    """Resolve matrices, speeds, windows and closures into integers."""
    mats = matrices_for(problem, provider)
    dist = [list(row) for row in mats.distance_m]
    nd = len(problem.depots)
    depot_pos = {d.id: i for i, d in enumerate(problem.depots)}

    travel: list[list[list[int]]] = []
    keys: dict[tuple[str, float], int] = {}
    vehicle_travel: list[int] = []
    for veh in problem.vehicles:
        if veh.speed_kmh is not None:
            key = ("speed", veh.speed_kmh)
        elif veh.matrix_profile in mats.durations_s:
            key = (veh.matrix_profile, 0.0)
        else:
            key = ("speed", DEFAULT_SPEED_KMH[veh.kind])
        if key not in keys:
            keys[key] = len(travel)
            if key[0] == "speed":
                travel.append(_speed_matrix(dist, key[1]))
            else:
                travel.append([list(r) for r in mats.durations_s[key[0]]])
        vehicle_travel.append(keys[key])

    service = [0] * nd + [s.service_s for s in problem.stops]
    delivery = [0] * nd + [
        s.devices if s.kind is StopKind.DELIVERY else 0 for s in problem.stops
    ]
    pickup = [0] * nd + [
        s.devices if s.kind is StopKind.COLLECTION else 0 for s in problem.stops
    ]
    windows: list[list[tuple[int, int]]] = [
        [(problem.seconds(d.opens), problem.seconds(d.closes))] for d in problem.depots
    ]
    windows += [problem.open_windows(s) for s in problem.stops]

    v_start = [depot_pos[v.start_depot] for v in problem.vehicles]
    v_end = [depot_pos[v.end] for v in problem.vehicles]
    v_window = []
    for i, veh in enumerate(problem.vehicles):
        lo = max(problem.seconds(veh.shift_start), windows[v_start[i]][0][0])
        hi = min(problem.seconds(veh.shift_end), windows[v_end[i]][0][1])
        v_window.append((lo, hi))

    c = Compiled(
        problem=problem,
        n_depots=nd,
        distance=dist,
        travel=travel,
        vehicle_travel=vehicle_travel,
        service=service,
        delivery=delivery,
        pickup=pickup,
        windows=windows,
        vehicle_start=v_start,
        vehicle_end=v_end,
        vehicle_window=v_window,
        excluded={},
    )
    for node in range(nd, len(dist)):
        reason = _exclusion(c, node)
        if reason is not None:
            c.excluded[node] = reason
    return c


def earliest_start(windows: Sequence[tuple[int, int]], t: int) -> int | None:
    """Earliest service start at or after ``t`` inside one of the windows."""
    for lo, hi in windows:
        if t <= hi:
            return max(t, lo)
    return None


def _exclusion(c: Compiled, node: int) -> Reason | None:
    """Why no vehicle could serve this stop even alone, if so."""
    if not c.windows[node]:
        return Reason.NO_WINDOW
    load = max(c.delivery[node], c.pickup[node])
    vehicles = c.problem.vehicles
    if vehicles and not any(load <= v.capacity for v in vehicles):
        return Reason.TOO_BIG
    for v, veh in enumerate(vehicles):
        if load > veh.capacity:
            continue
        s, e = c.vehicle_start[v], c.vehicle_end[v]
        tm = c.travel[c.vehicle_travel[v]]
        lo, hi = c.vehicle_window[v]
        start = earliest_start(c.windows[node], lo + tm[s][node])
        if start is None:
            continue
        back = start + c.service[node] + tm[node][e]
        if back > hi:
            continue
        # The vehicle could leave as late as possible; duration is at least travel.
        if veh.max_duration_s is not None:
            latest_leave = start - tm[s][node]
            if back - max(lo, latest_leave) > veh.max_duration_s:
                continue
        if (
            veh.max_distance_m is not None
            and c.distance[s][node] + c.distance[node][e] > veh.max_distance_m
        ):
            continue
        return None
    return Reason.UNREACHABLE


@dataclass(frozen=True, slots=True)
class RawResult:
    """Visiting orders (stop nodes per vehicle) and search figures."""

    orders: list[list[int]] | None
    status: str
    objective: int
    build_s: float
    solve_s: float
    strategy: str
    first_solution_s: float | None = None
    starts: list[int | None] | None = None  # departure time per vehicle
