"""Tower test drives: the gate and booking, return, buying the car from the drive, the
tower's day and the overdue chase. The face check at release is in `release`.

A tower drive claims its car through catalog (`test_drive`) from booking to return; the car
keeps its tower and bay while it is out, so the bay waits for it and no dealer can fill it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.catalog import stock
from motormall.catalog.models import Brand, Tower, Vehicle, VehicleStatus
from motormall.catalog.vin import normalise_vin
from motormall.customers import identity
from motormall.finance import credit
from motormall.membership import service as membership
from motormall.notifications import service as notifications
from motormall.orders import service as orders
from motormall.platform import audit
from motormall.platform.auth import Principal, Role
from motormall.platform.config import Settings, get_settings
from motormall.platform.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
)
from motormall.testdrives import policy, rules, service
from motormall.testdrives.events import TestDriveBooked, TestDrivePurchased, TestDriveReturned
from motormall.testdrives.models import LIVE, TestDrive

# The gate's checks, in the order they are asked (CONTRACT: membership, consent, credit).
GATE = ("vehicle", "membership", "consent", "credit", "quota", "model", "live_drive")


def unavailable(vin: str) -> Conflict:
    return Conflict(
        "vehicle_unavailable",
        "The car is not free in a tower bay: it is reserved, sold or out on a drive.",
        vin=vin,
    )


def live_drive_exists() -> Conflict:
    return Conflict(
        "live_drive_exists",
        "You already have a tower test drive booked or out; finish or cancel it first.",
    )


def tower_car(session: Session, vin: str) -> Vehicle:
    vin = normalise_vin(vin)
    vehicle = session.scalar(select(Vehicle).where(Vehicle.vin == vin))
    if vehicle is None or vehicle.status == VehicleStatus.withdrawn:
        raise NotFound("vehicle_not_found", f"No vehicle with VIN {vin}.")
    return vehicle


def check_start(start: dt.datetime, now: dt.datetime) -> None:
    if start < now - rules.START_GRACE:
        raise Invalid("start_in_past", "The collection time has passed; choose a later one.")
    if start > now + rules.BOOK_AHEAD:
        raise Invalid(
            "start_too_far",
            f"Book at most {rules.BOOK_AHEAD.days} days ahead.",
            max_days=rules.BOOK_AHEAD.days,
        )


def _past_drives(session: Session, customer_id: str) -> list[rules.PastDrive]:
    rows = session.execute(
        select(TestDrive.start_at, TestDrive.model_id).where(
            TestDrive.customer_id == customer_id,
            TestDrive.kind == "tower",
            TestDrive.status != "cancelled",
        )
    )
    return [rules.PastDrive(start=r.start_at, model_id=r.model_id) for r in rows]


def _checks(
    session: Session,
    customer_id: str,
    vehicle: Vehicle,
    start: dt.datetime,
    *,
    now: dt.datetime,
    settings: Settings,
) -> Iterator[tuple[str, DomainError | None]]:
    """Each gate check in order, lazily: booking stops at the first refusal, the
    eligibility answer asks them all."""
    free = vehicle.tower_id is not None and vehicle.status == VehicleStatus.available
    yield "vehicle", None if free else unavailable(vehicle.vin)
    brand = session.get(Brand, vehicle.brand_id).code
    if membership.membership_of(session, customer_id, vehicle.brand_id) is None:
        yield (
            "membership",
            Forbidden(
                "not_a_member",
                "Tower test drives are for members of the car's brand; join first.",
                brand=brand,
            ),
        )
    else:
        yield "membership", None

    consented = identity.biometric_consent(session, customer_id)
    yield (
        "consent",
        None
        if consented
        else Forbidden(
            "consent_required",
            "Add your ID and agree to the face check (identity settings) to use a tower.",
        ),
    )

    meets = credit.meets_tower_minimum(session, customer_id, settings=settings)
    yield (
        "credit",
        None
        if meets
        else Forbidden(
            "credit_below_threshold", "Your credit standing does not reach the tower's threshold."
        ),
    )

    terms = policy.current(session)
    past = _past_drives(session, customer_id)
    if rules.quota_problem(past, vehicle.model_id, start, terms) == "quota_exceeded":
        frees = rules.quota_frees_at(past, start, terms)
        yield (
            "quota",
            RateLimited(
                "quota_exceeded",
                "You have had as many tower drives as the window allows; "
                "see when you can book again.",
                max_drives=terms["tower_max_drives"],
                window_days=terms["tower_window_days"],
                retry_after=max(1, int((frees - now).total_seconds())),
                next_possible=frees.isoformat(),
            ),
        )
    else:
        yield "quota", None
    # the model rule alone: the count taken out of the question
    only_model = {**terms, "tower_max_drives": 10**9}
    driven = rules.quota_problem(past, vehicle.model_id, start, only_model)
    yield (
        "model",
        None
        if driven is None
        else Conflict(
            "model_already_driven",
            "You drove this model within the window; pick another model.",
            window_days=terms["tower_window_days"],
        ),
    )

    live = session.scalar(
        select(TestDrive.id).where(
            TestDrive.customer_id == customer_id,
            TestDrive.kind == "tower",
            TestDrive.status.in_(LIVE),
        )
    )
    yield "live_drive", None if live is None else live_drive_exists()


@dataclass(frozen=True)
class GateAnswer:
    check: str
    ok: bool
    code: str | None = None
    detail: str | None = None


def eligibility(
    session: Session, who: Principal, vin: str, start: dt.datetime, *, now: dt.datetime
) -> list[GateAnswer]:
    """Every gate check's answer for `who` and this car, without booking."""
    vehicle = tower_car(session, vin)
    found = _checks(session, who.user_id, vehicle, start, now=now, settings=get_settings())
    return [
        GateAnswer(name, err is None, err.code if err else None, err.detail if err else None)
        for name, err in found
    ]


