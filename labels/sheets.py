"""Label templates (as data) and sheets of asset labels as PDF.

Coordinates: millimetres from the page's top-left corner, y down, as on the
manufacturers' template drawings.  reportlab's y-up points appear only where
drawing happens.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from reportlab.pdfgen.canvas import Canvas

from labels._pdf import MM, SANS, SANS_BOLD, draw_qr, fit_size, new_canvas, show_page
from labels.codes import asset_code
from labels.qr import QUIET_ZONE, QrCode, device_url, encode

__all__ = [
    "TEMPLATES",
    "AssetLabel",
    "LabelLayout",
    "Template",
    "blank_labels",
    "calibration_pdf",
    "get_template",
    "label_layout",
    "label_sheet_pdf",
    "qr_box_on_page",
]

A4 = (210.0, 297.0)
LETTER = (215.9, 279.4)
MIN_MODULE_MM = 0.4


@dataclass(frozen=True, slots=True)
class Template:
    """A label stock: page, grid of labels, and what the printer can reach.

    ``left_mm``/``top_mm``: the first label's top-left corner; ``pitch_*``:
    distance between the same corner of neighbouring labels.  ``page_margin_mm``
    is the printer's unprintable margin (sheets: 4.2 mm, the usual laser/inkjet
    limit; thermal: the head's margins).  ``module_mm`` is the largest QR module
    used on this stock; ``edge_mm`` the least blank between the QR quiet zone
    and the label's edge; ``pad_mm`` the text's margin inside the label.
    """

    name: str
    description: str
    page_mm: tuple[float, float]
    cols: int
    rows: int
    label_mm: tuple[float, float]
    left_mm: float
    top_mm: float
    pitch_x_mm: float
    pitch_y_mm: float
    corner_mm: float = 1.5
    page_margin_mm: float = 4.2
    module_mm: float = 0.6
    edge_mm: float = 0.3
    pad_mm: float = 1.0
    roll: bool = False

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    def cell_origin(
        self, index: int, offset_mm: tuple[float, float] = (0.0, 0.0)
    ) -> tuple[float, float]:
        """Top-left corner (mm) of cell ``index`` (0-based, row by row) on its page."""
        row, col = divmod(index % self.per_page, self.cols)
        return (
            self.left_mm + col * self.pitch_x_mm + offset_mm[0],
            self.top_mm + row * self.pitch_y_mm + offset_mm[1],
        )

    def printable_area(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) in mm: what the printer can mark on a page."""
        m = self.page_margin_mm
        return (m, m, self.page_mm[0] - m, self.page_mm[1] - m)


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        # Avery L7651 mini labels: 5 x 13 on A4, 38.1 x 21.2 mm; top margin
        # 10.7 mm, side margin 4.75 mm (Avery rounds to 4.7; Label Planet's
        # LP65/38 gives 4.75 = (210 - 5 x 38.1 - 4 x 2.5) / 2), horizontal
        # pitch 40.6 mm (2.5 mm gap), vertical pitch 21.2 mm (no gap).
        Template(
            "L7651",
            "Avery L7651, A4, 65 étiquettes 38,1 × 21,2 mm",
            A4,
            5,
            13,
            (38.1, 21.2),
            4.75,
            10.7,
            40.6,
            21.2,
            module_mm=0.5,
        ),
        # Avery L7160: 3 x 7 on A4, 63.5 x 38.1 mm, pitch 66.0 x 38.1 mm;
        # margins 7.25 / 15.15 mm (Avery rounds them to 7.2 / 15.1).
        Template(
            "L7160",
            "Avery L7160, A4, 21 étiquettes 63,5 × 38,1 mm",
            A4,
            3,
            7,
            (63.5, 38.1),
            7.25,
            15.15,
            66.0,
            38.1,
            module_mm=0.8,
        ),
        # Avery L7163: 2 x 7 on A4, 99.1 x 38.1 mm, pitch 101.6 x 38.1 mm;
        # margins 4.65 / 15.15 mm.
        Template(
            "L7163",
            "Avery L7163, A4, 14 étiquettes 99,1 × 38,1 mm",
            A4,
            2,
            7,
            (99.1, 38.1),
            4.65,
            15.15,
            101.6,
            38.1,
            module_mm=0.9,
        ),
        # Avery 5160 (US Letter): 3 x 10, 2 5/8 x 1 in; top margin 1/2 in,
        # side margin 3/16 in, horizontal pitch 2 3/4 in, vertical pitch 1 in.
        Template(
            "5160",
            "Avery 5160, US Letter, 30 étiquettes 66,7 × 25,4 mm",
            LETTER,
            3,
            10,
            (66.675, 25.4),
            4.7625,
            12.7,
            69.85,
            25.4,
            module_mm=0.6,
        ),
        # Thermal, 62 mm continuous roll (e.g. Brother DK-22205): one label
        # per page, cut at 30 mm; the head leaves about 1.5 mm at each side.
        Template(
            "62MM",
            "Rouleau thermique continu 62 mm (coupe à 30 mm)",
            (62.0, 30.0),
            1,
            1,
            (62.0, 30.0),
            0.0,
            0.0,
            62.0,
            30.0,
            corner_mm=0.0,
            page_margin_mm=1.5,
            module_mm=0.6,
            edge_mm=1.5,
            pad_mm=1.5,
            roll=True,
        ),
        # Thermal die-cut 57 x 32 mm (2.25 x 1.25 in, a common Zebra stock).
        Template(
            "57X32",
            "Étiquettes thermiques prédécoupées 57 × 32 mm",
            (57.0, 32.0),
            1,
            1,
            (57.0, 32.0),
            0.0,
            0.0,
            57.0,
            32.0,
            page_margin_mm=1.0,
            module_mm=0.6,
            edge_mm=1.0,
            pad_mm=1.5,
            roll=True,
        ),
    )
}


