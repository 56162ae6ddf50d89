"""API shapes for finance."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from motormall.platform.money import MoneyIn, MoneyOut

_AMOUNT = re.compile(r"^-?\d{1,15}(\.\d{1,2})?$")


def _money(value: Any) -> Any:
    """Money as `{"amount", "currency"}`; a bare decimal string is taken as CNY. Exponents
    and 16+ digit amounts are refused here, before any Decimal arithmetic sees them."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = {"amount": value}
    amount = value.get("amount") if isinstance(value, dict) else None
    if isinstance(amount, str | int) and not _AMOUNT.match(str(amount).strip()):
        raise ValueError("amount must be a plain decimal such as 268000.00")
    return value


MoneyArg = Annotated[MoneyIn, BeforeValidator(_money)]
Powertrain = Literal["ice", "hev", "phev", "bev"]


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vin: Annotated[str | None, Field(min_length=1, max_length=40)] = None
    price: Annotated[MoneyArg | None, Field(description="instead of a VIN")] = None
    powertrain: Annotated[
        Powertrain | None,
        Field(description="with `price` only: sets the lease residual and minimum down payment"),
    ] = None
    product: Literal["cash", "hire_purchase", "lease"]
    term_months: Annotated[int | None, Field(ge=1, le=600)] = None
    down_payment: MoneyArg | None = None


class ScheduleRow(BaseModel):
    n: int
    due_date: str
    principal: str
    interest: str
    balance: str


class QuoteOut(BaseModel):
    product: str
    price: MoneyOut
    down_payment: MoneyOut
    amount_financed: MoneyOut
    fees: MoneyOut
    rate: Annotated[str, Field(description="nominal annual interest rate, percent")]
    apr: Annotated[
        str,
        Field(
            description="annual percentage rate in percent: 12 × the monthly IRR of the money "
            "advanced net of fees against every payment (numpy-financial)"
        ),
    ]
    term_months: int
    monthly_payment: MoneyOut
    residual_value: MoneyOut
    total_payable: MoneyOut
    rounding: str
    schedule: list[ScheduleRow]