def book(
    session: Session, who: Principal, vin: str, start: dt.datetime, *, now: dt.datetime
) -> TestDrive:
    """Pass the gate (first refusal wins), then hold the car in its bay until it is back.
    Due back `tower_drive_days` after `start`."""
    check_start(start, now)
    vehicle = tower_car(session, vin)
    settings = get_settings()
    for _name, refusal in _checks(session, who.user_id, vehicle, start, now=now, settings=settings):
        if refusal is not None:
            raise refusal
    days = policy.current(session)["tower_drive_days"]
    # two bookings at once: the live-drive index decides, and the loser is told why
    drive = service.add_with_code(
        session,
        service.booked(
            who,
            vehicle,
            kind="tower",
            start=start,
            ends_at=start + dt.timedelta(days=days),
            now=now,
            tower_id=vehicle.tower_id,
            challenge=_new_challenge(),
            mismatches=0,
            overdue_stage=0,
        ),
        refusal=lambda: live_drive_exists() if _has_live_drive(session, who.user_id) else None,
    )
    if not stock.claim(session, vehicle.id, for_=VehicleStatus.test_drive, now=now):
        raise unavailable(vehicle.vin)  # lost the race: the request rolls back the drive too
    service.announce(session, drive, TestDriveBooked, now=now)
    return drive


def _new_challenge() -> str:
    from motormall.vision import faces

    return faces.new_challenge()


def _has_live_drive(session: Session, customer_id: str) -> bool:
    return (
        session.scalar(
            select(TestDrive.id).where(
                TestDrive.customer_id == customer_id,
                TestDrive.kind == "tower",
                TestDrive.status.in_(LIVE),
            )
        )
        is not None
    )


# ---- at the tower: return, purchase ---------------------------------------------------------


