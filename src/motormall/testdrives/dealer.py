"""Dealer test drives: free slots, booking a slot and the car for it, rescheduling, checking the
car out and in, no-shows, the dealer's calendar. No HTTP; flushes, never commits.

A booking holds its time in quarter-hour ticks (slot lengths are multiples of 15 minutes):
the car for each tick (`CarSlot`, primary key car + tick) and one lane of the dealer's for each
tick (`DealerSlot`, primary key dealer + tick + lane). So the primary keys refuse an overlap
even after the dealer changes the slot length, when old and new slots start at different
times. The car rows go first: a booking that loses them stops (409 `slot_taken`), one that
loses a lane tries the next lane. The car itself stays `available` until the dealer checks it
out, when catalog's claim moves it to `test_drive` (an order that reserved it meanwhile wins:
409 `vehicle_unavailable`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.catalog import stock
from motormall.catalog.listing import find_vehicle
from motormall.catalog.models import Dealer, Vehicle, VehicleStatus
from motormall.catalog.service import dealer_by_code
from motormall.leads import service as leads
from motormall.platform.auth import Principal
from motormall.platform.errors import Conflict, Invalid, NotFound
from motormall.testdrives import rules, service
from motormall.testdrives.events import (
    TestDriveBooked,
    TestDriveNoShow,
    TestDriveOut,
    TestDriveRescheduled,
    TestDriveReturned,
)
from motormall.testdrives.models import CarSlot, DealerSchedule, DealerSlot, TestDrive


@dataclass(frozen=True)
class Schedule:
    slot_minutes: int
    lanes: int

    @property
    def length(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.slot_minutes)


def schedule_of(session: Session, dealer_id: int) -> Schedule:
    row = session.get(DealerSchedule, dealer_id)
    if row is None:
        return Schedule(rules.SLOT_MINUTES, rules.LANES)
    return Schedule(row.slot_minutes, row.lanes)


def set_schedule(session: Session, dealer_id: int, *, slot_minutes: int, lanes: int) -> Schedule:
    """A dealer's slot length and lanes (drives at once). Bookings already made keep their
    times; new slots follow the new grid."""
    row = session.get(DealerSchedule, dealer_id, with_for_update=True)
    if row is None:
        row = DealerSchedule(dealer_id=dealer_id, slot_minutes=slot_minutes, lanes=lanes)
        session.add(row)
    else:
        row.slot_minutes, row.lanes = slot_minutes, lanes
    session.flush()
    return Schedule(slot_minutes, lanes)


# --- the car and the slots ------------------------------------------------------------------


def _dealer_car(session: Session, who: Principal | None, vin: str, dealer: Dealer | None = None):
    """The car by VIN as `who` may see it, standing at its dealer (at `dealer`, if given)."""
    vehicle = find_vehicle(session, vin, who)
    if dealer is not None and vehicle.dealer_id != dealer.id:
        raise NotFound("vehicle_not_found", f"{dealer.code} has no car {vehicle.vin}.")
    if vehicle.tower_id is not None:
        raise Invalid(
            "vehicle_at_tower",
            "This car stands in a tower: book a tower test drive for it.",
            tower=vehicle.tower.code,
        )
    return vehicle


def free_slots(
    session: Session, code: str, day: dt.date, vin: str | None, *, now: dt.datetime
) -> tuple[Dealer, list[tuple[dt.datetime, dt.datetime]]]:
    """The dealer's free slots on `day` (its local date), (start, end) in UTC: a lane free and,
    with `vin`, that car not booked then. A car that cannot be driven now has none."""
    dealer = dealer_by_code(session, code)
    vehicle = _dealer_car(session, None, vin, dealer) if vin else None
    if rules.too_far_ahead(day, dealer.timezone, now):
        raise Invalid(
            "date_too_far_ahead",
            f"Test drives can be booked up to {rules.HORIZON_DAYS} days ahead.",
        )
    if vehicle is not None and vehicle.status != VehicleStatus.available:
        return dealer, []
    sched = schedule_of(session, dealer.id)
    starts = rules.slot_starts(
        dealer.opening_hours, dealer.timezone, day, minutes=sched.slot_minutes, now=now
    )
    if not starts:
        return dealer, []
    until = starts[-1] + sched.length
    lanes_at: dict[dt.datetime, set[int]] = {}
    for tick, lane in session.execute(
        select(DealerSlot.slot_start, DealerSlot.lane).where(
            DealerSlot.dealer_id == dealer.id,
            DealerSlot.slot_start >= starts[0],
            DealerSlot.slot_start < until,
        )
    ):
        lanes_at.setdefault(tick.astimezone(dt.UTC), set()).add(lane)
    car_busy = set()
    if vehicle is not None:
        car_busy = {
            t.astimezone(dt.UTC)
            for t in session.scalars(
                select(CarSlot.slot_start).where(
                    CarSlot.vehicle_id == vehicle.id,
                    CarSlot.slot_start >= starts[0],
                    CarSlot.slot_start < until,
                )
            )
        }

    def is_free(start: dt.datetime) -> bool:
        span = ticks(start, sched.length)
        busy = set().union(*(lanes_at.get(t, set()) for t in span))
        free_lane = any(lane not in busy for lane in range(1, sched.lanes + 1))
        return free_lane and not car_busy.intersection(span)

    return dealer, [(s, s + sched.length) for s in starts if is_free(s)]


def _check_start(dealer: Dealer, sched: Schedule, start: dt.datetime, now: dt.datetime):
    start = start.astimezone(dt.UTC)
    why = rules.slot_problem(
        dealer.opening_hours, dealer.timezone, start, minutes=sched.slot_minutes, now=now
    )
    if why == "slot_in_past":
        raise Invalid(why, "That slot has already begun; choose a later one.")
    if why:
        raise Invalid(why, "That is not a slot start within the dealer's opening hours.")
    if rules.too_far_ahead(
        start.astimezone(ZoneInfo(dealer.timezone)).date(), dealer.timezone, now
    ):
        raise Invalid(
            "date_too_far_ahead",
            f"Test drives can be booked up to {rules.HORIZON_DAYS} days ahead.",
        )
    return start


def _taken() -> Conflict:
    return Conflict("slot_taken", "That slot was just taken; choose another one.")


TICK = dt.timedelta(minutes=15)  # every slot length is a multiple (schemas.ScheduleIn)


def ticks(start: dt.datetime, length: dt.timedelta) -> list[dt.datetime]:
    return [start + TICK * k for k in range(length // TICK)]


def _hold(session: Session, drive: TestDrive, sched: Schedule, start: dt.datetime) -> int:
    """Hold the car and the first free lane for every tick of the slot at `start` (ticks the
    drive already holds, when it moves, are kept); the lane, or 409 `slot_taken` with nothing
    more held. The primary keys decide a race."""
    span = ticks(start, sched.length)
    with session.begin_nested():  # all or nothing: a lost lane race leaves no car row behind
        own_car = set(
            session.scalars(select(CarSlot.slot_start).where(CarSlot.drive_id == drive.id))
        )
        try:
            with session.begin_nested():
                session.add_all(
                    CarSlot(vehicle_id=drive.vehicle_id, slot_start=t, drive_id=drive.id)
                    for t in span
                    if t not in own_car
                )
                session.flush()
        except IntegrityError:
            raise _taken() from None  # this car is booked then (maybe in another lane)
        held = session.execute(
            select(DealerSlot.lane, DealerSlot.slot_start, DealerSlot.drive_id).where(
                DealerSlot.dealer_id == drive.dealer_id, DealerSlot.slot_start.in_(span)
            )
        ).all()
        busy = {lane for lane, _, by in held if by != drive.id}
        for lane in range(1, sched.lanes + 1):
            if lane in busy:
                continue
            mine = {
                t.astimezone(dt.UTC)
                for held_lane, t, by in held
                if by == drive.id and held_lane == lane
            }
            try:
                with session.begin_nested():
                    session.add_all(
                        DealerSlot(
                            dealer_id=drive.dealer_id, slot_start=t, lane=lane, drive_id=drive.id
                        )
                        for t in span
                        if t not in mine
                    )
                    session.flush()
            except IntegrityError:
                continue  # another booking took this lane a moment ago
            return lane
        raise _taken()


def _let_go(session: Session, drive: TestDrive, start: dt.datetime, length, lane: int) -> None:
    """After a move: give back every tick the drive held outside its new slot and lane."""
    span = ticks(start, length)
    session.execute(
        delete(DealerSlot).where(
            DealerSlot.drive_id == drive.id,
            (DealerSlot.lane != lane) | DealerSlot.slot_start.not_in(span),
        )
    )
    session.execute(
        delete(CarSlot).where(CarSlot.drive_id == drive.id, CarSlot.slot_start.not_in(span))
    )


# --- booking --------------------------------------------------------------------------------


def book(
    session: Session, who: Principal, vin: str, start: dt.datetime, *, now: dt.datetime
) -> TestDrive:
    """Book `start` (one of the free slots) at the dealer whose car `vin` is. The booking
    joins the customer's lead with that dealer, or opens one."""
    vehicle = _dealer_car(session, who, vin)
    if vehicle.status != VehicleStatus.available:
        raise Conflict(
            "vehicle_unavailable",
            "This car is not available for a test drive.",
            vehicle_status=vehicle.status,
        )
    dealer = vehicle.dealer
    sched = schedule_of(session, dealer.id)
    start = _check_start(dealer, sched, start, now)
    drive = service.add_with_code(
        session,
        service.booked(
            who, vehicle, kind="dealer", start=start, ends_at=start + sched.length, now=now
        ),
    )
    _hold(session, drive, sched, start)
    lead = leads.join_test_drive(
        session, who.user_id, vehicle, note=f"{vehicle.vin} {start.isoformat()}", now=now
    )
    drive.lead_id = lead.id
    service.announce(session, drive, TestDriveBooked, now=now)
    session.flush()
    return drive


