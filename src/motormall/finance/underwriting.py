"""The underwriting decision: plain Python over a score, a debt-to-income ratio and the
policy. Near a limit (within the policy's margins) a person decides instead of the rule."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Decision:
    decision: str  # approved | declined | referred
    codes: list[str]  # the decision's own reasons, first


def decide(*, score: int, dti_after: Decimal | None, product: str, policy: dict) -> Decision:
    minimum = policy[f"min_score_{product}"]
    max_dti = Decimal(policy["max_debt_to_income"])
    score_margin = policy["refer_score_margin"]
    dti_margin = Decimal(policy["refer_dti_margin"])
    if dti_after is None:
        return Decision("declined", ["no_income"])
    declined, referred = [], []
    if score < minimum - score_margin:
        declined.append("score_below_minimum")
    elif score < minimum:
        referred.append("score_near_minimum")
    if dti_after > max_dti + dti_margin:
        declined.append("debt_to_income_too_high")
    elif dti_after > max_dti:
        referred.append("debt_to_income_near_limit")
    if declined:
        return Decision("declined", declined)
    if referred:
        return Decision("referred", referred)
    return Decision("approved", [])
