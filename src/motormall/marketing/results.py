"""A campaign's results: what its target did against its holdout, from the facts other
domains recorded (events, notifications, orders), read only."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from motormall.marketing import rules
from motormall.marketing.models import Campaign, CampaignMember, CouponRedemption
from motormall.notifications.models import Notification
from motormall.orders.models import Order
from motormall.platform.events import DomainEvent
from motormall.platform.money import MoneyOut

FUNNEL = {
    "leads": ("lead.assigned",),
    "test_drives": ("test_drive.booked",),
    "orders": ("order.reserved",),
}


def _group(session: Session, c: Campaign, holdout: bool) -> dict:
    members = select(CampaignMember.customer_id).where(
        CampaignMember.campaign_id == c.id, CampaignMember.holdout.is_(holdout)
    )
    size = session.scalar(select(func.count()).select_from(members.subquery()))

    def who_did(types) -> int:
        return session.scalar(
            select(func.count(func.distinct(DomainEvent.customer_id))).where(
                DomainEvent.customer_id.in_(members),
                DomainEvent.type.in_(types),
                DomainEvent.at >= c.launched_at,
                DomainEvent.at < c.ends_at,
            )
        )

    out = {"members": size, **{name: who_did(types) for name, types in FUNNEL.items()}}
    revenue = session.scalar(
        select(func.coalesce(func.sum(Order.price), 0)).where(
            Order.customer_id.in_(members),
            Order.created_at >= c.launched_at,
            Order.created_at < c.ends_at,
            Order.status.in_(("handed_over",)),
        )
    )
    out["revenue"] = Decimal(revenue or 0)
    return out


def results(session: Session, c: Campaign) -> dict:
    """Reached, opened and the funnel for the target; the same funnel for the holdout; and
    the uplift in conversion (a customer who reserved a car) with its 95 % interval."""
    if c.launched_at is None:
        empty = {"members": 0, "leads": 0, "test_drives": 0, "orders": 0, "revenue": Decimal(0)}
        target, holdout, reached, opened = empty, empty, 0, 0
    else:
        target, holdout = _group(session, c, False), _group(session, c, True)
        sent = select(CampaignMember.notification_id).where(
            CampaignMember.campaign_id == c.id, CampaignMember.notification_id.is_not(None)
        )
        reached = session.scalar(select(func.count()).select_from(sent.subquery()))
        opened = session.scalar(
            select(func.count()).where(Notification.id.in_(sent), Notification.read_at.is_not(None))
        )
    # the budget counter, plus discounts honoured beyond it for orders revived after a lapse
    honoured = session.scalar(
        select(func.coalesce(func.sum(CouponRedemption.discount), 0)).where(
            CouponRedemption.campaign_id == c.id, CouponRedemption.status == "honoured"
        )
    )
    lift = rules.uplift(target["orders"], target["members"], holdout["orders"], holdout["members"])

    def money(amount):
        return MoneyOut.of(amount, c.currency).model_dump()

    return {
        "campaign_id": c.id,
        "launched_at": c.launched_at,
        "reached": reached,
        "opened": opened,
        "leads": target["leads"],
        "test_drives": target["test_drives"],
        "orders": target["orders"],
        "revenue": money(target["revenue"]),
        "cost": money(c.spent + Decimal(honoured or 0)),
        "redemptions": c.redeemed,
        "target": {**target, "revenue": money(target["revenue"])},
        "holdout": {**holdout, "revenue": money(holdout["revenue"])},
        "conversion_uplift": None
        if lift is None
        else {
            "target_rate": round(lift.target_rate, 6),
            "holdout_rate": round(lift.holdout_rate, 6),
            "uplift": round(lift.uplift, 6),
            "ci95": [round(lift.low, 6), round(lift.high, 6)],
        },
    }
