"""Double-entry ledger: every money movement is one transaction whose postings balance.

Accounts (a name, optionally `:<party>`):
  provider_clearing:<provider>     asset      money held for us at a payment provider
  customer_deposits                liability  deposits for cars not yet handed over
  customer_payments                liability  balance payments for cars not yet handed over
  carmaker_revenue                 income     recognised at handover, reversed on return
  dealer_commission_expense        expense    the carmaker's cost of crediting a dealer
  dealer_commission_payable:<code> liability  owed to the dealer credited with the sale
  marketing_expense                expense    campaign coupons: the part of a car's price the
                                              carmaker paid (revenue stays the list price)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from motormall.platform.db import Base, UTCDateTime, utcnow
from motormall.platform.money import Cents, round_money

ZERO = Decimal("0.00")


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[str | None] = mapped_column(String(32), index=True)
    intent_id: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    memo: Mapped[str] = mapped_column(String(200), default="")
    # through the relationship the unit of work sets each posting's transaction id itself:
    # post() needs no flush, and a batch of them goes out as one multi-row insert per table
    postings: Mapped[list[LedgerPosting]] = relationship(lazy="raise_on_sql")


class LedgerPosting(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="not_negative"),
        CheckConstraint("(debit = 0) <> (credit = 0)", name="one_side"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[str] = mapped_column(String(80), index=True)
    debit: Mapped[Decimal] = mapped_column(Cents, default=ZERO)
    credit: Mapped[Decimal] = mapped_column(Cents, default=ZERO)
    currency: Mapped[str] = mapped_column(String(3))


@dataclass(frozen=True)
class Line:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def debit(account: str, amount: Decimal) -> Line:
    return Line(account, debit=round_money(amount))


def credit(account: str, amount: Decimal) -> Line:
    return Line(account, credit=round_money(amount))


class Unbalanced(ValueError):
    pass


def post(
    session: Session,
    kind: str,
    lines: list[Line],
    *,
    currency: str,
    order_id: str | None = None,
    intent_id: str | None = None,
    memo: str = "",
) -> LedgerTransaction:
    """Record one balanced transaction in one currency; refuses anything else."""
    lines = [ln for ln in lines if ln.debit or ln.credit]
    debits = sum((ln.debit for ln in lines), ZERO)
    credits = sum((ln.credit for ln in lines), ZERO)
    if not lines or debits != credits:
        raise Unbalanced(f"{kind}: debits {debits} != credits {credits}")
    txn = LedgerTransaction(
        kind=kind,
        order_id=order_id,
        intent_id=intent_id,
        currency=currency,
        memo=memo[:200],
        postings=[
            LedgerPosting(account=ln.account, debit=ln.debit, credit=ln.credit, currency=currency)
            for ln in lines
        ],
    )
    session.add(txn)
    return txn


def balance(session: Session) -> tuple[bool, list[dict]]:
    """Per account and currency: debits, credits and balance; True when the books balance
    in every currency."""
    rows = session.execute(
        select(
            LedgerPosting.account,
            LedgerPosting.currency,
            func.sum(LedgerPosting.debit),
            func.sum(LedgerPosting.credit),
        )
        .group_by(LedgerPosting.account, LedgerPosting.currency)
        .order_by(LedgerPosting.currency, LedgerPosting.account)
    ).all()
    accounts, totals = [], {}
    for account, currency, d, c in rows:
        d, c = d or ZERO, c or ZERO
        accounts.append(
            {
                "account": account,
                "currency": currency,
                "debit": f"{d:.2f}",
                "credit": f"{c:.2f}",
                "balance": f"{d - c:.2f}",
            }
        )
        td, tc = totals.get(currency, (ZERO, ZERO))
        totals[currency] = (td + d, tc + c)
    return all(d == c for d, c in totals.values()), accounts


def account_balance(session: Session, account: str, *, order_id: str | None = None) -> Decimal:
    """Credits minus debits on `account` (a liability's natural sign), optionally for one order."""
    stmt = select(func.sum(LedgerPosting.credit), func.sum(LedgerPosting.debit)).where(
        LedgerPosting.account == account
    )
    if order_id is not None:
        stmt = stmt.join(LedgerTransaction).where(LedgerTransaction.order_id == order_id)
    c, d = session.execute(stmt).one()
    return (c or ZERO) - (d or ZERO)


def reverse(session: Session, kind: str, *, order_id: str, as_kind: str) -> int:
    """Post the mirror image of every `kind` transaction of an order (debits become credits)."""
    done = 0
    for txn in session.scalars(
        select(LedgerTransaction).where(
            LedgerTransaction.order_id == order_id, LedgerTransaction.kind == kind
        )
    ):
        postings = session.scalars(
            select(LedgerPosting).where(LedgerPosting.transaction_id == txn.id)
        ).all()
        post(
            session,
            as_kind,
            [Line(p.account, debit=p.credit, credit=p.debit) for p in postings],
            currency=txn.currency,
            order_id=order_id,
            memo=f"reverses transaction {txn.id}",
        )
        done += 1
    return done
