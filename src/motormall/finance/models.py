"""Finance tables: declared credit profiles, the carmaker's credit policy (versioned), and
finance applications with everything a decision was made on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from motormall.platform.auth import new_id
from motormall.platform.db import Base, UTCDateTime, utcnow
from motormall.platform.money import Cents


class CreditProfile(Base):
    """What a customer declared about themselves for credit (one row per customer)."""

    __tablename__ = "credit_profiles"

    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    birth_date: Mapped[dt.date] = mapped_column(Date)
    monthly_income: Mapped[Decimal] = mapped_column(Cents)
    monthly_debt_payments: Mapped[Decimal] = mapped_column(Cents)
    employment: Mapped[str] = mapped_column(String(20))
    employment_years: Mapped[int] = mapped_column(Integer)
    housing: Mapped[str] = mapped_column(String(10))
    # the optional declarations (current_account, savings, ...), as the API schema names them
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditPolicy(Base):
    """One version of the carmaker's credit policy; the highest version is in force."""

    __tablename__ = "credit_policies"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    values: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FinanceApplication(Base):
    """One order's application for hire purchase or lease, and how it was decided.

    `decision` is what the rules said (approved, declined, referred); a referred application
    is settled by a person (`outcome`, `reviewer_id`, `review_note`). One per order: the
    unique index refuses a second even when two requests race."""

    __tablename__ = "finance_applications"
    __table_args__ = (
        Index("uq_finance_applications_order", "order_id", unique=True),
        Index("ix_finance_applications_outcome", "outcome", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    product: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(10))  # approved | declined | referred
    outcome: Mapped[str] = mapped_column(String(10))  # approved | declined | pending
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    policy_version: Mapped[int] = mapped_column(Integer)
    model_version: Mapped[str] = mapped_column(String(40))
    reviewer_id: Mapped[str | None] = mapped_column(String(32))
    review_note: Mapped[str | None] = mapped_column(String(1000))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FinanceContract(Base):
    """The contract offered once an application is approved, and accepted by the buyer.

    `pdf` is the document itself and `sha256` its digest: acceptance names the digest, so the
    buyer accepts exactly the bytes they were shown. `terms` keeps the quote and schedule."""

    __tablename__ = "finance_contracts"
    __table_args__ = (Index("uq_finance_contracts_order", "order_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    application_id: Mapped[str] = mapped_column(ForeignKey("finance_applications.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    product: Mapped[str] = mapped_column(String(20))
    terms: Mapped[dict] = mapped_column(JSON)
    # written by a job after the offer commits (rendering takes ~45 ms: not in the decision)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # offered | accepted | paid_off | cancelled
    collections: Mapped[bool] = mapped_column(Boolean, default=False)  # flagged for arrears
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Instalment(Base):
    """One scheduled payment of an accepted contract."""

    __tablename__ = "instalments"
    __table_args__ = (
        Index("uq_instalments_contract_n", "contract_id", "n", unique=True),
        Index("ix_instalments_status_due", "status", "due_date"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    contract_id: Mapped[str] = mapped_column(ForeignKey("finance_contracts.id"))
    order_id: Mapped[str] = mapped_column(String(32), index=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    n: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[dt.date] = mapped_column(Date)
    principal: Mapped[Decimal] = mapped_column(Cents)
    interest: Mapped[Decimal] = mapped_column(Cents)
    late_fee: Mapped[Decimal] = mapped_column(Cents, default=Decimal("0.00"))
    # what the latest payment asked for: settling posts exactly this, even if a late fee was
    # charged after the payment started (that fee is then not taken for this instalment)
    collecting: Mapped[Decimal | None] = mapped_column(Cents)
    # scheduled | late | paid | paid_off | cancelled (with its order)
    status: Mapped[str] = mapped_column(String(12))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # after a failure
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Mandate(Base):
    """The buyer's recurring-debit authorisation for one contract, signed at the provider
    (Alipay's agreement sign-up; the sandbox's own page). Collections debit through it."""

    __tablename__ = "finance_mandates"
    __table_args__ = (Index("uq_finance_mandates_contract", "contract_id", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    contract_id: Mapped[str] = mapped_column(ForeignKey("finance_contracts.id"))
    customer_id: Mapped[str] = mapped_column(String(32), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    # the provider's name for the signed mandate (Alipay's agreement_no): debits quote it
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))  # pending | active | ended
    # sandbox only: how many of the next debits the pretend bank refuses (tests, demos)
    sandbox_refusals: Mapped[int] = mapped_column(Integer, default=0)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # a mandate we end (cancel, return) is ended at the provider too, by a job after commit:
    # None (nothing to tell) | pending | done | failed (refused END_ATTEMPTS times: a person)
    provider_end: Mapped[str | None] = mapped_column(String(10))
    end_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    end_error: Mapped[str | None] = mapped_column(String(200))
