"""Memberships: join a brand, earn and spend points, the tier a member stands at. No HTTP.

The points book is loaded as lots (earn entries and what has been drawn from each), the pure
`rules.Book` decides the moves, and the moves are written as entries; the membership row's
`points` is the running sum, locked while it changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from motormall.catalog.models import Brand
from motormall.membership import ports, rules
from motormall.membership.events import MembershipJoined
from motormall.membership.models import Membership, PointsEntry, Programme
from motormall.platform import audit, events
from motormall.platform.errors import Conflict, Invalid, NotFound

YEAR = dt.timedelta(days=365)


def brand_by_code(session: Session, code: str) -> Brand:
    brand = session.scalar(select(Brand).where(Brand.code == str(code).strip().upper()))
    if brand is None:
        raise NotFound("brand_not_found", f"No brand {code!r}.")
    return brand


# --- programmes -----------------------------------------------------------------------------


def programme_of(session: Session, brand_id: int) -> rules.Programme:
    row = session.get(Programme, brand_id)
    return rules.DEFAULT if row is None else programme_from_json(row.rules)


def programme_from_json(data: dict) -> rules.Programme:
    tiers = tuple(
        rules.TierRule(
            code=t["code"],
            min_points_year=int(t.get("min_points_year") or 0),
            min_spend_year=Decimal(str(t.get("min_spend_year") or "0")),
            min_activities_year=int(t.get("min_activities_year") or 0),
            min_credit_score=t.get("min_credit_score"),
            super_member=bool(t.get("super_member")),
        )
        for t in data["tiers"]
    )
    return rules.Programme(
        tiers=tiers,
        points_per_100=int(data.get("points_per_100", 1)),
        points_valid_days=int(data.get("points_valid_days", 730)),
        activity_points={**rules.DEFAULT.activity_points, **data.get("activity_points", {})},
    )


def programme_to_json(p: rules.Programme) -> dict:
    return {
        "tiers": [
            {
                "code": t.code,
                "min_points_year": t.min_points_year,
                "min_spend_year": f"{t.min_spend_year:.2f}",
                "min_activities_year": t.min_activities_year,
                "min_credit_score": t.min_credit_score,
                "super_member": t.super_member,
            }
            for t in p.tiers
        ],
        "points_per_100": p.points_per_100,
        "points_valid_days": p.points_valid_days,
        "activity_points": dict(p.activity_points),
    }


def set_programme(
    session: Session, brand_code: str, data: dict, *, actor_id: str, now: dt.datetime
) -> rules.Programme:
    brand = brand_by_code(session, brand_code)
    try:
        p = programme_from_json(data)
        rules.check_programme(p)
    except (rules.RuleError, KeyError, ValueError, TypeError) as exc:
        raise Invalid("invalid_programme", str(exc)) from None
    row = session.get(Programme, brand.id)
    if row is None:
        session.add(Programme(brand_id=brand.id, rules=programme_to_json(p), updated_at=now))
    else:
        row.rules, row.updated_at = programme_to_json(p), now
    audit.record(
        session,
        actor_id=actor_id,
        action="membership.programme_set",
        entity_type="brand",
        entity_id=brand.code,
        detail=programme_to_json(p),
    )
    return p


# --- joining and reading --------------------------------------------------------------------


def join(session: Session, customer_id: str, brand_code: str, *, now: dt.datetime) -> Membership:
    brand = brand_by_code(session, brand_code)
    code = brand.code
    taken = Conflict("already_exists", f"You are already a {code} member.")
    if membership_of(session, customer_id, brand.id) is not None:
        raise taken
    membership = Membership(
        customer_id=customer_id, brand_id=brand.id, joined_at=now, updated_at=now
    )
    try:
        with session.begin_nested():  # two joins at once: the unique index decides
            session.add(membership)
            session.flush()
    except IntegrityError:
        raise taken from None
    events.publish(
        session,
        MembershipJoined(entity_id=membership.id, customer_id=customer_id, at=now, brand=code),
    )
    return membership


def membership_of(
    session: Session, customer_id: str, brand_id: int, *, lock: bool = False
) -> Membership | None:
    stmt = select(Membership).where(
        Membership.customer_id == customer_id, Membership.brand_id == brand_id
    )
    return session.scalar(stmt.with_for_update() if lock else stmt)


@dataclass(frozen=True)
class Standing:
    brand: str
    tier: str
    points: int
    super_member: bool
    next_tier: dict | None
    points_year: int


def _year_figures(session: Session, membership_id: str, now: dt.datetime):
    """Points earned, money spent and activities in the rolling year, less returned ones."""
    reversal = aliased(PointsEntry)
    returned = (
        select(reversal.id)
        .where(
            reversal.membership_id == membership_id,
            reversal.kind == "reverse",
            reversal.source == PointsEntry.source,
        )
        .exists()
    )
    row = session.execute(
        select(
            func.coalesce(func.sum(PointsEntry.points), 0),
            func.coalesce(func.sum(PointsEntry.spend), 0),
            func.count(PointsEntry.id).filter(PointsEntry.spend.is_(None)),
        ).where(
            PointsEntry.membership_id == membership_id,
            PointsEntry.kind == "earn",
            PointsEntry.at > now - YEAR,
            ~returned,
        )
    ).one()
    return int(row[0]), Decimal(row[1] or 0), int(row[2])


def standing(session: Session, membership: Membership, *, now: dt.datetime) -> Standing:
    """Where a member stands now: tier from the brand's rules and (for tiers that need it)
    the credit score; super member if that tier says so."""
    p = programme_of(session, membership.brand_id)
    points_year, spend_year, activities = _year_figures(session, membership.id, now)
    tier = rules.tier_for(
        p,
        points_year=points_year,
        spend_year=spend_year,
        activities_year=activities,
        credit_score=ports.credit_standing.score(session, membership.customer_id),
    )
    return Standing(
        brand=session.get(Brand, membership.brand_id).code,
        tier=tier.code,
        points=membership.points,
        super_member=tier.super_member,
        next_tier=rules.next_tier(p, tier, points_year=points_year),
        points_year=points_year,
    )


def standings_of(session: Session, customer_id: str, *, now: dt.datetime) -> list[Standing]:
    rows = session.scalars(
        select(Membership)
        .where(Membership.customer_id == customer_id)
        .order_by(Membership.joined_at, Membership.id)
    )
    return [standing(session, m, now=now) for m in rows]


def is_super_member(session: Session, customer_id: str, brand_id: int, *, now: dt.datetime) -> bool:
    """What the tower test-drive gate asks: a member of the brand at a super-member tier."""
    m = membership_of(session, customer_id, brand_id)
    return m is not None and standing(session, m, now=now).super_member


def history(session: Session, membership: Membership, *, limit: int = 50) -> list[PointsEntry]:
    return list(
        session.scalars(
            select(PointsEntry)
            .where(PointsEntry.membership_id == membership.id)
            .order_by(PointsEntry.id.desc())
            .limit(limit)
        )
    )


# --- the points book ------------------------------------------------------------------------


def _book(session: Session, membership: Membership) -> rules.Book:
    drawn = aliased(PointsEntry)
    rows = session.execute(
        select(
            PointsEntry.id,
            PointsEntry.points,
            PointsEntry.expires_at,
            PointsEntry.source,
            func.coalesce(func.sum(drawn.points), 0),
            func.coalesce(func.sum(drawn.points).filter(drawn.kind == "burn"), 0),
        )
        .outerjoin(drawn, drawn.lot_id == PointsEntry.id)
        .where(PointsEntry.membership_id == membership.id, PointsEntry.kind == "earn")
        .group_by(PointsEntry.id, PointsEntry.points, PointsEntry.expires_at, PointsEntry.source)
        .order_by(PointsEntry.id)
    ).all()
    reversed_sources = set(
        session.scalars(
            select(PointsEntry.source).where(
                PointsEntry.membership_id == membership.id, PointsEntry.kind == "reverse"
            )
        )
    )
    return rules.Book(
        lots=[
            rules.Lot(
                id=i, points=p, remaining=p + int(d), expires_at=exp, source=src, burned=-int(b)
            )
            for i, p, exp, src, d, b in rows
        ],
        reversed_sources=reversed_sources,
    )


def _write(session: Session, membership: Membership, moves, *, now: dt.datetime) -> None:
    for move in moves:
        session.add(
            PointsEntry(
                membership_id=membership.id,
                kind=move.kind,
                points=move.points,
                lot_id=move.lot_id,
                source=move.source,
                at=now,
            )
        )
    membership.points += sum(m.points for m in moves)
    membership.updated_at = now
    session.flush()
    _refresh_tier(session, membership, now=now)


def _refresh_tier(session: Session, membership: Membership, *, now: dt.datetime) -> None:
    s = standing(session, membership, now=now)
    membership.tier, membership.tier_rank = s.tier, rules.LADDER.index(s.tier)


def earn(
    session: Session,
    membership: Membership,
    points: int,
    source: str,
    *,
    now: dt.datetime,
    spend: Decimal | None = None,
) -> PointsEntry | None:
    """Credit points once per source (a purchase, a test drive, ...); a repeat does nothing."""
    if points <= 0:
        return None
    already = session.scalar(
        select(PointsEntry.id).where(
            PointsEntry.membership_id == membership.id,
            PointsEntry.kind == "earn",
            PointsEntry.source == source,
        )
    )
    if already is not None:
        return None
    p = programme_of(session, membership.brand_id)
    entry = PointsEntry(
        membership_id=membership.id,
        kind="earn",
        points=points,
        source=source,
        spend=spend,
        expires_at=now + dt.timedelta(days=p.points_valid_days),
        at=now,
    )
    session.add(entry)
    membership.points += points
    membership.updated_at = now
    session.flush()
    _refresh_tier(session, membership, now=now)
    return entry


def earn_for_activity(
    session: Session,
    customer_id: str,
    brand_id: int,
    activity: str,
    source: str,
    *,
    now: dt.datetime,
) -> PointsEntry | None:
    """For other domains' handlers: points for a test drive, service visit, survey or
    referral, by the brand's programme; nothing for a customer who is not a member."""
    membership = membership_of(session, customer_id, brand_id, lock=True)
    if membership is None:
        return None
    points = programme_of(session, brand_id).activity_points.get(activity, 0)
    factor = ports.points_boost.factor(session, customer_id, brand_id, now=now)
    return earn(session, membership, int(points * factor), source, now=now)


