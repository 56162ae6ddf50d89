"""What both kinds of test drive share: finding a drive the caller may see, listing a
customer's drives, cancelling, announcing. No HTTP; flushes, never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.catalog import stock
from motormall.catalog.models import Dealer, Tower
from motormall.platform import events
from motormall.platform.auth import Principal, Role
from motormall.platform.errors import Conflict, DomainError, NotFound
from motormall.testdrives import rules, schemas
from motormall.testdrives.events import DriveEvent, TestDriveCancelled
from motormall.testdrives.models import CarSlot, DealerSlot, TestDrive

CODE_TRIES = 5  # 31^8 codes: a second collision in a row means something else is wrong


def booked(who: Principal, vehicle, *, kind: str, start, ends_at, now, **extra):
    """What `add_with_code` builds: `who`'s booked drive of `vehicle` (its dealer's) under a
    code; `extra`: the kind's own columns."""
    return lambda code: TestDrive(
        code=code,
        kind=kind,
        status="booked",
        customer_id=who.user_id,
        vehicle_id=vehicle.id,
        vin=vehicle.vin,
        brand_id=vehicle.brand_id,
        model_id=vehicle.model_id,
        dealer_id=vehicle.dealer_id,
        start_at=start,
        ends_at=ends_at,
        created_at=now,
        **extra,
    )


def add_with_code(
    session: Session,
    make: Callable[[str], TestDrive],
    *,
    refusal: Callable[[], DomainError | None] = lambda: None,
) -> TestDrive:
    """Insert the drive `make(code)` builds under a fresh kiosk code. A unique index decides
    a collision: `refusal()` names the caller's own reason (another live drive) if that was
    it; otherwise the code was taken and another is drawn."""
    for attempt in range(CODE_TRIES):
        drive = make(rules.new_code())
        try:
            with session.begin_nested():
                session.add(drive)
                session.flush()
            return drive
        except IntegrityError:
            if (error := refusal()) is not None:
                raise error from None
            if attempt == CODE_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def not_found(drive_id: str) -> NotFound:
    return NotFound("test_drive_not_found", f"No test drive {drive_id!r}.")


def may_see(who: Principal, drive: TestDrive) -> bool:
    if who.is_admin:
        return True
    if who.role == Role.customer:
        return drive.customer_id == who.user_id
    if who.is_dealer:
        return drive.dealer_id == who.dealer_id
    if who.role == Role.tower:
        return drive.tower_id is not None and drive.tower_id == who.tower_id
    return False


def get_for(session: Session, who: Principal, drive_id: str, *, lock: bool = False) -> TestDrive:
    """The drive, if `who` may see it; someone else's is 404, never 403."""
    stmt = select(TestDrive).where(TestDrive.id == drive_id)
    drive = session.scalar(stmt.with_for_update() if lock else stmt)
    if drive is None or not may_see(who, drive):
        raise not_found(drive_id)
    return drive


def of_customer(
    session: Session, customer_id: str, *, limit: int = 50, before: tuple | None = None
) -> list[TestDrive]:
    """Newest first by start; `before` is the (start, id) of the last drive seen."""
    stmt = select(TestDrive).where(TestDrive.customer_id == customer_id)
    if before is not None:
        at, drive_id = before
        stmt = stmt.where(
            (TestDrive.start_at < at) | ((TestDrive.start_at == at) & (TestDrive.id < drive_id))
        )
    order = (TestDrive.start_at.desc(), TestDrive.id.desc())
    return list(session.scalars(stmt.order_by(*order).limit(limit)))


def announce(session: Session, drive: TestDrive, event: type[DriveEvent], *, now: dt.datetime):
    events.publish(
        session,
        event(
            entity_id=drive.id,
            customer_id=drive.customer_id,
            dealer_ids=(drive.dealer_id,),
            at=now,
            kind=drive.kind,
            vin=drive.vin,
            model_id=drive.model_id,
        ),
    )


def free_hold(session: Session, drive: TestDrive, *, now: dt.datetime) -> None:
    """Let go of what the booking held: a dealer drive's slot and car-slot rows, a tower
    drive's claim on the car."""
    if drive.kind == "dealer":
        session.execute(delete(DealerSlot).where(DealerSlot.drive_id == drive.id))
        session.execute(delete(CarSlot).where(CarSlot.drive_id == drive.id))
    else:
        stock.release(session, drive.vehicle_id, now=now)


def cancel(session: Session, who: Principal, drive_id: str, *, now: dt.datetime) -> TestDrive:
    """The customer (or the dealer, or the carmaker) cancels a drive that has not started.
    Cancelling twice is harmless."""
    drive = get_for(session, who, drive_id, lock=True)
    if drive.status == "cancelled":
        return drive
    if drive.status != "booked":
        raise Conflict(
            "not_cancellable", f"The drive is {drive.status}; only a booked drive can be cancelled."
        )
    free_hold(session, drive, now=now)
    drive.status = "cancelled"
    drive.cancelled_at = now
    announce(session, drive, TestDriveCancelled, now=now)
    session.flush()
    return drive


def drive_out(session: Session, drive: TestDrive, *, show_code: bool = True) -> schemas.DriveOut:
    dealer = session.get(Dealer, drive.dealer_id)
    tower = session.get(Tower, drive.tower_id) if drive.tower_id else None
    iso = lambda t: t.isoformat() if t else None  # noqa: E731
    return schemas.DriveOut(
        id=drive.id,
        status=drive.status,
        kind=drive.kind,
        vin=drive.vin,
        start=drive.start_at.isoformat(),
        ends_at=drive.ends_at.isoformat(),
        dealer=dealer.code,
        tower=tower.code if tower else None,
        code=drive.code if show_code else None,
        lead_id=drive.lead_id,
        order_id=drive.order_id,
        out_at=iso(drive.out_at),
        returned_at=iso(drive.returned_at),
        odometer_out_km=drive.odometer_out_km,
        odometer_in_km=drive.odometer_in_km,
    )
