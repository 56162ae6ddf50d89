"""Lead routes: intake, the dealer inbox and its events, ADF export, policy, webhooks."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from motormall.catalog.models import Brand, CarModel, Dealer, Trim, Vehicle
from motormall.leads import adf, schemas, service, stats, webhooks
from motormall.leads.models import LeadAssignment, LeadEvent, WebhookDelivery
from motormall.platform.auth import Principal, Role, User
from motormall.platform.db import utcnow
from motormall.platform.deps import CurrentPrincipal, DbSession, ReadSession, require
from motormall.platform.errors import Invalid, NotFound
from motormall.platform.geo import parse_near
from motormall.platform.money import MoneyOut

router = APIRouter(tags=["leads"])
Customer = Annotated[Principal, require(Role.customer)]
Staff = Annotated[Principal, require(Role.dealer_staff, Role.dealer_manager)]
Manager = Annotated[Principal, require(Role.dealer_manager)]
Admin = Annotated[Principal, require(Role.oem_admin)]


def lead_out(session, lead, who: Principal) -> schemas.LeadOut:
    dealer = session.get(Dealer, lead.dealer_id)
    model = session.get(CarModel, lead.model_id)
    codes = dict(session.execute(select(Dealer.id, Dealer.code)).all())
    evts = session.scalars(
        select(LeadEvent).where(LeadEvent.lead_id == lead.id).order_by(LeadEvent.at, LeadEvent.id)
    ).all()
    staff = who.is_admin or who.is_dealer
    assignments = None
    if staff:
        rows = session.scalars(
            select(LeadAssignment)
            .where(LeadAssignment.lead_id == lead.id)
            .order_by(LeadAssignment.at, LeadAssignment.id)
        ).all()
        # a dealer sees the decisions that involve it, and in them only its own routing facts
        own = None if who.is_admin else codes.get(who.dealer_id)
        assignments = [
            schemas.Assignment(
                dealer=codes[a.dealer_id],
                reason=a.reason,
                at=a.at.isoformat(),
                radius_km=a.radius_km,
                flags=a.flags,
                candidates=[c for c in a.candidates if own is None or c.get("dealer") == own],
            )
            for a in rows
            if who.is_admin or who.dealer_id in (a.dealer_id, a.from_dealer_id)
        ]
    return schemas.LeadOut(
        id=lead.id,
        channel=lead.channel,
        status=lead.status,
        brand=model.brand.code,
        model_id=model.id,
        model=model.name,
        vin=lead.vin,
        message=lead.message,
        dealer_code=dealer.code,
        dealer_name=dealer.name,
        sla_due_at=lead.sla_due_at.isoformat(),
        first_contact_at=lead.first_contact_at.isoformat() if lead.first_contact_at else None,
        flags=lead.flags,
        inquiries=lead.inquiries,
        created_at=lead.created_at.isoformat(),
        events=[
            schemas.LeadEventOut(
                type=e.type,
                note=e.note if staff else "",
                at=e.at.isoformat(),
                dealer=codes[e.dealer_id],
                amount=MoneyOut.of(e.amount) if e.amount is not None else None,
            )
            for e in evts
            if staff or e.type != "note"
        ],
        assignments=assignments,
    )


@router.post(
    "/leads",
    status_code=201,
    response_model=schemas.LeadCreated,
    responses={
        200: {"model": schemas.LeadCreated, "description": "merged into the customer's open lead"}
    },
)
def create_lead(body: schemas.LeadIn, session: DbSession, who: Customer):
    """An inquiry from any channel. It goes to one dealer, who must make first contact by
    `sla_due_at`; the same customer asking again about the same model within the window
    joins the open lead (200, `merged: true`)."""
    inquiry = service.Inquiry(
        channel=body.channel.value,
        model_id=body.model_id,
        vin=body.vin,
        message=body.message,
        near=parse_near(body.near) if body.near else None,
    )
    intake = service.submit(session, who, inquiry, now=utcnow())
    lead = intake.lead
    dealer = session.get(Dealer, lead.dealer_id)
    out = schemas.LeadCreated(
        id=lead.id,
        dealer_code=dealer.code,
        dealer_name=dealer.name,
        sla_due_at=lead.sla_due_at.isoformat(),
        status=lead.status,
        flags=lead.flags,
        merged=intake.merged,
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=200 if intake.merged else 201)


@router.get(
    "/leads/{lead_id}.adf",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def lead_adf(lead_id: str, session: ReadSession, who: CurrentPrincipal):
    """The lead in ADF 1.0 XML, for a dealer's CRM."""
    lead = service.get_for(session, who, lead_id)
    if not (who.is_admin or who.is_dealer):
        raise NotFound("lead_not_found", f"No lead {lead_id}.")
    customer = session.get(User, lead.customer_id)
    model = session.get(CarModel, lead.model_id)
    dealer = session.get(Dealer, lead.dealer_id)
    vehicle = session.scalar(select(Vehicle).where(Vehicle.vin == lead.vin)) if lead.vin else None
    trim = session.get(Trim, vehicle.trim_id) if vehicle else None
    body = adf.render(
        adf.AdfLead(
            lead_id=lead.id,
            request_date=lead.created_at.isoformat(),
            interest="test-drive" if lead.channel == "test_drive" else "buy",
            year=vehicle.year if vehicle else None,
            make=session.scalar(select(Brand.name).where(Brand.id == model.brand_id)),
            model=model.name,
            vin=lead.vin,
            trim=trim.name if trim else None,
            price=f"{vehicle.price:.2f}" if vehicle else None,
            currency=vehicle.currency if vehicle else "CNY",
            customer_name=customer.name,
            email=customer.email,
            phone=customer.phone,
            city=customer.city,
            comments=lead.message,
            dealer_code=dealer.code,
            dealer_name=dealer.name,
            timeframe_due=lead.sla_due_at.isoformat(),
        )
    )
    return Response(body, media_type="application/xml")


