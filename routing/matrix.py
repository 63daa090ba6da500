"""Distance/duration providers: haversine × detour (default), OSRM table API."""

from __future__ import annotations

import json
import math
import urllib.request
from collections.abc import Callable, Collection, Sequence
from typing import Protocol

import numpy as np

from routing.problem import Location, Matrices

EARTH_RADIUS_M = 6_371_008.8


class MatrixProvider(Protocol):
    """Computes integer matrices (metres, seconds) between locations.

    It returns durations for the profiles it knows; vehicles whose profile is missing
    get durations from their speed.
    """

    def matrices(
        self, locations: Sequence[Location], profiles: Collection[str]
    ) -> Matrices: ...


def haversine_m(a: Location, b: Location) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp = p2 - p1
    dl = math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


class Haversine:
    """Straight-line distance times a detour factor; no durations (speeds are used)."""

    def __init__(self, detour: float = 1.3) -> None:
        self.detour = detour

    def matrices(
        self,
        locations: Sequence[Location],
        profiles: Collection[str],  # noqa: ARG002 - speeds give durations
    ) -> Matrices:
        lat = np.radians(np.array([loc.lat for loc in locations], dtype=np.float64))
        lon = np.radians(np.array([loc.lon for loc in locations], dtype=np.float64))
        dlat = lat[None, :] - lat[:, None]
        dlon = lon[None, :] - lon[:, None]
        h = (
            np.sin(dlat / 2) ** 2
            + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
        )
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        dist: list[list[int]] = np.rint(d * self.detour).astype(np.int64).tolist()
        return Matrices(distance_m=dist)


def _urllib_fetch(url: str, timeout_s: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout_s) as resp:
        data: bytes = resp.read()
    return data


class Osrm:
    """OSRM table service (``/table/v1/{profile}/...``), one request per profile.

    ``profiles`` maps our profile names (``car``, ``bike``) to the server's. ``fetch``
    performs the GET (injectable for tests and for a custom HTTP client).
    """

    def __init__(
        self,
        url: str,
        *,
        profiles: dict[str, str] | None = None,
        timeout_s: float = 30.0,
        fetch: Callable[[str, float], bytes] = _urllib_fetch,
    ) -> None:
        self.url = url.rstrip("/")
        self.profiles = profiles if profiles is not None else {}
        self.timeout_s = timeout_s
        self.fetch = fetch

    def request_url(self, locations: Sequence[Location], profile: str) -> str:
        """The table request for one profile."""
        coords = ";".join(f"{loc.lon:.6f},{loc.lat:.6f}" for loc in locations)
        server_profile = self.profiles.get(profile, profile)
        return (
            f"{self.url}/table/v1/{server_profile}/{coords}"
            "?annotations=duration,distance"
        )

    def matrices(
        self, locations: Sequence[Location], profiles: Collection[str]
    ) -> Matrices:
        if not profiles:
            profiles = ["car"]
        distance: list[list[int]] | None = None
        durations: dict[str, list[list[int]]] = {}
        for profile in sorted(set(profiles)):
            body = json.loads(
                self.fetch(self.request_url(locations, profile), self.timeout_s)
            )
            if body.get("code") != "Ok":
                raise RuntimeError(f"OSRM table failed: {body.get('code')}")
            durations[profile] = _int_matrix(body["durations"], len(locations))
            if distance is None and "distances" in body:
                distance = _int_matrix(body["distances"], len(locations))
        if distance is None:
            raise RuntimeError("OSRM response has no distances (annotations)")
        return Matrices(distance_m=distance, durations_s=durations)


#: Stand-in for an unroutable pair (OSRM ``null``): large but safe in int64 sums.
UNREACHABLE = 10**9


def _int_matrix(raw: list[list[float | None]], n: int) -> list[list[int]]:
    if len(raw) != n or any(len(row) != n for row in raw):
        raise RuntimeError("OSRM matrix has the wrong size")
    return [[UNREACHABLE if x is None else round(x) for x in row] for row in raw]
