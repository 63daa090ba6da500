"""Parse nwipe / ShredOS JSON erasure reports (``nwipe_report_<serial>_<ts>.json``).

Fields read (nwipe ``src/create_json.c``; DOMAIN.md §3): ``report_metadata{software,
version}``, ``device{model, serial_no, size_bytes}``, ``wipe_result{status,
pass_errors, verify_errors, start_time, end_time}`` (epoch seconds). The JSON carries no
method: the technician states it in the erasure record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SUCCESS = frozenset({"success", "erased", "pass", "passed", "ok", "completed"})


class ReportError(ValueError):
    """The file is not a readable nwipe JSON report."""


@dataclass(frozen=True)
class NwipeReport:
    software: str
    version: str
    model: str
    serial: str
    size_bytes: int | None
    status: str
    pass_errors: int
    verify_errors: int
    started_at: datetime | None
    ended_at: datetime | None

    @property
    def succeeded(self) -> bool:
        return wipe_succeeded(self.status, self.pass_errors, self.verify_errors)


def wipe_succeeded(status: str, pass_errors: int, verify_errors: int) -> bool:
    """A report proves an erasure when it says so and counted no error."""
    return status.strip().lower() in SUCCESS and pass_errors == 0 and verify_errors == 0


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise ReportError(f"section « {name} » absente du rapport")
    return value


def _epoch(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ReportError(f"horodatage invalide : {value!r}") from exc


def _count(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError) as exc:
        raise ReportError(f"compteur invalide : {value!r}") from exc


def parse_nwipe(content: bytes) -> NwipeReport:
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError("le fichier n'est pas un JSON UTF-8 valide") from exc
    if not isinstance(data, dict):
        raise ReportError("un objet JSON est attendu")
    meta = _section(data, "report_metadata")
    device = _section(data, "device")
    result = _section(data, "wipe_result")
    serial = str(device.get("serial_no") or "").strip()
    if not serial:
        raise ReportError("numéro de série du support absent (device.serial_no)")
    size = device.get("size_bytes")
    return NwipeReport(
        software=str(meta.get("software") or "nwipe")[:100],
        version=str(meta.get("version") or "inconnue")[:50],
        model=str(device.get("model") or "").strip()[:200],
        serial=serial[:100],
        size_bytes=_count(size) if size is not None else None,
        status=str(result.get("status") or "unknown")[:40],
        pass_errors=_count(result.get("pass_errors")),
        verify_errors=_count(result.get("verify_errors")),
        started_at=_epoch(result.get("start_time")),
        ended_at=_epoch(result.get("end_time")),
    )
