"""How finance reacts to orders: a cancelled order's contract is closed and its mandate
ended, in the cancel's own transaction, so nothing is collected after it."""

from __future__ import annotations

from motormall.finance import collections
from motormall.orders.events import OrderCancelled
from motormall.platform.events import handles


@handles(OrderCancelled)
def close_the_contract(session, event) -> None:
    collections.close_for_cancelled_order(session, event.entity_id, now=event.at)
