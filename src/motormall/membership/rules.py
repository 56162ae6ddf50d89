"""Membership rules, pure: tiers from a carmaker's programme, points for a purchase, and the
points book (earn, burn, expire, reverse) that always balances. No database, no clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

# the ladder's names are fixed so a segment can say `tier >= gold` for every brand; each
# carmaker sets what it takes to reach a rung
LADDER = ("member", "silver", "gold", "platinum")
ACTIVITIES = ("test_drive", "service_visit", "survey", "referral")


@dataclass(frozen=True)
class TierRule:
    code: str
    min_points_year: int = 0  # points earned in the rolling year
    min_spend_year: Decimal = Decimal("0")  # money spent on the brand's cars in the rolling year
    min_activities_year: int = 0  # test drives, visits, surveys, referrals in the rolling year
    min_credit_score: int | None = None  # needs the finance score, when one exists
    super_member: bool = False  # what the tower test-drive gate asks

    @property
    def rank(self) -> int:
        return LADDER.index(self.code)


@dataclass(frozen=True)
class Programme:
    """What a carmaker sets for its brand's membership."""

    tiers: tuple[TierRule, ...]
    points_per_100: int = 1  # points per 100 of money spent on a car
    points_valid_days: int = 730
    activity_points: dict[str, int] = field(
        default_factory=lambda: {
            "test_drive": 200,
            "service_visit": 100,
            "survey": 50,
            "referral": 1000,
        }
    )


DEFAULT = Programme(
    tiers=(
        TierRule("member"),
        TierRule("silver", min_points_year=1000),
        TierRule("gold", min_points_year=3000, super_member=True),
        TierRule("platinum", min_points_year=8000, min_credit_score=700, super_member=True),
    )
)


class RuleError(ValueError):
    pass


def check_programme(p: Programme) -> None:
    """A ladder starts at `member` with no conditions and climbs in ladder order."""
    codes = [t.code for t in p.tiers]
    if not codes or codes[0] != "member" or any(c not in LADDER for c in codes):
        raise RuleError(f"tiers must start with 'member' and be among {', '.join(LADDER)}")
    if [LADDER.index(c) for c in codes] != sorted({LADDER.index(c) for c in codes}):
        raise RuleError("tiers must be listed once each, lowest first")
    first = p.tiers[0]
    if (
        first.min_points_year
        or first.min_spend_year
        or first.min_activities_year
        or (first.min_credit_score is not None)
    ):
        raise RuleError("the 'member' tier is for everyone who joins: it takes no conditions")
    if p.points_per_100 < 0 or p.points_valid_days < 1:
        raise RuleError("points_per_100 must be >= 0 and points_valid_days >= 1")


def tier_for(
    p: Programme,
    *,
    points_year: int,
    spend_year: Decimal,
    activities_year: int,
    credit_score: int | None,
) -> TierRule:
    """The highest tier whose every condition holds (a credit condition needs a score)."""
    reached = p.tiers[0]
    for tier in p.tiers[1:]:
        credit_ok = tier.min_credit_score is None or (
            credit_score is not None and credit_score >= tier.min_credit_score
        )
        if (
            points_year >= tier.min_points_year
            and spend_year >= tier.min_spend_year
            and activities_year >= tier.min_activities_year
            and credit_ok
        ):
            reached = tier
    return reached


def next_tier(p: Programme, current: TierRule, *, points_year: int) -> dict | None:
    """The rung above and the points still missing for it (other conditions listed)."""
    above = [t for t in p.tiers if t.rank > current.rank]
    if not above:
        return None
    t = above[0]
    return {
        "tier": t.code,
        "points_needed": max(t.min_points_year - points_year, 0),
        "min_spend_year": f"{t.min_spend_year:.2f}" if t.min_spend_year else None,
        "min_activities_year": t.min_activities_year or None,
        "needs_credit_score": t.min_credit_score,
    }


