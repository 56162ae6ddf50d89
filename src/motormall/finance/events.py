"""What the finance domain announces."""

from __future__ import annotations

from dataclasses import dataclass

from motormall.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class FinanceApplicationDecided(Event):
    """The rules decided an order's finance application (approved, declined or referred)."""

    type = "finance.application_decided"
    entity_type = "finance_application"

    order_id: str
    decision: str
    score: int
    policy_version: int
    model_version: str


@dataclass(frozen=True, kw_only=True)
class FinanceApplicationReviewed(Event):
    """A credit officer settled a referred application."""

    type = "finance.application_reviewed"
    entity_type = "finance_application"

    order_id: str
    outcome: str
