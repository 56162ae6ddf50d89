"""Finance routes: quotes, the caller's credit, the carmaker's credit policy, applications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from motormall.finance import applications, credit, messages, policy, rules, schemas, service
from motormall.finance.models import FinanceApplication
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, CurrentPrincipal, DbSession, ReadSession, require
from motormall.platform.errors import Invalid
from motormall.platform.money import MoneyOut
from motormall.web import i18n

router = APIRouter(tags=["finance"])
Customer = Annotated[Principal, require(Role.customer)]
Admin = Annotated[Principal, require(Role.oem_admin)]
AcceptLanguage = Annotated[str | None, Header(alias="Accept-Language", max_length=200)]


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
    """Price a car for cash, hire purchase or lease under the carmaker's current terms: the
    schedule, the monthly payment and the APR with fees included. Public: no token needed.
    Nothing is stored, so the answer is 200, not 201."""
    _, values = policy.current(session)
    q = service.quote(
        session, body, terms=policy.terms(values), now=utcnow(), tz=settings.default_timezone
    )
    return quote_out(q)


# --- credit -------------------------------------------------------------------------------


def _reasons(codes, lang: str) -> list[schemas.ReasonOut]:
    return [schemas.ReasonOut(code=c, text=messages.text(c, lang)) for c in codes]


def _lang(accept: str | None) -> str:
    return i18n.pick_language(None, None, accept)


def _credit(session, who: Principal, settings, accept) -> schemas.CreditOut:
    row, result = credit.score_of(session, who.user_id, settings=settings)
    return _credit_out(result, row, accept)


def _credit_out(result, row, accept) -> schemas.CreditOut:
    return schemas.CreditOut(
        score=result.score,
        band=result.band,
        reasons=_reasons([r.code for r in result.reasons], _lang(accept)),
        model_version=result.model_version,
        as_of=row.updated_at.isoformat(),
    )


@router.put("/me/credit-profile", response_model=schemas.CreditOut)
def put_credit_profile(
    body: schemas.CreditProfileIn,
    session: DbSession,
    who: Customer,
    settings: AppSettings,
    accept: AcceptLanguage = None,
):
    """Declare (or replace) what credit is decided on; answers with the new credit view.
    Optional fields left out score neutrally; a reason then says declaring them may help."""
    if body.monthly_income.currency != "CNY" or body.monthly_debt_payments.currency != "CNY":
        raise Invalid("currency_not_supported", "Declare income and debts in CNY.")
    data = body.model_dump()
    data["monthly_income"] = body.monthly_income.amount
    data["monthly_debt_payments"] = body.monthly_debt_payments.amount
    now = utcnow()
    # the provider first, before this request's transaction begins (the session has not been
    # used yet): a slow or failing bureau then holds no lock, and a failure stores nothing
    result = credit.score_declared(who.user_id, credit.declared(data, now=now), settings=settings)
    row = credit.save_profile(session, who.user_id, data, now=now)
    return _credit_out(result, row, accept)


@router.get("/me/credit", response_model=schemas.CreditOut)
def get_credit(
    session: ReadSession, who: Customer, settings: AppSettings, accept: AcceptLanguage = None
):
    """The caller's score on 350–950, its band and the reasons that cost the most points
    (in the language of `Accept-Language`); 404 `no_credit_profile` before a profile."""
    return _credit(session, who, settings, accept)


# --- policy -------------------------------------------------------------------------------


def _policy_out(version: int, values: dict) -> schemas.PolicyOut:
    return schemas.PolicyOut(version=version, **values)


@router.get("/admin/credit/policy", response_model=schemas.PolicyOut)
def get_policy(session: ReadSession, who: Admin):
    """The policy in force and its version (0: the defaults, never changed)."""
    return _policy_out(*policy.current(session))


@router.put("/admin/credit/policy", response_model=schemas.PolicyOut)
def put_policy(body: schemas.PolicyIn, session: DbSession, who: Admin):
    """Change any subset of the policy; each change is a new version, and each application
    records the version it was decided under."""
    changes = body.model_dump(mode="json", exclude_none=True)
    if "min_down_payment_pct" in changes:
        changes["min_down_payment_pct"] = {
            k: v for k, v in changes["min_down_payment_pct"].items() if v is not None
        }
    return _policy_out(*policy.update(session, changes, actor_id=who.user_id, now=utcnow()))


# --- applications -------------------------------------------------------------------------


def application_out(app: FinanceApplication, lang: str) -> schemas.ApplicationOut:
    return schemas.ApplicationOut(
        id=app.id,
        order_id=app.order_id,
        decision=app.decision,
        outcome=app.outcome,
        reasons=_reasons(app.reasons, lang),
        score=app.score,
        policy_version=app.policy_version,
        model_version=app.model_version,
        created_at=app.created_at.isoformat(),
        review_note=app.review_note,
    )


@router.post(
    "/orders/{order_id}/finance-application",
    status_code=201,
    response_model=schemas.ApplicationOut,
)
def apply_for_finance(
    order_id: str,
    read: ReadSession,
    session: DbSession,
    who: Customer,
    settings: AppSettings,
    accept: AcceptLanguage = None,
):
    """Apply for the order's hire purchase or lease once the deposit is paid. The answer is
    `approved`, `declined` or `referred` (a credit officer decides), with reasons. One
    application per order: another → 409 `application_pending` / `application_decided`."""
    now = utcnow()
    # the score first, in a read that has ended, so no lock is held while a bureau answers
    scored = applications.score_first(read, who, order_id, now=now, settings=settings)
    app = applications.apply(session, who, order_id, now=now, settings=settings, scored=scored)
    return application_out(app, _lang(accept))


@router.get("/orders/{order_id}/finance-application", response_model=schemas.ApplicationOut)
def get_application(
    order_id: str, session: ReadSession, who: CurrentPrincipal, accept: AcceptLanguage = None
):
    """The order's application: its buyer, the order's dealers and the carmaker see it."""
    return application_out(applications.for_order(session, who, order_id), _lang(accept))


@router.get("/admin/finance/applications", response_model=schemas.ApplicationList)
def referred_queue(
    session: ReadSession,
    who: Admin,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    accept: AcceptLanguage = None,
):
    """The referred queue: applications waiting for a credit officer, oldest first."""
    items = applications.referred(session, limit=limit)
    return schemas.ApplicationList(items=[application_out(a, _lang(accept)) for a in items])


@router.post(
    "/admin/finance/applications/{application_id}/review", response_model=schemas.ApplicationOut
)
def review_application(
    application_id: str,
    body: schemas.ReviewIn,
    session: DbSession,
    who: Admin,
    accept: AcceptLanguage = None,
):
    """Approve or decline a referred application, with a note kept beside the decision."""
    app = applications.review(
        session,
        who,
        application_id,
        approve=body.decision == "approved",
        note=body.note,
        now=utcnow(),
    )
    return application_out(app, _lang(accept))
