"""The chain's printed documents, in French, from plain dataclasses.

Each ``*_pdf`` function takes one frozen dataclass and returns PDF bytes (A4,
embedded Vera fonts, extractable text) with a verification QR code carrying
the document's ``verify_url`` (or, for a delivery note, the school's
receipt-confirmation page):

* :func:`erasure_certificate_pdf` -- certificat d'effacement of one device,
  one block per storage medium with the NIST SP 800-88 Rev. 1 certificate
  fields; :func:`erasure_bundle_pdf` -- a donation's certificates for its
  donor, behind a summary page;
* :func:`delivery_note_pdf` -- bon de livraison of a school stop;
* :func:`route_sheet_pdf` -- feuille de route of a vehicle;
* :func:`handover_certificate_pdf` -- attestation de remise (pupil reference
  only: no name is printed; a blank line for the school to fill in by hand);
* :func:`donation_receipt_pdf` -- reçu de don (receipt of goods received, not
  a tax receipt).

Datetimes must be timezone-aware; they are printed in their own time zone
(the caller converts to the bank's zone).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable as _Flowable

from labels._pdf import MM, SANS, SANS_BOLD, draw_qr, register_fonts
from labels.qr import QUIET_ZONE, encode

__all__ = [
    "AllocationMode",
    "DeliveredDevice",
    "DeliveryNote",
    "DonationOutcome",
    "DonationReceipt",
    "ErasedMedium",
    "ErasureBundle",
    "ErasureCertificate",
    "HandoverCertificate",
    "Person",
    "ReceivedLine",
    "RouteSheet",
    "RouteStop",
    "SanitizationMethod",
    "Verification",
    "delivery_note_pdf",
    "donation_receipt_pdf",
    "erasure_bundle_pdf",
    "erasure_certificate_pdf",
    "format_date",
    "format_datetime",
    "handover_certificate_pdf",
    "route_sheet_pdf",
]

# ----------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------


class SanitizationMethod(StrEnum):
    """NIST SP 800-88 Rev. 1 sanitisation levels."""

    CLEAR = "clear"
    PURGE = "purge"
    DESTROY = "destroy"


_METHOD_FR = {
    SanitizationMethod.CLEAR: "Clear — effacement logique",
    SanitizationMethod.PURGE: "Purge — effacement non récupérable en laboratoire",
    SanitizationMethod.DESTROY: "Destroy — destruction physique",
}


class Verification(StrEnum):
    """How the result was verified (NIST: full or sample)."""

    FULL = "full"
    SAMPLE = "sample"
    NONE = "none"


_VERIFICATION_FR = {
    Verification.FULL: "vérification complète",
    Verification.SAMPLE: "vérification par échantillonnage",
    Verification.NONE: "non vérifié",
}


class AllocationMode(StrEnum):
    LOAN = "loan"
    PROVISION = "provision"
    GIFT = "gift"
    LOAN_THEN_TRANSFER = "loan_then_transfer"


_MODE_FR = {
    AllocationMode.LOAN: "prêt (le matériel reste la propriété de la banque solidaire)",
    AllocationMode.PROVISION: "mise à disposition pour la durée de la scolarité",
    AllocationMode.GIFT: "don (le matériel devient la propriété de la famille)",
    AllocationMode.LOAN_THEN_TRANSFER: "prêt, puis cession gratuite à la fin de la "
    "scolarité dans l'établissement",
}


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class ErasedMedium:
    """One storage medium's erasure record (NIST SP 800-88 App. G fields)."""

    media_type: str  # "SSD SATA", "HDD", "NVMe", "eMMC"…
    manufacturer: str
    model: str
    serial: str
    capacity: str  # as printed, e.g. "256 Go"
    method: SanitizationMethod
    technique: str  # e.g. "ATA Secure Erase", "écrasement 1 passe (zéros)"
    tool: str
    tool_version: str
    verification: Verification
    verified: bool  # the verification's result
    started_at: datetime
    ended_at: datetime
    report_sha256: str | None = None  # hash of the imported tool report