def earn_for_purchase(
    session: Session,
    customer_id: str,
    brand_id: int,
    price: Decimal,
    source: str,
    *,
    now: dt.datetime,
) -> PointsEntry | None:
    membership = membership_of(session, customer_id, brand_id, lock=True)
    if membership is None:
        return None
    factor = ports.points_boost.factor(session, customer_id, brand_id, now=now)
    points = rules.points_for_purchase(programme_of(session, brand_id), price, factor)
    return earn(session, membership, points, source, now=now, spend=price)


def burn(
    session: Session,
    customer_id: str,
    brand_code: str,
    points: int,
    reason: str,
    *,
    now: dt.datetime,
) -> Membership:
    """Spend points on an offer; more than the live balance → 409 insufficient_points."""
    brand = brand_by_code(session, brand_code)
    membership = membership_of(session, customer_id, brand.id, lock=True)
    if membership is None:
        raise NotFound("membership_not_found", f"You are not a {brand.code} member.")
    book = _book(session, membership)
    try:
        moves = book.burn(points, reason, now=now)
    except rules.InsufficientPoints as exc:
        raise Conflict(
            "insufficient_points",
            f"{exc.wanted} points wanted, {exc.available} available.",
            available=exc.available,
        ) from None
    _write(session, membership, moves, now=now)
    return membership


