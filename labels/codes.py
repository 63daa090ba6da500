"""Asset tags: bank prefix + Crockford base32 number + a check character.

A tag looks like ``LYO-7K3QF-X``:

* ``LYO`` -- the bank prefix, 2 to 5 letters A-Z;
* ``7K3QF`` -- the device number in Crockford base32 (alphabet
  ``0123456789ABCDEFGHJKMNPQRSTVWXYZ``: no I, L, O, U), always 5 symbols, so a
  bank numbers up to 32**5 = 33,554,432 devices;
* ``X`` -- a check symbol from the same 32-symbol alphabet.

The check symbol is computed with the Damm algorithm over the field GF(32)
(``x * y = 2x + y``; that quasigroup is totally anti-symmetric because
``2 + 1 != 0`` in GF(32)).  It covers the prefix letters, the number and the
check symbol itself, and detects **every** single-symbol substitution and
**every** adjacent transposition, including those involving the check symbol.
A swap across the first hyphen (prefix letter <-> first number symbol, not
adjacent on the printed tag) is detected too, except when the letter is I.

Why not Crockford's own mod-37 check symbol?  It has the same guarantees on the
number, but five of its 37 symbols (``* ~ $ = U``) fall outside Crockford's
alphabet, and ``~`` and ``=`` are outside the QR alphanumeric character set,
which would push about one tag in 18 into the QR byte mode (a bigger symbol).
It also leaves the prefix unprotected.

Everything a tag contains is upper-case alphanumeric plus ``-``, so a URL built
from it can be encoded in the QR alphanumeric mode.

This module has no dependency beyond the standard library, so the service can
import it on its own.
"""

from __future__ import annotations

import re

__all__ = [
    "ALPHABET",
    "NUMBER_WIDTH",
    "InvalidAssetCode",
    "asset_code",
    "check_symbol",
    "is_valid_asset_code",
    "normalise_asset_code",
    "parse_asset_code",
    "tag_from_scan",
]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NUMBER_WIDTH = 5
MAX_NUMBER = 32**NUMBER_WIDTH - 1
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Prefix letters take their Crockford value, and the four letters Crockford
# lacks take values no letter has, so that a prefix letter swapped with the
# number's first symbol across the hyphen still reads as the same values in the
# other order (and is detected), except for an I, which reads back as 1.
_LETTER_VALUE = {**{c: v for c, v in _VALUE.items() if v >= 10}, "O": 0, "L": 1}
_LETTER_VALUE |= {"I": 2, "U": 3}
_PREFIX_RE = re.compile(r"[A-Z]{2,5}")
# What people type instead of a Crockford symbol (Crockford's decoding rules).
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = re.compile(r"[\s\-_.]+")


class InvalidAssetCode(ValueError):
    """The text is not a well-formed asset tag, or its check symbol is wrong."""


def _times2(x: int) -> int:
    """Multiply by the generator 2 in GF(32) = GF(2)[x] / (x^5 + x^2 + 1)."""
    x <<= 1
    return x ^ 0b100101 if x & 0b100000 else x


def _fold(values: list[int]) -> int:
    interim = 0
    for value in values:
        interim = _times2(interim) ^ value
    return interim


def _values(prefix: str, body: str) -> list[int]:
    return [_LETTER_VALUE[c] for c in prefix] + [_VALUE[c] for c in body]


def check_symbol(prefix: str, digits: str) -> str:
    """The check symbol for a prefix and the number's Crockford digits."""
    return ALPHABET[_times2(_fold(_values(prefix, digits)))]


def asset_code(prefix: str, number: int) -> str:
    """The asset tag of device ``number`` of the bank with this ``prefix``.

    >>> asset_code("LYO", 1)
    'LYO-00001-E'
    """
    prefix = prefix.strip().upper()
    if not _PREFIX_RE.fullmatch(prefix):
        raise InvalidAssetCode(f"bank prefix must be 2 to 5 letters A-Z: {prefix!r}")
    if not 0 <= number <= MAX_NUMBER:
        raise InvalidAssetCode(f"asset number out of range 0..{MAX_NUMBER}: {number}")
    digits = ""
    for _ in range(NUMBER_WIDTH):
        number, value = divmod(number, 32)
        digits = ALPHABET[value] + digits
    return f"{prefix}-{digits}-{check_symbol(prefix, digits)}"


def _split(text: str) -> tuple[str, str, str]:
    compact = _SEPARATORS.sub("", text).upper()
    if len(compact) < NUMBER_WIDTH + 1 + 2:
        raise InvalidAssetCode(f"asset tag too short: {text!r}")
    prefix = compact[: -NUMBER_WIDTH - 1]
    body = compact[-NUMBER_WIDTH - 1 :].translate(_LOOKALIKES)
    if not _PREFIX_RE.fullmatch(prefix):
        raise InvalidAssetCode(f"bank prefix must be 2 to 5 letters A-Z: {text!r}")
    if any(c not in _VALUE for c in body):
        raise InvalidAssetCode(f"not a Crockford base32 number: {text!r}")
    return prefix, body[:-1], body[-1]


def parse_asset_code(text: str) -> tuple[str, int]:
    """``(prefix, number)`` from a typed or scanned tag, or raise InvalidAssetCode.

    Accepts lower case, spaces, hyphens or none, and the look-alikes I/L for 1
    and O for 0 in the number and check symbol.
    """
    prefix, digits, check = _split(text)
    if _fold(_values(prefix, digits + check)) != 0:
        raise InvalidAssetCode(f"wrong check symbol (typo?): {text!r}")
    number = 0
    for c in digits:
        number = number * 32 + _VALUE[c]
    return prefix, number


def normalise_asset_code(text: str) -> str:
    """The canonical spelling (``LYO-7K3QF-X``) of a valid tag."""
    return asset_code(*parse_asset_code(text))


def is_valid_asset_code(text: str) -> bool:
    """True when ``text`` parses as an asset tag with a correct check symbol."""
    try:
        parse_asset_code(text)
    except InvalidAssetCode:
        return False
    return True


def tag_from_scan(text: str) -> str:
    """The canonical tag from what a scanner or a phone read: a bare tag, or a
    label URL (``HTTPS://HOST/D/LYO-7K3QF-X``, any case, query or fragment
    ignored).  Raises InvalidAssetCode."""
    text = text.strip()
    if "/" in text:
        path = text.split("?", 1)[0].split("#", 1)[0].rstrip("/")
        text = path.rsplit("/", 1)[-1]
    return normalise_asset_code(text)
