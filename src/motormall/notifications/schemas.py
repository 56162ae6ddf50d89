"""API shapes of the customer's inbox."""

from __future__ import annotations

from pydantic import BaseModel


class NotificationOut(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    link: str | None
    created_at: str
    read_at: str | None


class Inbox(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None
    unread: int
