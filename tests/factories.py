"""Typed builders: they add and flush, never commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session

from banques.accounts import security
from banques.accounts.models import Bank, Organisation, OrganisationKind, Role, User
from banques.accounts.service import ROLES_BY_KIND
from banques.schools.models import School, SchoolKind
from banques.schools.uai import uai_key

PASSWORD = "correct horse battery staple"
_HASH = security.hash_password(PASSWORD)
SECRET = "test-secret-key-0123456789-abcdefghijklmnop"


def make_bank(session: Session, *, code: str, time_zone: str = "Europe/Paris") -> Bank:
    bank = Bank(code=code, name=f"Banque {code}", short_name=code, time_zone=time_zone)
    session.add(bank)
    session.flush()
    return bank


def make_org(
    session: Session, bank: Bank, kind: OrganisationKind, *, name: str | None = None
) -> Organisation:
    org = Organisation(
        bank_id=bank.id,
        kind=kind,
        name=name or f"{kind.value} {bank.code} {uuid.uuid4().hex[:6]}",
        latitude=45.75,
        longitude=4.85,
    )
    session.add(org)
    session.flush()
    return org


def make_user(session: Session, org: Organisation, role: Role) -> User:
    user = User(
        organisation_id=org.id,
        email=f"{role.value}.{uuid.uuid4().hex[:8]}@example.org",
        full_name=f"{role.value.title()} Test",
        role=role,
        password_hash=_HASH,
    )
    session.add(user)
    session.flush()
    return user


def make_school(session: Session, bank: Bank, org: Organisation) -> School:
    digits = f"069{uuid.uuid4().int % 10_000:04d}"
    school = School(
        bank_id=bank.id,
        organisation_id=org.id,
        uai=digits + uai_key(digits),
        name=org.name,
        kind=SchoolKind.college,
        address="1 rue de l'École",
        postcode="69001",
        city="Lyon",
        latitude=45.76,
        longitude=4.83,
    )
    session.add(school)
    session.flush()
    return school


def token_for(user: User) -> str:
    return security.issue_token(
        user_id=user.id,
        token_version=user.token_version,
        secret=SECRET,
        now=datetime.now(UTC),
        minutes=30,
    )


def auth(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


@dataclass
class Tenant:
    """One bank with one organisation of each kind (two associations) and users."""

    bank: Bank
    orgs: dict[str, Organisation] = field(default_factory=dict)
    users: dict[Role, User] = field(default_factory=dict)
    school: School | None = None
    other_technician: User | None = None  # second association, same bank


@dataclass
class World:
    a: Tenant
    b: Tenant
    admin: User


_HOME_KIND = {
    Role.donor: "donor",
    Role.collector: "eco_organisme",
    Role.technician: "association",
    Role.driver: "association",
    Role.school_staff: "school",
    Role.coordinator: "coordination",
    Role.observer: "funder",
}


def make_tenant(session: Session, code: str, time_zone: str = "Europe/Paris") -> Tenant:
    tenant = Tenant(bank=make_bank(session, code=code, time_zone=time_zone))
    for kind in OrganisationKind:
        tenant.orgs[kind.value] = make_org(session, tenant.bank, kind)
    tenant.orgs["association2"] = make_org(
        session, tenant.bank, OrganisationKind.association
    )
    for role, home in _HOME_KIND.items():
        assert role in ROLES_BY_KIND[home]
        tenant.users[role] = make_user(session, tenant.orgs[home], role)
    tenant.other_technician = make_user(
        session, tenant.orgs["association2"], Role.technician
    )
    tenant.school = make_school(session, tenant.bank, tenant.orgs["school"])
    return tenant


def make_world(session: Session) -> World:
    a = make_tenant(session, "AAA")
    b = make_tenant(session, "BBB", "America/Cayenne")
    admin = make_user(session, a.orgs["coordination"], Role.admin)
    return World(a=a, b=b, admin=admin)
