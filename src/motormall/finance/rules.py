"""Finance arithmetic: schedules, lease payments, the APR. Plain Python, no database, no clock.

One rounding rule, everywhere: every amount is rounded to the cent half away from zero
(`platform.money.round_money`) at the moment it is computed, and the **last instalment takes
the rounding residue**: its principal is whatever balance is left. So the principal column
sums exactly to the amount financed and the balance ends at exactly zero (for a lease, at
exactly the residual value), whatever the rate and term.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy_financial as npf

from motormall.platform.errors import Invalid
from motormall.platform.money import round_money

ZERO = Decimal("0.00")
MIN_TERM = 12
MAX_PRICE = Decimal("100000000.00")  # no car we sell costs more; above it the input is absurd

# Share of the price a car is worth at the end of a lease, by powertrain and term (months).
# Battery cars lose value faster in China's used market; longer terms leave less.
RESIDUAL_PCT: dict[str, dict[int, Decimal]] = {
    "ice": {
        12: Decimal("0.72"),
        24: Decimal("0.62"),
        36: Decimal("0.53"),
        48: Decimal("0.45"),
        60: Decimal("0.38"),
    },
    "hev": {
        12: Decimal("0.74"),
        24: Decimal("0.64"),
        36: Decimal("0.55"),
        48: Decimal("0.47"),
        60: Decimal("0.40"),
    },
    "phev": {
        12: Decimal("0.68"),
        24: Decimal("0.57"),
        36: Decimal("0.48"),
        48: Decimal("0.40"),
        60: Decimal("0.33"),
    },
    "bev": {
        12: Decimal("0.65"),
        24: Decimal("0.53"),
        36: Decimal("0.44"),
        48: Decimal("0.36"),
        60: Decimal("0.30"),
    },
}


@dataclass(frozen=True)
class Terms:
    """What the carmaker charges: nominal annual rates (fractions) and a fee paid at signing."""

    hire_purchase_rate: Decimal = Decimal("0.0499")
    lease_rate: Decimal = Decimal("0.0399")
    arrangement_fee: Decimal = Decimal("800.00")
    min_down_payment_pct: dict[str, Decimal] = field(
        default_factory=lambda: {
            "ice": Decimal("0.20"),
            "hev": Decimal("0.20"),
            "phev": Decimal("0.15"),
            "bev": Decimal("0.15"),
        }
    )
    max_term_months: int = 60


@dataclass(frozen=True)
class Row:
    n: int
    due_date: dt.date
    principal: Decimal
    interest: Decimal
    balance: Decimal

    @property
    def payment(self) -> Decimal:
        return self.principal + self.interest


@dataclass(frozen=True)
class Quote:
    product: str
    price: Decimal
    down_payment: Decimal
    amount_financed: Decimal
    fee: Decimal
    rate: Decimal  # nominal annual, a fraction
    term_months: int
    monthly_payment: Decimal  # the first (regular) instalment
    residual_value: Decimal
    total_payable: Decimal  # down payment + fee + every instalment (a lease: car handed back)
    apr: Decimal  # percent, two decimals
    schedule: list[Row]


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day if it is shorter."""
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def annuity_payment(principal: Decimal, annual_rate: Decimal, n: int) -> Decimal:
    """The level monthly payment that repays `principal` in `n` months, rounded to the cent."""
    if annual_rate == 0:
        return round_money(principal / n)
    r = annual_rate / 12
    return round_money(principal * r / (1 - (1 + r) ** -n))


def amortise(principal: Decimal, annual_rate: Decimal, n: int, start: dt.date) -> list[Row]:
    """An amortising loan's schedule: level payments, interest on the balance each month, the
    last payment settling the balance (the rounding rule above)."""
    payment = annuity_payment(principal, annual_rate, n)
    r = annual_rate / 12
    balance, rows = principal, []
    for k in range(1, n + 1):
        interest = round_money(balance * r)
        part = balance if k == n else min(payment - interest, balance)
        balance -= part
        rows.append(Row(k, add_months(start, k), part, interest, balance))
    return rows


def lease_schedule(
    cap_cost: Decimal, residual: Decimal, annual_rate: Decimal, n: int, start: dt.date
) -> list[Row]:
    """A lease: each payment is depreciation ((cap cost − residual) / n) plus a rent charge
    ((cap cost + residual) × money factor, the money factor being rate / 24). The balance
    runs down to the residual value, which the customer pays only to keep the car."""
    depreciation = round_money((cap_cost - residual) / n)
    rent = round_money((cap_cost + residual) * annual_rate / 24)
    balance, rows = cap_cost, []
    for k in range(1, n + 1):
        part = balance - residual if k == n else depreciation
        balance -= part
        rows.append(Row(k, add_months(start, k), part, rent, balance))
    return rows


