"""The problem model: depots, vehicles and stops for one day, as frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DAY_START = time(0, 0)
DAY_END = time(23, 59, 59)

#: A local time of day, or seconds from the day's local midnight (may pass 24 h).
Clock = time | int


class VehicleKind(StrEnum):
    """What kind of vehicle; sets the default speed and matrix profile."""

    VAN = "van"
    CARGO_BIKE = "cargo_bike"
    CAR = "car"


#: Default speed (km/h) used when neither the vehicle nor the matrix gives durations.
DEFAULT_SPEED_KMH: Mapping[VehicleKind, float] = {
    VehicleKind.VAN: 25.0,
    VehicleKind.CAR: 30.0,
    VehicleKind.CARGO_BIKE: 15.0,
}
#: Default matrix profile (OSRM-style) per kind.
DEFAULT_PROFILE: Mapping[VehicleKind, str] = {
    VehicleKind.VAN: "car",
    VehicleKind.CAR: "car",
    VehicleKind.CARGO_BIKE: "bike",
}


class StopKind(StrEnum):
    """A delivery drops devices loaded at the depot; a collection picks them up."""

    DELIVERY = "delivery"
    COLLECTION = "collection"


@dataclass(frozen=True, slots=True)
class Location:
    """WGS84 coordinates in degrees."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A local-time interval on the problem day; service must *start* inside it."""

    start: Clock
    end: Clock

    def __post_init__(self) -> None:
        if type(self.start) is not type(self.end):
            raise ValueError("time window mixes time and seconds")
        if self.end < self.start:  # type: ignore[operator]
            raise ValueError(f"time window ends before it starts: {self}")


@dataclass(frozen=True, slots=True)
class Closure:
    """A period when a stop is closed: on a weekday (0 = Monday) or on a date.

    ``Closure(weekday=2, start=time(12))`` closes Wednesday afternoons.
    """

    weekday: int | None = None
    day: date | None = None
    start: Clock = DAY_START
    end: Clock = DAY_END

    def applies(self, on: date) -> bool:
        """Whether this closure concerns the given day."""
        if self.day is not None:
            return self.day == on
        return self.weekday is None or self.weekday == on.weekday()


@dataclass(frozen=True, slots=True)
class Depot:
    """An association workshop; vehicles leave and return within opening hours."""

    id: str
    location: Location | None = None
    opens: Clock = DAY_START
    closes: Clock = DAY_END


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One vehicle for the day. Costs are in the problem's currency (e.g. euros)."""

    id: str
    start_depot: str
    capacity: int
    kind: VehicleKind = VehicleKind.VAN
    end_depot: str | None = None
    shift_start: Clock = DAY_START
    shift_end: Clock = DAY_END
    speed_kmh: float | None = None
    profile: str | None = None
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    fixed_cost: float = 0.0
    max_duration_s: int | None = None
    max_distance_m: int | None = None

    @property
    def end(self) -> str:
        """The depot where the vehicle ends its day."""
        return self.end_depot if self.end_depot is not None else self.start_depot

    @property
    def matrix_profile(self) -> str:
        """The duration-matrix profile this vehicle uses."""
        return self.profile if self.profile is not None else DEFAULT_PROFILE[self.kind]


@dataclass(frozen=True, slots=True)
class Stop:
    """A school delivery or a donation collection.

    ``windows`` empty means any time of the day. ``required`` stops must be served; an
    optional stop costs ``penalty`` when left out.
    """

    id: str
    devices: int
    kind: StopKind = StopKind.DELIVERY
    location: Location | None = None
    windows: tuple[TimeWindow, ...] = ()
    closures: tuple[Closure, ...] = ()
    service_fixed_s: int = 0
    service_per_device_s: int = 0
    required: bool = True
    penalty: float = 0.0

    @property
    def service_s(self) -> int:
        """Service duration in seconds."""
        return self.service_fixed_s + self.service_per_device_s * self.devices


