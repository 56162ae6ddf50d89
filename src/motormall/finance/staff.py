"""What staff see of finance: a dealer's financed orders with their finance status and whom
to call, and the carmaker's applications week by week (the console's chart). Reads only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from motormall.customers.contacts import Contact, contacts_of
from motormall.finance.models import FinanceApplication, FinanceContract, Instalment
from motormall.orders.models import Order
from motormall.orders.rules import ENDED


@dataclass(frozen=True)
class FinancedOrder:
    order_id: str
    vin: str
    order_status: str
    product: str
    finance: str  # not_applied | referred | declined | approved | contracted | arrears
    late: int  # instalments late now
    who: Contact | None


def finance_status(app: FinanceApplication | None, contract, late: int) -> str:
    if app is None:
        return "not_applied"
    if contract is not None and contract.status == "accepted":
        return "arrears" if late or contract.collections else "contracted"
    return {"pending": "referred"}.get(app.outcome, app.outcome)


def dealer_orders(session: Session, dealer_id: int, *, limit: int = 200) -> list[FinancedOrder]:
    """The live hire-purchase and lease orders a dealer delivers or is credited with, newest
    first, with how their finance stands; arrears first of all (those are the calls)."""
    rows = session.execute(
        select(Order, FinanceApplication, FinanceContract)
        .outerjoin(FinanceApplication, FinanceApplication.order_id == Order.id)
        .outerjoin(FinanceContract, FinanceContract.order_id == Order.id)
        .where(
            or_(Order.delivery_dealer_id == dealer_id, Order.credited_dealer_id == dealer_id),
            Order.product != "cash",
            Order.status.not_in([s.value for s in ENDED]),
        )
        .order_by(Order.created_at.desc(), Order.id)
        .limit(limit)
    ).all()
    contract_ids = [c.id for _, _, c in rows if c is not None]
    late = (
        dict(
            session.execute(
                select(Instalment.contract_id, func.count())
                .where(Instalment.contract_id.in_(contract_ids), Instalment.status == "late")
                .group_by(Instalment.contract_id)
            ).all()
        )
        if contract_ids
        else {}
    )
    who = contacts_of(session, [o.customer_id for o, _, _ in rows])  # they bought from it
    out = [
        FinancedOrder(
            order_id=o.id,
            vin=o.vin,
            order_status=o.status,
            product=o.product,
            finance=finance_status(a, c, late.get(c.id, 0) if c else 0),
            late=late.get(c.id, 0) if c else 0,
            who=who.get(o.customer_id),
        )
        for o, a, c in rows
    ]
    return sorted(out, key=lambda f: f.finance != "arrears")  # stable: newest first within


def weekly_outcomes(session: Session, *, now: dt.datetime, weeks: int = 8) -> list[dict]:
    """Applications per week (Monday to Sunday, UTC) by outcome, oldest week first."""
    monday = (now - dt.timedelta(days=now.weekday())).date()
    start = monday - dt.timedelta(weeks=weeks - 1)
    counts = [{"week": start + dt.timedelta(weeks=i)} for i in range(weeks)]
    for c in counts:
        c.update(approved=0, declined=0, pending=0)
    since = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    for outcome, at in session.execute(
        select(FinanceApplication.outcome, FinanceApplication.created_at).where(
            FinanceApplication.created_at >= since
        )
    ):
        i = (at.date() - start).days // 7
        if 0 <= i < weeks and outcome in ("approved", "declined", "pending"):
            counts[i][outcome] += 1
    return counts
