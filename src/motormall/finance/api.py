"""Finance routes: quotes, the caller's credit, the carmaker's credit policy, applications."""

from __future__ import annotations

from fastapi import APIRouter

from motormall.finance import rules, schemas, service
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, ReadSession
from motormall.platform.money import MoneyOut

router = APIRouter(tags=["finance"])


def quote_out(q: rules.Quote) -> schemas.QuoteOut:
    def money(amount):
        return MoneyOut.of(amount, "CNY")

    return schemas.QuoteOut(
        product=q.product,
        price=money(q.price),
        down_payment=money(q.down_payment),
        amount_financed=money(q.amount_financed),
        fees=money(q.fee),
        rate=f"{q.rate * 100:.2f}",
        apr=f"{q.apr:.2f}",
        term_months=q.term_months,
        monthly_payment=money(q.monthly_payment),
        residual_value=money(q.residual_value),
        total_payable=money(q.total_payable),
        rounding=service.ROUNDING,
        schedule=[
            schemas.ScheduleRow(
                n=r.n,
                due_date=r.due_date.isoformat(),
                principal=f"{r.principal:.2f}",
                interest=f"{r.interest:.2f}",
                balance=f"{r.balance:.2f}",
            )
            for r in q.schedule
        ],
    )


@router.post("/finance/quotes", response_model=schemas.QuoteOut)
def create_quote(body: schemas.QuoteIn, session: ReadSession, settings: AppSettings):
    """Price a car for cash, hire purchase or lease: the schedule, the monthly payment and
    the APR with fees included. Public: no token needed. Nothing is stored."""
    q = service.quote(
        session, body, terms=rules.Terms(), now=utcnow(), tz=settings.default_timezone
    )
    return quote_out(q)
