"""A financed order's down payment (less the deposit) is collected through payments once the
contract is signed, and the car is not handed over before it is in."""

from __future__ import annotations

from decimal import Decimal

from tests import factories as f
from tests.catalog.test_api import problem
from tests.finance.test_collections import _contracted
from tests.orders import helpers as oh


def test_the_down_payment_is_due_before_handover(client, db):
    net, buyer, order, admin, base = _contracted(client, db)  # price 300k, down 100k
    staff = f.token(client, net["users"]["staff"])
    got = client.get(base, headers=buyer).json()
    assert got["status"] == "contracted"
    assert got["down_payment_due"] == {"amount": "95000.00", "currency": "CNY"}
    r = client.post(f"{base}/handover", headers=staff, json={"odometer_km": 10})
    problem(r, 409, "down_payment_due")
    pay = {"amount": "5000.00", "purpose": "down_payment"}
    problem(client.post(f"{base}/payments", headers=buyer, json=pay), 422, "amount_mismatch")

    oh.pay(client, db, buyer, order["id"], "down_payment", "95000.00")
    got = client.get(base, headers=buyer).json()
    assert got["status"] == "paid" and got["down_payment_due"]["amount"] == "0.00"
    again = {"amount": "95000.00", "purpose": "down_payment"}
    r = client.post(f"{base}/payments", headers=buyer, json=again)
    problem(r, 409, "down_payment_not_due")

    r = client.post(f"{base}/handover", headers=staff, json={"odometer_km": 10})
    assert r.status_code == 200 and r.json()["status"] == "handed_over", r.text
    balanced, accounts = oh.ledger(client, db, net)
    # deposit + down payment + the lender's advance: the whole price is revenue
    assert balanced and Decimal(accounts["carmaker_revenue"]) == Decimal("-300000.00")


def test_a_cash_order_owes_no_down_payment(client, db):
    net, vins, buyer = oh.setup(db, client)
    order = oh.reserve(client, buyer, vins[0]).json()
    oh.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    pay = {"amount": "1.00", "purpose": "down_payment"}
    r = client.post(f"/api/v1/orders/{order['id']}/payments", headers=buyer, json=pay)
    problem(r, 409, "down_payment_not_due")


def test_cancelling_a_contracted_order_unwinds_the_advance(client, db):
    net, buyer, order, admin, base = _contracted(client, db)
    assert client.post(f"{base}/cancel", headers=buyer).status_code == 200
    balanced, accounts = oh.ledger(client, db, net)
    assert balanced and Decimal(accounts.get("finance_receivable", "0")) == 0
