"""The pages people use (server-rendered, French).

Thin like every router: read the cookie and the form, call the accounts and devices
services, render a template. Sessions are the access token of ``accounts.login`` in
an HttpOnly cookie; forms that change state carry a CSRF token bound to a random
cookie and to the user (HMAC with the service's secret).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from banques.accounts import service as accounts
from banques.accounts.permissions import Principal
from banques.config import Settings
from banques.deps import SessionDep, SettingsDep
from banques.devices import service as devices
from banques.devices.lifecycle import State
from banques.devices.schemas import ScanIn
from banques.documents import service as documents
from banques.errors import BanqueError, NotFound, TooManyRequests, Unauthorized
from banques.web import forms
from banques.web import service as pages
from labels.codes import InvalidAssetCode, tag_from_scan

router = APIRouter(include_in_schema=False)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
STATIC_FILES = {p.name: p for p in STATIC.iterdir() if p.is_file()}
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals |= {
    "STATE_LABELS": forms.STATE_LABELS,
    "ACTIONS": forms.ACTIONS,
    "FIELDS": forms.FIELDS,
    "CATEGORY_LABELS": forms.CATEGORY_LABELS,
}

SESSION_COOKIE = "banques_session"
CSRF_COOKIE = "banques_csrf"
DEFAULT_NEXT = "/scan"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'none'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

FormData = dict[str, str]


async def read_form(request: Request) -> FormData:
    """The submitted form's fields (first value of each; files ignored)."""
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


FormDep = Annotated[FormData, Depends(read_form)]


# --- sessions, CSRF, redirects ----------------------------------------------------


def _secure(settings: Settings) -> bool:
    return settings.base_url.strip().lower().startswith("https://")


def session_limits(settings: Settings) -> accounts.SessionLimits:
    return accounts.SessionLimits(
        idle=timedelta(minutes=settings.web_session_idle_minutes),
        lifetime=timedelta(hours=settings.web_session_hours),
    )


