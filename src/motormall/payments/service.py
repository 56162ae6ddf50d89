"""Payment rules: intents at a provider, verified notifications, refunds, ledger postings.

A notification is applied at most once: its id is stored (unique per provider) in the same
transaction that applies it, so a replay, a duplicate delivery or a race between two
deliveries finds the row and changes nothing. Reconciliation asks the provider about intents
that stayed pending, so a notification that never came (a crash, a lost request) is not lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.payments import ledger, providers, settlement
from motormall.payments.events import PaymentRefunded, PaymentSettled
from motormall.payments.ledger import credit, debit
from motormall.payments.models import (
    IntentStatus,
    PaymentIntent,
    ProviderNotification,
    Purpose,
    Refund,
    RefundStatus,
)
from motormall.payments.providers import BadSignature, Notice
from motormall.platform import audit, events, jobs, locks
from motormall.platform.auth import Principal, new_id
from motormall.platform.config import Settings
from motormall.platform.errors import BadRequest, Invalid, NotFound
from motormall.platform.money import round_money

LIABILITY = {
    Purpose.deposit: "customer_deposits",
    Purpose.balance: "customer_payments",
    Purpose.down_payment: "customer_payments",  # recognised with the sale at handover
    # finance moves instalment money on to its receivable, interest and fee accounts on settle
    Purpose.instalment: "customer_instalments",
    Purpose.payoff: "customer_instalments",
}
RECONCILE_AFTER = dt.timedelta(minutes=2)
RECONCILE_UNTIL = dt.timedelta(days=7)
REFUND_RESEND_AFTER = dt.timedelta(hours=1)


def clearing(provider: str) -> str:
    return f"provider_clearing:{provider}"


# --- intents ------------------------------------------------------------------------------


def create_intent(
    session: Session,
    who: Principal,
    *,
    payable: str,
    payable_id: str,
    amount: Decimal,
    purpose: Purpose,
    settings: Settings,
    now: dt.datetime,
    provider: str | None = None,
) -> PaymentIntent:
    """Ask the provider to take `amount` for `purpose` of a payable (an order, ...); the
    buyer then pays at `pay_url`. The payable says what is due, through its port.
    `provider`: the one a mandate was signed with (default: the configured one)."""
    due = settlement.payable(payable).due(session, payable_id, purpose.value, now=now)
    if who.user_id != due.customer_id and not who.is_admin:
        raise NotFound(f"{payable}_not_found", f"No {payable} {payable_id}.")
    if amount != due.amount:
        raise Invalid(
            "amount_mismatch",
            f"The {purpose.value} due is {due.amount:.2f} {due.currency}.",
            due=f"{due.amount:.2f}",
        )
    provider = providers.get(provider or settings.payment_provider, settings)
    # every column given here, so no flush is needed for the id or defaults (a month-end
    # run creates thousands, and one flush each was a third of its time)
    intent = PaymentIntent(
        id=new_id(),
        status=IntentStatus.pending.value,
        refunded=Decimal("0.00"),
        payable=payable,
        payable_id=payable_id,
        order_id=due.order_id,
        customer_id=due.customer_id,
        provider=provider.name,
        purpose=purpose.value,
        amount=amount,
        currency=due.currency,
        created_at=now,
    )
    session.add(intent)
    # builds a signed URL locally: no call to the provider happens here
    checkout = provider.start(
        intent_id=intent.id,
        amount=amount,
        currency=due.currency,
        subject=due.subject,
        return_url=f"{settings.public_url.rstrip('/')}{due.return_path}",
        expires_at=due.expires_at,
    )
    intent.pay_url, intent.provider_ref = checkout.pay_url, checkout.provider_ref
    audit.record(
        session,
        actor_id=who.user_id,
        action="payment.intent_created",
        entity_type="payment_intent",
        entity_id=intent.id,
        detail={
            "order_id": due.order_id,
            "payable": f"{payable}:{payable_id}",
            "purpose": purpose.value,
            "amount": f"{amount:.2f}",
        },
    )
    return intent


def get_intent_for(session: Session, who: Principal, intent_id: str) -> PaymentIntent:
    intent = session.get(PaymentIntent, intent_id)
    if intent is None or not (who.is_admin or who.user_id == intent.customer_id):
        raise NotFound("payment_not_found", f"No payment {intent_id}.")
    return intent


def intents_of(session: Session, order_id: str) -> list[PaymentIntent]:
    return list(
        session.scalars(
            select(PaymentIntent)
            .where(PaymentIntent.order_id == order_id)
            .order_by(PaymentIntent.created_at)
        )
    )


def paid_total(
    session: Session, order_id: str, *, intents: list[PaymentIntent] | None = None
) -> Decimal:
    """What the buyer has paid, net of refunds (from `intents` when the caller has them)."""
    if intents is None:
        intents = intents_of(session, order_id)
    return sum(
        (i.amount - i.refunded for i in intents if i.status == IntentStatus.succeeded),
        Decimal("0.00"),
    )


# --- notifications ------------------------------------------------------------------------


@dataclass
class Outcome:
    result: str  # applied | revived | refunded | duplicate | already_applied | failed | ...
    intent_id: str | None = None


def handle_notification(
    session: Session,
    provider_name: str,
    headers: dict[str, str],
    body: bytes,
    *,
    settings: Settings,
    now: dt.datetime,
) -> Outcome:
    """Verify and apply one provider notification. A bad signature changes nothing."""
    provider = providers.get(provider_name, settings)
    try:
        notice = provider.parse_notification(headers, body)
    except BadSignature as exc:
        raise BadRequest("bad_signature", f"The notification is not authentic: {exc}.") from None
    return apply_notice(session, provider.name, notice, settings=settings, now=now)


def apply_notice(
    session: Session, provider: str, notice: Notice, *, settings: Settings, now: dt.datetime
) -> Outcome:
    try:
        with session.begin_nested():
            session.add(
                ProviderNotification(
                    provider=provider,
                    notification_id=notice.notification_id,
                    intent_id=notice.intent_id,
                    outcome="received",
                    payload=notice.raw,
                    received_at=now,
                )
            )
    except IntegrityError:
        return Outcome("duplicate", notice.intent_id)
    record = session.scalar(
        select(ProviderNotification).where(
            ProviderNotification.provider == provider,
            ProviderNotification.notification_id == notice.notification_id,
        )
    )
    # populate_existing: a caller that loaded the intent before (reconciliation lists them
    # first) must see the row as it is once the lock is ours, not its stale copy, or a
    # payment applied meanwhile by a delivery is posted a second time.
    # (platform.locks reads it fresh unless this transaction locked a batch of them already)
    intent = locks.locked(session, PaymentIntent, notice.intent_id)
    if intent is None or intent.provider != provider:
        raise NotFound("payment_not_found", f"No payment {notice.intent_id} at {provider}.")
    record.outcome = outcome = _apply(session, intent, notice, settings=settings, now=now)
    return Outcome(outcome, intent.id)


def lock_intents(session: Session, intent_ids) -> None:
    """Lock a batch's intents in key order (a caller that locks more rows after them)."""
    locks.lock_all(session, PaymentIntent, intent_ids)


