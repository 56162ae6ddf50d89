"""What the payments domain announces."""

from __future__ import annotations

from dataclasses import dataclass

from motormall.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class PaymentSettled(Event):
    """The provider confirmed a payment and it is on the ledger."""

    entity_type = "payment_intent"

    purpose: str  # deposit, balance, ...
    amount: str
    payable: str  # what it paid for: "order", ...
    order_id: str

    @property
    def type(self) -> str:  # type: ignore[override]
        return f"payment.{self.purpose}_received"

    def payload(self) -> dict:
        return {"amount": self.amount, "order_id": self.order_id}


@dataclass(frozen=True, kw_only=True)
class PaymentRefunded(Event):
    """The provider confirmed that money went back to the customer."""

    type = "payment.refunded"
    entity_type = "payment_intent"

    amount: str
    reason: str
    refund_id: str
    order_id: str