@router.get("/leads/{lead_id}", response_model=schemas.LeadOut)
def get_lead(lead_id: str, session: ReadSession, who: CurrentPrincipal):
    """A lead: for its customer, which dealer will call and by when; for staff, also why
    that dealer got it."""
    return lead_out(session, service.get_for(session, who, lead_id), who)


def _cursor(lead) -> str:
    raw = f"{lead.sla_due_at.isoformat()}|{lead.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str | None):
    if not cursor:
        return None
    try:
        due, lead_id = (
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        )
        return dt.datetime.fromisoformat(due), lead_id
    except (ValueError, UnicodeDecodeError):
        raise Invalid("invalid_cursor", "The cursor is not one this list returned.") from None


@router.get("/dealer/leads", response_model=schemas.LeadPage)
def dealer_leads(
    session: ReadSession,
    who: Staff,
    status: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    """The dealer's open leads, the most urgent SLA first."""
    rows = service.inbox(
        session, who.dealer_id, statuses=status, limit=limit + 1, after=_after(cursor)
    )
    items = rows[:limit]
    return schemas.LeadPage(
        items=[lead_out(session, lead, who) for lead in items],
        next_cursor=_cursor(items[-1]) if len(rows) > limit else None,
    )


@router.post("/leads/{lead_id}/events", response_model=schemas.LeadOut)
def lead_event(lead_id: str, body: schemas.LeadEventIn, session: DbSession, who: Staff):
    """The dealer reports progress: contacted, test_drive_booked, quoted, won, lost (say why
    in `note`), or just a note."""
    lead = service.get_for(session, who, lead_id, lock=True)
    if body.amount is not None and body.amount.currency != "CNY":
        raise Invalid("currency_not_supported", "Quotes are in CNY.")
    service.record_event(
        session,
        who,
        lead,
        body.type,
        body.note,
        now=utcnow(),
        amount=body.amount.amount if body.amount else None,
    )
    return lead_out(session, lead, who)


@router.get("/admin/leads/policy")
def get_policy(session: ReadSession, who: Admin):
    return service.current_policy(session).to_dict()


@router.put("/admin/leads/policy")
def put_policy(body: schemas.PolicyIn, session: DbSession, who: Admin):
    """Change routing radius, widening steps, weights, dedupe window and SLA minutes."""
    changes = body.model_dump(exclude_none=True)
    return service.set_policy(session, changes, actor_id=who.user_id, now=utcnow()).to_dict()


@router.put("/dealer/webhook", response_model=schemas.WebhookOut)
def put_webhook(body: schemas.WebhookIn, session: DbSession, who: Manager):
    """Where the dealer's own system receives signed lead webhooks; returns the secret that
    signs them (`X-Motormall-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`)."""
    endpoint = webhooks.set_endpoint(session, who.dealer_id, str(body.url), now=utcnow())
    return schemas.WebhookOut(url=endpoint.url, secret=endpoint.secret)


@router.get("/dealer/webhooks", response_model=schemas.DeliveryPage)
def list_deliveries(
    session: ReadSession,
    who: Staff,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|dead)$")] = None,
):
    stmt = select(WebhookDelivery).where(WebhookDelivery.dealer_id == who.dealer_id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    rows = session.scalars(stmt.order_by(WebhookDelivery.created_at.desc()).limit(100))
    return {
        "next_cursor": None,
        "items": [
            schemas.DeliveryOut(
                id=d.id,
                event=d.event,
                status=d.status,
                attempts=d.attempts,
                last_error=d.last_error,
                next_attempt_at=d.next_attempt_at.isoformat(),
                created_at=d.created_at.isoformat(),
            )
            for d in rows
        ],
    }


@router.post("/dealer/webhooks/{delivery_id}/replay", status_code=202)
def replay_delivery(delivery_id: str, session: DbSession, who: Manager):
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.dealer_id != who.dealer_id:
        raise NotFound("delivery_not_found", f"No webhook delivery {delivery_id}.")
    webhooks.replay(session, delivery, now=utcnow())
    return {"id": delivery.id, "status": delivery.status}


@router.get("/admin/leads/conversion")
def conversion(session: ReadSession, who: Admin):
    """Per dealer: leads → first contact in time → test drives → orders credited → won."""
    from motormall.orders.service import credited_counts

    counts = stats.lead_counts(session)
    orders = credited_counts(session)
    codes = dict(session.execute(select(Dealer.id, Dealer.code)).all())
    items = []
    for dealer_id in sorted(set(counts) | set(orders), key=lambda d: codes.get(d, "")):
        row = counts.get(
            dealer_id,
            {
                "leads": 0,
                "contacted_on_time": 0,
                "won": 0,
                "lost": 0,
                "test_drives": 0,
                "sla_breaches": 0,
            },
        )
        n = row["leads"]
        items.append(
            {
                "dealer": codes.get(dealer_id),
                **row,
                "orders": orders.get(dealer_id, 0),
                "contact_rate": round(row["contacted_on_time"] / n, 3) if n else None,
                "order_rate": round(orders.get(dealer_id, 0) / n, 3) if n else None,
            }
        )
    return {"items": items}
