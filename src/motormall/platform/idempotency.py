"""`Idempotency-Key` for POSTs that reserve a vehicle or move money.

The key row is inserted in the same transaction as the work it guards, so a concurrent repeat
waits on the key's unique constraint (or SQLite's write lock) and then sees the stored reply.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Integer, String, bindparam, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from motormall.platform.db import Base, UTCDateTime, insert_for, utcnow
from motormall.platform.errors import Invalid


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    # scope is the caller and the route, so two users' keys never collide
    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


_keys = IdempotencyRecord.__table__


@dataclass
class Replay:
    status_code: int
    body: Any


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def begin(session: Session, *, scope: str, key: str | None, body: Any) -> Replay | None:
    """Claim `key` for this request, or return the reply stored for an identical earlier one.

    The same key with a different body is refused with 422 `idempotency_key_reused`.
    """
    if key is None:
        return None
    if not 1 <= len(key) <= 200:
        raise Invalid("invalid_idempotency_key", "Idempotency-Key must be 1 to 200 characters.")
    digest = request_hash(body)
    claim = (
        insert_for(session)(_keys)
        .values(scope=scope, key=key, request_hash=digest, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["scope", "key"])
        .returning(_keys.c.key)  # psycopg reports no row count for it
    )
    if session.execute(claim).first() is not None:
        return None
    # used before, or by a concurrent request that committed first (PostgreSQL waits for it
    # at the key's index): answer as it did
    row = session.get(IdempotencyRecord, (scope, key), populate_existing=True)
    if row.request_hash != digest:
        raise Invalid(
            "idempotency_key_reused",
            "This Idempotency-Key was used with a different request body; use a new key.",
        )
    return Replay(row.status_code or 200, row.response)


# "this caller already used this key here" as a clause for a caller's one-statement read
# (`orders.refusal.plainly_unavailable`): a used key must replay its stored reply
KEY_USED = (
    select(_keys.c.key)
    .where(_keys.c.scope == bindparam("key_scope"), _keys.c.key == bindparam("key"))
    .exists()
)


def finish(session: Session, *, scope: str, key: str | None, status_code: int, body: Any) -> None:
    if key is None:
        return
    session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
        .values(status_code=status_code, response=body)
    )


def purge_expired(session: Session, *, older_than: dt.datetime) -> int:
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < older_than)
    )
    return result.rowcount or 0


def respond(
    session: Session, *, scope: str, key: str | None, body: Any, work, status_code: int = 201
):
    """Run `work()` (returning a JSON-able dict) at most once per key and body; a repeat gets
    the first response. The route's transaction commits the key with the work."""
    from fastapi.responses import JSONResponse

    replay = begin(session, scope=scope, key=key, body=body)
    if replay is not None:
        return JSONResponse(
            replay.body, status_code=replay.status_code, headers={"Idempotent-Replayed": "true"}
        )
    result = work()
    finish(session, scope=scope, key=key, status_code=status_code, body=result)
    return JSONResponse(result, status_code=status_code)
