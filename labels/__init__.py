"""QR asset labels and the chain's printed documents (a pure library).

Data in (frozen dataclasses), PDF or ZPL out; no settings, no database: the
service (``banques.documents``) passes the base URL, the bank's name, etc.
"""

from labels.codes import (
    InvalidAssetCode,
    asset_code,
    is_valid_asset_code,
    normalise_asset_code,
    parse_asset_code,
    tag_from_scan,
)
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
    delivery_note_pdf,
    donation_receipt_pdf,
    erasure_bundle_pdf,
    erasure_certificate_pdf,
    handover_certificate_pdf,
    route_sheet_pdf,
)
from labels.qr import device_url
from labels.sheets import (
    TEMPLATES,
    AssetLabel,
    Template,
    blank_labels,
    calibration_pdf,
    get_template,
    label_sheet_pdf,
)
from labels.zpl import label_zpl

__all__ = [
    "TEMPLATES",
    "AllocationMode",
    "AssetLabel",
    "DeliveredDevice",
    "DeliveryNote",
    "DonationOutcome",
    "DonationReceipt",
    "ErasedMedium",
    "ErasureBundle",
    "ErasureCertificate",
    "HandoverCertificate",
    "InvalidAssetCode",
    "Person",
    "ReceivedLine",
    "RouteSheet",
    "RouteStop",
    "SanitizationMethod",
    "Template",
    "Verification",
    "asset_code",
    "blank_labels",
    "calibration_pdf",
    "delivery_note_pdf",
    "device_url",
    "donation_receipt_pdf",
    "erasure_bundle_pdf",
    "erasure_certificate_pdf",
    "get_template",
    "handover_certificate_pdf",
    "is_valid_asset_code",
    "label_sheet_pdf",
    "label_zpl",
    "normalise_asset_code",
    "parse_asset_code",
    "route_sheet_pdf",
    "tag_from_scan",
]
