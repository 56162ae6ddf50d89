"""Lead pages: the buyer asks about a car and sees who will call; the dealer's inbox."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from motormall.catalog.models import Dealer
from motormall.customers.contacts import contacts_of
from motormall.leads import service, targets, webhooks
from motormall.leads.api import lead_out
from motormall.leads.models import DealerEndpoint, WebhookDelivery
from motormall.leads.schemas import WebhookIn
from motormall.platform.auth import Role
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession
from motormall.platform.errors import DomainError, status_of
from motormall.platform.money import parse_amount
from motormall.web.render import N_, check_csrf, error_text, page_principal, render

router = APIRouter(include_in_schema=False)
NOT_PUBLIC = N_("Webhooks go only to a public internet address, not to a private network.")


def _login_first(request: Request, back: str):
    return RedirectResponse(f"/login?{urlencode({'next': back})}", status_code=303)


@router.post("/vehicles/{vin}/inquiry")
def ask_about_car(
    vin: str,
    request: Request,
    session: DbSession,
    message: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    who = page_principal(request)
    if who is None:
        # the question rides through the login in the link back, so nothing typed is lost
        back = (
            f"/vehicles/{vin}?{urlencode({'question': message})}" if message else f"/vehicles/{vin}"
        )
        return _login_first(request, back)
    try:
        check_csrf(request, csrf_token)
        if who.role != Role.customer:
            raise DomainError("role_not_allowed", "Log in as a customer to ask a dealer.")
        intake = service.submit(
            session, who, service.Inquiry(channel="web", vin=vin, message=message), now=utcnow()
        )
    except DomainError as exc:
        session.rollback()
        return render(request, "not_found.html", status_code=422, message=error_text(request, exc))
    return RedirectResponse(f"/leads/{intake.lead.id}", status_code=303)


@router.get("/leads/{lead_id}")
def lead_page(lead_id: str, request: Request, session: ReadSession):
    who = page_principal(request)
    if who is None:
        return _login_first(request, f"/leads/{lead_id}")
    try:
        raw = service.get_for(session, who, lead_id)
    except DomainError:
        return render(request, "not_found.html", status_code=404)
    lead = lead_out(session, raw, who)
    # staff reading a lead can open the whole customer (their own dealings, for a dealer)
    customer_page = None
    if who.is_admin:
        customer_page = f"/oem/customers/{raw.customer_id}"
    elif who.is_dealer:
        customer_page = f"/dealer/customers/{raw.customer_id}"
    return render(
        request,
        "lead.html",
        lead=lead,
        dealer=session.get(Dealer, raw.dealer_id),
        customer_page=customer_page,
    )


@router.get("/leads")
def my_inquiries(request: Request, session: ReadSession):
    """The buyer's questions to dealers: who answers, how to reach them, where each stands."""
    who = page_principal(request)
    if who is None:
        return _login_first(request, "/leads")
    leads = service.of_customer(session, who.user_id)
    dealers = {
        d.id: d
        for d in session.scalars(select(Dealer).where(Dealer.id.in_({x.dealer_id for x in leads})))
    }
    rows = [(lead_out(session, x, who), dealers[x.dealer_id]) for x in leads]
    return render(request, "my_leads.html", rows=rows)


def _inbox(request, session, who, *, status_code=200, error=None, confirm=None):
    """The dealer's open leads with the buyer's contact: a lead is worked by calling them."""
    raw = service.inbox(session, who.dealer_id)
    contacts = contacts_of(session, [x.customer_id for x in raw])
    leads = [(lead_out(session, x, who), contacts.get(x.customer_id)) for x in raw]
    return render(
        request,
        "dealer_leads.html",
        status_code=status_code,
        leads=leads,
        customer_of={x.id: x.customer_id for x in raw},
        error=error,
        confirm=confirm,
    )


@router.get("/dealer/leads")
def inbox_page(request: Request, session: ReadSession):
    who = page_principal(request)
    if who is None or not who.is_dealer:
        return _login_first(request, "/dealer/leads")
    return _inbox(request, session, who)


@router.post("/dealer/leads/{lead_id}/events")
def inbox_event(
    lead_id: str,
    request: Request,
    session: DbSession,
    type: Annotated[str, Form(max_length=30)],
    note: Annotated[str, Form(max_length=2000)] = "",
    amount: Annotated[str, Form(max_length=20)] = "",
    confirmed: Annotated[str, Form(max_length=5)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    who = page_principal(request)
    if who is None or not who.is_dealer:
        return _login_first(request, "/dealer/leads")
    try:
        check_csrf(request, csrf_token)
        lead = service.get_for(session, who, lead_id, lock=True)
        if type == "won" and lead.first_contact_at is None and confirmed != "yes":
            # a sale to someone never contacted is usually a slip of the finger: ask first
            session.rollback()
            return _inbox(request, session, who, confirm={"lead_id": lead_id, "note": note})
        quoted = parse_amount(amount) if amount.strip() and type == "quoted" else None
        service.record_event(session, who, lead, type, note, now=utcnow(), amount=quoted)
    except (DomainError, ValueError) as exc:
        session.rollback()
        status = status_of(exc) if isinstance(exc, DomainError) else 422
        return _inbox(request, session, who, status_code=status, error=error_text(request, exc))
    return RedirectResponse("/dealer/leads", status_code=303)


@router.get("/dealer/webhooks")
def webhooks_page(request: Request, session: ReadSession):
    """The dealer's own system: where lead webhooks go, and how the recent ones fared."""
    who = page_principal(request)
    if who is None or not who.is_dealer:
        return _login_first(request, "/dealer/webhooks")
    return _webhooks(request, session, who)


def _webhooks(request, session, who, error=None, status_code=200):
    endpoint = session.get(DealerEndpoint, who.dealer_id)
    deliveries = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.dealer_id == who.dealer_id)
        .order_by(WebhookDelivery.created_at.desc())
        .limit(50)
    ).all()
    return render(
        request,
        "dealer_webhooks.html",
        status_code=status_code,
        endpoint=endpoint,
        deliveries=deliveries,
        error=error,
        manager=who.role == Role.dealer_manager,
    )


@router.post("/dealer/webhooks")
def webhooks_save(
    request: Request,
    session: DbSession,
    url: Annotated[str, Form(max_length=500)],
    csrf_token: Annotated[str, Form()] = "",
):
    who = page_principal(request)
    if who is None or who.role != Role.dealer_manager:
        return _login_first(request, "/dealer/webhooks")
    try:
        check_csrf(request, csrf_token)
        checked = WebhookIn(url=url)
    except ValidationError:
        return _webhooks(request, session, who, error="Give a full http(s) URL.", status_code=422)
    except DomainError as exc:
        return _webhooks(request, session, who, error=error_text(request, exc), status_code=400)
    try:
        webhooks.set_endpoint(session, who.dealer_id, str(checked.url), now=utcnow())
    except targets.TargetForbidden:
        return _webhooks(request, session, who, error=NOT_PUBLIC, status_code=422)
    return RedirectResponse("/dealer/webhooks", status_code=303)


@router.post("/dealer/webhooks/{delivery_id}/replay")
def webhooks_replay(
    delivery_id: str, request: Request, session: DbSession, csrf_token: Annotated[str, Form()] = ""
):
    who = page_principal(request)
    if who is None or who.role != Role.dealer_manager:
        return _login_first(request, "/dealer/webhooks")
    check_csrf(request, csrf_token)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is not None and delivery.dealer_id == who.dealer_id:
        webhooks.replay(session, delivery, now=utcnow())
    return RedirectResponse("/dealer/webhooks", status_code=303)