def get_template(template: Template | str) -> Template:
    """A template by name (``"L7651"``, ``"l7651"``, ``"5160"``…) or itself."""
    if isinstance(template, Template):
        return template
    key = template.strip().upper().removeprefix("AVERY").strip(" -_")
    try:
        return TEMPLATES[key]
    except KeyError:
        known = ", ".join(TEMPLATES)
        raise ValueError(f"unknown template {template!r} (known: {known})") from None


@dataclass(frozen=True, slots=True)
class AssetLabel:
    """What one label shows: the tag (in the QR URL and in large type), the
    bank's short name, and optionally category and brand/model."""

    tag: str
    bank: str
    category: str | None = None
    model: str | None = None


def blank_labels(
    prefix: str, first: int, count: int, bank: str
) -> Iterator[AssetLabel]:
    """Labels for pre-printed tags ``first`` .. ``first + count - 1``."""
    for number in range(first, first + count):
        yield AssetLabel(asset_code(prefix, number), bank)


@dataclass(frozen=True, slots=True)
class LabelLayout:
    """Where things go inside a label (mm from the label's top-left corner)."""

    module_mm: float
    qr_x_mm: float  # the symbol's top-left corner (inside the quiet zone)
    qr_y_mm: float
    qr_side_mm: float  # the symbol without its quiet zone
    text_x_mm: float
    text_w_mm: float


def label_layout(template: Template, modules: int) -> LabelLayout:
    """Layout of a label on ``template`` whose QR symbol is ``modules`` wide.

    The QR goes left, vertically centred, with its 4-module quiet zone
    entirely inside the label and at least ``edge_mm`` from its edge; the
    module is the template's ``module_mm`` or smaller when the label is too
    short (never under 0.4 mm: a longer URL raises ValueError).  The text
    starts where the quiet zone ends.
    """
    width, height = template.label_mm
    box = modules + 2 * QUIET_ZONE
    room = min(height - 2 * template.edge_mm, width / 2)
    module = min(template.module_mm, math.floor(room / box * 100) / 100)
    if module < MIN_MODULE_MM:
        raise ValueError(
            f"QR of {modules} modules does not fit a {template.name} label "
            f"at >= {MIN_MODULE_MM} mm per module: shorten the base URL"
        )
    box_mm = box * module
    box_x = template.edge_mm
    box_y = (height - box_mm) / 2
    quiet = QUIET_ZONE * module
    text_x = box_x + box_mm
    return LabelLayout(
        module_mm=module,
        qr_x_mm=box_x + quiet,
        qr_y_mm=box_y + quiet,
        qr_side_mm=modules * module,
        text_x_mm=text_x,
        text_w_mm=width - template.pad_mm - text_x,
    )


