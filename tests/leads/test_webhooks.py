"""Signed webhooks to a dealer's own system: delivery, retries, dead letters, replay."""

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select, update

from motormall.leads.models import Lead, WebhookDelivery
from tests import factories as f
from tests.leads.test_leads_api import inquire


class Receiver:
    """A dealer's system on loopback: answers with `status` (or hangs) and keeps what came."""

    def __init__(self):
        self.status, self.hang, self.received = 200, False, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                if receiver.hang:
                    threading.Event().wait(7)  # longer than the sender's timeout
                self.send_response(receiver.status)
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
    """The receiver listens on loopback: the operator's setting lets webhooks go there."""
    return settings.model_copy(update={"webhook_allow_private": True})


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def wired(client, net_and_buyer, receiver):
    net, buyer = net_and_buyer
    manager = f.token(client, net["users"]["manager"])
    r = client.put("/api/v1/dealer/webhook", json={"url": receiver.url}, headers=manager)
    assert r.status_code == 200
    return net, buyer, manager, r.json()["secret"]


@pytest.fixture
def net_and_buyer(client, db):
    net = f.network(db)
    return net, f.token(client, net["users"]["customer"])


def _deliveries(db):
    with db.reading() as s:
        return list(s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def test_a_new_lead_is_pushed_signed_to_the_dealers_system(client, db, wired, receiver):
    net, buyer, manager, secret = wired
    lead = inquire(client, buyer, net).json()
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    stamp, mac = (p.split("=", 1)[1] for p in headers["X-Motormall-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)
    payload = json.loads(body)
    assert payload["event"] == "lead.assigned" and payload["data"]["lead_id"] == lead["id"]
    assert [d.status for d in _deliveries(db)] == ["delivered"]


def test_a_failing_endpoint_keeps_the_lead_and_retries_with_back_off(client, db, wired, receiver):
    from motormall.leads.jobs import send_due_webhooks
    from motormall.leads.webhooks import MAX_ATTEMPTS

    net, buyer, manager, secret = wired
    receiver.status = 500
    r = inquire(client, buyer, net)
    assert r.status_code == 201  # the lead is saved whatever the dealer's system does
    (delivery,) = _deliveries(db)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error == "HTTP 500"
    first_wait = delivery.next_attempt_at
    assert send_due_webhooks() == {}  # not due yet
    for _ in range(MAX_ATTEMPTS - 1):
        with db.transaction() as s:
            s.execute(update(WebhookDelivery).values(next_attempt_at=dt.datetime.now(dt.UTC)))
        send_due_webhooks()
    (delivery,) = _deliveries(db)
    assert delivery.status == "dead" and delivery.attempts == MAX_ATTEMPTS
    assert first_wait - delivery.created_at >= dt.timedelta(seconds=29)
    listed = client.get("/api/v1/dealer/webhooks?status=dead", headers=manager).json()
    assert [d["id"] for d in listed["items"]] == [delivery.id]

    # the dealer fixes its system and replays the dead letter from the portal
    receiver.status = 204
    r = client.post(f"/api/v1/dealer/webhooks/{delivery.id}/replay", headers=manager)
    assert r.status_code == 202
    assert [d.status for d in _deliveries(db)] == ["delivered"]
    other = f.token(client, net["users"]["other_manager"])
    assert (
        client.post(f"/api/v1/dealer/webhooks/{delivery.id}/replay", headers=other).status_code
        == 404
    )


def test_a_hanging_endpoint_times_out_and_the_lead_is_kept(client, db, wired, receiver):
    net, buyer, manager, secret = wired
    receiver.hang = True
    r = inquire(client, buyer, net)
    assert r.status_code == 201
    (delivery,) = _deliveries(db)
    assert delivery.status == "pending" and delivery.last_error == "timeout"
    with db.reading() as s:
        assert s.get(Lead, r.json()["id"]) is not None


def test_a_reroute_tells_both_dealers(client, db, wired, receiver):
    from motormall.leads.jobs import reroute_overdue_leads

    net, buyer, manager, secret = wired
    inquire(client, buyer, net)
    with db.transaction() as s:
        s.execute(update(Lead).values(sla_due_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    reroute_overdue_leads()
    events = [json.loads(body)["event"] for _, body in receiver.received]
    assert events == ["lead.assigned", "lead.withdrawn"]  # SH-2 has no endpoint configured
