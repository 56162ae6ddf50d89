"""Finance test helpers: a declared profile, a financed order with its deposit paid."""

from __future__ import annotations

from tests import factories as f
from tests.orders import helpers as oh

GOOD = {
    "birth_date": "1985-03-14",
    "monthly_income": {"amount": "40000.00", "currency": "CNY"},
    "monthly_debt_payments": {"amount": "1000.00", "currency": "CNY"},
    "employment": "employed",
    "employment_years": 9,
    "housing": "own",
    "current_account": "none",
    "credit_history": "critical",
    "savings": "large",
    "property": "real_estate",
    "guarantor": "guarantor",
}
WEAK = {
    "birth_date": "2003-01-02",
    "monthly_income": "6000.00",
    "monthly_debt_payments": "2500.00",
    "employment": "employed",
    "employment_years": 0,
    "housing": "rent",
    "current_account": "overdrawn",
    "credit_history": "none_taken",
    "savings": "little",
    "other_instalment_plans": "bank",
}


def declare(client, headers, profile=GOOD):
    r = client.put("/api/v1/me/credit-profile", json=profile, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def financed_order(client, db, *, product="hire_purchase", term=36, down="100000.00"):
    """A network, a buyer, and the buyer's financed order with its deposit paid."""
    net, vins, buyer = oh.setup(db, client)
    r = oh.reserve(client, buyer, vins[0], product=product, term_months=term, down_payment=down)
    assert r.status_code == 201, r.text
    order = r.json()
    oh.pay(client, db, buyer, order["id"], "deposit", order["deposit"]["amount"])
    return net, buyer, order, f.token(client, net["users"]["admin"])


def apply(client, headers, order_id, **kw):
    return client.post(f"/api/v1/orders/{order_id}/finance-application", headers=headers, **kw)
