"""How marketing reacts to orders: a cancelled or lapsed order gives its coupon back; a car
handed over with a coupon books the discount as marketing expense (through payments)."""

from __future__ import annotations

from motormall.marketing import coupons
from motormall.orders.events import (
    OrderCancelled,
    OrderDepositPaid,
    OrderExpired,
    OrderHandedOver,
)
from motormall.payments import service as payments
from motormall.platform.events import handles


@handles(OrderCancelled, OrderExpired)
def coupon_back(session, event) -> None:
    coupons.release(session, event.entity_id, now=event.at)


@handles(OrderDepositPaid)
def coupon_again_for_a_revived_order(session, event) -> None:
    if event.detail.get("action") == "revive":
        coupons.retake(session, event.entity_id, now=event.at)


@handles(OrderHandedOver)
def discount_as_marketing_expense(session, event) -> None:
    held = coupons.held_for(session, event.entity_id)
    if held is not None:
        payments.recognise_discount(
            session, order_id=event.entity_id, amount=held.discount, currency=held.currency
        )
