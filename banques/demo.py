"""The demo bank: "Métropole de Lyon", loaded idempotently by ``banques demo``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select

from banques.accounts import security
from banques.accounts.models import (
    Bank,
    InsertionStatus,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from banques.accounts.permissions import Principal
from banques.schools.models import PriorityEducation, School, SchoolKind

DEFAULT_DEMO_PASSWORD = "demo-banques-2026"
EMAIL_DOMAIN = "lyon.demo.banques-solidaires.org"

K = OrganisationKind

ORGANISATIONS: list[dict[str, object]] = [
    {
        "key": "coordination",
        "kind": K.coordination,
        "name": "Métropole de Lyon — Mission numérique éducatif",
        "address": "20 rue du Lac, 69003 Lyon",
        "latitude": 45.7597,
        "longitude": 4.8590,
    },
    {
        "key": "atelier",
        "kind": K.association,
        "name": "Atelier Numérique Solidaire de Vénissieux",
        "siret": "44293187000012",
        "insertion_status": InsertionStatus.aci,
        "convention_number": "ACI-069-2025-014",
        "convention_valid_until": date(2027, 12, 31),
        "address": "12 avenue Jean Jaurès, 69200 Vénissieux",
        "latitude": 45.6975,
        "longitude": 4.8867,
    },
    {
        "key": "recyclerie",
        "kind": K.association,
        "name": "Recyclerie Informatique de Villeurbanne",
        "siret": "81234567000010",
        "insertion_status": InsertionStatus.ei,
        "convention_number": "EI-069-2024-007",
        "convention_valid_until": date(2027, 6, 30),
        "address": "45 rue Francis de Pressensé, 69100 Villeurbanne",
        "latitude": 45.7700,
        "longitude": 4.8800,
    },
    {
        "key": "eco",
        "kind": K.eco_organisme,
        "name": "Écocollecte DEEE Rhône",
        "siret": "78300012000015",
        "address": "8 rue de l'Industrie, 69800 Saint-Priest",
        "latitude": 45.7030,
        "longitude": 4.9440,
    },
    {
        "key": "donateur",
        "kind": K.donor,
        "name": "Banque Rhodanienne SA",
        "siret": "52109876000015",
        "address": "3 place de la Bourse, 69002 Lyon",
        "latitude": 45.7640,
        "longitude": 4.8370,
    },
    {
        "key": "financeur",
        "kind": K.funder,
        "name": "Banque des Territoires — Direction régionale",
        "siret": "30201122000019",
    },
]

SCHOOLS = [
    # key, UAI, name, kind, address, postcode, city, lat, lon, priority
    ("college-eluard", "0690034M", "Collège Paul Éluard", SchoolKind.college,
     "20 rue Gaspard Picard", "69200", "Vénissieux", 45.7040, 4.8790,
     PriorityEducation.rep_plus),
    ("ecole-moulin", "0691495A", "École élémentaire Jean Moulin", SchoolKind.ecole,
     "5 rue Jean Moulin", "69120", "Vaulx-en-Velin", 45.7780, 4.9210,
     PriorityEducation.rep),
    ("lp-marie-curie", "0693119R", "Lycée professionnel Marie Curie",
     SchoolKind.lycee_pro, "64 boulevard Eugène Réguillon", "69100", "Villeurbanne",
     45.7620, 4.8950, None),
    ("college-mermoz", "0692866R", "Collège Jean Mermoz", SchoolKind.college,
     "7 avenue Jean Mermoz", "69008", "Lyon", 45.7360, 4.8820,
     PriorityEducation.rep),
]  # fmt: skip

# One user per role: (role, organisation key, full name)
USERS = [
    (Role.coordinator, "coordination", "Claire Coordinatrice"),
    (Role.observer, "financeur", "Olivier Observateur"),
    (Role.admin, "coordination", "Alice Administratrice"),
    (Role.technician, "atelier", "Thomas Technicien"),
    (Role.driver, "atelier", "Djamel Chauffeur"),
    (Role.collector, "eco", "Camille Collecteur"),
    (Role.school_staff, "college-eluard", "Sophie Secrétaire"),
    (Role.donor, "donateur", "Denis Donateur"),
]
EXTRA_USERS = [(Role.technician, "recyclerie", "Rachid Technicien", "technician2")]


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    role: str
    organisation: str


@dataclass(frozen=True)
class DemoResult:
    bank: str
    created: bool
    organisations: list[dict[str, str]]
    users: list[DemoUser]

    def as_json(self) -> dict[str, object]:
        return {
            "bank": self.bank,
            "created": self.created,
            "organisations": self.organisations,
            "users": [asdict(u) for u in self.users],
        }


def load_demo(session: Session, *, password: str = DEFAULT_DEMO_PASSWORD) -> DemoResult:
    """Create the demo bank if it is missing; always return its credentials."""
    bank = session.exec(select(Bank).where(Bank.code == "LYO")).first()
    created = bank is None
    if bank is None:
        bank = Bank(
            code="LYO",
            name="Banque solidaire du numérique éducatif — Métropole de Lyon",
            short_name="BSNE Lyon",
            time_zone="Europe/Paris",
            school_zone="A",
        )
        session.add(bank)
        session.flush()
    orgs: dict[str, Organisation] = {}
    for spec in ORGANISATIONS:
        fields = {k: v for k, v in spec.items() if k != "key"}
        orgs[str(spec["key"])] = _get_or_add_org(session, bank, fields)
    for key, uai, name, kind, address, postcode, city, lat, lon, prio in SCHOOLS:
        org = _get_or_add_org(
            session,
            bank,
            {
                "kind": K.school,
                "name": name,
                "address": f"{address}, {postcode} {city}",
                "latitude": lat,
                "longitude": lon,
            },
        )
        orgs[key] = org
        if session.exec(select(School).where(School.uai == uai)).first() is None:
            session.add(
                School(
                    bank_id=bank.id,
                    organisation_id=org.id,
                    uai=uai,
                    name=name,
                    kind=kind,
                    address=address,
                    postcode=postcode,
                    city=city,
                    latitude=lat,
                    longitude=lon,
                    priority_education=prio,
                )
            )
    session.flush()
    password_hash = security.hash_password(password)
    users: list[DemoUser] = []
    specs = [(r, o, n, r.value) for r, o, n in USERS] + EXTRA_USERS
    for role, org_key, full_name, local in specs:
        email = f"{local}@{EMAIL_DOMAIN}"
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None:
            user = User(
                organisation_id=orgs[org_key].id,
                email=email,
                full_name=full_name,
                role=role,
                password_hash=password_hash,
            )
        else:  # the demo password may have changed (BANQUES_DEMO_PASSWORD)
            user.password_hash = password_hash
            user.is_active = True
        session.add(user)
        users.append(DemoUser(email, password, role.value, orgs[org_key].name))
    session.flush()
    if created:
        by_email = {u.email: u for u in session.exec(select(User))}
        _demo_devices(session, lambda role: by_email[f"{role}@{EMAIL_DOMAIN}"])
    return DemoResult(
        bank=bank.name,
        created=created,
        organisations=[
            {"id": str(o.id), "name": o.name, "kind": o.kind.value}
            for o in orgs.values()
        ],
        users=users,
    )


DEMO_DEVICES = [
    ("laptop", "Lenovo", "ThinkPad T480"),
    ("laptop", "Dell", "Latitude 5490"),
    ("laptop", "HP", "EliteBook 840 G5"),
    ("desktop", "HP", "ProDesk 600 G3"),
    ("tablet", "Samsung", "Galaxy Tab A 10.1"),
    ("laptop", "Lenovo", "ThinkPad L470"),
    ("laptop", "Dell", "Latitude 7480"),
    ("desktop", "Dell", "OptiPlex 7050"),
    ("laptop", "Fujitsu", "Lifebook E548"),
]


def _demo_devices(session: Session, user_of: Callable[[str], User]) -> None:
    """A few donated devices at the first steps of the chain (registered by the
    éco-organisme, some collected, some received and diagnosed at the atelier)."""
    from banques.accounts.service import principal_for
    from banques.devices import service as devices
    from banques.devices.lifecycle import State
    from banques.devices.schemas import DeviceCreate, ScanIn

    collector = principal_for(session, user_of("collector"))
    technician = principal_for(session, user_of("technician"))
    registered = devices.register_devices(
        session,
        collector,
        [
            DeviceCreate.model_validate(
                {
                    "category": c,
                    "brand": b,
                    "model": m,
                    "serial": f"DEMO{i:05d}",
                    "donation_ref": "DON-2026-001",
                }
            )
            for i, (c, b, m) in enumerate(DEMO_DEVICES, start=1)
        ],
    )
    steps: list[tuple[State, Principal, dict[str, object]]] = [
        (State.collected, collector, {"collection_ref": "COL-2026-001"}),
        (State.received, technician, {}),
        (
            State.diagnosed,
            technician,
            {
                "cpu": "Intel Core i5",
                "ram_gb": 8,
                "storage_gb": 256,
                "storage_type": "ssd",
                "battery_health_pct": 80,
                "reconditionable": True,
                "media": [{"type": "ssd", "serial": "SSD-DEMO-0001"}],
            },
        ),
    ]
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    for index, device in enumerate(registered):
        for depth, (state, who, payload) in enumerate(steps[: index % 4]):
            if state is State.diagnosed:
                payload = payload | {
                    "media": [{"type": "ssd", "serial": f"SSD-{device.serial}"}]
                }
            scan = ScanIn(
                asset_tag=device.asset_tag,
                to_state=state,
                event_id=uuid.uuid4(),
                occurred_at=start + timedelta(hours=index, minutes=10 * depth),
                payload=payload,
            )
            devices.apply_scan(session, who, scan)


def _get_or_add_org(
    session: Session, bank: Bank, fields: dict[str, object]
) -> Organisation:
    org = session.exec(
        select(Organisation).where(
            Organisation.bank_id == bank.id, Organisation.name == fields["name"]
        )
    ).first()
    if org is None:
        org = Organisation(bank_id=bank.id, **fields)  # type: ignore[arg-type]
        session.add(org)
        session.flush()
    return org
