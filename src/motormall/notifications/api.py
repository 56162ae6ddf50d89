"""The caller's inbox: `GET /me/notifications`, and marking messages read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from motormall.notifications import schemas, service
from motormall.notifications.messages import language_of
from motormall.platform.auth import User
from motormall.platform.db import utcnow
from motormall.platform.deps import CurrentPrincipal, DbSession, ReadSession
from motormall.platform.errors import Invalid

router = APIRouter(tags=["notifications"])
MAX_ID = 2**63 - 1


def notification_out(item: service.InboxItem) -> schemas.NotificationOut:
    return schemas.NotificationOut(
        id=item.id,
        kind=item.kind,
        title=item.title,
        body=item.body,
        link=item.link,
        created_at=item.created_at.isoformat(),
        read_at=item.read_at.isoformat() if item.read_at else None,
    )


def _cursor(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 0 < int(value) <= MAX_ID:
        raise Invalid("invalid_cursor", "The cursor is not one this list gave out.")
    return int(value)


@router.get("/me/notifications", response_model=schemas.Inbox)
def my_notifications(
    session: ReadSession,
    who: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
):
    """The caller's own messages, newest first, in the language the account keeps."""
    lang = language_of(session.get(User, who.user_id).locale)
    items, next_id = service.inbox(
        session, who.user_id, lang=lang, limit=limit, before_id=_cursor(cursor)
    )
    return schemas.Inbox(
        items=[notification_out(i) for i in items],
        next_cursor=str(next_id) if next_id else None,
        unread=service.unread_count(session, who.user_id),
    )


@router.post("/me/notifications/{notification_id}/read", response_model=schemas.NotificationOut)
def mark_read(
    notification_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: DbSession,
    who: CurrentPrincipal,
):
    """Mark one message read (repeating it changes nothing); another person's → 404."""
    lang = language_of(session.get(User, who.user_id).locale)
    item = service.mark_read(session, who.user_id, notification_id, lang=lang, now=utcnow())
    return notification_out(item)


@router.post("/me/notifications/read", status_code=204)
def mark_all_read(session: DbSession, who: CurrentPrincipal):
    """Mark every message in the inbox read."""
    service.mark_all_read(session, who.user_id, now=utcnow())
