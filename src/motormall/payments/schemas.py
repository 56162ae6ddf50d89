"""Payment API shapes."""

from __future__ import annotations

from pydantic import BaseModel

from motormall.payments.models import PaymentIntent
from motormall.platform.money import MoneyOut


class IntentOut(BaseModel):
    id: str
    order_id: str
    provider: str
    purpose: str
    amount: MoneyOut
    status: str
    pay_url: str
    created_at: str


def intent_out(intent: PaymentIntent) -> IntentOut:
    return IntentOut(
        id=intent.id,
        order_id=intent.order_id,
        provider=intent.provider,
        purpose=intent.purpose,
        amount=MoneyOut.of(intent.amount, intent.currency),
        status=intent.status,
        pay_url=intent.pay_url,
        created_at=intent.created_at.isoformat(),
    )