def reschedule(
    session: Session, who: Principal, drive_id: str, start: dt.datetime, *, now: dt.datetime
) -> TestDrive:
    """Move the customer's booked drive to another slot: the new slot is taken before the old
    one is let go, so a lost race leaves the booking where it was. Moving to where it already
    is changes nothing."""
    drive = service.get_for(session, who, drive_id, lock=True)
    if drive.customer_id != who.user_id:
        raise service.not_found(drive_id)
    if drive.kind != "dealer" or drive.status != "booked":
        raise Conflict(
            "not_reschedulable",
            "Only a booked dealer test drive can be moved.",
            drive_status=drive.status,
        )
    if start.astimezone(dt.UTC) == drive.start_at:
        return drive
    vehicle = session.get(Vehicle, drive.vehicle_id)
    if vehicle.status != VehicleStatus.available:
        raise Conflict("vehicle_unavailable", "This car is not available for a test drive.")
    dealer = session.get(Dealer, drive.dealer_id)
    sched = schedule_of(session, dealer.id)
    start = _check_start(dealer, sched, start, now)
    lane = _hold(session, drive, sched, start)
    _let_go(session, drive, start, sched.length, lane)
    drive.start_at, drive.ends_at = start, start + sched.length
    service.announce(session, drive, TestDriveRescheduled, now=now)
    session.flush()
    return drive


