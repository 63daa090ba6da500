"""Devices API schemas, including the payload each transition must carry."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field, field_validator, model_validator

from banques.devices.lifecycle import State
from banques.devices.models import Category, ConflictStatus, Grade
from banques.schemas import InputModel, OutputModel

Text = Field(min_length=1, max_length=200)


class DeviceCreate(InputModel):
    category: Category
    brand: str = Field(min_length=1, max_length=100)
    model: str = Field(min_length=1, max_length=200)
    serial: str | None = Field(default=None, min_length=1, max_length=100)
    donation_ref: str | None = Field(default=None, max_length=100)


class DeviceRead(OutputModel):
    id: uuid.UUID
    asset_tag: str
    bank_id: uuid.UUID
    category: Category
    brand: str
    model: str
    serial: str | None
    donation_ref: str | None
    state: State
    custodian_id: uuid.UUID
    school_id: uuid.UUID | None
    grade: Grade | None
    specs: dict[str, Any] | None
    version: int
    created_at: datetime
    updated_at: datetime


class ImportResult(OutputModel):
    created: list[DeviceRead]


class BlankTagsCreate(InputModel):
    count: int = Field(ge=1, le=1000)


class BlankTagsRead(OutputModel):
    tags: list[str]


# --- transition payloads ------------------------------------------------------


class CollectedPayload(InputModel):
    collection_ref: str = Text
    weight_kg: float | None = Field(default=None, ge=0, le=10_000)
    bsd_ref: str | None = Field(
        default=None, max_length=100, description="Trackdéchets"
    )


class NotePayload(InputModel):
    note: str | None = Field(default=None, max_length=500)


class ReasonPayload(InputModel):
    reason: str = Field(min_length=1, max_length=500)


class StorageType(StrEnum):
    hdd = "hdd"
    ssd = "ssd"
    nvme = "nvme"
    emmc = "emmc"
    other = "other"


class Medium(InputModel):
    type: StorageType
    model: str | None = Field(default=None, max_length=200)
    serial: str = Field(min_length=1, max_length=100)
    size_gb: float | None = Field(default=None, ge=0)


class DiagnosedPayload(InputModel):
    cpu: str = Text
    ram_gb: float = Field(ge=0, le=4096)
    storage_gb: float = Field(ge=0, le=100_000)
    storage_type: StorageType
    battery_health_pct: float | None = Field(default=None, ge=0, le=100)
    screen: str | None = Field(default=None, max_length=200)
    reconditionable: bool
    notes: str | None = Field(default=None, max_length=2000)
    media: list[Medium] = Field(
        default_factory=list,
        max_length=8,
        description="Supports de stockage : chacun devra avoir son effacement",
    )


class SanitisationMethod(StrEnum):
    """NIST SP 800-88 sanitisation levels."""

    clear = "clear"
    purge = "purge"
    destroy = "destroy"


class ErasureRecordIn(InputModel):
    method: SanitisationMethod
    tool: str = Field(min_length=1, max_length=100)
    tool_version: str = Field(min_length=1, max_length=50)
    medium_model: str | None = Field(default=None, max_length=200)
    medium_serial: str = Field(min_length=1, max_length=100)
    medium_type: StorageType | None = None
    verification_passed: bool
    verification_method: str | None = Field(default=None, max_length=20)
    started_at: AwareDatetime
    ended_at: AwareDatetime
    operator: str = Field(min_length=1, max_length=200)
    report_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ErasureRecordIn:
        if self.ended_at < self.started_at:
            raise ValueError("la fin de l'effacement précède son début")
        return self


class WipedPayload(InputModel):
    records: list[ErasureRecordIn] = Field(min_length=1, max_length=8)


class RefurbishedPayload(InputModel):
    os: str = Text
    repairs: list[str] = Field(default_factory=list, max_length=50)
    parts: list[str] = Field(default_factory=list, max_length=50)
    functional_test_passed: bool = Field(
        description="Toutes les fonctions testées (condition légale : R122-4)",
    )
    grade: Grade
    all_operations_in_france: bool = False
    notes: str | None = Field(default=None, max_length=2000)


class AllocatedPayload(InputModel):
    school_id: uuid.UUID
    request_ref: str | None = Field(default=None, max_length=100)


class InTransitPayload(InputModel):
    vehicle: str | None = Field(default=None, max_length=100)
    round_ref: str | None = Field(default=None, max_length=100)


class DeliveredPayload(InputModel):
    school_id: uuid.UUID
    signer_name: str = Text
    signed_at: AwareDatetime


class AllocationMode(StrEnum):
    """How the pupil's household holds the device; the values are those of
    ``labels.documents.AllocationMode`` (the attestation de remise)."""

    loan = "loan"
    provision = "provision"
    gift = "gift"
    loan_then_transfer = "loan_then_transfer"


class HandedOverPayload(InputModel):
    pupil_ref: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,40}$",
        description="Référence pseudonyme choisie par l'établissement (jamais un nom)",
    )
    allocation_mode: AllocationMode


class LostPayload(InputModel):
    circumstances: str = Field(min_length=1, max_length=500)


PAYLOADS: dict[State, type[InputModel]] = {
    State.registered: NotePayload,
    State.collected: CollectedPayload,
    State.received: NotePayload,
    State.diagnosed: DiagnosedPayload,
    State.wiped: WipedPayload,
    State.refurbished: RefurbishedPayload,
    State.ready: NotePayload,
    State.allocated: AllocatedPayload,
    State.in_transit: InTransitPayload,
    State.delivered: DeliveredPayload,
    State.handed_over: HandedOverPayload,
    State.returned: ReasonPayload,
    State.cancelled: ReasonPayload,
    State.recycled: ReasonPayload,
    State.lost: LostPayload,
}


# --- scans ------------------------------------------------------------------


# How far ahead of the server a phone's clock may be before its scans are refused.
MAX_CLOCK_AHEAD = timedelta(days=1)


class ScanIn(InputModel):
    asset_tag: str = Field(min_length=4, max_length=64)
    to_state: State
    event_id: uuid.UUID = Field(description="Identifiant généré par le téléphone")
    occurred_at: AwareDatetime
    payload: dict[str, Any] = Field(default_factory=dict)
    device: DeviceCreate | None = Field(
        default=None,
        description="Pour lier une étiquette vierge pré-imprimée à son premier scan",
    )

    @field_validator("occurred_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + MAX_CLOCK_AHEAD:
            raise ValueError(
                "date du scan dans le futur : vérifiez l'horloge du téléphone"
            )
        return value


class ScanResult(OutputModel):
    event_id: uuid.UUID
    asset_tag: str
    seq: int
    from_state: State | None
    to_state: State
    custodian_id: uuid.UUID
    occurred_at: datetime
    recorded_at: datetime
    hash: str


class ScanBatchIn(InputModel):
    scans: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class ItemStatus(StrEnum):
    applied = "applied"
    duplicate = "duplicate"
    rejected = "rejected"


class BatchItemResult(OutputModel):
    index: int
    event_id: uuid.UUID | None
    status: ItemStatus
    result: ScanResult | None = None
    reason_code: str | None = None
    reason: str | None = None
    conflict_id: uuid.UUID | None = None


class ScanBatchResult(OutputModel):
    applied: int
    duplicate: int
    rejected: int
    results: list[BatchItemResult]

    @classmethod
    def of(cls, outcomes: Sequence[Any]) -> ScanBatchResult:
        """From ``devices.service.apply_batch``'s outcomes, in the order sent."""
        results = [
            BatchItemResult(
                index=o.index,
                event_id=o.event_id,
                status=o.outcome.status,
                result=o.outcome.result,
                reason_code=o.outcome.error.reason_code if o.outcome.error else None,
                reason=o.outcome.error.detail if o.outcome.error else None,
                conflict_id=o.outcome.conflict_id,
            )
            for o in outcomes
        ]
        counts = {s: sum(r.status is s for r in results) for s in ItemStatus}
        return cls(
            applied=counts[ItemStatus.applied],
            duplicate=counts[ItemStatus.duplicate],
            rejected=counts[ItemStatus.rejected],
            results=results,
        )


