"""Payment tables: intents, refunds, and every provider notification we received."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from motormall.platform.auth import new_id
from motormall.platform.db import Base, UTCDateTime, utcnow
from motormall.platform.money import Cents


class IntentStatus(enum.StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"
    flagged = "flagged"  # the provider reported something we refused (e.g. another amount)


class Purpose(enum.StrEnum):
    deposit = "deposit"
    balance = "balance"
    down_payment = "down_payment"  # a financed order's down payment, less its deposit
    instalment = "instalment"  # a finance contract's monthly payment (payable "instalment")
    payoff = "payoff"  # a finance contract repaid early (payable "instalment", the contract id)


class RefundStatus(enum.StrEnum):
    pending = "pending"  # recorded; the provider is asked by a job after commit
    succeeded = "succeeded"
    failed = "failed"  # the provider kept refusing: a person must look (audit log)


class PaymentIntent(Base):
    __tablename__ = "payment_intents"
    __table_args__ = (Index("ix_payment_intents_status_created", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # what the money is for, through the payments.settlement port ("order", ...)
    payable: Mapped[str] = mapped_column(String(20), default="order")
    payable_id: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(String(32), index=True)  # groups ledger postings
    customer_id: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default=IntentStatus.pending.value)
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    pay_url: Mapped[str] = mapped_column(String(2000), default="")
    refunded: Mapped[Decimal] = mapped_column(Cents, default=Decimal("0.00"))
    flag: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    intent_id: Mapped[str] = mapped_column(ForeignKey("payment_intents.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=RefundStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ProviderNotification(Base):
    """Every notification that passed its signature check, once: a replay finds its row."""

    __tablename__ = "provider_notifications"
    __table_args__ = (UniqueConstraint("provider", "notification_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    notification_id: Mapped[str] = mapped_column(String(128))
    intent_id: Mapped[str | None] = mapped_column(String(32), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
