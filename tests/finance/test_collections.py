"""Mandates and the collection run: debits through the sandbox mandate, failures retried on
the policy's schedule, late fees, messages, collections after N failures; the ledger balances
after every sequence."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

from sqlalchemy import func, select, update

from motormall.finance import collections, jobs
from motormall.finance.models import Instalment, Mandate
from motormall.finance.payable import InstalmentPayable
from motormall.notifications.models import Notification
from motormall.payments.models import PaymentIntent
from motormall.platform.errors import Conflict
from tests.finance.helpers import GOOD, apply, declare, financed_order
from tests.orders import helpers as oh


def _contracted(client, db):
    net, buyer, order, admin = financed_order(client, db, term=12)
    declare(client, buyer, GOOD)
    assert apply(client, buyer, order["id"]).json()["decision"] == "approved"
    base = f"/api/v1/orders/{order['id']}"
    sha = client.get(f"{base}/contract", headers=buyer).json()["sha256"]
    assert client.post(f"{base}/contract/accept", json={"sha256": sha}, headers=buyer).is_success
    return net, buyer, order, admin, base


def _sign(client, buyer, base, settings):
    r = client.post(f"{base}/mandate", headers=buyer)
    assert r.status_code == 201, r.text
    mandate = r.json()
    assert mandate["status"] == "pending"
    headers, body = collections.signed_mandate_notice(settings, mandate["id"])
    url = "/api/v1/finance/mandates/notify/sandbox"
    forged = client.post(url, content=body, headers={"sandbox-signature": "t=1,v1=00"})
    assert forged.status_code == 400 and forged.json()["code"] == "bad_signature"
    tampered = body.replace(b"active", b"activ3")
    assert client.post(url, content=tampered, headers=headers).status_code == 400
    for _ in range(2):  # the replay changes nothing
        r = client.post(url, content=body, headers=headers)
        assert r.status_code == 200 and r.json()["status"] == "active"
    return mandate


def _run(db, days_after_accept: int):
    now = dt.datetime.now(dt.UTC) + dt.timedelta(days=days_after_accept)
    return jobs.collect_due(now, db=db)


def test_the_month_end_run_collects_due_instalments_through_the_mandate(client, db, settings):
    net, buyer, order, admin, base = _contracted(client, db)
    assert _run(db, 31) == {"late": 0}  # no mandate yet: nothing is debited
    _sign(client, buyer, base, settings)
    counts = _run(db, 31)  # instalment 1 is due (a month after acceptance)
    assert counts == {"late": 0, "applied": 1}
    assert _run(db, 31) == {"late": 0}  # run again: nothing twice
    items = client.get(f"{base}/instalments", headers=buyer).json()["items"]
    assert [i["status"] for i in items[:2]] == ["paid", "upcoming"]
    balanced, accounts = oh.ledger(client, db, net)
    assert balanced and Decimal(accounts["customer_instalments"]) == 0


def test_failed_debits_retry_notify_and_go_to_collections(client, db, settings):
    net, buyer, order, admin, base = _contracted(client, db)
    mandate = _sign(client, buyer, base, settings)
    with db.transaction() as s:
        s.execute(update(Mandate).values(sandbox_refusals=3))
    assert _run(db, 31) == {"late": 0, "retry": 1}  # 1st failure: retry after 1 day
    assert _run(db, 31) == {"late": 0}  # not before the retry is due
    assert _run(db, 32) == {"late": 0, "retry": 1}  # 2nd failure: retry after 3 days
    late = _run(db, 35)
    assert late["late"] == 1 and late.get("collections") == 1  # 3rd failure
    arrears = client.get("/api/v1/admin/finance/arrears", headers=admin).json()
    assert [c["order_id"] for c in arrears] == [order["id"]]
    console = client.get("/oem/credit/applications", headers=admin)
    assert console.status_code == 200 and order["id"] in console.text.split('id="arrears"')[1]
    with db.reading() as s:
        inst = s.scalar(select(Instalment).where(Instalment.n == 1))
        assert inst.status == "late" and inst.late_fee == Decimal("200.00")
        kinds = [n.kind for n in s.scalars(select(Notification).order_by(Notification.id))]
    assert kinds.count("instalment_failed") == 3
    assert "instalment_late" in kinds and "contract_in_collections" in kinds
    # the bank pays at last: the instalment and its late fee, on their own accounts
    assert _run(db, 62).get("applied") == 2  # instalment 1 (late) and 2 (due)
    balanced, accounts = oh.ledger(client, db, net)
    assert balanced and Decimal(accounts["finance_fee_income"]) == Decimal("-200.00")
    assert mandate["sign_url"].startswith("/sandbox/mandates/")


def test_a_mandate_needs_an_accepted_contract_and_its_buyer(client, db):
    net, buyer, order, admin = financed_order(client, db, term=12)
    declare(client, buyer, GOOD)
    apply(client, buyer, order["id"])
    r = client.post(f"/api/v1/orders/{order['id']}/mandate", headers=buyer)
    assert r.status_code == 409 and r.json()["code"] == "contract_not_accepted"


def _paid_and_debited(db):
    with db.reading() as s:
        paid = s.scalar(select(func.count()).where(Instalment.status == "paid"))
        debited = s.scalar(select(func.count()).where(PaymentIntent.payable == "instalment"))
    return paid, debited


def test_two_overlapping_runs_collect_each_instalment_once(client, db, settings):
    net, buyer, order, admin, base = _contracted(client, db)
    _sign(client, buyer, base, settings)
    now = dt.datetime.now(dt.UTC) + dt.timedelta(days=31 * 6)
    with db.reading() as s:
        due = s.scalar(select(func.count()).where(Instalment.due_date <= now.date()))
    assert due >= 5
    start, results, errors = threading.Barrier(2), [], []

    def run():
        start.wait()
        try:  # batches of one, so the two runs interleave batch by batch
            results.append(jobs.collect_due(now, batch=1, db=db))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.get("applied", 0) for r in results) == due
    assert not any(set(r) - {"late", "applied"} for r in results), results
    assert _paid_and_debited(db) == (due, due)  # one debit per instalment, none sent back
    balanced, accounts = oh.ledger(client, db, net)
    assert balanced and Decimal(accounts["customer_instalments"]) == 0


def test_one_refused_answer_spoils_only_itself(client, db, settings, monkeypatch):
    """A batch is applied all together; when one answer fails there, the batch is applied
    again one by one and the others still go through."""
    net, buyer, order, admin, base = _contracted(client, db)
    _sign(client, buyer, base, settings)
    with db.reading() as s:
        third = s.scalar(select(Instalment.id).where(Instalment.n == 3))
    settle = InstalmentPayable.settle

    def refusing(self, session, payable_id, purpose, *, now):
        if payable_id == third:
            raise Conflict("instalment_not_due", "refused for the test")
        return settle(self, session, payable_id, purpose, now=now)

    monkeypatch.setattr(InstalmentPayable, "settle", refusing)
    counts = _run(db, 31 * 4)
    assert counts.get("applied") == 3 and counts.get("instalment_not_due") == 1, counts
    with db.reading() as s:
        left = s.scalar(select(Instalment).where(Instalment.id == third))
        assert left.status in ("scheduled", "late")
    balanced, _ = oh.ledger(client, db, net)
    assert balanced
