"""Rows locked many at once, and found again without a second locked read.

A batch job (the month-end collection run) locks the rows of a whole batch in one
`SELECT ... FOR UPDATE` in primary-key order, then hands each row to code that would lock it
again one by one (`session.get(..., with_for_update=True)`: one query each, the cost that made
a month-end run take 11 ms per instalment). `lock_all` remembers what this transaction holds;
`locked` answers those without a query and locks anything else itself. The memory holds the
rows themselves (the session's identity map holds them only weakly), ends with the outermost
transaction, and is kept only outside savepoints (a savepoint rolled back releases its locks
on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session

T = TypeVar("T")
_LOCKED, _KEPT = "motormall.locked", "motormall.kept"


def _key(row) -> object:
    return row.__mapper__.primary_key_from_instance(row)[0]


def lock_all(session: Session, model: type[T], ids: Iterable) -> dict:
    """Lock the rows of `model` with these primary keys, in key order, reading them fresh
    (rows this transaction locked already are not read again); returns them by key, missing
    rows left out."""
    held = session.info.get(_LOCKED, {})
    keys = sorted(set(ids))
    found = {k: held[(model, k)] for k in keys if (model, k) in held}
    wanted = [k for k in keys if k not in found]
    if wanted:
        pk = model.__mapper__.primary_key[0]
        rows = session.scalars(
            select(model)
            .where(pk.in_(wanted))
            .order_by(pk)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        remember(session, rows)
        found.update((_key(r), r) for r in rows)
    return found


def remember(session: Session, rows: Iterable) -> None:
    """Rows this transaction locked itself (a SKIP LOCKED batch query)."""
    if not session.in_nested_transaction():
        held = session.info.setdefault(_LOCKED, {})
        held.update(((type(r), _key(r)), r) for r in rows)


def keep(session: Session, rows: Iterable) -> None:
    """Keep rows read for a batch in the session until the transaction ends, so that
    `session.get` finds them without a query (the identity map alone would let them go)."""
    session.info.setdefault(_KEPT, []).extend(rows)


def locked(session: Session, model: type[T], key) -> T | None:
    """The row, locked: from this transaction's batch lock if `lock_all` took it, else
    read fresh under its own lock."""
    row = session.info.get(_LOCKED, {}).get((model, key))
    if row is not None:
        return row
    return session.get(model, key, with_for_update=True, populate_existing=True)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_LOCKED, None)
        session.info.pop(_KEPT, None)