@dataclass(frozen=True, slots=True)
class ErasureCertificate:
    number: str
    bank: str
    organisation: str  # who sanitised (the reconditioning workshop)
    organisation_address: str
    location: str
    device_tag: str
    device_category: str
    device_model: str
    device_serial: str
    media: tuple[ErasedMedium, ...]
    operator: Person
    issued_at: datetime
    verify_url: str
    verifier: Person | None = None
    donor: str | None = None  # NIST "source"
    donation_ref: str | None = None
    destination: str = "réemploi : don ou prêt à un élève"


@dataclass(frozen=True, slots=True)
class ErasureBundle:
    """A donation's erasure certificates, for its donor."""

    bank: str
    donor: str
    donation_ref: str
    issued_at: datetime
    verify_url: str
    certificates: tuple[ErasureCertificate, ...]
    recycled: tuple[str, ...] = ()  # tags of devices sent to recycling (DEEE)


@dataclass(frozen=True, slots=True)
class DeliveredDevice:
    tag: str
    category: str
    model: str
    serial: str = ""


@dataclass(frozen=True, slots=True)
class DeliveryNote:
    number: str
    bank: str
    delivery_date: date
    carrier: str  # the organisation delivering
    school_name: str
    school_uai: str
    school_address: str
    devices: tuple[DeliveredDevice, ...]
    confirm_url: str  # the school's receipt-confirmation page
    school_contact: str = ""
    driver: str = ""
    round_ref: str = ""


@dataclass(frozen=True, slots=True)
class RouteStop:
    sequence: int
    name: str
    address: str
    eta: time
    deliver: int  # devices dropped here
    pickup: int = 0  # devices collected here
    window: tuple[time, time] | None = None
    service_minutes: int = 0
    contact: str = ""
    phone: str = ""
    reference: str = ""  # delivery note or collection number
    notes: str = ""


@dataclass(frozen=True, slots=True)
class RouteSheet:
    number: str
    bank: str
    route_date: date
    vehicle: str
    capacity: int  # devices
    driver: str
    depot_name: str
    depot_address: str
    departure: time
    return_eta: time
    distance_km: float
    stops: tuple[RouteStop, ...]
    verify_url: str


@dataclass(frozen=True, slots=True)
class HandoverCertificate:
    number: str
    bank: str
    school_name: str
    school_uai: str
    pupil_ref: str  # pseudonymous reference chosen by the school; never a name
    grade_level: str
    device_tag: str
    device_category: str
    device_model: str
    device_serial: str
    mode: AllocationMode
    handed_over_on: date
    verify_url: str
    accessories: tuple[str, ...] = ()
    no_resale_years: int | None = None
    return_conditions: str = ""


@dataclass(frozen=True, slots=True)
class ReceivedLine:
    category: str
    declared: int
    received: int


@dataclass(frozen=True, slots=True)
class DonationOutcome:
    reused: int = 0  # reconditioned, ready or already handed over
    in_progress: int = 0
    parts: int = 0  # dismantled for spare parts
    recycled: int = 0  # sent to a DEEE channel


@dataclass(frozen=True, slots=True)
class DonationReceipt:
    number: str
    bank: str
    beneficiary: str
    beneficiary_address: str
    beneficiary_id: str  # SIREN or RNA
    may_issue_tax_receipts: bool
    donor: str
    donor_address: str
    donation_ref: str
    received_on: date
    lines: tuple[ReceivedLine, ...]
    outcome: DonationOutcome
    issued_at: datetime
    signatory: Person
    verify_url: str
    donor_id: str = ""  # SIREN for a company
    outcome_as_of: date | None = None


# ----------------------------------------------------------------------------
# French formatting
# ----------------------------------------------------------------------------

_MONTHS = (
    *("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"),
    *("septembre", "octobre", "novembre", "décembre"),
)


def format_date(d: date) -> str:
    """``1er décembre 2026``, ``23 novembre 2026``."""
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {_MONTHS[d.month - 1]} {d.year}"


