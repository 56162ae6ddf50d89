"""Matching and merging customer accounts that are one person.

Accounts from different channels (an e-mail sign-up, a phone sign-up, a walk-in, a partner's
lead) are suggested as pairs when they share a normalised phone, an e-mail (trimmed, case
folded) or an ID-number hash. A merge is a row in `customer_merges`, never a rewrite of other
domains' rows, so undoing it restores both accounts exactly (customers/merges.py resolves).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from motormall.customers import identity
from motormall.customers.events import CustomersMerged, CustomersUnmerged
from motormall.customers.merges import accounts_of, survivor_of
from motormall.customers.models import CustomerIdentity, CustomerMerge
from motormall.platform import audit, events
from motormall.platform.auth import Principal, Role, User, revoke_tokens_of
from motormall.platform.errors import Conflict, NotFound

REASONS = ("phone", "email", "id_number")


@dataclass(frozen=True)
class Suggestion:
    a_id: str
    b_id: str
    reasons: tuple[str, ...]


def _live_merged():
    return select(CustomerMerge.merged_id).where(CustomerMerge.undone_at.is_(None))


def duplicates(
    session: Session, *, limit: int = 50, after: tuple[str, str] | None = None
) -> list[Suggestion]:
    """Pairs of standing customer accounts (a_id < b_id) that share a phone, an e-mail or an
    ID-number hash, ordered by (a_id, b_id); `after` is the last pair seen.

    One self-join per reason, unioned and grouped in the database: the work grows with the
    number of matches, not with a Python pass over every account."""
    a, b = aliased(User), aliased(User)
    ia, ib = aliased(CustomerIdentity), aliased(CustomerIdentity)
    standing = (
        (a.role == Role.customer.value)
        & (b.role == Role.customer.value)
        & (a.id < b.id)
        & a.id.not_in(_live_merged())
        & b.id.not_in(_live_merged())
    )

    def email(u):
        return func.lower(func.trim(u.email))

    by_phone = select(a.id.label("a"), b.id.label("b"), literal("phone").label("reason")).join(
        b, (a.phone == b.phone) & a.phone.is_not(None)
    )
    by_email = select(a.id, b.id, literal("email")).join(b, email(a) == email(b))
    by_id = (
        select(a.id, b.id, literal("id_number"))
        .join(ia, ia.customer_id == a.id)
        .join(ib, ib.id_number_hash == ia.id_number_hash)
        .join(b, b.id == ib.customer_id)
    )
    pairs = union_all(*(q.where(standing) for q in (by_phone, by_email, by_id))).subquery()
    flags = [func.max(case((pairs.c.reason == r, 1), else_=0)).label(r) for r in REASONS]
    stmt = select(pairs.c.a, pairs.c.b, *flags).group_by(pairs.c.a, pairs.c.b)
    if after is not None:
        stmt = stmt.where(
            or_(pairs.c.a > after[0], (pairs.c.a == after[0]) & (pairs.c.b > after[1]))
        )
    rows = session.execute(stmt.order_by(pairs.c.a, pairs.c.b).limit(limit))
    return [
        Suggestion(
            a_id=r[0], b_id=r[1], reasons=tuple(n for n, f in zip(REASONS, r[2:], strict=True) if f)
        )
        for r in rows
    ]


def _customer(session: Session, customer_id: str) -> User:
    user = session.get(User, customer_id)
    if user is None or user.role != Role.customer.value:
        raise NotFound("customer_not_found", f"No customer {customer_id}.")
    return user


def _id_hashes(session: Session, customer_id: str) -> set[str]:
    """The ID-number hashes on file for one customer and everything merged into it."""
    found = (identity.id_number_hash(session, c) for c in accounts_of(session, customer_id))
    return {h for h in found if h}


def merge(
    session: Session, who: Principal, merged_id: str, *, into: str, note: str, now: dt.datetime
) -> CustomerMerge:
    """Fold `merged_id` into `into` (the survivor). Refused when either is unknown (404), the
    same account, already merged (409), or when both have identity documents on file with
    different ID numbers (409 identity_conflict): two real people are never merged."""
    merged, survivor = _customer(session, merged_id), _customer(session, into)
    if merged.id == survivor.id:
        raise Conflict("merge_into_self", "An account cannot be merged into itself.")
    for user in (merged, survivor):
        if survivor_of(session, user.id) is not None:
            raise Conflict(
                "already_merged", f"Account {user.id} is already merged into another.", id=user.id
            )
    if survivor.id in accounts_of(session, merged.id):
        raise Conflict("already_merged", "The survivor is already part of this account.")
    mine, theirs = _id_hashes(session, merged.id), _id_hashes(session, survivor.id)
    if mine and theirs and mine != theirs:
        raise Conflict(
            "identity_conflict",
            "Both accounts have identity documents on file with different ID numbers.",
        )
    row = CustomerMerge(
        merged_id=merged.id, survivor_id=survivor.id, at=now, by_id=who.user_id, note=note
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent merge of the same account won
        raise Conflict("already_merged", f"Account {merged.id} is already merged.") from None
    revoke_tokens_of(session, merged.id, now=now)  # its sessions end with the login
    audit.record(
        session,
        actor_id=who.user_id,
        action="customer.merge",
        entity_type="customer_merge",
        entity_id=row.id,
        detail={"merged_id": merged.id, "survivor_id": survivor.id, "note": note},
    )
    events.publish(
        session,
        CustomersMerged(
            entity_id=str(row.id), customer_id=survivor.id, merged_id=merged.id, note=note, at=now
        ),
    )
    return row


def undo(session: Session, who: Principal, merge_id: int, *, now: dt.datetime) -> CustomerMerge:
    """Undo a merge: the merged account reads and logs in as its own again."""
    stmt = select(CustomerMerge).where(CustomerMerge.id == merge_id).with_for_update()
    row = session.scalar(stmt)
    if row is None:
        raise NotFound("merge_not_found", f"No merge {merge_id}.")
    if row.undone_at is not None:
        raise Conflict("merge_undone", f"Merge {merge_id} was already undone.")
    row.undone_at, row.undone_by_id = now, who.user_id
    session.flush()
    audit.record(
        session,
        actor_id=who.user_id,
        action="customer.unmerge",
        entity_type="customer_merge",
        entity_id=row.id,
        detail={"merged_id": row.merged_id, "survivor_id": row.survivor_id},
    )
    events.publish(
        session,
        CustomersUnmerged(
            entity_id=str(row.id), customer_id=row.survivor_id, merged_id=row.merged_id, at=now
        ),
    )
    return row


def recent(session: Session, *, limit: int = 50) -> list[CustomerMerge]:
    """The latest merges, undone ones included, newest first."""
    return list(
        session.scalars(select(CustomerMerge).order_by(CustomerMerge.id.desc()).limit(limit))
    )
