"""Shared PDF helpers: embedded fonts and the vector QR code.

Fonts: Bitstream Vera Sans (regular and bold), the TrueType files reportlab
ships in ``reportlab/fonts`` under the Bitstream Vera licence.  They cover the
French repertoire (é è à ç ô œ « » € ’ …); reportlab embeds a subset of each
with a ToUnicode map, so the text of every document can be extracted.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import IO

import reportlab
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFName, PDFStream
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from labels.qr import QrCode, pdf_path

SANS = "LabelsSans"
SANS_BOLD = "LabelsSans-Bold"
MM = 72 / 25.4  # points per millimetre

# Binary (Flate only) streams instead of ASCII85 + Flate: the same PDF, 20 %
# smaller, and reportlab's pure-Python ASCII85 encoder cost about 20 ms per page
# of 65 labels here (no rl_accel).  Only labels uses reportlab in this project.
rl_config.useA85 = 0

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


def show_page(canvas: Canvas) -> None:
    """``canvas.showPage()``, then compress the finished page's stream at once.

    reportlab keeps every page's content stream as text until ``save()``
    (about 250 kB per page of 65 QR labels), so memory would grow with the
    number of pages.  Compressing each page as it is finished keeps only the
    compressed bytes (about 18 kB).  This touches reportlab internals
    (``_doc.Pages.pages``, ``PDFPage.stream``/``Contents``, stable since
    reportlab 3); if they change, it silently falls back to reportlab's own
    behaviour (same PDF, more memory) -- a test checks that memory stays flat.
    """
    canvas.showPage()
    pages = getattr(
        getattr(getattr(canvas, "_doc", None), "Pages", None), "pages", None
    )
    if not pages:
        return
    page = pages[-1]
    stream = getattr(page, "stream", None)
    if not isinstance(stream, str) or getattr(page, "Contents", None):
        return
    contents = PDFStream(content=zlib.compress(stream.encode("utf-8")), filters=[])
    contents.dictionary["Filter"] = PDFName("FlateDecode")  # already applied
    page.Contents = contents
    page.stream = None
