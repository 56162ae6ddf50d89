"""Schedules against independent calculations, and the properties every schedule keeps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motormall.finance import rules
from motormall.platform.errors import Invalid
from motormall.platform.money import round_money

START = dt.date(2026, 1, 31)
TERMS = rules.Terms()
cents = st.integers(min_value=1_000_00, max_value=5_000_000_00).map(lambda c: Decimal(c) / 100)
rates = st.integers(min_value=0, max_value=2400).map(lambda bp: Decimal(bp) / 10000)
terms_ = st.integers(min_value=12, max_value=60)


@given(principal=cents, rate=rates, n=terms_)
@settings(max_examples=300, deadline=None)
def test_principal_sums_exactly_and_the_balance_ends_at_zero(principal, rate, n):
    rows = rules.amortise(principal, rate, n, START)
    assert sum(r.principal for r in rows) == principal
    assert rows[-1].balance == Decimal("0.00")
    assert all(r.balance >= 0 and r.principal >= 0 for r in rows)
    assert [r.n for r in rows] == list(range(1, n + 1))
    # every amount is whole cents
    assert all(r.interest == r.interest.quantize(Decimal("0.01")) for r in rows)
    # level payments, the last differs only by the rounding residue
    payment = rows[0].payment
    assert all(r.payment == payment for r in rows[:-1])
    assert abs(rows[-1].payment - payment) <= Decimal("0.01") * n


@given(principal=cents, rate=rates.filter(lambda r: r > 0), n=terms_)
@settings(max_examples=200, deadline=None)
def test_payment_matches_the_closed_form_annuity_and_numpy_financial(principal, rate, n):
    r = float(rate) / 12
    closed_form = float(principal) * r / (1 - (1 + r) ** -n)
    payment = rules.annuity_payment(principal, rate, n)
    assert abs(float(payment) - closed_form) <= 0.005
    assert abs(float(payment) + npf.pmt(r, n, float(principal))) <= 0.005


@given(principal=cents, rate=rates.filter(lambda r: r >= Decimal("0.01")), n=terms_)
@settings(max_examples=100, deadline=None)
def test_the_apr_without_fees_recovers_the_rate(principal, rate, n):
    rows = rules.amortise(principal, rate, n, START)
    apr = rules.apr_of(principal, [r.payment for r in rows])
    assert abs(apr - rate * 100) <= Decimal("0.02")


def test_a_known_loan_against_a_hand_checked_schedule():
    # 100,000 at 6 % over 12 months: the textbook payment is 8,606.64
    rows = rules.amortise(Decimal("100000.00"), Decimal("0.06"), 12, START)
    assert rows[0].payment == Decimal("8606.64")
    assert rows[0].interest == Decimal("500.00")
    assert rows[0].principal == Decimal("8106.64")
    assert rows[0].due_date == dt.date(2026, 2, 28)  # the 31st clamped to February's end
    assert rows[-1].due_date == dt.date(2027, 1, 31)


def test_fees_raise_the_apr_above_the_rate():
    q = rules.quote(
        product="hire_purchase",
        price=Decimal("300000.00"),
        term_months=36,
        down_payment=Decimal("60000.00"),
        powertrain="ice",
        terms=TERMS,
        start=START,
    )
    assert q.amount_financed == Decimal("240000.00")
    assert q.apr > q.rate * 100
    payments = [r.payment for r in q.schedule]
    irr = npf.irr([float(q.amount_financed - q.fee)] + [-float(p) for p in payments])
    assert q.apr == (Decimal(str(irr)) * 1200).quantize(Decimal("0.01"))
    assert q.total_payable == q.down_payment + q.fee + sum(payments)


@given(
    price=st.integers(min_value=50_000, max_value=2_000_000).map(Decimal),
    n=terms_,
    powertrain=st.sampled_from(["ice", "hev", "phev", "bev"]),
)
@settings(max_examples=150, deadline=None)
def test_a_lease_runs_down_exactly_to_its_residual(price, n, powertrain):
    down = (price * Decimal("0.20")).quantize(Decimal("0.01"))
    q = rules.quote(
        product="lease",
        price=price,
        term_months=n,
        down_payment=down,
        powertrain=powertrain,
        terms=TERMS,
        start=START,
    )
    assert q.schedule[-1].balance == q.residual_value
    assert sum(r.principal for r in q.schedule) == q.amount_financed - q.residual_value
    rent = q.schedule[0].interest
    expected_rent = round_money((q.amount_financed + q.residual_value) * TERMS.lease_rate / 24)
    assert rent == expected_rent
    assert q.apr > 0


def test_a_longer_lease_leaves_less_residual_and_bevs_lose_more():
    assert rules.residual_pct("ice", 36) > rules.residual_pct("ice", 48)
    assert rules.residual_pct("bev", 36) < rules.residual_pct("ice", 36)
    assert rules.residual_pct("ice", 30) == Decimal("0.5750")


def _quote(**kw):
    args = dict(
        product="hire_purchase",
        price=Decimal("200000.00"),
        term_months=36,
        down_payment=Decimal("50000.00"),
        powertrain="ice",
        terms=TERMS,
        start=START,
    )
    return rules.quote(**{**args, **kw})


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"term_months": 6}, "invalid_term"),
        ({"term_months": 61}, "invalid_term"),
        ({"term_months": None}, "invalid_term"),
        ({"down_payment": Decimal("200000.00")}, "down_payment_too_large"),
        ({"down_payment": Decimal("10000.00")}, "down_payment_below_minimum"),
        ({"down_payment": Decimal("-1.00")}, "amount_negative"),
        ({"price": Decimal("0.00")}, "amount_out_of_range"),
        ({"price": Decimal("1000000000.00")}, "amount_out_of_range"),
        ({"product": "cash"}, "not_financed"),
        ({"product": "lease", "down_payment": Decimal("150000.00")}, "down_payment_too_large"),
    ],
)
def test_bad_terms_are_refused_with_a_code(kw, code):
    with pytest.raises(Invalid) as err:
        _quote(**kw)
    assert err.value.code == code


def test_a_cash_quote_is_the_price():
    q = _quote(product="cash", term_months=None, down_payment=None)
    assert q.total_payable == Decimal("200000.00") and q.schedule == []
