"""Tower test-drive routes: the gate's answer before booking, the kiosk's look-up and release,
return, purchase, the carmaker's review queue and the tower's day.

Release (`POST /test-drives/{id}/release`) answers:
- 200 `{status: "released"}`: the car may leave; repeated after that, the same answer.
- 200 `{status: "review"}`: a person at the carmaker decides; the kiosk polls
  `GET /test-drives/{id}` (status `out`: released; `booked`: refused, try again).
- 403 `face_mismatch`: nothing released; the third in a row locks the drive.
- 409 `drive_locked` while locked (`locked_until` in the problem): a conflict with the
  drive's current state, not a rate limit on the caller, so 409 rather than 423 or 429.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.catalog.models import Vehicle
from motormall.orders import service as orders
from motormall.platform import idempotency
from motormall.platform.auth import Principal, Role
from motormall.platform.config import Settings
from motormall.platform.db import utcnow
from motormall.platform.deps import (
    AppSettings,
    CurrentPrincipal,
    DbSession,
    ReadSession,
    idempotency_key,
    require,
)
from motormall.platform.errors import ERROR_RESPONSES, Invalid, NotFound
from motormall.testdrives import release, schemas, service, tower
from motormall.testdrives.models import TestDrive
from motormall.vision import intake

router = APIRouter(tags=["test drives"], responses=ERROR_RESPONSES)
Customer = Annotated[Principal, require(Role.customer)]
TowerDevice = Annotated[Principal, require(Role.tower)]
Admin = Annotated[Principal, require(Role.oem_admin)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]

# A kiosk frame is a camera still (a 640 x 480 JPEG is about 100 KB); 2 MB each is plenty.
FRAME_BYTES = 2 * 1024 * 1024
RELEASE_BODY = release.MAX_FRAMES * FRAME_BYTES + 65_536


def upload_limit(path: str) -> int | None:
    """The request size allowed on a release upload (None: not one)."""
    if path.endswith("/release") and (
        path.startswith("/api/v1/test-drives/") or path.startswith("/kiosk/drives/")
    ):
        return RELEASE_BODY
    return None


def read_frames(parts: list[UploadFile]) -> list[bytes]:
    release.check_frame_count(len(parts))
    return [p.file.read(FRAME_BYTES + 1) for p in parts]


def run_release(
    session: Session, who: Principal, drive_id: str, frames: list[bytes], settings: Settings
) -> release.Outcome:
    """The release at the edge, shared by the API and the kiosk page: read, commit (so no
    lock or write transaction is held), check the faces, then lock and apply. A mismatch is
    committed before its 403 so that it counts."""
    ticket = release.prepare(session, who, drive_id, now=utcnow())
    if isinstance(ticket, release.Outcome):
        return ticket
    images = [intake.load(data, max_bytes=FRAME_BYTES).image for data in frames]
    session.commit()
    result = release.check(ticket, images, settings=settings)
    outcome = release.apply(
        session, who, drive_id, result, frames=len(images), settings=settings, now=utcnow()
    )
    if outcome.status == "refused":
        session.commit()
        raise release.face_mismatch(outcome.drive)
    return outcome


def release_out(session: Session, outcome: release.Outcome) -> schemas.ReleaseOut:
    check = outcome.check
    return schemas.ReleaseOut(
        status=outcome.status,
        drive=service.drive_out(session, outcome.drive),
        check_id=check.id if check else None,
        liveness_reason=check.liveness_reason if check else None,
    )


@router.get("/test-drives/eligibility", response_model=schemas.EligibilityOut)
def eligibility(
    who: Customer,
    session: ReadSession,
    vin: Annotated[str, Query(min_length=1, max_length=40)],
    start: Annotated[dt.datetime | None, Query()] = None,
):
    """The tower gate's answer for this car without booking: every check with pass or fail
    and the code a booking would get (`start` defaults to now)."""
    now = utcnow()
    start = _aware(start) or now
    answers = tower.eligibility(session, who, vin, start, now=now)
    return schemas.EligibilityOut(
        vin=tower.tower_car(session, vin).vin,
        start=start.isoformat(),
        eligible=all(a.ok for a in answers),
        checks=[schemas.GateCheckOut(**a.__dict__) for a in answers],
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise Invalid("naive_time", "Give the time with its offset, e.g. 2026-05-01T10:00+08:00.")
    return value


@router.get("/kiosk/drives/{code}", response_model=schemas.KioskDriveOut)
def kiosk_drive(code: Annotated[str, Path(max_length=40)], who: TowerDevice, session: ReadSession):
    """The drive a customer's booking code names, at this device's tower only (else 404)."""
    return kiosk_lookup(session, who, code)


def kiosk_lookup(session: Session, who: Principal, code: str) -> schemas.KioskDriveOut:
    clean = code.strip().upper()[:12]
    drive = session.scalar(select(TestDrive).where(TestDrive.code == clean))
    if drive is None or drive.kind != "tower" or drive.tower_id != who.tower_id:
        raise NotFound("test_drive_not_found", "No booking with that code at this tower.")
    vehicle = session.get(Vehicle, drive.vehicle_id)
    return schemas.KioskDriveOut(
        id=drive.id,
        status=drive.status,
        vin=drive.vin,
        bay=vehicle.bay,
        challenge=drive.challenge or "turn_left",
        ends_at=drive.ends_at.isoformat(),
        locked_until=drive.locked_until.isoformat() if drive.locked_until else None,
    )


@router.post(
    "/test-drives/{drive_id}/release",
    response_model=schemas.ReleaseOut,
    responses={
        403: {"description": "face_mismatch, consent_required"},
        409: {"description": "drive_locked, drive_expired, not_releasable"},
        422: {"description": "frame_count, not_an_image, no_face, several_faces, ..."},
    },
)
def release_car(
    drive_id: str,
    who: TowerDevice,
    session: DbSession,
    settings: AppSettings,
    selfie: Annotated[
        list[UploadFile] | None,
        File(description="1-5 camera frames in capture order (3+ for the head turn)"),
    ] = None,
):
    """The tower device sends the customer's live frames; the car is released only for a
    face matching the ID on file with the head turn proven. See the module notes."""
    frames = read_frames(selfie or [])
    return release_out(session, run_release(session, who, drive_id, frames, settings))


@router.post("/test-drives/{drive_id}/return", response_model=schemas.DriveOut)
def return_car(drive_id: str, body: schemas.ReturnIn, who: CurrentPrincipal, session: DbSession):
    """The tower takes the car back (its device, or the carmaker): the car is for sale again
    in its bay. A late return keeps the late fee the chase recorded. Repeats are harmless."""
    drive = tower.return_car(session, who, drive_id, odometer_km=body.odometer_km, now=utcnow())
    return service.drive_out(session, drive)


@router.post(
    "/test-drives/{drive_id}/purchase",
    status_code=201,
    response_model=schemas.PurchaseOut,
    responses={409: {"description": "not_out, vehicle_unavailable, order_limit"}},
)
def purchase(
    drive_id: str,
    who: Customer,
    session: DbSession,
    settings: AppSettings,
    key: IdempotencyKey,
    body: schemas.PurchaseIn | None = None,
):
    """Buy the car you have out: an order (status `reserved`, pay the deposit as for any
    order) holds that same car, which is never free in between. A repeat returns it."""
    body = body or schemas.PurchaseIn()

    def work():
        req = orders.ReserveRequest(
            vin="",
            product=body.product,
            term_months=body.term_months,
            down_payment=body.down_payment,
        )
        order = tower.purchase(session, who, drive_id, req, now=utcnow(), settings=settings)
        return schemas.PurchaseOut(
            id=order.id,
            status=order.status,
            vin=order.vin,
            expires_at=order.expires_at.isoformat() if order.expires_at else None,
            test_drive_id=drive_id,
        ).model_dump()

    return idempotency.respond(
        session,
        scope=f"{who.user_id}:test-drive-purchase:{drive_id}",
        key=key,
        body=body.model_dump(mode="json"),
        work=work,
    )


@router.get("/admin/test-drives/reviews", response_model=schemas.ReviewList)
def reviews(who: Admin, session: ReadSession):
    """Face checks waiting for a person, oldest first."""
    return schemas.ReviewList(
        items=[review_out(session, c, d) for c, d in release.waiting(session)]
    )


def review_out(session: Session, check, drive: TestDrive) -> schemas.ReviewOut:
    out = service.drive_out(session, drive, show_code=False)
    return schemas.ReviewOut(
        check_id=check.id,
        drive_id=drive.id,
        vin=drive.vin,
        tower=out.tower,
        at=check.at.isoformat(),
        frames=check.frames,
        distance=round(check.distance, 4),
        threshold=check.threshold,
        decision=check.decision,
        liveness_ok=check.liveness_ok,
        liveness_reason=check.liveness_reason,
        model_version=check.model_version,
    )


@router.post("/admin/test-drives/reviews/{check_id}", response_model=schemas.ReviewResult)
def decide_review(check_id: str, body: schemas.ReviewIn, who: Admin, session: DbSession):
    """Release the car or refuse (the customer may try again at the kiosk); audited."""
    outcome = release.review(
        session, who, check_id, decision=body.decision, note=body.note, now=utcnow()
    )
    return schemas.ReviewResult(
        status=outcome.status, drive=service.drive_out(session, outcome.drive)
    )


@router.get("/towers/{code}/day", response_model=schemas.TowerDayOut)
def tower_day(
    code: Annotated[str, Path(max_length=40)],
    who: CurrentPrincipal,
    session: ReadSession,
    date: Annotated[dt.date | None, Query()] = None,
):
    """Pickups, returns and cars overdue at the tower on a local day (default today): for
    the tower's device, the carmaker and the dealers assigned to the tower."""
    day = tower.day_of(session, who, code, date, now=utcnow())
    bays = _bays(session, day.pickups + day.returns + day.overdue)
    items = lambda drives: [day_drive(d, bays) for d in drives]  # noqa: E731
    return schemas.TowerDayOut(
        tower=day.tower.code,
        date=day.day,
        pickups=items(day.pickups),
        returns=items(day.returns),
        overdue=items(day.overdue),
    )


def _bays(session: Session, drives: list[TestDrive]) -> dict[int, int | None]:
    ids = {d.vehicle_id for d in drives}
    if not ids:
        return {}
    return dict(session.execute(select(Vehicle.id, Vehicle.bay).where(Vehicle.id.in_(ids))).all())


def day_drive(drive: TestDrive, bays: dict[int, int | None]) -> schemas.DayDrive:
    iso = lambda t: t.isoformat() if t else None  # noqa: E731
    return schemas.DayDrive(
        id=drive.id,
        code=drive.code,
        status=drive.status,
        vin=drive.vin,
        bay=bays.get(drive.vehicle_id),
        start=drive.start_at.isoformat(),
        ends_at=drive.ends_at.isoformat(),
        out_at=iso(drive.out_at),
        returned_at=iso(drive.returned_at),
    )
