"""Plans as plain data, ready for route sheets and for the service."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Reason(StrEnum):
    """Why a stop was left out of the plan."""

    NO_WINDOW = "no_window"  # closed or no window left on the day
    TOO_BIG = "too_big"  # more devices than any vehicle can carry
    UNREACHABLE = "unreachable"  # no vehicle can reach it within its windows and shift
    OPTIONAL_DROPPED = "optional_dropped"  # optional, cheaper to leave out
    NO_CAPACITY = "no_capacity"  # feasible alone, but the fleet could not fit it in


@dataclass(frozen=True, slots=True)
class Visit:
    """One stop on a route. ``arrival`` is when service starts (after any waiting)."""

    stop_id: str
    arrival: datetime
    departure: datetime
    load_after: int
    distance_m: int  # from the previous node
    wait_s: int = 0


@dataclass(frozen=True, slots=True)
class Route:
    """One vehicle's day: leaves ``start_depot`` at ``start``, back at ``end``."""

    vehicle_id: str
    start_depot: str
    end_depot: str
    start: datetime
    end: datetime
    visits: tuple[Visit, ...]
    load_start: int
    distance_m: int
    duration_s: int
    cost: float


@dataclass(frozen=True, slots=True)
class Unserved:
    """A stop the plan leaves out, and why."""

    stop_id: str
    reason: Reason
    required: bool


@dataclass(frozen=True, slots=True)
class Stats:
    """How the plan was found."""

    engine: str
    strategy: str
    status: str
    build_s: float
    solve_s: float
    objective: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Plan:
    """The result of ``solve``: used routes, unserved stops, costs recomputed by the
    validator, and solver statistics."""

    routes: tuple[Route, ...]
    unserved: tuple[Unserved, ...]
    cost: float
    penalty: float
    distance_m: int
    stats: Stats

    @property
    def vehicles(self) -> int:
        """Number of vehicles used."""
        return len(self.routes)

    @property
    def feasible(self) -> bool:
        """True when every required stop is served."""
        return not any(u.required for u in self.unserved)
