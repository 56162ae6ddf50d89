"""The built-in sandbox provider: behaves like a real one, for the demo and the tests.

It keeps its own books (table `sandbox_payments`, standing in for the provider's systems),
shows a pay page, and sends notifications signed with HMAC-SHA256 through the job queue, so
they may come late, twice, or out of order, exactly as a real provider's do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import random
import time
from decimal import Decimal

from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from motormall.payments.providers.base import (
    BadSignature,
    Checkout,
    MandateNotice,
    Notice,
    ProviderError,
)
from motormall.platform.auth import new_id
from motormall.platform.config import Settings
from motormall.platform.db import Base, UTCDateTime, utcnow
from motormall.platform.money import Cents

SIGNATURE_HEADER = "sandbox-signature"
TOLERANCE_S = 3 * 24 * 3600  # late deliveries are still accepted; replays are caught by id


class SandboxPayment(Base):
    """The sandbox's own record of money it took (the provider side, not ours)."""

    __tablename__ = "sandbox_payments"

    ref: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    intent_id: Mapped[str] = mapped_column(String(32), unique=True)
    amount: Mapped[Decimal] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))  # succeeded | failed
    refunded: Mapped[Decimal] = mapped_column(Cents, default=Decimal("0.00"))
    refund_ids: Mapped[list] = mapped_column(JSON, default=list)  # a resent refund is a no-op
    paid_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def secret(settings: Settings) -> bytes:
    if settings.sandbox_secret:
        return settings.sandbox_secret.encode()
    key = settings.effective_secret_key.encode()
    return hmac.new(key, b"sandbox-provider", hashlib.sha256).digest()


