"""Devices, their append-only event log, asset tags, scan conflicts, erasure reports."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from banques.devices.lifecycle import State
from banques.sqltypes import enum_type, tz_column, utcnow


class Category(StrEnum):
    laptop = "laptop"
    desktop = "desktop"
    tablet = "tablet"
    screen = "screen"
    other = "other"


class Grade(StrEnum):
    """Cosmetic grade: appearance only (DOMAIN.md §1)."""

    a = "A"
    b = "B"
    c = "C"


class AssetSequence(SQLModel, table=True):
    """The next asset number of a bank: numbers only grow, tags are never reused."""

    __tablename__ = "asset_sequence"

    bank_id: uuid.UUID = Field(foreign_key="bank.id", primary_key=True)
    next_number: int = 1


class AssetTag(SQLModel, table=True):
    """An allocated asset tag, bound to a device at registration or first scan."""

    __tablename__ = "asset_tag"
    __table_args__ = (sa.UniqueConstraint("bank_id", "number"),)

    tag: str = Field(primary_key=True, max_length=16)
    bank_id: uuid.UUID = Field(foreign_key="bank.id")
    number: int
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    device_id: uuid.UUID | None = Field(
        default=None, foreign_key="device.id", unique=True
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class Device(SQLModel, table=True):
    """One physical unit. State, custodian and version project its event log."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    bank_id: uuid.UUID = Field(foreign_key="bank.id", index=True)
    asset_tag: str = Field(max_length=16, unique=True)
    category: Category = Field(sa_type=enum_type(Category))
    brand: str = Field(max_length=100)
    model: str = Field(max_length=200)
    serial: str | None = Field(default=None, max_length=100, index=True)
    donation_ref: str | None = Field(default=None, max_length=100)
    registered_by_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    # The projection of the event log:
    state: State = Field(sa_type=enum_type(State), index=True)
    custodian_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    school_id: uuid.UUID | None = Field(default=None, foreign_key="school.id")
    grade: Grade | None = Field(default=None, sa_type=enum_type(Grade))
    specs: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    erasure_verified: bool = False
    version: int = 0
    last_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class DeviceEvent(SQLModel, table=True):
    """One transition, append-only. ``hash`` chains it to the previous event."""

    __tablename__ = "device_event"
    __table_args__ = (
        sa.UniqueConstraint("device_id", "seq"),
        sa.UniqueConstraint("organisation_id", "client_event_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    device_id: uuid.UUID = Field(foreign_key="device.id")
    seq: int
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    actor_id: uuid.UUID = Field(foreign_key="user.id")
    from_state: State | None = Field(default=None, sa_type=enum_type(State))
    to_state: State = Field(sa_type=enum_type(State))
    custodian_id: uuid.UUID = Field(foreign_key="organisation.id")
    occurred_at: datetime = Field(sa_column=tz_column())
    recorded_at: datetime = Field(sa_column=tz_column())
    client_event_id: uuid.UUID
    request_hash: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class ConflictStatus(StrEnum):
    open = "open"
    retried = "retried"
    dismissed = "dismissed"


class ScanConflict(SQLModel, table=True):
    """A scan from an offline batch that could not apply: kept, never lost."""

    __tablename__ = "scan_conflict"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "client_event_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    bank_id: uuid.UUID = Field(foreign_key="bank.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    actor_id: uuid.UUID = Field(foreign_key="user.id")
    client_event_id: uuid.UUID
    request_hash: str = Field(max_length=64)
    asset_tag: str = Field(max_length=64, index=True)  # the catch-up looks it up
    to_state: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_column=tz_column())
    received_at: datetime = Field(sa_column=tz_column())
    scan: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    reason_code: str = Field(max_length=40)
    reason: str = Field(max_length=500)
    status: ConflictStatus = Field(
        default=ConflictStatus.open, sa_type=enum_type(ConflictStatus), index=True
    )
    resolved_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id")
    resolved_at: datetime | None = Field(
        default=None, sa_column=tz_column(nullable=True)
    )
    resolution_note: str | None = Field(default=None, max_length=500)


class ErasureReport(SQLModel, table=True):
    """An uploaded erasure tool report (nwipe JSON), kept as sent with its SHA-256."""

    __tablename__ = "erasure_report"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    bank_id: uuid.UUID = Field(foreign_key="bank.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    uploaded_by_id: uuid.UUID = Field(foreign_key="user.id")
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    software: str = Field(max_length=100)
    software_version: str = Field(max_length=50)
    medium_model: str = Field(max_length=200)
    medium_serial: str = Field(max_length=100, index=True)
    size_bytes: int | None = Field(default=None, sa_type=sa.BigInteger)
    status: str = Field(max_length=40)
    verify_errors: int = 0
    pass_errors: int = 0
    started_at: datetime | None = Field(
        default=None, sa_column=tz_column(nullable=True)
    )
    ended_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
