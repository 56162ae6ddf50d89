"""How to reach a customer: what a dealer needs to act on a lead or a handover."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from motormall.customers.merges import survivor_of
from motormall.platform.auth import Role, User


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


@dataclass(frozen=True)
class Found:
    account_id: str
    customer_id: str  # the account it stands under now (itself, or the one it was merged into)
    contact: Contact


def find_customers(session: Session, text: str, *, limit: int = 20) -> list[Found]:
    """Customer accounts with this e-mail (trimmed, any case) or this phone (any way of
    writing it that normalises to the same E.164 number): the carmaker's look-up."""
    text = text.strip()
    phone = normalise_phone(text)
    match = func.lower(func.trim(User.email)) == text.lower()
    if phone is not None:
        match = or_(match, User.phone == phone)
    rows = session.execute(
        select(User.id, User.name, User.phone, User.email)
        .where(User.role == Role.customer.value, match)
        .order_by(User.id)
        .limit(limit)
    )
    return [
        Found(
            account_id=i,
            customer_id=_standing(session, i),
            contact=Contact(name=n or "", phone=p, email=e),
        )
        for i, n, p, e in rows
    ]


def _standing(session: Session, account_id: str) -> str:
    """The end of the account's chain of merges (merges of merges are allowed)."""
    seen = {account_id}
    while (survivor := survivor_of(session, account_id)) is not None and survivor not in seen:
        seen.add(survivor)
        account_id = survivor
    return account_id


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
