"""ZPL output, read back by a small ZPL parser (fields and positions)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from labels.codes import asset_code
from labels.qr import QUIET_ZONE, device_url, encode
from labels.sheets import TEMPLATES, AssetLabel
from labels.zpl import label_zpl

BASE = "https://banques.example.fr"
COMMAND = re.compile(r"\^([A-Z][A-Z0-9@])([^\^]*)")


@dataclass
class Field:
    x: int
    y: int
    kind: str  # "qr" or "text"
    params: list[str]
    data: str


@dataclass
class Format:
    settings: dict[str, str] = field(default_factory=dict)
    fields: list[Field] = field(default_factory=list)


def unescape(data: str) -> str:
    return re.sub(r"_([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), data)


def parse(zpl: str) -> list[Format]:
    """Formats of ^XA..^XZ with their ^FO-positioned fields."""
    formats: list[Format] = []
    current: Format | None = None
    x = y = 0
    kind, params, hex_escape, data = "", [""], False, ""
    for name, raw in COMMAND.findall(zpl):
        args = raw.strip()
        if name == "XA":
            current = Format()
            continue
        assert current is not None, f"^{name} outside ^XA..^XZ"
        if name == "XZ":
            formats.append(current)
            current = None
        elif name in ("CI", "PW", "LL", "LH"):
            current.settings[name] = args
        elif name == "FO":
            x, y = (int(v) for v in args.split(","))
            kind, params, hex_escape, data = "", [], False, ""
        elif name == "BQ":
            kind, params = "qr", args.split(",")
        elif name == "A0":
            kind, params = "text", args.split(",")
        elif name == "FB":
            params += ["FB", *args.split(",")]
        elif name == "FH":
            hex_escape = True
        elif name == "FD":
            data = unescape(raw) if hex_escape else raw
        elif name == "FS":
            current.fields.append(Field(x, y, kind, params, data))
        elif name == "FX":
            pass  # comment
        else:
            raise AssertionError(f"unexpected ZPL command ^{name}")
    assert current is None, "unterminated format"
    return formats


def sample(count: int) -> list[AssetLabel]:
    return [
        AssetLabel(
            asset_code("REU", 77 + 31 * i), "BSN La Réunion", "Portable", "HP 840 G5"
        )
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("template", "dpmm"), [("57X32", 8), ("57X32", 12), ("62MM", 12)]
)
def test_zpl_fields_and_positions(template: str, dpmm: int) -> None:
    labels = sample(4)
    formats = parse(label_zpl(labels, base_url=BASE, template=template, dpmm=dpmm))
    tpl = TEMPLATES[template]
    width, height = round(tpl.label_mm[0] * dpmm), round(tpl.label_mm[1] * dpmm)
    assert len(formats) == len(labels)
    for fmt, label in zip(formats, labels, strict=True):
        assert fmt.settings == {
            "CI": "28",
            "PW": str(width),
            "LL": str(height),
            "LH": "0,0",
        }
        (qr,) = [f for f in fmt.fields if f.kind == "qr"]
        orientation, model, mag, level, mask = qr.params
        assert (orientation, model, level, mask) == ("N", "2", "M", "7")
        url = device_url(BASE, label.tag)
        assert qr.data == f"MA,{url}"
        # The symbol and its 4-module quiet zone lie inside the label.
        size = encode(url).size * int(mag)
        quiet = QUIET_ZONE * int(mag)
        assert 0.4 * dpmm <= int(mag) <= 10
        assert qr.x - quiet >= 0
        assert qr.y - quiet >= 0
        assert qr.x + size + quiet <= width
        assert qr.y + size + quiet <= height
        texts = [f for f in fmt.fields if f.kind == "text"]
        assert [t.data for t in texts][:2] == ["BSN La Réunion", label.tag]
        for t in texts:
            _orientation, h, _w, fb, fb_width, lines, *_ = t.params
            assert fb == "FB"
            assert lines == "1"
            # Right of the quiet zone, within the label.
            assert t.x >= qr.x + size + quiet
            assert t.x + int(fb_width) <= width
            assert t.y >= 0
            assert t.y + int(h) <= height
        tag = next(t for t in texts if t.data == label.tag)
        assert int(tag.params[1]) >= 2.5 * dpmm  # tag at least 2.5 mm tall


def test_escaping_and_offset() -> None:
    label = AssetLabel(asset_code("LYO", 5), "A^B~C_D", None, None)
    zpl = label_zpl([label], base_url=BASE, offset_mm=(1.0, -0.5))
    (fmt,) = parse(zpl)
    assert fmt.settings["LH"] == "8,-4"
    assert "^B~C" not in zpl
    assert fmt.fields[1].data == "A^B~C_D"


def test_sheet_templates_are_refused() -> None:
    with pytest.raises(ValueError, match="roll"):
        label_zpl(sample(1), base_url=BASE, template="L7651")