def apr_of(advanced: Decimal, payments: list[Decimal]) -> Decimal:
    """The true annual rate of the cash flows, in percent: numpy-financial's IRR of the money
    advanced (net of fees) against every payment, times twelve (the nominal annual rate that
    China's annualised-rate disclosure rule asks for), rounded to two decimals."""
    if not payments or advanced <= 0:
        return ZERO
    flows = [float(advanced)] + [-float(p) for p in payments]
    monthly = npf.irr(flows)
    if monthly != monthly:  # NaN: no rate solves these flows
        return ZERO
    return round_money(Decimal(str(monthly)) * 12 * 100)


def check_amount(name: str, value: Decimal) -> None:
    if value < 0:
        raise Invalid("amount_negative", f"{name} cannot be negative.")
    if value > MAX_PRICE:
        raise Invalid("amount_out_of_range", f"{name} is above {MAX_PRICE:,.2f}; check it.")


def quote(
    *,
    product: str,
    price: Decimal,
    term_months: int | None,
    down_payment: Decimal | None,
    powertrain: str,
    terms: Terms,
    start: dt.date,
) -> Quote:
    """A quote for `product` on a car costing `price`; refuses terms the carmaker does not
    offer with 422s whose codes name the fault."""
    check_amount("price", price)
    if price <= 0:
        raise Invalid("amount_out_of_range", "price must be above zero.")
    if product == "cash":
        if term_months or down_payment:
            raise Invalid("not_financed", "A cash quote takes no term_months or down_payment.")
        return Quote("cash", price, price, ZERO, ZERO, ZERO, 0, ZERO, ZERO, price, ZERO, [])
    if product not in ("hire_purchase", "lease"):
        raise Invalid("unknown_product", "product must be cash, hire_purchase or lease.")
    top = terms.max_term_months
    if term_months is None or not MIN_TERM <= term_months <= top:
        raise Invalid(
            "invalid_term", f"term_months must be from {MIN_TERM} to {top}.", min=MIN_TERM, max=top
        )
    down = down_payment if down_payment is not None else ZERO
    check_amount("down_payment", down)
    if down >= price:
        raise Invalid(
            "down_payment_too_large", "The down payment must be less than the price; pay cash."
        )
    minimum = round_money(price * terms.min_down_payment_pct.get(powertrain, Decimal("0.20")))
    if down < minimum:
        raise Invalid(
            "down_payment_below_minimum",
            f"The down payment must be at least {minimum:.2f} for this car.",
            minimum=f"{minimum:.2f}",
        )
    financed = price - down
    fee = terms.arrangement_fee
    if product == "hire_purchase":
        rate = terms.hire_purchase_rate
        rows = amortise(financed, rate, term_months, start)
        residual = ZERO
    else:
        rate = terms.lease_rate
        residual = round_money(price * residual_pct(powertrain, term_months))
        if financed <= residual:
            raise Invalid(
                "down_payment_too_large",
                f"A lease finances the car down to its residual value ({residual:.2f}); "
                "lower the down payment or choose hire purchase.",
            )
        rows = lease_schedule(financed, residual, rate, term_months, start)
    payments = [r.payment for r in rows]
    flows = payments[:-1] + [payments[-1] + residual]  # a lease's residual closes its flows
    return Quote(
        product=product,
        price=price,
        down_payment=down,
        amount_financed=financed,
        fee=fee,
        rate=rate,
        term_months=term_months,
        monthly_payment=payments[0],
        residual_value=residual,
        total_payable=down + fee + sum(payments, ZERO),
        apr=apr_of(financed - fee, flows),
        schedule=rows,
    )


def residual_pct(powertrain: str, term_months: int) -> Decimal:
    """Straight-line between the table's terms."""
    table = RESIDUAL_PCT.get(powertrain, RESIDUAL_PCT["ice"])
    points = sorted(table)
    if term_months <= points[0]:
        return table[points[0]]
    for lo, hi in zip(points, points[1:], strict=False):
        if lo <= term_months <= hi:
            share = Decimal(term_months - lo) / Decimal(hi - lo)
            return (table[lo] + (table[hi] - table[lo]) * share).quantize(Decimal("0.0001"))
    return table[points[-1]]