def format_time(t: time) -> str:
    return f"{t.hour} h {t.minute:02d}"


def format_datetime(dt: datetime) -> str:
    """``23 novembre 2026 à 14 h 05 (UTC+01:00)``; needs an aware datetime."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("documents need timezone-aware datetimes")
    offset = dt.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}"
    return f"{format_date(dt.date())} à {format_time(dt.time())} ({zone})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ----------------------------------------------------------------------------
# Layout helpers
# ----------------------------------------------------------------------------

register_fonts()  # paragraph styles below resolve the font family when used
_BODY = ParagraphStyle("body", fontName=SANS, fontSize=9, leading=12)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=7.5, leading=9.5)
_CELL = ParagraphStyle("cell", parent=_BODY, fontSize=8, leading=10)
_TITLE = ParagraphStyle(
    "title", parent=_BODY, fontName=SANS_BOLD, fontSize=15, leading=19
)
_H2 = ParagraphStyle(
    "h2", parent=_BODY, fontName=SANS_BOLD, fontSize=10.5, leading=14, spaceBefore=6
)
_RIGHT = ParagraphStyle("right", parent=_SMALL, alignment=TA_RIGHT)


def _esc(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    """A paragraph of already-escaped mini-markup (<b>, <br/>)."""
    return Paragraph(text, style)


def _c(text: object) -> Paragraph:
    """A table cell (escaped)."""
    return Paragraph(_esc(text), _CELL)


def _h(text: str) -> Paragraph:
    """A header cell (bold, escaped)."""
    return Paragraph(f"<b>{_esc(text)}</b>", _CELL)


class _Qr(Flowable):
    """A vector QR code with its quiet zone, ``side_mm`` wide."""

    def __init__(self, payload: str, side_mm: float = 26.0) -> None:
        super().__init__()
        self.code = encode(payload, level="M")
        self.width = self.height = side_mm * MM

    def draw(self) -> None:
        module = self.width / (self.code.size + 2 * QUIET_ZONE)
        canvas: Canvas = self.canv
        draw_qr(
            canvas,
            self.code,
            QUIET_ZONE * module,
            self.height - QUIET_ZONE * module,
            module,
        )


def _header(
    bank: str,
    title: str,
    lines: Sequence[str],
    qr_url: str,
    caption: str,
    width_mm: float = 170,
) -> Table:
    left = [_p(_esc(bank), _SMALL), Spacer(1, 2 * MM), _p(_esc(title), _TITLE)]
    left += [_p(line) for line in lines if line]
    right = [_Qr(qr_url), _p(_esc(caption), _RIGHT)]
    table = Table([[left, right]], colWidths=[(width_mm - 45) * MM, 45 * MM])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _grid(
    rows: list[list[object]], widths_mm: Sequence[float], repeat: int = 1
) -> Table:
    table = Table(
        rows, colWidths=[w * MM for w in widths_mm], repeatRows=repeat, hAlign="LEFT"
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), SANS, 8),
                ("FONT", (0, 0), (-1, 0), SANS_BOLD, 8),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _fields(
    pairs: Sequence[tuple[str, str]], widths_mm: tuple[float, float] = (55, 115)
) -> Table:
    rows = [[_p(f"<b>{_esc(k)}</b>", _CELL), _c(v)] for k, v in pairs]
    table = Table(rows, colWidths=[w * MM for w in widths_mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def _signatures(
    boxes: Sequence[tuple[str, Sequence[str]]], height_mm: float = 32
) -> Table:
    """Side-by-side signature boxes: title, then the lines to fill in."""
    cells = []
    for title, lines in boxes:
        content: list[_Flowable] = [_p(f"<b>{_esc(title)}</b>", _CELL)]
        content += [_p(_esc(line), _CELL) for line in lines]
        cells.append(content)
    width = 170 / len(boxes)
    table = Table(
        [cells], colWidths=[width * MM] * len(boxes), rowHeights=[height_mm * MM]
    )
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                ("INNERGRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _render(
    title: str,
    story_pages: Iterable[list[_Flowable]],
    footer: str,
    *,
    landscape: bool = False,
) -> bytes:
    """Build an A4 document; each item of ``story_pages`` starts a new page."""
    register_fonts()
    buffer = io.BytesIO()
    page_w, page_h = (A4[1], A4[0]) if landscape else A4
    doc = SimpleDocTemplate(
        buffer,
        pagesize=(page_w, page_h),
        # 20 mm page margins; the frame's own 6 pt padding is taken from them,
        # so content is 170 mm wide (portrait) or 257 mm (landscape).
        leftMargin=20 * MM - 6,
        rightMargin=20 * MM - 6,
        topMargin=15 * MM,
        bottomMargin=18 * MM,
        title=title,
        creator="Banques solidaires — labels",
        invariant=1,
    )

    def on_page(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(SANS, 7)
        canvas.drawString(20 * MM, 10 * MM, footer)
        canvas.drawRightString(page_w - 20 * MM, 10 * MM, f"page {document.page}")
        canvas.restoreState()

    story: list[_Flowable] = []
    for i, page in enumerate(story_pages):
        if i:
            story.append(PageBreak())
        story.extend(page)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


# ----------------------------------------------------------------------------
# Certificat d'effacement
# ----------------------------------------------------------------------------


def _erasure_story(cert: ErasureCertificate) -> list[_Flowable]:
    story: list[_Flowable] = [
        _header(
            cert.bank,
            "Certificat d'effacement des données",
            [
                f"N° <b>{_esc(cert.number)}</b> — émis le "
                f"{_esc(format_datetime(cert.issued_at))}",
                "Selon NIST SP 800-88 Rév. 1 (Guidelines for Media Sanitization), "
                "§4.7 et annexe G",
            ],
            cert.verify_url,
            f"Vérifier : {cert.verify_url}",
        ),
        _p("Appareil", _H2),
        _fields(
            [
                ("Étiquette", cert.device_tag),
                ("Catégorie", cert.device_category),
                ("Marque et modèle", cert.device_model),
                ("N° de série", cert.device_serial),
                (
                    "Provenance (source)",
                    " — ".join(x for x in (cert.donor, cert.donation_ref) if x)
                    or "non renseignée",
                ),
                ("Destination", cert.destination),
            ]
        ),
    ]
    for i, medium in enumerate(cert.media, start=1):
        check = "réussie" if medium.verified else "ÉCHEC"
        rows = [
            ("Type de support", medium.media_type),
            ("Fabricant / modèle", f"{medium.manufacturer} {medium.model}"),
            ("N° de série du support", medium.serial),
            ("Capacité", medium.capacity),
            ("Niveau (NIST)", _METHOD_FR[medium.method]),
            ("Méthode", medium.technique),
            ("Outil et version", f"{medium.tool} {medium.tool_version}"),
            ("Vérification", f"{_VERIFICATION_FR[medium.verification]} : {check}"),
            ("Début", format_datetime(medium.started_at)),
            ("Fin", format_datetime(medium.ended_at)),
        ]
        if medium.report_sha256:
            rows.append(("Rapport de l'outil (SHA-256)", medium.report_sha256))
        story += [
            KeepTogether([_p(f"Support {i} sur {len(cert.media)}", _H2), _fields(rows)])
        ]
    verifier = cert.verifier
    story += [
        _p("Effacement effectué et vérifié par", _H2),
        _fields(
            [
                ("Organisation", f"{cert.organisation}, {cert.organisation_address}"),
                ("Lieu", cert.location),
            ]
        ),
        Spacer(1, 3 * MM),
        _signatures(
            [
                (
                    "Opérateur (effacement)",
                    [
                        f"Nom : {cert.operator.name}",
                        f"Fonction : {cert.operator.title}",
                        "Date et signature :",
                    ],
                ),
                (
                    "Vérificateur",
                    [
                        f"Nom : {verifier.name if verifier else ''}",
                        f"Fonction : {verifier.title if verifier else ''}",
                        "Date et signature :",
                    ],
                ),
            ],
            height_mm=30,
        ),
        Spacer(1, 2 * MM),
        _p(
            "Ce certificat atteste que chaque support de stockage de l'appareil a été "
            "traité selon le niveau indiqué. Les numéros de série correspondent à "
            "l'inventaire de la banque solidaire. Le QR code ouvre la version en ligne "
            "de ce certificat.",
            _SMALL,
        ),
    ]
    return story


def erasure_certificate_pdf(cert: ErasureCertificate) -> bytes:
    """Certificat d'effacement of one device (one block per storage medium)."""
    if not cert.media:
        raise ValueError("an erasure certificate needs at least one medium")
    return _render(
        f"Certificat d'effacement {cert.number}",
        [_erasure_story(cert)],
        f"{cert.bank} — certificat d'effacement {cert.number} — {cert.device_tag}",
    )


