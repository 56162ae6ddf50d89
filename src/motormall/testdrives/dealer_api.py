"""Dealer test-drive routes: free slots, moving a booking, and the dealer's side (calendar,
check-out, check-in, no-show, the slot settings)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from motormall.customers.contacts import contacts_of
from motormall.platform import idempotency
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession, idempotency_key, require
from motormall.platform.errors import ERROR_RESPONSES
from motormall.testdrives import dealer, schemas, service

router = APIRouter(tags=["test drives"], responses=ERROR_RESPONSES)
Customer = Annotated[Principal, require(Role.customer)]
DealerStaff = Annotated[Principal, require(Role.dealer_staff, Role.dealer_manager)]
Manager = Annotated[Principal, require(Role.dealer_manager)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
DriveId = Annotated[str, Path(max_length=40)]


@router.get("/dealers/{code}/test-drive-slots", response_model=schemas.SlotsOut)
def test_drive_slots(
    code: str,
    session: ReadSession,
    date: Annotated[dt.date, Query()],
    vin: Annotated[str | None, Query(max_length=40)] = None,
):
    """Free slots on `date` (the dealer's local date), in UTC; with `vin`, only those when
    that car is free too (none if the car cannot be driven now)."""
    found, slots = dealer.free_slots(session, code, date, vin or None, now=utcnow())
    return schemas.SlotsOut(
        dealer=found.code,
        date=date,
        items=[schemas.SlotOut(start=s.isoformat(), end=e.isoformat()) for s, e in slots],
    )


@router.post(
    "/test-drives/{drive_id}/reschedule",
    response_model=schemas.DriveOut,
    responses={409: {"description": "slot_taken, not_reschedulable, vehicle_unavailable"}},
)
def reschedule_drive(
    drive_id: DriveId,
    body: schemas.RescheduleIn,
    who: Customer,
    session: DbSession,
    key: IdempotencyKey,
):
    """Move a booked dealer drive to another free slot (the old one is freed)."""

    def work():
        drive = dealer.reschedule(session, who, drive_id, body.start, now=utcnow())
        return service.drive_out(session, drive).model_dump()

    return idempotency.respond(
        session,
        scope=f"{who.user_id}:test-drives/{drive_id}/reschedule",
        key=key,
        body=body.model_dump(mode="json"),
        work=work,
        status_code=200,
    )


@router.post("/test-drives/{drive_id}/check-out", response_model=schemas.DriveOut)
def check_out(drive_id: DriveId, body: schemas.OdometerIn, who: DealerStaff, session: DbSession):
    """The customer drives off (the dealer's own drives; others 404)."""
    drive = dealer.check_out(session, who, drive_id, odometer_km=body.odometer_km, now=utcnow())
    return service.drive_out(session, drive)


@router.post("/test-drives/{drive_id}/check-in", response_model=schemas.DriveOut)
def check_in(drive_id: DriveId, body: schemas.OdometerIn, who: DealerStaff, session: DbSession):
    drive = dealer.check_in(session, who, drive_id, odometer_km=body.odometer_km, now=utcnow())
    return service.drive_out(session, drive)


@router.post("/test-drives/{drive_id}/no-show", response_model=schemas.DriveOut)
def no_show(drive_id: DriveId, who: DealerStaff, session: DbSession):
    drive = dealer.no_show(session, who, drive_id, now=utcnow())
    return service.drive_out(session, drive)


def calendar_out(session: Session, dealer_id: int, day: dt.date) -> schemas.CalendarOut:
    rows = dealer.calendar(session, dealer_id, day)
    # the customer booked with this dealer: their contact is the dealer's to use
    contacts = contacts_of(session, [d.customer_id for d, _ in rows])
    items = []
    for drive, lane in rows:
        who = contacts.get(drive.customer_id)
        items.append(
            schemas.CalendarItem(
                **service.drive_out(session, drive).model_dump(),
                lane=lane,
                customer_name=who.name if who else "",
                customer_phone=who.phone if who else None,
            )
        )
    return schemas.CalendarOut(date=day, items=items)


@router.get("/dealer/test-drives", response_model=schemas.CalendarOut)
def dealer_calendar(
    who: DealerStaff, session: ReadSession, date: Annotated[dt.date | None, Query()] = None
):
    """The dealer's drives on `date` (its local date; today by default), by slot."""
    day = date or dealer.today(session, who.dealer_id, utcnow())
    return calendar_out(session, who.dealer_id, day)


@router.get("/dealer/test-drive-schedule", response_model=schemas.ScheduleOut)
def read_schedule(who: DealerStaff, session: ReadSession):
    s = dealer.schedule_of(session, who.dealer_id)
    return schemas.ScheduleOut(slot_minutes=s.slot_minutes, lanes=s.lanes)


@router.put("/dealer/test-drive-schedule", response_model=schemas.ScheduleOut)
def put_schedule(body: schemas.ScheduleIn, who: Manager, session: DbSession):
    """Slot length (minutes, a multiple of 15) and lanes (drives at once)."""
    s = dealer.set_schedule(
        session, who.dealer_id, slot_minutes=body.slot_minutes, lanes=body.lanes
    )
    return schemas.ScheduleOut(slot_minutes=s.slot_minutes, lanes=s.lanes)
