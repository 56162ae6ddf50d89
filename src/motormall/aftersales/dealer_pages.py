"""The dealer's after-sales pages: the service calendar (move a visit, hold parts for it) and
parts (stock counts after a stocktake or a delivery). Phone-sized, both languages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from motormall.aftersales import parts, service
from motormall.aftersales.models import Part, ServiceAppointment
from motormall.catalog.models import Dealer
from motormall.customers.contacts import contacts_of
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession
from motormall.platform.errors import DomainError, Invalid, status_of
from motormall.web.render import check_csrf, error_text, page_principal, render

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=40)]


def _login_first(back: str):
    return RedirectResponse(f"/login?{urlencode({'next': back})}", status_code=303)


def _dealer(request):
    who = page_principal(request)
    return who if who is not None and who.is_dealer else None


def _day(raw: str | None, tz: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else dt.datetime.now(ZoneInfo(tz)).date()
    except ValueError:
        return dt.datetime.now(ZoneInfo(tz)).date()


def _count(raw: str, field: str) -> int:
    raw = raw.strip()
    if not raw.isdigit() or int(raw) > 1_000_000:
        raise Invalid("invalid_count", "Give a whole number of parts, 0 or more.", field=field)
    return int(raw)


# --- the service calendar -------------------------------------------------------------------


def _calendar(request, session, who, *, day_raw=None, week=False, status_code=200, error=None):
    """Today (or a week) by bay: who is coming, for what, and the parts held for them."""
    dealer = session.get(Dealer, who.dealer_id)
    day = _day(day_raw, dealer.timezone)
    tz = ZoneInfo(dealer.timezone)
    start = dt.datetime.combine(day, dt.time(), tz)
    end = start + dt.timedelta(days=7 if week else 1)
    visits = session.scalars(
        select(ServiceAppointment)
        .where(
            ServiceAppointment.dealer_id == dealer.id,
            ServiceAppointment.status != "cancelled",
            ServiceAppointment.start_at >= start,
            ServiceAppointment.start_at < end,
        )
        .order_by(ServiceAppointment.start_at, ServiceAppointment.bay)
    ).all()
    contacts = contacts_of(session, [v.customer_id for v in visits])
    held = {}
    for r, a in parts.held_by_dealer(session, dealer.id):
        held.setdefault(a.id, []).append(r)
    days: dict[dt.date, dict[int, list]] = {}
    for v in visits:
        local = v.start_at.astimezone(tz).date()
        days.setdefault(local, {}).setdefault(v.bay, []).append(v)
    stock = parts.stock_of(session, dealer.id)
    return render(
        request,
        "dealer_service.html",
        status_code=status_code,
        error=error,
        dealer=dealer,
        day=day,
        week=week,
        days=sorted(days.items()),
        bays=range(1, dealer.service_bays + 1),
        contacts=contacts,
        held=held,
        stock=stock,
        names=parts.names(session, [r.part_no for r in stock]),
        prev_day=(day - dt.timedelta(days=7 if week else 1)).isoformat(),
        next_day=(day + dt.timedelta(days=7 if week else 1)).isoformat(),
        tz=dealer.timezone,
        now=utcnow(),
        local_starts={
            v.id: (
                v.start_at.astimezone(tz).date().isoformat(),
                v.start_at.astimezone(tz).strftime("%H:%M"),
            )
            for v in visits
        },
    )


@router.get("/dealer/service")
def service_calendar(request: Request, session: ReadSession):
    who = _dealer(request)
    if who is None:
        return _login_first("/dealer/service")
    q = request.query_params
    return _calendar(request, session, who, day_raw=q.get("day"), week=q.get("view") == "week")


def _on_calendar(request, session, who, day: str, csrf_token: str, work):
    """Run a calendar action; back to that day's calendar, or the calendar with the error."""
    try:
        check_csrf(request, csrf_token)
        work()
    except DomainError as exc:
        session.rollback()
        return _calendar(
            request,
            session,
            who,
            day_raw=day,
            status_code=status_of(exc),
            error=error_text(request, exc),
        )
    return RedirectResponse(f"/dealer/service?{urlencode({'day': day, 'done': 1})}", 303)


