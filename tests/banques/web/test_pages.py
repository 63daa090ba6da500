"""The pages, through the TestClient: login, CSRF, redirects, visibility, scans."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from banques import db
from banques.accounts.models import Role, User, WebSession
from banques.accounts.service import principal_for
from banques.app import create_app
from banques.config import Settings
from banques.devices import service
from banques.devices.lifecycle import State
from banques.devices.models import Device, DeviceEvent
from banques.devices.schemas import DeviceCreate
from banques.web.routes import safe_next
from tests.banques.devices.helpers import HAPPY_PATH, SERIAL, T0, actor_for, scan
from tests.banques.web.pages import Form, csrf_of, forms, login, submit, text_of
from tests.factories import PASSWORD, Tenant, World

pytestmark = pytest.mark.usefixtures("world")


def register(engine: Engine, user: User, *, serial: str = "PF1ABCDE") -> str:
    """A laptop registered by ``user``'s organisation; its asset tag."""
    with db.transaction(engine) as session:
        (device,) = service.register_devices(
            session,
            principal_for(session, user),
            [
                DeviceCreate(
                    category="laptop", brand="Lenovo", model="T480", serial=serial
                )
            ],
        )
        return device.asset_tag


def walk(engine: Engine, tenant: Tenant, tag: str, until: State) -> None:
    with db.transaction(engine) as session:
        for i, state in enumerate(HAPPY_PATH):
            who = principal_for(session, actor_for(state, tenant))
            service.apply_scan(
                session, who, scan(state, tenant, tag, at=T0 + timedelta(minutes=i))
            )
            if state is until:
                return


def device(engine: Engine, tag: str) -> tuple[State, int]:
    with Session(engine) as session:
        row = session.exec(select(Device).where(Device.asset_tag == tag)).one()
        count = session.exec(
            select(func.count()).where(DeviceEvent.device_id == row.id)
        ).one()
        return State(row.state), int(count)


@pytest.fixture
def technician(world: World) -> User:
    return world.a.users[Role.technician]


@pytest.fixture
def tech_client(client: TestClient, technician: User) -> TestClient:
    assert login(client, technician).status_code == 303
    return client


# --- login, logout, redirects ----------------------------------------------------


def test_pages_redirect_to_login_with_the_way_back(
    client: TestClient, engine: Engine, technician: User
) -> None:
    tag = register(engine, technician)
    for path in ("/scan", f"/D/{tag}"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/connexion?suivant={path}"
    answer = client.post(f"/D/{tag}/scan", data={}, follow_redirects=False)
    assert answer.headers["location"] == f"/connexion?suivant=/D/{tag}"
    assert client.get("/", follow_redirects=False).headers["location"] == "/connexion"


def test_login_sets_a_session_cookie_then_logout_forgets_it(
    client: TestClient, engine: Engine, technician: User
) -> None:
    tag = register(engine, technician)
    answer = login(client, technician, suivant=f"/D/{tag}")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/D/{tag}"
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if "banques_session=" in c
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "max-age", "path", "samesite"} <= attributes
    assert "samesite=lax" in cookie.lower()
    assert "max-age=43200" in cookie.lower()  # the session's absolute limit (12 h)
    assert "secure" not in attributes  # base URL is http in tests
    page = client.get(f"/D/{tag}")
    assert page.status_code == 200
    assert 'lang="fr"' in page.text
    out = client.post(
        "/deconnexion", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert out.headers["location"] == "/connexion"
    assert client.get("/scan", follow_redirects=False).status_code == 303


def test_logout_ends_the_session_on_the_server(
    client: TestClient, engine: Engine, technician: User
) -> None:
    """A copy of the cookie (another tab, a stolen cookie) is useless after logout."""
    assert login(client, technician).status_code == 303
    token = client.cookies["banques_session"]
    page = client.get("/scan")
    client.post("/deconnexion", data={"csrf": csrf_of(page.text)})
    client.cookies.set("banques_session", token)
    answer = client.get("/scan", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/connexion?suivant=/scan"
    with Session(engine) as session:
        (ended,) = session.exec(select(WebSession.ended_at)).all()
        assert ended is not None
        # Only the token's hash is stored.
        assert token not in {w.token_hash for w in session.exec(select(WebSession))}


def test_session_cookie_is_secure_behind_https(
    app_settings: Settings, engine: Engine, technician: User
) -> None:
    settings = app_settings.model_copy(update={"base_url": "https://banque.example.fr"})
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as client:
        answer = login(client, technician)
        cookies = answer.headers.get_list("set-cookie")
        assert all("secure" in c.lower() for c in cookies)
        assert client.get("/scan").status_code == 200
    app.state.engine.dispose()


def test_wrong_password_is_refused_in_french_and_throttled(
    client: TestClient, technician: User
) -> None:
    page = client.get("/connexion")
    data = {
        "email": technician.email,
        "mot_de_passe": "faux",
        "csrf": csrf_of(page.text),
    }
    answer = client.post("/connexion", data=data, follow_redirects=False)
    assert answer.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in text_of(answer.text)
    assert "banques_session" not in answer.headers.get("set-cookie", "")
    statuses = [
        client.post("/connexion", data=data, follow_redirects=False).status_code
        for _ in range(10)
    ]
    assert statuses[-1] == 429  # the accounts service's limiter (10 per minute)
    throttled = client.post("/connexion", data=data, follow_redirects=False)
    assert "Trop de tentatives de connexion" in text_of(throttled.text)
    assert throttled.headers["retry-after"].isdigit()


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "evil.example",
    ],
)
def test_no_open_redirect_after_login(
    client: TestClient, technician: User, target: str
) -> None:
    answer = login(client, technician, suivant=target)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/scan"
    assert safe_next(target) == "/scan"


