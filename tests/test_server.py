"""End to end: the README's demo command serves the demo bank on a real server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.server import banques_cli, running_server, service_env

pytestmark = pytest.mark.slow


def test_demo_is_idempotent_and_prints_credentials(tmp_path: Path) -> None:
    env = service_env(
        f"sqlite:///{tmp_path / 'demo.db'}", BANQUES_DEMO_PASSWORD="a-demo-password-1"
    )
    first = json.loads(banques_cli("demo", "--json", env=env).stdout)
    second = json.loads(banques_cli("demo", "--json", env=env).stdout)
    assert first["created"] is True
    assert second["created"] is False
    assert first["organisations"] == second["organisations"]
    roles = {u["role"] for u in first["users"]}
    assert roles == {
        "donor",
        "collector",
        "technician",
        "driver",
        "school_staff",
        "coordinator",
        "observer",
        "admin",
    }
    assert {u["password"] for u in first["users"]} == {"a-demo-password-1"}
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    engine = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with engine.connect() as conn:
        states = conn.execute(sql("SELECT state FROM device")).scalars().all()
    engine.dispose()
    assert len(states) == 9  # loaded once, not again on the second run
    assert {"registered", "collected", "received", "diagnosed"} == set(states)
    text = banques_cli("demo", env=env).stdout
    assert "coordinator@lyon.demo.banques-solidaires.org" in text


def test_serve_demo_answers_health_and_every_demo_user_logs_in(tmp_path: Path) -> None:
    env = service_env(f"sqlite:///{tmp_path / 'serve.db'}")
    with running_server(env, extra_args=["--demo"]) as server:
        health = httpx.get(f"{server.base_url}/health").json()
        assert health == {"status": "ok", "database": "sqlite"}
        assert httpx.get(f"{server.base_url}/docs").status_code == 200
        users = json.loads(banques_cli("demo", "--json", env=env).stdout)["users"]
        for user in users:
            token = httpx.post(
                f"{server.base_url}/api/v1/auth/token",
                data={"username": user["email"], "password": user["password"]},
            )
            assert token.status_code == 200, user["email"]
            me = httpx.get(
                f"{server.base_url}/api/v1/me",
                headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            )
            assert me.json()["user"]["role"] == user["role"]
            assert me.json()["bank"]["code"] == "LYO"


def test_cli_creates_a_user_and_an_api_key_that_works(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from banques.app import create_app
    from banques.config import Settings

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = service_env(url)
    orgs = json.loads(banques_cli("demo", "--json", env=env).stdout)["organisations"]
    atelier = next(o for o in orgs if o["kind"] == "association")
    banques_cli(
        "user",
        "create",
        "--email",
        "Nouveau.Tech@example.org",
        "--name",
        "Nouveau Technicien",
        "--role",
        "technician",
        "--organisation",
        atelier["id"],
        "--password",
        "a-long-enough-password",
        env=env,
    )
    key = banques_cli(
        "apikey",
        "create",
        "--email",
        "nouveau.tech@example.org",
        "--name",
        "douchette",
        env=env,
    ).stdout.strip()
    assert key.startswith("bsk_")
    app = create_app(Settings(database_url=url, _env_file=None))
    with TestClient(app) as client:
        me = client.get("/api/v1/me", headers={"X-API-Key": key})
        assert me.status_code == 200
        assert me.json()["user"]["role"] == "technician"
        token = client.post(
            "/api/v1/auth/token",
            data={
                "username": "nouveau.tech@example.org",
                "password": "a-long-enough-password",
            },
        )
        assert token.status_code == 200
    app.state.engine.dispose()
