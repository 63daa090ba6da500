"""Banks, organisations, users and API keys."""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from banques.sqltypes import enum_type, tz_column, utcnow


class OrganisationKind(StrEnum):
    coordination = "coordination"
    eco_organisme = "eco_organisme"
    association = "association"
    school = "school"
    donor = "donor"
    funder = "funder"


class InsertionStatus(StrEnum):
    """Insertion structures (DOMAIN.md §2)."""

    aci = "ACI"
    ei = "EI"
    ai = "AI"
    etti = "ETTI"
    eiti = "EITI"
    ea = "EA"
    esat = "ESAT"


class Role(StrEnum):
    donor = "donor"
    collector = "collector"
    technician = "technician"
    driver = "driver"
    school_staff = "school_staff"
    coordinator = "coordinator"
    observer = "observer"
    admin = "admin"


class Bank(SQLModel, table=True):
    """One territory (a metropole) running a solidarity computer bank."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=5, unique=True)  # asset-tag prefix, e.g. "LYO"
    name: str = Field(max_length=200)
    short_name: str = Field(max_length=40)
    time_zone: str = Field(default="Europe/Paris", max_length=64)
    school_zone: str = Field(default="A", max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class Organisation(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    bank_id: uuid.UUID = Field(foreign_key="bank.id", index=True)
    kind: OrganisationKind = Field(sa_type=enum_type(OrganisationKind))
    name: str = Field(max_length=200)
    siret: str | None = Field(default=None, max_length=14)
    rna: str | None = Field(default=None, max_length=10)
    insertion_status: InsertionStatus | None = Field(
        default=None, sa_type=enum_type(InsertionStatus)
    )
    convention_number: str | None = Field(default=None, max_length=60)
    convention_valid_until: date | None = None
    address: str | None = Field(default=None, max_length=300)
    latitude: float | None = None
    longitude: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class User(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    email: str = Field(max_length=254, unique=True)
    full_name: str = Field(max_length=200)
    role: Role = Field(sa_type=enum_type(Role))
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    token_version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class ApiKey(SQLModel, table=True):
    """A machine client's key: only its SHA-256 is stored."""

    __tablename__ = "api_key"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16, unique=True)
    key_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    revoked_at: datetime | None = Field(
        default=None, sa_column=tz_column(nullable=True)
    )
    last_used_at: datetime | None = Field(
        default=None, sa_column=tz_column(nullable=True)
    )


class LoginFailure(SQLModel, table=True):
    """A failed login, kept for one throttling window. Rows, not process memory, so
    that every worker process counts the same failures. ``key_hash`` is an HMAC of
    the throttled key (an e-mail address or a client address), never the key."""

    __tablename__ = "login_failure"
    __table_args__ = (sa.Index(None, "key_hash", "failed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64)
    failed_at: datetime = Field(sa_column=tz_column(index=True))


class WebSession(SQLModel, table=True):
    """A browser session (the pages' cookie): ended at logout, after an idle period
    or at an absolute limit, and by "log out everywhere" or a password change (the
    user's token version at login is kept). Only the token's SHA-256 is stored."""

    __tablename__ = "web_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: uuid.UUID = Field(foreign_key="user.id", index=True)
    token_version: int
    created_at: datetime = Field(sa_column=tz_column())
    last_seen_at: datetime = Field(sa_column=tz_column())
    expires_at: datetime = Field(sa_column=tz_column(index=True))
    ended_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