def qr_box_on_page(
    template: Template,
    index: int,
    modules: int,
    offset_mm: tuple[float, float] = (0.0, 0.0),
) -> tuple[float, float, float]:
    """(x, y, side) in mm of the QR symbol of cell ``index`` on its page."""
    x0, y0 = template.cell_origin(index, offset_mm)
    lay = label_layout(template, modules)
    return x0 + lay.qr_x_mm, y0 + lay.qr_y_mm, lay.qr_side_mm


def _text_lines(
    label: AssetLabel, width_pt: float, height_pt: float, *, tag_max: float
) -> list[tuple[str, str, float]]:
    """(text, font, size) lines for the text column, largest first to drop."""
    tag_size = fit_size(label.tag, SANS_BOLD, width_pt, tag_max)
    tag_lines = [(label.tag, SANS_BOLD, tag_size)]
    head, sep, tail = label.tag.partition("-")
    if tag_size < 9 and sep:
        # Two lines in larger type: "LYO-" over "7K3QF-X".
        size = min(
            fit_size(head + sep, SANS_BOLD, width_pt, tag_max),
            fit_size(tail, SANS_BOLD, width_pt, tag_max),
        )
        if size > tag_size * 1.2:
            tag_lines = [(head + sep, SANS_BOLD, size), (tail, SANS_BOLD, size)]
    small = min(7.0, max(5.0, tag_lines[0][2] * 0.55))
    lines = [
        (label.bank, SANS, min(small, fit_size(label.bank, SANS, width_pt, small)))
    ]
    lines += tag_lines
    for extra in (label.category, label.model):
        if extra:
            lines.append(
                (extra, SANS, min(small, fit_size(extra, SANS, width_pt, small)))
            )
    # Drop model, then category, while the block is too tall.
    while (
        len(lines) > 1 + len(tag_lines)
        and sum(s * 1.2 for _, _, s in lines) > height_pt
    ):
        lines.pop()
    return lines


def _draw_label(
    canvas: Canvas,
    template: Template,
    label: AssetLabel,
    code: QrCode,
    x_mm: float,
    y_mm: float,
    page_h_pt: float,
) -> None:
    lay = label_layout(template, code.size)
    draw_qr(
        canvas,
        code,
        (x_mm + lay.qr_x_mm) * MM,
        page_h_pt - (y_mm + lay.qr_y_mm) * MM,
        lay.module_mm * MM,
    )
    height = template.label_mm[1]
    text_h = (height - 2 * template.pad_mm) * MM
    tag_max = 18.0 if height > 30 else 14.0
    # 2 % less than the column: bold glyphs overhang their advance width.
    lines = _text_lines(label, lay.text_w_mm * MM * 0.98, text_h, tag_max=tag_max)
    block = sum(s * 1.2 for _, _, s in lines)
    # Baselines, centred vertically in the label.
    y = page_h_pt - (y_mm + height / 2) * MM + block / 2
    x = (x_mm + lay.text_x_mm) * MM
    for text, font, size in lines:
        y -= size * 1.2
        canvas.setFont(font, size)
        canvas.drawString(x, y + size * 0.25, text)


def _outline(
    canvas: Canvas, template: Template, x_mm: float, y_mm: float, page_h_pt: float
) -> None:
    w, h = template.label_mm
    r = template.corner_mm * MM
    canvas.roundRect(x_mm * MM, page_h_pt - (y_mm + h) * MM, w * MM, h * MM, r)


