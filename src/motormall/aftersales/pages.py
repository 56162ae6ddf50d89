"""After-sales pages for the customer: service bookings (book, reschedule, cancel from "my
cars") and service history. The dealer's are in dealer_pages.py."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from motormall.aftersales import rules, service
from motormall.aftersales.models import ServiceAppointment
from motormall.aftersales.owners import cars_of
from motormall.catalog.models import Dealer
from motormall.platform.auth import Role
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession
from motormall.platform.errors import DomainError, Invalid, status_of
from motormall.web.render import check_csrf, error_text, page_principal, render

router = APIRouter(include_in_schema=False)
LOCAL = ZoneInfo("Asia/Shanghai")


def _login_first(back: str):
    return RedirectResponse(f"/login?{urlencode({'next': back})}", status_code=303)


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
