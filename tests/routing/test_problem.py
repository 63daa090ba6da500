"""Problem model: windows, closures, time zones, input checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest

from routing import Closure, Depot, Problem, Stop, TimeWindow, Vehicle


def _problem(day: date, tz: str, stop: Stop) -> Problem:
    return Problem(
        depots=(Depot("d"),),
        vehicles=(Vehicle("v", "d", 10),),
        stops=(stop,),
        day=day,
        timezone=tz,
    )


def test_windows_are_seconds_from_local_midnight() -> None:
    s = Stop("s", 1, windows=(TimeWindow(time(8, 30), time(11, 30)),))
    p = _problem(date(2026, 3, 10), "Europe/Paris", s)
    assert p.open_windows(s) == [(8 * 3600 + 1800, 11 * 3600 + 1800)]
    assert p.at(8 * 3600 + 1800).isoformat() == "2026-03-10T08:30:00+01:00"


def test_dst_day_counts_real_seconds() -> None:
    # 29 March 2026: Paris skips 02:00-03:00, so 08:30 local is 7.5 h after midnight.
    s = Stop("s", 1, windows=(TimeWindow(time(8, 30), time(9)),))
    p = _problem(date(2026, 3, 29), "Europe/Paris", s)
    assert p.open_windows(s)[0][0] == 7 * 3600 + 1800
    assert p.at(7 * 3600 + 1800).time() == time(8, 30)
    assert p.at(7 * 3600 + 1800).utcoffset() == timedelta(hours=2)


def test_overseas_time_zone() -> None:
    s = Stop("s", 1, windows=(TimeWindow(time(8), time(9)),))
    p = _problem(date(2026, 3, 10), "Indian/Reunion", s)
    assert p.at(p.open_windows(s)[0][0]).isoformat() == "2026-03-10T08:00:00+04:00"


def test_wednesday_afternoon_closure_removes_the_afternoon() -> None:
    wins = (
        TimeWindow(time(8, 30), time(11, 30)),
        TimeWindow(time(13, 30), time(16, 30)),
    )
    s = Stop("s", 1, windows=wins, closures=(Closure(weekday=2, start=time(12)),))
    wednesday = _problem(date(2026, 3, 11), "Europe/Paris", s)
    tuesday = _problem(date(2026, 3, 10), "Europe/Paris", s)
    assert wednesday.open_windows(s) == [(30600, 41400)]
    assert len(tuesday.open_windows(s)) == 2


def test_closed_date_removes_everything() -> None:
    s = Stop("s", 1, closures=(Closure(day=date(2026, 5, 14)),))
    assert _problem(date(2026, 5, 14), "Europe/Paris", s).open_windows(s) == []
    assert _problem(date(2026, 5, 15), "Europe/Paris", s).open_windows(s) != []


def test_closure_splits_a_window() -> None:
    s = Stop(
        "s",
        1,
        windows=(TimeWindow(time(8), time(17)),),
        closures=(Closure(start=time(12), end=time(13, 30)),),
    )
    p = _problem(date(2026, 3, 10), "UTC", s)
    assert p.open_windows(s) == [
        (8 * 3600, 12 * 3600 - 1),
        (13 * 3600 + 1801, 17 * 3600),
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"vehicles": (Vehicle("v", "nowhere", 10),)},
        {"stops": (Stop("a", 1), Stop("a", 2))},
        {"timezone": "Mars/Olympus"},
    ],
)
def test_bad_problems_are_rejected(change: dict[str, object]) -> None:
    base = _problem(date(2026, 3, 10), "UTC", Stop("s", 1))
    with pytest.raises((ValueError, KeyError)):
        replace(base, **change)  # type: ignore[arg-type]


def test_window_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="ends before"):
        TimeWindow(time(12), time(11))