@dataclass(frozen=True, slots=True)
class Matrices:
    """Explicit integer matrices over the nodes: depots first (in order), then stops.

    ``durations`` maps a profile name to a duration matrix in seconds.
    """

    distance_m: Sequence[Sequence[int]]
    durations_s: Mapping[str, Sequence[Sequence[int]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Problem:
    """One planning day of one bank: depots, fleet and stops.

    Times of day are local to ``timezone`` (an IANA name) on ``day``. ``matrices``
    may be given explicitly (benchmarks); otherwise a matrix provider computes them
    from the locations.
    """

    depots: tuple[Depot, ...]
    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    day: date = date(2026, 1, 5)
    timezone: str = "Europe/Paris"
    matrices: Matrices | None = None
    name: str = ""

    def __post_init__(self) -> None:
        ids = [d.id for d in self.depots]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate depot id")
        sids = [s.id for s in self.stops]
        if len(set(sids)) != len(sids):
            raise ValueError("duplicate stop id")
        vids = [v.id for v in self.vehicles]
        if len(set(vids)) != len(vids):
            raise ValueError("duplicate vehicle id")
        known = set(ids)
        for v in self.vehicles:
            if v.start_depot not in known or v.end not in known:
                raise ValueError(f"vehicle {v.id} refers to an unknown depot")
            if v.capacity < 0:
                raise ValueError(f"vehicle {v.id} has a negative capacity")
        for s in self.stops:
            if s.devices < 0:
                raise ValueError(f"stop {s.id} has a negative device count")
        ZoneInfo(self.timezone)  # raises for an unknown zone
        n = len(self.depots) + len(self.stops)
        if self.matrices is not None:
            if len(self.matrices.distance_m) != n:
                raise ValueError("distance matrix size does not match depots + stops")
            for prof, mat in self.matrices.durations_s.items():
                if len(mat) != n:
                    raise ValueError(f"duration matrix {prof!r} has the wrong size")

    @property
    def tz(self) -> ZoneInfo:
        """The bank's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def midnight(self) -> datetime:
        """Aware start of the problem day; internal times count seconds from it."""
        return datetime.combine(self.day, DAY_START, tzinfo=self.tz)

    def seconds(self, t: Clock) -> int:
        """Seconds from local midnight to local time ``t`` on the day (DST-aware)."""
        if isinstance(t, int):
            return t
        local = datetime.combine(self.day, t, tzinfo=self.tz)
        return int(local.timestamp() - self.midnight.timestamp())

    def at(self, seconds: int) -> datetime:
        """The aware local datetime ``seconds`` after the day's midnight."""
        utc = self.midnight.astimezone(ZoneInfo("UTC")) + timedelta(seconds=seconds)
        return utc.astimezone(self.tz)

    def open_windows(self, stop: Stop) -> list[tuple[int, int]]:
        """The stop's windows on the day in seconds, minus closures; sorted, disjoint.

        An empty list means the stop cannot be served on this day.
        """
        raw = (
            [(self.seconds(w.start), self.seconds(w.end)) for w in stop.windows]
            if stop.windows
            else [(0, self.seconds(DAY_END))]
        )
        cuts = [
            (self.seconds(c.start), self.seconds(c.end))
            for c in stop.closures
            if c.applies(self.day)
        ]
        out: list[tuple[int, int]] = []
        for lo, hi in sorted(raw):
            pieces = [(lo, hi)]
            for clo, chi in cuts:
                nxt: list[tuple[int, int]] = []
                for a, b in pieces:
                    if chi < a or clo > b:
                        nxt.append((a, b))
                        continue
                    if a < clo:
                        nxt.append((a, clo - 1))
                    if chi < b:
                        nxt.append((chi + 1, b))
                pieces = nxt
            out.extend(pieces)
        merged: list[tuple[int, int]] = []
        for a, b in sorted(out):
            if merged and a <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return merged
