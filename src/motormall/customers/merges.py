"""Who is who after merges: read-time resolution of merged accounts (customers/merging.py
makes and undoes merges). Other domains' rows keep the customer id they were written with;
readers ask here which accounts make up one customer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.customers.models import CustomerMerge

# merges of merges are allowed; this bounds the walk should data ever loop
MAX_DEPTH = 16


def survivor_of(session: Session, customer_id: str) -> str | None:
    """The account `customer_id` is merged into now, or None when it stands on its own."""
    return session.scalar(
        select(CustomerMerge.survivor_id).where(
            CustomerMerge.merged_id == customer_id, CustomerMerge.undone_at.is_(None)
        )
    )


def accounts_of(session: Session, customer_id: str) -> list[str]:
    """`customer_id` first, then every account merged into it (directly or through another
    merged account), in the order they were found. One query per level of merging."""
    found = [customer_id]
    level = [customer_id]
    for _ in range(MAX_DEPTH):
        level = [
            m
            for m in session.scalars(
                select(CustomerMerge.merged_id)
                .where(CustomerMerge.survivor_id.in_(level), CustomerMerge.undone_at.is_(None))
                .order_by(CustomerMerge.id)
            )
            if m not in found
        ]
        if not level:
            break
        found += level
    return found


def standing(session: Session) -> dict[str, str]:
    """Every merged-away account and the account it belongs to now (the end of a chain of
    merges): what analytics counts as one person. Merges are few next to accounts."""
    direct = {
        merged: survivor
        for merged, survivor in session.execute(
            select(CustomerMerge.merged_id, CustomerMerge.survivor_id).where(
                CustomerMerge.undone_at.is_(None)
            )
        )
    }
    out = {}
    for merged, survivor in direct.items():
        for _ in range(MAX_DEPTH):
            if survivor not in direct:
                break
            survivor = direct[survivor]
        out[merged] = survivor
    return out
