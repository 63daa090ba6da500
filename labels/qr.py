"""A small, fast QR Code encoder (model 2, versions 1-10) and its vector output.

Why not segno or qrcode directly?  Building the matrix dominates label
printing (RELIABILITY.md §4): about 3-4 ms per code, most of it scoring the 8
mask patterns.  Labels use a **fixed mask**, so everything that depends only on
(version, error-correction level, mask) -- function patterns, format and version
information, the order of the data modules and the mask bits over them -- is
computed once and cached; a code then costs one Reed-Solomon division (table
driven, on Python ints) and one pass setting its dark data modules.  The tests
check the matrices against segno's for the same version, level and mask.

Output is a list of horizontal runs of dark modules, drawn as one PDF path of
rectangles in module units (see :func:`pdf_path`): a vector QR, no bitmap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import compress
from typing import Literal

__all__ = [
    "ALPHANUMERIC",
    "DEFAULT_MASK",
    "QUIET_ZONE",
    "QrCode",
    "device_url",
    "encode",
    "pdf_path",
]

ErrorLevel = Literal["L", "M", "Q", "H"]

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_ALNUM_VALUE = {c: i for i, c in enumerate(ALPHANUMERIC)}
QUIET_ZONE = 4  # modules, ISO/IEC 18004 minimum for model 2
# The fixed mask skips the costly penalty scoring (any mask decodes).  Over 200
# random label URLs (3 base URLs, ECC M), mask 3 had the lowest ISO 18004
# penalty excess over the best mask of each code: mean 36, max 183 (masks 0-7:
# 137, 80, 103, 36, 84, 125, 110, 128), measured with segno.encoder.
DEFAULT_MASK = 3
MAX_VERSION = 10

# Per version 1..10 and level: (EC codewords per block, [(blocks, data codewords)]).
_BLOCKS: dict[ErrorLevel, tuple[tuple[int, tuple[tuple[int, int], ...]], ...]] = {
    "L": (
        (7, ((1, 19),)),
        (10, ((1, 34),)),
        (15, ((1, 55),)),
        (20, ((1, 80),)),
        (26, ((1, 108),)),
        (18, ((2, 68),)),
        (20, ((2, 78),)),
        (24, ((2, 97),)),
        (30, ((2, 116),)),
        (18, ((2, 68), (2, 69))),
    ),
    "M": (
        (10, ((1, 16),)),
        (16, ((1, 28),)),
        (26, ((1, 44),)),
        (18, ((2, 32),)),
        (24, ((2, 43),)),
        (16, ((4, 27),)),
        (18, ((4, 31),)),
        (22, ((2, 38), (2, 39))),
        (22, ((3, 36), (2, 37))),
        (26, ((4, 43), (1, 44))),
    ),
    "Q": (
        (13, ((1, 13),)),
        (22, ((1, 22),)),
        (18, ((2, 17),)),
        (26, ((2, 24),)),
        (18, ((2, 15), (2, 16))),
        (24, ((4, 19),)),
        (18, ((2, 14), (4, 15))),
        (22, ((4, 18), (2, 19))),
        (20, ((4, 16), (4, 17))),
        (24, ((6, 19), (2, 20))),
    ),
    "H": (
        (17, ((1, 9),)),
        (28, ((1, 16),)),
        (22, ((2, 13),)),
        (16, ((4, 9),)),
        (22, ((2, 11), (2, 12))),
        (28, ((4, 15),)),
        (26, ((4, 13), (1, 14))),
        (26, ((4, 14), (2, 15))),
        (24, ((4, 12), (4, 13))),
        (28, ((6, 15), (2, 16))),
    ),
}
_ALIGNMENT: tuple[tuple[int, ...], ...] = (
    *((), (6, 18), (6, 22), (6, 26), (6, 30), (6, 34)),
    *((6, 22, 38), (6, 24, 42), (6, 26, 46), (6, 28, 50)),
)
_FORMAT_LEVEL = {"L": 1, "M": 0, "Q": 3, "H": 2}

# GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def _mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


@cache
def _rs_table(degree: int) -> tuple[int, ...]:
    """For each leading factor, the generator polynomial times it, as an int."""
    divisor = [0] * (degree - 1) + [1]
    root = 1
    for _ in range(degree):
        for j in range(degree):
            divisor[j] = _mul(divisor[j], root)
            if j + 1 < degree:
                divisor[j] ^= divisor[j + 1]
        root = _mul(root, 2)
    return tuple(
        int.from_bytes(bytes(_mul(c, f) for c in divisor), "big") for f in range(256)
    )


def _rs_remainder(data: bytes, degree: int) -> bytes:
    table = _rs_table(degree)
    shift = 8 * (degree - 1)
    mask = (1 << (8 * degree)) - 1
    rem = 0
    for byte in data:
        rem = ((rem << 8) & mask) ^ table[byte ^ (rem >> shift)]
    return rem.to_bytes(degree, "big")


def _data_capacity(version: int, level: ErrorLevel) -> int:
    return sum(n * k for n, k in _BLOCKS[level][version - 1][1])


@dataclass(frozen=True, slots=True)
class _Layout:
    """What depends only on (version, level, mask), computed once."""

    size: int
    base: bytes  # (size + 1) columns per row: a 0 sentinel ends each row
    positions: tuple[int, ...]  # data modules in placement order (flat indices)
    mask_bits: int  # the mask over `positions`, first position = high bit


@cache
def _layout(version: int, level: ErrorLevel, mask: int) -> _Layout:
    size = 17 + 4 * version
    dark = [[False] * size for _ in range(size)]
    func = [[False] * size for _ in range(size)]

    def put(row: int, col: int, value: bool) -> None:
        dark[row][col] = value
        func[row][col] = True

    for i in range(size):  # timing patterns
        put(6, i, i % 2 == 0)
        put(i, 6, i % 2 == 0)
    for row0, col0 in ((0, 0), (0, size - 7), (size - 7, 0)):  # finders + separators
        for dr in range(-1, 8):
            for dc in range(-1, 8):
                r, c = row0 + dr, col0 + dc
                if 0 <= r < size and 0 <= c < size:
                    ring = max(abs(dr - 3), abs(dc - 3))
                    put(r, c, ring != 2 and ring != 4)
    centres = _ALIGNMENT[version - 1]
    for r0 in centres:
        for c0 in centres:
            if (r0, c0) in ((6, 6), (6, centres[-1]), (centres[-1], 6)):
                continue
            for dr in range(-2, 3):
                for dc in range(-2, 3):
                    put(r0 + dr, c0 + dc, max(abs(dr), abs(dc)) != 1)
    # Format information (two copies) and the dark module.
    data = _FORMAT_LEVEL[level] << 3 | mask
    rem = data
    for _ in range(10):
        rem = (rem << 1) ^ ((rem >> 9) * 0x537)
    bits = (data << 10 | rem) ^ 0x5412

    def bit(i: int) -> bool:
        return (bits >> i) & 1 == 1

    for i in range(6):
        put(i, 8, bit(i))
    put(7, 8, bit(6))
    put(8, 8, bit(7))
    put(8, 7, bit(8))
    for i in range(9, 15):
        put(8, 14 - i, bit(i))
    for i in range(8):
        put(8, size - 1 - i, bit(i))
    for i in range(8, 15):
        put(size - 15 + i, 8, bit(i))
    put(size - 8, 8, True)
    if version >= 7:  # version information
        rem = version
        for _ in range(12):
            rem = (rem << 1) ^ ((rem >> 11) * 0x1F25)
        vbits = version << 12 | rem
        for i in range(18):
            value = (vbits >> i) & 1 == 1
            a, b = size - 11 + i % 3, i // 3
            put(b, a, value)
            put(a, b, value)
    # Data modules, in zigzag order, and the mask over them.
    positions: list[int] = []
    mask_bits = 0
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = (right + 1) & 2 == 0
        for vert in range(size):
            row = size - 1 - vert if upward else vert
            for col in (right, right - 1):
                if not func[row][col]:
                    positions.append(row * (size + 1) + col)
                    mask_bits = mask_bits << 1 | _mask(mask, row, col)
        right -= 2
    base = bytearray((size + 1) * size)
    for r in range(size):
        for c in range(size):
            if dark[r][c]:
                base[r * (size + 1) + c] = 1
    return _Layout(size, bytes(base), tuple(positions), mask_bits)


def _mask(mask: int, i: int, j: int) -> int:
    """1 where mask pattern ``mask`` inverts the module at row i, column j."""
    if mask == 0:
        hit = (i + j) % 2 == 0
    elif mask == 1:
        hit = i % 2 == 0
    elif mask == 2:
        hit = j % 3 == 0
    elif mask == 3:
        hit = (i + j) % 3 == 0
    elif mask == 4:
        hit = (i // 2 + j // 3) % 2 == 0
    elif mask == 5:
        hit = (i * j) % 2 + (i * j) % 3 == 0
    elif mask == 6:
        hit = ((i * j) % 2 + (i * j) % 3) % 2 == 0
    else:
        hit = ((i + j) % 2 + (i * j) % 3) % 2 == 0
    return int(hit)


def _segment(payload: str) -> tuple[bool, int, int]:
    """(alphanumeric?, bit string as int, its length) -- without the count."""
    if all(c in _ALNUM_VALUE for c in payload):
        value, nbits = 0, 0
        for i in range(0, len(payload) - 1, 2):
            value = value << 11 | (
                _ALNUM_VALUE[payload[i]] * 45 + _ALNUM_VALUE[payload[i + 1]]
            )
            nbits += 11
        if len(payload) % 2:
            value = value << 6 | _ALNUM_VALUE[payload[-1]]
            nbits += 6
        return True, value, nbits
    try:
        raw = payload.encode("iso-8859-1")  # the QR default character set
    except UnicodeEncodeError:
        raw = payload.encode("utf-8")  # no ECI: readers detect UTF-8
    return False, int.from_bytes(raw, "big") if raw else 0, 8 * len(raw)


@dataclass(frozen=True, slots=True)
class QrCode:
    """An encoded symbol: its size in modules and its rows of dark runs."""

    payload: str
    version: int
    level: ErrorLevel
    mask: int
    alphanumeric: bool
    size: int
    modules: bytes  # size rows of (size + 1) bytes, 1 = dark, last byte 0

    def is_dark(self, row: int, col: int) -> bool:
        return self.modules[row * (self.size + 1) + col] == 1

    def runs(self) -> list[tuple[int, int, int]]:
        """Horizontal runs of dark modules as (row, column, length)."""
        width = self.size + 1
        out = []
        for m in _RUN.finditer(self.modules):
            row, col = divmod(m.start(), width)
            out.append((row, col, m.end() - m.start()))
        return out


_RUN = re.compile(b"\x01+")
_BITS = bytes.maketrans(b"01", b"\x00\x01")


def encode(
    payload: str,
    *,
    level: ErrorLevel = "M",
    mask: int = DEFAULT_MASK,
    version: int | None = None,
) -> QrCode:
    """Encode ``payload`` in the smallest version (1-10) that holds it.

    Alphanumeric mode when every character is in the QR alphanumeric set
    (upper case), else byte mode (UTF-8).  Raises ValueError when it does not
    fit in version 10 (or in the given ``version``).
    """
    if not 0 <= mask <= 7:
        raise ValueError(f"mask must be 0..7: {mask}")
    alnum, seg, seg_bits = _segment(payload)
    count = len(payload) if alnum else seg_bits // 8
    chosen = 0
    for v in [version] if version else range(1, MAX_VERSION + 1):
        if not 1 <= v <= MAX_VERSION:
            raise ValueError(f"version must be 1..{MAX_VERSION}: {v}")
        count_bits = (9 if alnum else 8) if v < 10 else (11 if alnum else 16)
        if count >= 1 << count_bits:
            continue
        if 4 + count_bits + seg_bits <= 8 * _data_capacity(v, level):
            chosen = v
            break
    if not chosen:
        raise ValueError(f"payload too long for a version-{MAX_VERSION} QR code")
    capacity = 8 * _data_capacity(chosen, level)
    count_bits = (9 if alnum else 8) if chosen < 10 else (11 if alnum else 16)
    bits = (0b0010 if alnum else 0b0100) << count_bits | count
    bits = bits << seg_bits | seg
    nbits = 4 + count_bits + seg_bits
    terminator = min(4, capacity - nbits)
    nbits += terminator
    bits <<= terminator
    pad = -nbits % 8
    bits <<= pad
    nbits += pad
    data = bits.to_bytes(nbits // 8, "big") if nbits else b""
    data += bytes((0xEC, 0x11) * capacity)[: capacity // 8 - len(data)]

    # Split into blocks, add error correction, interleave.
    ec_len, groups = _BLOCKS[level][chosen - 1]
    blocks: list[bytes] = []
    offset = 0
    for nblocks, length in groups:
        for _ in range(nblocks):
            blocks.append(data[offset : offset + length])
            offset += length
    ecc = [_rs_remainder(b, ec_len) for b in blocks]
    if len(blocks) == 1:
        inter = blocks[0] + ecc[0]
    else:
        longest = max(len(b) for b in blocks)
        mixed = bytearray()
        for i in range(longest):
            mixed.extend(b[i] for b in blocks if i < len(b))
        for i in range(ec_len):
            mixed.extend(e[i] for e in ecc)
        inter = bytes(mixed)

    lay = _layout(chosen, level, mask)
    remainder = len(lay.positions) - 8 * len(inter)
    stream = (int.from_bytes(inter, "big") << remainder) ^ lay.mask_bits
    selectors = format(stream, f"0{len(lay.positions)}b").encode().translate(_BITS)
    modules = bytearray(lay.base)
    for pos in compress(lay.positions, selectors):
        modules[pos] = 1
    return QrCode(payload, chosen, level, mask, alnum, lay.size, bytes(modules))


def pdf_path(code: QrCode, x: float, y_top: float, module: float) -> str:
    """PDF content-stream operators filling the dark modules in black.

    ``x``, ``y_top``: the symbol's top-left corner (PDF points, y up);
    ``module``: the module size in points.  The rectangles are in module units
    under a ``cm`` transform, so the stream stays small (integers only).
    """
    origins, lengths = _run_strings(code.size)
    body = "".join(
        [
            origins[m.start()] + lengths[m.end() - m.start()]
            for m in _RUN.finditer(code.modules)
        ]
    )
    return f"q 0 g {module:.4f} 0 0 {-module:.4f} {x:.3f} {y_top:.3f} cm\n{body}f Q"


@cache
def _run_strings(size: int) -> tuple[list[str], list[str]]:
    """Pre-formatted "col row " for each flat index and "len 1 re\n" per length."""
    width = size + 1
    origins = [f"{i % width} {i // width} " for i in range(width * size)]
    lengths = [f"{n} 1 re\n" for n in range(width + 1)]
    return origins, lengths


def device_url(base_url: str, tag: str, *, route: str = "D") -> str:
    """The URL a label's QR code carries: ``{BASE}/{route}/{TAG}``.

    Scheme and host are case-insensitive (RFC 3986 §6.2.2.1), so they are
    upper-cased: with a base URL without a path (or an upper-case one) the
    whole URL is in the QR alphanumeric set, which makes the symbol smaller
    (``HTTPS://BANQUES.EXAMPLE.FR/D/LYO-7K3QF-X``: 41 characters, version 3-M).
    A lower-case path is kept as is (paths are case-sensitive) and the code
    falls back to byte mode.
    """
    base = base_url.strip().rstrip("/")
    scheme, sep, rest = base.partition("://")
    if not sep:
        raise ValueError(f"base URL needs a scheme: {base_url!r}")
    host, slash, path = rest.partition("/")
    return f"{scheme.upper()}://{host.upper()}{slash}{path}/{route}/{tag.upper()}"
