"""A cancelled financed order closes its contract and ends its mandate: nothing is collected
after the cancel, and money for an instalment that arrives after it goes back."""

from __future__ import annotations

from sqlalchemy import select

from motormall.finance.models import FinanceContract, Instalment, Mandate
from tests.finance.test_collections import _contracted, _run, _sign
from tests.orders import helpers as oh


def _state(db):
    with db.reading() as s:
        contract = s.scalar(select(FinanceContract))
        statuses = set(s.scalars(select(Instalment.status)))
        return contract.status, statuses, s.scalar(select(Mandate.status))


def test_cancel_closes_the_contract_and_nothing_is_collected_after(client, db, settings):
    net, buyer, order, admin, base = _contracted(client, db)
    _sign(client, buyer, base, settings)
    r = client.post(f"{base}/cancel", headers=buyer)
    assert r.status_code == 200, r.text
    assert _state(db) == ("cancelled", {"cancelled"}, "ended")
    assert _run(db, 31) == {"late": 0}
    assert _run(db, 400) == {"late": 0}  # never late, never debited
    items = client.get(f"{base}/instalments", headers=buyer).json()["items"]
    assert {i["status"] for i in items} == {"cancelled"}
    assert client.get(f"{base}/contract", headers=buyer).json()["status"] == "cancelled"
    assert oh.ledger(client, db, net)[0]


def test_an_instalment_paid_after_the_cancel_is_sent_back(client, db, settings):
    net, buyer, order, admin, base = _contracted(client, db)
    intent = client.post(f"{base}/instalments/1/payments", headers=buyer)
    assert intent.status_code == 201, intent.text
    assert client.post(f"{base}/cancel", headers=buyer).status_code == 200
    r = oh.notify(client, oh.take_at_sandbox(db, intent.json()["id"]))
    assert r.headers["notification-outcome"] == "refunded"
    with db.reading() as s:
        assert s.scalar(select(Instalment.status).where(Instalment.n == 1)) == "cancelled"
    assert oh.ledger(client, db, net)[0]
