"""Domain errors and their RFC 9457 ``application/problem+json`` rendering."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "urn:banques:problem:"


class BanqueError(Exception):
    """A business error: a status, a stable code and a French message."""

    status_code: int = 400
    code: str = "bad-request"
    title: str = "Requête invalide"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class Unauthorized(BanqueError):
    status_code = 401
    code = "unauthorized"
    title = "Authentification requise"


class Forbidden(BanqueError):
    status_code = 403
    code = "forbidden"
    title = "Action non autorisée"


class NotFound(BanqueError):
    status_code = 404
    code = "not-found"
    title = "Ressource introuvable"


class Conflict(BanqueError):
    status_code = 409
    code = "conflict"
    title = "Conflit"


class Invalid(BanqueError):
    status_code = 422
    code = "invalid"
    title = "Données invalides"


class TooManyRequests(BanqueError):
    status_code = 429
    code = "too-many-requests"
    title = "Trop de tentatives"


def problem(
    status: int,
    *,
    code: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """Build an RFC 9457 problem response."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code if code else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


_FRENCH_STATUS = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Action non autorisée",
    404: "Ressource introuvable",
    405: "Méthode non autorisée",
    406: "Format de réponse non disponible",
    409: "Conflit",
    413: "Corps de requête trop volumineux",
    415: "Type de contenu non pris en charge",
    422: "Données invalides",
    428: "En-tête If-Match requis",
    429: "Trop de requêtes",
    500: "Erreur interne",
}

_FRENCH_VALIDATION = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ non autorisé",
    "json_invalid": "JSON mal formé",
    "string_too_short": "texte trop court",
    "string_too_long": "texte trop long",
    "string_pattern_mismatch": "format invalide",
    "greater_than": "valeur trop petite",
    "greater_than_equal": "valeur trop petite",
    "less_than": "valeur trop grande",
    "less_than_equal": "valeur trop grande",
    "too_long": "liste trop longue",
    "too_short": "liste trop courte",
    "enum": "valeur non reconnue",
    "literal_error": "valeur non reconnue",
    "uuid_parsing": "identifiant invalide",
    "value_error": "valeur invalide",
    "model_attributes_type": "objet JSON attendu",
    "dict_type": "objet JSON attendu",
    "list_type": "liste attendue",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "bool_parsing": "booléen attendu",
    "string_type": "texte attendu",
    "datetime_parsing": "date et heure invalides (ISO 8601 attendu)",
    "datetime_from_date_parsing": "date et heure invalides (ISO 8601 attendu)",
    "timezone_aware": "fuseau horaire obligatoire",
    "date_parsing": "date invalide (AAAA-MM-JJ attendu)",
}


def _french_error(err: dict[str, Any]) -> dict[str, Any]:
    kind = str(err.get("type", ""))
    message = _FRENCH_VALIDATION.get(kind)
    if message is None:
        message = "type invalide" if kind.endswith("_type") else "valeur invalide"
    if kind == "value_error":
        ctx = err.get("ctx") or {}
        if "error" in ctx:
            message = str(ctx["error"])
    loc: Sequence[Any] = err.get("loc", ())
    return {"loc": [str(part) for part in loc], "type": kind, "msg": message}


def _validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_french_error(dict(e)) for e in exc.errors()]
    if any(e["type"] == "json_invalid" for e in errors):
        return problem(
            400,
            code="malformed-json",
            title="JSON mal formé",
            detail="Le corps de la requête n'est pas un JSON valide.",
            errors=errors,
        )
    fields = ", ".join(".".join(e["loc"][1:] or e["loc"]) for e in errors[:5])
    return problem(
        422,
        code="validation",
        title="Données invalides",
        detail=f"La requête contient des données invalides : {fields}.",
        errors=errors,
    )


def _banque_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BanqueError)
    return problem_for(exc)


def problem_for(exc: BanqueError) -> JSONResponse:
    """The problem response of a domain error (for routes that answer an error
    without raising it, so that their transaction still commits)."""
    headers = None
    if isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": "Bearer"}
    retry = exc.extensions.get("retry_after")
    if retry is not None:
        headers = {"Retry-After": str(retry)}
    return problem(
        exc.status_code,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        headers=headers,
        **exc.extensions,
    )


def _http_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else None
    if status == 404 and detail == "Not Found":
        detail = "Aucune ressource à cette adresse."
    elif status == 405:
        detail = "Méthode non autorisée pour cette adresse."
    return problem(
        status,
        title=_FRENCH_STATUS.get(status),
        detail=detail,
        headers=dict(exc.headers) if exc.headers else None,
    )


def _integrity(_request: Request, _exc: Exception) -> JSONResponse:
    return problem(
        409,
        code="concurrent-write",
        title="Conflit d'écriture",
        detail="Écriture concurrente : rien n'a été enregistré, réessayez.",
    )


def _data_error(request: Request, exc: Exception) -> JSONResponse:
    # SQLSTATE class 22 ("data exception"): a value the database cannot store or
    # compare — a NUL character in a text (PostgreSQL), a number out of range. The
    # request is at fault; its transaction was rolled back.
    log.info(
        "data refused by the database on %s %s: %s",
        request.method,
        request.url.path,
        type(getattr(exc, "orig", exc)).__name__,
    )
    return problem(
        422,
        code="invalid-data",
        title="Données invalides",
        detail="Une valeur ne peut pas être enregistrée (caractère nul, nombre hors "
        "limites…) ; rien n'a été enregistré.",
    )


def _unhandled(request: Request, _exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(
        500,
        code="internal",
        title="Erreur interne",
        detail="Une erreur inattendue s'est produite ; rien n'a été enregistré.",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(BanqueError, _banque_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, _unhandled)


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware: refuse request bodies larger than ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (
            not declared.isdigit() or int(declared) > self.max_bytes
        ):
            await self._reject(scope, receive, send)
            return
        seen = 0
        exceeded = False

        async def limited_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if not exceeded:
                await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if exceeded:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            code="body-too-large",
            title="Corps de requête trop volumineux",
            detail=f"Le corps de la requête dépasse {self.max_bytes} octets.",
        )
        await response(scope, receive, send)
