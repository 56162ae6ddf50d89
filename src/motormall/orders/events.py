"""What the orders domain announces: one event class per status an order reaches."""

from __future__ import annotations

from dataclasses import dataclass, field

from motormall.orders.rules import OrderStatus
from motormall.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class OrderMoved(Event):
    """Base: the order reached a status. `dealer_ids` are the credited and delivering
    dealers; `detail` is what the timeline shows (from, action, price, odometer, ...)."""

    entity_type = "order"

    vehicle_id: int
    vin: str
    detail: dict = field(default_factory=dict)

    def payload(self) -> dict:
        return dict(self.detail)


def _status_event(name: str, status: OrderStatus) -> type[OrderMoved]:
    cls = dataclass(frozen=True, kw_only=True)(type(name, (OrderMoved,), {}))
    cls.type = f"order.{status.value}"
    cls.__doc__ = f"An order became {status.value}."
    return cls


S = OrderStatus
OrderReserved = _status_event("OrderReserved", S.reserved)
OrderDepositPaid = _status_event("OrderDepositPaid", S.deposit_paid)
OrderFinancing = _status_event("OrderFinancing", S.financing)
OrderContracted = _status_event("OrderContracted", S.contracted)
OrderPaid = _status_event("OrderPaid", S.paid)
OrderReadyForHandover = _status_event("OrderReadyForHandover", S.ready_for_handover)
OrderHandedOver = _status_event("OrderHandedOver", S.handed_over)
OrderCancelled = _status_event("OrderCancelled", S.cancelled)
OrderExpired = _status_event("OrderExpired", S.expired)
OrderReturned = _status_event("OrderReturned", S.returned)

BY_STATUS: dict[OrderStatus, type[OrderMoved]] = {
    S.reserved: OrderReserved,
    S.deposit_paid: OrderDepositPaid,
    S.financing: OrderFinancing,
    S.contracted: OrderContracted,
    S.paid: OrderPaid,
    S.ready_for_handover: OrderReadyForHandover,
    S.handed_over: OrderHandedOver,
    S.cancelled: OrderCancelled,
    S.expired: OrderExpired,
    S.returned: OrderReturned,
}
