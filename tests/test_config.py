from __future__ import annotations

import pytest
from pydantic import ValidationError

from banques.config import DEFAULT_SECRET, Environment, Settings


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BANQUES_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="BANQUES_SECRET_KEY"):
        Settings(environment=Environment.production, _env_file=None)
    with pytest.raises(ValidationError, match="BANQUES_SECRET_KEY"):
        Settings(environment=Environment.production, secret_key="short", _env_file=None)


def test_production_accepts_a_real_secret() -> None:
    settings = Settings(
        environment=Environment.production,
        secret_key="x" * 40,
        _env_file=None,
    )
    assert not settings.docs_enabled


def test_dev_defaults_to_a_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "BANQUES_DATABASE_URL", "BANQUES_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("sqlite:///")
    assert settings.secret_key.get_secret_value() == DEFAULT_SECRET
    assert settings.docs_enabled


@pytest.mark.parametrize("name", ["DATABASE_URL", "BANQUES_DATABASE_URL"])
def test_database_url_from_environment(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("BANQUES_DATABASE_URL", raising=False)
    monkeypatch.setenv(name, "postgresql+psycopg://u@h/db")
    assert Settings(_env_file=None).database_url == "postgresql+psycopg://u@h/db"


def test_docs_are_off_in_production(database_url: str) -> None:
    from fastapi.testclient import TestClient

    from banques.app import create_app

    app = create_app(
        Settings(
            environment=Environment.production,
            secret_key="y" * 40,
            database_url=database_url,
            migrate_on_start=False,
            _env_file=None,
        )
    )
    with TestClient(app) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404
        assert client.get("/health").status_code == 200
    app.state.engine.dispose()
