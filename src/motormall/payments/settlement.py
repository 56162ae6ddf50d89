"""The port through which payments learn what a payment is for.

Payments knows money, providers and the ledger; it does not know orders (or, later,
instalments). A domain that takes money implements `Payable` and registers it under a kind
("order"); payments asks it what is due, and tells it when money arrived. Payments imports
no implementation, so the dependency points one way: orders → payments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from sqlalchemy.orm import Session

Settled = Literal["applied", "revived", "refund"]


@dataclass(frozen=True)
class Due:
    """What a payable expects for one purpose, and whom it concerns."""

    amount: Decimal
    currency: str
    customer_id: str
    order_id: str  # ledger postings are grouped per order
    dealer_ids: tuple[int, ...]
    subject: str  # shown by the provider, e.g. "motormall deposit <VIN>"
    return_path: str  # where the buyer lands after paying
    # when what is due stops being payable (a reservation's hold): the provider's page
    # closes then too, so nobody pays for a car that is no longer held for them
    expires_at: dt.datetime | None = None


class Payable(Protocol):
    kind: str

    def due(self, session: Session, payable_id: str, purpose: str, *, now: dt.datetime) -> Due:
        """What is due now for `purpose`; raises a domain error when nothing is (the payable
        locks its own row if it needs to)."""

    def settle(
        self, session: Session, payable_id: str, purpose: str, *, now: dt.datetime
    ) -> tuple[Settled, Due]:
        """Money for `purpose` arrived and is on the ledger: move on, or answer `refund`
        when it can no longer buy what it was for."""


_payables: dict[str, Payable] = {}


def register(payable: Payable) -> Payable:
    _payables[payable.kind] = payable
    return payable


def payable(kind: str) -> Payable:
    try:
        return _payables[kind]
    except KeyError:
        raise LookupError(f"no payable registered for {kind!r}") from None
