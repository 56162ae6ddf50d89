"""Contract and instalment routes: read and accept the contract, list instalments, pay one,
quote and pay an early payoff."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from motormall.finance import collections, contracts, schemas
from motormall.finance.models import FinanceContract, Instalment
from motormall.orders import service as orders
from motormall.payments import service as payments
from motormall.payments.models import Purpose
from motormall.payments.schemas import IntentOut, intent_out
from motormall.platform import idempotency
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import (
    AppSettings,
    CurrentPrincipal,
    DbSession,
    ReadSession,
    idempotency_key,
    require,
)
from motormall.platform.errors import Invalid, NotFound
from motormall.platform.money import MoneyOut

router = APIRouter(tags=["finance"])
Customer = Annotated[Principal, require(Role.customer)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def contract_out(c: FinanceContract) -> schemas.ContractOut:
    t = c.terms
    return schemas.ContractOut(
        id=c.id,
        order_id=c.order_id,
        product=c.product,
        status=c.status,
        sha256=c.sha256,
        pdf_url=f"/api/v1/orders/{c.order_id}/contract.pdf",
        amount_financed=MoneyOut.of(Decimal(t["amount_financed"])),
        monthly_payment=MoneyOut.of(Decimal(t["monthly_payment"])),
        term_months=t["term_months"],
        apr=t["apr"],
        collections=c.collections,
        accepted_at=c.accepted_at.isoformat() if c.accepted_at else None,
    )


@router.get("/orders/{order_id}/contract", response_model=schemas.ContractOut)
def get_contract(order_id: str, session: ReadSession, who: CurrentPrincipal):
    """The finance contract offered once the application is approved."""
    return contract_out(contracts.contract_for(session, who, order_id)[1])


@router.get(
    "/orders/{order_id}/contract.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_contract_pdf(order_id: str, session: ReadSession, who: CurrentPrincipal):
    """The contract as a PDF (English and Chinese); its SHA-256 is in the contract view."""
    _, c = contracts.contract_for(session, who, order_id)
    if c.pdf is None:
        raise contracts.not_ready()
    return Response(
        c.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="contract-{order_id}.pdf"'},
    )


@router.post("/orders/{order_id}/contract/accept", response_model=schemas.ContractOut)
def accept_contract(order_id: str, body: schemas.AcceptIn, session: DbSession, who: Customer):
    """Accept the contract you read, named by its SHA-256: the order becomes `contracted`
    and the instalments are scheduled."""
    return contract_out(contracts.accept(session, who, order_id, body.sha256, now=utcnow()))


@router.get("/orders/{order_id}/instalments", response_model=schemas.InstalmentList)
def list_instalments(order_id: str, session: ReadSession, who: CurrentPrincipal):
    """Every instalment of the order's accepted contract: paid, due, late or upcoming (an
    order without an accepted contract has none)."""
    order = orders.get_for(session, who, order_id)
    contract = session.scalar(select(FinanceContract).where(FinanceContract.order_id == order.id))
    if contract is None:
        return schemas.InstalmentList(items=[])
    today = utcnow().date()
    return schemas.InstalmentList(
        items=[
            schemas.InstalmentOut(
                id=i.id,
                n=i.n,
                due_date=i.due_date.isoformat(),
                principal=f"{i.principal:.2f}",
                interest=f"{i.interest:.2f}",
                late_fee=f"{i.late_fee:.2f}",
                amount=MoneyOut.of(contracts.amount_of(i)),
                status=contracts.shown_status(i, today),
            )
            for i in contracts.instalments_of(session, contract.id)
        ]
    )


def _pay(session, who, settings, key, scope, body, payable_id, purpose):
    def work():
        intent = payments.create_intent(
            session,
            who,
            payable="instalment",
            payable_id=payable_id,
            amount=body,
            purpose=purpose,
            settings=settings,
            now=utcnow(),
        )
        return intent_out(intent).model_dump(mode="json")

    return idempotency.respond(
        session, scope=scope, key=key, body={"payable": payable_id}, work=work
    )


@router.post(
    "/orders/{order_id}/instalments/{n}/payments", status_code=201, response_model=IntentOut
)
def pay_instalment(
    order_id: str,
    n: int,
    session: DbSession,
    who: Customer,
    settings: AppSettings,
    key: IdempotencyKey,
):
    """Pay one instalment now at the provider (the scheduled collection does this itself
    once a mandate is signed)."""
    _, contract = contracts.contract_for(session, who, order_id)
    inst = session.scalar(
        select(Instalment).where(Instalment.contract_id == contract.id, Instalment.n == n)
    )
    if inst is None:
        raise NotFound("instalment_not_found", f"Order {order_id} has no instalment {n}.")
    scope = f"{who.user_id}:POST /orders/{order_id}/instalments/{n}/payments"
    amount = contracts.amount_of(inst)
    return _pay(session, who, settings, key, scope, amount, inst.id, Purpose.instalment)


@router.get("/orders/{order_id}/payoff", response_model=schemas.PayoffOut)
def payoff(order_id: str, session: ReadSession, who: CurrentPrincipal):
    """What repaying the whole contract today costs, to the cent."""
    _, contract = contracts.contract_for(session, who, order_id)
    rows = contracts.open_instalments(session, contract.id)
    now = utcnow()
    amount = contracts.payoff_amount(rows, now.date(), Decimal(contract.terms["rate_pct"]) / 100)
    return schemas.PayoffOut(amount=MoneyOut.of(amount), on=now.date().isoformat())


@router.post("/orders/{order_id}/payoff/payments", status_code=201, response_model=IntentOut)
def pay_off(
    order_id: str, session: DbSession, who: Customer, settings: AppSettings, key: IdempotencyKey
):
    """Start paying the contract off today (the amount of GET /payoff)."""
    _, contract = contracts.contract_for(session, who, order_id)
    rows = contracts.open_instalments(session, contract.id)
    today = utcnow().date()
    amount = contracts.payoff_amount(rows, today, Decimal(contract.terms["rate_pct"]) / 100)
    scope = f"{who.user_id}:POST /orders/{order_id}/payoff/payments"
    return _pay(session, who, settings, key, scope, amount, contract.id, Purpose.payoff)


# --- mandates and collections -------------------------------------------------------------


def mandate_out(m, order_id: str, settings) -> schemas.MandateOut:
    return schemas.MandateOut(
        id=m.id,
        status=m.status,
        provider=m.provider,
        sign_url=collections.sign_url(m, order_id, settings=settings),
    )


@router.post("/orders/{order_id}/mandate", status_code=201, response_model=schemas.MandateOut)
def start_mandate(order_id: str, session: DbSession, who: Customer, settings: AppSettings):
    """Start the recurring-debit mandate for the accepted contract; sign it at `sign_url`
    (the provider's page: Alipay's agreement sign-up, or the sandbox's). Asking again
    returns the same mandate."""
    m = collections.start_mandate(session, who, order_id, settings=settings, now=utcnow())
    return mandate_out(m, order_id, settings)


async def raw_body(request: Request) -> bytes:
    """Awaited here so the route stays a plain `def` whose database work runs in a thread."""
    return await request.body()


@router.post("/finance/mandates/notify/{provider}")
def mandate_notification(
    provider: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    body: Annotated[bytes, Depends(raw_body)],
):
    """The provider's signed word that a buyer signed (or ended) a mandate; a bad signature
    → 400 `bad_signature`, a replay changes nothing. Answered as the provider expects (Alipay:
    the literal `success`, or it keeps resending)."""
    if len(body) > 64 * 1024:
        raise Invalid("payload_too_large", "Notification too large.")
    headers = {k.lower(): v for k, v in request.headers.items()}
    m = collections.mandate_notified(
        session, provider, headers, body, settings=settings, now=utcnow()
    )
    if provider == "alipay":
        return Response(b"success", media_type="text/plain")
    return {"mandate": m.id, "status": m.status}


@router.get("/admin/finance/arrears", response_model=list[schemas.ContractOut])
def arrears(session: ReadSession, who: Annotated[Principal, require(Role.oem_admin)]):
    """Contracts flagged for collections after repeated failed debits."""
    return [contract_out(c) for c in collections.arrears(session)]
