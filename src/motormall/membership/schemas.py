"""Membership API shapes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from motormall.membership.rules import LADDER


class JoinIn(BaseModel):
    brand: str = Field(min_length=1, max_length=20)


class NextTier(BaseModel):
    tier: str
    points_needed: int
    min_spend_year: str | None = None
    min_activities_year: int | None = None
    needs_credit_score: int | None = None


class MembershipOut(BaseModel):
    brand: str
    tier: str = Field(description=f"one of {', '.join(LADDER)}")
    points: int = Field(description="points that can be spent now")
    super_member: bool
    next_tier: NextTier | None
    points_year: int = Field(description="points earned in the rolling year (tiers count these)")


class Memberships(BaseModel):
    items: list[MembershipOut]
    next_cursor: str | None = None


class BurnIn(BaseModel):
    points: int = Field(gt=0, le=10_000_000)
    reason: str = Field(default="offer", min_length=1, max_length=60)


class PointsLine(BaseModel):
    id: int
    kind: str
    points: int
    source: str
    at: str
    expires_at: str | None


class PointsHistory(BaseModel):
    brand: str
    points: int
    items: list[PointsLine]


class TierIn(BaseModel):
    code: str = Field(pattern="^(" + "|".join(LADDER) + ")$")
    min_points_year: int = Field(default=0, ge=0, le=100_000_000)
    min_spend_year: str = Field(default="0", pattern=r"^\d{1,12}(\.\d{1,2})?$")
    min_activities_year: int = Field(default=0, ge=0, le=10_000)
    min_credit_score: int | None = Field(default=None, ge=350, le=950)
    super_member: bool = False


class ProgrammeIn(BaseModel):
    tiers: list[TierIn] = Field(min_length=1, max_length=len(LADDER))
    points_per_100: int = Field(default=1, ge=0, le=1000)
    points_valid_days: int = Field(default=730, ge=1, le=3650)
    activity_points: dict[str, int] = Field(default_factory=dict, max_length=10)
