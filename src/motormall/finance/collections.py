"""Collecting instalments through the buyer's mandate, and what happens when money does not
come: retries on a schedule, a late fee, messages through the outbox, and after too many
failures the contract goes to collections. Flush, never commit; provider calls live in
finance/jobs.py, outside these transactions.

Lock order: instalments in primary-key order (SKIP LOCKED, so two workers split a month-end
run), then through payments the intent, then the instalment again (already ours)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.finance import contracts, policy
from motormall.finance.events import InstalmentLate
from motormall.finance.models import FinanceContract, Instalment, Mandate
from motormall.notifications.service import notify
from motormall.payments import service as payments
from motormall.payments.models import Purpose
from motormall.payments.providers import sandbox
from motormall.platform import audit, events
from motormall.platform.auth import Principal, Role
from motormall.platform.config import Settings
from motormall.platform.errors import BadRequest, Conflict, Forbidden

MANDATE_HEADER = "sandbox-signature"


# --- mandates -----------------------------------------------------------------------------


def start_mandate(session: Session, who: Principal, order_id: str, *, now) -> Mandate:
    """The buyer asks to sign a recurring-debit mandate for the order's contract."""
    order, contract = contracts.contract_for(session, who, order_id, lock=True)
    if who.user_id != order.customer_id:
        raise Forbidden("role_not_allowed", "Only the buyer signs the debit mandate.")
    if contract.status != "accepted":
        raise Conflict("contract_not_accepted", "Accept the contract before the mandate.")
    mandate = session.scalar(select(Mandate).where(Mandate.contract_id == contract.id))
    if mandate is None:
        mandate = Mandate(
            contract_id=contract.id,
            customer_id=order.customer_id,
            provider="sandbox",
            status="pending",
            created_at=now,
        )
        session.add(mandate)
        session.flush()
    return mandate


def signed_mandate_notice(settings: Settings, mandate_id: str) -> tuple[dict, bytes]:
    """What the sandbox sends when the buyer signs: the same HMAC scheme as its payments."""
    body = json.dumps({"mandate_id": mandate_id, "status": "active"}, sort_keys=True).encode()
    return {MANDATE_HEADER: sandbox.sign(settings, body)}, body


def _verify(settings: Settings, header: str, body: bytes) -> dict:
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        at = int(parts["t"])
    except (KeyError, ValueError):
        raise BadRequest("bad_signature", "The mandate notification is not signed.") from None
    mac = hmac.new(sandbox.secret(settings), f"{at}.".encode() + body, hashlib.sha256)
    fresh = abs(time.time() - at) <= sandbox.TOLERANCE_S
    if not fresh or not hmac.compare_digest(mac.hexdigest(), parts.get("v1", "")):
        raise BadRequest("bad_signature", "The mandate notification is not authentic.")
    try:
        return json.loads(body)
    except ValueError:
        raise BadRequest("bad_signature", "The mandate notification is not JSON.") from None


def mandate_notified(session: Session, headers, body: bytes, *, settings, now) -> Mandate:
    """The provider says the buyer signed. A replay finds the mandate active: no change."""
    data = _verify(settings, headers.get(MANDATE_HEADER, ""), body)
    mandate = session.get(Mandate, str(data.get("mandate_id")), with_for_update=True)
    if mandate is None:
        raise BadRequest("unknown_mandate", "No such mandate.")
    if mandate.status != "active" and data.get("status") == "active":
        mandate.status, mandate.signed_at = "active", now
        audit.record(
            session,
            actor_id=mandate.customer_id,
            action="finance.mandate.signed",
            entity_type="finance_mandate",
            entity_id=mandate.id,
        )
    return mandate


# --- the collection run -------------------------------------------------------------------


