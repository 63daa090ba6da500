"""OR-Tools routing adapter: the only module that imports ortools.

Matrices are registered natively (no Python callbacks in the search loop).
"""

from __future__ import annotations

import itertools
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.model import COST_SCALE, Compiled, RawResult

_STATUS = {v: k for k, v in routing_enums_pb2.RoutingSearchStatus.Value.items()}


@dataclass(frozen=True, slots=True)
class OrtoolsConfig:
    """Search settings for one OR-Tools run."""

    first_solution: str = "PATH_CHEAPEST_ARC"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float = 0.1
    #: Drop penalty of a required stop, as a multiple of (largest arc + fixed cost).
    required_penalty_factor: int = 100

    @property
    def name(self) -> str:
        """Short label for stats."""
        return f"{self.first_solution}+{self.metaheuristic}"


def _sub(mat: Sequence[Sequence[int]], nodes: Sequence[int], full: bool) -> Any:
    arr = np.asarray(mat, dtype=np.int64)
    return arr if full else arr[np.ix_(nodes, nodes)]


def solve(
    c: Compiled,
    *,
    time_limit_s: float,
    solution_limit: int | None = None,
    config: OrtoolsConfig | None = None,
    log_search: bool = False,
) -> RawResult:
    """Build and solve the routing model; excluded stops are left out of it."""
    cfg = config or OrtoolsConfig()
    t0 = _time.perf_counter()
    p = c.problem
    # Only depots some vehicle uses: any other node would be a mandatory visit.
    used = sorted(set(c.vehicle_start) | set(c.vehicle_end))
    nd = len(used)
    nodes = used + [n for n in range(c.n_depots, c.n_nodes) if n not in c.excluded]
    full = len(nodes) == c.n_nodes
    local = {n: i for i, n in enumerate(nodes)}
    nv = len(p.vehicles)
    manager = pywrapcp.RoutingIndexManager(
        len(nodes),
        nv,
        [local[c.vehicle_start[v]] for v in range(nv)],
        [local[c.vehicle_end[v]] for v in range(nv)],
    )
    model = pywrapcp.RoutingModel(manager)
    dist = _sub(c.distance, nodes, full)

    # Arc costs: one native matrix per distinct cost per km.
    arc_max = 0
    by_factor: dict[float, int] = {}
    for v, veh in enumerate(p.vehicles):
        factor = veh.cost_per_km * COST_SCALE / 1000.0
        if factor not in by_factor:
            mat = np.rint(dist * factor).astype(np.int64)
            arc_max = max(arc_max, int(mat.max()))
            by_factor[factor] = model.RegisterTransitMatrix(mat.tolist())
        model.SetArcCostEvaluatorOfVehicle(by_factor[factor], v)
        if veh.fixed_cost:
            model.SetFixedCostOfVehicle(round(veh.fixed_cost * COST_SCALE), v)
    fixed_max = max((round(v.fixed_cost * COST_SCALE) for v in p.vehicles), default=0)

    # Time: service at the origin + travel, one native matrix per travel matrix.
    horizon = max(hi for _lo, hi in c.vehicle_window) + 1
    service = np.asarray([c.service[n] for n in nodes], dtype=np.int64)
    time_cb: dict[int, int] = {}
    for k in sorted(set(c.vehicle_travel)):
        mat = _sub(c.travel[k], nodes, full) + service[:, None]
        time_cb[k] = model.RegisterTransitMatrix(mat.tolist())
    model.AddDimensionWithVehicleTransits(
        [time_cb[c.vehicle_travel[v]] for v in range(nv)],
        horizon,
        horizon,
        False,
        "time",
    )
    tdim = model.GetDimensionOrDie("time")
    for i, n in enumerate(nodes):
        if i < nd:
            continue
        wins = c.windows[n]
        var = tdim.CumulVar(manager.NodeToIndex(i))
        var.SetRange(wins[0][0], min(wins[-1][1], horizon))
        for (_a, b), (a2, _b2) in itertools.pairwise(wins):
            if a2 > b + 1:
                var.RemoveInterval(b + 1, a2 - 1)
    for v, veh in enumerate(p.vehicles):
        lo, hi = c.vehicle_window[v]
        tdim.CumulVar(model.Start(v)).SetRange(lo, hi)
        tdim.CumulVar(model.End(v)).SetRange(lo, hi)
        if veh.max_duration_s is not None:
            tdim.SetSpanUpperBoundForVehicle(veh.max_duration_s, v)
        if veh.cost_per_hour:
            coef = round(veh.cost_per_hour * COST_SCALE / 3600.0)
            tdim.SetSpanCostCoefficientForVehicle(coef, v)
        model.AddVariableMinimizedByFinalizer(tdim.CumulVar(model.End(v)))
        model.AddVariableMaximizedByFinalizer(tdim.CumulVar(model.Start(v)))

    # Load. Deliveries leave the depot on board; collections come back to it.
    caps = [veh.capacity for veh in p.vehicles]
    deliv = [c.delivery[n] for n in nodes]
    pick = [c.pickup[n] for n in nodes]
    if not any(pick):
        cb = model.RegisterUnaryTransitVector(deliv)
        model.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "load")
    else:
        cb_d = model.RegisterUnaryTransitVector(deliv)
        model.AddDimensionWithVehicleCapacity(cb_d, 0, caps, True, "delivered")
        cb_l = model.RegisterUnaryTransitVector(
            [pk - d for pk, d in zip(pick, deliv, strict=True)]
        )
        model.AddDimensionWithVehicleCapacity(cb_l, 0, caps, False, "load")
        ddim = model.GetDimensionOrDie("delivered")
        ldim = model.GetDimensionOrDie("load")
        solver = model.solver()
        for v in range(nv):
            solver.Add(ldim.CumulVar(model.Start(v)) == ddim.CumulVar(model.End(v)))

    if any(veh.max_distance_m is not None for veh in p.vehicles):
        cb_dist = model.RegisterTransitMatrix(dist.tolist())
        limits = [
            veh.max_distance_m if veh.max_distance_m is not None else 10**12
            for veh in p.vehicles
        ]
        model.AddDimensionWithVehicleCapacity(cb_dist, 0, limits, True, "distance")

    # Every stop is optional to the solver; required ones cost far more to drop.
    span_max = max(
        (round(v.cost_per_hour * COST_SCALE / 3600.0) for v in p.vehicles), default=0
    )
    big = cfg.required_penalty_factor * (arc_max + fixed_max + span_max * horizon + 1)
    for i in range(nd, len(nodes)):
        stop = p.stops[nodes[i] - c.n_depots]
        pen = big if stop.required else round(stop.penalty * COST_SCALE)
        model.AddDisjunction([manager.NodeToIndex(i)], pen)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, cfg.first_solution
    )
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, cfg.metaheuristic
    )
    params.guided_local_search_lambda_coefficient = cfg.gls_lambda
    build_s = _time.perf_counter() - t0
    remaining = max(0.05, time_limit_s - build_s)
    params.time_limit.FromNanoseconds(int(remaining * 1e9))
    if solution_limit is not None:
        params.solution_limit = solution_limit
    params.log_search = log_search

    first_at: list[float] = []
    t1 = _time.perf_counter()

    def on_solution() -> None:
        if not first_at:
            first_at.append(_time.perf_counter() - t1)

    model.AddAtSolutionCallback(on_solution)
    sol = model.SolveWithParameters(params)
    solve_s = _time.perf_counter() - t1
    status = _STATUS.get(model.status(), str(model.status()))
    if sol is None:
        return RawResult(None, status, 0, build_s, solve_s, cfg.name)
    orders: list[list[int]] = []
    starts: list[int | None] = []
    for v in range(nv):
        starts.append(sol.Min(tdim.CumulVar(model.Start(v))))
        idx = sol.Value(model.NextVar(model.Start(v)))
        route: list[int] = []
        while not model.IsEnd(idx):
            route.append(nodes[manager.IndexToNode(idx)])
            idx = sol.Value(model.NextVar(idx))
        orders.append(route)
    return RawResult(
        orders,
        status,
        sol.ObjectiveValue(),
        build_s,
        solve_s,
        cfg.name,
        first_at[0] if first_at else None,
        starts,
    )
