"""The customers domain's own tables (accounts themselves live in platform/auth.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from motormall.platform.db import Base, UTCDateTime, utcnow


class CustomerDealer(Base):
    """A dealer this customer has dealt with (a lead assigned to it, an order it delivers or
    is credited with, later a test drive or a service visit): dealer staff may open the
    customer's timeline only when a row here names their dealer."""

    __tablename__ = "customer_dealers"

    customer_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    dealer_id: Mapped[int] = mapped_column(
        ForeignKey("dealers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    via: Mapped[str] = mapped_column(String(40))  # the first dealing: lead, order, ...
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PasswordResetToken(Base):
    """A one-time reset link: only its SHA-256 is kept, it expires, and it is spent once."""

    __tablename__ = "password_reset_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