def sign(settings: Settings, body: bytes, *, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret(settings), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


class SandboxProvider:
    name = "sandbox"
    books_in_database = True  # its refunds write its own table: it needs a transaction

    def __init__(self, settings: Settings):
        self.settings = settings

    def start(
        self, *, intent_id, amount, currency, subject, return_url, expires_at=None
    ) -> Checkout:
        return Checkout(pay_url=f"/sandbox/pay/{intent_id}")

    def parse_notification(self, headers, body: bytes) -> Notice:
        data = self._verified(headers.get(SIGNATURE_HEADER, ""), body)
        try:
            return Notice(
                notification_id=str(data["notification_id"]),
                intent_id=str(data["intent_id"]),
                provider_ref=str(data["ref"]),
                amount=Decimal(str(data["amount"])),
                currency=str(data["currency"]),
                status=str(data["status"]),
                raw=data,
            )
        except (ValueError, KeyError, TypeError, ArithmeticError, AttributeError):
            raise BadSignature("signed, but not a notification this provider sends") from None

    def acknowledge(self) -> tuple[bytes, str]:
        return b'{"received": true}', "application/json"

    def refund(self, *, intent_id, provider_ref, amount, currency, refund_id, session) -> str:
        payment = session.get(SandboxPayment, provider_ref, with_for_update=True)
        if payment is not None and refund_id in payment.refund_ids:
            return f"rf_{refund_id}"  # like a real provider's out_request_no: once only
        if payment is None or payment.refunded + amount > payment.amount:
            raise ProviderError("the sandbox holds no such payment to refund")
        payment.refunded += amount
        payment.refund_ids = [*payment.refund_ids, refund_id]
        return f"rf_{refund_id}"

    # --- mandates: the sandbox's own sign page, debits taken in its books -------------------

    def mandate_sign_url(self, *, mandate_id, return_url) -> str:
        return f"/sandbox/mandates/{mandate_id}"

    def parse_mandate_notification(self, headers, body: bytes) -> MandateNotice:
        data = self._verified(headers.get(SIGNATURE_HEADER, ""), body)
        try:
            mandate_id, status = str(data["mandate_id"]), str(data["status"])
        except (KeyError, TypeError):
            raise BadSignature("signed, but not a mandate notification") from None
        if status not in ("active", "ended"):
            raise BadSignature("signed, but not a mandate status the sandbox sends")
        return MandateNotice(mandate_id, f"sbx-{mandate_id}", status, data)

    def debit(
        self, *, intent_id, mandate_ref, amount, currency, subject, session, succeed=True
    ) -> Notice:
        """The pretend bank takes the money (or refuses: `succeed`, the sandbox's test knob)."""
        payment = take_payment(
            session, intent_id=intent_id, amount=amount, currency=currency, succeed=succeed
        )
        return _notice(payment, notification_id=f"debit-{intent_id}")

    def end_mandate(self, *, mandate_id, mandate_ref) -> None:
        """The sandbox keeps no agreements of its own (our mandate row is its record): there
        is nothing more to tell it."""

    def _verified(self, header: str, body: bytes) -> dict:
        try:
            parts = dict(p.split("=", 1) for p in header.split(","))
            at, given = int(parts["t"]), parts["v1"]
        except (ValueError, KeyError):
            raise BadSignature("missing or malformed Sandbox-Signature header") from None
        expected = sign(self.settings, body, at=at).split("v1=")[1]
        if not hmac.compare_digest(expected, given):
            raise BadSignature("signature does not match")
        if abs(time.time() - at) > TOLERANCE_S:
            raise BadSignature("signature is too old")
        try:
            return json.loads(body)
        except ValueError:
            raise BadSignature("signed, but not JSON") from None

    def query(self, *, intent_id, session) -> Notice | None:
        payment = session.scalar(
            select(SandboxPayment).where(SandboxPayment.intent_id == intent_id)
        )
        if payment is None:
            return None
        return _notice(payment, notification_id=f"query-{payment.ref}")


def _notice(payment: SandboxPayment, *, notification_id: str) -> Notice:
    data = _payload(payment, notification_id)
    return Notice(
        notification_id=notification_id,
        intent_id=payment.intent_id,
        provider_ref=payment.ref,
        amount=payment.amount,
        currency=payment.currency,
        status=payment.status,
        raw=data,
    )


def _payload(payment: SandboxPayment, notification_id: str) -> dict:
    return {
        "notification_id": notification_id,
        "intent_id": payment.intent_id,
        "ref": payment.ref,
        "amount": f"{payment.amount:.2f}",
        "currency": payment.currency,
        "status": payment.status,
        "sent_at": utcnow().isoformat(),
    }


def take_payment(
    session: Session, *, intent_id: str, amount: Decimal, currency: str, succeed: bool = True
) -> SandboxPayment:
    """The buyer pressed Pay (or Decline) on the sandbox page."""
    payment = SandboxPayment(
        ref=new_id(),
        intent_id=intent_id,
        amount=amount,
        currency=currency,
        status="succeeded" if succeed else "failed",
        refunded=Decimal("0.00"),
        refund_ids=[],
        paid_at=utcnow(),
    )
    session.add(payment)  # every column given: no flush needed (the collection run)
    return payment


def signed_notification(
    settings: Settings, payment: SandboxPayment, notification_id: str | None = None
) -> tuple[dict[str, str], bytes]:
    """The headers and body of the notification the sandbox sends for `payment`."""
    body = json.dumps(
        _payload(payment, notification_id or f"ntf-{payment.ref}"), sort_keys=True
    ).encode()
    return {SIGNATURE_HEADER: sign(settings, body), "content-type": "application/json"}, body


def signed_mandate_notice(
    settings: Settings, mandate_id: str, status: str = "active"
) -> tuple[dict[str, str], bytes]:
    """What the sandbox sends when the buyer signs (or ends) a mandate."""
    body = json.dumps({"mandate_id": mandate_id, "status": status}, sort_keys=True).encode()
    return {SIGNATURE_HEADER: sign(settings, body)}, body


def delivery_plan(settings: Settings, rng: random.Random | None = None) -> list[float]:
    """Delays (seconds) at which the sandbox sends one notification: usually once, soon;
    with chaos on, sometimes late and sometimes twice."""
    if not settings.sandbox_chaos:
        return [0.0]
    rng = rng or random.Random()
    plan = [rng.choice([0.0, 0.5, 2.0, 10.0])]
    if rng.random() < 0.3:
        plan.append(plan[0] + rng.choice([1.0, 5.0, 30.0]))
    return plan
