"""One customer on a page: the profile and the timeline below it, for dealer staff
(/dealer/customers/{id}: only their own dealings, 404 for anyone else's customer) and for the
carmaker (/oem/customers/{id}: everything), plus the carmaker's look-up by e-mail or phone.

Who sees what is decided by the same service functions as the JSON API
(customers/profile.py, customers/timeline.py); this module only arranges it for a person who
has to act: what is due comes first, the phone is a link.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.catalog.models import Brand, CarModel, Dealer, Vehicle
from motormall.customers import profile, timeline
from motormall.customers.contacts import contacts_of, find_customers
from motormall.customers.timeline_words import event_word
from motormall.platform.auth import Principal
from motormall.platform.db import utcnow
from motormall.platform.deps import ReadSession
from motormall.platform.errors import NotFound
from motormall.web.render import page_principal, render

router = APIRouter(include_in_schema=False)
PER_PAGE = 30
OPEN_CASE = ("open", "contacted", "escalated", "reopened")
UPCOMING_DRIVE = ("booked", "review")
# what a timeline line says besides its kind, from the event's payload
MONEY_KEYS = ("amount", "price")


def _login(back: str) -> RedirectResponse:
    return RedirectResponse(f"/login?{urlencode({'next': back})}", status_code=303)


def _car_names(session: Session, vins: set[str]) -> dict[str, str]:
    if not vins:
        return {}
    rows = session.execute(
        select(Vehicle.vin, Brand.name, CarModel.name)
        .join(CarModel, CarModel.id == Vehicle.model_id)
        .join(Brand, Brand.id == Vehicle.brand_id)
        .where(Vehicle.vin.in_(vins))
    )
    return {v: f"{b} {m}" for v, b, m in rows}


def _due(p: profile.Profile, now: dt.datetime) -> dict:
    """What a dealer acts on first: the next drive, late and soon-due instalments, open
    cases, and inquiries nobody has answered yet."""
    upcoming = sorted(
        (
            d
            for d in p.test_drives
            if d["status"] in UPCOMING_DRIVE and dt.datetime.fromisoformat(d["start_at"]) >= now
        ),
        key=lambda d: d["start_at"],
    )
    return {
        "next_drive": upcoming[0] if upcoming else None,
        "late": [i for i in p.instalments if i["status"] == "late"],
        "soon": [i for i in p.instalments if i["status"] == "due"],
        "cases": [c for c in p.cases if c["status"] in OPEN_CASE],
        "new_leads": [x for x in p.open_leads if x["status"] == "new"],
    }


def _timeline(
    session: Session, who: Principal, customer_id: str, before: int | None, p: profile.Profile
):
    rows = timeline.read(session, who, customer_id, limit=PER_PAGE + 1, before_id=before)
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    dealers = {
        d.id: d
        for d in session.scalars(
            select(Dealer).where(Dealer.id.in_({r.dealer_id for r in rows if r.dealer_id}))
        )
    }
    # which car a lead, drive or order line is about, where the event itself does not say
    vin_of = {
        (kind, x["id"]): x["vin"]
        for kind, xs in (("lead", p.open_leads), ("test_drive", p.test_drives), ("order", p.orders))
        for x in xs
        if x.get("vin")
    }
    items = []
    for r in rows:
        payload = r.payload if isinstance(r.payload, dict) else {}
        money = next((payload[k] for k in MONEY_KEYS if payload.get(k)), None)
        note = str(payload.get("note") or "")
        if r.type == "lead.inquiry_repeated":  # "web: text": the channel code is no reading
            note = note.partition(": ")[2]
        items.append(
            {
                "id": r.id,
                "at": r.at.isoformat(),
                "kind": r.type,
                "word": event_word(r.type),
                "dealer": dealers.get(r.dealer_id),
                "vin": payload.get("vin")
                or (r.entity_id if r.entity_type == "vehicle" else None)
                or vin_of.get((r.entity_type, r.entity_id)),
                "money": money,
                "note": note,
            }
        )
    return items, (items[-1]["id"] if more else None)


def _customer_page(request: Request, session: Session, who: Principal, customer_id: str, before):
    now = utcnow()
    try:
        p = profile.read(session, who, customer_id, now=now)
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    events, older = _timeline(session, who, customer_id, before, p)
    vins = (
        set(p.cars)
        | {x["vin"] for x in p.orders + p.test_drives + p.open_leads if x.get("vin")}
        | {e["vin"] for e in events if e["vin"]}
    )
    tz = "Asia/Shanghai"
    if who.is_dealer and who.dealer_id:
        place = session.get(Dealer, who.dealer_id)
        tz = place.timezone if place is not None else tz
    dealer_view = who.is_dealer and not who.is_admin
    base = "/dealer/customers" if dealer_view else "/oem/customers"
    who_is = contacts_of(session, [customer_id]).get(customer_id)
    return render(
        request,
        "customer.html",
        p=p,
        who=who_is,
        name=(who_is.name or who_is.email) if who_is else customer_id,
        due=_due(p, now),
        events=events,
        older=older,
        first_page=before is None,
        cars=_car_names(session, vins),
        tz=tz,
        drive_day=lambda iso: dt.datetime.fromisoformat(iso).astimezone(ZoneInfo(tz)).date(),
        dealer_view=dealer_view,
        base=f"{base}/{customer_id}",
    )


Before = Annotated[int | None, Query(ge=1, description="id of the last event seen")]


@router.get("/dealer/customers/{customer_id}")
def dealer_customer(
    customer_id: str, request: Request, session: ReadSession, before: Before = None
):
    """A customer as the dealer knows them: only their dealings with this dealer."""
    who = page_principal(request)
    if who is None or not who.is_dealer:
        return _login(f"/dealer/customers/{customer_id}")
    return _customer_page(request, session, who, customer_id, before)


@router.get("/oem/customers")
def oem_lookup(
    request: Request, session: ReadSession, q: Annotated[str, Query(max_length=254)] = ""
):
    """The carmaker finds a customer by e-mail or phone (any common way of writing it)."""
    who = page_principal(request)
    if who is None or not who.is_admin:
        return _login("/oem/customers")
    found = find_customers(session, q) if q.strip() else []
    if len({x.customer_id for x in found}) == 1:  # one person: straight to them
        return RedirectResponse(f"/oem/customers/{found[0].customer_id}", status_code=303)
    return render(request, "oem_customers.html", q=q, found=found, searched=bool(q.strip()))


@router.get("/oem/customers/{customer_id}")
def oem_customer(customer_id: str, request: Request, session: ReadSession, before: Before = None):
    """A customer as the carmaker sees them: every channel, every dealer."""
    who = page_principal(request)
    if who is None or not who.is_admin:
        return _login(f"/oem/customers/{customer_id}")
    return _customer_page(request, session, who, customer_id, before)
