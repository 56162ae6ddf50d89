"""Dealers' lead performance: response rates for the routing, conversion counts for people."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from motormall.leads.models import DealerLeadStats, Lead, LeadAssignment, LeadEvent, LeadStatus

PRIOR, PRIOR_WEIGHT = 0.8, 4  # a dealer without history is assumed fairly responsive


def response_rates(session: Session, *, now: dt.datetime, days: int) -> dict[int, float]:
    """Per dealer: share of leads first contacted within their SLA (breaches that got a lead
    re-routed count against the dealer that let it lapse), smoothed towards PRIOR."""
    since = now - dt.timedelta(days=days)
    on_time = func.sum(case((Lead.first_contact_at <= Lead.sla_due_at, 1), else_=0))
    rows = session.execute(
        select(Lead.dealer_id, func.count(), on_time)
        .where(Lead.created_at >= since, Lead.sla_due_at <= now)
        .group_by(Lead.dealer_id)
    ).all()
    breaches = dict(
        session.execute(
            select(LeadAssignment.from_dealer_id, func.count())
            .where(
                LeadAssignment.from_dealer_id.is_not(None),
                LeadAssignment.at >= since,
                LeadAssignment.reason == "sla_breach",
            )
            .group_by(LeadAssignment.from_dealer_id)
        ).all()
    )
    out = {}
    for dealer_id, total, good in rows:
        n = total + breaches.pop(dealer_id, 0)
        out[dealer_id] = (int(good or 0) + PRIOR * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT)
    for dealer_id, n in breaches.items():
        out[dealer_id] = (PRIOR * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT)
    return out


def refresh_dealer_stats(session: Session, *, now: dt.datetime, days: int) -> int:
    """Recompute every dealer's response rate into dealer_lead_stats (a scheduled job): a
    30-day scan per lead would grow with history, a table read per lead does not."""
    rates = response_rates(session, now=now, days=days)
    existing = {row.dealer_id: row for row in session.scalars(select(DealerLeadStats))}
    for dealer_id, rate in rates.items():
        row = existing.pop(dealer_id, None)
        if row is None:
            session.add(DealerLeadStats(dealer_id=dealer_id, response_rate=rate, computed_at=now))
        else:
            row.response_rate, row.computed_at = rate, now
    for row in existing.values():  # no recent history: back to the prior
        session.delete(row)
    return len(rates)


def lead_counts(session: Session, *, since=None, until=None) -> dict[int, dict[str, int]]:
    """Per dealer (the lead's current dealer): leads, first contact within the SLA,
    test drives booked, won, lost, and SLA breaches that took a lead away; optionally only
    for leads created in [since, until)."""
    out: dict[int, dict[str, int]] = {}
    period = []
    if since is not None:
        period.append(Lead.created_at >= since)
    if until is not None:
        period.append(Lead.created_at < until)
    in_period = select(Lead.id).where(*period)
    rows = session.execute(
        select(
            Lead.dealer_id,
            func.count(),
            func.sum(case((Lead.first_contact_at <= Lead.sla_due_at, 1), else_=0)),
            func.sum(case((Lead.status == LeadStatus.won.value, 1), else_=0)),
            func.sum(case((Lead.status == LeadStatus.lost.value, 1), else_=0)),
        )
        .where(*period)
        .group_by(Lead.dealer_id)
    ).all()
    for dealer_id, n, on_time, won, lost in rows:
        out[dealer_id] = {
            "leads": n,
            "contacted_on_time": int(on_time or 0),
            "won": int(won or 0),
            "lost": int(lost or 0),
            "test_drives": 0,
            "sla_breaches": 0,
        }
    blank = {
        "leads": 0,
        "contacted_on_time": 0,
        "won": 0,
        "lost": 0,
        "test_drives": 0,
        "sla_breaches": 0,
    }
    for dealer_id, n in session.execute(
        select(LeadEvent.dealer_id, func.count(func.distinct(LeadEvent.lead_id)))
        .where(LeadEvent.type == "test_drive_booked")
        .where(*([LeadEvent.lead_id.in_(in_period)] if period else []))
        .group_by(LeadEvent.dealer_id)
    ):
        out.setdefault(dealer_id, dict(blank))["test_drives"] = n
    for dealer_id, n in session.execute(
        select(LeadAssignment.from_dealer_id, func.count())
        .where(LeadAssignment.reason == "sla_breach")
        .where(*([LeadAssignment.lead_id.in_(in_period)] if period else []))
        .group_by(LeadAssignment.from_dealer_id)
    ):
        out.setdefault(dealer_id, dict(blank))["sla_breaches"] = n
    return out
