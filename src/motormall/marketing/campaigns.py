"""Campaigns: created by the carmaker, launched when they start (audience drawn from the
segment, a random holdout kept back, offers sent through the notification outbox)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.catalog.models import Brand
from motormall.marketing import coupons, segments
from motormall.marketing.models import Campaign
from motormall.marketing.schemas import CampaignIn, CampaignOut
from motormall.platform import audit
from motormall.platform.errors import Conflict, Invalid, NotFound
from motormall.platform.money import MoneyOut


def create(session: Session, body: CampaignIn, *, actor_id: str, now: dt.datetime) -> Campaign:
    brand = session.scalar(select(Brand).where(Brand.code == body.brand.strip().upper()))
    if brand is None:
        raise NotFound("brand_not_found", f"No brand {body.brand!r}.")
    if body.ends_at <= body.starts_at:
        raise Invalid("campaign_dates", "A campaign must end after it starts.")
    offer = body.offer
    currency = offer.discount.currency if offer.kind == "coupon" else "CNY"
    if body.budget is not None:
        if offer.kind == "coupon" and body.budget.currency != currency:
            raise Invalid(
                "currency_mismatch",
                f"The budget is in {body.budget.currency}, the coupon in {currency}.",
            )
        currency = body.budget.currency
    segments.condition(session, body.segment, now=now)  # 422 segment_invalid
    campaign = Campaign(
        brand_id=brand.id,
        name=body.name,
        segment=body.segment,
        channel=body.channel,
        offer_kind=offer.kind,
        currency=currency,
        budget=body.budget.amount if body.budget else None,
        holdout_pct=body.holdout_pct,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        created_by=actor_id,
        created_at=now,
    )
    if offer.kind == "coupon":
        if offer.discount.amount <= 0:
            raise Invalid("invalid_discount", "A coupon's discount must be above zero.")
        campaign.coupon_code = coupons.normalise_code(offer.code)
        campaign.discount = offer.discount.amount
        campaign.max_redemptions = offer.max_redemptions
        campaign.per_customer = offer.per_customer
        campaign.segment_only = offer.segment_only
    else:
        campaign.points_factor = offer.factor
    try:
        with session.begin_nested():
            session.add(campaign)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "already_exists", f"Coupon code {offer.code!r} is taken by another campaign."
        ) from None
    audit.record(
        session,
        actor_id=actor_id,
        action="campaign.created",
        entity_type="campaign",
        entity_id=campaign.id,
        detail={"name": body.name, "brand": brand.code},
    )
    return campaign


def get(session: Session, campaign_id: str) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign_not_found", f"No campaign {campaign_id}.")
    return campaign


def out(session: Session, c: Campaign) -> CampaignOut:
    if c.offer_kind == "coupon":
        offer = {
            "kind": "coupon",
            "code": c.coupon_code,
            "discount": MoneyOut.of(c.discount, c.currency).model_dump(),
            "max_redemptions": c.max_redemptions,
            "per_customer": c.per_customer,
            "segment_only": c.segment_only,
        }
    else:
        offer = {"kind": "points_multiplier", "factor": f"{c.points_factor:.2f}"}
    return CampaignOut(
        id=c.id,
        brand=session.get(Brand, c.brand_id).code,
        name=c.name,
        segment=c.segment,
        offer=offer,
        starts_at=c.starts_at,
        ends_at=c.ends_at,
        budget=MoneyOut.of(c.budget, c.currency) if c.budget is not None else None,
        channel=c.channel,
        holdout_pct=c.holdout_pct,
        redeemed=c.redeemed,
        spent=MoneyOut.of(c.spent, c.currency),
        launched_at=c.launched_at,
    )