@router.post("/dealer/service/{appointment_id}/reschedule")
def reschedule_visit(
    appointment_id: str,
    request: Request,
    session: DbSession,
    date: Short = "",
    time: Short = "",
    day: Short = "",
    csrf_token: Annotated[str, Form()] = "",
):
    """Move a booked visit to another time the dealer agreed with the customer (local time)."""
    who = _dealer(request)
    if who is None:
        return _login_first("/dealer/service")

    def work():
        dealer = session.get(Dealer, who.dealer_id)
        try:
            local = dt.datetime.combine(dt.date.fromisoformat(date), dt.time.fromisoformat(time))
        except ValueError:
            raise Invalid("start_required", "Choose a time.") from None
        start = local.replace(tzinfo=ZoneInfo(dealer.timezone))
        service.reschedule(session, who, appointment_id, start, now=utcnow())

    return _on_calendar(request, session, who, date or day, csrf_token, work)


@router.post("/dealer/service/{appointment_id}/parts")
def hold_part(
    appointment_id: str,
    request: Request,
    session: DbSession,
    part_no: Short = "",
    qty: Annotated[str, Form(max_length=7)] = "",
    day: Short = "",
    csrf_token: Annotated[str, Form()] = "",
):
    """Hold a part from stock for a booked visit (0 gives it back)."""
    who = _dealer(request)
    if who is None:
        return _login_first("/dealer/service")

    def work():
        count = _count(qty, "qty")
        service.reserve_part(session, who, appointment_id, part_no.strip(), count, now=utcnow())

    return _on_calendar(request, session, who, day, csrf_token, work)


# --- parts ----------------------------------------------------------------------------------


def _parts(request, session, who, *, status_code=200, error=None):
    """The dealer's stock (low stock first), the catalogue to count a new part from, and what
    is held for which visit."""
    stock = parts.stock_of(session, who.dealer_id)
    stock.sort(key=lambda r: (r.available > r.reorder_level, r.part_no))
    counted = {r.part_no for r in stock}
    catalogue = [
        p for p in session.scalars(select(Part).order_by(Part.part_no)) if p.part_no not in counted
    ]
    dealer = session.get(Dealer, who.dealer_id)
    return render(
        request,
        "dealer_parts.html",
        status_code=status_code,
        error=error,
        stock=stock,
        names=parts.names(session, [r.part_no for r in stock]),
        catalogue=catalogue,
        held=parts.held_by_dealer(session, who.dealer_id),
        tz=dealer.timezone,
    )


@router.get("/dealer/parts")
def parts_page(request: Request, session: ReadSession):
    who = _dealer(request)
    if who is None:
        return _login_first("/dealer/parts")
    return _parts(request, session, who)


@router.post("/dealer/parts/stock")
def count_stock(
    request: Request,
    session: DbSession,
    part_no: Short = "",
    on_hand: Annotated[str, Form(max_length=7)] = "",
    reorder_level: Annotated[str, Form(max_length=7)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    """Record a stock count (after a stocktake or a delivery) and the reorder level."""
    who = _dealer(request)
    if who is None:
        return _login_first("/dealer/parts")
    try:
        check_csrf(request, csrf_token)
        parts.set_stock(
            session,
            who.dealer_id,
            part_no.strip(),
            on_hand=_count(on_hand, "on_hand"),
            reorder_level=_count(reorder_level or "0", "reorder_level"),
        )
    except DomainError as exc:
        session.rollback()
        return _parts(
            request, session, who, status_code=status_of(exc), error=error_text(request, exc)
        )
    return RedirectResponse("/dealer/parts?done=1", status_code=303)
