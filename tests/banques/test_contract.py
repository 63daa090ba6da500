"""Contract: requests generated from the OpenAPI document (schemathesis), for every
operation, as a coordinator: never a server error, and every refusal is an RFC 9457
problem (RELIABILITY.md §0).

Schemathesis' full conformance checks are not run: they also fail on semantic 422s
(a well-formed but unknown pagination cursor) and on ``application/problem+json``
answers that the OpenAPI document does not list for every operation."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from banques.accounts.models import Role
from banques.app import create_app
from banques.config import Settings
from tests.factories import World, auth


def _operations() -> list[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite://", migrate_on_start=False))
    paths = app.openapi()["paths"]
    return sorted((m.upper(), p) for p, ops in paths.items() for m in ops)


@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_server_error(app: FastAPI, world: World, method: str, path: str) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", app)[path][method]
    headers = auth(world.a.users[Role.coordinator])

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=operation.as_strategy())
    def call(case: schemathesis.Case[Any]) -> None:
        response = case.call(headers=headers)
        status = response.status_code
        assert status < 500, (method, path, response.text[:300])
        if status >= 400:
            assert response.headers["content-type"] == ["application/problem+json"]
            assert response.json()["status"] == status

    call()
