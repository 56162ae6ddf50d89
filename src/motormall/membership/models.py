"""Membership tables: one membership per customer and brand, its points entries, and each
brand's programme (tiers and points policy) as the carmaker set it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from motormall.platform.auth import new_id
from motormall.platform.db import Base, UTCDateTime, utcnow
from motormall.platform.money import Cents


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        Index("uq_memberships_customer_brand", "customer_id", "brand_id", unique=True),
        Index("ix_memberships_brand_tier", "brand_id", "tier_rank"),
        CheckConstraint("points >= 0", name="points_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    # kept current on every points change and by the daily sweep (segments query them)
    tier: Mapped[str] = mapped_column(String(20), default="member")
    tier_rank: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int] = mapped_column(Integer, default=0)
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointsEntry(Base):
    """One line of the points ledger. `points` is signed; an earn line is a lot (with its
    expiry), every other line names the lot it draws on. The membership's balance is the sum."""

    __tablename__ = "points_entries"
    __table_args__ = (
        Index("ix_points_entries_membership", "membership_id", "id"),
        Index("ix_points_entries_lot", "lot_id"),
        Index("ix_points_entries_expiry", "kind", "expires_at"),
        CheckConstraint(
            "(kind = 'earn' AND points > 0 AND lot_id IS NULL) OR "
            "(kind <> 'earn' AND points < 0 AND lot_id IS NOT NULL)",
            name="signed_by_kind",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    membership_id: Mapped[str] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # earn | burn | expire | reverse
    points: Mapped[int] = mapped_column(Integer)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"))
    source: Mapped[str] = mapped_column(String(80))  # "order:<id>", "test_drive:<id>", ...
    spend: Mapped[Decimal | None] = mapped_column(Cents)  # what the purchase cost (tiers)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Programme(Base):
    """A brand's membership rules as its carmaker set them (absent: the default ladder)."""

    __tablename__ = "membership_programmes"

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), primary_key=True)
    rules: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
