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


@dataclass(frozen=True)
class MandateNotice:
    """A verified statement from the provider about one recurring-debit mandate."""

    mandate_id: str  # ours (Alipay: external_agreement_no)
    provider_ref: str  # the provider's (Alipay: agreement_no), what a debit names
    status: str  # active | ended
    raw: dict


class Mandates(Protocol):
    """Recurring debits: the buyer signs a mandate at the provider once, then each debit is
    taken without them (Alipay's agreement sign-up and agreement pay; the sandbox's page)."""

    def mandate_sign_url(self, *, mandate_id: str, return_url: str) -> str: ...

    def parse_mandate_notification(self, headers: dict[str, str], body: bytes) -> MandateNotice:
        """Raises BadSignature unless the provider signed it for us."""
        ...

    def debit(
        self,
        *,
        intent_id: str,
        mandate_ref: str,
        amount: Decimal,
        currency: str,
        subject: str,
        session,
    ) -> Notice:
        """Take `amount` through the mandate now; the provider's verified answer (succeeded,
        failed, or pending). Raises ProviderError when there is no trustworthy answer: the
        intent stays pending and reconciliation asks about it later."""
        ...

    def end_mandate(self, *, mandate_id: str, mandate_ref: str) -> None:
        """Tell the provider a mandate we ended is over (Alipay's agreement unsign), so it
        takes nothing more and the buyer sees it ended. Raises ProviderError when it refuses
        or cannot be reached (the caller tries again later, then leaves it to a person)."""
        ...