def reverse(
    session: Session, customer_id: str, brand_id: int, source: str, *, now: dt.datetime
) -> int:
    """Take back what `source` earned (a returned purchase); returns the points taken."""
    membership = membership_of(session, customer_id, brand_id, lock=True)
    if membership is None:
        return 0
    moves = _book(session, membership).reverse(source, now=now)
    _write(session, membership, moves, now=now)
    return -sum(m.points for m in moves)


def expire_due(session: Session, *, now: dt.datetime, limit: int = 500) -> int:
    """Lapse every lot past its date that still has points (the daily sweep); members are
    taken in primary-key order, like every batch."""
    drawn = aliased(PointsEntry)
    left = PointsEntry.points + func.coalesce(
        select(func.sum(drawn.points)).where(drawn.lot_id == PointsEntry.id).scalar_subquery(), 0
    )
    ids = session.scalars(
        select(PointsEntry.membership_id)
        .where(PointsEntry.kind == "earn", PointsEntry.expires_at <= now, left > 0)
        .distinct()
        .order_by(PointsEntry.membership_id)
        .limit(limit)
    ).all()
    lapsed = 0
    for membership_id in ids:
        membership = session.get(Membership, membership_id, with_for_update=True)
        moves = _book(session, membership).expire(now=now)
        _write(session, membership, moves, now=now)
        lapsed += -sum(m.points for m in moves)
    return lapsed


def as_dict(s: Standing) -> dict:
    return dataclasses.asdict(s)