def label_sheet_pdf(
    labels: Iterable[AssetLabel],
    template: Template | str,
    *,
    base_url: str,
    start: int = 1,
    offset_mm: tuple[float, float] = (0.0, 0.0),
    outlines: bool = False,
    level: str = "M",
) -> bytes:
    """A PDF of asset labels on ``template``; label k goes to cell start - 1 + k.

    ``labels`` is consumed lazily (a generator of thousands is fine: each QR
    is drawn and dropped; pages are flushed with showPage).  ``start`` (1-based)
    skips the used cells of a partly used sheet.  ``offset_mm`` = (dx, dy)
    shifts everything on the page (positive: right, down), as measured with
    :func:`calibration_pdf`.  ``outlines`` draws the label outlines (preview).
    """
    tpl = get_template(template)
    if not 1 <= start <= tpl.per_page:
        raise ValueError(f"start must be 1..{tpl.per_page} on {tpl.name}: {start}")
    if level not in ("L", "M", "Q", "H"):
        raise ValueError(f"error-correction level must be L, M, Q or H: {level}")
    buffer = io.BytesIO()
    page_w, page_h = tpl.page_mm[0] * MM, tpl.page_mm[1] * MM
    canvas = new_canvas(buffer, page_w, page_h, f"Étiquettes {tpl.name}")
    cell = start - 1
    drawn_on_page = 0
    for label in labels:
        if cell == tpl.per_page:
            show_page(canvas)
            cell = 0
            drawn_on_page = 0
        code = encode(device_url(base_url, label.tag), level=level)  # type: ignore[arg-type]
        x_mm, y_mm = tpl.cell_origin(cell, offset_mm)
        if outlines:
            _outline(canvas, tpl, x_mm, y_mm, page_h)
        _draw_label(canvas, tpl, label, code, x_mm, y_mm, page_h)
        cell += 1
        drawn_on_page += 1
    if drawn_on_page == 0:
        canvas.setFont(SANS, 9)
        canvas.drawString(20 * MM, page_h - 20 * MM, "Aucune étiquette.")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def calibration_pdf(template: Template | str) -> bytes:
    """A page to measure a printer's offset for ``template``.

    Print it on plain paper at 100 % ("taille réelle"), lay it on a sheet of
    labels against the light (or measure with a ruler): the outlines should
    match the labels, the crosses mark the labels' centres.  The distance the
    print must move (right, down) is the ``offset_mm`` to use.  A 100 mm bar
    checks that the printer did not scale the page.
    """
    tpl = get_template(template)
    buffer = io.BytesIO()
    page_w, page_h = tpl.page_mm[0] * MM, tpl.page_mm[1] * MM
    canvas = new_canvas(buffer, page_w, page_h, f"Calibrage {tpl.name}")
    canvas.setLineWidth(0.25)
    for index in range(tpl.per_page):
        x_mm, y_mm = tpl.cell_origin(index)
        _outline(canvas, tpl, x_mm, y_mm, page_h)
        cx, cy = (
            (x_mm + tpl.label_mm[0] / 2) * MM,
            page_h - (y_mm + tpl.label_mm[1] / 2) * MM,
        )
        arm = min(3.0, tpl.label_mm[1] / 4) * MM
        canvas.line(cx - arm, cy, cx + arm, cy)
        canvas.line(cx, cy - arm, cx, cy + arm)
        if tpl.per_page > 1:
            canvas.setFont(SANS, 5)
            canvas.drawString((x_mm + 1) * MM, page_h - (y_mm + 3) * MM, str(index + 1))
    # Scale check and instructions, in the printable area's top margin when
    # there is room (sheets), else over the label (rolls).
    x0, y0, x1, _ = tpl.printable_area()
    bar = min(100.0, x1 - x0 - 2)
    y_bar = max(y0 + 1.0, tpl.top_mm / 2) if not tpl.roll else tpl.label_mm[1] - 4
    canvas.setLineWidth(0.5)
    canvas.line(
        (x0 + 1) * MM, page_h - y_bar * MM, (x0 + 1 + bar) * MM, page_h - y_bar * MM
    )
    for tick in range(0, int(bar) + 1, 10):
        xt = (x0 + 1 + tick) * MM
        canvas.line(xt, page_h - (y_bar - 1) * MM, xt, page_h - (y_bar + 1) * MM)
    canvas.setFont(SANS, 6 if not tpl.roll else 4.5)
    canvas.drawString(
        (x0 + 1) * MM,
        page_h - (y_bar - 1.6) * MM,
        f"Calibrage {tpl.name} — imprimer à 100 % ; ce trait mesure {bar:.0f} mm. "
        "Décalage = déplacement (droite, bas) en mm pour centrer les croix.",
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
