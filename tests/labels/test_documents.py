"""Documents: the facts each must carry (extracted text) and a decodable QR."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pytest

from labels import demo
from labels.documents import (
    delivery_note_pdf,
    donation_receipt_pdf,
    erasure_bundle_pdf,
    erasure_certificate_pdf,
    format_date,
    format_datetime,
    handover_certificate_pdf,
    route_sheet_pdf,
)
from tests.labels.conftest import decode_region, page_texts, render_pages

FRENCH = "éèàçôœ«»€’…ÉÀÇ"


def flat(text: str) -> str:
    """Extracted text with line breaks and pdfium's soft hyphens undone."""
    text = text.replace("\x02", "-").replace("\r", "")
    # Narrow cells wrap references after a hyphen: join them back.
    return re.sub(r"\s+", " ", re.sub(r"-\n(?=\w)", "-", text))


def qr_texts(pdf: bytes, page: int = 0) -> list[str]:
    """Decode the QR codes in the header (top 70 mm) of a page."""
    image = render_pages(pdf, 200)[page]
    return [f.text for f in decode_region(image, 200, 0, 0, 300, 70)]


def test_erasure_certificate() -> None:
    cert = demo.erasure_certificate(two_media=True)
    pdf = erasure_certificate_pdf(cert)
    (text,) = [flat(t) for t in page_texts(pdf)]
    assert "Certificat d'effacement des données" in text
    assert "NIST SP 800-88" in text
    for fact in (
        cert.number,
        cert.device_tag,
        cert.device_serial,
        cert.operator.name,
        "Élodie Contrôle",
        "Atelier Numérique Solidaire de Vénissieux",
        "Banque Rhodanienne SA",
        "18 novembre 2026 à 11 h 30 (UTC+01:00)",
    ):
        assert fact in text, fact
    for medium in cert.media:
        for fact in (medium.serial, medium.model, medium.tool, medium.tool_version):
            assert fact in text, fact
        assert medium.report_sha256 is None or medium.report_sha256 in text
    assert "Purge" in text
    assert "Clear" in text
    assert "vérification complète : réussie" in text
    assert "vérification par échantillonnage : réussie" in text
    assert qr_texts(pdf) == [cert.verify_url]


def test_erasure_certificate_needs_a_medium() -> None:
    with pytest.raises(ValueError, match="medium"):
        erasure_certificate_pdf(replace(demo.erasure_certificate(), media=()))


def test_erasure_bundle() -> None:
    bundle = demo.erasure_bundle()
    pdf = erasure_bundle_pdf(bundle)
    texts = [flat(t) for t in page_texts(pdf)]
    assert len(texts) == 1 + len(bundle.certificates)
    cover = texts[0]
    assert "3 appareils effacés, 4 supports de stockage" in cover
    assert bundle.donor in cover
    assert bundle.recycled[0] in cover
    for cert, page in zip(bundle.certificates, texts[1:], strict=True):
        assert cert.number in cover
        assert cert.device_tag in cover
        assert cert.number in page
        assert cert.media[0].serial in page
    assert qr_texts(pdf) == [bundle.verify_url]
    assert qr_texts(pdf, 2) == [bundle.certificates[1].verify_url]


def test_delivery_note() -> None:
    note = demo.delivery_note()
    pdf = delivery_note_pdf(note)
    text = " ".join(flat(t) for t in page_texts(pdf))
    for fact in (
        note.number,
        "Collège Paul Éluard (UAI 0690034M)",
        note.school_address,
        "Total : 12 appareils",
        "10 × Ordinateur portable, 2 × Tablette",
        "Le livreur",
        "L'établissement (réception)",
        "Signature et cachet",
        "1er décembre 2026",
    ):
        assert fact in text, fact
    for device in note.devices:
        assert device.tag in text
        assert device.serial in text
    # The QR opens the school's receipt-confirmation page.
    assert qr_texts(pdf) == [note.confirm_url]


def test_route_sheet() -> None:
    sheet = demo.route_sheet()
    pdf = route_sheet_pdf(sheet)
    text = " ".join(flat(t) for t in page_texts(pdf))
    for fact in (sheet.number, sheet.vehicle, sheet.driver, "38,4 km", "27 appareils"):
        assert fact in text, fact
    positions = [text.index(stop.name) for stop in sheet.stops]
    assert positions == sorted(positions)  # in the route's order
    for stop in sheet.stops:
        assert stop.phone in text
        assert stop.reference in text
    assert "8 h 52" in text
    assert "8 h 30 – 11 h 30" in text  # the first stop's time window
    assert qr_texts(pdf) == [sheet.verify_url]


def test_route_sheet_refuses_an_overload() -> None:
    with pytest.raises(ValueError, match="capacity"):
        route_sheet_pdf(replace(demo.route_sheet(), capacity=10))


def test_handover_certificate_prints_no_name() -> None:
    cert = demo.handover_certificate()
    pdf = handover_certificate_pdf(cert)
    text = " ".join(flat(t) for t in page_texts(pdf))
    for fact in (
        cert.pupil_ref,
        cert.device_tag,
        cert.device_serial,
        "4 décembre 2026",
        "prêt, puis cession gratuite",
        "ne peut être revendu pendant 4 ans",
        "(à remplir à la main)",
        "Le représentant légal",
    ):
        assert fact in text, fact
    # The dataclass has no field for a pupil's name: only the reference exists.
    assert not any("name" in f and "pupil" in f for f in cert.__slots__)
    assert qr_texts(pdf) == [cert.verify_url]


@pytest.mark.parametrize("may_issue", [False, True])
def test_donation_receipt(may_issue: bool) -> None:
    receipt = demo.donation_receipt(may_issue_tax_receipts=may_issue)
    pdf = donation_receipt_pdf(receipt)
    text = " ".join(flat(t) for t in page_texts(pdf))
    for fact in (
        "Reçu de don — attestation de réception de matériel",
        receipt.donor,
        "SIREN 521098760",
        receipt.donation_ref,
        "12 novembre 2026",
        "Ordinateur portable 20 19",
        "Total 35 35",
        "Reconditionnés pour le réemploi (élèves) 24",
        "Recyclés (filière DEEE) 3",
        "ne constitue pas un reçu fiscal",
    ):
        assert fact in text, fact
    if may_issue:
        assert "cerfa n° 16216" in text
    else:
        assert "cerfa" not in text
        assert "238 bis" in text
    assert qr_texts(pdf) == [receipt.verify_url]


def test_french_characters_are_embedded_and_extractable() -> None:
    cert = replace(demo.handover_certificate(), return_conditions=f"Test {FRENCH}.")
    pdf = handover_certificate_pdf(cert)
    assert FRENCH in page_texts(pdf)[0]
    assert b"/FontFile2" in pdf  # TrueType font programs embedded


def test_french_dates() -> None:
    assert format_date(date(2026, 12, 1)) == "1er décembre 2026"
    with pytest.raises(ValueError, match="timezone"):
        format_datetime(datetime(2026, 12, 1, 9, 0))  # noqa: DTZ001
