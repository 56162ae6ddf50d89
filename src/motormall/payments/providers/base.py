"""What every payment provider adapter offers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


class BadSignature(Exception):
    """The notification was not signed by the provider: it changes nothing."""


class ProviderError(Exception):
    """The provider refused or could not be reached; safe to retry later."""


@dataclass(frozen=True)
class Checkout:
    pay_url: str  # where the buyer goes to pay
    provider_ref: str | None = None


@dataclass(frozen=True)
class Notice:
    """A verified statement from the provider about one intent."""

    notification_id: str
    intent_id: str
    provider_ref: str
    amount: Decimal
    currency: str
    status: str  # succeeded | failed
    raw: dict


class Provider(Protocol):
    name: str

    def start(
        self,
        *,
        intent_id: str,
        amount: Decimal,
        currency: str,
        subject: str,
        return_url: str,
        expires_at: dt.datetime | None = None,
    ) -> Checkout: ...

    def parse_notification(self, headers: dict[str, str], body: bytes) -> Notice: ...

    def acknowledge(self) -> tuple[bytes, str]:
        """The body and media type that tell the provider to stop resending."""
        ...

    # `session` is the caller's unit of work; only the built-in sandbox, whose books live in
    # our database, uses it (a second connection would deadlock on SQLite's write lock).
    def refund(
        self,
        *,
        intent_id: str,
        provider_ref: str | None,
        amount: Decimal,
        currency: str,
        refund_id: str,
        session,
    ) -> str: ...

    def query(self, *, intent_id: str, session) -> Notice | None:
        """The provider's own view of an intent, for reconciliation (None: not paid)."""
        ...
