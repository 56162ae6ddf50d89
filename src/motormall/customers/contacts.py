"""How to reach a customer: what a dealer needs to act on a lead or a handover."""

from __future__ import annotations

from dataclasses import dataclass

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