# --- the dealer's side ----------------------------------------------------------------------


def _staff_drive(session: Session, who: Principal, drive_id: str) -> TestDrive:
    """A dealer drive of the caller's own dealer, locked; anything else is 404."""
    drive = session.scalar(select(TestDrive).where(TestDrive.id == drive_id).with_for_update())
    mine = (
        drive is not None
        and drive.kind == "dealer"
        and who.is_dealer
        and drive.dealer_id == who.dealer_id
    )
    if not mine:
        raise service.not_found(drive_id)
    return drive


def check_out(
    session: Session, who: Principal, drive_id: str, *, odometer_km: int, now: dt.datetime
) -> TestDrive:
    """The customer drives off: the car moves to `test_drive` through catalog. Again is
    harmless."""
    drive = _staff_drive(session, who, drive_id)
    if drive.status == "out":
        return drive
    if drive.status != "booked":
        raise Conflict(
            "drive_not_booked", "Only a booked drive can be checked out.", drive_status=drive.status
        )
    why = rules.checkout_problem(drive.start_at, drive.ends_at, now)
    if why == "check_out_too_early":
        raise Conflict(
            why, "It is too early: the car can leave at most 30 minutes before the slot."
        )
    if why:
        raise Conflict(why, "The slot is over: record a no-show, or book again.")
    if not stock.claim(session, drive.vehicle_id, for_=VehicleStatus.test_drive, now=now):
        raise Conflict("vehicle_unavailable", "The car is reserved, sold or already out.")
    drive.status, drive.out_at, drive.odometer_out_km = "out", now, odometer_km
    service.announce(session, drive, TestDriveOut, now=now)
    session.flush()
    return drive


