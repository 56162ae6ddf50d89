"""The customers domain's own tables (accounts themselves live in platform/auth.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    text,
)
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


class CustomerIdentity(Base):
    """A customer's ID number and ID photo, and with biometric consent the face template
    from that photo. Every personal value is sealed (customers/vault.py): the plain number
    is never stored, only its sealed form, a keyed hash (to match one person across
    accounts) and its last four characters (to show what is on file)."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        # no template without consent, whatever code writes the row
        CheckConstraint(
            "face_template IS NULL OR consent_biometrics",
            name="ck_customer_identities_template_needs_consent",
        ),
        CheckConstraint(
            "(face_template IS NULL) = (face_dimensions IS NULL)",
            name="ck_customer_identities_template_dimensions",
        ),
    )

    customer_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    id_number: Mapped[bytes] = mapped_column(LargeBinary)  # sealed
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)  # HMAC-SHA256 hex
    id_number_last4: Mapped[str] = mapped_column(String(4))
    id_photo: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed JPEG, re-encoded
    consent_biometrics: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    face_template: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed float32 bytes
    face_dimensions: Mapped[int | None] = mapped_column(Integer)
    face_model_version: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerMerge(Base):
    """One account folded into another (the survivor) by the carmaker. Nothing of the merged
    account is rewritten, here or in other domains: reads resolve the survivor's accounts from
    this table, the merged account cannot log in while the merge stands, and undoing it
    (`undone_at`) restores both as they were."""

    __tablename__ = "customer_merges"
    __table_args__ = (
        # an account is merged into at most one survivor at a time
        Index(
            "uq_customer_merges_live",
            "merged_id",
            unique=True,
            sqlite_where=text("undone_at IS NULL"),
            postgresql_where=text("undone_at IS NULL"),
        ),
        CheckConstraint("merged_id <> survivor_id", name="ck_customer_merges_not_self"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merged_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"))
    survivor_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    undone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("users.id"))
