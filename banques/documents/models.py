"""Print jobs: label runs too long for one request, rendered in the background."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from banques.sqltypes import enum_type, tz_column


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class PrintJob(SQLModel, table=True):
    """What to print (resolved and authorised when asked), then the document.

    ``labels`` holds what each label shows, so rendering reads nothing else and
    needs no permission check of its own."""

    __tablename__ = "print_job"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    bank_id: uuid.UUID = Field(foreign_key="bank.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    requested_by_id: uuid.UUID = Field(foreign_key="user.id")
    status: JobStatus = Field(
        default=JobStatus.queued, sa_type=enum_type(JobStatus), index=True
    )
    label_count: int
    labels: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    options: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    stem: str = Field(max_length=120)
    attempts: int = 0
    created_at: datetime = Field(sa_column=tz_column(index=True))
    started_at: datetime | None = Field(
        default=None, sa_column=tz_column(nullable=True)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=tz_column(nullable=True)
    )
    error: str | None = Field(default=None, max_length=500)
    media_type: str | None = Field(default=None, max_length=60)
    filename: str | None = Field(default=None, max_length=200)
    content: bytes | None = Field(
        default=None, sa_column=Column(sa.LargeBinary, nullable=True)
    )