def check_in(
    session: Session, who: Principal, drive_id: str, *, odometer_km: int, now: dt.datetime
) -> TestDrive:
    """The car is back: for sale again. Again is harmless."""
    drive = _staff_drive(session, who, drive_id)
    if drive.status == "returned":
        return drive
    if drive.status != "out":
        raise Conflict(
            "drive_not_out", "Only a car that is out can be checked in.", drive_status=drive.status
        )
    if odometer_km < (drive.odometer_out_km or 0):
        raise Invalid(
            "odometer_below_out",
            "The odometer reads less than when the car left; check the reading.",
            odometer_out_km=drive.odometer_out_km,
        )
    stock.release(session, drive.vehicle_id, now=now)
    drive.status, drive.returned_at, drive.odometer_in_km = "returned", now, odometer_km
    service.announce(session, drive, TestDriveReturned, now=now)
    session.flush()
    return drive


def no_show(session: Session, who: Principal, drive_id: str, *, now: dt.datetime) -> TestDrive:
    """The customer did not come: recorded once the slot has begun, and the slot (and the car
    for it) is free again. Again is harmless."""
    drive = _staff_drive(session, who, drive_id)
    if drive.status == "no_show":
        return drive
    if drive.status != "booked":
        raise Conflict(
            "drive_not_booked", "Only a booked drive can be a no-show.", drive_status=drive.status
        )
    if now < drive.start_at:
        raise Conflict("slot_not_started", "A no-show can be recorded once the slot has begun.")
    service.free_hold(session, drive, now=now)
    drive.status = "no_show"
    service.announce(session, drive, TestDriveNoShow, now=now)
    session.flush()
    return drive


def local_day(dealer: Dealer, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The dealer's local day as a UTC half-open range."""
    tz = ZoneInfo(dealer.timezone)
    begin = dt.datetime.combine(day, dt.time(0), tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tz)
    return begin.astimezone(dt.UTC), end.astimezone(dt.UTC)


def calendar(session: Session, dealer_id: int, day: dt.date) -> list[tuple[TestDrive, int | None]]:
    """The dealer's drives starting on `day` (its local date), by start, with the lane each
    holds (none once cancelled or a no-show)."""
    dealer = session.get(Dealer, dealer_id)
    begin, end = local_day(dealer, day)
    drives = list(
        session.scalars(
            select(TestDrive)
            .where(
                TestDrive.dealer_id == dealer_id,
                TestDrive.kind == "dealer",
                TestDrive.start_at >= begin,
                TestDrive.start_at < end,
            )
            .order_by(TestDrive.start_at, TestDrive.id)
        )
    )
    lanes = dict(
        session.execute(
            select(DealerSlot.drive_id, DealerSlot.lane).where(
                DealerSlot.drive_id.in_([d.id for d in drives])
            )
        ).all()
    )
    return [(d, lanes.get(d.id)) for d in drives]


def today(session: Session, dealer_id: int, now: dt.datetime) -> dt.date:
    """The dealer's local date now."""
    return now.astimezone(ZoneInfo(session.get(Dealer, dealer_id).timezone)).date()