def due_for_collection(session: Session, *, now: dt.datetime, limit: int) -> list[Instalment]:
    """Open instalments due by today whose contract has an active mandate and which are not
    waiting for a retry, locked in primary-key order (others' locks skipped)."""
    stmt = (
        select(Instalment)
        .join(Mandate, Mandate.contract_id == Instalment.contract_id)
        .where(
            Instalment.status.in_(contracts.OPEN),
            Instalment.due_date <= now.date(),
            Mandate.status == "active",
            (Instalment.next_attempt_at.is_(None)) | (Instalment.next_attempt_at <= now),
        )
        .order_by(Instalment.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Instalment)
    )
    return list(session.scalars(stmt))


def start_collection(
    session: Session, inst: Instalment, *, settings: Settings, now: dt.datetime
) -> str:
    """A payment intent for the instalment, on the buyer's behalf (the mandate allows it);
    the job then debits it at the provider. Until the answer, no retry is due for a day."""
    who = Principal(user_id=inst.customer_id, role=Role.customer, email="")
    intent = payments.create_intent(
        session,
        who,
        payable="instalment",
        payable_id=inst.id,
        amount=contracts.amount_of(inst),
        purpose=Purpose.instalment,
        settings=settings,
        now=now,
    )
    inst.next_attempt_at = now + dt.timedelta(days=1)
    return intent.id


def collection_failed(
    session: Session, instalment_id: str, *, now: dt.datetime, reason: str = "declined"
) -> str:
    """The debit was refused: try again later, tell the buyer, and after the policy's
    number of failures flag the contract for collections. Returns what happened."""
    inst = session.get(Instalment, instalment_id, with_for_update=True)
    if inst is None or inst.status not in contracts.OPEN:
        return "settled"
    _, values = policy.current(session)
    inst.failed_attempts += 1
    delays = values["retry_after_days"]
    delay = delays[min(inst.failed_attempts, len(delays)) - 1]
    inst.next_attempt_at = now + dt.timedelta(days=delay)
    link = f"/orders/{inst.order_id}"
    amount = f"{contracts.amount_of(inst):.2f}"
    notify(session, inst.customer_id, "instalment_failed", link=link, n=inst.n, amount=amount)
    if inst.failed_attempts < values["max_failed_collections"]:
        return "retry"
    contract = session.get(FinanceContract, inst.contract_id, with_for_update=True)
    if not contract.collections:
        contract.collections = True
        audit.record(
            session,
            actor_id=None,
            action="finance.contract.collections",
            entity_type="finance_contract",
            entity_id=contract.id,
            detail={"order_id": inst.order_id, "instalment": inst.n, "reason": reason},
        )
        notify(session, inst.customer_id, "contract_in_collections", link=link, n=inst.n)
    return "collections"


def mark_late(session: Session, *, now: dt.datetime, limit: int = 1000) -> int:
    """Instalments overdue by the policy's days become late, once, with the late fee."""
    _, values = policy.current(session)
    cutoff = now.date() - dt.timedelta(days=values["late_after_days"])
    fee = Decimal(values["late_fee"])
    rows = list(
        session.scalars(
            select(Instalment)
            .where(Instalment.status == "scheduled", Instalment.due_date < cutoff)
            .order_by(Instalment.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for inst in rows:
        inst.status, inst.late_fee = "late", fee
        events.publish(
            session,
            InstalmentLate(
                entity_id=inst.id,
                customer_id=inst.customer_id,
                at=now,
                order_id=inst.order_id,
                n=inst.n,
                late_fee=f"{fee:.2f}",
            ),
        )
        notify(
            session,
            inst.customer_id,
            "instalment_late",
            link=f"/orders/{inst.order_id}",
            n=inst.n,
            fee=f"{fee:.2f}",
        )
    return len(rows)


def arrears(session: Session) -> list[FinanceContract]:
    """Contracts flagged for collections, for the OEM console."""
    return list(
        session.scalars(
            select(FinanceContract)
            .where(FinanceContract.collections.is_(True))
            .order_by(FinanceContract.created_at)
        )
    )
