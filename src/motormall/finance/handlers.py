"""How finance reacts to orders: a cancelled order's contract, or a returned car's, is
closed and its mandate ended, in the order's own transaction, so nothing is collected after
it (the provider is told by a job after commit)."""

from __future__ import annotations

from motormall.finance import collections
from motormall.orders.events import OrderCancelled, OrderReturned
from motormall.platform.events import handles


@handles(OrderCancelled)
def close_the_contract(session, event) -> None:
    collections.close_for_ended_order(session, event.entity_id, reason="cancelled", now=event.at)


@handles(OrderReturned)
def close_the_returned_cars_contract(session, event) -> None:
    collections.close_for_ended_order(session, event.entity_id, reason="returned", now=event.at)
