"""Solving small problems: every hard rule holds, unserved stops are explained."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest

from routing import (
    Closure,
    Depot,
    Infeasible,
    Location,
    Plan,
    Problem,
    Reason,
    Stop,
    StopKind,
    TimeWindow,
    Vehicle,
    VehicleKind,
    check,
    solve,
)
from routing.model import compile_problem
from tests.routing.conftest import WORKSHOP, school, van

FAST = {"time_limit_s": 2.0, "solution_limit": 30, "workers": 1}


def _valid(problem: Problem, plan: Plan) -> None:
    check(compile_problem(problem), plan)


def _reasons(plan: Plan) -> dict[str, Reason]:
    return {u.stop_id: u.reason for u in plan.unserved}


def test_four_stops_all_served_in_their_windows(four_stops: Problem) -> None:
    plan = solve(four_stops, **FAST)  # type: ignore[arg-type]
    _valid(four_stops, plan)
    assert plan.unserved == ()
    assert plan.vehicles == 1
    visits = {v.stop_id: v for v in plan.routes[0].visits}
    assert set(visits) == {s.id for s in four_stops.stops}
    assert time(8, 30) <= visits["school-1"].arrival.time() <= time(11, 30)
    assert time(13, 30) <= visits["school-2"].arrival.time() <= time(16, 30)
    assert visits["school-1"].arrival.tzinfo is not None
    assert plan.routes[0].load_start == 28
    assert plan.stats.engine == "ortools"
    assert plan.stats.status.startswith("ROUTING_")
    assert plan.cost == pytest.approx(50.0 + 0.30 * plan.distance_m / 1000)


def test_deterministic_in_solution_limit_mode(four_stops: Problem) -> None:
    a = solve(four_stops, **FAST)  # type: ignore[arg-type]
    b = solve(four_stops, **FAST)  # type: ignore[arg-type]
    assert [[v.stop_id for v in r.visits] for r in a.routes] == [
        [v.stop_id for v in r.visits] for r in b.routes
    ]
    assert a.cost == b.cost


def test_two_worker_portfolio(four_stops: Problem) -> None:
    plan = solve(four_stops, time_limit_s=2.0, solution_limit=30, workers=2)
    _valid(four_stops, plan)
    assert len(plan.stats.extra["runs"]) == 2


def test_wednesday_afternoon_school_is_unserved_with_reason(
    four_stops: Problem,
) -> None:
    wed = replace(four_stops, day=date(2026, 3, 11))
    closed = replace(
        wed.stops[1], closures=(Closure(weekday=2, start=time(12)),)
    )  # afternoon-only school, closed on Wednesday afternoon
    p = replace(wed, stops=(wed.stops[0], closed, *wed.stops[2:]))
    plan = solve(p, **FAST)  # type: ignore[arg-type]
    _valid(p, plan)
    assert _reasons(plan) == {"school-2": Reason.NO_WINDOW}
    assert not plan.feasible
    with pytest.raises(Infeasible, match="school-2"):
        solve(p, strict=True, **FAST)  # type: ignore[arg-type]


def test_too_big_and_unreachable_are_reported(four_stops: Problem) -> None:
    big = school(8, 45.76, 4.84, 99)
    far = school(9, 48.8566, 2.3522, 1, windows=(TimeWindow(time(8, 30), time(9)),))
    p = replace(four_stops, stops=(*four_stops.stops, big, far))
    plan = solve(p, **FAST)  # type: ignore[arg-type]
    _valid(p, plan)
    assert _reasons(plan) == {
        "school-8": Reason.TOO_BIG,
        "school-9": Reason.UNREACHABLE,
    }
    assert all(u.required for u in plan.unserved)


def test_not_enough_capacity_drops_a_stop_with_reason(four_stops: Problem) -> None:
    p = replace(four_stops, vehicles=(van(capacity=20),))
    plan = solve(p, **FAST)  # type: ignore[arg-type]
    _valid(p, plan)
    assert sum(r.load_start for r in plan.routes) <= 20
    assert plan.unserved
    assert {u.reason for u in plan.unserved} == {Reason.NO_CAPACITY}


def test_optional_stop_with_low_penalty_is_dropped(four_stops: Problem) -> None:
    cheap = school(7, 45.70, 4.90, 2, required=False, penalty=0.01)
    p = replace(four_stops, stops=(*four_stops.stops, cheap))
    plan = solve(p, **FAST)  # type: ignore[arg-type]
    _valid(p, plan)
    assert _reasons(plan) == {"school-7": Reason.OPTIONAL_DROPPED}
    assert plan.penalty == pytest.approx(0.01)
    assert plan.feasible


def test_collections_ride_back_with_deliveries_on_board() -> None:
    # Capacity 10: deliver 6 and collect 6. Collecting first would need 12 on board.
    depot = Depot("workshop", WORKSHOP)
    deliver = Stop("deliver", 6, location=Location(45.76, 4.84))
    collect = Stop(
        "collect", 6, kind=StopKind.COLLECTION, location=Location(45.765, 4.845)
    )
    p = Problem(
        depots=(depot,),
        vehicles=(Vehicle("v", "workshop", 10),),
        stops=(collect, deliver),
        timezone="Europe/Paris",
    )
    plan = solve(p, **FAST)  # type: ignore[arg-type]
    _valid(p, plan)
    (route,) = plan.routes
    assert [v.stop_id for v in route.visits] == ["deliver", "collect"]
    assert route.load_start == 6
    assert [v.load_after for v in route.visits] == [0, 6]


def test_collection_that_cannot_fit_after_deliveries() -> None:
    # Both required, capacity 10: 8 delivered + 8 collected can only go if delivery
    # comes first.
    depot = Depot("w", WORKSHOP)
    p = Problem(
        depots=(depot,),
        vehicles=(Vehicle("v", "w", 10),),
        stops=(
            Stop("c", 8, StopKind.COLLECTION, Location(45.76, 4.84)),
            Stop("d", 8, location=Location(45.70, 4.80)),
        ),
    )
    plan = solve(p, **FAST)  # type: ignore[arg-type]
    _valid(p, plan)
    assert [v.stop_id for v in plan.routes[0].visits] == ["d", "c"]


def test_two_depots_and_mixed_fleet() -> None:
    north, south = Location(45.80, 4.83), Location(45.70, 4.83)
    stops = tuple(
        Stop(f"s{i}", 3, location=Location(lat, 4.83 + 0.005 * i), service_fixed_s=300)
        for i, lat in enumerate([45.81, 45.805, 45.795, 45.705, 45.695, 45.69])
    )
    p = Problem(
        depots=(Depot("N", north), Depot("S", south)),
        vehicles=(
            Vehicle("bikeN", "N", 10, VehicleKind.CARGO_BIKE, cost_per_km=0.1),
            Vehicle("bikeS", "S", 10, VehicleKind.CARGO_BIKE, cost_per_km=0.1),
            Vehicle("vanN", "N", 40, cost_per_km=0.3, fixed_cost=50),
        ),
        stops=stops,
    )
    plan = solve(p, **FAST)  # type: ignore[arg-type]
    _valid(p, plan)
    assert plan.unserved == ()
    used = {r.vehicle_id: {v.stop_id for v in r.visits} for r in plan.routes}
    assert used == {"bikeN": {"s0", "s1", "s2"}, "bikeS": {"s3", "s4", "s5"}}


def test_max_distance_and_duration_hold() -> None:
    stops = tuple(
        Stop(f"s{i}", 1, location=Location(45.75 + 0.01 * i, 4.83)) for i in range(1, 6)
    )
    p = Problem(
        depots=(Depot("w", WORKSHOP),),
        vehicles=(
            Vehicle("a", "w", 10, max_distance_m=6000, speed_kmh=20),
            Vehicle("b", "w", 10, max_duration_s=1500, speed_kmh=20),
        ),
        stops=stops,
    )
    plan = solve(p, **FAST)  # type: ignore[arg-type]
    _valid(p, plan)
    for r in plan.routes:
        if r.vehicle_id == "a":
            assert r.distance_m <= 6000
        else:
            assert r.duration_s <= 1500
    served = {v.stop_id for r in plan.routes for v in r.visits}
    assert served | {u.stop_id for u in plan.unserved} == {s.id for s in stops}


def test_cost_per_hour_and_span() -> None:
    p = Problem(
        depots=(Depot("w", WORKSHOP),),
        vehicles=(Vehicle("v", "w", 10, cost_per_km=0.0, cost_per_hour=20.0),),
        stops=(Stop("s", 1, location=Location(45.77, 4.84), service_fixed_s=600),),
    )
    plan = solve(p, **FAST)  # type: ignore[arg-type]
    (route,) = plan.routes
    assert route.cost == pytest.approx(20.0 * route.duration_s / 3600)
    assert route.visits[0].wait_s == 0


def test_empty_problem() -> None:
    p = Problem(depots=(Depot("workshop", WORKSHOP),), vehicles=(van(),), stops=())
    plan = solve(p, **FAST)  # type: ignore[arg-type]
    assert plan.routes == ()
    assert plan.cost == 0


def test_pyvrp_engine_plans_pass_the_same_validator(four_stops: Problem) -> None:
    pytest.importorskip("pyvrp")
    from routing import _pyvrp
    from routing.plan import Stats
    from routing.validate import schedule

    collect = Stop("c", 6, StopKind.COLLECTION, Location(45.765, 4.845))
    p = replace(four_stops, stops=(*four_stops.stops, collect))
    c = compile_problem(p)  # school-3 has two windows: a PyVRP client group
    assert _pyvrp.can_model(c)
    res = _pyvrp.solve(c, time_limit_s=2.0, max_iterations=200)
    assert res.orders is not None
    plan = schedule(c, res.orders, Stats("pyvrp", "", "", 0, 0, 0))
    check(c, plan)
    assert plan.unserved == ()
    assert sum(len(r.visits) for r in plan.routes) == len(p.stops)


def test_pyvrp_multi_window_picks_one_window() -> None:
    pytest.importorskip("pyvrp")
    from routing import _pyvrp
    from routing.plan import Stats
    from routing.validate import schedule

    # Only the afternoon window of "a" fits after "b" (afternoon only, 10 min away).
    wins = (TimeWindow(time(8), time(8, 5)), TimeWindow(time(15), time(15, 30)))
    p = Problem(
        depots=(Depot("w", WORKSHOP),),
        vehicles=(Vehicle("v", "w", 10, shift_start=time(13)),),
        stops=(
            Stop("a", 1, location=Location(45.76, 4.84), windows=wins),
            Stop("b", 1, location=Location(45.77, 4.84),
                 windows=(TimeWindow(time(14), time(14, 30)),)),
            Stop("opt", 1, location=Location(45.75, 4.83), windows=wins,
                 required=False, penalty=0.001),
        ),
    )  # fmt: skip
    c = compile_problem(p)
    res = _pyvrp.solve(c, time_limit_s=2.0, max_iterations=200)
    assert res.orders is not None
    plan = schedule(c, res.orders, Stats("pyvrp", "", "", 0, 0, 0))
    check(c, plan)
    assert [v.stop_id for v in plan.routes[0].visits] == ["b", "a"]
    assert plan.routes[0].visits[1].arrival.time() >= time(15)
    assert [u.stop_id for u in plan.unserved] == ["opt"]


def test_race_is_deterministic_in_solution_limit_mode(four_stops: Problem) -> None:
    pytest.importorskip("pyvrp")
    runs = [
        solve(four_stops, time_limit_s=5.0, solution_limit=20, workers=2)
        for _ in range(2)
    ]
    assert {r.stats.extra["runs"][1]["strategy"] for r in runs} == {"pyvrp-ils"}
    assert runs[0].cost == runs[1].cost
    assert [v.stop_id for v in runs[0].routes[0].visits] == [
        v.stop_id for v in runs[1].routes[0].visits
    ]


def test_no_vehicles_reports_every_stop(four_stops: Problem) -> None:
    p = replace(four_stops, vehicles=())
    plan = solve(p, **FAST)  # type: ignore[arg-type]
    assert plan.routes == ()
    assert {u.reason for u in plan.unserved} == {Reason.UNREACHABLE}
    assert len(plan.unserved) == len(p.stops)