def tower_drive_for(
    session: Session, who: Principal, drive_id: str, *, lock: bool = False
) -> TestDrive:
    drive = service.get_for(session, who, drive_id, lock=lock)
    if drive.kind != "tower":
        raise service.not_found(drive_id)
    return drive


def return_car(
    session: Session, who: Principal, drive_id: str, *, odometer_km: int, now: dt.datetime
) -> TestDrive:
    """The tower (its device, or the carmaker for it) takes the car back: the car is for
    sale again in its bay. A repeat is harmless; a late return keeps its fee."""
    if who.role not in (Role.tower, Role.oem_admin):
        raise service.not_found(drive_id)
    drive = tower_drive_for(session, who, drive_id, lock=True)
    if drive.status == "returned":
        return drive
    if drive.status != "out":
        raise Conflict("not_out", f"The drive is {drive.status}; only a car out can come back.")
    if drive.odometer_out_km is not None and odometer_km < drive.odometer_out_km:
        raise Invalid("odometer_below_start", "The odometer reads less than at the start.")
    fee = rules.late_fee(drive.ends_at, now, policy.current(session))
    if fee:
        drive.overdue_fee = fee
    drive.status = "returned"
    drive.returned_at = now
    drive.odometer_in_km = odometer_km
    stock.release(session, drive.vehicle_id, now=now)
    audit.record(
        session,
        actor_id=who.user_id,
        action="test_drive.returned",
        entity_type="test_drive",
        entity_id=drive.id,
        detail={"odometer_km": odometer_km, "late_fee": f"{fee:.2f}" if fee else None},
    )
    service.announce(session, drive, TestDriveReturned, now=now)
    session.flush()
    return drive


def purchase(
    session: Session,
    who: Principal,
    drive_id: str,
    req: orders.ReserveRequest | None = None,
    *,
    now: dt.datetime,
    settings: Settings,
):
    """The customer buys the car they are driving: an order holds it straight from the drive
    (`test_drive` → `reserved` in one conditional UPDATE), never free in between. Returns the
    order; a repeat returns the same order."""
    if who.role != Role.customer:
        raise service.not_found(drive_id)
    drive = tower_drive_for(session, who, drive_id, lock=True)
    if drive.status == "purchased" and drive.order_id:
        return orders.get_for(session, who, drive.order_id)
    if drive.status != "out":
        raise Conflict(
            "not_out", f"The drive is {drive.status}; buy the car while you have it out."
        )
    req = req or orders.ReserveRequest(vin=drive.vin)
    req.vin = drive.vin
    order = orders.reserve(session, who, req, now=now, settings=settings, from_test_drive=True)
    drive.status = "purchased"
    drive.order_id = order.id
    drive.returned_at = now  # the drive ended here; the car is the order's now
    service.announce(session, drive, TestDrivePurchased, now=now)
    session.flush()
    return order


# ---- the tower's day and the overdue chase ---------------------------------------------------


def tower_by_code(session: Session, code: str) -> Tower:
    tower = session.scalar(select(Tower).where(Tower.code == code.strip().upper()))
    if tower is None:
        raise NotFound("tower_not_found", f"No tower {code!r}.")
    return tower


def may_run(who: Principal, tower: Tower) -> bool:
    """The tower's own device, the carmaker, or staff of a dealer assigned to the tower."""
    if who.is_admin:
        return True
    if who.role == Role.tower:
        return who.tower_id == tower.id
    return who.is_dealer and who.dealer_id in {d.id for d in tower.dealers}


@dataclass
class Day:
    tower: Tower
    day: dt.date
    pickups: list[TestDrive]
    returns: list[TestDrive]
    overdue: list[TestDrive]


