"""Schools, keyed by UAI (imported from the Annuaire de l'éducation)."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from banques.sqltypes import enum_type, tz_column, utcnow


class SchoolKind(StrEnum):
    ecole = "ecole"
    college = "college"
    lycee = "lycee"
    lycee_pro = "lycee_pro"
    erea = "erea"
    other = "other"


class PriorityEducation(StrEnum):
    rep = "REP"
    rep_plus = "REP+"


class School(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    bank_id: uuid.UUID = Field(foreign_key="bank.id", index=True)
    organisation_id: uuid.UUID | None = Field(
        default=None, foreign_key="organisation.id", index=True
    )
    uai: str = Field(max_length=8, unique=True)
    name: str = Field(max_length=200)
    kind: SchoolKind = Field(sa_type=enum_type(SchoolKind))
    address: str = Field(max_length=300)
    postcode: str = Field(max_length=5)
    city: str = Field(max_length=100)
    latitude: float
    longitude: float
    priority_education: PriorityEducation | None = Field(
        default=None, sa_type=enum_type(PriorityEducation)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
