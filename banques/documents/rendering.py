"""Rendering label runs (now, or in a print job): plain data in, bytes out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from banques.documents.schemas import LabelFormat, PrintOptions
from labels import TEMPLATES, AssetLabel, Template, label_sheet_pdf, label_zpl

PDF = "application/pdf"
ZPL = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Document:
    """A rendered document: its bytes, media type and download name."""

    content: bytes
    media_type: str
    filename: str


def render_labels(
    labels: Iterable[AssetLabel],
    options: PrintOptions,
    *,
    base_url: str,
    stem: str,
) -> Document:
    template: Template = TEMPLATES[options.template]
    offset = (options.offset_mm[0], options.offset_mm[1])
    if options.format is LabelFormat.zpl:
        text = label_zpl(
            labels,
            base_url=base_url,
            template=template,
            dpmm=options.dpmm,
            offset_mm=offset,
        )
        return Document(text.encode(), ZPL, f"{stem}-{template.name}.zpl")
    pdf = label_sheet_pdf(
        labels, template, base_url=base_url, start=options.start, offset_mm=offset
    )
    return Document(pdf, PDF, f"{stem}-{template.name}.pdf")