def current_principal(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Principal | None:
    """The user behind the session cookie, or None (no cookie, ended, expired)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return accounts.authenticate_web_session(
            session, token, limits=session_limits(settings)
        )
    except Unauthorized:
        return None


PrincipalDep = Annotated[Principal | None, Depends(current_principal)]


def safe_next(value: str | None) -> str:
    """A local path to go back to after login; anything else is the scan page."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return DEFAULT_NEXT
    if "\\" in value or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    return value


def to_login(request: Request, next_path: str | None = None) -> RedirectResponse:
    target = next_path or request.url.path
    response = RedirectResponse(
        f"/connexion?suivant={quote(safe_next(target), safe='/')}", status_code=303
    )
    if SESSION_COOKIE in request.cookies:  # expired or revoked
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _csrf_nonce(request: Request) -> tuple[str, bool]:
    """The browser's CSRF nonce, or a new one (True) to set as a cookie."""
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(nonce) <= 64 and nonce.replace("-", "").replace("_", "").isalnum():
        return nonce, False
    return secrets.token_urlsafe(24), True


def csrf_token(settings: Settings, nonce: str, principal: Principal | None) -> str:
    who = str(principal.user_id) if principal else "-"
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, f"csrf|{nonce}|{who}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(
    request: Request, form: Mapping[str, str], settings: Settings, p: Principal | None
) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE)
    sent = form.get("csrf", "")
    if not nonce or not sent:
        return False
    return hmac.compare_digest(sent, csrf_token(settings, nonce, p))


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    settings: Settings,
    principal: Principal | None,
    status: int = 200,
) -> Response:
    nonce, new = _csrf_nonce(request)
    context = {
        "principal": principal,
        "csrf": csrf_token(settings, nonce, principal),
        **context,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    if new:
        response.set_cookie(
            CSRF_COOKIE,
            nonce,
            httponly=True,
            samesite="lax",
            secure=_secure(settings),
            path="/",
        )
    return response


def error_page(
    request: Request,
    exc: BanqueError,
    *,
    settings: Settings,
    principal: Principal | None,
) -> Response:
    return render(
        request,
        "erreur.html",
        {"status": exc.status_code, "title": exc.title, "detail": exc.detail},
        settings=settings,
        principal=principal,
        status=exc.status_code,
    )


def _see_other(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- static files -------------------------------------------------------------------


@router.get("/static/{name}")
def static(name: str) -> Response:
    path = STATIC_FILES.get(name)
    if path is None:
        return Response(
            "Fichier introuvable.", status_code=404, media_type="text/plain"
        )
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


# --- login and logout ---------------------------------------------------------------


@router.get("/")
def home(principal: PrincipalDep) -> RedirectResponse:
    return _see_other(DEFAULT_NEXT if principal else "/connexion")


@router.get("/connexion")
def login_form(
    request: Request, settings: SettingsDep, suivant: str | None = None
) -> Response:
    # Rendered as anonymous even with a session: its token is the login's.
    return render(
        request,
        "connexion.html",
        {"suivant": safe_next(suivant), "email": "", "error": None},
        settings=settings,
        principal=None,
    )


@router.post("/connexion")
def login(
    request: Request, form: FormDep, session: SessionDep, settings: SettingsDep
) -> Response:
    target = safe_next(form.get("suivant"))
    email = form.get("email", "").strip()

    def again(detail: str, status: int) -> Response:
        context = {"suivant": target, "email": email, "error": detail}
        return render(
            request,
            "connexion.html",
            context,
            settings=settings,
            principal=None,
            status=status,
        )

    if not csrf_ok(request, form, settings, None):
        return again("Formulaire expiré : merci de vous reconnecter.", 403)
    try:
        issued = accounts.open_web_session(
            session,
            email=email,
            password=form.get("mot_de_passe", ""),
            client=request.client.host if request.client else "unknown",
            limiter=request.app.state.login_limiter,
            limits=session_limits(settings),
        )
    except (Unauthorized, TooManyRequests) as exc:
        response = again(exc.detail, exc.status_code)
        retry = exc.extensions.get("retry_after")
        if retry is not None:
            response.headers["Retry-After"] = str(retry)
        return response
    response = _see_other(target)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=issued.max_age,
        httponly=True,
        samesite="lax",
        secure=_secure(settings),
        path="/",
    )
    return response


@router.post("/deconnexion")
def logout(
    request: Request,
    form: FormDep,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> Response:
    """End this session, server side, and forget its cookie (the user's other
    sessions and API tokens stay valid)."""
    if principal is not None and not csrf_ok(request, form, settings, principal):
        return error_page(
            request,
            BanqueError("Formulaire expiré : rechargez la page et réessayez."),
            settings=settings,
            principal=principal,
        )
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.close_web_session(session, token)
    response = _see_other("/connexion")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- scan page ----------------------------------------------------------------------


@router.get("/scan")
def scan_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    code: str | None = None,
) -> Response:
    """Type, paste or scan a tag (or a label URL): go to the device page."""
    if principal is None:
        return to_login(request)
    error = None
    status = 200
    if code is not None and code.strip():
        try:
            device = devices.get_device(session, principal, code.strip()[:200])
        except BanqueError as exc:
            error, status = exc.detail, exc.status_code
        else:
            return _see_other(f"/D/{device.asset_tag}")
    elif code is not None:
        error, status = "Saisissez ou scannez une étiquette.", 422
    return render(
        request,
        "scan.html",
        {"code": (code or "")[:200], "error": error},
        settings=settings,
        principal=principal,
        status=status,
    )


# --- device page ----------------------------------------------------------------------


def _device_context(
    page: pages.DevicePage, *, failed: State | None, values: Mapping[str, str]
) -> dict[str, Any]:
    zone = ZoneInfo(page.bank.time_zone)

    def when(value: Any) -> str:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return devices.as_utc(moment).astimezone(zone).strftime("%d/%m/%Y à %H:%M")

    # One erasure record per medium declared at diagnosis, prefilled.
    records = [
        {
            "medium_serial": str(m.get("serial") or ""),
            "medium_model": str(m.get("model") or ""),
            "medium_type": str(m.get("type") or ""),
            "operator": page.viewer_name,
            "tool": "nwipe",
        }
        for m in pages.declared_media(page.device) or [{}]
    ][: forms.MAX_RECORDS]
    if failed is State.wiped:
        records = [
            forms.record_values(values, i) for i in range(forms.record_count(values))
        ]
    now = datetime.now(UTC).isoformat()
    steps = [
        {
            "state": t.to_state,
            "summary": t.summary,
            "event_id": str(uuid.uuid4()),
            "occurred_at": now,
            "values": values if t.to_state is failed else {},
            "records": records,
        }
        for t in page.steps
    ]
    return {
        "page": page,
        "device": page.device,
        "state": State(page.device.state),
        "zone": page.bank.time_zone,
        "when": when,
        "specs": forms.describe(
            page.device.specs, schools=page.school_names, when=when
        ),
        "history": [
            (
                row,
                forms.describe(row.event.payload, schools=page.school_names, when=when),
            )
            for row in page.history
        ],
        "main_steps": [s for s in steps if s["state"] not in pages.SIDE_EXITS],
        "side_steps": [s for s in steps if s["state"] in pages.SIDE_EXITS],
        "failed": failed,
        "page_side_states": pages.SIDE_EXITS,
        "school_options": [(str(s.id), s.name) for s in page.schools],
    }


def _canonical(tag: str) -> str | None:
    try:
        return tag_from_scan(tag)
    except InvalidAssetCode:
        return None


def _not_found(
    request: Request, settings: Settings, principal: Principal | None
) -> Response:
    return error_page(
        request,
        NotFound("Appareil introuvable."),
        settings=settings,
        principal=principal,
    )


@router.get("/D/{tag}")
@router.get("/d/{tag}")
def device_page(
    request: Request,
    tag: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    enregistre: str | None = None,
) -> Response:
    """The page a label's QR code opens: the device, its history, the next steps."""
    canonical = _canonical(tag)
    if canonical is None:
        return _not_found(request, settings, principal)
    if request.url.path != f"/D/{canonical}":
        return RedirectResponse(f"/D/{canonical}", status_code=301)
    if principal is None:
        return to_login(request)
    try:
        page = pages.device_page(session, principal, canonical)
    except BanqueError as exc:
        return error_page(request, exc, settings=settings, principal=principal)
    context = _device_context(page, failed=None, values={})
    context["done"] = (
        forms.STATE_LABELS[State(page.device.state)]
        if enregistre == page.device.state
        else None
    )
    context["error"] = None
    return render(
        request, "appareil.html", context, settings=settings, principal=principal
    )


@router.get("/D/{tag}/certificat-effacement.pdf")
def erasure_certificate(
    request: Request,
    tag: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> Response:
    """The erasure certificate, for people signed in on the pages (cookie)."""
    if principal is None:
        return to_login(request)
    try:
        document = documents.erasure_certificate(
            session, principal, tag, base_url=settings.base_url
        )
    except BanqueError as exc:
        return error_page(request, exc, settings=settings, principal=principal)
    return Response(
        content=document.content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f'inline; filename="{document.filename}"',
            "Cache-Control": "no-store",
        },
    )


def _scan_from_form(
    canonical: str, form: Mapping[str, str], page: pages.DevicePage
) -> ScanIn | str:
    """The scan a form describes, or why the form itself is unusable."""
    try:
        target = State(form.get("to_state", ""))
        event_id = uuid.UUID(form.get("event_id", ""))
        occurred_at = datetime.fromisoformat(form.get("occurred_at", ""))
    except ValueError:
        return "Formulaire incomplet : rechargez la page et recommencez."
    if occurred_at.tzinfo is None:
        return "Formulaire incomplet : rechargez la page et recommencez."
    payload = forms.payload_from_form(
        target,
        form,
        zone=ZoneInfo(page.bank.time_zone),
        occurred_at=occurred_at.isoformat(),
        school_id=str(page.device.school_id) if page.device.school_id else None,
    )
    return ScanIn(
        asset_tag=canonical,
        to_state=target,
        event_id=event_id,
        occurred_at=occurred_at,
        payload=payload,
    )


@router.post("/D/{tag}/scan")
def device_scan(
    request: Request,
    tag: str,
    form: FormDep,
    session: SessionDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> Response:
    """One scan from the device page's form, applied by ``devices.apply_scan``.

    The form carries an event id made when the page was rendered: submitting it
    twice applies it once (the second answer is the first one, replayed)."""
    canonical = _canonical(tag)
    if canonical is None:
        return _not_found(request, settings, principal)
    if principal is None:
        return to_login(request, f"/D/{canonical}")
    try:
        page = pages.device_page(session, principal, canonical)
    except BanqueError as exc:
        return error_page(request, exc, settings=settings, principal=principal)
    failed = State(form["to_state"]) if form.get("to_state") in set(State) else None
    error: str | None = None
    status = 200
    if not csrf_ok(request, form, settings, principal):
        error, status = "Formulaire expiré : rechargez la page et réessayez.", 403
    else:
        scan = _scan_from_form(canonical, form, page)
        if isinstance(scan, str):
            error, status = scan, 422
        else:
            # apply_scan locks and reads the device itself: drop what the page
            # read, so a concurrent scan is seen rather than a stale version.
            session.expire_all()
            try:
                with session.begin_nested():  # a refusal leaves no trace
                    devices.apply_scan(session, principal, scan)
            except BanqueError as exc:
                error, status = exc.detail, exc.status_code
            else:
                return _see_other(f"/D/{canonical}?enregistre={scan.to_state.value}")
        page = pages.device_page(session, principal, canonical)
    context = _device_context(page, failed=failed, values=form)
    context |= {"done": None, "error": error}
    return render(
        request,
        "appareil.html",
        context,
        settings=settings,
        principal=principal,
        status=status,
    )
