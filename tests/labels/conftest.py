"""Helpers shared by the labels tests: rasterise PDFs, decode QR codes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pypdfium2 as pdfium
import zxingcpp

Image = npt.NDArray[np.uint8]


def render_pages(pdf: bytes, dpi: float) -> list[Image]:
    """Every page as a grayscale image (pypdfium2)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return [
            np.array(
                page.render(scale=dpi / 72, grayscale=True).to_numpy(), dtype=np.uint8
            )
            for page in doc
        ]
    finally:
        doc.close()


def page_texts(pdf: bytes) -> list[str]:
    """The extractable text of every page (pypdfium2)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return [str(page.get_textpage().get_text_bounded()) for page in doc]
    finally:
        doc.close()


@dataclass(frozen=True)
class Found:
    text: str
    corners_mm: list[tuple[float, float]]  # TL, TR, BR, BL on the page


def decode_region(
    image: Image, dpi: float, x_mm: float, y_mm: float, w_mm: float, h_mm: float
) -> list[Found]:
    """Decode the QR codes in a rectangle (mm) of a page image."""
    px = dpi / 25.4
    x0, y0 = round(x_mm * px), round(y_mm * px)
    x1, y1 = round((x_mm + w_mm) * px), round((y_mm + h_mm) * px)
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    found = []
    for barcode in zxingcpp.read_barcodes(crop):
        pos = barcode.position
        corners = [pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left]
        found.append(
            Found(
                barcode.text,
                [((x0 + c.x) / px, (y0 + c.y) / px) for c in corners],
            )
        )
    return found


def is_blank(
    image: Image, dpi: float, x_mm: float, y_mm: float, w_mm: float, h_mm: float
) -> bool:
    px = dpi / 25.4
    crop = image[
        round(y_mm * px) : round((y_mm + h_mm) * px),
        round(x_mm * px) : round((x_mm + w_mm) * px),
    ]
    return bool((crop > 200).all())