def erasure_bundle_pdf(bundle: ErasureBundle) -> bytes:
    """A donation's certificates behind a summary page, for the donor."""
    rows: list[list[object]] = [
        [
            _h(h)
            for h in (
                "Étiquette",
                "Appareil",
                "N° de série",
                "Supports",
                "Niveau",
                "Certificat",
            )
        ]
    ]
    for cert in bundle.certificates:
        levels = sorted({m.method.value.capitalize() for m in cert.media})
        rows.append(
            [
                _c(cert.device_tag),
                _c(f"{cert.device_category}, {cert.device_model}"),
                _c(cert.device_serial),
                _c(len(cert.media)),
                _c(", ".join(levels)),
                _c(cert.number),
            ]
        )
    media = sum(len(c.media) for c in bundle.certificates)
    cover: list[_Flowable] = [
        _header(
            bundle.bank,
            "Certificats d'effacement — récapitulatif du don",
            [
                f"Donateur : <b>{_esc(bundle.donor)}</b>",
                f"Don n° {_esc(bundle.donation_ref)} — émis le "
                f"{_esc(format_datetime(bundle.issued_at))}",
            ],
            bundle.verify_url,
            f"Vérifier : {bundle.verify_url}",
        ),
        Spacer(1, 3 * MM),
        _p(
            f"{_plural(len(bundle.certificates), 'appareil')} effacé"
            f"{'' if len(bundle.certificates) == 1 else 's'}, "
            f"{_plural(media, 'support')} de stockage ; "
            "un certificat par appareil suit "
            "ce récapitulatif (NIST SP 800-88 Rév. 1)."
        ),
        Spacer(1, 2 * MM),
        _grid(rows, (26, 44, 28, 17, 22, 33)),
    ]
    if bundle.recycled:
        cover += [
            Spacer(1, 3 * MM),
            _p(
                "Appareils orientés vers le recyclage (filière DEEE), "
                "supports détruits "
                f"ou confiés à l'éco-organisme : {_esc(', '.join(bundle.recycled))}."
            ),
        ]
    pages = [cover] + [_erasure_story(c) for c in bundle.certificates]
    return _render(
        f"Certificats d'effacement — don {bundle.donation_ref}",
        pages,
        f"{bundle.bank} — certificats d'effacement — don {bundle.donation_ref}",
    )


