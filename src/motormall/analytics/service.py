"""The dashboards' answers: filters checked against the catalog, the copy brought up to date
when little is new, the figures from DuckDB, and how fresh they are."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.analytics import queries, rules
from motormall.analytics.store import Store, behind, catch_up
from motormall.catalog.models import Brand, Dealer
from motormall.customers import merges
from motormall.marketing.models import Campaign
from motormall.marketing.results import results
from motormall.platform.errors import Invalid
from motormall.surveys import integrity
from motormall.surveys import service as surveys


def filters(
    session: Session,
    *,
    brand: str | None,
    city: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    now: dt.datetime,
) -> queries.Filters:
    """The request's filters, each checked: an unknown brand or city is refused, not
    answered with zeros that look like a real result."""
    period = rules.period(start, end, now=now)
    brand_id = None
    if brand:
        brand_id = session.scalar(select(Brand.id).where(Brand.code == brand))
        if brand_id is None:
            raise Invalid("unknown_brand", "No brand has this code.", brand=brand)
    dealer_ids = None
    if city:
        dealer_ids = tuple(session.scalars(select(Dealer.id).where(Dealer.city == city)))
        if not dealer_ids:
            raise Invalid("unknown_city", "No dealer is in this city.", city=city)
    return queries.Filters(period=period, brand_id=brand_id, dealer_ids=dealer_ids)


def freshness(session: Session, store: Store, *, now: dt.datetime, limit: int) -> dict:
    """Brings the copy up to date when at most `limit` events are new and no one else is
    copying; says as of when the figures are true and how many events they still miss."""
    conn = session.connection()
    pending = behind(conn, store.state())
    if 0 < pending <= limit:
        with store.locked(wait=False) as mine:
            if mine:
                catch_up(conn, store, now=now)
                pending = behind(conn, store.state())
    state = store.state()
    as_of = now if pending == 0 else dt.datetime.fromisoformat(state.exported_at or now.isoformat())
    return {"as_of": as_of, "pending_events": pending}


def _period_out(f: queries.Filters) -> dict:
    return {"from": f.period.start, "to": f.period.end}


def funnel(session: Session, store: Store, f: queries.Filters, *, fresh: dict) -> dict:
    counts = queries.funnel(store, f, merges.standing(session))
    stages, previous = [], None
    for stage in rules.STAGES:
        n = counts[stage]
        stages.append(
            {
                "stage": stage,
                "count": n,
                "from_previous": None if previous is None else rules.rate(n, previous),
            }
        )
        previous = n
    return {**_period_out(f), "counts": counts, "stages": stages, **fresh}


def new_energy(session: Session, store: Store, f: queries.Filters, *, fresh: dict) -> dict:
    months = queries.new_energy(store, f)
    orders = sum(m["orders"] for m in months)
    ne = sum(m["new_energy"] for m in months)
    return {
        **_period_out(f),
        "powertrains": list(rules.NEW_ENERGY),
        "months": months,
        "orders": orders,
        "new_energy": ne,
        "share": rules.rate(ne, orders),
        **fresh,
    }


def dealers(session: Session, store: Store, f: queries.Filters, *, fresh: dict) -> dict:
    """The league table: every dealer in the filter, best conversion (orders per lead)
    first. CSAT comes with every survey integrity signal over the same period: the ones
    counted in the copy, and those that read each answer (its origin, the comment, the
    customer's other behaviour) from the surveys themselves."""
    figures, answers = queries.league(store, f, on_the_spot=integrity.ON_THE_SPOT)
    per_answer = surveys.answer_flags(
        session, start=f.period.start, end=f.period.end, dealer_ids=f.dealer_ids
    )
    total = sum(a.responses for a in answers.values())
    perfect = sum(a.perfect for a in answers.values())
    # one line for the whole network (surveys fits one per dealer, leaving that dealer out;
    # trimmed of the outer 5 %, the line hardly moves for one dealer)
    fit = integrity.fit_network([(a.perfect, a.unhappy, a.responses) for a in answers.values()])
    query = select(Dealer.id, Dealer.code, Dealer.name, Dealer.city)
    if f.dealer_ids is not None:
        query = query.where(Dealer.id.in_(f.dealer_ids))
    items = []
    for dealer_id, code, name, city in session.execute(query):  # one row per dealer
        fig = figures.get(dealer_id, queries.DealerFigures())
        a = answers.get(dealer_id)
        flags = []
        if a is not None:
            flags = integrity.flags(
                integrity.Tally(a.responses, a.perfect, a.incentives, a.on_the_spot, a.unhappy),
                network_perfect=perfect - a.perfect,
                network_responses=total - a.responses,
                fit=fit,
            )
        flags += per_answer.get(dealer_id, [])
        items.append(
            {
                "dealer": code,
                "name": name,
                "city": city,
                "leads": fig.leads,
                "response_minutes": fig.response_minutes,
                "test_drives": fig.test_drives,
                "orders": fig.orders,
                "handovers": fig.handovers,
                "finance_approvals": fig.finance_approvals,
                "conversion": rules.rate(fig.orders, fig.leads),
                "csat": None
                if a is None or not a.responses
                else round(a.csat_sum / a.responses, 2),
                "csat_without_flagged": round(a.clean_csat_sum / a.clean, 2)
                if a is not None and a.clean
                else None,
                "responses": a.responses if a else 0,
                "flags": flags,
            }
        )
    items.sort(
        key=lambda i: (i["conversion"] is None, -(i["conversion"] or 0), -i["leads"], i["dealer"])
    )
    for rank, item in enumerate(items, 1):
        item["rank"] = rank
    return {**_period_out(f), "items": items, **fresh}


CAMPAIGNS_SHOWN = 8  # the newest launched campaigns running in the period


def campaigns(session: Session, store: Store, f: queries.Filters, *, fresh: dict) -> dict:
    """Each campaign's target against its holdout: members, leads, orders and the share who
    ordered, from marketing's own results (a handful of campaigns, not the event copy)."""
    start, end = f.period.start, f.period.end
    query = (
        select(Campaign)
        .where(
            Campaign.launched_at.is_not(None), Campaign.starts_at < end, Campaign.ends_at > start
        )
        .order_by(Campaign.launched_at.desc(), Campaign.id)
        .limit(CAMPAIGNS_SHOWN)
    )
    if f.brand_id is not None:
        query = query.where(Campaign.brand_id == f.brand_id)
    items = []
    for c in session.scalars(query):
        r = results(session, c)
        target, holdout = r["target"], r["holdout"]
        items.append(
            {
                "campaign_id": c.id,
                "name": c.name,
                "members": target["members"],
                "leads": target["leads"],
                "orders": target["orders"],
                "target_rate": rules.rate(target["orders"], target["members"]),
                "holdout_members": holdout["members"],
                "holdout_orders": holdout["orders"],
                "holdout_rate": rules.rate(holdout["orders"], holdout["members"]),
            }
        )
    return {**_period_out(f), "items": items, **fresh}
