"""Sending what the outbox owes: claim, send outside any transaction, record.

A row is claimed with one conditional UPDATE (its `next_attempt_at` moved a lease ahead), so
the after-commit job and the sweep never send one message twice at the same time; a worker
that dies mid-send lets the lease lapse and the sweep tries again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, update

from motormall.notifications import channels
from motormall.notifications.messages import EMAIL, SMS, TEMPLATES, language_of, render
from motormall.notifications.models import Notification
from motormall.platform.auth import User
from motormall.platform.db import Database
from motormall.web import i18n

log = logging.getLogger("motormall.notifications")

LEASE = dt.timedelta(minutes=5)
# waits after the 1st, 2nd, ... failed attempt; after the last the message is given up
BACKOFF_S = (60, 300, 1800, 7200, 21600)


@dataclass(frozen=True)
class Outgoing:
    id: int
    channels: tuple[str, ...]
    email: str
    phone: str | None
    lang: str
    title: str
    body: str
    url: str | None


def backoff(attempts: int) -> dt.timedelta | None:
    """The wait after `attempts` failed attempts, or None when it is time to give up."""
    if attempts > len(BACKOFF_S):
        return None
    return dt.timedelta(seconds=BACKOFF_S[attempts - 1])


def claim(db: Database, notification_id: int, *, now: dt.datetime, public_url: str):
    """Take the row for one attempt if it is due; None when it is not (sent, or taken)."""
    with db.transaction() as session:
        taken = session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE)
        ).rowcount
        if not taken:
            return None
        note = session.get(Notification, notification_id)
        user = session.get(User, note.customer_id)
        lang = language_of(user.locale)
        text = render(note.kind, note.params, lang)
        return Outgoing(
            id=note.id,
            channels=tuple(note.pending_channels),
            email=user.email,
            phone=user.phone,
            lang=lang,
            title=text.title,
            body=text.body,
            url=public_url.rstrip("/") + note.link if note.link else None,
        )


def send(out: Outgoing, *, mailer, sms) -> tuple[list[str], dict[str, str]]:
    """Try each channel the message still owes; returns (sent, {channel: reason})."""
    sent, failed = [], {}
    for channel in out.channels:
        try:
            if channel == EMAIL and mailer is not None:
                text = out.body + (f"\n\n{out.url}\n" if out.url else "\n")
                language = i18n.html_lang(out.lang)
                mailer.send(to=out.email, subject=out.title, text=text, language=language)
            elif channel == SMS and sms is not None and out.phone:
                sms.send(to=out.phone, text=f"[motormall] {out.title}: {out.url or out.body}")
            else:
                raise channels.DeliveryFailed(f"{channel}: not configured")
            sent.append(channel)
        except channels.DeliveryFailed as exc:
            failed[channel] = str(exc)
    return sent, failed


def record(
    db: Database, notification_id: int, sent: list[str], failed: dict[str, str], *, now
) -> str:
    with db.transaction() as session:
        note = session.get(Notification, notification_id)
        note.pending_channels = [c for c in note.pending_channels if c not in sent]
        note.attempts += 1
        if not note.pending_channels:
            note.next_attempt_at, note.delivered_at, note.last_error = None, now, None
            if TEMPLATES[note.kind].secret:
                note.params, note.link = {}, None  # the reset link leaves no copy behind
            return "sent"
        note.last_error = "; ".join(f"{v}" for v in failed.values())[:300]
        wait = backoff(note.attempts)
        if wait is None:
            note.next_attempt_at = None
            log.warning("notification %s given up: %s", note.id, note.last_error)
            return "given_up"
        note.next_attempt_at = now + wait
        return "retry"


def due(db: Database, *, now: dt.datetime, limit: int = 200) -> list[int]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(Notification.id)
                .where(Notification.next_attempt_at <= now)
                .order_by(Notification.id)
                .limit(limit)
            )
        )
