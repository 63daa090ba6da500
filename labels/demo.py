"""Demo documents (fictional data matching the service's demo bank, Lyon).

Used by the tests, by ``python -m labels demo`` and for the renders in
``docs/img``.  Times are in Europe/Paris.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from labels.codes import asset_code
from labels.documents import (
    AllocationMode,
    DeliveredDevice,
    DeliveryNote,
    DonationOutcome,
    DonationReceipt,
    ErasedMedium,
    ErasureBundle,
    ErasureCertificate,
    HandoverCertificate,
    Person,
    ReceivedLine,
    RouteSheet,
    RouteStop,
    SanitizationMethod,
    Verification,
)
from labels.sheets import AssetLabel

PARIS = ZoneInfo("Europe/Paris")
BASE_URL = "https://banques.example.fr"
BANK = "Banque solidaire du numérique éducatif — Métropole de Lyon"
BANK_SHORT = "BSNE Lyon"
PREFIX = "LYO"
WORKSHOP = "Atelier Numérique Solidaire de Vénissieux"
WORKSHOP_ADDRESS = "12 avenue Jean Jaurès, 69200 Vénissieux"
DONOR = "Banque Rhodanienne SA"


def tag(number: int) -> str:
    return asset_code(PREFIX, number)


def labels(count: int = 12) -> list[AssetLabel]:
    models = ["Lenovo ThinkPad T480", "Dell Latitude 5490", "HP EliteBook 840 G5"]
    return [
        AssetLabel(tag(1200 + i), BANK_SHORT, "Ordinateur portable", models[i % 3])
        for i in range(count)
    ]


def erasure_certificate(
    number: int = 1201, *, two_media: bool = False
) -> ErasureCertificate:
    start = datetime(2026, 11, 18, 9, 12, tzinfo=PARIS)
    media = [
        ErasedMedium(
            media_type="SSD SATA",
            manufacturer="Samsung",
            model="PM871b MZ7LN256",
            serial=f"S3U1NX0K{number:06d}",
            capacity="256 Go",
            method=SanitizationMethod.PURGE,
            technique="ATA Sanitize (Block Erase), puis vérification de lecture",
            tool="nwipe",
            tool_version="0.37",
            verification=Verification.FULL,
            verified=True,
            started_at=start,
            ended_at=start.replace(hour=9, minute=41),
            report_sha256="9f2c4e1b7a6d5c3e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a",
        )
    ]
    if two_media:
        media.append(
            ErasedMedium(
                media_type="HDD 2,5 pouces",
                manufacturer="Seagate",
                model="ST500LM030",
                serial=f"WCC6Y{number:07d}",
                capacity="500 Go",
                method=SanitizationMethod.CLEAR,
                technique="écrasement 1 passe (PRNG) avec vérification",
                tool="nwipe",
                tool_version="0.37",
                verification=Verification.SAMPLE,
                verified=True,
                started_at=start.replace(hour=9, minute=45),
                ended_at=start.replace(hour=11, minute=2),
            )
        )
    return ErasureCertificate(
        number=f"EFF-2026-{number:05d}",
        bank=BANK,
        organisation=WORKSHOP,
        organisation_address=WORKSHOP_ADDRESS,
        location="Atelier de Vénissieux, poste 3",
        device_tag=tag(number),
        device_category="Ordinateur portable",
        device_model="Lenovo ThinkPad T480",
        device_serial=f"PF1A{number:04d}",
        media=tuple(media),
        operator=Person("Théo Technicien", "technicien reconditionneur"),
        verifier=Person("Élodie Contrôle", "responsable qualité"),
        issued_at=datetime(2026, 11, 18, 11, 30, tzinfo=PARIS),
        verify_url=f"{BASE_URL}/verifier/effacement/EFF-2026-{number:05d}",
        donor=DONOR,
        donation_ref="DON-2026-0042",
    )


def erasure_bundle() -> ErasureBundle:
    return ErasureBundle(
        bank=BANK,
        donor=DONOR,
        donation_ref="DON-2026-0042",
        issued_at=datetime(2026, 11, 20, 16, 0, tzinfo=PARIS),
        verify_url=f"{BASE_URL}/verifier/don/DON-2026-0042",
        certificates=(
            erasure_certificate(1201),
            erasure_certificate(1202, two_media=True),
            erasure_certificate(1203),
        ),
        recycled=(tag(1204),),
    )


def delivery_note() -> DeliveryNote:
    devices = [
        DeliveredDevice(
            tag(1201 + i),
            "Ordinateur portable",
            "Lenovo ThinkPad T480",
            f"PF1A{1201 + i:04d}",
        )
        for i in range(10)
    ] + [
        DeliveredDevice(
            tag(1301 + i), "Tablette", "Samsung Galaxy Tab A8", f"R9PT{i:05d}"
        )
        for i in range(2)
    ]
    return DeliveryNote(
        number="BL-2026-0317",
        bank=BANK,
        delivery_date=date(2026, 12, 1),
        carrier=WORKSHOP,
        driver="Diane Chauffeur",
        school_name="Collège Paul Éluard",
        school_uai="0690034M",
        school_address="20 rue Gaspard Picard, 69200 Vénissieux",
        school_contact="Sophie Secrétaire — 04 72 00 00 00",
        devices=tuple(devices),
        confirm_url=f"{BASE_URL}/R/BL-2026-0317-7QX4",
        round_ref="TR-2026-12-01-A",
    )


def route_sheet() -> RouteSheet:
    return RouteSheet(
        number="TR-2026-12-01-A",
        bank=BANK,
        route_date=date(2026, 12, 1),
        vehicle="Utilitaire Kangoo (FR-482-LY)",
        capacity=40,
        driver="Diane Chauffeur",
        depot_name=WORKSHOP,
        depot_address=WORKSHOP_ADDRESS,
        departure=time(8, 30),
        return_eta=time(12, 50),
        distance_km=38.4,
        stops=(
            RouteStop(
                1,
                "Collège Paul Éluard",
                "20 rue Gaspard Picard, 69200 Vénissieux",
                eta=time(8, 52),
                deliver=12,
                window=(time(8, 30), time(11, 30)),
                service_minutes=20,
                contact="Sophie Secrétaire",
                phone="04 72 00 00 00",
                reference="BL-2026-0317",
                notes="Livraison à la loge, côté parking",
            ),
            RouteStop(
                2,
                "École élémentaire Jean Moulin",
                "5 rue Jean Moulin, 69120 Vaulx-en-Velin",
                eta=time(9, 41),
                deliver=6,
                window=(time(9, 0), time(11, 45)),
                service_minutes=15,
                contact="M. le directeur",
                phone="04 78 00 00 01",
                reference="BL-2026-0318",
            ),
            RouteStop(
                3,
                "Banque Rhodanienne SA",
                "3 place de la Bourse, 69002 Lyon",
                eta=time(10, 35),
                deliver=0,
                pickup=15,
                window=(time(10, 0), time(12, 0)),
                service_minutes=25,
                contact="Denis Donateur",
                phone="04 72 00 00 02",
                reference="COL-2026-0088",
                notes="Enlèvement du don DON-2026-0051",
            ),
            RouteStop(
                4,
                "Collège Jean Mermoz",
                "7 avenue Jean Mermoz, 69008 Lyon",
                eta=time(11, 32),
                deliver=9,
                window=(time(11, 0), time(12, 30)),
                service_minutes=15,
                contact="Mme la principale adjointe",
                phone="04 78 00 00 03",
                reference="BL-2026-0319",
            ),
        ),
        verify_url=f"{BASE_URL}/tournees/TR-2026-12-01-A",
    )


def handover_certificate() -> HandoverCertificate:
    return HandoverCertificate(
        number="REM-2026-0914",
        bank=BANK,
        school_name="Collège Paul Éluard",
        school_uai="0690034M",
        pupil_ref="ELU-5B-017",
        grade_level="5e",
        device_tag=tag(1203),
        device_category="Ordinateur portable",
        device_model="Lenovo ThinkPad T480",
        device_serial="PF1A1203",
        mode=AllocationMode.LOAN_THEN_TRANSFER,
        handed_over_on=date(2026, 12, 4),
        verify_url=f"{BASE_URL}/verifier/remise/REM-2026-0914",
        accessories=("chargeur 65 W", "housse"),
        no_resale_years=4,
        return_conditions="En cas de départ de l'établissement avant la fin de la "
        "scolarité, le matériel est restitué au collège.",
    )


def donation_receipt(*, may_issue_tax_receipts: bool = False) -> DonationReceipt:
    return DonationReceipt(
        number="RD-2026-0042",
        bank=BANK,
        beneficiary=WORKSHOP,
        beneficiary_address=WORKSHOP_ADDRESS,
        beneficiary_id="SIREN 442931870",
        may_issue_tax_receipts=may_issue_tax_receipts,
        donor=DONOR,
        donor_id="521098760",
        donor_address="3 place de la Bourse, 69002 Lyon",
        donation_ref="DON-2026-0042",
        received_on=date(2026, 11, 12),
        lines=(
            ReceivedLine("Ordinateur portable", 20, 19),
            ReceivedLine("Écran", 10, 10),
            ReceivedLine("Unité centrale", 5, 6),
        ),
        outcome=DonationOutcome(reused=24, in_progress=6, parts=2, recycled=3),
        outcome_as_of=date(2026, 11, 20),
        issued_at=datetime(2026, 11, 20, 16, 5, tzinfo=PARIS),
        signatory=Person("Claire Coordinatrice", "coordinatrice"),
        verify_url=f"{BASE_URL}/verifier/don/DON-2026-0042",
    )
