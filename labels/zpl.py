"""ZPL II for Zebra (and compatible) thermal printers.

One ``^XA … ^XZ`` format per label, laid out like the PDF labels (same
:func:`labels.sheets.label_layout`): the QR code (``^BQN,2,<magnification>``,
model 2, automatic mode) on the left with its quiet zone, then the bank's name,
the tag in large type and category/model in ``^A0`` (scalable font) fields
clipped by ``^FB`` to the label's width.  Text is UTF-8 (``^CI28``), with
``^FH`` escapes for ``^``, ``~`` and ``_``.

The printer does the QR encoding; the magnification is the module size in
dots (at 8 dots/mm, 4 dots = 0.5 mm).  Not tried on a physical printer here:
print a few with ``--start`` on a test roll first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from labels._pdf import MM, register_fonts
from labels.qr import QUIET_ZONE, device_url, encode
from labels.sheets import AssetLabel, Template, _text_lines, get_template, label_layout

__all__ = ["label_zpl"]


def _escape(text: str) -> str:
    """Field data safe after ``^FH_``: the control characters as _XX."""
    return "".join(f"_{ord(c):02X}" if c in "^~_" else c for c in text)


def label_zpl(
    labels: Iterable[AssetLabel],
    *,
    base_url: str,
    template: Template | str = "57X32",
    dpmm: int = 8,
    offset_mm: tuple[float, float] = (0.0, 0.0),
    level: str = "M",
) -> str:
    """ZPL for ``labels``, one format per label, for a one-label-wide stock.

    ``dpmm``: printer resolution in dots per mm (8 = 203 dpi, 12 = 300 dpi);
    ``offset_mm``: (dx, dy) shift applied with ``^LH`` (label home).
    """
    tpl = get_template(template)
    if tpl.per_page != 1:
        raise ValueError(f"ZPL needs a roll template (62MM, 57X32), not {tpl.name}")
    if level not in ("L", "M", "Q", "H"):
        raise ValueError(f"error-correction level must be L, M, Q or H: {level}")
    register_fonts()  # text metrics for the line sizes

    def dots(value_mm: float) -> int:
        return round(value_mm * dpmm)

    width, height = tpl.label_mm
    home_x, home_y = dots(offset_mm[0]), dots(offset_mm[1])
    out: list[str] = []
    for label in labels:
        url = device_url(base_url, label.tag)
        code = encode(url, level=level)  # type: ignore[arg-type]
        lay = label_layout(tpl, code.size)
        mag = max(1, math.floor(lay.module_mm * dpmm + 1e-9))
        if mag > 10:
            mag = 10
        qr_x = dots(lay.qr_x_mm)
        qr_y = dots(lay.qr_y_mm)
        text_x = qr_x + (code.size + QUIET_ZONE) * mag
        text_w = dots(width - tpl.pad_mm) - text_x
        text_h = (height - 2 * tpl.pad_mm) * MM
        lines = _text_lines(label, text_w / dpmm * MM, text_h, tag_max=16.0)
        block = sum(round(size / MM * dpmm) for _, _, size in lines) * 1.2
        y = round((dots(height) - block) / 2)
        fields = [
            "^XA",
            f"^FX {label.tag}",
            "^CI28",
            f"^PW{dots(width)}",
            f"^LL{dots(height)}",
            f"^LH{home_x},{home_y}",
            f"^FO{qr_x},{qr_y}^BQN,2,{mag},{level},7^FD{level}A,{url}^FS",
        ]
        for text, font, size in lines:
            h = round(size / MM * dpmm)
            w = h if font.endswith("Bold") else round(h * 0.9)
            fields.append(
                f"^FO{text_x},{y}^A0N,{h},{w}^FB{text_w},1,0,L,0^FH_^FD{_escape(text)}^FS"
            )
            y += round(h * 1.2)
        fields.append("^XZ")
        out.append("\n".join(fields))
    return "\n".join(out) + "\n"
