"""Independent plan checker (no solver code): loads, windows, shifts, limits, costs.

It also builds plans from bare visiting orders (``schedule``), so every engine's
output goes through the same arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from routing.model import Compiled, earliest_start
from routing.plan import Plan, Reason, Route, Stats, Unserved, Visit
from routing.problem import Problem

#: Relative tolerance for cost comparisons.
COST_TOL = 1e-6


class InvalidPlan(ValueError):
    """A plan broke a hard rule; ``violations`` lists every problem found."""

    def __init__(self, violations: Sequence[str]) -> None:
        super().__init__("; ".join(violations[:10]))
        self.violations = list(violations)


@dataclass(frozen=True, slots=True)
class _Timed:
    arrival: int  # service start
    departure: int
    wait: int


def _from(
    c: Compiled, v: int, nodes: Sequence[int], leave: int
) -> tuple[int, list[_Timed], int, bool]:
    """Earliest-start schedule leaving at ``leave``, then the departure delayed to
    cut waiting. Returns (leave, visits, back, feasible)."""
    tm = c.travel[c.vehicle_travel[v]]
    hi = c.vehicle_window[v][1]
    prev, t, ok = c.vehicle_start[v], leave, True
    timed: list[_Timed] = []
    for n in nodes:
        arr = t + tm[prev][n]
        s = earliest_start(c.windows[n], arr)
        ok = ok and s is not None
        start = arr if s is None else s
        timed.append(_Timed(start, start + c.service[n], start - arr))
        prev, t = n, start + c.service[n]
    back = t + tm[prev][c.vehicle_end[v]]
    # Delay the departure by delta: shift at visit i = max(0, delta - waits so far).
    waited = 0
    delta = sum(x.wait for x in timed)
    for n, x in zip(nodes, timed, strict=True):
        waited += x.wait
        end = next((b for a, b in c.windows[n] if a <= x.arrival <= b), x.arrival)
        delta = min(delta, waited + end - x.arrival)
    delta = max(0, min(delta, waited + hi - back))
    waited = 0
    out: list[_Timed] = []
    for x in timed:
        shift = max(0, delta - waited - x.wait)
        wait_left = max(0, x.wait - max(0, delta - waited))
        waited += x.wait
        out.append(_Timed(x.arrival + shift, x.departure + shift, wait_left))
    back += max(0, delta - waited)
    return leave + delta, out, back, ok and back <= hi


def _schedule_times(
    c: Compiled, v: int, nodes: Sequence[int], hint: int | None = None
) -> tuple[int, list[_Timed], int]:
    """The shortest feasible schedule among candidate departures: the shift start,
    the engine's own departure (``hint``) and, with several windows, departures that
    reach a visit exactly at one of its window starts. Infeasible arrivals are kept
    (late) so the validator reports them."""
    lo = c.vehicle_window[v][0]
    cands = {lo} if hint is None else {lo, max(lo, hint)}
    if any(len(c.windows[n]) > 1 for n in nodes):
        tm = c.travel[c.vehicle_travel[v]]
        prev, offset = c.vehicle_start[v], 0
        for n in nodes:
            offset += tm[prev][n]
            cands.update(a - offset for a, _b in c.windows[n] if a - offset > lo)
            offset += c.service[n]
            prev = n
    best: tuple[bool, int, int] | None = None
    result: tuple[int, list[_Timed], int] | None = None
    for t in sorted(cands):
        leave, timed, back, ok = _from(c, v, nodes, t)
        key = (not ok, back - leave, leave)
        if best is None or key < best:
            best, result = key, (leave, timed, back)
    assert result is not None
    return result


def schedule(
    c: Compiled,
    orders: Sequence[Sequence[int]],
    stats: Stats,
    dropped_reason: Reason = Reason.NO_CAPACITY,
    starts: Sequence[int | None] | None = None,
) -> Plan:
    """Build a plan from each vehicle's visiting order (stop nodes; empty = unused);
    ``starts`` are the engine's departure times, used as a scheduling hint."""
    p = c.problem
    routes: list[Route] = []
    served: set[int] = set()
    for v, nodes in enumerate(orders):
        if not nodes:
            continue
        veh = p.vehicles[v]
        leave, timed, back = _schedule_times(
            c, v, nodes, None if starts is None else starts[v]
        )
        load = sum(c.delivery[n] for n in nodes)
        load_start = load
        prev, dist = c.vehicle_start[v], 0
        visits: list[Visit] = []
        for n, x in zip(nodes, timed, strict=True):
            load += c.pickup[n] - c.delivery[n]
            d = c.distance[prev][n]
            dist += d
            visits.append(
                Visit(
                    stop_id=p.stops[n - c.n_depots].id,
                    arrival=p.at(x.arrival),
                    departure=p.at(x.departure),
                    load_after=load,
                    distance_m=d,
                    wait_s=x.wait,
                )
            )
            prev = n
            served.add(n)
        dist += c.distance[prev][c.vehicle_end[v]]
        routes.append(
            Route(
                vehicle_id=veh.id,
                start_depot=veh.start_depot,
                end_depot=veh.end,
                start=p.at(leave),
                end=p.at(back),
                visits=tuple(visits),
                load_start=load_start,
                distance_m=dist,
                duration_s=back - leave,
                cost=c.route_cost(v, dist, back - leave),
            )
        )
    penalties = {s.id: s.penalty for s in p.stops}
    unserved: list[Unserved] = []
    for k, stop in enumerate(p.stops):
        n = c.n_depots + k
        if n in served:
            continue
        reason = c.excluded.get(n)
        if reason is None:
            reason = dropped_reason if stop.required else Reason.OPTIONAL_DROPPED
        unserved.append(Unserved(stop.id, reason, stop.required))
    return Plan(
        routes=tuple(routes),
        unserved=tuple(unserved),
        cost=sum(r.cost for r in routes),
        penalty=sum(penalties[u.stop_id] for u in unserved if not u.required),
        distance_m=sum(r.distance_m for r in routes),
        stats=stats,
    )


