"""Engines, sessions and migrations. The only module that commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic.config import Config
from fastapi import Request
from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlmodel import Session, SQLModel

from alembic import command
from banques.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION

ROOT = Path(__file__).resolve().parent.parent


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy (not pysqlite) emit BEGIN, so SAVEPOINTs work (SQLAlchemy's
    # documented recipe) and transactions take the write lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE: a transaction that reads then writes can't fail with a stale WAL
    # snapshot (SQLITE_BUSY_SNAPSHOT); writers queue on busy_timeout instead.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, pool_size: int = 8) -> Engine:
    """An engine for SQLite (foreign keys, WAL) or PostgreSQL (psycopg 3)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["database_url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (the only way it changes)."""
    command.upgrade(alembic_config(url), revision)


def check_durability(engine: Engine) -> None:
    """Refuse to run on a PostgreSQL server that may lose acknowledged commits."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        for name in ("fsync", "synchronous_commit", "full_page_writes"):
            value = conn.execute(text(f"SHOW {name}")).scalar_one()
            if value != "on":
                raise RuntimeError(
                    f"PostgreSQL {name}={value}: acknowledged scans could be lost"
                )


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: one transaction per request, committed on success."""
    with transaction(request.app.state.engine) as session:
        yield session


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def settings_engine(settings: Settings) -> Engine:
    return make_engine(settings.database_url, pool_size=settings.db_pool_size)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
