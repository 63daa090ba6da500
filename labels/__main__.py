"""Command line for scripted printing.

    python -m labels sheet --template L7651 --base-url URL --tags-file FILE \\
        --out OUT.pdf [--start N] [--offset DX DY] [--bank NAME]
    python -m labels calibration --template L7651 --out OUT.pdf
    python -m labels zpl --template 57X32 --base-url URL --tags-file FILE --out OUT.zpl
    python -m labels templates
    python -m labels demo --out DIR [--png]

Tags files: one asset tag per line (``-`` reads standard input); blank lines
and lines starting with ``#`` are skipped; tags are normalised (``lyo 7k3qf x``
-> ``LYO-7K3QF-X``) and a line that is not a valid tag stops the command
with its line number.  Label k goes to cell start - 1 + k, row by row, left to
right, with new pages as needed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from labels.codes import InvalidAssetCode, normalise_asset_code
from labels.sheets import TEMPLATES, AssetLabel, calibration_pdf, label_sheet_pdf
from labels.zpl import label_zpl


class CliError(Exception):
    pass


def read_tags(path: str) -> list[str]:
    """Valid, normalised tags from a file (or stdin for ``-``)."""
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    tags = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            tags.append(normalise_asset_code(line))
        except InvalidAssetCode as exc:
            raise CliError(f"{path}:{number}: {exc}") from None
    if not tags:
        raise CliError(f"{path}: no asset tag")
    return tags


def _labels(tags: Sequence[str], bank: str) -> Iterator[AssetLabel]:
    for tag in tags:
        yield AssetLabel(tag, bank)


def _write(path: str, data: bytes) -> None:
    Path(path).write_bytes(data)
    print(f"{path}: {len(data)} bytes")


def _demo(out: str, png: bool) -> None:
    from labels import demo, documents

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    pdfs = {
        "etiquettes_L7651": label_sheet_pdf(
            demo.labels(65), "L7651", base_url=demo.BASE_URL, outlines=True
        ),
        "certificat_effacement": documents.erasure_certificate_pdf(
            demo.erasure_certificate(two_media=True)
        ),
        "certificats_effacement_don": documents.erasure_bundle_pdf(
            demo.erasure_bundle()
        ),
        "bon_de_livraison": documents.delivery_note_pdf(demo.delivery_note()),
        "feuille_de_route": documents.route_sheet_pdf(demo.route_sheet()),
        "attestation_de_remise": documents.handover_certificate_pdf(
            demo.handover_certificate()
        ),
        "recu_de_don": documents.donation_receipt_pdf(demo.donation_receipt()),
    }
    for name, pdf in pdfs.items():
        _write(str(folder / f"{name}.pdf"), pdf)
        if png:
            import pypdfium2  # dev dependency: only for these renders

            doc = pypdfium2.PdfDocument(pdf)
            try:
                image = doc[0].render(scale=110 / 72, grayscale=True).to_pil()
                image.save(folder / f"{name}.png", optimize=True)
            finally:
                doc.close()
            print(f"{folder / name}.png")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labels", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    template_help = "label stock: " + ", ".join(TEMPLATES)

    sheet = sub.add_parser("sheet", help="PDF of asset labels")
    sheet.add_argument("--template", required=True, help=template_help)
    sheet.add_argument("--base-url", required=True, help="the service's public URL")
    sheet.add_argument("--tags-file", required=True, help="one tag per line, - = stdin")
    sheet.add_argument("--out", required=True)
    sheet.add_argument("--start", type=int, default=1, help="first free cell (1-based)")
    sheet.add_argument(
        "--offset",
        type=float,
        nargs=2,
        default=(0.0, 0.0),
        metavar=("DX", "DY"),
        help="printer offset in mm (right, down)",
    )
    sheet.add_argument("--bank", default="", help="bank short name printed on labels")
    sheet.add_argument("--outlines", action="store_true", help="draw label outlines")

    cal = sub.add_parser("calibration", help="calibration page for a template")
    cal.add_argument("--template", required=True, help=template_help)
    cal.add_argument("--out", required=True)

    zpl = sub.add_parser("zpl", help="ZPL for Zebra thermal printers")
    zpl.add_argument("--template", default="57X32", help="62MM or 57X32")
    zpl.add_argument("--base-url", required=True)
    zpl.add_argument("--tags-file", required=True)
    zpl.add_argument("--out", required=True)
    zpl.add_argument("--dpmm", type=int, default=8, help="dots per mm (8 = 203 dpi)")
    zpl.add_argument(
        "--offset", type=float, nargs=2, default=(0.0, 0.0), metavar=("DX", "DY")
    )
    zpl.add_argument("--bank", default="")

    sub.add_parser("templates", help="list the label templates")

    demo = sub.add_parser("demo", help="render the demo documents")
    demo.add_argument("--out", required=True, help="folder")
    demo.add_argument("--png", action="store_true", help="also PNG of page 1")

    args = parser.parse_args(argv)
    try:
        if args.command == "sheet":
            tags = read_tags(args.tags_file)
            pdf = label_sheet_pdf(
                _labels(tags, args.bank),
                args.template,
                base_url=args.base_url,
                start=args.start,
                offset_mm=tuple(args.offset),
                outlines=args.outlines,
            )
            _write(args.out, pdf)
        elif args.command == "calibration":
            _write(args.out, calibration_pdf(args.template))
        elif args.command == "zpl":
            tags = read_tags(args.tags_file)
            code = label_zpl(
                _labels(tags, args.bank),
                base_url=args.base_url,
                template=args.template,
                dpmm=args.dpmm,
                offset_mm=tuple(args.offset),
            )
            _write(args.out, code.encode("utf-8"))
        elif args.command == "templates":
            for t in TEMPLATES.values():
                print(f"{t.name:<6} {t.per_page:>3}/page  {t.description}")
        else:
            _demo(args.out, args.png)
    except (CliError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
