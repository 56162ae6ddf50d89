"""What membership asks other domains, as ports they implement and register (the
composition root, motormall/handlers.py), so membership imports none of them.

- `CreditStanding`: a customer's credit score, for tiers that need one. Until finance
  registers its own, nobody has a score and such tiers are out of reach.
- `PointsBoost`: a live campaign's points multiplier for a customer and brand (marketing).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Protocol

from sqlalchemy.orm import Session


class CreditStanding(Protocol):
    def score(self, session: Session, customer_id: str) -> int | None: ...


class PointsBoost(Protocol):
    def factor(
        self, session: Session, customer_id: str, brand_id: int, *, now: dt.datetime
    ) -> Decimal: ...


class NoCreditScores:
    def score(self, session: Session, customer_id: str) -> int | None:
        return None


class NoBoost:
    def factor(self, session, customer_id, brand_id, *, now) -> Decimal:
        return Decimal(1)


credit_standing: CreditStanding = NoCreditScores()
points_boost: PointsBoost = NoBoost()


def register_credit_standing(impl: CreditStanding) -> None:
    global credit_standing
    credit_standing = impl


def register_points_boost(impl: PointsBoost) -> None:
    global points_boost
    points_boost = impl