# ----------------------------------------------------------------------------
# Bon de livraison
# ----------------------------------------------------------------------------


def delivery_note_pdf(note: DeliveryNote) -> bytes:
    """Bon de livraison of one school stop, with the receipt-confirmation QR."""
    counts = Counter(d.category for d in note.devices)
    summary = ", ".join(f"{n} × {cat}" for cat, n in sorted(counts.items()))
    rows: list[list[object]] = [
        [
            _h(h)
            for h in ("N°", "Étiquette", "Catégorie", "Modèle", "N° de série", "Reçu")
        ]
    ]
    for i, d in enumerate(note.devices, start=1):
        rows.append(
            [_c(i), _c(d.tag), _c(d.category), _c(d.model), _c(d.serial), _c("")]
        )
    story: list[_Flowable] = [
        _header(
            note.bank,
            "Bon de livraison",
            [
                f"N° <b>{_esc(note.number)}</b> — "
                f"{_esc(format_date(note.delivery_date))}",
                f"Tournée : {_esc(note.round_ref)}" if note.round_ref else "",
            ],
            note.confirm_url,
            "Confirmer la réception : scanner ce code",
        ),
        _fields(
            [
                ("Établissement", f"{note.school_name} (UAI {note.school_uai})"),
                ("Adresse", note.school_address),
                ("Contact", note.school_contact or "—"),
                (
                    "Livré par",
                    f"{note.carrier}" + (f" — {note.driver}" if note.driver else ""),
                ),
            ]
        ),
        _p("Matériel livré", _H2),
        _p(
            f"<b>Total : {_plural(len(note.devices), 'appareil')}</b> — {_esc(summary)}"
        ),
        Spacer(1, 2 * MM),
        _grid(rows, (9, 27, 38, 50, 32, 14)),
        Spacer(1, 4 * MM),
        _p("Réserves à la livraison (colis abîmé, appareil manquant…) :"),
        _p("……………………………………………………………………………………………………………………………"),
        _p("……………………………………………………………………………………………………………………………"),
        Spacer(1, 3 * MM),
        KeepTogether(
            _signatures(
                [
                    ("Le livreur", ["Nom :", "Date et heure :", "Signature :"]),
                    (
                        "L'établissement (réception)",
                        [
                            "Nom :",
                            "Qualité :",
                            "Date et heure :",
                            "Signature et cachet :",
                        ],
                    ),
                ]
            )
        ),
        Spacer(1, 2 * MM),
        _p(
            "La réception peut aussi être confirmée en ligne en scannant le QR code "
            f"ci-dessus ({_esc(note.confirm_url)}).",
            _SMALL,
        ),
    ]
    return _render(
        f"Bon de livraison {note.number}",
        [story],
        f"{note.bank} — bon de livraison {note.number} — {note.school_name}",
    )


