"""Fixtures: one database per test on SQLite (default) or PostgreSQL.

Set ``BANQUES_TEST_DATABASE_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1/postgres``)
to run the database tests on PostgreSQL: each xdist worker gets its own database,
migrated once by Alembic and truncated after each test. Without it, each test gets a
copy of a SQLite file migrated once by Alembic.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, make_url, text
from sqlmodel import Session

from banques import db
from banques.app import create_app
from banques.config import Environment, Settings
from banques.models import metadata
from tests.factories import World, make_world

settings.register_profile(
    "ci",
    max_examples=100,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

PG_URL = os.environ.get("BANQUES_TEST_DATABASE_URL")
TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnop"


def pytest_report_header() -> str:
    return f"database lane: {'postgresql' if PG_URL else 'sqlite'}"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: a SQLite file to copy, or a PostgreSQL database."""
    if PG_URL is None:
        path = tmp_path_factory.mktemp("template") / "template.db"
        db.upgrade(f"sqlite:///{path}")
        yield str(path)
        return
    name = f"banques_test_{_worker()}_{os.getpid()}"
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    db.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(_template: str, tmp_path: Path) -> str:
    if PG_URL is None:
        target = tmp_path / "test.db"
        shutil.copyfile(_template, target)
        return f"sqlite:///{target}"
    return _template


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.make_engine(database_url, pool_size=4)
    yield engine
    if engine.dialect.name == "postgresql":
        truncate_all(engine)
    engine.dispose()


def truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for service tests; tests flush, nothing is committed."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.rollback()


@pytest.fixture
def app_settings(database_url: str) -> Settings:
    return Settings(
        environment=Environment.test,
        database_url=database_url,
        secret_key=TEST_SECRET,
        migrate_on_start=False,
        _env_file=None,
    )


@pytest.fixture
def app(app_settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    app = create_app(app_settings)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def world(engine: Engine) -> World:
    """Two banks, each with every kind of organisation and a user per role."""
    with db.transaction(engine) as session:
        return make_world(session)


@pytest.fixture(scope="session")
def pg_url() -> str:
    if PG_URL is None:
        pytest.skip("PostgreSQL lane only (BANQUES_TEST_DATABASE_URL)")
    return PG_URL


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "postgres" in item.keywords and PG_URL is None:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL lane only"))
