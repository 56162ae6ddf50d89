"""List pagination by keyset: `?limit=&cursor=` → `{"items": [...], "next_cursor": ...}`."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from pydantic import Field, Strict, TypeAdapter, ValidationError
from sqlalchemy import Select
from sqlalchemy.orm import Session

from motormall.platform.errors import Invalid
from motormall.platform.ids import RecordId

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


KeyText = Annotated[str, Field(max_length=200)]
KeyId = Annotated[RecordId, Strict()]  # what encode() wrote: a JSON integer, not true or 1.5


def decode(cursor: str, shape: Any = Any) -> Any:
    """The value inside a cursor, checked against `shape` (a type pydantic validates), so a
    forged cursor is 422 `invalid_cursor` and never reaches the database as a bad value."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return TypeAdapter(shape).validate_python(raw)
    except (ValueError, UnicodeDecodeError, ValidationError):
        raise Invalid(
            "invalid_cursor", "The cursor is not one this list returned; start over without it."
        ) from None


def page(session: Session, stmt: Select, key, *, limit: int, cursor: str | None):
    """Rows of `stmt` ordered by the unique column `key`, after `cursor`; returns
    (rows, next_cursor)."""
    if cursor:
        after = decode(cursor, KeyId if key.type.python_type is int else KeyText)
        stmt = stmt.where(key > after)
    rows = list(session.scalars(stmt.order_by(key).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode(getattr(rows[-1], key.key)) if more and rows else None
