"""How to reach a customer: what a dealer needs to act on a lead or a handover."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.platform.auth import User


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str | None  # E.164, as registration stores it: usable in a tel: link as is
    email: str


def contacts_of(session: Session, customer_ids) -> dict[str, Contact]:
    """Contacts by customer id. Callers show them only to a dealer the customer asked (a lead)
    or bought from (an order): that check is theirs."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(User.id, User.name, User.phone, User.email).where(User.id.in_(ids))
    )
    return {i: Contact(name=n or "", phone=p, email=e) for i, n, p, e in rows}


def normalise_phone(value: str, region: str = "CN") -> str | None:
    """E.164, or None when it is not a valid number; numbers without a country code are read
    as `region`'s (mainland China by default). Registration stores phones this way, so one
    person's phone matches across accounts with plain equality."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
