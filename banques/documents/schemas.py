"""Documents API schemas: what to print, on which stock, and the templates."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from banques.devices.lifecycle import State
from banques.devices.models import Category, Grade
from banques.documents.models import JobStatus
from banques.schemas import InputModel, OutputModel
from labels import TEMPLATES, get_template

MAX_LABELS = 5000
MAX_BLANK_LABELS = 1000
MAX_OFFSET_MM = 10.0

OffsetMm = Annotated[float, Field(ge=-MAX_OFFSET_MM, le=MAX_OFFSET_MM)]


class LabelFormat(StrEnum):
    pdf = "pdf"
    zpl = "zpl"


class PrintOptions(InputModel):
    """The stock and the printer: template, first free cell, calibration."""

    template: str = Field(
        default="L7651",
        max_length=20,
        description="Modèle d'étiquettes : " + ", ".join(TEMPLATES),
    )
    start: int = Field(
        default=1,
        ge=1,
        description="Première case libre d'une planche entamée (1 = en haut à "
        "gauche, ligne par ligne)",
    )
    offset_mm: tuple[OffsetMm, OffsetMm] = Field(
        default=(0.0, 0.0),
        description="Décalage de l'imprimante (dx, dy) en mm, mesuré avec la page "
        "de calibrage (positif : vers la droite, vers le bas)",
    )
    format: LabelFormat = Field(
        default=LabelFormat.pdf,
        description="pdf (planches et rouleaux) ou zpl (Zebra, rouleaux seulement)",
    )
    dpmm: Literal[6, 8, 12, 24] = Field(
        default=8, description="ZPL : résolution en points par mm (8 = 203 dpi)"
    )

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        try:
            return get_template(value).name
        except ValueError:
            raise ValueError(
                f"modèle inconnu « {value} » (connus : {', '.join(TEMPLATES)})"
            ) from None

    @model_validator(mode="after")
    def _fits_template(self) -> PrintOptions:
        template = TEMPLATES[self.template]
        if self.start > template.per_page:
            raise ValueError(
                f"case de départ {self.start} hors de la planche {template.name} "
                f"(1 à {template.per_page})"
            )
        if self.format is LabelFormat.zpl and not template.roll:
            rolls = ", ".join(t.name for t in TEMPLATES.values() if t.roll)
            raise ValueError(
                f"le ZPL ne s'imprime que sur rouleau ({rolls}), pas sur "
                f"{template.name}"
            )
        return self


class DeviceFilter(InputModel):
    """Every visible device matching all the given criteria."""

    state: State | None = None
    category: Category | None = None
    custodian_id: uuid.UUID | None = None
    grade: Grade | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> DeviceFilter:
        if not self.model_fields_set:
            raise ValueError("indiquez au moins un critère de filtre")
        return self


class LabelsRequest(PrintOptions):
    """Labels for a selection of devices: a list of tags, or a filter."""

    asset_tags: list[Annotated[str, Field(min_length=4, max_length=64)]] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_LABELS,
        description="Étiquettes à imprimer, dans cet ordre (une par entrée) ; "
        "aussi des étiquettes vierges déjà réservées, pour les réimprimer",
    )
    filter: DeviceFilter | None = Field(
        default=None, description="À la place de asset_tags : un filtre d'appareils"
    )

    @model_validator(mode="after")
    def _one_selection(self) -> LabelsRequest:
        if (self.asset_tags is None) == (self.filter is None):
            raise ValueError("indiquez soit asset_tags, soit filter (l'un des deux)")
        return self


class BlankLabelsRequest(PrintOptions):
    """Reserve new blank tags and print them (pre-printed labels)."""

    count: int = Field(ge=1, le=MAX_BLANK_LABELS)


class TemplateRead(OutputModel):
    name: str
    description: str
    page_mm: tuple[float, float]
    cols: int
    rows: int
    per_page: int
    label_mm: tuple[float, float]
    left_mm: float
    top_mm: float
    pitch_x_mm: float
    pitch_y_mm: float
    printable_area_mm: tuple[float, float, float, float]
    module_mm: float
    roll: bool
    formats: list[LabelFormat]


class PrintJobRead(OutputModel):
    """A label run rendered in the background."""

    id: uuid.UUID
    status: JobStatus
    label_count: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    document_url: str | None = Field(
        default=None, description="Où télécharger le document, une fois prêt"
    )

    @model_validator(mode="after")
    def _link(self) -> PrintJobRead:
        if self.status is JobStatus.done:
            self.document_url = f"/api/v1/documents/jobs/{self.id}/document"
        return self
