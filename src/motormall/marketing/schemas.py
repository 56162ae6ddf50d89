"""Marketing API shapes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from motormall.marketing.models import CHANNELS
from motormall.platform.money import MoneyIn, MoneyOut

SEGMENT = Field(
    min_length=1,
    max_length=4000,
    description='a rule in the segment language (docs/segments.md), or "all"',
)


class CouponOffer(BaseModel):
    kind: Literal["coupon"]
    code: str = Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    discount: MoneyIn
    max_redemptions: int | None = Field(default=None, ge=1, le=10_000_000)
    per_customer: int = Field(default=1, ge=1, le=100)
    segment_only: bool = False


class PointsOffer(BaseModel):
    kind: Literal["points_multiplier"]
    factor: Decimal = Field(gt=1, le=10, max_digits=4, decimal_places=2)


Offer = Annotated[CouponOffer | PointsOffer, Field(discriminator="kind")]


class CampaignIn(BaseModel):
    brand: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=120)
    segment: str = SEGMENT
    offer: Offer
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    budget: MoneyIn | None = None
    channel: Literal[CHANNELS] = "inbox"  # type: ignore[valid-type]
    holdout_pct: int = Field(default=10, ge=0, le=50)


class CampaignOut(BaseModel):
    id: str
    brand: str
    name: str
    segment: str
    offer: dict
    starts_at: dt.datetime
    ends_at: dt.datetime
    budget: MoneyOut | None
    channel: str
    holdout_pct: int
    redeemed: int
    spent: MoneyOut
    launched_at: dt.datetime | None


class SegmentIn(BaseModel):
    segment: str = SEGMENT


class SegmentSize(BaseModel):
    size: int


class ConsentIn(BaseModel):
    channel: Literal[CHANNELS]  # type: ignore[valid-type]
    granted: bool


class Consents(BaseModel):
    items: dict[str, bool]
