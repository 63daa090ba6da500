"""Models and Alembic migrations agree, on the lane's engine."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from banques import db
from banques.models import metadata


def test_autogenerate_finds_no_difference(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_database_is_at_head(engine: Engine) -> None:
    script = ScriptDirectory.from_config(db.alembic_config(str(engine.url)))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    assert set(current) == set(script.get_heads())
    assert len(script.get_heads()) == 1, "migration history has branched"


def test_downgrade_to_base_and_up_again(database_url: str, engine: Engine) -> None:
    db.downgrade(database_url, "base")
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == ()
    db.upgrade(database_url)
    test_autogenerate_finds_no_difference(engine)