def day_of(
    session: Session, who: Principal, code: str, day: dt.date | None, *, now: dt.datetime
) -> Day:
    """What the tower expects on one local day (default today): pickups (start that day),
    returns (due that day), and every car out past its due time. Others get 404."""
    tower = tower_by_code(session, code)
    if not may_run(who, tower):
        raise NotFound("tower_not_found", f"No tower {code!r}.")
    zone = ZoneInfo(tower.timezone)
    day = day or now.astimezone(zone).date()
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    day_end = day_start + dt.timedelta(days=1)
    base = select(TestDrive).where(TestDrive.tower_id == tower.id, TestDrive.kind == "tower")
    pickups = session.scalars(
        base.where(
            TestDrive.start_at >= day_start,
            TestDrive.start_at < day_end,
            TestDrive.status != "cancelled",
        ).order_by(TestDrive.start_at, TestDrive.id)
    )
    returns = session.scalars(
        base.where(
            TestDrive.ends_at >= day_start,
            TestDrive.ends_at < day_end,
            TestDrive.status.in_(("booked", "review", "out", "returned")),
        ).order_by(TestDrive.ends_at, TestDrive.id)
    )
    overdue = session.scalars(
        base.where(TestDrive.status == "out", TestDrive.ends_at < min(day_end, now)).order_by(
            TestDrive.ends_at, TestDrive.id
        )
    )
    return Day(tower, day, list(pickups), list(returns), list(overdue))


def chase(
    session: Session, drive: TestDrive, *, now: dt.datetime, terms: dict | None = None
) -> int:
    """Move one drive along the overdue chase (the job's step; the caller locked the row) by
    the carmaker's policy (`terms`: read once per sweep). A booking never collected by its
    due time lapses and frees the car. Returns the stage."""
    if drive.status == "booked" and now > drive.ends_at:
        service.free_hold(session, drive, now=now)
        drive.status = "no_show"
        audit.record(
            session,
            actor_id=None,
            action="test_drive.lapsed",
            entity_type="test_drive",
            entity_id=drive.id,
        )
        return drive.overdue_stage
    if drive.status != "out":
        return drive.overdue_stage
    terms = terms or policy.current(session)
    due = rules.overdue_stage(drive.ends_at, now, terms)
    if due >= 1 and drive.overdue_stage < 1:
        notifications.notify(
            session,
            drive.customer_id,
            "test_drive_overdue",
            link=f"/me/test-drives#{drive.id}",
            now=now,
            vin=drive.vin,
            due=drive.ends_at.isoformat(timespec="minutes"),
        )
    if due >= 2 and drive.overdue_stage < 2:
        # the carmaker's console lists overdue cars from the audit log and the tower's day
        audit.record(
            session,
            actor_id=None,
            action="test_drive.overdue_reported",
            entity_type="test_drive",
            entity_id=drive.id,
            detail={"vin": drive.vin, "ends_at": drive.ends_at.isoformat()},
        )
    if due >= 3:
        fee = rules.late_fee(drive.ends_at, now, terms)
        if fee != drive.overdue_fee:
            drive.overdue_fee = fee
            audit.record(
                session,
                actor_id=None,
                action="test_drive.late_fee",
                entity_type="test_drive",
                entity_id=drive.id,
                detail={"fee": f"{fee:.2f}", "currency": "CNY"},
            )
    drive.overdue_stage = max(drive.overdue_stage, due)
    return drive.overdue_stage


def chase_overdue(session: Session, *, now: dt.datetime, limit: int = 200) -> int:
    """The sweep: every tower drive out past its due time, or booked and never collected,
    locked by id with SKIP LOCKED. Returns how many moved."""
    due = session.scalars(
        select(TestDrive)
        .where(
            TestDrive.kind == "tower",
            TestDrive.ends_at < now,
            TestDrive.status.in_(("booked", "out")),
        )
        .order_by(TestDrive.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    moved = 0
    terms = policy.current(session)
    for drive in due:
        before = (drive.status, drive.overdue_stage, drive.overdue_fee)
        chase(session, drive, now=now, terms=terms)
        moved += before != (drive.status, drive.overdue_stage, drive.overdue_fee)
    session.flush()
    return moved
