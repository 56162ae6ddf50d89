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


@dataclass(frozen=True, kw_only=True)
class FinanceContractAccepted(Event):
    """The buyer accepted the finance contract (named by the PDF's SHA-256)."""

    type = "finance.contract_accepted"
    entity_type = "finance_contract"

    order_id: str
    sha256: str


@dataclass(frozen=True, kw_only=True)
class InstalmentPaid(Event):
    type = "finance.instalment_paid"
    entity_type = "instalment"

    order_id: str
    n: int
    amount: str


@dataclass(frozen=True, kw_only=True)
class InstalmentLate(Event):
    type = "finance.instalment_late"
    entity_type = "instalment"

    order_id: str
    n: int
    late_fee: str
