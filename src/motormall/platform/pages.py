"""List pagination by keyset: `?limit=&cursor=` → `{"items": [...], "next_cursor": ...}`."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from motormall.platform.errors import Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise Invalid(
            "invalid_cursor", "The cursor is not one this list returned; start over without it."
        ) from None


def page(session: Session, stmt: Select, key, *, limit: int, cursor: str | None):
    """Rows of `stmt` ordered by the unique column `key`, after `cursor`; returns
    (rows, next_cursor)."""
    if cursor:
        after = decode(cursor)
        if not isinstance(after, (int, str)):
            raise Invalid("invalid_cursor", "The cursor is damaged; start over without it.")
        stmt = stmt.where(key > after)
    rows = list(session.scalars(stmt.order_by(key).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode(getattr(rows[-1], key.key)) if more and rows else None
