"""Marketing tables: campaigns (with their coupon and its counters), redemptions, each
campaign's audience (target or holdout), and customers' marketing consent per channel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from motormall.platform.auth import new_id
from motormall.platform.db import Base, UTCDateTime, utcnow
from motormall.platform.money import Cents

CHANNELS = ("inbox", "email", "sms")


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index("uq_campaigns_coupon_code", "coupon_code", unique=True),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # the database stands behind the conditional UPDATE that takes a redemption
        CheckConstraint(
            "redeemed >= 0 AND (max_redemptions IS NULL OR redeemed <= max_redemptions)",
            name="within_redemption_limit",
        ),
        CheckConstraint("spent >= 0 AND (budget IS NULL OR spent <= budget)", name="within_budget"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    name: Mapped[str] = mapped_column(String(120))
    segment: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(10), default="inbox")
    offer_kind: Mapped[str] = mapped_column(String(20))  # coupon | points_multiplier
    coupon_code: Mapped[str | None] = mapped_column(String(40))
    discount: Mapped[Decimal | None] = mapped_column(Cents)
    max_redemptions: Mapped[int | None] = mapped_column(Integer)
    per_customer: Mapped[int] = mapped_column(Integer, default=1)
    segment_only: Mapped[bool] = mapped_column(Boolean, default=False)
    points_factor: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    budget: Mapped[Decimal | None] = mapped_column(Cents)
    holdout_pct: Mapped[int] = mapped_column(Integer, default=10)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    redeemed: Mapped[int] = mapped_column(Integer, default=0)
    spent: Mapped[Decimal] = mapped_column(Cents, default=Decimal("0.00"))
    launched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CouponRedemption(Base):
    """A coupon held by an order: `held` until the order is cancelled or lapses."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (
        Index("uq_coupon_redemptions_order", "order_id", unique=True),
        Index("ix_coupon_redemptions_customer", "campaign_id", "customer_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(32))  # the order's id (orders' own table)
    discount: Mapped[Decimal] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(String(3))
    # held | released (the order ended) | honoured (a revived order kept its price beyond the
    # campaign's limit: cost, not a use)
    status: Mapped[str] = mapped_column(String(10), default="held")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CampaignMember(Base):
    """Who a launched campaign drew from its segment: the target got the offer, the holdout
    (drawn at random) got nothing, so results compare the two."""

    __tablename__ = "campaign_members"
    __table_args__ = (Index("ix_campaign_members_customer", "customer_id"),)

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    holdout: Mapped[bool] = mapped_column(Boolean)
    notification_id: Mapped[int | None] = mapped_column(Integer)


class MarketingConsent(Base):
    """A customer's yes or no to marketing on one channel; every change is also audited."""

    __tablename__ = "marketing_consents"

    customer_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(20))  # settings | unsubscribe_link
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