# ----------------------------------------------------------------------------
# Feuille de route
# ----------------------------------------------------------------------------


def route_sheet_pdf(sheet: RouteSheet) -> bytes:
    """Feuille de route of one vehicle: ordered stops, windows, ETAs, loads."""
    load = sum(s.deliver for s in sheet.stops)
    if load > sheet.capacity:
        raise ValueError(f"load at departure {load} exceeds capacity {sheet.capacity}")
    rows: list[list[object]] = [
        [
            _h(h)
            for h in (
                "N°",
                "Arrivée",
                "Créneau",
                "Établissement, adresse",
                "Contact",
                "Livrer",
                "Enlever",
                "Charge",
                "Réf.",
            )
        ]
    ]
    for stop in sheet.stops:
        load = load - stop.deliver + stop.pickup
        window = (
            f"{format_time(stop.window[0])} – {format_time(stop.window[1])}"
            if stop.window
            else "—"
        )
        place = f"{stop.name}\n{stop.address}" + (
            f"\n{stop.notes}" if stop.notes else ""
        )
        rows.append(
            [
                _c(stop.sequence),
                _c(format_time(stop.eta)),
                _c(window),
                Paragraph(_esc(place).replace("\n", "<br/>"), _CELL),
                Paragraph(
                    _esc(f"{stop.contact}\n{stop.phone}").replace("\n", "<br/>"), _CELL
                ),
                _c(stop.deliver),
                _c(stop.pickup),
                _c(load),
                _c(stop.reference),
            ]
        )
    story: list[_Flowable] = [
        _header(
            sheet.bank,
            "Feuille de route",
            [
                f"N° <b>{_esc(sheet.number)}</b> — "
                f"{_esc(format_date(sheet.route_date))}",
                f"Véhicule : <b>{_esc(sheet.vehicle)}</b> "
                f"(capacité {sheet.capacity} appareils)"
                f" — chauffeur : {_esc(sheet.driver)}",
            ],
            sheet.verify_url,
            f"Tournée en ligne : {sheet.verify_url}",
            width_mm=257,
        ),
        _fields(
            [
                ("Dépôt", f"{sheet.depot_name}, {sheet.depot_address}"),
                ("Départ", format_time(sheet.departure)),
                ("Retour prévu", format_time(sheet.return_eta)),
                ("Arrêts", str(len(sheet.stops))),
                (
                    "Chargement au départ",
                    _plural(sum(s.deliver for s in sheet.stops), "appareil"),
                ),
                ("Distance prévue", f"{sheet.distance_km:.1f} km".replace(".", ",")),
            ]
        ),
        _p("Arrêts, dans l'ordre", _H2),
        _grid(rows, (10, 17, 30, 78, 42, 15, 18, 17, 30)),
        Spacer(1, 3 * MM),
        _p(
            "Charge : appareils à bord après l'arrêt. "
            "À chaque arrêt : faire signer le bon de livraison, "
            "ou faire scanner son QR "
            "code par l'établissement. En cas d'absence, ramener le matériel au dépôt.",
            _SMALL,
        ),
    ]
    return _render(
        f"Feuille de route {sheet.number}",
        [story],
        f"{sheet.bank} — feuille de route {sheet.number} — {sheet.vehicle}",
        landscape=True,
    )


