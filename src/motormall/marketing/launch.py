"""Launching a campaign when it starts: its audience is drawn from the segment (customers
who consent on its channel) in one INSERT ... SELECT, a random holdout is kept back (one
UPDATE ... ORDER BY random()), and the rest are sent the offer through the notification
outbox. Also the points-multiplier port membership asks when it credits points."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from motormall.catalog.models import Brand
from motormall.marketing import consent, rules, segments
from motormall.marketing.models import Campaign, CampaignMember
from motormall.membership import ports
from motormall.notifications import service as notifications


def launch(session: Session, campaign_id: str, *, now: dt.datetime) -> int:
    """Draw the audience and send the offers, once; returns how many were sent it."""
    won = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.launched_at.is_(None))
        .values(launched_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        return 0  # another sweep launched it
    c = session.get(Campaign, campaign_id)
    session.refresh(c)
    audience = segments.members(session, c.segment, now=now, channel=c.channel).subquery()
    session.execute(
        insert(CampaignMember).from_select(
            ["campaign_id", "customer_id", "holdout"],
            select(literal(c.id), audience.c.id, literal(False)),
        )
    )
    size = session.scalar(select(func.count()).where(CampaignMember.campaign_id == c.id))
    kept = rules.holdout_size(size, c.holdout_pct)
    if kept:
        drawn = (
            select(CampaignMember.customer_id)
            .where(CampaignMember.campaign_id == c.id)
            .order_by(func.random())
            .limit(kept)
            .scalar_subquery()
        )
        session.execute(
            update(CampaignMember)
            .where(CampaignMember.campaign_id == c.id, CampaignMember.customer_id.in_(drawn))
            .values(holdout=True)
            .execution_options(synchronize_session=False)
        )
    return _send(session, c)


def _send(session: Session, c: Campaign) -> int:
    brand = session.get(Brand, c.brand_id).code
    params = {"campaign": c.name, "brand": brand, "until": c.ends_at.date().isoformat()}
    if c.offer_kind == "coupon":
        kind = f"campaign_coupon_{c.channel}"
        params |= {"code": c.coupon_code, "discount": f"{c.discount:.2f}", "currency": c.currency}
    else:
        kind = f"campaign_points_{c.channel}"
        params |= {"factor": f"{c.points_factor:.2f}".rstrip("0").rstrip(".")}
    targets = session.scalars(
        select(CampaignMember)
        .where(CampaignMember.campaign_id == c.id, CampaignMember.holdout.is_(False))
        .order_by(CampaignMember.customer_id)
    ).all()
    for member in targets:
        token = consent.unsubscribe_token(member.customer_id, c.channel)
        note = notifications.notify(
            session,
            member.customer_id,
            kind,
            link=f"/api/v1/marketing/unsubscribe?token={token}",
            **params,
        )
        session.flush()
        member.notification_id = note.id
    return len(targets)


def launch_due(session: Session, *, now: dt.datetime) -> list[str]:
    """Launch every campaign whose start has come (the sweep), in primary-key order."""
    due = session.scalars(
        select(Campaign.id)
        .where(Campaign.launched_at.is_(None), Campaign.starts_at <= now, Campaign.ends_at > now)
        .order_by(Campaign.id)
    ).all()
    for campaign_id in due:
        launch(session, campaign_id, now=now)
    return list(due)


class CampaignBoost:
    """membership's `PointsBoost`: the best live points multiplier for a target member."""

    def factor(self, session: Session, customer_id: str, brand_id: int, *, now) -> Decimal:
        best = session.scalar(
            select(func.max(Campaign.points_factor))
            .join(CampaignMember, CampaignMember.campaign_id == Campaign.id)
            .where(
                Campaign.brand_id == brand_id,
                Campaign.offer_kind == "points_multiplier",
                Campaign.starts_at <= now,
                Campaign.ends_at > now,
                CampaignMember.customer_id == customer_id,
                CampaignMember.holdout.is_(False),
            )
        )
        return Decimal(best) if best is not None else Decimal(1)


ports.register_points_boost(CampaignBoost())
