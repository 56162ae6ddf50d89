"""One customer's profile: what each domain knows of them, gathered through that domain's
public read functions, for the account and every account merged into it.

Who may read it is the timeline's rule (customers/timeline.py). Dealer staff see only the
dealings with their own dealer (leads, drives, orders, instalments, cases); memberships,
cars owned and consents are the customer's own and shown to both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from motormall.aftersales import owners
from motormall.customers import timeline
from motormall.customers.merges import accounts_of
from motormall.finance import contracts
from motormall.leads import service as leads
from motormall.marketing import consent
from motormall.membership import service as membership
from motormall.orders import service as orders
from motormall.platform.auth import Principal
from motormall.platform.errors import NotFound
from motormall.surveys import cases
from motormall.testdrives import service as drives

OPEN_LEADS = {s.value for s in leads.OPEN}


@dataclass
class Profile:
    customer_id: str
    accounts: list[str]
    memberships: list[dict] = field(default_factory=list)
    cars: list[str] = field(default_factory=list)
    open_leads: list[dict] = field(default_factory=list)
    test_drives: list[dict] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)
    instalments: list[dict] = field(default_factory=list)
    cases: list[dict] = field(default_factory=list)
    consents: dict[str, bool] = field(default_factory=dict)


def _mine(who: Principal, *dealer_ids) -> bool:
    """Dealer staff see only rows that concern their dealer."""
    return not who.is_dealer or who.is_admin or who.dealer_id in dealer_ids


def read(session: Session, who: Principal, customer_id: str, *, now: dt.datetime) -> Profile:
    """The profile `who` may see (404 as the timeline gives it)."""
    timeline.check_access(session, who, customer_id)
    accounts = accounts_of(session, customer_id)
    out = Profile(customer_id=customer_id, accounts=accounts)
    for account in accounts:
        out.memberships += [
            {"customer_id": account, "brand": m.brand, "tier": m.tier, "points": m.points}
            for m in membership.standings_of(session, account, now=now)
        ]
        out.cars += owners.cars_of(session, account)
        out.open_leads += [
            {
                "id": r.id,
                "customer_id": account,
                "status": r.status,
                "vin": r.vin,
                "created_at": r.created_at.isoformat(),
            }
            for r in leads.of_customer(session, account)
            if r.status in OPEN_LEADS and _mine(who, r.dealer_id)
        ]
        out.test_drives += [
            {
                "id": d.id,
                "customer_id": account,
                "status": d.status,
                "vin": d.vin,
                "start_at": d.start_at.isoformat(),
            }
            for d in drives.of_customer(session, account)
            if _mine(who, d.dealer_id)
        ]
        for o in orders.of_customer(session, account):
            if not _mine(who, o.delivery_dealer_id, o.credited_dealer_id):
                continue
            out.orders.append(
                {
                    "id": o.id,
                    "customer_id": account,
                    "status": o.status,
                    "vin": o.vin,
                    "price": str(o.price),
                    "currency": o.currency,
                    "created_at": o.created_at.isoformat(),
                }
            )
            out.instalments += _instalments(session, who, o.id, account, now.date())
        out.cases += [
            {
                "id": c.id,
                "customer_id": account,
                "status": c.status,
                "about": c.about,
                "created_at": c.created_at.isoformat(),
            }
            for c in cases.customer_cases(session, account)
            if _mine(who, c.dealer_id)
        ]
        # a channel counts as granted when any of the person's accounts granted it
        for channel, granted in consent.of(session, account).items():
            out.consents[channel] = out.consents.get(channel, False) or granted
    out.cars = sorted(set(out.cars))
    return out


def _instalments(
    session: Session, who: Principal, order_id: str, account: str, today: dt.date
) -> list[dict]:
    try:
        _, contract = contracts.contract_for(session, who, order_id)
    except NotFound:
        return []
    return [
        {
            "id": i.id,
            "customer_id": account,
            "order_id": order_id,
            "n": i.n,
            "due_date": i.due_date.isoformat(),
            "amount": str(contracts.amount_of(i)),
            # paid, late, due (within a month), upcoming: what a dealer chases first
            "status": contracts.shown_status(i, today),
        }
        for i in contracts.instalments_of(session, contract.id)
    ]
