"""The scan forms: which fields each next state asks for, and how a submitted form
becomes a scan payload.

Conversion only (French decimal commas, check boxes, local times in the bank's time
zone); validation is the payload schemas' job, inside ``apply_scan``, so a page shows
exactly the refusal the API would give.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from banques.devices.lifecycle import State
from banques.devices.schemas import AllocationMode, SanitisationMethod, StorageType

STATE_LABELS: dict[State, str] = {
    State.registered: "Enregistré",
    State.collected: "Collecté",
    State.received: "Reçu à l'atelier",
    State.diagnosed: "Diagnostiqué",
    State.wiped: "Données effacées",
    State.refurbished: "Reconditionné",
    State.ready: "Prêt à attribuer",
    State.allocated: "Attribué à un établissement",
    State.in_transit: "En cours de livraison",
    State.delivered: "Livré à l'établissement",
    State.handed_over: "Remis à l'élève",
    State.returned: "Rendu par l'élève",
    State.cancelled: "Annulé",
    State.recycled: "Recyclé",
    State.lost: "Perdu ou volé",
}

# The verb on each form's button.
ACTIONS: dict[State, str] = {
    State.collected: "Enregistrer la collecte",
    State.received: "Réceptionner à l'atelier",
    State.diagnosed: "Enregistrer le diagnostic",
    State.wiped: "Enregistrer l'effacement",
    State.refurbished: "Enregistrer le reconditionnement",
    State.ready: "Marquer prêt à attribuer",
    State.allocated: "Attribuer",
    State.in_transit: "Charger dans le véhicule",
    State.delivered: "Enregistrer la livraison",
    State.handed_over: "Enregistrer la remise",
    State.returned: "Enregistrer le retour",
    State.cancelled: "Annuler l'appareil",
    State.recycled: "Envoyer au recyclage",
    State.lost: "Déclarer perdu ou volé",
}

STORAGE_LABELS = {
    StorageType.hdd: "Disque dur (HDD)",
    StorageType.ssd: "SSD SATA",
    StorageType.nvme: "SSD NVMe",
    StorageType.emmc: "eMMC",
    StorageType.other: "Autre",
}
METHOD_LABELS = {
    SanitisationMethod.clear: "Clear (réécriture)",
    SanitisationMethod.purge: "Purge (effacement sécurisé)",
    SanitisationMethod.destroy: "Destroy (destruction du support)",
}
MODE_LABELS = {
    AllocationMode.loan: "Prêt",
    AllocationMode.provision: "Mise à disposition",
    AllocationMode.gift: "Don",
    AllocationMode.loan_then_transfer: "Prêt puis cession en fin de scolarité",
}
GRADES = [
    ("A", "A — très bon état"),
    ("B", "B — bon état, traces légères"),
    ("C", "C — état correct, usure visible"),
]
YES_NO = [("true", "Oui"), ("false", "Non")]


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text, number, select, checkbox, datetime, textarea, school
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    hint: str = ""
    pattern: str = ""
    step: str = "any"


def _options(labels: Mapping[Any, str]) -> list[tuple[str, str]]:
    return [(str(k.value), v) for k, v in labels.items()]


F = FormField
NOTE = [F("note", "Remarque", "textarea")]
REASON = [F("reason", "Motif", "text", required=True)]

FIELDS: dict[State, list[FormField]] = {
    State.collected: [
        F("collection_ref", "Référence de collecte", required=True),
        F("weight_kg", "Poids (kg)", "number"),
        F("bsd_ref", "Bordereau Trackdéchets"),
    ],
    State.received: NOTE,
    State.diagnosed: [
        F("cpu", "Processeur", required=True, hint="ex. Intel Core i5-8250U"),
        F("ram_gb", "Mémoire vive (Go)", "number", required=True),
        F("storage_gb", "Stockage (Go)", "number", required=True),
        F("storage_type", "Type de stockage", "select", True, _options(STORAGE_LABELS)),
        F("battery_health_pct", "Santé de la batterie (%)", "number"),
        F("screen", "Écran", hint="taille, état"),
        F("reconditionable", "Reconditionnable", "select", True, YES_NO),
        F("medium_model", "Modèle du support de stockage"),
        F(
            "medium_serial",
            "Numéro de série du support",
            hint="chaque support déclaré devra être effacé",
        ),
        F("notes", "Observations", "textarea"),
    ],
    State.wiped: [
        F(
            "method",
            "Méthode (NIST SP 800-88)",
            "select",
            True,
            _options(METHOD_LABELS),
        ),
        F("tool", "Outil", required=True),
        F("tool_version", "Version de l'outil", required=True),
        F("medium_model", "Modèle du support"),
        F("medium_serial", "Numéro de série du support", required=True),
        F("verification_passed", "Vérification réussie", "checkbox"),
        F("started_at", "Début", "datetime", required=True),
        F("ended_at", "Fin", "datetime", required=True),
        F("operator", "Opérateur", required=True),
    ],
    State.refurbished: [
        F("os", "Système installé", required=True, hint="ex. Linux Mint 22"),
        F("repairs", "Réparations", "textarea", hint="une par ligne"),
        F("parts", "Pièces remplacées", "textarea", hint="une par ligne"),
        F(
            "functional_test_passed",
            "Toutes les fonctions ont été testées avec succès",
            "checkbox",
            hint="condition légale pour parler de « reconditionné » (R122-4)",
        ),
        F("grade", "Grade esthétique", "select", True, GRADES),
        F(
            "all_operations_in_france",
            "Toutes les opérations faites en France",
            "checkbox",
        ),
        F("notes", "Observations", "textarea"),
    ],
    State.ready: NOTE,
    State.allocated: [
        F("school_id", "Établissement", "school", required=True),
        F("request_ref", "Référence de la demande"),
    ],
    State.in_transit: [F("vehicle", "Véhicule"), F("round_ref", "Tournée")],
    State.delivered: [F("signer_name", "Nom du signataire", required=True)],
    State.handed_over: [
        F(
            "pupil_ref",
            "Référence de l'élève",
            required=True,
            hint="pseudonyme choisi par l'établissement, jamais un nom",
            pattern="[A-Za-z0-9_\\-]{1,40}",
        ),
        F(
            "allocation_mode",
            "Mode d'attribution",
            "select",
            True,
            _options(MODE_LABELS),
        ),
    ],
    State.returned: REASON,
    State.cancelled: REASON,
    State.recycled: REASON,
    State.lost: [F("circumstances", "Circonstances", required=True)],
}


def _text(form: Mapping[str, str], name: str) -> str | None:
    value = form.get(name, "").strip()
    return value or None


def _number(raw: str | None) -> Any:
    """A number from French or English input; unparsable text is left for the
    payload schema to refuse."""
    if raw is None:
        return None
    try:
        return float(raw.replace(",", ".").replace(" ", ""))
    except ValueError:
        return raw


def _local_time(raw: str | None, zone: ZoneInfo) -> str | None:
    """An ISO time with its offset from a ``datetime-local`` value in the bank's
    zone (unparsable text is left for the schema to refuse)."""
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.isoformat()


def _lines(raw: str | None) -> list[str]:
    return [line.strip() for line in (raw or "").splitlines() if line.strip()]


MAX_RECORDS = 8  # WipedPayload.records


def record_count(form: Mapping[str, str]) -> int:
    """How many erasure records a wiped form carries (one per declared medium)."""
    try:
        return min(max(int(form.get("records", "1")), 1), MAX_RECORDS)
    except ValueError:
        return 1


def record_values(form: Mapping[str, str], index: int) -> dict[str, str]:
    """The fields of erasure record ``index`` as typed (to show the form again)."""
    suffix = f".{index}"
    return {k.removesuffix(suffix): v for k, v in form.items() if k.endswith(suffix)}


def _convert(
    fields: list[FormField], form: Mapping[str, str], zone: ZoneInfo, suffix: str = ""
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in fields:
        raw = _text(form, f.name + suffix)
        if f.kind == "checkbox":
            values[f.name] = raw is not None
        elif f.kind == "number":
            values[f.name] = _number(raw)
        elif f.kind == "datetime":
            values[f.name] = _local_time(raw, zone)
        elif f.name == "reconditionable":
            values[f.name] = {"true": True, "false": False}.get(raw or "", raw)
        else:
            values[f.name] = raw
    return values


def payload_from_form(
    target: State,
    form: Mapping[str, str],
    *,
    zone: ZoneInfo,
    occurred_at: str,
    school_id: str | None,
) -> dict[str, Any]:
    """The scan payload for ``target`` from a submitted form (empty fields omitted).

    A wiped form has one record per medium, its fields suffixed ``.0``, ``.1``…"""
    if target is State.wiped:
        records = []
        for i in range(record_count(form)):
            record = _convert(FIELDS[target], form, zone, f".{i}")
            record["medium_type"] = _text(form, f"medium_type.{i}")
            records.append({k: v for k, v in record.items() if v is not None})
        return {"records": records}
    values = _convert(FIELDS.get(target, []), form, zone)
    if target is State.diagnosed:
        model, serial = values.pop("medium_model"), values.pop("medium_serial")
        if serial:
            medium = {"type": values.get("storage_type"), "serial": serial}
            if model:
                medium["model"] = model
            if values.get("storage_gb") is not None:
                medium["size_gb"] = values["storage_gb"]
            values["media"] = [medium]
    elif target is State.refurbished:
        values["repairs"] = _lines(values["repairs"])
        values["parts"] = _lines(values["parts"])
    elif target is State.delivered:
        values["school_id"] = school_id
        values["signed_at"] = occurred_at
    return {k: v for k, v in values.items() if v is not None}


# --- display of payloads and specs ------------------------------------------------

CATEGORY_LABELS = {
    "laptop": "Ordinateur portable",
    "desktop": "Ordinateur fixe",
    "tablet": "Tablette",
    "screen": "Écran",
    "other": "Autre",
}
PAYLOAD_LABELS = {
    "collection_ref": "Référence de collecte",
    "weight_kg": "Poids (kg)",
    "bsd_ref": "Bordereau Trackdéchets",
    "note": "Remarque",
    "reason": "Motif",
    "cpu": "Processeur",
    "ram_gb": "Mémoire vive (Go)",
    "storage_gb": "Stockage (Go)",
    "storage_type": "Type de stockage",
    "battery_health_pct": "Batterie (%)",
    "screen": "Écran",
    "reconditionable": "Reconditionnable",
    "notes": "Observations",
    "media": "Supports de stockage",
    "records": "Effacements",
    "os": "Système",
    "repairs": "Réparations",
    "parts": "Pièces",
    "functional_test_passed": "Test de toutes les fonctions réussi",
    "grade": "Grade",
    "all_operations_in_france": "Opérations en France",
    "school_id": "Établissement",
    "request_ref": "Demande",
    "vehicle": "Véhicule",
    "round_ref": "Tournée",
    "signer_name": "Signataire",
    "signed_at": "Signé le",
    "pupil_ref": "Référence de l'élève",
    "allocation_mode": "Mode d'attribution",
    "circumstances": "Circonstances",
}
_VALUE_LABELS: dict[str, str] = {
    **{str(k.value): v for k, v in STORAGE_LABELS.items()},
    **{str(k.value): v for k, v in MODE_LABELS.items()},
}


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _medium(m: Mapping[str, Any]) -> str:
    parts = [_VALUE_LABELS.get(str(m.get("type")), str(m.get("type", "")))]
    if m.get("model"):
        parts.append(str(m["model"]))
    parts.append(f"n° {m.get('serial', '?')}")
    return " ".join(parts)


def _record(r: Mapping[str, Any]) -> str:
    verdict = "vérifié" if r.get("verification_passed") else "vérification échouée"
    return (
        f"{r.get('method', '?')} avec {r.get('tool', '?')} {r.get('tool_version', '')}"
        f" — support n° {r.get('medium_serial', '?')} — {verdict}"
        f" — opérateur : {r.get('operator', '?')}"
    )


def describe(
    payload: Mapping[str, Any] | None,
    *,
    schools: Mapping[str, str],
    when: Any = None,
) -> list[tuple[str, str]]:
    """(label, text) pairs to show a payload or the specs in French.

    ``when`` formats ISO times (the bank's time zone)."""
    rows: list[tuple[str, str]] = []
    for key, value in (payload or {}).items():
        if value is None or value == [] or value == "":
            continue
        label = PAYLOAD_LABELS.get(key, key)
        if key == "media":
            text = " ; ".join(_medium(m) for m in value)
        elif key == "records":
            text = " ; ".join(_record(r) for r in value)
        elif key == "school_id":
            text = schools.get(str(value), "établissement de la banque")
        elif key == "signed_at" and when is not None:
            text = when(value)
        elif isinstance(value, list):
            text = ", ".join(_plain(v) for v in value)
        else:
            text = _VALUE_LABELS.get(str(value), _plain(value))
        rows.append((label, text))
    return rows
