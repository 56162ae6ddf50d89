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

from motormall.catalog.models import Dealer
from motormall.orders import service as orders
from motormall.orders.models import Order
from motormall.orders.rules import OrderStatus
from motormall.payments import ledger, providers
from motormall.payments.ledger import credit, debit
from motormall.payments.models import (
    IntentStatus,
    PaymentIntent,
    ProviderNotification,
    Purpose,
    Refund,
)
from motormall.payments.providers import BadSignature, Notice, ProviderError
from motormall.platform import audit, events
from motormall.platform.auth import Principal
from motormall.platform.config import Settings
from motormall.platform.errors import BadRequest, Conflict, Invalid, NotFound
from motormall.platform.money import round_money

LIABILITY = {Purpose.deposit: "customer_deposits", Purpose.balance: "customer_payments"}
RECONCILE_AFTER = dt.timedelta(minutes=2)
RECONCILE_UNTIL = dt.timedelta(days=7)


def clearing(provider: str) -> str:
    return f"provider_clearing:{provider}"


# --- intents ------------------------------------------------------------------------------


def create_intent(
    session: Session,
    who: Principal,
    order: Order,
    *,
    amount: Decimal,
    purpose: Purpose,
    settings: Settings,
    now: dt.datetime,
) -> PaymentIntent:
    """Ask the provider to take `amount` for `purpose`; the buyer then pays at `pay_url`."""
    if who.user_id != order.customer_id and not who.is_admin:
        raise NotFound("order_not_found", f"No order {order.id}.")
    if purpose == Purpose.deposit:
        if order.status == OrderStatus.reserved and order.expires_at <= now:
            orders.expire(session, order, now=now)
        if order.status == OrderStatus.expired:
            raise Conflict(
                "order_expired", "The hold on this car lapsed before the deposit; reserve it again."
            )
        if order.status != OrderStatus.reserved:
            raise Conflict(
                "deposit_not_due",
                f"The order is {order.status}; no deposit is due.",
                current_status=order.status,
            )
        due = order.deposit
    else:
        if order.status != OrderStatus.deposit_paid or order.product != "cash":
            raise Conflict(
                "balance_not_due",
                f"The order is {order.status}; the balance is due after the deposit "
                "on cash orders.",
                current_status=order.status,
            )
        due = orders.balance_due(order)
    if amount != due:
        raise Invalid(
            "amount_mismatch",
            f"The {purpose.value} due is {due:.2f} {order.currency}.",
            due=f"{due:.2f}",
        )
    provider = providers.get(settings.payment_provider, settings)
    intent = PaymentIntent(
        order_id=order.id,
        customer_id=order.customer_id,
        provider=provider.name,
        purpose=purpose.value,
        amount=amount,
        currency=order.currency,
        created_at=now,
    )
    session.add(intent)
    session.flush()
    checkout = provider.start(
        intent_id=intent.id,
        amount=amount,
        currency=order.currency,
        subject=f"motormall {purpose.value} {order.vin}",
        return_url=f"{settings.public_url.rstrip('/')}/orders/{order.id}",
    )
    intent.pay_url, intent.provider_ref = checkout.pay_url, checkout.provider_ref
    audit.record(
        session,
        actor_id=who.user_id,
        action="payment.intent_created",
        entity_type="payment_intent",
        entity_id=intent.id,
        detail={"order_id": order.id, "purpose": purpose.value, "amount": f"{amount:.2f}"},
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


def paid_total(session: Session, order_id: str) -> Decimal:
    return sum(
        (
            i.amount - i.refunded
            for i in intents_of(session, order_id)
            if i.status == IntentStatus.succeeded
        ),
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
    intent = session.get(
        PaymentIntent, notice.intent_id, with_for_update=True, populate_existing=True
    )
    if intent is None or intent.provider != provider:
        raise NotFound("payment_not_found", f"No payment {notice.intent_id} at {provider}.")
    record.outcome = outcome = _apply(session, intent, notice, settings=settings, now=now)
    return Outcome(outcome, intent.id)


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
            detail={"reason": intent.flag, "provider_ref": notice.provider_ref},
        )
        return "amount_mismatch"

    intent.status = IntentStatus.succeeded.value
    intent.provider_ref = notice.provider_ref
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
    order = session.get(Order, intent.order_id, with_for_update=True, populate_existing=True)
    events.emit(
        session,
        f"payment.{purpose.value}_received",
        entity_type="payment_intent",
        entity_id=intent.id,
        customer_id=order.customer_id,
        dealer_id=order.credited_dealer_id,
        payload={"amount": f"{intent.amount:.2f}", "order_id": order.id},
        at=now,
    )
    if purpose == Purpose.deposit:
        result = orders.deposit_received(session, order, now=now)
    else:
        result = orders.balance_received(session, order, now=now)
    if result == "refund":
        # the money can no longer buy this car (cancelled, gone, or paid twice): send it back
        refund_intent(
            session, intent, intent.amount, reason="not_applicable", settings=settings, now=now
        )
        return "refunded"
    return result


# --- refunds ------------------------------------------------------------------------------


def refund_intent(
    session: Session,
    intent: PaymentIntent,
    amount: Decimal,
    *,
    reason: str,
    settings: Settings,
    now: dt.datetime,
) -> Refund:
    provider = providers.get(intent.provider, settings)
    refund = Refund(
        intent_id=intent.id, amount=amount, currency=intent.currency, reason=reason, created_at=now
    )
    session.add(refund)
    session.flush()
    try:
        refund.provider_ref = provider.refund(
            intent_id=intent.id,
            provider_ref=intent.provider_ref,
            amount=amount,
            currency=intent.currency,
            refund_id=refund.id,
            session=session,
        )
    except ProviderError as exc:
        raise Conflict(
            "provider_unavailable",
            f"The payment provider refused the refund ({exc}); try again later.",
        ) from None
    intent.refunded += amount
    purpose = Purpose(intent.purpose)
    ledger.post(
        session,
        "refund",
        [debit(LIABILITY[purpose], amount), credit(clearing(intent.provider), amount)],
        currency=intent.currency,
        order_id=intent.order_id,
        intent_id=intent.id,
        memo=reason,
    )
    audit.record(
        session,
        actor_id=None,
        action="payment.refunded",
        entity_type="payment_intent",
        entity_id=intent.id,
        detail={"amount": f"{amount:.2f}", "reason": reason, "refund_id": refund.id},
    )
    return refund


def refund_order(
    session: Session, order: Order, *, reason: str, settings: Settings, now: dt.datetime
) -> Decimal:
    """Give back everything taken for `order` that has not been given back yet."""
    total = Decimal("0.00")
    for intent in intents_of(session, order.id):
        left = intent.amount - intent.refunded
        if intent.status == IntentStatus.succeeded and left > 0:
            refund_intent(session, intent, left, reason=reason, settings=settings, now=now)
            total += left
    return total


# --- sale recognition at handover ---------------------------------------------------------


def recognise_sale(session: Session, order: Order, *, settings: Settings) -> None:
    """At handover the buyer's money stops being owed back: it becomes the carmaker's revenue,
    and the credited dealer earns its commission."""
    deposits = ledger.account_balance(session, LIABILITY[Purpose.deposit], order_id=order.id)
    payments = ledger.account_balance(session, LIABILITY[Purpose.balance], order_id=order.id)
    ledger.post(
        session,
        "sale",
        [
            debit(LIABILITY[Purpose.deposit], deposits),
            debit(LIABILITY[Purpose.balance], payments),
            credit("carmaker_revenue", deposits + payments),
        ],
        currency=order.currency,
        order_id=order.id,
    )
    commission = round_money(order.price * Decimal(settings.dealer_commission_rate))
    if commission > 0:
        code = session.scalar(select(Dealer.code).where(Dealer.id == order.credited_dealer_id))
        ledger.post(
            session,
            "commission",
            [
                debit("dealer_commission_expense", commission),
                credit(f"dealer_commission_payable:{code}", commission),
            ],
            currency=order.currency,
            order_id=order.id,
        )


def reverse_sale(session: Session, order: Order) -> None:
    ledger.reverse(session, "sale", order_id=order.id, as_kind="sale_reversal")
    ledger.reverse(session, "commission", order_id=order.id, as_kind="commission_reversal")


# --- reconciliation -----------------------------------------------------------------------


def reconcile(session: Session, *, settings: Settings, now: dt.datetime) -> dict[str, int]:
    """Ask the provider about intents still pending after a while, and apply what it says."""
    stmt = (
        select(PaymentIntent)
        .where(
            PaymentIntent.status == IntentStatus.pending.value,
            PaymentIntent.created_at <= now - RECONCILE_AFTER,
            PaymentIntent.created_at >= now - RECONCILE_UNTIL,
        )
        .order_by(PaymentIntent.created_at)
        .limit(200)
    )
    counts: dict[str, int] = {}
    for intent in session.scalars(stmt).all():
        try:
            notice = providers.get(intent.provider, settings).query(
                intent_id=intent.id, session=session
            )
        except ProviderError:
            counts["unreachable"] = counts.get("unreachable", 0) + 1
            continue
        if notice is None:
            continue
        outcome = apply_notice(session, intent.provider, notice, settings=settings, now=now)
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    return counts
