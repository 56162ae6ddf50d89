"""Signed webhooks to a dealer's own system, from an outbox.

A delivery row is written in the same transaction as the change it reports, so nothing is
announced that did not happen and nothing that happened is forgotten. Sending happens after
commit and again on a schedule: exponential back-off, dead after MAX_ATTEMPTS, replayable
from the dealer portal. A hanging or failing endpoint never blocks or loses a lead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.leads.models import DealerEndpoint, WebhookDelivery
from motormall.platform import jobs

MAX_ATTEMPTS = 8
BASE_DELAY_S = 30
TIMEOUT_S = 5.0
SIGNATURE_HEADER = "X-Motormall-Signature"


def sign(secret: str, body: bytes, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def set_endpoint(session: Session, dealer_id: int, url: str, *, now: dt.datetime) -> DealerEndpoint:
    endpoint = session.get(DealerEndpoint, dealer_id)
    if endpoint is None:
        endpoint = DealerEndpoint(dealer_id=dealer_id, url=url, secret=secrets.token_hex(24))
        session.add(endpoint)
    endpoint.url, endpoint.updated_at = url, now
    return endpoint


def enqueue(session: Session, dealer_id: int, event: str, payload: dict) -> None:
    """Queue `event` for the dealer's endpoint, if it has one."""
    if session.get(DealerEndpoint, dealer_id) is None:
        return
    delivery = WebhookDelivery(dealer_id=dealer_id, event=event, payload=payload)
    session.add(delivery)
    session.flush()
    jobs.after_commit(session, "leads.send_webhook", delivery.id)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=BASE_DELAY_S * 2 ** max(0, attempts - 1))


@dataclass(frozen=True)
class Outgoing:
    delivery_id: str
    url: str
    body: bytes
    headers: dict


def prepare(session: Session, delivery_id: str) -> Outgoing | None:
    """The signed request for a pending delivery (read-only: sending happens outside any
    transaction, so a slow endpoint never holds a database lock)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != "pending":
        return None
    endpoint = session.get(DealerEndpoint, delivery.dealer_id)
    if endpoint is None:
        return None
    body = json.dumps(
        {"id": delivery.id, "event": delivery.event, "data": delivery.payload}, sort_keys=True
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "motormall-webhooks",
        SIGNATURE_HEADER: sign(endpoint.secret, body, int(time.time())),
        "X-Motormall-Delivery": delivery.id,
    }
    return Outgoing(delivery.id, endpoint.url, body, headers)


def send(out: Outgoing, client: httpx.Client | None = None) -> str | None:
    """POST it; None on a 2xx, else what went wrong."""
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT_S)
    try:
        response = client.post(out.url, content=out.body, headers=out.headers)
        return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    finally:
        if own:
            client.close()


def record(session: Session, delivery_id: str, error: str | None, *, now: dt.datetime) -> str:
    """Note one attempt's result: delivered, or retry later with back-off, or dead."""
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.status != "pending":
        return delivery.status if delivery else "missing"
    delivery.attempts += 1
    if error is None:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", now, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.last_error = "dead", error
    else:
        delivery.next_attempt_at, delivery.last_error = now + backoff(delivery.attempts), error
    return delivery.status


def due(session: Session, *, now: dt.datetime, limit: int = 100) -> list[str]:
    return list(
        session.scalars(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        )
    )


def replay(session: Session, delivery: WebhookDelivery, *, now: dt.datetime) -> None:
    """Send a dead (or delivered) webhook again, from a fresh count of attempts."""
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, now
    jobs.after_commit(session, "leads.send_webhook", delivery.id)
