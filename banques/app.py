"""The application factory: nothing is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import text

from banques import db
from banques.accounts.ratelimit import FailureLimiter
from banques.accounts.routes import router as accounts_router
from banques.config import Settings, get_settings
from banques.devices.routes import router as devices_router
from banques.documents.jobs import JobRunner
from banques.documents.routes import router as documents_router
from banques.errors import BodySizeLimit, install_error_handlers
from banques.web.routes import router as web_router

log = logging.getLogger(__name__)

API_DESCRIPTION = """
Backend logistique des **banques solidaires du numérique éducatif** : suivi des
ordinateurs donnés (chaîne de responsabilité), tournées, étiquettes QR et documents,
connexions subventionnées.

Authentification : `POST /api/v1/auth/token` (OAuth2 *password*) puis
`Authorization: Bearer <jeton>`, ou `X-API-Key: <clé>` pour les clients machines.
Les erreurs suivent la RFC 9457 (`application/problem+json`).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = db.settings_engine(settings)
    if settings.migrate_on_start:
        db.upgrade(settings.database_url)
    db.check_durability(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.threadpool_size is not None:
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = settings.threadpool_size
        # Print jobs run in every server process (claims are exclusive).
        runner = JobRunner(engine, base_url=settings.base_url)
        runner.start()
        _app.state.job_runner = runner
        try:
            yield
        finally:
            _app.state.job_runner = None
            await anyio.to_thread.run_sync(runner.shutdown)

    app = FastAPI(
        lifespan=lifespan,
        title="Banques solidaires du numérique éducatif",
        version="0.1.0",
        description=API_DESCRIPTION,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.job_runner = None  # set while the app runs (lifespan)
    app.state.login_limiter = FailureLimiter(
        settings.login_attempts_per_minute,
        secret=settings.secret_key.get_secret_value(),
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    @app.get("/health", tags=["santé"])
    def health() -> dict[str, str]:
        """État du service et de sa base de données."""
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "database": engine.dialect.name}

    app.include_router(accounts_router)
    app.include_router(devices_router)
    app.include_router(documents_router)
    app.include_router(web_router)
    return app
