"""Label sheets: labels per second and peak memory, against a naive baseline.

    PYTHONPATH=. python -m benchmarks.labels [--count 10000] [--baseline-count 1000]

Both approaches print Avery L7651 sheets (65 per A4 page) of distinct asset
tags, each run in its own child process (so the peak resident set size of one
run is not hidden by another's):

* ``labels.label_sheet_pdf``: fixed-mask QR encoder, one vector path per code;
* baseline: a PNG per QR with ``qrcode`` (automatic mask) drawn with
  ``drawImage`` -- approach A of RELIABILITY.md §4 (about 180 labels/s).

Peak memory: the child's maximum RSS (``ru_maxrss``), and the same for a child
that only imports everything and prints 65 labels, to show the growth with the
number of labels (the PDF's own bytes are part of it).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterator

import qrcode
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from labels import AssetLabel, asset_code, device_url, get_template, label_sheet_pdf

BASE_URL = "https://banques.example.fr"


def tags(count: int) -> Iterator[AssetLabel]:
    for i in range(count):
        yield AssetLabel(
            asset_code("LYO", 1000 + i), "BSN Lyon", "Ordinateur portable", "T480"
        )


def ours(count: int) -> bytes:
    return label_sheet_pdf(tags(count), "L7651", base_url=BASE_URL)


def naive(count: int) -> bytes:
    """qrcode -> PNG (5 px per module: ~300 dpi at 16 mm) -> drawImage, ECC M."""
    tpl = get_template("L7651")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    page_h = A4[1]
    for i, label in enumerate(tags(count)):
        cell = i % tpl.per_page
        if i and cell == 0:
            canvas.showPage()
        x, y = tpl.cell_origin(cell)
        qr = qrcode.QRCode(
            error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=5, border=4
        )
        qr.add_data(device_url(BASE_URL, label.tag))
        png = io.BytesIO()
        qr.make_image().save(png)
        png.seek(0)
        canvas.drawImage(
            ImageReader(png), (x + 1) * mm, page_h - (y + 18.6) * mm, 16 * mm, 16 * mm
        )
        canvas.setFont("Helvetica-Bold", 8)
        canvas.drawString((x + 18) * mm, page_h - (y + 10) * mm, label.tag)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def child(which: str, count: int) -> None:
    run = ours if which == "ours" else naive
    run(65)  # warm-up: imports, font registration, caches
    t0 = time.perf_counter()
    pdf = run(count) if count else b""
    elapsed = time.perf_counter() - t0
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"elapsed": elapsed, "bytes": len(pdf), "rss_kb": rss_kb}))


def measure(name: str, which: str, count: int) -> float:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.labels", "--child", which, str(count)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    r = json.loads(out)
    rate = count / r["elapsed"] if count else 0.0
    print(
        f"{name:<32} {count:>6} labels {r['elapsed']:7.2f} s {rate:7.0f} labels/s  "
        f"PDF {r['bytes'] / 1e6:6.2f} MB  peak RSS {r['rss_kb'] / 1024:6.1f} MB"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description="Label sheets benchmark")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--baseline-count", type=int, default=1_000)
    parser.add_argument("--child", nargs=2, metavar=("WHICH", "COUNT"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    cores = f"{os.cpu_count()} cores (affinity {len(os.sched_getaffinity(0))})"
    print(
        f"machine: {platform.machine()}, {cores}, "
        f"Python {platform.python_version()}, load average {load}"
    )
    measure("imports + 65 warm-up labels", "ours", 0)
    measure("labels.label_sheet_pdf (vector)", "ours", args.count // 10)
    fast = measure("labels.label_sheet_pdf (vector)", "ours", args.count)
    slow = measure("naive: qrcode PNG + drawImage", "naive", args.baseline_count)
    print(f"speed-up: {fast / slow:.1f}x")


if __name__ == "__main__":
    main()
