"""Lead rules: intake with de-duplication, routing, dealer events, SLA re-routing,
attribution. No HTTP here."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from motormall.catalog.models import CarModel, Dealer, Vehicle, VehicleStatus, dealer_brands
from motormall.catalog.vin import normalise_vin
from motormall.leads import routing, sla, stats, webhooks
from motormall.leads.events import LeadAssigned, LeadProgressed
from motormall.leads.models import (
    DealerLeadStats,
    Lead,
    LeadAssignment,
    LeadEvent,
    LeadStatus,
    RoutingPolicy,
)
from motormall.platform import audit, events
from motormall.platform.auth import Principal, User
from motormall.platform.errors import Conflict, Invalid, NotFound
from motormall.platform.geo import bounding_box, haversine_km

OPEN = (LeadStatus.new, LeadStatus.contacted, LeadStatus.test_drive_booked, LeadStatus.quoted)
CLOSED = (LeadStatus.won, LeadStatus.lost)
# How far along a lead is; an event may not move it backwards.
RANK = {
    LeadStatus.new: 0,
    LeadStatus.contacted: 1,
    LeadStatus.test_drive_booked: 2,
    LeadStatus.quoted: 3,
    LeadStatus.won: 4,
    LeadStatus.lost: 4,
}
log = logging.getLogger(__name__)

EVENT_TYPES = ("contacted", "test_drive_booked", "quoted", "won", "lost", "note")


# --- the carmaker's policy ----------------------------------------------------------------


def current_policy(session: Session) -> routing.Policy:
    row = session.scalar(select(RoutingPolicy).order_by(RoutingPolicy.id.desc()).limit(1))
    return routing.Policy.from_dict(row.settings) if row else routing.Policy()


def set_policy(session: Session, data: dict, *, actor_id: str, now: dt.datetime) -> routing.Policy:
    policy = routing.Policy.from_dict({**current_policy(session).to_dict(), **data})
    if policy.radius_km <= 0 or any(r <= policy.radius_km for r in policy.widen_to_km):
        raise Invalid("policy_invalid", "widen_to_km must list radii larger than radius_km.")
    if policy.sla_minutes < 1 or policy.dedupe_hours < 0:
        raise Invalid("policy_invalid", "sla_minutes must be at least 1, dedupe_hours >= 0.")
    session.add(RoutingPolicy(settings=policy.to_dict(), updated_at=now, updated_by=actor_id))
    audit.record(
        session,
        actor_id=actor_id,
        action="leads.policy_changed",
        entity_type="routing_policy",
        entity_id="current",
        detail=policy.to_dict(),
    )
    return policy


# --- candidates and routing ---------------------------------------------------------------


def _local_midnight(now: dt.datetime, tz: str) -> dt.datetime:
    local = now.astimezone(ZoneInfo(tz))
    return dt.datetime.combine(local.date(), dt.time(0), ZoneInfo(tz)).astimezone(dt.UTC)


def candidates(
    session: Session,
    *,
    brand_id: int,
    model_id: int,
    near: tuple[float, float],
    policy: routing.Policy,
    now: dt.datetime,
) -> list[routing.Candidate]:
    """The dealers selling the brand within the policy's widest radius (all of them when
    none is that close), with what the routing rule needs to know. The box around the
    widest radius changes no decision: the rule looks further only when nobody is inside."""
    columns = (
        Dealer.id,
        Dealer.code,
        Dealer.lat,
        Dealer.lon,
        Dealer.lead_capacity_per_day,
        Dealer.timezone,
    )
    selling = (
        select(*columns)
        .join(dealer_brands, dealer_brands.c.dealer_id == Dealer.id)
        .where(dealer_brands.c.brand_id == brand_id)
    )
    lat0, lat1, lon0, lon1 = bounding_box(*near, max((policy.radius_km, *policy.widen_to_km)))
    dealers = session.execute(
        selling.where(Dealer.lat.between(lat0, lat1), Dealer.lon.between(lon0, lon1))
    ).all()
    if not dealers:
        dealers = session.execute(selling).all()
    if not dealers:
        return []
    ids = [d.id for d in dealers]
    stocked = set(
        session.scalars(
            select(Vehicle.dealer_id)
            .where(
                Vehicle.model_id == model_id,
                Vehicle.status == VehicleStatus.available.value,
                Vehicle.dealer_id.in_(ids),
            )
            .distinct()
        )
    )
    # leads today (from local midnight; one time zone per query, usually just one) and over
    # the fairness window, counted in one pass over the assignments
    recent_since = now - dt.timedelta(days=policy.fairness_days)
    today: dict[int, int] = {}
    recent: dict[int, int] = {}
    for tz in {d.timezone for d in dealers}:
        midnight = _local_midnight(now, tz)
        rows = session.execute(
            select(
                LeadAssignment.dealer_id,
                func.sum(case((LeadAssignment.at >= midnight, 1), else_=0)),
                func.sum(case((LeadAssignment.at >= recent_since, 1), else_=0)),
            )
            .where(
                LeadAssignment.dealer_id.in_([d.id for d in dealers if d.timezone == tz]),
                LeadAssignment.at >= min(midnight, recent_since),
            )
            .group_by(LeadAssignment.dealer_id)
        ).all()
        for dealer_id, n_today, n_recent in rows:
            today[dealer_id], recent[dealer_id] = int(n_today or 0), int(n_recent or 0)
    rates = dict(
        session.execute(
            select(DealerLeadStats.dealer_id, DealerLeadStats.response_rate).where(
                DealerLeadStats.dealer_id.in_(ids)
            )
        ).all()
    )
    lat, lon = near
    return [
        routing.Candidate(
            dealer_id=d.id,
            code=d.code,
            distance_km=haversine_km(lat, lon, d.lat, d.lon),
            has_stock=d.id in stocked,
            capacity=d.lead_capacity_per_day,
            assigned_today=today.get(d.id, 0),
            response_rate=rates.get(d.id, stats.PRIOR),
            recent_leads=recent.get(d.id, 0),
        )
        for d in dealers
    ]


# --- intake -------------------------------------------------------------------------------


@dataclass
class Inquiry:
    channel: str
    model_id: int | None = None
    vin: str | None = None
    message: str = ""
    near: tuple[float, float] | None = None


@dataclass
class Intake:
    lead: Lead
    merged: bool


def _subject(session: Session, inquiry: Inquiry) -> tuple[CarModel, Vehicle | None]:
    vehicle = None
    if inquiry.vin:
        vin = normalise_vin(inquiry.vin)
        vehicle = session.scalar(select(Vehicle).where(Vehicle.vin == vin))
        if vehicle is None:
            raise Invalid("unknown_vehicle", f"No vehicle with VIN {vin}.")
        model = session.get(CarModel, vehicle.model_id)
        if inquiry.model_id and inquiry.model_id != model.id:
            raise Invalid("model_vin_mismatch", "The VIN is not of the model given.")
        return model, vehicle
    if not inquiry.model_id:
        raise Invalid("model_required", "Give model_id or vin.")
    model = session.get(CarModel, inquiry.model_id)
    if model is None:
        raise Invalid("unknown_model", f"No model with id {inquiry.model_id}.")
    return model, None


def _where(session: Session, who: Principal, inquiry: Inquiry, vehicle: Vehicle | None):
    """The customer's position: given, else where the car stands, else their city."""
    if inquiry.near:
        return inquiry.near
    if vehicle is not None:
        site = vehicle.tower or vehicle.dealer
        return site.lat, site.lon
    city = session.scalar(select(User.city).where(User.id == who.user_id))
    if city:
        row = session.execute(
            select(func.avg(Dealer.lat), func.avg(Dealer.lon)).where(Dealer.city == city)
        ).one()
        if row[0] is not None:
            return float(row[0]), float(row[1])
    raise Invalid("near_required", "Give near=LAT,LON (or a vin) so we can find your dealer.")


