"""One delivery is sent once, and every retry waits twice as long as the one before."""

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select, update

from motormall.leads import webhooks
from motormall.leads.jobs import send_due_webhooks
from motormall.leads.models import WebhookDelivery
from tests import factories as f
from tests.leads.test_leads_api import inquire


class Endpoint:
    """A dealer's system on loopback that calls `during` while it holds the first request."""

    def __init__(self, status=200, during=None):
        self.status, self.during, self.received = status, during, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(self.headers["X-Motormall-Delivery"])
                if outer.during is not None and len(outer.received) == 1:
                    outer.during_result = outer.during()
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"webhook_allow_private": True})


def _wire(client, db, endpoint):
    net = f.network(db)
    manager = f.token(client, net["users"]["manager"])
    r = client.put("/api/v1/dealer/webhook", json={"url": endpoint.url}, headers=manager)
    assert r.status_code == 200
    return net, f.token(client, net["users"]["customer"])


def test_the_sweep_does_not_send_a_delivery_the_after_commit_send_holds(client, db):
    """The sweep runs while the first send is still waiting for the dealer's answer: it must
    find nothing due, not post the same delivery a second time."""
    endpoint = Endpoint(during=send_due_webhooks)
    try:
        net, buyer = _wire(client, db, endpoint)
        assert inquire(client, buyer, net).status_code == 201
        assert endpoint.during_result == {}  # the sweep saw the delivery as taken
        assert len(endpoint.received) == 1
        with db.reading() as s:
            (delivery,) = s.scalars(select(WebhookDelivery))
        assert delivery.status == "delivered" and delivery.attempts == 1
    finally:
        endpoint.close()


def test_a_claim_is_taken_once(db):
    """The conditional UPDATE: of two claims on one due delivery only the first wins."""
    net = f.network(db)
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        webhooks.set_endpoint(s, net["dealers"]["SH-1"], "http://93.184.216.34/", now=now)
    with db.transaction() as s:
        s.add(WebhookDelivery(id="d1", dealer_id=net["dealers"]["SH-1"], event="e", payload={}))
    with db.transaction() as s:
        assert webhooks.claim(s, "d1", now=now + dt.timedelta(seconds=1)) is not None
    with db.transaction() as s:
        assert webhooks.claim(s, "d1", now=now + dt.timedelta(seconds=2)) is None
    # a sender that died mid-way: once the lease runs out, the sweep may take it up again
    later = now + webhooks.CLAIM_LEASE + dt.timedelta(seconds=2)
    with db.transaction() as s:
        assert webhooks.claim(s, "d1", now=later) is not None


def test_every_retry_waits_twice_as_long_as_the_last(client, db):
    endpoint = Endpoint(status=503)
    try:
        net, buyer = _wire(client, db, endpoint)
        before = dt.datetime.now(dt.UTC)
        inquire(client, buyer, net)
        after = dt.datetime.now(dt.UTC)
        waits = []
        for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
            with db.reading() as s:
                (delivery,) = s.scalars(select(WebhookDelivery))
            assert delivery.attempts == attempt and delivery.last_error == "HTTP 503"
            if attempt == webhooks.MAX_ATTEMPTS:
                assert delivery.status == "dead"
                break
            # the wait was counted from the attempt, which happened between before and after
            wait = webhooks.backoff(attempt)
            assert before + wait <= delivery.next_attempt_at <= after + wait
            waits.append(wait.total_seconds())
            with db.transaction() as s:
                s.execute(update(WebhookDelivery).values(next_attempt_at=dt.datetime.now(dt.UTC)))
            before = dt.datetime.now(dt.UTC)
            assert send_due_webhooks() in ({"pending": 1}, {"dead": 1})
            after = dt.datetime.now(dt.UTC)
        assert waits == [30 * 2**n for n in range(webhooks.MAX_ATTEMPTS - 1)]
        assert len(endpoint.received) == webhooks.MAX_ATTEMPTS  # each attempt sent exactly once
    finally:
        endpoint.close()