def points_for_purchase(p: Programme, price: Decimal, factor: Decimal = Decimal(1)) -> int:
    """Whole points per full 100 spent, times a campaign's factor, rounded down."""
    hundreds = (price / 100).to_integral_value(rounding=ROUND_FLOOR)
    return int((hundreds * p.points_per_100 * factor).to_integral_value(rounding=ROUND_FLOOR))


# --- the points book ------------------------------------------------------------------------


@dataclass
class Lot:
    """Points earned together (one earn entry): what is left of them and when they lapse."""

    id: int
    points: int
    remaining: int
    expires_at: dt.datetime
    source: str
    burned: int = 0  # spent on offers (a returned purchase claws these back)


@dataclass(frozen=True)
class Move:
    """One entry to write: `points` is signed (earn +, burn/expire/reverse -); a spending
    entry names the lot it draws on."""

    kind: str
    points: int
    lot_id: int | None
    source: str


class InsufficientPoints(Exception):
    def __init__(self, wanted: int, available: int):
        super().__init__(f"wanted {wanted}, available {available}")
        self.wanted, self.available = wanted, available


@dataclass
class Book:
    """A member's points as lots. Every operation returns the moves it made and applies them,
    so `balance == sum(lot.remaining)` and each lot stays within `0..points`."""

    lots: list[Lot] = field(default_factory=list)
    reversed_sources: set[str] = field(default_factory=set)

    @property
    def balance(self) -> int:
        return sum(lot.remaining for lot in self.lots)

    def _live(self, now: dt.datetime) -> list[Lot]:
        # the points that lapse first are spent first
        return sorted(
            (lot for lot in self.lots if lot.remaining > 0 and lot.expires_at > now),
            key=lambda lot: (lot.expires_at, lot.id),
        )

    def available(self, now: dt.datetime) -> int:
        return sum(lot.remaining for lot in self._live(now))

    def earn(self, lot_id: int, points: int, source: str, *, expires_at: dt.datetime) -> Move:
        if points <= 0:
            raise ValueError("points earned must be positive")
        self.lots.append(Lot(lot_id, points, points, expires_at, source))
        return Move("earn", points, None, source)

    def _take(self, lots: list[Lot], points: int, kind: str, source: str) -> list[Move]:
        moves = []
        for lot in lots:
            if points <= 0:
                break
            take = min(lot.remaining, points)
            if take:
                lot.remaining -= take
                lot.burned += take if kind == "burn" else 0
                points -= take
                moves.append(Move(kind, -take, lot.id, source))
        return moves

    def burn(self, points: int, source: str, *, now: dt.datetime) -> list[Move]:
        """Spend points (oldest to lapse first); all or nothing."""
        if points <= 0:
            raise ValueError("points burned must be positive")
        if points > self.available(now):
            raise InsufficientPoints(points, self.available(now))
        return self._take(self._live(now), points, "burn", source)

    def expire(self, *, now: dt.datetime) -> list[Move]:
        """Whatever is left of lots past their date lapses."""
        lapsed = [lot for lot in self.lots if lot.remaining > 0 and lot.expires_at <= now]
        return [m for lot in lapsed for m in self._take([lot], lot.remaining, "expire", lot.source)]

    def reverse(self, source: str, *, now: dt.datetime) -> list[Move]:
        """Take back the points a returned purchase earned: what is left of its lot, then
        the part already spent from other live points. What cannot be recovered (spent, and
        nothing left) is written off, never a negative balance. Once per source."""
        if source in self.reversed_sources:
            return []
        earned = [lot for lot in self.lots if lot.source == source]
        if not earned:
            return []
        self.reversed_sources.add(source)
        moves = []
        for lot in earned:
            moves += self._take([lot], lot.remaining, "reverse", source)
        spent = sum(lot.burned for lot in earned)  # lapsed points are not clawed back
        others = [lot for lot in self._live(now) if lot.source != source]
        moves += self._take(others, spent, "reverse", source)
        return moves
