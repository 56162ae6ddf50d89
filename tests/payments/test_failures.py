"""Money failure paths: a declined payment, and reconciliation when the provider cannot be
reached or reports a failure. Nothing is posted for money that was not taken."""

import pytest
from sqlalchemy import func, select

from motormall.payments.jobs import reconcile_pending
from motormall.payments.ledger import LedgerTransaction
from motormall.payments.providers import ProviderError
from motormall.payments.providers.sandbox import SandboxProvider
from tests.orders import helpers as h
from tests.payments.test_races import _backdate_intents


@pytest.fixture
def deposit_due(client, db):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    intent = h.start_payment(client, buyer, order["id"], "deposit", "5000.00")
    return net, buyer, order, intent


def _order(client, buyer, order_id):
    return client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()


def _transactions(db):
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(LedgerTransaction))


def test_a_declined_payment_posts_nothing_and_the_buyer_can_pay_again(client, db, deposit_due):
    net, buyer, order, intent = deposit_due
    r = h.notify(client, h.take_at_sandbox(db, intent["id"], succeed=False))
    assert r.status_code == 200 and r.headers["notification-outcome"] == "failed"
    assert h.intent_status(db, intent["id"]) == "failed"
    assert client.get(f"/api/v1/payments/{intent['id']}", headers=buyer).json()["status"] == (
        "failed"
    )
    seen = _order(client, buyer, order["id"])
    assert seen["status"] == "reserved" and seen["expires_at"] is not None  # the hold stands
    assert _transactions(db) == 0
    # a second try with a new intent goes through, and only it is posted
    again = h.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    assert h.intent_status(db, again["id"]) == "succeeded"
    assert _order(client, buyer, order["id"])["status"] == "deposit_paid"
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["customer_deposits"] == "-5000.00"
    assert _transactions(db) == 1


def test_reconciliation_when_the_provider_is_unreachable_tries_again_later(
    client, db, deposit_due, monkeypatch
):
    net, buyer, order, intent = deposit_due
    h.take_at_sandbox(db, intent["id"])  # paid at the provider; the notification was lost
    _backdate_intents(db)

    def down(self, **kwargs):
        raise ProviderError("connection reset")

    monkeypatch.setattr(SandboxProvider, "query", down)
    assert reconcile_pending() == {"unreachable": 1}
    assert h.intent_status(db, intent["id"]) == "pending"
    assert _order(client, buyer, order["id"])["status"] == "reserved"
    assert _transactions(db) == 0
    monkeypatch.undo()  # the provider is back: the next run applies the payment
    assert reconcile_pending() == {"applied": 1}
    assert _order(client, buyer, order["id"])["status"] == "deposit_paid"
    assert _transactions(db) == 1


def test_reconciliation_when_the_provider_reports_a_failure(client, db, deposit_due):
    net, buyer, order, intent = deposit_due
    h.take_at_sandbox(db, intent["id"], succeed=False)  # declined; its notification lost
    _backdate_intents(db)
    assert reconcile_pending() == {"failed": 1}
    assert h.intent_status(db, intent["id"]) == "failed"
    assert _order(client, buyer, order["id"])["status"] == "reserved"
    assert _transactions(db) == 0
    assert reconcile_pending() == {}  # a failed intent is not asked about again


def test_reconciliation_leaves_an_intent_the_provider_never_saw(client, db, deposit_due):
    net, buyer, order, intent = deposit_due
    _backdate_intents(db)  # the buyer never paid
    assert reconcile_pending() == {}
    assert h.intent_status(db, intent["id"]) == "pending"
    assert _transactions(db) == 0
