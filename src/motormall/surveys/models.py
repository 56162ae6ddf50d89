"""Survey tables: surveys the carmaker sends straight to customers (one token each), and the
cases a dissatisfied answer opens for the dealer's manager."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from motormall.platform.auth import new_id
from motormall.platform.db import Base, UTCDateTime, utcnow


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = (
        # one survey per handover or visit: a replayed event makes no second one
        Index("uq_surveys_subject", "about", "subject_id", unique=True),
        Index("ix_surveys_customer", "customer_id", "expires_at"),
        Index("ix_surveys_dealer", "dealer_id", "answered_at"),
        CheckConstraint("csat IS NULL OR csat BETWEEN 1 AND 5", name="csat_range"),
        CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", name="nps_range"),
    )

    # the one-time link's secret; unguessable, so it is also the key
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    # the token's first 12 characters: what events and evidence name the survey by (never
    # the whole token), and what the analytics copy joins answers on
    ref: Mapped[str | None] = mapped_column(
        String(12), index=True, default=lambda ctx: ctx.get_current_parameters()["token"][:12]
    )
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    about: Mapped[str] = mapped_column(String(20))  # handover | service | test_drive | case
    # the order, the appointment, or "<case id>:<n>" (the case's n-th resolution)
    subject_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    csat: Mapped[int | None] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    incentive_offered: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)  # stored as typed, escaped when shown
    # a survey about a closed case asks whether it was really resolved (no: it reopens)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    # where the answer came from, as keyed hashes (platform/origin.py), never the address:
    # matched against the dealer's staff logins by the integrity screen
    answer_network: Mapped[str | None] = mapped_column(String(32))
    answer_device: Mapped[str | None] = mapped_column(String(32))
    # the comment's clear sentiment, read once when answered (sentiment.mood): positive |
    # negative | neutral; None for no comment
    comment_mood: Mapped[str | None] = mapped_column(String(10))


class Case(Base):
    """A dissatisfied customer's case: the dealer's manager must act before `due_at`, or the
    sweep escalates it to the carmaker."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_dealer", "dealer_id", "id"),
        Index("ix_cases_due", "status", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    survey_token: Mapped[str | None] = mapped_column(ForeignKey("surveys.token"), unique=True)
    # survey (a dissatisfied answer) | complaint (the customer wrote to the carmaker)
    source: Mapped[str] = mapped_column(String(20), default="survey", server_default="survey")
    about: Mapped[str | None] = mapped_column(String(20))  # a complaint's subject
    text: Mapped[str | None] = mapped_column(Text)  # a complaint as typed, escaped when shown
    resolutions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # open | contacted | escalated (overdue: the carmaker follows it) | resolved
    status: Mapped[str] = mapped_column(String(20), default="open")
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CaseEvent(Base):
    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # opened|note|contacted|resolved|escalated|reopened|confirmed
    type: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
