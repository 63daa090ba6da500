"""UAI (Unité administrative immatriculée): 7 digits and a check letter."""

from __future__ import annotations

import re

_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_UAI = re.compile(r"^\d{7}[A-Z]$")


def uai_key(digits: str) -> str:
    """The check letter of seven digits (DOMAIN.md §4)."""
    if len(digits) != 7 or not digits.isdigit():
        raise ValueError("7 chiffres attendus")
    return _LETTERS[int(digits) % 23]


def normalise_uai(value: str) -> str:
    return value.strip().upper()


def is_valid_uai(value: str) -> bool:
    value = normalise_uai(value)
    return bool(_UAI.match(value)) and uai_key(value[:7]) == value[7]
