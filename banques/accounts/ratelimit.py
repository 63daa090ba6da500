"""Failed-login throttling, shared by every worker process.

Failures are rows of ``login_failure`` written in the login's own transaction (a
login that fails still commits its failure: the routes answer 401/429 without
raising through the session). A key over ``limit`` failures in the last
``window_s`` seconds is refused until its oldest failure leaves the window.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from banques.accounts.models import LoginFailure
from banques.sqltypes import utcnow

_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


class FailureLimiter:
    """Allows ``limit`` failures per ``window_s`` seconds and key."""

    def __init__(self, limit: int, window_s: float = 60.0, *, secret: str) -> None:
        self.limit = limit
        self.window = timedelta(seconds=window_s)
        self._secret = secret.encode()

    def _hash(self, key: str) -> str:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    def retry_after(
        self, session: Session, *keys: str, now: datetime | None = None
    ) -> int | None:
        """Seconds to wait if any key is over its limit, else None.

        On PostgreSQL, attempts on the same keys are serialised until the caller's
        transaction ends (advisory locks), so that parallel guesses cannot all read
        the count before any failure is written. SQLite's write lock does that."""
        now = now or utcnow()
        hashes = sorted(self._hash(k) for k in keys)
        if session.get_bind().dialect.name == "postgresql":
            for h in hashes:  # sorted: two attempts never wait on each other
                session.execute(_ADVISORY_LOCK, {"key": int(h[:15], 16)})
        rows = session.execute(
            sa_select(func.count(), func.min(LoginFailure.failed_at))
            .where(
                col(LoginFailure.key_hash).in_(hashes),
                col(LoginFailure.failed_at) > now - self.window,
            )
            .group_by(col(LoginFailure.key_hash))
        ).all()
        waits = [
            int((self.window - (now - _aware(oldest))).total_seconds()) + 1
            for count, oldest in rows
            if count >= self.limit
        ]
        return max(waits) if waits else None

    def fail(self, session: Session, *keys: str, now: datetime | None = None) -> None:
        """Record one failure per key (and forget failures out of every window)."""
        now = now or utcnow()
        session.execute(
            delete(LoginFailure).where(col(LoginFailure.failed_at) <= now - self.window)
        )
        session.add_all(
            LoginFailure(key_hash=self._hash(k), failed_at=now) for k in keys
        )
        session.flush()

    def reset(self, session: Session, key: str) -> None:
        session.execute(
            delete(LoginFailure).where(col(LoginFailure.key_hash) == self._hash(key))
        )


def _aware(value: datetime) -> datetime:
    # SQLite returns naive datetimes (stored in UTC).
    return value if value.tzinfo else value.replace(tzinfo=UTC)