class EventRead(OutputModel):
    seq: int
    event_id: uuid.UUID = Field(validation_alias="client_event_id")
    from_state: State | None
    to_state: State
    organisation_id: uuid.UUID
    actor_id: uuid.UUID
    custodian_id: uuid.UUID
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class ChainVerification(OutputModel):
    asset_tag: str
    events: int
    valid: bool
    first_invalid_seq: int | None = None
    detail: str


class ConflictRead(OutputModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    event_id: uuid.UUID = Field(validation_alias="client_event_id")
    asset_tag: str
    to_state: str
    occurred_at: datetime
    received_at: datetime
    scan: dict[str, Any]
    reason_code: str
    reason: str
    status: ConflictStatus
    resolved_at: datetime | None
    resolution_note: str | None


class ConflictAction(StrEnum):
    retry = "retry"
    dismiss = "dismiss"


class ConflictResolve(InputModel):
    action: ConflictAction
    note: str | None = Field(default=None, max_length=500)


class ErasureReportRead(OutputModel):
    id: uuid.UUID
    filename: str
    sha256: str
    software: str
    software_version: str
    medium_model: str
    medium_serial: str
    size_bytes: int | None
    status: str
    verify_errors: int
    pass_errors: int
    started_at: datetime | None
    ended_at: datetime | None
    uploaded_at: datetime
