"""Collecting instalments through the buyer's mandate, and what happens when money does not
come: retries on a schedule, a late fee, messages through the outbox, and after too many
failures the contract goes to collections. Flush, never commit; provider calls live in
finance/jobs.py, outside these transactions.

Lock order (docs/architecture.md, "Lock order"): intent, contract, instalments by id, mandate.
Starting a batch locks its instalments only (SKIP LOCKED, so two workers split a month-end
run); applying the answers locks the batch's intents, contracts, instalments and mandates in
that order, each in key order, as payoff (intent, contract, instalments) and cancel (contract,
instalments, mandate) do."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.finance import contracts, mandates, policy
from motormall.finance.events import InstalmentLate
from motormall.finance.models import FinanceContract, Instalment, Mandate
from motormall.notifications.service import notify
from motormall.orders.models import Order
from motormall.payments import ledger, providers
from motormall.payments import service as payments
from motormall.payments.models import Purpose
from motormall.payments.providers import BadSignature, sandbox
from motormall.platform import audit, events, locks
from motormall.platform.auth import Principal, Role
from motormall.platform.config import Settings
from motormall.platform.errors import BadRequest, Conflict, Forbidden


@dataclass(frozen=True)
class Debit:
    """One instalment to take through its mandate, as the job needs it outside the
    transaction: no row of ours stays locked while the provider is asked."""

    intent_id: str
    instalment_id: str
    contract_id: str
    order_id: str
    mandate_id: str
    provider: str
    mandate_ref: str
    amount: Decimal
    currency: str
    subject: str


# --- mandates -----------------------------------------------------------------------------


def start_mandate(
    session: Session, who: Principal, order_id: str, *, settings: Settings, now
) -> Mandate:
    """The buyer asks to sign a recurring-debit mandate for the order's contract, at the
    configured provider (Alipay's agreement sign-up, or the sandbox's page)."""
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
            provider=providers.get(settings.payment_provider, settings).name,
            status="pending",
            created_at=now,
        )
        session.add(mandate)
        session.flush()
    return mandate


def sign_url(mandate: Mandate, order_id: str, *, settings: Settings) -> str:
    """Where the buyer signs the mandate at its provider (a signed Alipay page request)."""
    provider = providers.get(mandate.provider, settings)
    back = f"{settings.public_url.rstrip('/')}/orders/{order_id}"
    return provider.mandate_sign_url(mandate_id=mandate.id, return_url=back)


def signed_mandate_notice(settings: Settings, mandate_id: str, status: str = "active"):
    """What the sandbox sends when the buyer signs (tests and the sandbox page)."""
    return sandbox.signed_mandate_notice(settings, mandate_id, status)


def mandate_notified(
    session: Session, provider_name: str, headers, body: bytes, *, settings, now
) -> Mandate:
    """The provider says the buyer signed (or ended) a mandate. A mandate only moves
    pending → active → ended: a replay, or an old sign-up notice after the end, changes
    nothing; a sign-up naming another agreement than the one we hold is ignored."""
    provider = providers.get(provider_name, settings)
    try:
        notice = provider.parse_mandate_notification(headers, body)
    except BadSignature as exc:
        detail = f"The mandate notification is not authentic: {exc}."
        raise BadRequest("bad_signature", detail) from None
    mandate = session.get(Mandate, notice.mandate_id, with_for_update=True)
    if mandate is None or mandate.provider != provider.name:
        raise BadRequest("unknown_mandate", "No such mandate.")
    if mandate.provider_ref not in (None, notice.provider_ref):
        return mandate  # another agreement than the one this mandate holds
    moved = {("pending", "active"), ("active", "ended"), ("pending", "ended")}
    if (mandate.status, notice.status) in moved:
        mandate.status, mandate.provider_ref = notice.status, notice.provider_ref
        if notice.status == "active":
            mandate.signed_at = now
        audit.record(
            session,
            actor_id=mandate.customer_id,
            action=f"finance.mandate.{'signed' if notice.status == 'active' else 'ended'}",
            entity_type="finance_mandate",
            entity_id=mandate.id,
            detail={"provider": provider.name, "provider_ref": notice.provider_ref},
        )
    return mandate


# --- the collection run -------------------------------------------------------------------


def due_for_collection(
    session: Session, *, now: dt.datetime, limit: int
) -> list[tuple[Instalment, Mandate]]:
    """Open instalments due by today whose contract has an active mandate and which are not
    waiting for a retry, with that mandate, locked in primary-key order (others' locks
    skipped)."""
    stmt = (
        select(Instalment, Mandate)
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
    due = [(i, m) for i, m in session.execute(stmt)]
    locks.remember(session, (i for i, _ in due))
    preload_orders(session, (i.order_id for i, _ in due))
    return due


def preload_orders(session: Session, order_ids) -> None:
    """Read the batch's orders in one query: the payments port names each one's dealers and
    VIN, and would otherwise read them one by one."""
    wanted = list(set(order_ids))
    if wanted:
        locks.keep(session, session.scalars(select(Order).where(Order.id.in_(wanted))))


def start_collection(
    session: Session, inst: Instalment, mandate: Mandate, *, settings: Settings, now
) -> Debit:
    """A payment intent for the instalment, on the buyer's behalf (the mandate allows it),
    at the mandate's provider; the job then debits it there. Until the answer, no retry is
    due for a day."""
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
        provider=mandate.provider,
    )
    inst.next_attempt_at = now + dt.timedelta(days=1)
    return Debit(
        intent_id=intent.id,
        instalment_id=inst.id,
        contract_id=inst.contract_id,
        order_id=inst.order_id,
        mandate_id=mandate.id,
        provider=mandate.provider,
        mandate_ref=mandate.provider_ref or "",
        amount=intent.amount,
        currency=intent.currency,
        subject=f"motormall instalment {inst.n}",
    )


def collection_failed(
    session: Session, instalment_id: str, *, now: dt.datetime, reason: str = "declined"
) -> str:
    """The debit was refused: try again later, tell the buyer, and after the policy's
    number of failures flag the contract for collections. Returns what happened."""
    inst = locks.locked(session, Instalment, instalment_id)
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
    # locked before the instalment by the collection run (finance's lock order)
    contract = locks.locked(session, FinanceContract, inst.contract_id)
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


def close_for_ended_order(
    session: Session, order_id: str, *, reason: str, now: dt.datetime
) -> bool:
    """The order was cancelled, or its car returned: its contract is closed, its open
    instalments with it, and its mandate ended, so the collection run takes nothing more.
    Orders give every payment back in the same transaction (instalments and a payoff too),
    so the ledger unwinds what finance posted: the lender's advance, each instalment's split
    and a payoff go back to where the money came from, ready for its refund. Money for an
    instalment that arrives later is sent back (its instalment is no longer open). Lock
    order as acceptance and payoff: the contract, its instalments by id, then the mandate.
    Returns whether there was a contract to close."""
    contract = session.scalar(
        select(FinanceContract).where(FinanceContract.order_id == order_id).with_for_update()
    )
    if contract is None or contract.status == "cancelled":
        return contract is not None
    open_rows = contracts.open_instalments(session, contract.id, lock=True)
    mandate = session.scalar(
        select(Mandate).where(Mandate.contract_id == contract.id).with_for_update()
    )
    was = contract.status
    contract.status = "cancelled"
    for inst in open_rows:
        inst.status, inst.next_attempt_at = "cancelled", None
    if mandate is not None and mandate.status != "ended":
        mandate.status = "ended"
        mandates.end_at_provider(session, mandate)
    if was in ("accepted", "paid_off"):  # the lender no longer advances the car's price
        for kind in ("finance_advance", "instalment_collected", "finance_payoff"):
            ledger.reverse(session, kind, order_id=order_id, as_kind="finance_unwound")
    audit.record(
        session,
        actor_id=None,
        action="finance.contract.cancelled",
        entity_type="finance_contract",
        entity_id=contract.id,
        detail={
            "order_id": order_id,
            "was": was,
            "reason": reason,
            "instalments_closed": len(open_rows),
        },
    )
    return True