def test_local_paths_are_kept_after_login() -> None:
    assert safe_next("/D/LYO-00012-K") == "/D/LYO-00012-K"
    assert safe_next("/scan?code=abc") == "/scan?code=abc"
    assert safe_next(None) == "/scan"


# --- CSRF ------------------------------------------------------------------------


def test_forms_without_a_valid_csrf_token_are_refused(
    client: TestClient, engine: Engine, technician: User
) -> None:
    answer = client.post(
        "/connexion",
        data={
            "email": technician.email,
            "mot_de_passe": "correct horse battery staple",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "banques_session" not in answer.headers.get("set-cookie", "")

    assert login(client, technician).status_code == 303
    tag = register(engine, technician)
    form = forms(client.get(f"/D/{tag}").text)["etape-collected"]
    for bad in ("", "0" * 64, csrf_of(client.get("/connexion").text) + "0"):
        refused = submit(client, form, collection_ref="COL-1", csrf=bad)
        assert refused.status_code == 403
        assert "Formulaire expiré" in text_of(refused.text)
    assert device(engine, tag) == (State.registered, 1)
    refused = client.post("/deconnexion", data={"csrf": "x"}, follow_redirects=False)
    assert refused.status_code == 400
    assert client.get("/scan").status_code == 200  # still logged in


def test_a_csrf_token_is_bound_to_its_user(
    client: TestClient, engine: Engine, world: World, technician: User
) -> None:
    """A token rendered for one user (same browser cookie) fails for another."""
    assert login(client, technician).status_code == 303
    tag = register(engine, technician)
    stolen = forms(client.get(f"/D/{tag}").text)["etape-collected"]
    assert login(client, world.a.users[Role.coordinator]).status_code == 303
    refused = submit(client, stolen, collection_ref="COL-1")
    assert refused.status_code == 403
    assert device(engine, tag) == (State.registered, 1)


# --- device page ---------------------------------------------------------------------


def test_device_page_shows_the_device_and_its_history_in_the_bank_time_zone(
    tech_client: TestClient, engine: Engine, world: World, technician: User
) -> None:
    tag = register(engine, technician, serial=SERIAL)
    walk(engine, world.a, tag, State.diagnosed)
    page = tech_client.get(f"/D/{tag}")
    text = text_of(page.text)
    assert page.status_code == 200
    assert f'<h1 class="tag">{tag}</h1>' in page.text
    assert "État : Diagnostiqué" in text
    assert "Ordinateur portable" in text
    assert "Lenovo T480" in text
    assert world.a.orgs["association"].name in text
    assert "Intel Core i5-8250U" in text
    assert "Heures de Europe/Paris" in text
    # T0 = 08:00 UTC = 09:00 in Paris; the collection happened at T0.
    assert "02/11/2026 à 09:00 — Enregistré → Collecté" in text
    assert "02/11/2026 à 09:02 — Reçu à l'atelier → Diagnostiqué" in text
    steps = forms(page.text)
    assert {"etape-wiped", "etape-recycled", "etape-lost"} <= steps.keys()
    assert "etape-allocated" not in steps
    # The erasure form is prefilled with the medium declared at diagnosis.
    assert steps["etape-wiped"].fields["records"] == "1"
    assert steps["etape-wiped"].fields["medium_serial.0"] == SERIAL
    assert steps["etape-wiped"].fields["medium_type.0"] == "ssd"
    assert steps["etape-wiped"].fields["operator.0"] == technician.full_name
    # Everything is served locally (closed network, no CDN), CSS included.
    links = re.findall(r'(?:src|href|action)="([^"]*)"', page.text)
    assert links
    assert all(link.startswith(("/", "#", "data:")) for link in links), links
    css = tech_client.get("/static/app.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert tech_client.get("/static/../routes.py").status_code == 404


def test_history_uses_the_time_zone_of_the_device_bank(
    client: TestClient, engine: Engine, world: World
) -> None:
    tech_b = world.b.users[Role.technician]
    tag = register(engine, tech_b)
    walk(engine, world.b, tag, State.collected)
    assert login(client, tech_b).status_code == 303
    text = text_of(client.get(f"/D/{tag}").text)
    assert "Heures de America/Cayenne" in text
    assert "02/11/2026 à 05:00 — Enregistré → Collecté" in text


def test_tag_spellings_redirect_to_the_canonical_url(
    tech_client: TestClient, engine: Engine, technician: User
) -> None:
    tag = register(engine, technician)
    typed = tag.lower().replace("-", " ").replace("0", "o")
    for path in (f"/d/{tag.lower()}", f"/D/{typed}", f"/d/{tag}"):
        answer = tech_client.get(path, follow_redirects=False)
        assert answer.status_code == 301, path
        assert answer.headers["location"] == f"/D/{tag}"
    missing = tech_client.get("/D/PAS-UNE-ETIQUETTE")
    assert missing.status_code == 404
    assert "Appareil introuvable." in text_of(missing.text)


def test_another_organisation_gets_a_french_404(
    client: TestClient, engine: Engine, world: World, technician: User
) -> None:
    tag = register(engine, technician)
    for outsider in (world.b.users[Role.technician], world.a.other_technician):
        assert outsider is not None
        assert login(client, outsider).status_code == 303
        page = client.get(f"/D/{tag}")
        assert page.status_code == 404
        assert "Appareil introuvable." in text_of(page.text)
        assert "Lenovo" not in page.text
        posted = client.post(
            f"/D/{tag}/scan",
            data={"csrf": csrf_of(page.text), "to_state": "lost"},
            follow_redirects=False,
        )
        assert posted.status_code == 404
        found = client.get("/scan", params={"code": tag})
        assert found.status_code == 404
        assert "Appareil introuvable." in text_of(found.text)
    assert device(engine, tag) == (State.registered, 1)


def test_pupil_reference_only_for_the_school_and_coordinators(
    client: TestClient, engine: Engine, world: World
) -> None:
    collector = world.a.users[Role.collector]
    tag = register(engine, collector)  # the eco-organisme keeps seeing it
    walk(engine, world.a, tag, State.handed_over)
    for user, visible in (
        (world.a.users[Role.school_staff], True),
        (world.a.users[Role.coordinator], True),
        (collector, False),
    ):
        assert login(client, user).status_code == 303
        page = client.get(f"/D/{tag}")
        assert page.status_code == 200
        assert ("ELV-2026-017" in page.text) is visible, user.role
        assert ("Référence de l'élève ***" in text_of(page.text)) is not visible


# --- scans through the forms ------------------------------------------------------


def test_a_scan_submitted_twice_applies_once(
    tech_client: TestClient, engine: Engine, technician: User
) -> None:
    tag = register(engine, technician)
    form = forms(tech_client.get(f"/D/{tag}").text)["etape-collected"]
    first = submit(tech_client, form, collection_ref="COL-2026-7")
    second = submit(tech_client, form, collection_ref="COL-2026-7")
    for answer in (first, second):
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/D/{tag}?enregistre=collected"
    assert device(engine, tag) == (State.collected, 2)
    page = tech_client.get(first.headers["location"])
    text = text_of(page.text)
    assert "Étape enregistrée : Collecté." in text
    assert "COL-2026-7" in text
    assert text.count("Enregistré → Collecté") == 1


def test_a_refused_scan_shows_the_service_detail_and_changes_nothing(
    tech_client: TestClient, engine: Engine, world: World, technician: User
) -> None:
    tag = register(engine, technician, serial=SERIAL)
    walk(engine, world.a, tag, State.wiped)
    form = forms(tech_client.get(f"/D/{tag}").text)["etape-refurbished"]
    answer = submit(tech_client, form, os="Linux Mint 22", grade="B")  # no test
    assert answer.status_code == 422
    text = text_of(answer.text)
    assert "Scan refusé : Le test de toutes les fonctions doit être réussi" in text
    assert device(engine, tag) == (State.wiped, 5)
    # The form keeps what was typed.
    again = forms(answer.text)["etape-refurbished"]
    assert again.fields["os"] == "Linux Mint 22"
    assert again.fields["grade"] == "B"
    invalid = submit(tech_client, again, os="")
    assert invalid.status_code == 422
    assert "Données de « refurbished » invalides : os." in text_of(invalid.text)
    assert device(engine, tag) == (State.wiped, 5)


def test_workshop_steps_through_the_forms(
    tech_client: TestClient, engine: Engine, world: World, technician: User
) -> None:
    tag = register(engine, technician)
    walk(engine, world.a, tag, State.received)

    def step(state: str, **values: str) -> None:
        form = forms(tech_client.get(f"/D/{tag}").text)[f"etape-{state}"]
        answer = submit(tech_client, form, **values)
        assert answer.status_code == 303, text_of(answer.text)

    step(
        "diagnosed",
        cpu="Intel Core i3-7100U",
        ram_gb="4,5",
        storage_gb="128",
        storage_type="ssd",
        battery_health_pct="72",
        reconditionable="true",
        medium_serial="S3Z1NB0K123456",
    )
    step(
        "wiped",
        **{
            "method.0": "purge",
            "tool_version.0": "0.37",
            "verification_passed.0": "on",
            "started_at.0": "2026-11-02T10:00",
            "ended_at.0": "2026-11-02T10:35",
        },
    )
    step(
        "refurbished",
        os="Linux Mint 22",
        functional_test_passed="on",
        grade="A",
        repairs="clavier\nbatterie",
    )
    assert device(engine, tag) == (State.refurbished, 6)
    with Session(engine) as session:
        events = service.device_events(session, principal_for(session, technician), tag)
    diagnosis, erasure, refurb = (e.payload for e in events[-3:])
    assert diagnosis["ram_gb"] == 4.5
    assert diagnosis["media"] == [
        {"type": "ssd", "serial": "S3Z1NB0K123456", "size_gb": 128.0, "model": None}
    ]
    (record,) = erasure["records"]
    assert record["medium_serial"] == "S3Z1NB0K123456"
    assert record["operator"] == technician.full_name
    assert record["started_at"] == "2026-11-02T10:00:00+01:00"  # Paris in November
    assert refurb["repairs"] == ["clavier", "batterie"]
    page = text_of(tech_client.get(f"/D/{tag}").text)
    assert "Grade A" in page


def test_coordinator_allocates_with_a_school_list(
    client: TestClient, engine: Engine, world: World, technician: User
) -> None:
    tag = register(engine, technician)
    walk(engine, world.a, tag, State.ready)
    assert login(client, world.a.users[Role.coordinator]).status_code == 303
    page = client.get(f"/D/{tag}")
    school = world.a.school
    assert school is not None
    assert f'<option value="{school.id}">{school.name}</option>' in page.text
    form = forms(page.text)["etape-allocated"]
    answer = submit(client, form, school_id=str(school.id), request_ref="REQ-9")
    assert answer.status_code == 303
    assert device(engine, tag)[0] is State.allocated
    text = text_of(client.get(f"/D/{tag}").text)
    assert f"Établissement {school.name}" in text


# --- scan page ------------------------------------------------------------------------


def test_scan_page_opens_tags_label_urls_and_serials(
    tech_client: TestClient, engine: Engine, technician: User
) -> None:
    tag = register(engine, technician, serial="PF-SERIAL-77")
    page = tech_client.get("/scan")
    assert page.status_code == 200
    assert forms(page.text)["/scan"].method == "get"
    for code in (
        tag,
        tag.lower(),
        f"HTTPS://BANQUE.EXAMPLE.FR/D/{tag}",
        f"https://banque.example.fr/d/{tag.lower()}?x=1",
        "PF-SERIAL-77",
    ):
        answer = tech_client.get("/scan", params={"code": code}, follow_redirects=False)
        assert answer.status_code == 303, code
        assert answer.headers["location"] == f"/D/{tag}"
    unknown = tech_client.get("/scan", params={"code": "LYO-00000-0"})
    assert unknown.status_code == 404
    assert "Appareil introuvable." in text_of(unknown.text)


def test_logout_everywhere_ends_the_browser_sessions(
    tech_client: TestClient, technician: User
) -> None:
    token = tech_client.post(
        "/api/v1/auth/token",
        data={"username": technician.email, "password": PASSWORD},
    ).json()["access_token"]
    revoked = tech_client.post(
        "/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}
    )
    assert revoked.status_code == 204
    answer = tech_client.get("/scan", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/connexion?suivant=/scan"
    assert 'banques_session=""' in answer.headers["set-cookie"]


def test_roles_without_device_access_get_a_french_refusal(
    client: TestClient, engine: Engine, world: World, technician: User
) -> None:
    tag = register(engine, technician)
    assert login(client, world.a.users[Role.observer]).status_code == 303
    page = client.get(f"/D/{tag}")
    assert page.status_code == 403
    assert "Votre rôle (observer) ne permet pas cette action." in text_of(page.text)


def test_only_the_steps_of_ones_role_and_custody_are_offered(
    client: TestClient, engine: Engine, world: World, technician: User
) -> None:
    tag = register(engine, technician)
    walk(engine, world.a, tag, State.allocated)
    offered = {}
    for role in (Role.technician, Role.driver, Role.coordinator):
        assert login(client, world.a.users[role]).status_code == 303
        offered[role] = set(forms(client.get(f"/D/{tag}").text)) - {"/deconnexion"}
    assert offered[Role.technician] == {"etape-ready", "etape-in_transit", "etape-lost"}
    assert offered[Role.driver] == {"etape-ready", "etape-in_transit", "etape-lost"}
    assert offered[Role.coordinator] == {"etape-ready", "etape-lost"}


def test_concurrent_form_scans_apply_once(
    app: FastAPI, engine: Engine, technician: User
) -> None:
    """Two phones submit at once: the same form (one event) and two renders of it
    (two events from one state). One scan applies; the other is a replay, or a
    refusal shown on the page — never a second transition, never a server error."""
    tag = register(engine, technician)
    with TestClient(app) as one, TestClient(app) as two:
        for c in (one, two):
            assert login(c, technician).status_code == 303
        first = forms(one.get(f"/D/{tag}").text)["etape-collected"]
        second = forms(two.get(f"/D/{tag}").text)["etape-collected"]
        same = Form(first.id, first.action, first.method, dict(first.fields))
        same.fields["csrf"] = second.fields["csrf"]
        with ThreadPoolExecutor(2) as pool:
            answers = list(
                pool.map(
                    lambda job: submit(job[0], job[1], collection_ref="COL-9"),
                    [(one, first), (two, same)],
                )
            )
        assert [a.status_code for a in answers] == [303, 303]
        assert device(engine, tag) == (State.collected, 2)

        tag2 = register(engine, technician, serial="PF2")
        first = forms(one.get(f"/D/{tag2}").text)["etape-collected"]
        second = forms(two.get(f"/D/{tag2}").text)["etape-collected"]
        with ThreadPoolExecutor(2) as pool:
            answers = list(
                pool.map(
                    lambda job: submit(job[0], job[1], collection_ref="COL-9"),
                    [(one, first), (two, second)],
                )
            )
    assert sorted(a.status_code for a in answers) == [303, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert "Scan refusé : Passage impossible" in text_of(refused.text)
    assert device(engine, tag2) == (State.collected, 2)


def test_one_erasure_record_per_declared_medium(
    tech_client: TestClient, engine: Engine, world: World, technician: User
) -> None:
    tag = register(engine, technician)
    walk(engine, world.a, tag, State.received)
    diagnosis = {
        "cpu": "Intel Core i5-6500",
        "ram_gb": 8,
        "storage_gb": 1256,
        "storage_type": "hdd",
        "reconditionable": True,
        "media": [
            {"type": "ssd", "model": "Crucial MX500", "serial": "2203E5F1A2B3"},
            {"type": "hdd", "serial": "WD-WCC4N1234567"},
        ],
    }
    with db.transaction(engine) as session:
        service.apply_scan(
            session,
            principal_for(session, technician),
            scan(State.diagnosed, world.a, tag, payload=diagnosis),
        )
    page = tech_client.get(f"/D/{tag}").text
    form = forms(page)["etape-wiped"]
    assert form.fields["records"] == "2"
    assert form.fields["medium_serial.0"] == "2203E5F1A2B3"
    assert form.fields["medium_model.0"] == "Crucial MX500"
    assert form.fields["medium_serial.1"] == "WD-WCC4N1234567"
    assert form.fields["medium_type.1"] == "hdd"
    assert "Support 2 — n° WD-WCC4N1234567" in text_of(page)
    common = {"tool_version": "0.37", "started_at": "2026-11-02T10:00"}
    typed = {f"{k}.{i}": v for k, v in common.items() for i in (0, 1)}
    typed |= {"method.0": "purge", "method.1": "clear", "verification_passed.0": "on"}
    typed |= {"ended_at.0": "2026-11-02T10:20", "ended_at.1": "2026-11-02T12:00"}
    refused = submit(tech_client, form, **typed)  # the HDD's verification unticked
    assert refused.status_code == 422
    assert "Vérification de l'effacement échouée pour : WD-WCC4N1234567." in (
        text_of(refused.text)
    )
    again = forms(refused.text)["etape-wiped"]
    assert again.fields["method.1"] == "clear"
    assert again.fields["verification_passed.0"] == "on"
    assert "verification_passed.1" not in again.fields
    applied = submit(tech_client, again, **{"verification_passed.1": "on"})
    assert applied.status_code == 303
    with Session(engine) as session:
        events = service.device_events(session, principal_for(session, technician), tag)
    records = events[-1].payload["records"]
    assert [(r["medium_serial"], r["method"]) for r in records] == [
        ("2203E5F1A2B3", "purge"),
        ("WD-WCC4N1234567", "clear"),
    ]
    assert records[1]["medium_type"] == "hdd"
    assert "medium_model" not in records[1] or records[1]["medium_model"] is None


def test_every_state_and_transition_has_its_french_label_and_form() -> None:
    from banques.devices.lifecycle import TRANSITIONS
    from banques.web import forms as web_forms

    assert set(web_forms.STATE_LABELS) == set(State)
    assert set(web_forms.ACTIONS) == set(TRANSITIONS)
    assert set(web_forms.FIELDS) == set(TRANSITIONS)


def test_device_page_links_to_the_erasure_certificate(
    engine: Engine, world: World, client: TestClient
) -> None:
    coordinator = world.a.users[Role.coordinator]
    tag = register(engine, world.a.users[Role.collector], serial="CERT1")
    walk(engine, world.a, tag, State.diagnosed)
    assert login(client, coordinator).status_code == 303
    link = f"/D/{tag}/certificat-effacement.pdf"
    assert link not in client.get(f"/D/{tag}").text
    assert client.get(link).status_code == 409  # no erasure yet
    walk_to = world.a.users[Role.technician]
    with db.transaction(engine) as session:
        service.apply_scan(
            session, principal_for(session, walk_to), scan(State.wiped, world.a, tag)
        )
    assert link in client.get(f"/D/{tag}").text
    pdf = client.get(link)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    client.cookies.clear()
    assert client.get(link, follow_redirects=False).status_code == 303
