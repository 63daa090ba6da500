"""Shared PDF helpers: embedded fonts and the vector QR code.

Fonts: Bitstream Vera Sans (regular and bold), the TrueType files reportlab
ships in ``reportlab/fonts`` under the Bitstream Vera licence.  They cover the
French repertoire (é è à ç ô œ « » € ’ …); reportlab embeds a subset of each
with a ToUnicode map, so the text of every document can be extracted.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from labels.qr import QrCode, pdf_path

SANS = "LabelsSans"
SANS_BOLD = "LabelsSans-Bold"
MM = 72 / 25.4  # points per millimetre

_FONT_DIR = Path(reportlab.__file__).parent / "fonts"
_registered = False


def register_fonts() -> None:
    """Register the embedded fonts with reportlab (idempotent)."""
    global _registered
    if _registered:
        return
    pdfmetrics.registerFont(TTFont(SANS, str(_FONT_DIR / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(SANS_BOLD, str(_FONT_DIR / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD)
    _registered = True


def text_width(text: str, font: str, size: float) -> float:
    """Width in points of ``text`` set in ``font`` at ``size``."""
    return pdfmetrics.stringWidth(text, font, size)


def fit_size(text: str, font: str, width: float, largest: float) -> float:
    """The largest size <= ``largest`` at which ``text`` fits in ``width`` points."""
    at_one = text_width(text, font, 1.0)
    return largest if at_one <= 0 else min(largest, width / at_one)


def draw_qr(
    canvas: Canvas, code: QrCode, x: float, y_top: float, module: float
) -> None:
    """Draw ``code`` as one filled path of run-length rectangles (no bitmap).

    ``x``, ``y_top``: top-left corner of the symbol (not of its quiet zone),
    in points with reportlab's y-up origin; ``module`` in points.
    """
    canvas.addLiteral(pdf_path(code, x, y_top, module))


def new_canvas(
    buffer: IO[bytes], width_pt: float, height_pt: float, title: str
) -> Canvas:
    """A canvas with reproducible output (no timestamps) and compressed pages."""
    register_fonts()
    canvas = Canvas(
        buffer,
        pagesize=(width_pt, height_pt),
        pageCompression=1,
        invariant=1,
    )
    canvas.setTitle(title)
    canvas.setCreator("Banques solidaires — labels")
    return canvas
