"""API shapes for finance."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
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


# --- credit -------------------------------------------------------------------------------


class CreditProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    birth_date: dt.date
    monthly_income: MoneyArg
    monthly_debt_payments: MoneyArg
    employment: Literal["employed", "self_employed", "retired", "student", "unemployed"]
    employment_years: Annotated[int, Field(ge=0, le=70)]
    housing: Literal["own", "rent", "family"]
    current_account: Annotated[
        Literal["overdrawn", "low", "healthy", "none"] | None,
        Field(description="overdrawn; low (under about a month's rent); healthy; none: no account"),
    ] = None
    credit_history: (
        Literal["none_taken", "all_repaid_here", "paying_duly", "past_delays", "critical"] | None
    ) = None
    savings: Annotated[
        Literal["little", "moderate", "substantial", "large", "none"] | None,
        Field(description="little < 1 month's income; moderate 1–3; substantial 3–6; large 6+"),
    ] = None
    guarantor: Literal["none", "co_applicant", "guarantor"] | None = None
    property: Literal["real_estate", "savings_or_insurance", "car_or_other", "none"] | None = None
    other_instalment_plans: Literal["none", "bank", "stores"] | None = None
    years_at_address: Annotated[int | None, Field(ge=0, le=100)] = None
    existing_credits: Annotated[int | None, Field(ge=0, le=50)] = None
    dependants: Annotated[int | None, Field(ge=0, le=30)] = None


class ReasonOut(BaseModel):
    code: str
    text: str


class CreditOut(BaseModel):
    score: Annotated[int, Field(ge=350, le=950)]
    band: Literal["poor", "fair", "good", "very_good", "excellent"]
    reasons: list[ReasonOut]
    model_version: str
    as_of: str


# --- policy -------------------------------------------------------------------------------

Pct = Annotated[Decimal, Field(ge=0, lt=100)]
Score = Annotated[int, Field(ge=350, le=950)]


class DownPaymentPct(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ice: Pct | None = None
    hev: Pct | None = None
    phev: Pct | None = None
    bev: Pct | None = None


class PolicyIn(BaseModel):
    """Any subset of the policy; what is left out keeps its value."""

    model_config = ConfigDict(extra="forbid")

    min_score_hire_purchase: Score | None = None
    min_score_lease: Score | None = None
    min_score_tower: Score | None = None
    max_debt_to_income: Annotated[Decimal | None, Field(gt=0, le=1)] = None
    min_down_payment_pct: DownPaymentPct | None = None
    max_term_months: Annotated[int | None, Field(ge=12, le=84)] = None
    hire_purchase_rate_pct: Annotated[Decimal | None, Field(ge=0, le=36)] = None
    lease_rate_pct: Annotated[Decimal | None, Field(ge=0, le=36)] = None
    arrangement_fee: Annotated[Decimal | None, Field(ge=0, le=100000)] = None
    refer_score_margin: Annotated[int | None, Field(ge=0, le=200)] = None
    refer_dti_margin: Annotated[Decimal | None, Field(ge=0, le=Decimal("0.5"))] = None
    late_fee: Annotated[Decimal | None, Field(ge=0, le=10000)] = None
    late_after_days: Annotated[int | None, Field(ge=0, le=60)] = None
    retry_after_days: Annotated[
        list[Annotated[int, Field(ge=1, le=30)]] | None, Field(min_length=1, max_length=10)
    ] = None
    max_failed_collections: Annotated[int | None, Field(ge=1, le=20)] = None


class PolicyOut(BaseModel):
    version: int
    min_score_hire_purchase: int
    min_score_lease: int
    min_score_tower: int
    max_debt_to_income: str
    min_down_payment_pct: dict[str, str]
    max_term_months: int
    hire_purchase_rate_pct: str
    lease_rate_pct: str
    arrangement_fee: str
    refer_score_margin: int
    refer_dti_margin: str
    late_fee: str
    late_after_days: int
    retry_after_days: list[int]
    max_failed_collections: int


# --- applications -------------------------------------------------------------------------


class ApplicationOut(BaseModel):
    id: str
    order_id: str
    decision: Literal["approved", "declined", "referred"]
    outcome: Annotated[
        Literal["approved", "declined", "pending"],
        Field(description="the final word: a referred application is pending until reviewed"),
    ]
    reasons: list[ReasonOut]
    score: int
    policy_version: int
    model_version: str
    created_at: str
    review_note: str | None = None


class ApplicationList(BaseModel):
    items: list[ApplicationOut]
    next_cursor: str | None = None


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approved", "declined"]
    note: Annotated[str, Field(min_length=1, max_length=1000)]


# --- contracts and instalments ------------------------------------------------------------


class ContractOut(BaseModel):
    id: str
    order_id: str
    product: str
    status: Literal["offered", "accepted", "paid_off", "cancelled"]
    sha256: Annotated[
        str | None,
        Field(
            description="SHA-256 of the PDF: accept by naming it (null for the moment "
            "after approval while the PDF is written)"
        ),
    ]
    pdf_url: str
    amount_financed: MoneyOut
    monthly_payment: MoneyOut
    term_months: int
    apr: str
    collections: bool
    accepted_at: str | None


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sha256: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]


class InstalmentOut(BaseModel):
    id: str
    n: int
    due_date: str
    principal: str
    interest: str
    late_fee: str
    amount: MoneyOut
    status: Literal["upcoming", "due", "late", "paid", "paid_off", "cancelled"]


class InstalmentList(BaseModel):
    items: list[InstalmentOut]
    next_cursor: str | None = None


class PayoffOut(BaseModel):
    amount: MoneyOut
    on: str


class MandateOut(BaseModel):
    id: str
    status: Literal["pending", "active"]
    provider: str
    sign_url: Annotated[str, Field(description="where the buyer signs at the provider")]
