"""Hypothesis: on random small days every stop is served once or reported, and
every returned plan passes the validator (capacities, windows, shifts)."""

from __future__ import annotations

from datetime import date, time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import (
    Depot,
    Location,
    Problem,
    Stop,
    StopKind,
    TimeWindow,
    Vehicle,
    VehicleKind,
    solve,
)
from routing.model import compile_problem
from routing.validate import violations

WINDOWS = [
    (),
    (TimeWindow(time(8, 30), time(11, 30)),),
    (TimeWindow(time(13, 30), time(16, 30)),),
    (TimeWindow(time(8, 30), time(9)), TimeWindow(time(14), time(14, 30))),
    (TimeWindow(time(9), time(9, 5)),),
]


def _loc(draw: st.DrawFn) -> Location:
    return Location(
        45.70 + draw(st.integers(0, 100)) / 1000,
        4.80 + draw(st.integers(0, 100)) / 1000,
    )


@st.composite
def days(draw: st.DrawFn) -> Problem:
    n_depots = draw(st.integers(1, 2))
    depots = tuple(
        Depot(f"d{k}", _loc(draw), opens=time(7), closes=time(18))
        for k in range(n_depots)
    )
    vehicles = tuple(
        Vehicle(
            id=f"v{k}",
            start_depot=f"d{draw(st.integers(0, n_depots - 1))}",
            end_depot=f"d{draw(st.integers(0, n_depots - 1))}",
            capacity=draw(st.sampled_from([8, 12, 40])),
            kind=draw(st.sampled_from(list(VehicleKind))),
            shift_start=time(draw(st.integers(7, 9))),
            shift_end=time(draw(st.integers(12, 17))),
            cost_per_km=draw(st.sampled_from([0.1, 0.3])),
            cost_per_hour=draw(st.sampled_from([0.0, 15.0])),
            fixed_cost=draw(st.sampled_from([0.0, 12.0, 50.0])),
            max_duration_s=draw(st.sampled_from([None, 3 * 3600])),
            max_distance_m=draw(st.sampled_from([None, 15_000])),
        )
        for k in range(draw(st.integers(1, 3)))
    )
    stops = tuple(
        Stop(
            id=f"s{i}",
            devices=draw(st.integers(0, 15)),
            kind=draw(st.sampled_from(list(StopKind))),
            location=_loc(draw),
            windows=draw(st.sampled_from(WINDOWS)),
            service_fixed_s=600,
            service_per_device_s=60,
            required=draw(st.booleans()),
            penalty=draw(st.sampled_from([0.5, 100.0])),
        )
        for i in range(draw(st.integers(0, 8)))
    )
    return Problem(
        depots=depots,
        vehicles=vehicles,
        stops=stops,
        day=date(2026, 3, draw(st.integers(9, 15))),
        timezone=draw(st.sampled_from(["Europe/Paris", "America/Cayenne"])),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_random_days_give_valid_complete_plans(problem: Problem) -> None:
    plan = solve(problem, time_limit_s=1.0, solution_limit=20, workers=1)
    c = compile_problem(problem)
    assert violations(c, plan) == []
    served = [v.stop_id for r in plan.routes for v in r.visits]
    unserved = [u.stop_id for u in plan.unserved]
    assert len(served) == len(set(served))
    assert sorted(served + unserved) == sorted(s.id for s in problem.stops)
    by_id = {s.id: s for s in problem.stops}
    for u in plan.unserved:
        assert u.required == by_id[u.stop_id].required
        assert u.reason
    for r in plan.routes:
        veh = next(v for v in problem.vehicles if v.id == r.vehicle_id)
        assert r.load_start <= veh.capacity
        assert all(0 <= v.load_after <= veh.capacity for v in r.visits)
        for v in r.visits:
            wins = c.windows[c.n_depots + list(by_id).index(v.stop_id)]
            t = round((v.arrival - problem.midnight).total_seconds())
            assert any(a <= t <= b for a, b in wins)
