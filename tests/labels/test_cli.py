"""The command line: sheets from a tags file, calibration, ZPL, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labels.__main__ import main
from labels.codes import asset_code
from labels.qr import device_url
from labels.sheets import TEMPLATES
from tests.labels.conftest import decode_region, page_texts, render_pages

BASE = "https://banques.example.fr"


def test_sheet_from_a_tags_file(tmp_path: Path) -> None:
    tags = [asset_code("LYO", 300 + i) for i in range(4)]
    # Comments, blank lines and sloppy typing are accepted.
    lines = [
        "# tags du jour",
        "",
        tags[0],
        tags[1].lower(),
        tags[2].replace("-", " "),
        tags[3],
    ]
    tags_file = tmp_path / "tags.txt"
    tags_file.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "out.pdf"
    args = [
        "sheet",
        "--template",
        "L7160",
        "--base-url",
        BASE,
        "--tags-file",
        str(tags_file),
    ]
    assert main([*args, "--out", str(out), "--start", "20", "--bank", "BSNE Lyon"]) == 0
    pdf = out.read_bytes()
    pages = render_pages(pdf, 300)
    assert len(pages) == 2  # cells 20, 21 on page 1; 1, 2 on page 2
    tpl = TEMPLATES["L7160"]
    w, h = tpl.label_mm
    for k, tag in enumerate(tags, start=1):
        cell = 20 - 1 + k - 1
        found = decode_region(pages[cell // 21], 300, *tpl.cell_origin(cell % 21), w, h)
        assert [f.text for f in found] == [device_url(BASE, tag)]
    assert "BSNE Lyon" in page_texts(pdf)[0]


def test_bad_tag_reports_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tags_file = tmp_path / "tags.txt"
    tags_file.write_text(f"{asset_code('LYO', 1)}\nLYO-00001-X\n", encoding="utf-8")
    args = ["sheet", "--template", "L7651", "--base-url", BASE]
    code = main(
        [*args, "--tags-file", str(tags_file), "--out", str(tmp_path / "x.pdf")]
    )
    assert code == 2
    assert "tags.txt:2" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_calibration_zpl_and_templates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["calibration", "--template", "5160", "--out", str(tmp_path / "c.pdf")])
        == 0
    )
    assert "Calibrage 5160" in page_texts((tmp_path / "c.pdf").read_bytes())[0]
    tags_file = tmp_path / "tags.txt"
    tags_file.write_text(asset_code("MRS", 9), encoding="utf-8")
    out = tmp_path / "l.zpl"
    args = ["zpl", "--base-url", BASE, "--tags-file", str(tags_file), "--out", str(out)]
    assert main(args) == 0
    assert f"^FDMA,{device_url(BASE, asset_code('MRS', 9))}^FS" in out.read_text(
        "utf-8"
    )
    assert main(["templates"]) == 0
    assert "L7651" in capsys.readouterr().out


def test_python_dash_m(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "labels", "templates"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "57X32" in result.stdout