def apply_notices(
    session: Session, provider: str, notices: list[Notice], *, settings: Settings, now
) -> list[Outcome]:
    """Many answers at once (a collection run's batch), as `apply_notice` would apply them
    one by one, without its savepoint and locked read per notice: replays are found with
    one query, the intents locked with one, in key order. Any domain error (or a replay that
    arrives meanwhile: IntegrityError at commit) spoils the whole batch; the caller then
    rolls back and applies them one by one."""
    ids = [n.notification_id for n in notices]
    seen = set(
        session.scalars(
            select(ProviderNotification.notification_id).where(
                ProviderNotification.provider == provider,
                ProviderNotification.notification_id.in_(ids),
            )
        )
    )
    intents = locks.lock_all(session, PaymentIntent, (n.intent_id for n in notices))
    out = []
    for notice in notices:
        if notice.notification_id in seen:
            out.append(Outcome("duplicate", notice.intent_id))
            continue
        seen.add(notice.notification_id)
        intent = intents.get(notice.intent_id)
        if intent is None or intent.provider != provider:
            raise NotFound("payment_not_found", f"No payment {notice.intent_id} at {provider}.")
        outcome = _apply(session, intent, notice, settings=settings, now=now)
        session.add(
            ProviderNotification(
                provider=provider,
                notification_id=notice.notification_id,
                intent_id=notice.intent_id,
                outcome=outcome,
                payload=notice.raw,
                received_at=now,
            )
        )
        out.append(Outcome(outcome, intent.id))
    return out


