"""The carmaker reviews payments flagged for a person (the provider reported another amount
than was asked): accept them as paid, or send the money back. Each decision needs a note and
is audited under the admin's name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.payments import ledger, service
from motormall.payments.ledger import credit, debit
from motormall.payments.models import IntentStatus, PaymentIntent, Purpose
from motormall.platform import audit
from motormall.platform.audit import AuditEntry
from motormall.platform.errors import Conflict, Invalid, NotFound


def flagged(session: Session, *, limit: int = 50) -> list[PaymentIntent]:
    """The review queue, oldest first (the longest waiting is looked at first)."""
    return list(
        session.scalars(
            select(PaymentIntent)
            .where(PaymentIntent.status == IntentStatus.flagged.value)
            .order_by(PaymentIntent.created_at, PaymentIntent.id)
            .limit(limit)
        )
    )


def reported(session: Session, intent: PaymentIntent) -> tuple[Decimal, str | None]:
    """What the provider said it took, and its reference (from the flagging audit entry;
    entries written before the amount was kept fall back to the amount asked)."""
    entry = session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.action == "payment.flagged",
            AuditEntry.entity_type == "payment_intent",
            AuditEntry.entity_id == intent.id,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    detail = entry.detail if entry is not None else {}
    amount = Decimal(detail["amount"]) if "amount" in detail else intent.amount
    return amount, detail.get("provider_ref")


def _locked_flagged(session: Session, intent_id: str, note: str) -> PaymentIntent:
    if not note.strip():
        raise Invalid("note_required", "Write a note saying why (it goes into the audit log).")
    intent = session.get(PaymentIntent, intent_id, with_for_update=True)
    if intent is None:
        raise NotFound("payment_not_found", "No such payment.")
    if intent.status != IntentStatus.flagged:
        raise Conflict("payment_not_flagged", "This payment was already reviewed.")
    return intent


def accept(
    session: Session, intent_id: str, *, note: str, actor_id: str, settings, now: dt.datetime
) -> str:
    """The amount asked did arrive (checked with the provider): treat it as paid."""
    intent = _locked_flagged(session, intent_id, note)
    _, provider_ref = reported(session, intent)
    audit.record(
        session,
        actor_id=actor_id,
        action="payment.flag_accepted",
        entity_type="payment_intent",
        entity_id=intent.id,
        detail={"note": note.strip()[:500], "flag": intent.flag},
    )
    return service.confirm(session, intent, provider_ref=provider_ref, settings=settings, now=now)


def refund(session: Session, intent_id: str, *, note: str, actor_id: str, now: dt.datetime):
    """Send back what the provider took; the payment pays for nothing. The money is booked as
    received first, so the refund's posting (when the provider confirms) balances it."""
    intent = _locked_flagged(session, intent_id, note)
    amount, provider_ref = reported(session, intent)
    intent.provider_ref = provider_ref  # the provider refunds by its own reference
    purpose = Purpose(intent.purpose)
    ledger.post(
        session,
        "flagged_received",
        [
            debit(service.clearing(intent.provider), amount),
            credit(service.LIABILITY[purpose], amount),
        ],
        currency=intent.currency,
        order_id=intent.order_id,
        intent_id=intent.id,
    )
    intent.status = IntentStatus.failed.value
    audit.record(
        session,
        actor_id=actor_id,
        action="payment.flag_refunded",
        entity_type="payment_intent",
        entity_id=intent.id,
        detail={"note": note.strip()[:500], "amount": f"{amount:.2f}", "flag": intent.flag},
    )
    return service.request_refund(session, intent, amount, reason="flagged_payment", now=now)
