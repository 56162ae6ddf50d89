"""Orders as something payments can take money for (the payments.settlement port)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from motormall.orders import service
from motormall.orders.models import Order
from motormall.orders.rules import OrderStatus
from motormall.payments.settlement import Due, Settled, register
from motormall.platform.errors import Conflict, Invalid, NotFound


class OrderPayable:
    kind = "order"

    def _order(self, session: Session, order_id: str) -> Order:
        order = session.get(Order, order_id, with_for_update=True, populate_existing=True)
        if order is None:
            raise NotFound("order_not_found", f"No order {order_id}.")
        return order

    def _due(self, order: Order, amount, purpose: str = "payment", expires_at=None) -> Due:
        return Due(
            amount=amount,
            currency=order.currency,
            customer_id=order.customer_id,
            order_id=order.id,
            dealer_ids=service.dealers_of(order),
            subject=f"motormall {purpose} {order.vin}",
            return_path=f"/orders/{order.id}",
            expires_at=expires_at,
        )

    def due(self, session: Session, payable_id: str, purpose: str, *, now: dt.datetime) -> Due:
        if purpose not in ("deposit", "balance", "down_payment"):  # instalments: finance's
            raise Invalid(
                "purpose_invalid", "An order takes a deposit, its balance or its down payment."
            )
        order = self._order(session, payable_id)
        if purpose == "deposit":
            if order.status == OrderStatus.reserved and order.expires_at <= now:
                service.expire(session, order, now=now)
            if order.status == OrderStatus.expired:
                raise Conflict(
                    "order_expired",
                    "The hold on this car lapsed before the deposit; reserve it again.",
                )
            if order.status != OrderStatus.reserved:
                raise Conflict(
                    "deposit_not_due",
                    f"The order is {order.status}; no deposit is due.",
                    current_status=order.status,
                )
            amount, expires_at = order.deposit, order.expires_at
        elif purpose == "down_payment":
            amount, expires_at = service.down_payment_due(order), None
            if order.status != OrderStatus.contracted or amount <= 0:
                raise Conflict(
                    "down_payment_not_due",
                    "Nothing of the down payment is due: it is due once a finance contract "
                    "is signed, less the deposit.",
                    current_status=order.status,
                )
        else:
            if order.status != OrderStatus.deposit_paid or order.product != "cash":
                raise Conflict(
                    "balance_not_due",
                    f"The order is {order.status}; the balance is due after the deposit "
                    "on cash orders.",
                    current_status=order.status,
                )
            amount, expires_at = service.balance_due(order), None
        return self._due(order, amount, purpose, expires_at)

    def settle(
        self, session: Session, payable_id: str, purpose: str, *, now: dt.datetime
    ) -> tuple[Settled, Due]:
        order = self._order(session, payable_id)
        if purpose == "deposit":
            result = service.deposit_received(session, order, now=now)
        elif purpose == "down_payment":
            result = service.down_payment_received(session, order, now=now)
        else:
            result = service.balance_received(session, order, now=now)
        return result, self._due(order, order.price, purpose)


register(OrderPayable())
