"""A queue that is down loses no job and fails no request: the job waits in the outbox and
the relay sends it once the queue answers."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import select

from motormall.payments.models import Refund
from motormall.platform import jobs, outbox
from motormall.platform.db import use_database
from tests.orders import helpers as h
from tests.platform.test_jobs import sent


@pytest.fixture
def queue_down(monkeypatch):
    """huey's enqueue refuses as a stopped Redis does, until the test calls the returned
    function."""

    def refuse(task):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(jobs.huey, "enqueue", refuse)
    return lambda: monkeypatch.undo()


def test_a_job_the_queue_refused_waits_and_is_sent_once_it_is_back(db, queue_down):
    sent.clear()
    with db.transaction() as s:
        jobs.after_commit(s, "tests.remember", "first")
        jobs.after_commit(s, "tests.remember", "later", delay=3600)
    assert sent == [] and outbox.waiting(db.engine) == 2
    assert outbox.relay(db.engine, jobs.send) == 0  # still down: nothing sent, nothing lost
    assert outbox.waiting(db.engine) == 2

    queue_down()  # Redis is back
    scheduled = []
    real_send = jobs.send

    def send(name, args, delay):
        if delay:  # a delayed job keeps what is left of its delay
            scheduled.append((name, args, delay))
        else:
            real_send(name, args, delay)

    assert outbox.relay(db.engine, send) == 2
    assert sent == ["first"]
    assert scheduled[0][:2] == ("tests.remember", ("later",)) and 3500 < scheduled[0][2] <= 3600
    assert outbox.waiting(db.engine) == 0


def test_a_cancel_taken_while_the_queue_is_down_is_answered_and_its_refund_follows(
    client, db, monkeypatch
):
    use_database(db)
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    h.pay(client, db, buyer, order["id"], "deposit", "5000.00")

    def refuse(task):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(jobs.huey, "enqueue", refuse)  # Redis stops
    r = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer)
    assert r.status_code == 200, r.text  # the cancel is committed: no 500 for a queue outage
    with db.reading() as s:
        [refund] = s.scalars(select(Refund)).all()
        assert (refund.status, refund.attempts) == ("pending", 0)
    assert outbox.waiting(db.engine) == 1

    monkeypatch.undo()  # Redis is back
    assert jobs.relay_outbox() == 1
    with db.reading() as s:
        assert s.get(Refund, refund.id).status != "pending"
    assert outbox.waiting(db.engine) == 0
