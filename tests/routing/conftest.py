"""Tiny named routing instances (after PyVRP's ``ok_small``)."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from routing import Depot, Location, Problem, Stop, TimeWindow, Vehicle, VehicleKind

DATA = Path(__file__).resolve().parent.parent / "data" / "routing"

#: Place Bellecour, Lyon, and schools within a few km.
WORKSHOP = Location(45.7578, 4.8320)


def school(i: int, lat: float, lon: float, devices: int, **kw: object) -> Stop:
    """A school delivery with a 10-minute + 1-minute-per-device service."""
    return Stop(
        id=f"school-{i}",
        devices=devices,
        location=Location(lat, lon),
        service_fixed_s=600,
        service_per_device_s=60,
        **kw,  # type: ignore[arg-type]
    )


def van(vid: str = "van-1", capacity: int = 40, **kw: object) -> Vehicle:
    """A van from the workshop, 08:00-17:30, 50 €/day + 0.30 €/km."""
    return Vehicle(
        id=vid,
        start_depot="workshop",
        capacity=capacity,
        kind=VehicleKind.VAN,
        shift_start=time(8),
        shift_end=time(17, 30),
        cost_per_km=0.30,
        fixed_cost=50.0,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def four_stops() -> Problem:
    """Four schools around Bellecour, one van, morning and afternoon windows."""
    morning = (TimeWindow(time(8, 30), time(11, 30)),)
    afternoon = (TimeWindow(time(13, 30), time(16, 30)),)
    return Problem(
        depots=(Depot("workshop", WORKSHOP, opens=time(7, 30), closes=time(18)),),
        vehicles=(van(),),
        stops=(
            school(1, 45.7640, 4.8357, 5, windows=morning),
            school(2, 45.7536, 4.8466, 8, windows=afternoon),
            school(3, 45.7378, 4.8423, 12, windows=morning + afternoon),
            school(4, 45.7700, 4.8200, 3),
        ),
        day=date(2026, 3, 10),  # a Tuesday
        timezone="Europe/Paris",
        name="four_stops",
    )
