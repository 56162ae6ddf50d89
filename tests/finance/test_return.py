"""A financed car brought back within the return window closes its contract and ends its
mandate, like a cancel: nothing is collected after it, every instalment paid goes back to
the buyer with the rest, and the lender's advance and the instalments' split are unwound."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from motormall.finance.models import FinanceContract, Instalment, Mandate
from motormall.payments import jobs as payment_jobs
from motormall.payments.models import PaymentIntent, Refund
from tests import factories as f
from tests.finance.test_collections import _contracted, _run, _sign
from tests.orders import helpers as oh


def test_a_returned_car_closes_its_contract_and_its_instalments_go_back(client, db, settings):
    net, buyer, order, admin, base = _contracted(client, db)
    _sign(client, buyer, base, settings)
    oh.pay(client, db, buyer, order["id"], "down_payment", "95000.00")
    staff = f.token(client, net["users"]["staff"])
    r = client.post(f"{base}/handover", headers=staff, json={"odometer_km": 10})
    assert r.status_code == 200, r.text
    assert _run(db, 31) == {"late": 0, "applied": 1}  # instalment 1 is paid before the return

    r = client.post(f"{base}/return", headers=buyer, json={"odometer_km": 200})
    assert r.status_code == 200 and r.json()["status"] == "returned", r.text
    with db.reading() as s:
        assert s.scalar(select(FinanceContract.status)) == "cancelled"
        assert s.scalar(select(Mandate.status)) == "ended"
        statuses = dict(s.execute(select(Instalment.n, Instalment.status)).all())
        instalment_intent = s.scalar(
            select(PaymentIntent.id).where(PaymentIntent.purpose == "instalment")
        )
        refunds = {rf.intent_id: rf for rf in s.scalars(select(Refund))}
    assert statuses[1] == "paid" and {statuses[n] for n in range(2, 13)} == {"cancelled"}
    assert instalment_intent in refunds  # the instalment's money goes back with the rest
    assert _run(db, 62) == {"late": 0} and _run(db, 400) == {"late": 0}

    for refund in refunds.values():  # sent after the return's commit (or now, if not yet)
        assert payment_jobs.send_refund_now(refund.id) in ("sent", "done")
    with db.reading() as s:
        assert {rf.status for rf in s.scalars(select(Refund))} == {"succeeded"}
    balanced, accounts = oh.ledger(client, db, net)
    assert balanced
    for account in ("finance_receivable", "customer_instalments", "customer_payments"):
        assert Decimal(accounts.get(account, "0")) == 0, (account, accounts)
    assert Decimal(accounts.get("finance_interest_income", "0")) == 0
