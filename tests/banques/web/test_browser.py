"""End to end with real Chromium: a technician opens a label URL, logs in and
records a workshop step through the device page's form.

Drives Debian's Chromium (``/usr/bin/chromium``, installed by ``scripts/test``) with
Playwright's driver; Playwright never downloads a browser here. A missing browser
fails this test: it is never skipped.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, sync_playwright

from banques.demo import DEFAULT_DEMO_PASSWORD, EMAIL_DOMAIN
from tests.server import running_server, service_env

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("BANQUES_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TECHNICIAN = f"technician@{EMAIL_DOMAIN}"
MEDIUM = "S4EWNX0R812345"


def _api(base: str) -> httpx.Client:
    token = httpx.post(
        f"{base}/api/v1/auth/token",
        data={"username": TECHNICIAN, "password": DEFAULT_DEMO_PASSWORD},
    ).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})


def _scan(api: httpx.Client, tag: str, state: str, payload: dict[str, Any]) -> None:
    answer = api.post(
        "/api/v1/scans",
        json={
            "asset_tag": tag,
            "to_state": state,
            "event_id": str(uuid.uuid4()),
            "occurred_at": datetime.now(UTC).isoformat(),
            "payload": payload,
        },
    )
    assert answer.status_code == 201, answer.text


def _diagnosed_device(api: httpx.Client) -> str:
    """A demo-workshop laptop, collected, received and diagnosed through the API."""
    created = api.post(
        "/api/v1/devices",
        json={
            "category": "laptop",
            "brand": "Dell",
            "model": "Latitude 5490",
            "serial": "7XK2JQ2",
            "donation_ref": "DON-2026-031",
        },
    )
    assert created.status_code == 201, created.text
    tag = str(created.json()["asset_tag"])
    _scan(api, tag, "collected", {"collection_ref": "COL-2026-0042"})
    _scan(api, tag, "received", {})
    _scan(
        api,
        tag,
        "diagnosed",
        {
            "cpu": "Intel Core i5-8350U",
            "ram_gb": 8,
            "storage_gb": 256,
            "storage_type": "ssd",
            "battery_health_pct": 78,
            "screen": "14 pouces, rayure légère",
            "reconditionable": True,
            "media": [{"type": "ssd", "model": "Samsung PM871b", "serial": MEDIUM}],
        },
    )
    return tag


def test_technician_records_an_erasure_from_the_label_url(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium "
            "(scripts/test does it) or set BANQUES_CHROMIUM"
        )
    env = service_env(f"sqlite:///{tmp_path / 'e2e.db'}")
    shots = tmp_path / "shots"
    shots.mkdir()
    with (
        running_server(env, extra_args=["--demo"]) as server,
        _api(server.base_url) as api,
        sync_playwright() as pw,
    ):
        tag = _diagnosed_device(api)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 412, "height": 900}, locale="fr-FR"
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                problems.append(message.text)

        page.on("console", on_console)

        # What a phone camera opens (any case): the label URL, then the login.
        page.goto(f"{server.base_url}/d/{tag.lower()}")
        assert page.url == f"{server.base_url}/connexion?suivant=/D/{tag}"
        page.get_by_label("Adresse e-mail").fill(TECHNICIAN)
        page.get_by_label("Mot de passe").fill(DEFAULT_DEMO_PASSWORD)
        page.screenshot(path=shots / "page_connexion.png")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{server.base_url}/D/{tag}")
        assert page.locator("h1").inner_text() == tag
        assert "Diagnostiqué" in page.locator(".state").inner_text()

        # The erasure form, prefilled with the medium declared at diagnosis.
        form = page.locator("#etape-wiped")
        assert form.get_by_label("Numéro de série du support").input_value() == MEDIUM
        form.get_by_label("Méthode (NIST SP 800-88)").select_option("purge")
        form.get_by_label("Version de l'outil").fill("0.37")
        form.get_by_label("Vérification réussie").check()
        form.get_by_label("Début").fill("2026-11-23T10:00")
        form.get_by_label("Fin").fill("2026-11-23T10:42")
        form.screenshot(path=shots / "formulaire_effacement.png")
        form.get_by_role("button", name="Enregistrer l'effacement").click()
        page.wait_for_url(f"{server.base_url}/D/{tag}?enregistre=wiped")
        assert page.get_by_role("status").inner_text() == (
            "Étape enregistrée : Données effacées."
        )
        assert "Données effacées" in page.locator(".state").inner_text()
        history = page.locator("ol.history > li")
        assert history.count() == 5
        last = history.nth(4).inner_text()
        assert "Diagnostiqué → Données effacées" in last
        assert MEDIUM in last
        # The next step is now the refurbishment form.
        assert page.locator("#etape-refurbished").is_visible()
        page.screenshot(path=shots / "page_appareil.png", full_page=True)

        # A handheld scanner types the label URL and Enter on the scan page.
        page.goto(f"{server.base_url}/scan")
        page.get_by_label("Étiquette, adresse du QR code").fill(
            f"HTTPS://{server.base_url.split('://')[1].upper()}/D/{tag}"
        )
        page.screenshot(path=shots / "page_scan.png")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{server.base_url}/D/{tag}")
        assert not problems, problems
        browser.close()

        events = api.get(f"/api/v1/devices/{tag}/events").json()
        assert [e["to_state"] for e in events][-2:] == ["diagnosed", "wiped"]
    assert (shots / "page_appareil.png").stat().st_size > 10_000
    docs = os.environ.get("BANQUES_SCREENSHOTS_DIR")
    if docs:  # regenerate docs/img: BANQUES_SCREENSHOTS_DIR=docs/img pytest …
        for shot in shots.iterdir():
            shutil.copy(shot, Path(docs) / shot.name)
