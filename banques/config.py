"""Service settings, read from the environment (prefix ``BANQUES_``)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-secret-change-me-0123456789abcdef"
DEFAULT_DATABASE_URL = "sqlite:///var/banques.db"


class Environment(StrEnum):
    dev = "dev"
    demo = "demo"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """All configuration of the service. See the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="BANQUES_", env_file=".env", extra="ignore", frozen=True
    )

    environment: Environment = Environment.dev
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("BANQUES_DATABASE_URL", "DATABASE_URL"),
    )
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Pages' sessions: ended after this long without a request, and at the latest
    # this long after login (a working day in a workshop).
    web_session_idle_minutes: int = Field(default=240, ge=5, le=24 * 60)
    web_session_hours: int = Field(default=12, ge=1, le=7 * 24)
    base_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    login_attempts_per_minute: int = Field(default=10, ge=1)
    db_pool_size: int = Field(default=8, ge=1)
    # Threads running the sync endpoints (AnyIO's default is 40); None keeps it.
    threadpool_size: int | None = Field(default=None, ge=1)
    demo_password: SecretStr | None = None
    migrate_on_start: bool = True
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment is Environment.production:
            secret = self.secret_key.get_secret_value()
            if secret == DEFAULT_SECRET or len(secret) < 32:
                raise ValueError(
                    "BANQUES_SECRET_KEY must be set to a random value of at least "
                    "32 characters in production"
                )
        return self

    @property
    def docs_enabled(self) -> bool:
        return self.environment is not Environment.production

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The database file of a SQLite URL (None for in-memory or other engines)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split("///", 1)[-1]
        return None if path in ("", ":memory:") else Path(path)


@lru_cache
def get_settings() -> Settings:
    return Settings()
