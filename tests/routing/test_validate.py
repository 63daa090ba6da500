"""The independent validator catches deliberately broken plans."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from routing import InvalidPlan, Plan, Problem, Reason, Unserved, check, solve
from routing.model import compile_problem
from routing.validate import violations
from tests.routing.conftest import van


@pytest.fixture
def solved(four_stops: Problem) -> Plan:
    return solve(four_stops, time_limit_s=2.0, solution_limit=30, workers=1)


def _first_route(plan: Plan, **changes: object) -> Plan:
    r = replace(plan.routes[0], **changes)  # type: ignore[arg-type]
    return replace(plan, routes=(r, *plan.routes[1:]))


def _visit(plan: Plan, i: int, **changes: object) -> Plan:
    r = plan.routes[0]
    vs = list(r.visits)
    vs[i] = replace(vs[i], **changes)  # type: ignore[arg-type]
    return _first_route(plan, visits=tuple(vs))


def _early(p: Plan) -> Plan:
    v = p.routes[0].visits[0]
    return _visit(p, 0, arrival=v.arrival - timedelta(hours=3))


def _outside(p: Plan) -> Plan:
    i, v = next(
        (i, v) for i, v in enumerate(p.routes[0].visits) if v.stop_id == "school-2"
    )
    late = v.arrival.replace(hour=17, minute=0)
    return _visit(p, i, arrival=late, departure=late + (v.departure - v.arrival))


def _late_home(p: Plan) -> Plan:
    return _first_route(p, end=p.routes[0].end + timedelta(hours=12))


def _dropped_silently(p: Plan) -> Plan:
    r = p.routes[0]
    return _first_route(p, visits=r.visits[1:])


def _twice(p: Plan) -> Plan:
    r = p.routes[0]
    return _first_route(p, visits=(*r.visits, r.visits[0]))


def _served_and_unserved(p: Plan) -> Plan:
    sid = p.routes[0].visits[0].stop_id
    return replace(p, unserved=(Unserved(sid, Reason.NO_CAPACITY, True),))


def _cheaper(p: Plan) -> Plan:
    return replace(p, cost=p.cost - 1.0)


def _wrong_load(p: Plan) -> Plan:
    return _visit(p, 0, load_after=p.routes[0].visits[0].load_after + 1)


def _short_service(p: Plan) -> Plan:
    v = p.routes[0].visits[-1]
    return _visit(p, -1, departure=v.arrival)


def _wrong_distance(p: Plan) -> Plan:
    return _first_route(p, distance_m=p.routes[0].distance_m - 100)


def _unknown_vehicle(p: Plan) -> Plan:
    return _first_route(p, vehicle_id="ghost")


BREAKERS: dict[str, Callable[[Plan], Plan]] = {
    "arrives before it can": _early,
    "outside windows": _outside,
    "back at": _late_home,
    "neither served nor": _dropped_silently,
    "visited twice": _twice,
    "both served and unserved": _served_and_unserved,
    "plan cost": _cheaper,
    "load": _wrong_load,
    "departure != arrival + service": _short_service,
    "distance": _wrong_distance,
    "unknown vehicle": _unknown_vehicle,
}


def test_solved_plan_is_valid(four_stops: Problem, solved: Plan) -> None:
    assert violations(compile_problem(four_stops), solved) == []


@pytest.mark.parametrize("expected", sorted(BREAKERS))
def test_broken_plan_is_caught(
    four_stops: Problem, solved: Plan, expected: str
) -> None:
    broken = BREAKERS[expected](solved)
    with pytest.raises(InvalidPlan) as info:
        check(compile_problem(four_stops), broken)
    assert any(expected in v for v in info.value.violations), info.value.violations


def test_capacity_overflow_is_caught(four_stops: Problem, solved: Plan) -> None:
    smaller = replace(four_stops, vehicles=(van(capacity=10),))
    found = violations(compile_problem(smaller), solved)
    assert any("capacity" in v for v in found)


def test_max_duration_is_caught(four_stops: Problem, solved: Plan) -> None:
    limited = replace(four_stops, vehicles=(van(max_duration_s=3600),))
    found = violations(compile_problem(limited), solved)
    assert any("duration" in v and "> max" in v for v in found)
