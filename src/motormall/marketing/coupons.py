"""Coupons at checkout: a live campaign's code taken by an order, and given back when the
order is cancelled or lapses. Orders call `redeem`; marketing imports no order code.

The limit is held by one conditional UPDATE on the campaign row (`redeemed < max` and the
budget), so of many buyers racing for a single-use coupon exactly one wins on SQLite and
PostgreSQL alike; a CHECK constraint stands behind it. The per-customer count is read after
that UPDATE, when the row lock serialises the customer's own attempts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from motormall.marketing.models import Campaign, CampaignMember, CouponRedemption
from motormall.platform.errors import Conflict


def normalise_code(code: str) -> str:
    return str(code).strip().upper()


def _unavailable(code: str) -> Conflict:
    return Conflict("coupon_unavailable", f"Coupon {code!r} is not valid now.")


def redeem(
    session: Session,
    code: str,
    *,
    customer_id: str,
    brand_id: int,
    order_id: str,
    price: Decimal,
    currency: str,
    now: dt.datetime,
) -> Decimal:
    """Take one use of `code` for `order_id`; returns the discount. Unknown, another
    brand's, not live, past its limit or budget, or used up by this customer → 409."""
    code = normalise_code(code)
    campaign = session.scalar(
        select(Campaign).where(Campaign.coupon_code == code, Campaign.offer_kind == "coupon")
    )
    if (
        campaign is None
        or campaign.brand_id != brand_id
        or not campaign.starts_at <= now < campaign.ends_at
        or campaign.currency != currency
    ):
        raise _unavailable(code)
    if campaign.segment_only and not _in_target(session, campaign.id, customer_id):
        raise _unavailable(code)
    discount = min(campaign.discount, price)
    took = session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign.id,
            or_(Campaign.max_redemptions.is_(None), Campaign.redeemed < Campaign.max_redemptions),
            or_(Campaign.budget.is_(None), Campaign.spent + discount <= Campaign.budget),
        )
        .values(redeemed=Campaign.redeemed + 1, spent=Campaign.spent + discount)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not took:
        raise _unavailable(code)
    mine = session.scalar(
        select(func.count()).where(
            CouponRedemption.campaign_id == campaign.id,
            CouponRedemption.customer_id == customer_id,
            CouponRedemption.status == "held",
        )
    )
    if mine >= campaign.per_customer:
        raise _unavailable(code)  # the request rolls back, the UPDATE with it
    session.add(
        CouponRedemption(
            campaign_id=campaign.id,
            customer_id=customer_id,
            order_id=order_id,
            discount=discount,
            currency=currency,
            at=now,
        )
    )
    return discount


def _in_target(session: Session, campaign_id: str, customer_id: str) -> bool:
    return (
        session.scalar(
            select(CampaignMember.holdout).where(
                CampaignMember.campaign_id == campaign_id,
                CampaignMember.customer_id == customer_id,
            )
        )
        is False
    )


def held_for(session: Session, order_id: str) -> CouponRedemption | None:
    """The coupon an order is priced with: held, or honoured after a lapse (see `retake`)."""
    return session.scalar(
        select(CouponRedemption).where(
            CouponRedemption.order_id == order_id,
            CouponRedemption.status.in_(("held", "honoured")),
        )
    )


def retake(session: Session, order_id: str, *, now: dt.datetime) -> str | None:
    """A lapsed order came back to life (its deposit arrived late): it keeps its price, so it
    takes its coupon use back if the campaign still has one (`held`); if not, the discount is
    honoured outside the limit (`honoured`: in the results' cost, not a use of the limit
    or the budget counter)."""
    redemption = session.scalar(
        select(CouponRedemption)
        .where(CouponRedemption.order_id == order_id, CouponRedemption.status == "released")
        .with_for_update()
    )
    if redemption is None:
        return None
    took = session.execute(
        update(Campaign)
        .where(
            Campaign.id == redemption.campaign_id,
            or_(Campaign.max_redemptions.is_(None), Campaign.redeemed < Campaign.max_redemptions),
            or_(Campaign.budget.is_(None), Campaign.spent + redemption.discount <= Campaign.budget),
        )
        .values(redeemed=Campaign.redeemed + 1, spent=Campaign.spent + redemption.discount)
        .execution_options(synchronize_session=False)
    ).rowcount
    redemption.status = "held" if took else "honoured"
    redemption.released_at = None
    return redemption.status


def release(session: Session, order_id: str, *, now: dt.datetime) -> bool:
    """Give the order's coupon back to its campaign (the order was cancelled or lapsed)."""
    redemption = session.scalar(
        select(CouponRedemption)
        .where(CouponRedemption.order_id == order_id, CouponRedemption.status == "held")
        .with_for_update()
    )
    if redemption is None:
        return False
    redemption.status, redemption.released_at = "released", now
    session.execute(
        update(Campaign)
        .where(Campaign.id == redemption.campaign_id)
        .values(redeemed=Campaign.redeemed - 1, spent=Campaign.spent - redemption.discount)
        .execution_options(synchronize_session=False)
    )
    return True
