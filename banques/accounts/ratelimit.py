"""A sliding-window counter of failed logins (per process)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class FailureLimiter:
    """Allows ``limit`` failures per ``window_s`` seconds and key."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hits: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        hits = self._hits[key]
        while hits and now - hits[0] >= self.window_s:
            hits.popleft()
        return hits

    def retry_after(self, *keys: str) -> int | None:
        """Seconds to wait if any key is over its limit, else None."""
        now = time.monotonic()
        with self._lock:
            waits = []
            for key in keys:
                hits = self._prune(key, now)
                if len(hits) >= self.limit:
                    waits.append(int(self.window_s - (now - hits[0])) + 1)
            return max(waits) if waits else None

    def fail(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._prune(key, now).append(now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)
