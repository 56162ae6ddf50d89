"""Refunds are recorded with the decision and sent to the provider by a job after commit:
a provider that refuses does not undo the cancel, the refund is retried, and after its last
attempt it is marked failed for a person, with the ledger still owing the money."""

from sqlalchemy import select

from motormall.payments import jobs as payment_jobs
from motormall.payments.models import Refund
from motormall.payments.providers import ProviderError
from motormall.payments.providers.sandbox import SandboxProvider
from motormall.platform.audit import AuditEntry
from tests.orders import helpers as h


def _refuse(monkeypatch):
    calls = []

    def refuse(self, **kwargs):
        calls.append(kwargs["refund_id"])
        raise ProviderError("gateway timeout")

    monkeypatch.setattr(SandboxProvider, "refund", refuse)
    return calls


def _refunds(db):
    with db.reading() as s:
        return list(s.scalars(select(Refund)))


def _cancelled_with_deposit(client, db):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    h.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    return net, vins, buyer, order


def test_a_refused_refund_keeps_the_cancel_and_is_sent_again_later(client, db, monkeypatch):
    net, vins, buyer, order = _cancelled_with_deposit(client, db)
    undo = _refuse(monkeypatch)
    r = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.get(f"/api/v1/vehicles/{vins[0]}").json()["status"] == "available"
    [refund] = _refunds(db)
    assert (refund.status, refund.attempts, refund.last_error) == ("pending", 1, "gateway timeout")
    assert undo == [refund.id]
    # not sent yet: the ledger still owes the buyer the deposit, and still balances
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["customer_deposits"] == "-5000.00"

    monkeypatch.undo()  # the provider is back
    assert payment_jobs.send_refund_now(refund.id) == "sent"
    assert payment_jobs.send_refund_now(refund.id) == "done"  # a repeated job is harmless
    [refund] = _refunds(db)
    assert refund.status == "succeeded" and refund.provider_ref == f"rf_{refund.id}"
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["customer_deposits"] == "0.00"
    assert accounts["provider_clearing:sandbox"] == "0.00"


def test_a_refund_refused_every_time_is_marked_failed_and_audited(client, db, monkeypatch):
    net, vins, buyer, order = _cancelled_with_deposit(client, db)
    _refuse(monkeypatch)
    client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer)
    [refund] = _refunds(db)
    results = [payment_jobs.send_refund_now(refund.id) for _ in range(6)]
    assert results == ["retry"] * 4 + ["failed", "done"]
    [refund] = _refunds(db)
    assert (refund.status, refund.attempts) == ("failed", payment_jobs.REFUND_ATTEMPTS)
    with db.reading() as s:
        actions = list(s.scalars(select(AuditEntry.action)))
    assert "payment.refund_failed" in actions and "payment.refunded" not in actions
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["customer_deposits"] == "-5000.00"  # still owed, visibly


def test_a_resent_refund_is_taken_once_by_the_provider(client, db):
    net, vins, buyer, order = _cancelled_with_deposit(client, db)
    client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer)
    [refund] = _refunds(db)
    assert refund.status == "succeeded"
    from motormall.payments.providers.sandbox import SandboxPayment

    with db.transaction() as s:  # the provider is asked again with the same refund id
        payment = s.scalar(select(SandboxPayment))
        again = SandboxProvider(None).refund(
            intent_id=payment.intent_id,
            provider_ref=payment.ref,
            amount=refund.amount,
            currency="CNY",
            refund_id=refund.id,
            session=s,
        )
        assert again == f"rf_{refund.id}"
    with db.reading() as s:
        assert s.scalar(select(SandboxPayment.refunded)) == refund.amount
