"""Label sheets: every QR decodes, in its cell, in the printable area."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest

from labels._pdf import new_canvas, show_page
from labels.codes import asset_code
from labels.qr import QUIET_ZONE, device_url, encode
from labels.sheets import (
    TEMPLATES,
    AssetLabel,
    Template,
    blank_labels,
    calibration_pdf,
    get_template,
    label_layout,
    label_sheet_pdf,
    qr_box_on_page,
)
from tests.labels.conftest import (
    Image,
    decode_region,
    is_blank,
    page_texts,
    render_pages,
)

BASE = "https://banques.example.fr"
MM_PT = 72 / 25.4
TOLERANCE_MM = 0.5


def sample(count: int, first: int = 4000) -> list[AssetLabel]:
    return [
        AssetLabel(
            asset_code("LYO", first + 7919 * i),
            "BSN Métropole de Lyon",
            "Ordinateur portable",
            "Lenovo ThinkPad T480 — 8 Go",
        )
        for i in range(count)
    ]


def check_label(
    image: Image,
    dpi: float,
    tpl: Template,
    cell: int,
    label: AssetLabel,
    offset: tuple[float, float] = (0.0, 0.0),
) -> None:
    url = device_url(BASE, label.tag)
    code = encode(url)
    x, y = tpl.cell_origin(cell, offset)
    w, h = tpl.label_mm
    found = decode_region(image, dpi, x, y, w, h)
    assert [f.text for f in found] == [url], (tpl.name, cell, dpi)
    # Where the layout says the symbol is ...
    qx, qy, side = qr_box_on_page(tpl, cell, code.size, offset)
    expected = [(qx, qy), (qx + side, qy), (qx + side, qy + side), (qx, qy + side)]
    # ... is where the decoder found it, within 0.5 mm (corner by corner).
    for (fx, fy), (ex, ey) in zip(found[0].corners_mm, expected, strict=True):
        assert abs(fx - ex) <= TOLERANCE_MM, (tpl.name, cell, fx, ex)
        assert abs(fy - ey) <= TOLERANCE_MM, (tpl.name, cell, fy, ey)
    # The quiet zone is inside the label, the symbol inside the printable area.
    quiet = QUIET_ZONE * label_layout(tpl, code.size).module_mm
    assert x <= qx - quiet
    assert qx + side + quiet <= x + w
    assert y <= qy - quiet
    assert qy + side + quiet <= y + h
    px0, py0, px1, py1 = tpl.printable_area()
    assert px0 <= qx
    assert qx + side <= px1
    assert py0 <= qy
    assert qy + side <= py1


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_every_qr_of_a_full_page_decodes_at_300_dpi(name: str) -> None:
    tpl = TEMPLATES[name]
    labels = sample(tpl.per_page)
    pdf = label_sheet_pdf(labels, tpl, base_url=BASE)
    pages = render_pages(pdf, 300)
    assert len(pages) == 1
    for cell, label in enumerate(labels):
        check_label(pages[0], 300, tpl, cell, label)
    text = page_texts(pdf)[0]
    for label in labels:
        assert label.tag in text.replace("\x02", "-")  # pdfium: end-of-line "-"


def test_l7651_decodes_at_150_dpi() -> None:
    tpl = TEMPLATES["L7651"]
    labels = sample(tpl.per_page, first=123)
    pdf = label_sheet_pdf(labels, tpl, base_url=BASE)
    (page,) = render_pages(pdf, 150)
    for cell, label in enumerate(labels):
        check_label(page, 150, tpl, cell, label)


def test_l7651_module_and_version() -> None:
    code = encode(device_url(BASE, asset_code("LYO", 1)))
    assert (code.version, code.alphanumeric) == (3, True)
    layout = label_layout(TEMPLATES["L7651"], code.size)
    assert layout.module_mm == 0.5


def test_start_position_and_page_break() -> None:
    tpl = TEMPLATES["L7651"]
    labels = sample(10)
    pdf = label_sheet_pdf(labels, tpl, base_url=BASE, start=60)
    pages = render_pages(pdf, 300)
    assert len(pages) == 2
    w, h = tpl.label_mm
    # Labels 1..6 in cells 60..65 of page 1, labels 7..10 in cells 1..4 of page 2.
    for k, label in enumerate(labels, start=1):
        cell = 60 - 1 + k - 1
        check_label(pages[cell // 65], 300, tpl, cell % 65, label)
    for cell in range(59):
        assert is_blank(pages[0], 300, *tpl.cell_origin(cell), w, h)
    for cell in range(4, 65):
        assert is_blank(pages[1], 300, *tpl.cell_origin(cell), w, h)


def test_roll_prints_one_label_per_page() -> None:
    labels = sample(3)
    pdf = label_sheet_pdf(labels, "62mm", base_url=BASE)
    pages = render_pages(pdf, 300)
    assert len(pages) == 3
    for page, label in zip(pages, labels, strict=True):
        check_label(page, 300, TEMPLATES["62MM"], 0, label)


def test_offset_moves_everything() -> None:
    tpl = TEMPLATES["L7160"]
    labels = sample(5)
    offset = (1.5, -1.0)
    pdf = label_sheet_pdf(labels, tpl, base_url=BASE, offset_mm=offset, start=2)
    (page,) = render_pages(pdf, 300)
    for k, label in enumerate(labels, start=1):
        check_label(page, 300, tpl, k, label, offset)


def test_blank_labels_and_generator_input() -> None:
    labels = blank_labels("MRS", 1, 70, "BSN Marseille")
    pdf = label_sheet_pdf(labels, "L7651", base_url=BASE)  # a generator
    texts = page_texts(pdf)
    assert len(texts) == 2
    assert asset_code("MRS", 70).split("-")[1] in texts[1]


def test_long_base_url_falls_back_or_refuses() -> None:
    tpl = TEMPLATES["L7651"]
    long_base = "https://" + "x" * 150 + ".fr"
    with pytest.raises(ValueError, match="shorten"):
        label_sheet_pdf(sample(1), tpl, base_url=long_base)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="start"):
        label_sheet_pdf(sample(1), "L7651", base_url=BASE, start=66)
    with pytest.raises(ValueError, match="unknown template"):
        get_template("L9999")
    assert get_template("avery-l7651") is TEMPLATES["L7651"]
    assert get_template("5160").page_mm == (215.9, 279.4)


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_templates_fit_their_page(name: str) -> None:
    tpl = TEMPLATES[name]
    last_x, last_y = tpl.cell_origin(tpl.per_page - 1)
    assert last_x + tpl.label_mm[0] <= tpl.page_mm[0] + 0.01
    assert last_y + tpl.label_mm[1] <= tpl.page_mm[1] + 0.01
    # Sheets are symmetric: the right/bottom margins equal the left/top ones.
    if not tpl.roll:
        assert tpl.page_mm[0] - (last_x + tpl.label_mm[0]) == pytest.approx(
            tpl.left_mm, abs=0.1
        )
        assert tpl.page_mm[1] - (last_y + tpl.label_mm[1]) == pytest.approx(
            tpl.top_mm, abs=0.1
        )


@pytest.mark.parametrize("name", ["L7651", "5160", "57X32"])
def test_calibration_page(name: str) -> None:
    pdf = calibration_pdf(name)
    (text,) = page_texts(pdf)
    assert f"Calibrage {TEMPLATES[name].name}" in text
    assert "100 %" in text
    (page,) = render_pages(pdf, 100)
    assert (page < 128).any()


def test_pages_are_compressed_as_soon_as_they_are_finished() -> None:
    """Memory stays flat: finished pages keep only their compressed stream."""
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, 200, 200, "t")
    canvas.setFont("Helvetica", 8)
    for page in range(3):
        canvas.drawString(10, 10, f"page {page} " + "x" * 2000)
        show_page(canvas)
    pages = canvas._doc.Pages.pages  # type: ignore[attr-defined]
    assert len(pages) == 3
    assert all(p.stream is None and len(p.Contents.content) < 500 for p in pages)
    canvas.save()
    texts = page_texts(buffer.getvalue())
    assert [t[:6] for t in texts] == ["page 0", "page 1", "page 2"]


def char_boxes_mm(
    pdf: bytes, page_h_mm: float
) -> list[tuple[str, float, float, float, float]]:
    """(char, x0, y0, x1, y1) in mm from the page's top-left, y down."""
    doc = pdfium.PdfDocument(pdf)
    try:
        text = doc[0].get_textpage()
        out = []
        for i in range(text.count_chars()):
            char = text.get_text_range(i, 1)
            if not char.strip():
                continue
            left, bottom, right, top = text.get_charbox(i)
            out.append(
                (
                    char,
                    left / MM_PT,
                    page_h_mm - top / MM_PT,
                    right / MM_PT,
                    page_h_mm - bottom / MM_PT,
                )
            )
        return out
    finally:
        doc.close()


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_text_stays_in_its_label_and_out_of_the_quiet_zone(name: str) -> None:
    tpl = TEMPLATES[name]
    labels = sample(tpl.per_page)
    pdf = label_sheet_pdf(labels, tpl, base_url=BASE)
    size = encode(device_url(BASE, labels[0].tag)).size
    lay = label_layout(tpl, size)
    w, h = tpl.label_mm
    boxes = char_boxes_mm(pdf, tpl.page_mm[1])
    assert len(boxes) > 20 * tpl.per_page
    slack = 0.05  # glyph boxes vs advance widths, mm
    for char, x0, y0, x1, y1 in boxes:
        cells = [
            (cx, cy)
            for cx, cy in (tpl.cell_origin(i) for i in range(tpl.per_page))
            if cx - slack <= x0 and x1 <= cx + w + slack and cy <= y0 and y1 <= cy + h
        ]
        assert len(cells) == 1, (name, char, x0, y0)
        cx, _ = cells[0]
        # Right of the QR's quiet zone, left of the label's padding.
        assert x0 >= cx + lay.text_x_mm - slack, (name, char, x0)
        assert x1 <= cx + w - tpl.pad_mm + slack, (name, char, x1)


def test_long_base_url_still_decodes_on_l7651() -> None:
    """A 70-character URL needs version 4 (33 modules): 0.46 mm modules."""
    base = "https://materiel.banque-solidaire-numerique.example.org"
    tpl = TEMPLATES["L7651"]
    labels = sample(tpl.per_page)
    code = encode(device_url(base, labels[0].tag))
    assert code.version == 4
    assert label_layout(tpl, code.size).module_mm == 0.46
    pdf = label_sheet_pdf(labels, tpl, base_url=base)
    for dpi in (300, 150):
        (page,) = render_pages(pdf, dpi)
        for cell, label in enumerate(labels):
            found = decode_region(page, dpi, *tpl.cell_origin(cell), *tpl.label_mm)
            assert [f.text for f in found] == [device_url(base, label.tag)], (dpi, cell)
