"""Tower test-drive pages: the gate's answer and booking for a tower car, the tower's kiosk,
and the carmaker's review queue.

The kiosk page runs on the tower's screen, logged in as the tower device (session cookie).
Its script calls the small JSON routes below (same origin, cookie, CSRF token on the POST),
since the JSON API takes bearer tokens only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse

from motormall.platform.auth import Role
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, DbSession, ReadSession
from motormall.platform.errors import DomainError, Invalid, problem, status_of
from motormall.testdrives import release, tower
from motormall.testdrives.tower_api import kiosk_lookup, read_frames, review_out, run_release
from motormall.web.i18n import N_
from motormall.web.render import check_csrf, error_text, page_principal, render

router = APIRouter(include_in_schema=False)
REVIEWS = "/oem/test-drives/reviews"

# What each gate check means to the customer, and where to fix it.
CHECK_TEXT = {
    "vehicle": (N_("The car is free in its tower bay"), None),
    "membership": (N_("You are a member of the car's brand"), "/memberships"),
    "consent": (N_("Your ID is on file and you agreed to the face check"), "/me/identity"),
    "credit": (N_("Your credit score reaches the tower's threshold"), "/me/credit"),
    "quota": (N_("Fewer than the allowed tower drives in the window"), None),
    "model": (N_("You have not driven this model in the window"), None),
    "live_drive": (N_("No other tower drive booked or out"), None),
}


def _login(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?{urlencode({'next': next_path})}", status_code=303)


def _json_error(request: Request, exc: DomainError) -> JSONResponse:
    return problem(status_of(exc), exc.code, exc.title, error_text(request, exc), **exc.fields)


# ---- the customer: the gate explained, then booking ------------------------------------------


def _gate_page(request, session, who, vin, *, booked=None, error=None, status_code=200):
    now = utcnow()
    answers = tower.eligibility(session, who, vin, now, now=now)
    car = tower.tower_car(session, vin)
    tz = car.tower.timezone if car.tower else "Asia/Shanghai"
    return render(
        request,
        "tower_drive.html",
        status_code=status_code,
        vin=car.vin,
        tz=tz,
        answers=[(a, *CHECK_TEXT[a.check]) for a in answers],
        eligible=all(a.ok for a in answers),
        booked=booked,
        error=error,
        # the tower's local clock: the form sends the browser's offset with it
        start=(now + dt.timedelta(hours=1)).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M"),
    )


@router.get("/vehicles/{vin}/tower-drive")
def tower_drive_page(vin: str, request: Request, session: ReadSession):
    who = page_principal(request)
    if who is None or who.role != Role.customer:
        return _login(f"/vehicles/{vin}/tower-drive")
    return _gate_page(request, session, who, vin)


@router.post("/vehicles/{vin}/tower-drive")
def book_tower_drive(
    vin: str,
    request: Request,
    session: DbSession,
    start: Annotated[str, Form(max_length=40)],
    tz_offset_minutes: Annotated[int, Form(ge=-840, le=840)] = -480,
    csrf_token: Annotated[str, Form()] = "",
):
    """`start` comes from a datetime-local input; the browser sends its offset (JS's
    getTimezoneOffset, minutes behind UTC; default China)."""
    who = page_principal(request)
    if who is None or who.role != Role.customer:
        return _login(f"/vehicles/{vin}/tower-drive")
    try:
        check_csrf(request, csrf_token)
        try:
            local = dt.datetime.fromisoformat(start)
        except ValueError:
            raise Invalid("invalid_start", "Choose a collection date and time.") from None
        when = local.replace(tzinfo=dt.timezone(-dt.timedelta(minutes=tz_offset_minutes)))
        drive = tower.book(session, who, vin, when, now=utcnow())
    except DomainError as exc:
        session.rollback()
        return _gate_page(
            request,
            session,
            who,
            vin,
            error=error_text(request, exc),
            status_code=status_of(exc),
        )
    return _gate_page(request, session, who, vin, booked=drive)


# ---- the tower's kiosk ---------------------------------------------------------------------


def _kiosk_device(request: Request):
    who = page_principal(request)
    return who if who is not None and who.role == Role.tower else None


@router.get("/kiosk")
def kiosk_page(request: Request):
    if _kiosk_device(request) is None:
        return _login("/kiosk")
    return render(request, "kiosk.html", frames=3, max_frames=release.MAX_FRAMES)


@router.get("/kiosk/lookup")
def kiosk_find(request: Request, session: ReadSession, code: str = ""):
    who = _kiosk_device(request)
    if who is None:
        return JSONResponse({"code": "not_authenticated"}, status_code=401)
    try:
        return kiosk_lookup(session, who, code[:40]).model_dump()
    except DomainError as exc:
        return _json_error(request, exc)


@router.get("/kiosk/drives/{drive_id}/status")
def kiosk_status(drive_id: str, request: Request, session: ReadSession):
    """What the kiosk polls while a person checks: `out` released, `booked` refused."""
    who = _kiosk_device(request)
    if who is None:
        return JSONResponse({"code": "not_authenticated"}, status_code=401)
    try:
        drive = tower.tower_drive_for(session, who, drive_id)
    except DomainError as exc:
        return _json_error(request, exc)
    return {"id": drive.id, "status": drive.status}


@router.post("/kiosk/drives/{drive_id}/release")
def kiosk_release(
    drive_id: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    csrf_token: Annotated[str, Form()] = "",
    selfie: Annotated[list[UploadFile] | None, File()] = None,
):
    who = _kiosk_device(request)
    if who is None:
        return JSONResponse({"code": "not_authenticated"}, status_code=401)
    try:
        check_csrf(request, csrf_token)
        outcome = run_release(session, who, drive_id, read_frames(selfie or []), settings)
    except DomainError as exc:
        if exc.code != "face_mismatch":  # a mismatch was committed before it was raised
            session.rollback()
        return _json_error(request, exc)
    return {"status": outcome.status, "drive": outcome.drive.id}


# ---- the carmaker's review queue -------------------------------------------------------------


def _reviews(request, session, error=None, status_code=200):
    items = [review_out(session, c, d) for c, d in release.waiting(session)]
    return render(
        request, "oem_drive_reviews.html", status_code=status_code, items=items, error=error
    )


@router.get(REVIEWS)
def reviews_page(request: Request, session: ReadSession):
    who = page_principal(request)
    if who is None or not who.is_admin:
        return _login(REVIEWS)
    return _reviews(request, session)


@router.post(REVIEWS + "/{check_id}")
def review_decision(
    check_id: str,
    request: Request,
    session: DbSession,
    decision: Annotated[str, Form(max_length=10)],
    note: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    who = page_principal(request)
    if who is None or not who.is_admin:
        return _login(REVIEWS)
    try:
        check_csrf(request, csrf_token)
        release.review(session, who, check_id, decision=decision, note=note, now=utcnow())
    except DomainError as exc:
        session.rollback()
        return _reviews(
            request,
            session,
            error=error_text(request, exc),
            status_code=status_of(exc),
        )
    return RedirectResponse(REVIEWS, status_code=303)
