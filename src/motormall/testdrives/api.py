"""Test-drive routes: booking either kind, reading and cancelling, the carmaker's tower policy.
The dealer's slot list and check-out/in live in `dealer_api`; the tower's release, return and
purchase in `tower_api`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from motormall.platform import idempotency, pages
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import (
    CurrentPrincipal,
    DbSession,
    ReadSession,
    idempotency_key,
    require,
)
from motormall.platform.errors import ERROR_RESPONSES
from motormall.testdrives import dealer, policy, schemas, service, tower

router = APIRouter(tags=["test drives"], responses=ERROR_RESPONSES)
Customer = Annotated[Principal, require(Role.customer)]
Admin = Annotated[Principal, require(Role.oem_admin)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


@router.post(
    "/test-drives",
    status_code=201,
    response_model=schemas.DriveOut,
    responses={
        403: {"description": "not_a_member, consent_required, credit_below_threshold"},
        409: {"description": "slot_taken, vehicle_unavailable, model_already_driven"},
        429: {"description": "quota_exceeded"},
    },
)
def book_drive(body: schemas.DriveIn, who: Customer, session: DbSession, key: IdempotencyKey):
    """Book a drive: a dealer slot (`start` is one of the free slots), or a tower car
    (`start` is when the customer will collect it; it is due back `tower_drive_days` later).
    A tower drive passes the gate first, in this order: membership, biometric consent,
    credit score, the rolling quota, the model not driven in the window, one live drive."""

    def work():
        book = dealer.book if body.kind == "dealer" else tower.book
        drive = book(session, who, body.vin, body.start, now=utcnow())
        return service.drive_out(session, drive).model_dump()

    return idempotency.respond(
        session,
        scope=f"{who.user_id}:test-drives",
        key=key,
        body=body.model_dump(mode="json"),
        work=work,
    )


@router.get("/me/test-drives", response_model=schemas.DriveList)
def my_drives(
    who: Customer,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    """The customer's drives, newest first."""
    before = pages.decode(cursor, tuple[dt.datetime, pages.KeyText]) if cursor else None
    rows = service.of_customer(session, who.user_id, limit=limit + 1, before=before)
    items = rows[:limit]
    next_cursor = (
        pages.encode([items[-1].start_at.isoformat(), items[-1].id]) if len(rows) > limit else None
    )
    return schemas.DriveList(
        items=[service.drive_out(session, d) for d in items], next_cursor=next_cursor
    )


@router.get("/test-drives/{drive_id}", response_model=schemas.DriveOut)
def read_drive(drive_id: str, who: CurrentPrincipal, session: ReadSession):
    return service.drive_out(session, service.get_for(session, who, drive_id))


@router.post("/test-drives/{drive_id}/cancel", response_model=schemas.DriveOut)
def cancel_drive(drive_id: str, who: CurrentPrincipal, session: DbSession):
    drive = service.cancel(session, who, drive_id, now=utcnow())
    return service.drive_out(session, drive)


@router.get("/admin/test-drives/policy", response_model=schemas.PolicyOut)
def read_policy(who: Admin, session: ReadSession):
    return policy.current(session)


@router.put("/admin/test-drives/policy", response_model=schemas.PolicyOut)
def put_policy(body: schemas.PolicyIn, who: Admin, session: DbSession):
    """Any subset of the policy's fields; each PUT is a new, audited version."""
    return policy.update(
        session, body.model_dump(exclude_none=True), actor_id=who.user_id, now=utcnow()
    )