def _apply(session, intent: PaymentIntent, notice: Notice, *, settings, now) -> str:
    if intent.status == IntentStatus.succeeded:
        return "already_applied"
    if intent.status == IntentStatus.flagged:
        return "flagged"
    if notice.status == "pending":
        return "pending"
    if notice.status != "succeeded":
        intent.status = IntentStatus.failed.value
        return "failed"
    if notice.amount != intent.amount or notice.currency != intent.currency:
        intent.status = IntentStatus.flagged.value
        intent.flag = (
            f"provider reported {notice.amount} {notice.currency}, "
            f"intent is {intent.amount} {intent.currency}"
        )
        audit.record(
            session,
            actor_id=None,
            action="payment.flagged",
            entity_type="payment_intent",
            entity_id=intent.id,
            detail={
                "reason": intent.flag,
                "provider_ref": notice.provider_ref,
                # what the provider says it took: a refund after review sends this back
                "amount": f"{notice.amount:.2f}",
                "currency": notice.currency,
            },
        )
        return "amount_mismatch"

    return confirm(session, intent, provider_ref=notice.provider_ref, settings=settings, now=now)


def confirm(
    session: Session, intent: PaymentIntent, *, provider_ref: str | None, settings, now
) -> str:
    """The money for `intent` arrived: post it, settle what it pays for, tell the others (a
    provider's notice, or the carmaker accepting a flagged payment). `intent` is locked."""
    intent.status = IntentStatus.succeeded.value
    intent.provider_ref = provider_ref
    intent.succeeded_at = now
    purpose = Purpose(intent.purpose)
    ledger.post(
        session,
        f"{purpose.value}_received",
        [
            debit(clearing(intent.provider), intent.amount),
            credit(LIABILITY[purpose], intent.amount),
        ],
        currency=intent.currency,
        order_id=intent.order_id,
        intent_id=intent.id,
    )
    # lock order: the intent (above), then the payable's own row, taken by its port
    result, due = settlement.payable(intent.payable).settle(
        session, intent.payable_id, purpose.value, now=now
    )
    events.publish(
        session,
        PaymentSettled(
            entity_id=intent.id,
            customer_id=due.customer_id,
            dealer_ids=due.dealer_ids,
            at=now,
            purpose=purpose.value,
            amount=f"{intent.amount:.2f}",
            payable=intent.payable,
            order_id=due.order_id,
        ),
    )
    if result == "refund":
        # the money can no longer buy what it was for (cancelled, gone, paid twice): send it back
        request_refund(session, intent, intent.amount, reason="not_applicable", now=now)
        return "refunded"
    return result


# --- refunds ------------------------------------------------------------------------------
#
# A refund is recorded in the transaction that decides it (cancel, return, money that came too
# late) and sent to the provider by a job after commit, so no provider call happens while this
# transaction holds row locks. `intent.refunded` counts what was promised back at once (so
# nothing is refunded twice); the ledger posts when the provider confirms.


def request_refund(
    session: Session, intent: PaymentIntent, amount: Decimal, *, reason: str, now: dt.datetime
) -> Refund:
    refund = Refund(
        intent_id=intent.id,
        amount=amount,
        currency=intent.currency,
        reason=reason,
        status=RefundStatus.pending.value,
        created_at=now,
    )
    session.add(refund)
    session.flush()
    intent.refunded += amount
    audit.record(
        session,
        actor_id=None,
        action="payment.refund_requested",
        entity_type="payment_intent",
        entity_id=intent.id,
        detail={"amount": f"{amount:.2f}", "reason": reason, "refund_id": refund.id},
    )
    jobs.after_commit(session, "payments.send_refund", refund.id)
    return refund


def refund_order(session: Session, order_id: str, *, reason: str, now: dt.datetime) -> Decimal:
    """Give back everything taken for an order that has not been given back yet."""
    total = Decimal("0.00")
    for intent in intents_of(session, order_id):
        left = intent.amount - intent.refunded
        if intent.status == IntentStatus.succeeded and left > 0:
            request_refund(session, intent, left, reason=reason, now=now)
            total += left
    return total


def refund_to_send(session: Session, refund_id: str) -> tuple[Refund, PaymentIntent] | None:
    refund = session.get(Refund, refund_id)
    if refund is None or refund.status != RefundStatus.pending:
        return None  # already sent: a repeated job is harmless
    return refund, session.get(PaymentIntent, refund.intent_id)


def refund_sent(session: Session, refund_id: str, provider_ref: str, *, now: dt.datetime) -> bool:
    """The provider confirmed: post it (once) and tell the customer's timeline."""
    refund = session.get(Refund, refund_id, with_for_update=True)
    if refund is None or refund.status != RefundStatus.pending:
        return False
    intent = session.get(PaymentIntent, refund.intent_id)
    refund.status, refund.provider_ref, refund.settled_at = (
        RefundStatus.succeeded.value,
        provider_ref,
        now,
    )
    ledger.post(
        session,
        "refund",
        [
            debit(LIABILITY[Purpose(intent.purpose)], refund.amount),
            credit(clearing(intent.provider), refund.amount),
        ],
        currency=intent.currency,
        order_id=intent.order_id,
        intent_id=intent.id,
        memo=refund.reason,
    )
    audit.record(
        session,
        actor_id=None,
        action="payment.refunded",
        entity_type="payment_intent",
        entity_id=intent.id,
        detail={"amount": f"{refund.amount:.2f}", "reason": refund.reason, "refund_id": refund.id},
    )
    events.publish(
        session,
        PaymentRefunded(
            entity_id=intent.id,
            customer_id=intent.customer_id,
            at=now,
            amount=f"{refund.amount:.2f}",
            reason=refund.reason,
            refund_id=refund.id,
            order_id=intent.order_id,
        ),
    )
    return True


