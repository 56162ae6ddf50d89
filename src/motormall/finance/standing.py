"""Finance answers membership's `CreditStanding` port: the customer's current score, which
the top tiers and `super_member` ask for (membership imports no finance code)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from motormall.finance import credit
from motormall.membership.ports import register_credit_standing
from motormall.platform.config import get_settings
from motormall.platform.errors import NotFound


class FinanceCreditStanding:
    def score(self, session: Session, customer_id: str) -> int | None:
        try:
            _, result = credit.score_of(session, customer_id, settings=get_settings())
        except NotFound:  # no credit profile yet
            return None
        return result.score


register_credit_standing(FinanceCreditStanding())