def violations(c: Compiled, plan: Plan) -> list[str]:
    """Every hard-rule violation in ``plan``; empty when the plan is valid."""
    p = c.problem
    out: list[str] = []
    vpos = {v.id: i for i, v in enumerate(p.vehicles)}
    spos = {s.id: c.n_depots + k for k, s in enumerate(p.stops)}
    seen: dict[str, str] = {}
    used_vehicles: set[str] = set()
    total_cost = 0.0
    total_dist = 0
    for r in plan.routes:
        if r.vehicle_id not in vpos:
            out.append(f"unknown vehicle {r.vehicle_id}")
            continue
        if r.vehicle_id in used_vehicles:
            out.append(f"vehicle {r.vehicle_id} used twice")
        used_vehicles.add(r.vehicle_id)
        v = vpos[r.vehicle_id]
        veh = p.vehicles[v]
        if (r.start_depot, r.end_depot) != (veh.start_depot, veh.end):
            out.append(f"{veh.id}: wrong depots")
        tm = c.travel[c.vehicle_travel[v]]
        lo, hi = c.vehicle_window[v]
        start = _sec(p, r.start)
        end = _sec(p, r.end)
        if start < lo:
            out.append(f"{veh.id}: leaves at {start} before {lo}")
        if end > hi:
            out.append(f"{veh.id}: back at {end} after {hi}")
        nodes: list[int] = []
        for vis in r.visits:
            if vis.stop_id not in spos:
                out.append(f"{veh.id}: unknown stop {vis.stop_id}")
                continue
            if vis.stop_id in seen:
                out.append(f"stop {vis.stop_id} visited twice")
            seen[vis.stop_id] = veh.id
            nodes.append(spos[vis.stop_id])
        if len(nodes) != len(r.visits):
            continue
        # Loads: deliveries are all on board when leaving.
        load = sum(c.delivery[n] for n in nodes)
        if load != r.load_start:
            out.append(f"{veh.id}: load at start {r.load_start} != {load}")
        if load > veh.capacity:
            out.append(f"{veh.id}: leaves with {load} > capacity {veh.capacity}")
        prev, t, dist = c.vehicle_start[v], start, 0
        for n, vis in zip(nodes, r.visits, strict=True):
            load += c.pickup[n] - c.delivery[n]
            if load != vis.load_after:
                out.append(f"{veh.id}/{vis.stop_id}: load {vis.load_after} != {load}")
            if load > veh.capacity or load < 0:
                out.append(f"{veh.id}/{vis.stop_id}: load {load} out of capacity")
            d = c.distance[prev][n]
            if d != vis.distance_m:
                out.append(f"{veh.id}/{vis.stop_id}: distance {vis.distance_m} != {d}")
            dist += d
            arr, dep = _sec(p, vis.arrival), _sec(p, vis.departure)
            if arr < t + tm[prev][n]:
                out.append(f"{veh.id}/{vis.stop_id}: arrives before it can")
            if not any(a <= arr <= b for a, b in c.windows[n]):
                out.append(f"{veh.id}/{vis.stop_id}: service at {arr} outside windows")
            if dep != arr + c.service[n]:
                out.append(f"{veh.id}/{vis.stop_id}: departure != arrival + service")
            prev, t = n, dep
        dist += c.distance[prev][c.vehicle_end[v]]
        if end < t + tm[prev][c.vehicle_end[v]]:
            out.append(f"{veh.id}: back at the depot before it can")
        if dist != r.distance_m:
            out.append(f"{veh.id}: distance {r.distance_m} != {dist}")
        if veh.max_distance_m is not None and dist > veh.max_distance_m:
            out.append(f"{veh.id}: distance {dist} > max {veh.max_distance_m}")
        duration = end - start
        if duration != r.duration_s:
            out.append(f"{veh.id}: duration {r.duration_s} != {duration}")
        if veh.max_duration_s is not None and duration > veh.max_duration_s:
            out.append(f"{veh.id}: duration {duration} > max {veh.max_duration_s}")
        cost = c.route_cost(v, dist, duration)
        if not _close(cost, r.cost):
            out.append(f"{veh.id}: cost {r.cost} != {cost}")
        total_cost += cost
        total_dist += dist
    listed = {u.stop_id for u in plan.unserved}
    if len(listed) != len(plan.unserved):
        out.append("a stop is listed unserved twice")
    for s in p.stops:
        if s.id in seen and s.id in listed:
            out.append(f"stop {s.id} both served and unserved")
        elif s.id not in seen and s.id not in listed:
            out.append(f"stop {s.id} neither served nor reported unserved")
    for u in plan.unserved:
        if u.stop_id not in spos:
            out.append(f"unknown unserved stop {u.stop_id}")
    if not _close(total_cost, plan.cost):
        out.append(f"plan cost {plan.cost} != {total_cost}")
    if total_dist != plan.distance_m:
        out.append(f"plan distance {plan.distance_m} != {total_dist}")
    return out


def check(c: Compiled, plan: Plan) -> None:
    """Raise ``InvalidPlan`` if ``plan`` breaks any hard rule."""
    found = violations(c, plan)
    if found:
        raise InvalidPlan(found)


def _sec(p: Problem, dt: datetime) -> int:
    return round((dt - p.midnight).total_seconds())


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= COST_TOL * max(1.0, abs(a), abs(b))
