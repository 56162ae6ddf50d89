"""After-sales pages: the dealer's service calendar and parts; the customer's service
bookings (book, reschedule, cancel from "my cars") and service history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from motormall.aftersales import parts, rules, service
from motormall.aftersales.models import ServiceAppointment
from motormall.aftersales.owners import cars_of
from motormall.catalog.models import Dealer
from motormall.customers.contacts import contacts_of
from motormall.platform.auth import Role
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession
from motormall.platform.errors import DomainError, Invalid, status_of
from motormall.web.render import check_csrf, error_text, page_principal, render

router = APIRouter(include_in_schema=False)
LOCAL = ZoneInfo("Asia/Shanghai")


def _login_first(back: str):
    return RedirectResponse(f"/login?{urlencode({'next': back})}", status_code=303)


def _day(raw: str | None, tz: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else dt.datetime.now(ZoneInfo(tz)).date()
    except ValueError:
        return dt.datetime.now(ZoneInfo(tz)).date()


# --- the dealer's service calendar and parts ------------------------------------------------


@router.get("/dealer/service")
def service_calendar(request: Request, session: ReadSession):
    """Today (or a week) by bay: who is coming, for what, and the parts held for them."""
    who = page_principal(request)
    if who is None or not who.is_dealer:
        return _login_first("/dealer/service")
    dealer = session.get(Dealer, who.dealer_id)
    day = _day(request.query_params.get("day"), dealer.timezone)
    week = request.query_params.get("view") == "week"
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
    return render(
        request,
        "dealer_service.html",
        dealer=dealer,
        day=day,
        week=week,
        days=sorted(days.items()),
        bays=range(1, dealer.service_bays + 1),
        contacts=contacts,
        held=held,
        prev_day=(day - dt.timedelta(days=7 if week else 1)).isoformat(),
        next_day=(day + dt.timedelta(days=7 if week else 1)).isoformat(),
        tz=dealer.timezone,
    )


@router.get("/dealer/parts")
def parts_page(request: Request, session: ReadSession):
    """The dealer's stock (low stock first), and what is held for which visit."""
    who = page_principal(request)
    if who is None or not who.is_dealer:
        return _login_first("/dealer/parts")
    stock = parts.stock_of(session, who.dealer_id)
    stock.sort(key=lambda r: (r.available > r.reorder_level, r.part_no))
    dealer = session.get(Dealer, who.dealer_id)
    return render(
        request,
        "dealer_parts.html",
        stock=stock,
        names=parts.names(session, [r.part_no for r in stock]),
        held=parts.held_by_dealer(session, who.dealer_id),
        tz=dealer.timezone,
    )


# --- the customer's bookings ----------------------------------------------------------------


def _my_service(request, session, who, *, status_code=200, error=None):
    q = request.query_params
    mine = session.scalars(
        select(ServiceAppointment)
        .where(ServiceAppointment.customer_id == who.user_id)
        .order_by(ServiceAppointment.start_at.desc())
    ).all()
    now = utcnow()
    upcoming = sorted(
        (a for a in mine if a.status == "booked" and a.end_at > now), key=lambda a: a.start_at
    )
    history = [a for a in mine if a.status == "completed"]
    dealers = session.scalars(select(Dealer).order_by(Dealer.code)).all()
    by_id = {d.id: d for d in dealers}
    moving = next((a for a in upcoming if a.id == q.get("move")), None)
    pick = {
        "vin": q.get("vin", ""),
        "kind": q.get("kind") if q.get("kind") in rules.KINDS else "maintenance",
        "dealer": q.get("dealer", ""),
        "date": q.get("date", ""),
    }
    if moving is not None:
        pick.update(vin=moving.vin, kind=moving.kind, dealer=by_id[moving.dealer_id].code)
    starts, chosen = [], None
    if pick["dealer"] and pick["date"]:
        try:
            chosen = service.dealer_by_code(session, pick["dealer"])
            day = dt.date.fromisoformat(pick["date"])
            starts = service.free_starts(session, chosen, day, pick["kind"], now=now)
        except (DomainError, ValueError) as exc:
            error = error or error_text(request, exc)
    return render(
        request,
        "my_service.html",
        status_code=status_code,
        error=error,
        cars=cars_of(session, who.user_id),
        upcoming=upcoming,
        history=history,
        dealers=dealers,
        by_id=by_id,
        pick=pick,
        moving=moving,
        starts=starts,
        chosen=chosen,
        kinds=rules.KINDS,
        local_dates={
            a.id: a.start_at.astimezone(ZoneInfo(by_id[a.dealer_id].timezone)).date().isoformat()
            for a in upcoming
        },
        today=dt.datetime.now(LOCAL).date().isoformat(),
    )


@router.get("/me/service")
def my_service(request: Request, session: ReadSession):
    who = page_principal(request)
    if who is None:
        query = f"?{request.url.query}" if request.url.query else ""
        return _login_first(f"/me/service{query}")
    if who.role != Role.customer:
        return render(request, "not_found.html", status_code=404)
    return _my_service(request, session, who)


def _act(request, session, work):
    who = page_principal(request)
    if who is None or who.role != Role.customer:
        return _login_first("/me/service")
    try:
        work(who)
    except DomainError as exc:
        session.rollback()
        return _my_service(
            request, session, who, status_code=status_of(exc), error=error_text(request, exc)
        )
    return RedirectResponse("/me/service?done=1", status_code=303)


def _start(raw: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid("start_required", "Choose a time.") from None


@router.post("/me/service/book")
def book_page(
    request: Request,
    session: DbSession,
    vin: Annotated[str, Form(max_length=40)] = "",
    dealer: Annotated[str, Form(max_length=20)] = "",
    kind: Annotated[str, Form(max_length=20)] = "maintenance",
    start: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    def work(who):
        check_csrf(request, csrf_token)
        req = service.BookRequest(vin=vin, dealer=dealer, start=_start(start), kind=kind)
        service.book(session, who, req, now=utcnow())

    return _act(request, session, work)


@router.post("/me/service/{appointment_id}/reschedule")
def reschedule_page(
    appointment_id: str,
    request: Request,
    session: DbSession,
    start: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    def work(who):
        check_csrf(request, csrf_token)
        service.reschedule(session, who, appointment_id, _start(start), now=utcnow())

    return _act(request, session, work)


@router.post("/me/service/{appointment_id}/cancel")
def cancel_page(
    appointment_id: str,
    request: Request,
    session: DbSession,
    csrf_token: Annotated[str, Form()] = "",
):
    def work(who):
        check_csrf(request, csrf_token)
        service.cancel(session, who, appointment_id, now=utcnow())

    return _act(request, session, work)