# ----------------------------------------------------------------------------
# Attestation de remise
# ----------------------------------------------------------------------------


def handover_certificate_pdf(cert: HandoverCertificate) -> bytes:
    """Attestation de remise: the pupil is identified by reference only."""
    clauses = [f"Mode d'attribution : {_MODE_FR[cert.mode]}."]
    if cert.no_resale_years:
        clauses.append(
            "Le matériel ne peut être revendu pendant "
            f"{_plural(cert.no_resale_years, 'an')}"
            " à compter de la remise."
        )
    if cert.return_conditions:
        clauses.append(cert.return_conditions)
    story: list[_Flowable] = [
        _header(
            cert.bank,
            "Attestation de remise de matériel",
            [
                f"N° <b>{_esc(cert.number)}</b> — "
                f"{_esc(format_date(cert.handed_over_on))}"
            ],
            cert.verify_url,
            f"Vérifier : {cert.verify_url}",
        ),
        _fields(
            [
                ("Établissement", f"{cert.school_name} (UAI {cert.school_uai})"),
                ("Référence de l'élève", cert.pupil_ref),
                ("Niveau", cert.grade_level),
            ]
        ),
        _p("Matériel remis", _H2),
        _fields(
            [
                ("Étiquette", cert.device_tag),
                ("Catégorie", cert.device_category),
                ("Marque et modèle", cert.device_model),
                ("N° de série", cert.device_serial),
                ("Accessoires", ", ".join(cert.accessories) or "aucun"),
                ("Date de remise", format_date(cert.handed_over_on)),
            ]
        ),
        _p("Conditions", _H2),
        *[_p(_esc(c)) for c in clauses],
        _p(
            "Les données de l'appareil ont été effacées avant sa remise (certificat "
            "d'effacement disponible via le QR code)."
        ),
        Spacer(1, 4 * MM),
        _p(
            "La banque solidaire n'enregistre aucun nom d'élève : "
            "l'élève est identifié "
            "par la référence choisie par l'établissement. "
            "Le nom ci-dessous est rempli "
            "à la main et reste sur ce papier.",
            _SMALL,
        ),
        Spacer(1, 3 * MM),
        _p("Nom et prénom du représentant légal (à remplir à la main) :"),
        Spacer(1, 5 * MM),
        _p("……………………………………………………………………………………………………………………………"),
        Spacer(1, 5 * MM),
        _signatures(
            [
                ("Pour l'établissement", ["Nom :", "Qualité :", "Date et signature :"]),
                ("Le représentant légal", ["Date et signature :"]),
                ("L'élève (facultatif)", ["Signature :"]),
            ]
        ),
    ]
    return _render(
        f"Attestation de remise {cert.number}",
        [story],
        f"{cert.bank} — attestation de remise {cert.number} — {cert.device_tag}",
    )


