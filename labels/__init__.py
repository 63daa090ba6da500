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
    "AssetLabel",
    "InvalidAssetCode",
    "Template",
    "asset_code",
    "blank_labels",
    "calibration_pdf",
    "device_url",
    "get_template",
    "is_valid_asset_code",
    "label_sheet_pdf",
    "label_zpl",
    "normalise_asset_code",
    "parse_asset_code",
]
