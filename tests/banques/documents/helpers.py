"""Shared by the documents tests: decode every label of a sheet."""

from __future__ import annotations

from labels import TEMPLATES
from tests.labels.conftest import decode_region, is_blank, render_pages

BASE_URL = "https://banques.example.fr"
DPI = 300


def decode_cells(pdf: bytes, template: str, cells: int) -> list[list[str]]:
    """The decoded QR texts of the first ``cells`` cells of every page."""
    tpl = TEMPLATES[template]
    pages = render_pages(pdf, DPI)
    return [
        [
            " ".join(
                f.text
                for f in decode_region(page, DPI, *tpl.cell_origin(i), *tpl.label_mm)
            )
            for i in range(min(cells, tpl.per_page))
        ]
        for page in pages
    ]


def blank_cells(pdf: bytes, template: str, cells: range) -> bool:
    tpl = TEMPLATES[template]
    (page, *_) = render_pages(pdf, DPI)
    return all(is_blank(page, DPI, *tpl.cell_origin(i), *tpl.label_mm) for i in cells)
