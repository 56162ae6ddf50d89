"""Contract acceptance and instalments: the PDF and its SHA-256, the order contracted,
instalments paid through the sandbox, early payoff, and a ledger that balances throughout."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from tests.finance.helpers import GOOD, apply, declare, financed_order
from tests.orders import helpers as oh


def _approved(client, db):
    net, buyer, order, admin = financed_order(client, db, term=12)
    declare(client, buyer, GOOD)
    assert apply(client, buyer, order["id"]).json()["decision"] == "approved"
    return net, buyer, order, admin


def _accept(client, buyer, order_id):
    contract = client.get(f"/api/v1/orders/{order_id}/contract", headers=buyer).json()
    pdf = client.get(contract["pdf_url"], headers=buyer)
    assert pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == contract["sha256"]
    r = client.post(
        f"/api/v1/orders/{order_id}/contract/accept",
        json={"sha256": contract["sha256"]},
        headers=buyer,
    )
    assert r.status_code == 200, r.text
    return r.json()


def _pay_intent(client, db, intent):
    r = oh.notify(client, oh.take_at_sandbox(db, intent["id"]))
    assert r.status_code == 200, r.text


def test_accepting_the_contract_contracts_the_order_and_schedules_instalments(client, db):
    net, buyer, order, admin = _approved(client, db)
    contract = client.get(f"/api/v1/orders/{order['id']}/contract", headers=buyer).json()
    assert contract["status"] == "offered"
    pdf = client.get(contract["pdf_url"], headers=buyer).content
    assert pdf.startswith(b"%PDF") and b"STSong-Light" in pdf  # the Chinese font is named
    wrong = client.post(
        f"/api/v1/orders/{order['id']}/contract/accept", json={"sha256": "0" * 64}, headers=buyer
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "contract_changed"
    accepted = _accept(client, buyer, order["id"])
    assert accepted["status"] == "accepted"
    assert client.get(f"/api/v1/orders/{order['id']}", headers=buyer).json()["status"] == (
        "contracted"
    )
    again = client.post(
        f"/api/v1/orders/{order['id']}/contract/accept",
        json={"sha256": accepted["sha256"]},
        headers=buyer,
    )
    assert again.status_code == 409
    items = client.get(f"/api/v1/orders/{order['id']}/instalments", headers=buyer).json()["items"]
    assert len(items) == 12 and items[0]["status"] == "due" and items[5]["status"] == "upcoming"
    financed = Decimal(accepted["amount_financed"]["amount"])
    assert sum(Decimal(i["principal"]) for i in items) == financed
    balanced, accounts = oh.ledger(client, db, net)
    assert balanced and Decimal(accounts["finance_receivable"]) == financed


def test_paying_every_instalment_clears_the_receivable_and_a_replay_changes_nothing(client, db):
    net, buyer, order, admin = _approved(client, db)
    _accept(client, buyer, order["id"])
    base = f"/api/v1/orders/{order['id']}/instalments"
    first = client.post(f"{base}/1/payments", headers=buyer)
    assert first.status_code == 201, first.text
    notice = oh.take_at_sandbox(db, first.json()["id"])
    assert oh.notify(client, notice).status_code == 200
    assert oh.notify(client, notice).status_code == 200  # replayed: nothing moves twice
    again = client.post(f"{base}/1/payments", headers=buyer)
    assert again.status_code == 409 and again.json()["code"] == "instalment_not_due"
    for n in range(2, 13):
        _pay_intent(client, db, client.post(f"{base}/{n}/payments", headers=buyer).json())
    items = client.get(base, headers=buyer).json()["items"]
    assert {i["status"] for i in items} == {"paid"}
    balanced, accounts = oh.ledger(client, db, net)
    assert balanced
    assert Decimal(accounts["finance_receivable"]) == 0
    assert Decimal(accounts["customer_instalments"]) == 0
    interest = sum(Decimal(i["interest"]) for i in items)
    assert Decimal(accounts["finance_interest_income"]) == -interest  # debits minus credits


def test_early_payoff_settles_the_exact_amount_and_closes_the_contract(client, db):
    net, buyer, order, admin = _approved(client, db)
    accepted = _accept(client, buyer, order["id"])
    base = f"/api/v1/orders/{order['id']}"
    _pay_intent(client, db, client.post(f"{base}/instalments/1/payments", headers=buyer).json())
    quote = client.get(f"{base}/payoff", headers=buyer).json()
    items = client.get(f"{base}/instalments", headers=buyer).json()["items"]
    left = sum(Decimal(i["principal"]) for i in items if i["status"] != "paid")
    assert Decimal(quote["amount"]["amount"]) >= left  # principal plus interest accrued
    intent = client.post(f"{base}/payoff/payments", headers=buyer)
    assert intent.status_code == 201, intent.text
    assert intent.json()["amount"] == quote["amount"]
    _pay_intent(client, db, intent.json())
    contract = client.get(f"{base}/contract", headers=buyer).json()
    assert contract["status"] == "paid_off" and accepted["id"] == contract["id"]
    statuses = [
        i["status"] for i in client.get(f"{base}/instalments", headers=buyer).json()["items"]
    ]
    assert statuses == ["paid"] + ["paid_off"] * 11
    balanced, accounts = oh.ledger(client, db, net)
    assert balanced and Decimal(accounts["finance_receivable"]) == 0
    nothing = client.post(f"{base}/payoff/payments", headers=buyer)
    assert nothing.status_code == 409


def test_an_order_payment_cannot_claim_an_instalment_purpose(client, db):
    net, buyer, order, admin = _approved(client, db)
    r = client.post(
        f"/api/v1/orders/{order['id']}/payments",
        json={"amount": {"amount": "1.00", "currency": "CNY"}, "purpose": "instalment"},
        headers=buyer,
    )
    assert r.status_code == 422


def test_the_pdf_is_written_after_the_decision_and_accepted_only_then(client, db):
    from sqlalchemy import update

    from motormall.finance import jobs
    from motormall.finance.models import FinanceContract

    net, buyer, order, admin = _approved(client, db)  # the job ran after the commit
    base = f"/api/v1/orders/{order['id']}"
    with db.transaction() as s:  # as it is between the decision's commit and the job
        s.execute(update(FinanceContract).values(pdf=None, sha256=None))
        contract_id = s.scalar(
            FinanceContract.__table__.select().with_only_columns(FinanceContract.id)
        )
    got = client.get(f"{base}/contract", headers=buyer).json()
    assert got["sha256"] is None and got["status"] == "offered"
    r = client.get(f"{base}/contract.pdf", headers=buyer)
    assert r.status_code == 409 and r.json()["code"] == "contract_not_ready"
    r = client.post(f"{base}/contract/accept", json={"sha256": "0" * 64}, headers=buyer)
    assert r.status_code == 409 and r.json()["code"] == "contract_not_ready"
    assert jobs.render_contract.call_local(contract_id) is True
    assert jobs.render_contract.call_local(contract_id) is False  # once
    assert _accept(client, buyer, order["id"])["status"] == "accepted"
