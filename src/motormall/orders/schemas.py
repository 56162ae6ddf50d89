"""API shapes for orders."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from motormall.platform.money import Amount, MoneyIn, MoneyOut


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vin: Annotated[str, Field(min_length=1, max_length=40)]
    delivery_dealer: Annotated[
        str | None,
        Field(
            max_length=40, description="dealer code, or 'tower:<code>'; default: where the car is"
        ),
    ] = None
    product: Literal["cash", "hire_purchase", "lease"] = "cash"
    term_months: Annotated[int | None, Field(ge=1, le=120)] = None
    down_payment: Annotated[Amount | None, Field(ge=0)] = None
    coupon: Annotated[str | None, Field(max_length=40)] = None


class Delivery(BaseModel):
    kind: Literal["dealer", "tower"]
    code: str


class PaymentSummary(BaseModel):
    id: str
    purpose: str
    amount: MoneyOut
    status: str
    refunded: MoneyOut


class OrderOut(BaseModel):
    id: str
    status: str
    vin: str
    product: str
    term_months: int | None
    price: MoneyOut
    deposit: MoneyOut
    paid: MoneyOut
    balance_due: MoneyOut
    # financed orders: the rest of the down payment (less the deposit), due once the
    # contract is signed and before handover; zero otherwise
    down_payment_due: MoneyOut
    delivery: Delivery
    credited_dealer: str
    expires_at: str | None
    created_at: str
    handed_over_at: str | None
    payments: list[PaymentSummary]


class OrderList(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


class OdometerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    odometer_km: Annotated[int, Field(ge=0, le=2_000_000)] = 0


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(max_length=200)] = "cancelled by request"


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: MoneyIn | Annotated[Amount, Field(ge=0)] = Field(
        description='"5000.00" or {"amount": "5000.00", "currency": "CNY"}'
    )
    purpose: Literal["deposit", "balance", "down_payment"]

    @property
    def money(self) -> MoneyIn:
        return self.amount if isinstance(self.amount, MoneyIn) else MoneyIn(amount=self.amount)
