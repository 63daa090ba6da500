"""Portable column helpers shared by every domain's models."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa


def utcnow() -> datetime:
    return datetime.now(UTC)


def tz_column(*, nullable: bool = False, index: bool = False) -> sa.Column[datetime]:
    """A timezone-aware timestamp column (timestamptz on PostgreSQL)."""
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable, index=index)


def enum_type(enum: type[StrEnum]) -> sa.Enum:
    """Store a StrEnum by value in a VARCHAR (no native enum: cheap migrations)."""
    return sa.Enum(
        enum,
        native_enum=False,
        length=max(len(m.value) for m in enum) + 8,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
