"""Notify a customer, and read or mark their inbox. Other domains call `notify` only.

    notify(session, customer_id, "welcome", name="Chen Jie", link="/orders")

writes the message into the outbox in the caller's transaction; after commit a job sends the
e-mail and text message it owes (see delivery.py), and the inbox shows it at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from motormall.notifications.messages import EMAIL, INBOX, SMS, TEMPLATES, Rendered, render
from motormall.notifications.models import Notification
from motormall.platform.auth import User
from motormall.platform.config import get_settings
from motormall.platform.db import utcnow
from motormall.platform.errors import NotFound
from motormall.platform.jobs import after_commit


def notify(
    session: Session,
    customer_id: str,
    kind: str,
    *,
    link: str | None = None,
    now: dt.datetime | None = None,
    **params,
) -> Notification:
    """Queue a message of `kind` (a key of messages.TEMPLATES) to `customer_id`, filled with
    `params`, in the caller's transaction; the channels it needs are sent after commit."""
    if kind not in TEMPLATES:
        raise ValueError(f"no notification template {kind!r}")
    template = TEMPLATES[kind]
    user = session.get(User, customer_id)
    if user is None:
        raise ValueError(f"no user {customer_id!r} to notify")
    settings = get_settings()
    reachable = {
        EMAIL: bool(settings.smtp_url and user.email),
        SMS: bool(settings.sms_provider not in {"", "off"} and user.phone),
    }
    channels = [c for c in template.channels if c != INBOX and reachable[c]]
    now = now or utcnow()
    note = Notification(
        customer_id=customer_id,
        kind=kind,
        params=params,
        link=link,
        created_at=now,
        in_inbox=INBOX in template.channels,
        pending_channels=channels,
        attempts=0,
        next_attempt_at=now if channels else None,
    )
    session.add(note)
    session.flush()
    if channels:
        after_commit(session, "notifications.send", note.id)
    return note


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: str
    title: str
    body: str
    link: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None


def _item(note: Notification, lang: str) -> InboxItem:
    text: Rendered = render(note.kind, note.params, lang)
    return InboxItem(
        note.id, note.kind, text.title, text.body, note.link, note.created_at, note.read_at
    )


def _own(customer_id: str):
    return (Notification.customer_id == customer_id) & Notification.in_inbox.is_(True)


def inbox(
    session: Session, customer_id: str, *, lang: str, limit: int, before_id: int | None = None
) -> tuple[list[InboxItem], int | None]:
    """The customer's own messages, newest first (ids grow with time), and the next cursor."""
    stmt = select(Notification).where(_own(customer_id))
    if before_id is not None:
        stmt = stmt.where(Notification.id < before_id)
    rows = list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit + 1)))
    items = [_item(n, lang) for n in rows[:limit]]
    return items, items[-1].id if len(rows) > limit else None


def unread_count(session: Session, customer_id: str) -> int:
    stmt = select(func.count()).where(_own(customer_id), Notification.read_at.is_(None))
    return session.scalar(stmt) or 0


def mark_read(
    session: Session, customer_id: str, notification_id: int, *, lang: str, now: dt.datetime
) -> InboxItem:
    """Mark one of the customer's own messages read (someone else's: 404, as if missing)."""
    note = session.get(Notification, notification_id)
    if note is None or note.customer_id != customer_id or not note.in_inbox:
        raise NotFound("not_found", "No such notification.")
    if note.read_at is None:
        note.read_at = now
    return _item(note, lang)


def mark_all_read(session: Session, customer_id: str, *, now: dt.datetime) -> int:
    return session.execute(
        update(Notification)
        .where(_own(customer_id), Notification.read_at.is_(None))
        .values(read_at=now)
    ).rowcount
