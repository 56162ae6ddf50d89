"""Test-drive pages: booking a dealer slot from the vehicle page, the customer's drives, and
the dealer's test-drive calendar (check out, check in, no-show)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.catalog.models import Brand, CarModel, Dealer, Tower
from motormall.customers.contacts import contacts_of
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession
from motormall.platform.errors import DomainError, Forbidden, status_of
from motormall.testdrives import dealer, rules, service
from motormall.testdrives.models import TestDrive
from motormall.web import i18n
from motormall.web.render import check_csrf, error_text, language, page_principal, render

router = APIRouter(include_in_schema=False)
UPCOMING = ("booked", "review", "out")


def _login_first(back: str):
    return RedirectResponse(f"/login?{urlencode({'next': back})}", status_code=303)


def _car_names(session: Session, drives) -> dict[int, str]:
    ids = {d.model_id for d in drives}
    rows = session.execute(
        select(CarModel.id, Brand.name, CarModel.name).join(Brand).where(CarModel.id.in_(ids))
    )
    return {i: f"{b} {m}" for i, b, m in rows}


def _day(raw: str | None, fallback: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else fallback
    except ValueError:
        return fallback


# --- the customer books from the vehicle page -----------------------------------------------


@router.get("/vehicles/{vin}/test-drive")
def slot_picker(
    vin: str,
    request: Request,
    session: ReadSession,
    date: Annotated[str | None, Query(max_length=10)] = None,
    move: Annotated[str | None, Query(max_length=40)] = None,
):
    """The dealer's free slots for this car on a day (a date picker above them). With
    `move`, choosing a slot moves that booking instead of making a new one."""
    return _picker(request, session, vin, date, move)


def _picker(request, session, vin, date, move, *, error=None, status_code=200):
    from motormall.catalog.listing import find_vehicle

    try:
        vehicle = find_vehicle(session, vin, page_principal(request))
    except DomainError:
        return render(request, "not_found.html", status_code=404)
    place = vehicle.dealer
    today = dt.datetime.now(ZoneInfo(place.timezone)).date()
    day = _day(date, today)
    slots = []
    if vehicle.tower_id is None:
        try:
            _, slots = dealer.free_slots(session, place.code, day, vehicle.vin, now=utcnow())
        except DomainError as exc:
            error = error or error_text(request, exc)
    locale = i18n.locale(language(request))
    tz = ZoneInfo(place.timezone)
    return render(
        request,
        "test_drive_book.html",
        status_code=status_code,
        vehicle=vehicle,
        dealer=place,
        car=f"{vehicle.trim.model.brand.name} {vehicle.trim.model.name}",
        day=day,
        day_label=format_date(day, "full", locale=locale),
        today=today,
        last_day=today + dt.timedelta(days=rules.HORIZON_DAYS),
        slots=[
            (s.isoformat(), format_time(s, "short", tzinfo=tz, locale=locale)) for s, _ in slots
        ],
        move=move,
        error=error,
    )


def _customer(request: Request) -> Principal:
    who = page_principal(request)
    if who is not None and who.role != Role.customer:
        raise Forbidden("role_not_allowed", "Log in as a customer to book a test drive.")
    return who


@router.post("/vehicles/{vin}/test-drive")
def book_slot(
    vin: str,
    request: Request,
    session: DbSession,
    start: Annotated[str, Form(max_length=40)],
    date: Annotated[str, Form(max_length=10)] = "",
    move: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    day = date or None  # the day the slot was picked on, to show again
    try:
        who = _customer(request)
        if who is None:
            return _login_first(f"/vehicles/{vin}/test-drive?{urlencode({'date': date})}")
        check_csrf(request, csrf_token)
        when = dt.datetime.fromisoformat(start)
        if when.tzinfo is None:
            raise ValueError(start)
        if move:
            drive = dealer.reschedule(session, who, move, when, now=utcnow())
        else:
            drive = dealer.book(session, who, vin, when, now=utcnow())
    except (DomainError, ValueError) as exc:
        session.rollback()
        status = status_of(exc) if isinstance(exc, DomainError) else 422
        return _picker(
            request,
            session,
            vin,
            day,
            move or None,
            error=error_text(request, exc),
            status_code=status,
        )
    return RedirectResponse(f"/test-drives?{urlencode({'done': drive.id})}", status_code=303)


# --- the customer's drives ------------------------------------------------------------------


@router.get("/test-drives")
def my_drives(request: Request, session: ReadSession, done: str | None = None):
    """Upcoming drives first (with the kiosk code), then the past ones."""
    who = page_principal(request)
    if who is None:
        return _login_first("/test-drives")
    drives = service.of_customer(session, who.user_id, limit=100)
    names = _car_names(session, drives)
    dealers = {
        d.id: d
        for d in session.scalars(select(Dealer).where(Dealer.id.in_({x.dealer_id for x in drives})))
    }
    towers = {
        t.id: t
        for t in session.scalars(
            select(Tower).where(Tower.id.in_({x.tower_id for x in drives if x.tower_id}))
        )
    }
    rows = [
        {
            "drive": d,
            "out": service.drive_out(session, d),
            "car": names.get(d.model_id, ""),
            "dealer": dealers[d.dealer_id],
            "tower": towers.get(d.tower_id),
            "tz": (towers.get(d.tower_id) or dealers[d.dealer_id]).timezone,
        }
        for d in drives
    ]
    upcoming = sorted(
        (r for r in rows if r["drive"].status in UPCOMING), key=lambda r: r["drive"].start_at
    )
    past = [r for r in rows if r["drive"].status not in UPCOMING]
    return render(request, "test_drives.html", upcoming=upcoming, past=past, done=done)


@router.post("/test-drives/{drive_id}/cancel")
def cancel_drive(
    drive_id: str, request: Request, session: DbSession, csrf_token: Annotated[str, Form()] = ""
):
    who = page_principal(request)
    if who is None:
        return _login_first("/test-drives")
    try:
        check_csrf(request, csrf_token)
        service.cancel(session, who, drive_id, now=utcnow())
    except DomainError as exc:
        session.rollback()
        return render(
            request, "not_found.html", status_code=status_of(exc), message=error_text(request, exc)
        )
    return RedirectResponse("/test-drives", status_code=303)


# --- the dealer's calendar ------------------------------------------------------------------


def _calendar(request, session, who, day: dt.date, *, error=None, status_code=200):
    place = session.get(Dealer, who.dealer_id)
    rows = dealer.calendar(session, who.dealer_id, day)
    contacts = contacts_of(session, [d.customer_id for d, _ in rows])
    names = _car_names(session, [d for d, _ in rows])
    lang = language(request)
    tz = ZoneInfo(place.timezone)
    slots: dict[str, list] = {}
    for drive, lane in rows:
        label = format_time(drive.start_at, "short", tzinfo=tz, locale=i18n.locale(lang))
        slots.setdefault(label, []).append(
            {
                "drive": drive,
                "lane": lane,
                "car": names.get(drive.model_id, ""),
                "who": contacts.get(drive.customer_id),
            }
        )
    today = dealer.today(session, who.dealer_id, utcnow())
    return render(
        request,
        "dealer_test_drives.html",
        status_code=status_code,
        day=day,
        day_label=format_date(day, "full", locale=i18n.locale(lang)),
        today=today,
        slots=slots,
        error=error,
        tz=place.timezone,
    )


@router.get("/dealer/test-drives")
def calendar_page(
    request: Request, session: ReadSession, date: Annotated[str | None, Query(max_length=10)] = None
):
    who = page_principal(request)
    if who is None or not who.is_dealer:
        return _login_first("/dealer/test-drives")
    return _calendar(
        request, session, who, _day(date, dealer.today(session, who.dealer_id, utcnow()))
    )


@router.post("/dealer/test-drives/{drive_id}/{action}")
def calendar_action(
    drive_id: str,
    action: str,
    request: Request,
    session: DbSession,
    odometer_km: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    """check-out / check-in (with the odometer) or no-show, then back to that drive's day."""
    who = page_principal(request)
    if who is None or not who.is_dealer:
        return _login_first("/dealer/test-drives")
    now = utcnow()
    try:
        check_csrf(request, csrf_token)
        if action == "no-show":
            drive = dealer.no_show(session, who, drive_id, now=now)
        elif action in ("check-out", "check-in"):
            km = int(odometer_km.strip())
            if not 0 <= km <= 5_000_000:
                raise ValueError(odometer_km)
            act = dealer.check_out if action == "check-out" else dealer.check_in
            drive = act(session, who, drive_id, odometer_km=km, now=now)
        else:
            return render(request, "not_found.html", status_code=404)
    except (DomainError, ValueError) as exc:
        session.rollback()
        status = status_of(exc) if isinstance(exc, DomainError) else 422
        day = _drive_day(session, who, drive_id, now)
        return _calendar(
            request, session, who, day, error=error_text(request, exc), status_code=status
        )
    day = _drive_day(session, who, drive.id, now)
    return RedirectResponse(f"/dealer/test-drives?date={day.isoformat()}", status_code=303)


def _drive_day(session: Session, who: Principal, drive_id: str, now: dt.datetime) -> dt.date:
    """The local day of the dealer's own drive (today for anything else)."""
    place = session.get(Dealer, who.dealer_id)
    drive = session.get(TestDrive, drive_id)
    if drive is None or drive.dealer_id != who.dealer_id:
        return dealer.today(session, who.dealer_id, now)
    return drive.start_at.astimezone(ZoneInfo(place.timezone)).date()
