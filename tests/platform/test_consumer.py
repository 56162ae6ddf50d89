"""The project's own tasks on a real huey consumer (threads over a SQLite queue file, not
immediate mode): after-commit sends, delayed deliveries, retries after a failure."""

from __future__ import annotations

import re
import time

import pytest
from huey.storage import SqliteStorage
from sqlalchemy.exc import OperationalError

from motormall.payments import service as payments
from motormall.payments.jobs import deliver_sandbox_notification
from motormall.payments.providers import sandbox
from motormall.platform import jobs
from tests.orders import helpers as h


def _until(check, what: str, timeout: float = 30.0) -> None:
    """Wait for the consumer to get something done (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"the consumer never did this: {what}"
        time.sleep(0.05)


@pytest.fixture
def consumer(tmp_path):
    """jobs.huey on a real SQLite queue file, consumed by two threads, for one test."""
    queue = jobs.huey
    queue._immediate = False  # noqa: SLF001 - the setter would open ./var/jobs.db
    queue.storage = SqliteStorage(queue.name, filename=str(tmp_path / "jobs.db"))
    worker = jobs.EmbeddedConsumer(
        queue, workers=2, worker_type="thread", periodic=False, scheduler_interval=1
    )
    worker.start()
    try:
        yield queue
    finally:
        worker.stop(graceful=True)
        queue.storage = queue.get_immediate_storage()
        queue._immediate = True  # noqa: SLF001


def _status(client, buyer, order_id):
    return client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"]


def _deposit_intent(client, db):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    intent = h.start_payment(client, buyer, order["id"], "deposit", "5000.00")
    return net, buyer, order, intent


def test_the_pay_page_notification_is_queued_and_run_by_the_consumer(client, db, consumer):
    net, buyer, order, intent = _deposit_intent(client, db)
    page = client.get(intent["pay_url"])
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    r = client.post(
        intent["pay_url"], data={"decision": "pay", "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    _until(lambda: _status(client, buyer, order["id"]) == "deposit_paid", "apply the deposit")
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["customer_deposits"] == "-5000.00"


def test_a_delayed_delivery_waits_in_the_schedule_then_runs(client, db, consumer):
    net, buyer, order, intent = _deposit_intent(client, db)
    with db.transaction() as s:
        payment = sandbox.take_payment(
            s, intent_id=intent["id"], amount=h.Decimal("5000.00"), currency="CNY"
        )
        ref = payment.ref
    deliver_sandbox_notification.schedule(args=(ref, f"ntf-{ref}"), delay=2)
    assert _status(client, buyer, order["id"]) == "reserved"  # not before its time
    _until(lambda: _status(client, buyer, order["id"]) == "deposit_paid", "the late delivery")
    assert consumer.pending_count() == consumer.scheduled_count() == 0


def test_a_failed_delivery_is_retried_and_applied_once(
    client, db, consumer, monkeypatch, job_errors
):
    """The first attempt hits a database fault; huey retries it (after its delay, through the
    schedule) and the second attempt applies the deposit, once."""
    net, buyer, order, intent = _deposit_intent(client, db)
    real, calls = payments.handle_notification, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(payments, "handle_notification", flaky)
    monkeypatch.setattr(deliver_sandbox_notification.task_class, "default_retry_delay", 1)
    with db.transaction() as s:
        ref = sandbox.take_payment(
            s, intent_id=intent["id"], amount=h.Decimal("5000.00"), currency="CNY"
        ).ref
    deliver_sandbox_notification(ref, f"ntf-{ref}")
    _until(lambda: _status(client, buyer, order["id"]) == "deposit_paid", "the retried delivery")
    assert len(calls) == 2
    ((name, exc),) = job_errors.take()  # the first attempt's fault, and only it
    assert name.endswith("deliver_sandbox_notification") and isinstance(exc, OperationalError)
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["customer_deposits"] == "-5000.00"


def test_retries_in_immediate_mode_run_inline(client, db, monkeypatch, job_errors):
    """Without a consumer (the tests' default), a retry with no delay runs straight away."""
    net, buyer, order, intent = _deposit_intent(client, db)
    real, calls = payments.handle_notification, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("SELECT 1", {}, Exception("deadlock detected"))
        return real(*args, **kwargs)

    monkeypatch.setattr(payments, "handle_notification", flaky)
    monkeypatch.setattr(deliver_sandbox_notification.task_class, "default_retry_delay", 0)
    with db.transaction() as s:
        ref = sandbox.take_payment(
            s, intent_id=intent["id"], amount=h.Decimal("5000.00"), currency="CNY"
        ).ref
    deliver_sandbox_notification(ref, f"ntf-{ref}")
    assert len(calls) == 3 and len(job_errors.take()) == 2
    assert _status(client, buyer, order["id"]) == "deposit_paid"
