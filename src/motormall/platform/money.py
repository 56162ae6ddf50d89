"""Money: a Decimal amount and a currency, with one rounding rule for the whole product."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer
from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")
# Below a trillion: far above any car or instalment, and 14 digits of cents fit a BIGINT and
# Decimal's 28-digit context with room for interest arithmetic (1e999999 would not).
MAX_AMOUNT = Decimal("1000000000000")
CURRENCIES = {"CNY", "USD", "EUR", "GBP", "HKD"}


def round_money(value: Decimal) -> Decimal:
    """Round to the cent, half away from zero (the usual commercial rule in CNY)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(value: Any) -> Decimal:
    """A decimal string (or integer) to a Decimal; floats are refused to keep exactness."""
    if isinstance(value, (bool, float)):
        raise ValueError("amount must be a decimal string, not a float")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("amount is not a decimal number") from exc
    if not amount.is_finite():
        raise ValueError("amount must be finite")
    if abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"amount must be below {MAX_AMOUNT:,}")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueError("amount has more than two decimal places")
    return amount.quantize(CENT)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str = "CNY"

    def __post_init__(self):
        object.__setattr__(self, "amount", round_money(Decimal(self.amount)))

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def to_json(self) -> dict:
        return {"amount": f"{self.amount:.2f}", "currency": self.currency}


Amount = Annotated[
    Decimal,
    BeforeValidator(parse_amount),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str),
    Field(json_schema_extra={"type": "string", "pattern": r"^-?\d{1,12}(\.\d{1,2})?$"}),
]


class MoneyIn(BaseModel):
    amount: Amount = Field(ge=0)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")


class MoneyOut(BaseModel):
    amount: str
    currency: str

    @classmethod
    def of(cls, amount: Decimal, currency: str = "CNY") -> MoneyOut:
        return cls(**Money(amount, currency).to_json())


class Cents(TypeDecorator):
    """A money amount stored as whole cents in a BIGINT: exact on SQLite and PostgreSQL alike
    (SQLite would keep a NUMERIC as a binary float)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        cents = Decimal(value) * 100
        if cents != cents.to_integral_value():
            raise ValueError(f"{value} has fractions of a cent")
        return int(cents)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(CENT)
