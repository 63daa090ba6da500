"""Accounts API schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import available_timezones

from pydantic import EmailStr, Field, SecretStr, field_validator
from stdnum.fr import siret as stdnum_siret

from banques.accounts.models import InsertionStatus, OrganisationKind, Role
from banques.schemas import InputModel, OutputModel

_ZONES = frozenset(available_timezones())


class TokenRead(OutputModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class BankCreate(InputModel):
    code: str = Field(pattern=r"^[A-Z]{2,5}$", description="Préfixe des étiquettes")
    name: str = Field(min_length=2, max_length=200)
    short_name: str = Field(min_length=2, max_length=40)
    time_zone: str = "Europe/Paris"
    school_zone: str = Field(default="A", max_length=20)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in _ZONES:
            raise ValueError("fuseau horaire inconnu (ex. Europe/Paris)")
        return value


class BankRead(OutputModel):
    id: uuid.UUID
    code: str
    name: str
    short_name: str
    time_zone: str
    school_zone: str


class OrganisationCreate(InputModel):
    bank_id: uuid.UUID | None = Field(
        default=None, description="Par défaut, la banque de l'appelant"
    )
    kind: OrganisationKind
    name: str = Field(min_length=2, max_length=200)
    siret: str | None = None
    rna: str | None = Field(default=None, pattern=r"^W\d{9}$")
    insertion_status: InsertionStatus | None = None
    convention_number: str | None = Field(default=None, max_length=60)
    convention_valid_until: date | None = None
    address: str | None = Field(default=None, max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("siret")
    @classmethod
    def _valid_siret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = stdnum_siret.compact(value)
        if not stdnum_siret.is_valid(compact):
            raise ValueError("SIRET invalide (14 chiffres, clé de Luhn)")
        return str(compact)


class OrganisationRead(OutputModel):
    id: uuid.UUID
    bank_id: uuid.UUID
    kind: OrganisationKind
    name: str
    siret: str | None
    rna: str | None
    insertion_status: InsertionStatus | None
    convention_number: str | None
    convention_valid_until: date | None
    address: str | None
    latitude: float | None
    longitude: float | None


class UserCreate(InputModel):
    organisation_id: uuid.UUID
    email: EmailStr
    full_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: SecretStr = Field(min_length=12, max_length=128)


class UserRead(OutputModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    created_at: datetime


class MeRead(OutputModel):
    user: UserRead
    organisation: OrganisationRead
    bank: BankRead


class PasswordChange(InputModel):
    current_password: SecretStr
    new_password: SecretStr = Field(min_length=12, max_length=128)


class ApiKeyCreate(InputModel):
    name: str = Field(min_length=1, max_length=100)


class ApiKeyRead(OutputModel):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="La clé complète ; elle n'est affichée qu'une fois.")