def refund_failed(session: Session, refund_id: str, error: str, *, max_attempts: int) -> str:
    """The provider refused: `retry` later, or `failed` after `max_attempts` (audited)."""
    refund = session.get(Refund, refund_id, with_for_update=True)
    if refund is None or refund.status != RefundStatus.pending:
        return "done"
    refund.attempts += 1
    refund.last_error = error[:200]
    if refund.attempts >= max_attempts:
        refund.status = RefundStatus.failed.value
        audit.record(
            session,
            actor_id=None,
            action="payment.refund_failed",
            entity_type="payment_intent",
            entity_id=refund.intent_id,
            detail={"refund_id": refund.id, "error": refund.last_error},
        )
        return "failed"
    return "retry"


# --- sale recognition at handover ---------------------------------------------------------


def recognise_sale(
    session: Session,
    *,
    order_id: str,
    price: Decimal,
    currency: str,
    credited_dealer_code: str,
    settings: Settings,
) -> None:
    """At handover the buyer's money stops being owed back: it becomes the carmaker's revenue,
    and the credited dealer earns its commission."""
    deposits = ledger.account_balance(session, LIABILITY[Purpose.deposit], order_id=order_id)
    payments = ledger.account_balance(session, LIABILITY[Purpose.balance], order_id=order_id)
    ledger.post(
        session,
        "sale",
        [
            debit(LIABILITY[Purpose.deposit], deposits),
            debit(LIABILITY[Purpose.balance], payments),
            credit("carmaker_revenue", deposits + payments),
        ],
        currency=currency,
        order_id=order_id,
    )
    commission = round_money(price * Decimal(settings.dealer_commission_rate))
    if commission > 0:
        ledger.post(
            session,
            "commission",
            [
                debit("dealer_commission_expense", commission),
                credit(f"dealer_commission_payable:{credited_dealer_code}", commission),
            ],
            currency=currency,
            order_id=order_id,
        )


def reverse_sale(session: Session, order_id: str) -> None:
    ledger.reverse(session, "sale", order_id=order_id, as_kind="sale_reversal")
    ledger.reverse(session, "commission", order_id=order_id, as_kind="commission_reversal")
    ledger.reverse(session, "coupon_discount", order_id=order_id, as_kind="coupon_reversal")


def recognise_discount(session: Session, *, order_id: str, amount: Decimal, currency: str) -> None:
    """A campaign's coupon paid part of a car handed over: the carmaker books it as marketing
    expense and the revenue stays the list price (the buyer paid the rest, recognised as
    `sale`). Reversed with the sale when the car is returned."""
    if amount > 0:
        ledger.post(
            session,
            "coupon_discount",
            [debit("marketing_expense", amount), credit("carmaker_revenue", amount)],
            currency=currency,
            order_id=order_id,
        )


# --- reconciliation -----------------------------------------------------------------------


def awaiting_reconciliation(session: Session, *, now: dt.datetime) -> list[tuple[str, str]]:
    """(intent id, provider) of intents still pending after a while: the provider is asked
    about each one outside any transaction, then `apply_notice` records its answer."""
    stmt = (
        select(PaymentIntent.id, PaymentIntent.provider)
        .where(
            PaymentIntent.status == IntentStatus.pending.value,
            PaymentIntent.created_at <= now - RECONCILE_AFTER,
            PaymentIntent.created_at >= now - RECONCILE_UNTIL,
        )
        .order_by(PaymentIntent.created_at)
        .limit(200)
    )
    return [(row.id, row.provider) for row in session.execute(stmt)]


def refunds_to_retry(session: Session, *, now: dt.datetime) -> list[str]:
    """Refunds still pending long after their job's back-off ended (a lost job, a restart)."""
    stmt = (
        select(Refund.id)
        .where(
            Refund.status == RefundStatus.pending.value,
            Refund.created_at <= now - REFUND_RESEND_AFTER,
        )
        .order_by(Refund.created_at)
        .limit(200)
    )
    return list(session.scalars(stmt))
