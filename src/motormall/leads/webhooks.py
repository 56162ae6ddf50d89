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
import ssl
import time
from dataclasses import dataclass

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from motormall.leads import targets
from motormall.leads.models import DealerEndpoint, WebhookDelivery
from motormall.platform import jobs
from motormall.platform.config import get_settings

MAX_ATTEMPTS = 8
BASE_DELAY_S = 30
TIMEOUT_S = 5.0
SIGNATURE_HEADER = "X-Motormall-Signature"
# A claimed delivery is not due again for this long: the sender owns it meanwhile, and if the
# sender dies mid-way the sweep takes it up once the lease runs out.
CLAIM_LEASE = dt.timedelta(seconds=120)


def sign(secret: str, body: bytes, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def set_endpoint(session: Session, dealer_id: int, url: str, *, now: dt.datetime) -> DealerEndpoint:
    """Point the dealer's webhooks at `url`: a public address unless the operator allows
    private ones (422 webhook_target_forbidden)."""
    targets.check(url, allow_private=get_settings().webhook_allow_private)
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


def claim(session: Session, delivery_id: str, *, now: dt.datetime) -> Outgoing | None:
    """Take a due delivery for sending, or None when it is not due or someone else (the
    after-commit send or the sweep) holds it: a conditional UPDATE, so one delivery is sent
    once however many senders race. Commit before sending."""
    taken = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    return prepare(session, delivery_id) if taken == 1 else None


def prepare(session: Session, delivery_id: str) -> Outgoing | None:
    """The signed request for a pending delivery (sending happens outside any transaction,
    so a slow endpoint never holds a database lock)."""
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
    """POST it to the checked address; None on a 2xx, else a category of what went wrong
    (never the raw error, which would tell a prober open ports from closed ones)."""
    try:
        pinned = targets.pin(
            out.url, out.headers, allow_private=get_settings().webhook_allow_private
        )
    except targets.TargetForbidden as exc:
        return exc.category
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)
    try:
        response = client.post(
            pinned.url, content=out.body, headers=pinned.headers, extensions=pinned.extensions
        )
        return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    except httpx.TimeoutException:
        return "timeout"
    except httpx.HTTPError as exc:
        return _category(exc)
    finally:
        if own:
            client.close()


def _category(exc: BaseException) -> str:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return "tls_error"
        if isinstance(seen, ConnectionRefusedError):
            return "connection_refused"
        seen = seen.__cause__ or seen.__context__
    text = str(exc).lower()
    if "ssl" in text or "certificate" in text:
        return "tls_error"
    if "refused" in text:
        return "connection_refused"
    return "connection_failed"


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
