"""PyVRP adapter (optional engine, ``bench`` extra): the only module importing pyvrp.

It models what PyVRP can: one window per stop. Costs are rescaled so that the
cheapest distance cost is 1 per metre (PyVRP's penalties dislike huge units).
"""

from __future__ import annotations

import time as _time
import warnings
from collections import defaultdict
from typing import Any

from routing.model import Compiled, RawResult

INF = 2**62


def can_model(c: Compiled) -> bool:
    """Whether PyVRP can take this problem: every stop here maps onto PyVRP clients
    (several windows become a mutually exclusive client group)."""
    del c
    return True


def solve(
    c: Compiled,
    *,
    time_limit_s: float,
    seed: int = 1,
    max_iterations: int | None = None,
) -> RawResult:
    """Run PyVRP's iterated local search for ``time_limit_s`` seconds (and at most
    ``max_iterations`` iterations: deterministic for a fixed seed)."""
    import numpy as np
    import pyvrp
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    t0 = _time.perf_counter()
    p = c.problem
    nodes = list(range(c.n_depots)) + [
        n for n in range(c.n_depots, c.n_nodes) if n not in c.excluded
    ]
    idx = {n: i for i, n in enumerate(nodes)}
    per_m = [v.cost_per_km / 1000.0 for v in p.vehicles if v.cost_per_km > 0]
    unit = min(per_m) if per_m else 1.0  # currency per PyVRP cost unit
    locations = [pyvrp.Location(0, 0) for _ in nodes]
    depots = [
        pyvrp.Depot(i, tw_early=c.windows[i][0][0], tw_late=c.windows[i][0][1])
        for i in range(c.n_depots)
    ]
    clients: list[Any] = []
    client_node: list[int] = []
    client_groups: list[Any] = []
    for n in nodes[c.n_depots :]:
        stop = p.stops[n - c.n_depots]
        prize = 0 if stop.required else round(stop.penalty / unit)
        wins = c.windows[n]
        group = None
        if len(wins) > 1:
            # One client per window; exactly one of them is visited.
            group = len(client_groups)
            client_groups.append(
                pyvrp.ClientGroup(
                    list(range(len(clients), len(clients) + len(wins))),
                    required=stop.required,
                )
            )
        for early, late in wins:
            clients.append(
                pyvrp.Client(
                    idx[n],
                    delivery=[c.delivery[n]],
                    pickup=[c.pickup[n]],
                    service_duration=c.service[n],
                    tw_early=early,
                    tw_late=late,
                    prize=prize,
                    required=stop.required and group is None,
                    group=group,
                )
            )
            client_node.append(n)
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for v, veh in enumerate(p.vehicles):
        key = (
            veh.capacity, c.vehicle_start[v], c.vehicle_end[v], veh.fixed_cost,
            c.vehicle_window[v], veh.max_duration_s, veh.max_distance_m,
            veh.cost_per_km, veh.cost_per_hour, c.vehicle_travel[v],
        )  # fmt: skip
        groups[key].append(v)
    types = []
    members = []
    for vs in groups.values():
        veh = p.vehicles[vs[0]]
        v0 = vs[0]
        kw: dict[str, Any] = {}
        if veh.max_duration_s is not None:
            kw["shift_duration"] = veh.max_duration_s
        if veh.max_distance_m is not None:
            kw["max_distance"] = veh.max_distance_m
        types.append(
            pyvrp.VehicleType(
                num_available=len(vs),
                capacity=[veh.capacity],
                start_depot=c.vehicle_start[v0],
                end_depot=c.vehicle_end[v0],
                fixed_cost=round(veh.fixed_cost / unit),
                tw_early=c.vehicle_window[v0][0],
                tw_late=c.vehicle_window[v0][1],
                unit_distance_cost=round(veh.cost_per_km / 1000.0 / unit),
                unit_duration_cost=round(veh.cost_per_hour / 3600.0 / unit),
                profile=c.vehicle_travel[v0],
                **kw,
            )
        )
        members.append(list(vs))
    dist: Any = np.asarray(c.distance, dtype=np.int64)[np.ix_(nodes, nodes)]
    durs: list[Any] = [
        np.asarray(t, dtype=np.int64)[np.ix_(nodes, nodes)] for t in c.travel
    ]
    data = pyvrp.ProblemData(
        locations, clients, depots, types, [dist] * len(durs), durs, client_groups
    )
    build_s = _time.perf_counter() - t0
    t1 = _time.perf_counter()
    criterion: Any = MaxRuntime(max(0.01, time_limit_s - build_s))
    if max_iterations is not None:
        criterion = MultipleCriteria([criterion, MaxIterations(max_iterations)])
    with warnings.catch_warnings():
        # PenaltyBoundWarning is advice about PyVRP's penalty tuning, not an error.
        warnings.simplefilter("ignore")
        res = pyvrp.solve(data, criterion, seed=seed, collect_stats=False)
    solve_s = _time.perf_counter() - t1
    best = res.best
    status = "FEASIBLE" if best.is_feasible() else "INFEASIBLE"
    if not best.is_feasible():
        return RawResult(None, status, 0, build_s, solve_s, "pyvrp-ils")
    orders: list[list[int]] = [[] for _ in p.vehicles]
    free = [list(m) for m in members]
    for route in best.routes():
        v = free[route.vehicle_type()].pop(0)
        orders[v] = [client_node[a.idx] for a in route if a.is_client()]
    return RawResult(orders, status, int(res.cost()), build_s, solve_s, "pyvrp-ils")
