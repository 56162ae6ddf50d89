"""The carmaker's view of one customer: duplicate suggestions, merges and their undoing, and
the profile across every domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from motormall.customers import merging, profile, schemas
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession, require
from motormall.platform.errors import Invalid

router = APIRouter(tags=["customers"])
Admin = Annotated[Principal, require(Role.oem_admin)]
Staff = Annotated[Principal, require(Role.oem_admin, Role.dealer_staff, Role.dealer_manager)]


def _after(cursor: str | None) -> tuple[str, str] | None:
    if cursor is None:
        return None
    a, sep, b = cursor.partition(".")
    if not sep or not a or not b:
        raise Invalid("invalid_cursor", "The cursor is not one this endpoint gave.")
    return a, b


@router.get("/admin/customers/duplicates", response_model=schemas.Duplicates)
def duplicates(
    session: ReadSession,
    who: Admin,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=80, description="next_cursor of a page")] = None,
):
    """Pairs of customer accounts that are likely one person, with why: the same normalised
    phone, the same e-mail, or the same ID number (by its keyed hash)."""
    rows = merging.duplicates(session, limit=limit + 1, after=_after(cursor))
    items = [schemas.DuplicatePair(a=r.a_id, b=r.b_id, reasons=list(r.reasons)) for r in rows]
    more = len(items) > limit
    items = items[:limit]
    return schemas.Duplicates(
        items=items, next_cursor=f"{items[-1].a}.{items[-1].b}" if more else None
    )


def _merge_out(row) -> schemas.MergeOut:
    return schemas.MergeOut(
        id=row.id,
        merged_id=row.merged_id,
        survivor_id=row.survivor_id,
        at=row.at.isoformat(),
        note=row.note,
        undone_at=row.undone_at.isoformat() if row.undone_at else None,
    )


@router.post(
    "/admin/customers/{customer_id}/merge", status_code=201, response_model=schemas.MergeOut
)
def merge(customer_id: str, body: schemas.MergeIn, session: DbSession, who: Admin):
    """Fold this account into `into`. Reversible; refused (409 identity_conflict) when both
    accounts have identity documents with different ID numbers."""
    row = merging.merge(session, who, customer_id, into=body.into, note=body.note, now=utcnow())
    return _merge_out(row)


@router.post("/admin/customers/merges/{merge_id}/undo", response_model=schemas.MergeOut)
def undo(merge_id: int, session: DbSession, who: Admin):
    """Undo a merge: both accounts stand on their own again."""
    return _merge_out(merging.undo(session, who, merge_id, now=utcnow()))


@router.get("/customers/{customer_id}/profile", response_model=schemas.ProfileOut)
def customer_profile(customer_id: str, session: ReadSession, who: Staff):
    """Memberships, cars owned, open leads, test drives, orders, instalments, cases and
    consents of a customer and every account merged into it. Dealer staff: only customers
    who dealt with their dealer, and only those dealings (404 otherwise)."""
    p = profile.read(session, who, customer_id, now=utcnow())
    return schemas.ProfileOut(**p.__dict__)