# ----------------------------------------------------------------------------
# Reçu de don
# ----------------------------------------------------------------------------


def donation_receipt_pdf(receipt: DonationReceipt) -> bytes:
    """Reçu de don: a receipt of the goods received and what became of them.

    It is not a tax receipt (cerfa 11580 / 16216); when the beneficiary may
    issue those, the text says one can be requested separately.
    """
    rows: list[list[object]] = [[_h(h) for h in ("Catégorie", "Annoncés", "Reçus")]]
    for line in receipt.lines:
        rows.append([_c(line.category), _c(line.declared), _c(line.received)])
    rows.append(
        [
            _h("Total"),
            _c(sum(x.declared for x in receipt.lines)),
            _c(sum(x.received for x in receipt.lines)),
        ]
    )
    o = receipt.outcome
    as_of = receipt.outcome_as_of or receipt.issued_at.date()
    outcome_rows: list[list[object]] = [
        [_h("Devenir du matériel reçu"), _h("Appareils")],
        [_c("Reconditionnés pour le réemploi (élèves)"), _c(o.reused)],
        [_c("En cours de traitement"), _c(o.in_progress)],
        [_c("Démontés pour pièces détachées"), _c(o.parts)],
        [_c("Recyclés (filière DEEE)"), _c(o.recycled)],
    ]
    if receipt.may_issue_tax_receipts:
        tax = (
            "Ce document atteste la réception du matériel ; "
            "il ne constitue pas un reçu "
            f"fiscal. {receipt.beneficiary} étant habilité à délivrer "
            "des reçus fiscaux, "
            "un reçu au titre des dons (cerfa n° 16216 pour les entreprises, n° 11580 "
            "pour les particuliers) peut être établi séparément sur demande."
        )
    else:
        tax = (
            "Ce document atteste la réception du matériel. Il ne constitue pas un reçu "
            "fiscal et n'ouvre pas droit à la réduction d'impôt des articles 200 et "
            "238 bis du code général des impôts."
        )
    donor = receipt.donor + (f" (SIREN {receipt.donor_id})" if receipt.donor_id else "")
    story: list[_Flowable] = [
        _header(
            receipt.bank,
            "Reçu de don — attestation de réception de matériel",
            [
                f"N° <b>{_esc(receipt.number)}</b> — émis le "
                f"{_esc(format_datetime(receipt.issued_at))}"
            ],
            receipt.verify_url,
            f"Vérifier : {receipt.verify_url}",
        ),
        _fields(
            [
                ("Bénéficiaire", f"{receipt.beneficiary} ({receipt.beneficiary_id})"),
                ("Adresse", receipt.beneficiary_address),
                ("Donateur", donor),
                ("Adresse du donateur", receipt.donor_address),
                ("Don", receipt.donation_ref),
                ("Date de réception", format_date(receipt.received_on)),
                ("Nature du don", "don en nature : matériel informatique"),
            ]
        ),
        _p("Matériel reçu", _H2),
        _grid(rows, (90, 40, 40)),
        _p(f"Devenir au {_esc(format_date(as_of))}", _H2),
        _grid(outcome_rows, (130, 40)),
        Spacer(1, 4 * MM),
        _p(_esc(tax)),
        Spacer(1, 4 * MM),
        _signatures(
            [
                (
                    f"Pour {receipt.beneficiary}",
                    [
                        f"{receipt.signatory.name}, {receipt.signatory.title}",
                        "Date et signature :",
                    ],
                )
            ],
            height_mm=28,
        ),
    ]
    return _render(
        f"Reçu de don {receipt.number}",
        [story],
        f"{receipt.bank} — reçu de don {receipt.number} — {receipt.donor}",
    )
