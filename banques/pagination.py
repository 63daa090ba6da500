"""Keyset (cursor) pagination shared by every list endpoint."""

from __future__ import annotations

import uuid
from typing import Any, Protocol, TypeVar

from sqlmodel import Session
from sqlmodel.sql.expression import SelectOfScalar

from banques.errors import Invalid
from banques.schemas import decode_cursor, encode_cursor


class HasId(Protocol):
    id: uuid.UUID


M = TypeVar("M", bound=HasId)


def keyset_page(
    session: Session,
    query: SelectOfScalar[M],
    id_col: Any,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[M], str | None]:
    """One page ordered by a UUID key, and the cursor of the next page."""
    if cursor is not None:
        try:
            after = uuid.UUID(decode_cursor(cursor))
        except ValueError as exc:
            raise Invalid("Curseur de pagination invalide.") from exc
        query = query.where(id_col > after)
    rows = list(session.exec(query.order_by(id_col).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(str(rows[-1].id)) if more and rows else None)