def submit(session: Session, who: Principal, inquiry: Inquiry, *, now: dt.datetime) -> Intake:
    """Take an inquiry from any channel: merge it into the customer's open lead on the same
    model within the window, else route a new lead to one dealer."""
    model, vehicle = _subject(session, inquiry)
    policy = current_policy(session)
    open_lead = session.scalar(
        select(Lead)
        .where(
            Lead.customer_id == who.user_id,
            Lead.model_id == model.id,
            Lead.status.in_([s.value for s in OPEN]),
            Lead.created_at >= now - dt.timedelta(hours=policy.dedupe_hours),
        )
        .order_by(Lead.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    if open_lead is not None:
        open_lead.inquiries += 1
        open_lead.updated_at = now
        if inquiry.message:
            open_lead.message = (open_lead.message + "\n---\n" + inquiry.message).strip()[-4000:]
        _event(
            session,
            open_lead,
            "inquiry_repeated",
            actor_id=who.user_id,
            now=now,
            note=f"{inquiry.channel}: {inquiry.message}"[:500],
        )
        return Intake(open_lead, merged=True)

    near = _where(session, who, inquiry, vehicle)
    decision = routing.route(
        candidates(
            session, brand_id=model.brand_id, model_id=model.id, near=near, policy=policy, now=now
        ),
        policy,
    )
    if decision is None:
        raise Invalid(
            "no_dealer_for_brand",
            "No dealer sells this brand yet; the carmaker must authorise one.",
        )
    dealer = session.get(Dealer, decision.dealer_id)
    lead = Lead(
        customer_id=who.user_id,
        channel=inquiry.channel,
        brand_id=model.brand_id,
        model_id=model.id,
        vin=vehicle.vin if vehicle else None,
        message=inquiry.message,
        lat=near[0],
        lon=near[1],
        dealer_id=dealer.id,
        flags=decision.flags,
        sla_due_at=sla.due_at(now, policy.sla_minutes, dealer.opening_hours, dealer.timezone),
        created_at=now,
        updated_at=now,
    )
    session.add(lead)
    session.flush()
    _assign(session, lead, decision, reason="routed", from_dealer_id=None, now=now)
    audit.record(
        session,
        actor_id=who.user_id,
        action="lead.created",
        entity_type="lead",
        entity_id=lead.id,
        detail={"dealer": dealer.code, "flags": decision.flags},
    )
    return Intake(lead, merged=False)


def _assign(session, lead: Lead, decision: routing.Decision, *, reason, from_dealer_id, now):
    session.add(
        LeadAssignment(
            lead_id=lead.id,
            dealer_id=decision.dealer_id,
            from_dealer_id=from_dealer_id,
            reason=reason,
            radius_km=decision.radius_km,
            flags=decision.flags,
            candidates=decision.candidates,
            at=now,
        )
    )
    events.publish(
        session,
        LeadAssigned(
            entity_id=lead.id,
            customer_id=lead.customer_id,
            dealer_ids=(decision.dealer_id,),
            at=now,
            dealer=decision.code,
            reason=reason,
            flags=tuple(decision.flags),
            sla_due_at=lead.sla_due_at.isoformat(),
        ),
    )
    webhooks.enqueue(
        session, decision.dealer_id, "lead.assigned", lead_payload(lead, decision.code)
    )


def lead_payload(lead: Lead, dealer_code: str) -> dict:
    return {
        "lead_id": lead.id,
        "dealer": dealer_code,
        "status": lead.status,
        "channel": lead.channel,
        "model_id": lead.model_id,
        "vin": lead.vin,
        "sla_due_at": lead.sla_due_at.isoformat(),
        "flags": lead.flags,
    }


def _event(
    session, lead: Lead, type_: str, *, actor_id, now, note: str = "", amount=None
) -> LeadEvent:
    event = LeadEvent(
        lead_id=lead.id,
        dealer_id=lead.dealer_id,
        actor_id=actor_id,
        type=type_,
        note=note,
        amount=amount,
        at=now,
    )
    session.add(event)
    events.publish(
        session,
        LeadProgressed(
            entity_id=lead.id,
            customer_id=lead.customer_id,
            dealer_ids=(lead.dealer_id,),
            at=now,
            kind=type_,
            note=note,
        ),
    )
    return event


# --- a test drive joins the customer's lead -----------------------------------------------


def join_test_drive(
    session: Session, customer_id: str, vehicle: Vehicle, *, note: str, now: dt.datetime
) -> Lead:
    """A test drive booked with `vehicle`'s dealer joins the customer's open lead with that
    dealer (this model's first, else the newest), which records `test_drive_booked`; with no
    open lead there, a lead is opened for that dealer (channel `test_drive`), not routed: the
    customer chose the dealer by choosing its car. The customer did the booking, so it is no
    first contact; a lead already past `test_drive_booked` keeps its status."""
    same_model = case((Lead.model_id == vehicle.model_id, 0), else_=1)
    lead = session.scalar(
        select(Lead)
        .where(
            Lead.customer_id == customer_id,
            Lead.dealer_id == vehicle.dealer_id,
            Lead.status.in_([s.value for s in OPEN]),
        )
        .order_by(same_model, Lead.created_at.desc(), Lead.id)
        .limit(1)
        .with_for_update()
    )
    dealer = session.get(Dealer, vehicle.dealer_id)
    if lead is None:
        policy = current_policy(session)
        lead = Lead(
            customer_id=customer_id,
            channel="test_drive",
            brand_id=vehicle.brand_id,
            model_id=vehicle.model_id,
            vin=vehicle.vin,
            lat=dealer.lat,
            lon=dealer.lon,
            dealer_id=dealer.id,
            status=LeadStatus.test_drive_booked.value,
            flags=[],
            sla_due_at=sla.due_at(now, policy.sla_minutes, dealer.opening_hours, dealer.timezone),
            created_at=now,
            updated_at=now,
        )
        session.add(lead)
        session.flush()
        decision = routing.Decision(
            dealer_id=dealer.id, code=dealer.code, radius_km=0.0, flags=[], candidates=[]
        )
        _assign(session, lead, decision, reason="test_drive", from_dealer_id=None, now=now)
        audit.record(
            session,
            actor_id=customer_id,
            action="lead.created",
            entity_type="lead",
            entity_id=lead.id,
            detail={"dealer": dealer.code, "channel": "test_drive"},
        )
    elif RANK[LeadStatus(lead.status)] < RANK[LeadStatus.test_drive_booked]:
        lead.status = LeadStatus.test_drive_booked.value
    lead.updated_at = now
    _event(session, lead, "test_drive_booked", actor_id=customer_id, now=now, note=note[:500])
    webhooks.enqueue(session, dealer.id, "lead.test_drive_booked", lead_payload(lead, dealer.code))
    return lead


# --- reading ------------------------------------------------------------------------------


def get_for(session: Session, who: Principal, lead_id: str, *, lock: bool = False) -> Lead:
    """The lead if `who` may see it: its customer, its dealer's staff, or an admin."""
    stmt = select(Lead).where(Lead.id == lead_id)
    lead = session.scalar(stmt.with_for_update() if lock else stmt)
    visible = lead is not None and (
        who.is_admin
        or who.user_id == lead.customer_id
        or (who.is_dealer and who.dealer_id == lead.dealer_id)
    )
    if not visible:
        raise NotFound("lead_not_found", f"No lead {lead_id}.")
    return lead


def of_customer(session: Session, customer_id: str, *, limit: int = 50) -> list[Lead]:
    """A buyer's own inquiries, newest first."""
    stmt = select(Lead).where(Lead.customer_id == customer_id)
    return list(session.scalars(stmt.order_by(Lead.created_at.desc(), Lead.id).limit(limit)))


def inbox(
    session: Session,
    dealer_id: int,
    *,
    statuses=None,
    limit: int = 50,
    after: tuple[dt.datetime, str] | None = None,
) -> list[Lead]:
    """A dealer's leads, the most urgent first (SLA due time, then id)."""
    stmt = select(Lead).where(Lead.dealer_id == dealer_id)
    stmt = stmt.where(Lead.status.in_(statuses or [s.value for s in OPEN]))
    if after is not None:
        due, lead_id = after
        stmt = stmt.where(
            (Lead.sla_due_at > due) | ((Lead.sla_due_at == due) & (Lead.id > lead_id))
        )
    return list(session.scalars(stmt.order_by(Lead.sla_due_at, Lead.id).limit(limit)))


# --- the dealer works the lead ------------------------------------------------------------


def record_event(
    session: Session,
    who: Principal,
    lead: Lead,
    type_: str,
    note: str,
    *,
    now: dt.datetime,
    amount: Decimal | None = None,
) -> LeadEvent:
    """contacted, test_drive_booked, quoted (optionally with the price quoted), won, lost (with
    a reason), or a note."""
    if not (who.is_dealer and who.dealer_id == lead.dealer_id) and not who.is_admin:
        raise NotFound("lead_not_found", f"No lead {lead.id}.")
    if type_ not in EVENT_TYPES:
        raise Invalid("unknown_event", f"type must be one of {', '.join(EVENT_TYPES)}.")
    status = LeadStatus(lead.status)
    if status in CLOSED:
        raise Conflict("lead_closed", f"The lead is {status.value}; it takes no more events.")
    if type_ != "note":
        target = LeadStatus(type_)
        if RANK[target] < RANK[status] or (target == status and target != LeadStatus.new):
            raise Conflict(
                "illegal_transition",
                f"A lead that is {status.value} cannot go back to {target.value}.",
                current_status=status.value,
            )
        if target == LeadStatus.lost and not note.strip():
            raise Invalid("reason_required", "Say why the lead was lost (in note).")
        lead.status = target.value
        if lead.first_contact_at is None:
            lead.first_contact_at = now  # any dealer action towards the customer counts
        if target in CLOSED:
            lead.outcome_reason = note.strip()[:200] or None
    lead.updated_at = now
    if amount is not None and (type_ != "quoted" or amount <= 0):
        raise Invalid("amount_not_allowed", "Only a quote carries an amount, above zero.")
    event = _event(session, lead, type_, actor_id=who.user_id, now=now, note=note, amount=amount)
    audit.record(
        session,
        actor_id=who.user_id,
        action=f"lead.{type_}",
        entity_type="lead",
        entity_id=lead.id,
        detail={"note": note[:200], **({"amount": f"{amount:.2f}"} if amount else {})},
    )
    code = session.scalar(select(Dealer.code).where(Dealer.id == lead.dealer_id))
    webhooks.enqueue(session, lead.dealer_id, f"lead.{type_}", lead_payload(lead, code))
    return event


# --- SLA ----------------------------------------------------------------------------------


def reroute_overdue(session: Session, *, now: dt.datetime, limit: int = 200) -> int:
    """Leads nobody contacted in time go to the next dealer; both dealers are told, and the
    breach counts against the first. Each lead is handled in its own savepoint, so one that
    fails is logged and left for the next sweep without undoing the others' re-routing."""
    policy = current_policy(session)
    late = (
        Lead.status == LeadStatus.new.value,
        Lead.first_contact_at.is_(None),
        Lead.sla_due_at <= now,
    )
    # the most overdue first, but locked in primary-key order like every batch; the
    # conditions are checked again under the lock (another sweep may have moved one)
    most_late = select(Lead.id).where(*late).order_by(Lead.sla_due_at).limit(limit)
    overdue = list(
        session.scalars(
            select(Lead)
            .where(Lead.id.in_(list(session.scalars(most_late))), *late)
            .order_by(Lead.id)
            .with_for_update(skip_locked=True)
        )
    )
    for lead in overdue:
        try:
            with session.begin_nested():
                _reroute(session, lead, policy, now=now)
        except Exception:  # noqa: BLE001 - one lead's fault must not stop the sweep
            log.exception("re-routing lead %s failed; it is retried next sweep", lead.id)
    return len(overdue)


def _reroute(session: Session, lead: Lead, policy: routing.Policy, *, now: dt.datetime) -> None:
    tried = frozenset(
        session.scalars(select(LeadAssignment.dealer_id).where(LeadAssignment.lead_id == lead.id))
    )
    cands = candidates(
        session,
        brand_id=lead.brand_id,
        model_id=lead.model_id,
        near=(lead.lat, lead.lon),
        policy=policy,
        now=now,
    )
    # every dealer tried: start another round with the best of them
    decision = routing.route(cands, policy, exclude=tried) or routing.route(cands, policy)
    old = session.get(Dealer, lead.dealer_id)
    if decision is None or decision.dealer_id == old.id:
        _keep_unanswered(session, lead, old, policy, now=now)
        return
    new = session.get(Dealer, decision.dealer_id)
    lead.dealer_id = new.id
    lead.reroutes += 1
    lead.flags = sorted({*lead.flags, "rerouted", *decision.flags})
    lead.sla_due_at = sla.due_at(now, policy.sla_minutes, new.opening_hours, new.timezone)
    lead.updated_at = now
    _assign(session, lead, decision, reason="sla_breach", from_dealer_id=old.id, now=now)
    webhooks.enqueue(
        session,
        old.id,
        "lead.withdrawn",
        {**lead_payload(lead, new.code), "reason": "sla_breach", "withdrawn_from": old.code},
    )
    audit.record(
        session,
        actor_id=None,
        action="lead.rerouted",
        entity_type="lead",
        entity_id=lead.id,
        detail={"from": old.code, "to": new.code},
    )


def _keep_unanswered(session, lead: Lead, dealer: Dealer, policy: routing.Policy, *, now):
    """No other dealer can take the lead (the only one selling the brand, or none left): it
    stays with its dealer, flagged for the carmaker, with a fresh window so the sweep does
    not pick it up again every minute."""
    lead.flags = sorted({*lead.flags, "no_dealer_left"})
    lead.sla_due_at = sla.due_at(now, policy.sla_minutes, dealer.opening_hours, dealer.timezone)
    lead.updated_at = now
    audit.record(
        session,
        actor_id=None,
        action="lead.no_dealer_left",
        entity_type="lead",
        entity_id=lead.id,
        detail={"dealer": dealer.code},
    )


# --- attribution --------------------------------------------------------------------------


def credited_dealer(
    session: Session, *, customer_id: str, model_id: int, brand_id: int
) -> int | None:
    """The dealer that worked this customer's lead: the newest not-lost lead on the model,
    else on the brand."""
    on_model = Lead.model_id == model_id
    return session.scalar(
        select(Lead.dealer_id)
        .where(
            Lead.customer_id == customer_id,
            Lead.status != LeadStatus.lost.value,
            on_model | (Lead.brand_id == brand_id),
        )
        .order_by(case((on_model, 0), else_=1), Lead.created_at.desc())
        .limit(1)
    )
