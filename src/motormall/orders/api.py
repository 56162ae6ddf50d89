"""Order routes: reserve, read, cancel, prepare, hand over, return, pay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

from motormall.catalog.models import Dealer, Tower
from motormall.orders import refusal, schemas, service
from motormall.orders.models import Order
from motormall.orders.rules import ENDED
from motormall.payments import service as payments
from motormall.payments.models import Purpose
from motormall.payments.schemas import IntentOut, intent_out
from motormall.platform import errors, idempotency, pages
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import (
    AppDatabase,
    AppSettings,
    CurrentPrincipal,
    DbSession,
    ReadSession,
    idempotency_key,
    require,
)
from motormall.platform.errors import Forbidden, Invalid
from motormall.platform.http import in_flight
from motormall.platform.money import MoneyOut

router = APIRouter(tags=["orders"])
Customer = Annotated[Principal, require(Role.customer)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def order_out(session, order: Order) -> schemas.OrderOut:
    intents = payments.intents_of(session, order.id)
    paid = payments.paid_total(session, order.id, intents=intents)
    # one read for both codes (a loaded Dealer would also fetch its brands)
    wanted = {order.delivery_dealer_id, order.credited_dealer_id} - {None}
    codes = dict(session.execute(select(Dealer.id, Dealer.code).where(Dealer.id.in_(wanted))).all())
    if order.delivery_tower_id:
        delivery = schemas.Delivery(
            kind="tower",
            code=session.scalar(select(Tower.code).where(Tower.id == order.delivery_tower_id)),
        )
    else:
        delivery = schemas.Delivery(kind="dealer", code=codes[order.delivery_dealer_id])
    ended = order.status in {s.value for s in ENDED}
    due = Decimal("0.00") if ended else max(order.price - paid, Decimal("0.00"))

    def money(amount):
        return MoneyOut.of(amount, order.currency)

    return schemas.OrderOut(
        id=order.id,
        status=order.status,
        vin=order.vin,
        product=order.product,
        term_months=order.term_months,
        price=money(order.price),
        deposit=money(order.deposit),
        paid=money(paid),
        balance_due=money(due),
        down_payment_due=money(
            service.down_payment_due(order) if order.status == "contracted" else Decimal("0.00")
        ),
        delivery=delivery,
        credited_dealer=codes.get(order.credited_dealer_id),
        expires_at=order.expires_at.isoformat() if order.expires_at else None,
        created_at=order.created_at.isoformat(),
        handed_over_at=order.handed_over_at.isoformat() if order.handed_over_at else None,
        payments=[
            schemas.PaymentSummary(
                id=i.id,
                purpose=i.purpose,
                amount=money(i.amount),
                status=i.status,
                refunded=money(i.refunded),
            )
            for i in intents
        ],
    )


@router.post(
    "/orders",
    status_code=201,
    response_model=schemas.OrderOut,
    responses={409: {"description": "vehicle_unavailable"}},
)
async def create_order(
    request: Request,
    body: schemas.OrderIn,
    who: Customer,
    settings: AppSettings,
    key: IdempotencyKey,
    db: AppDatabase,
):
    """Reserve a vehicle by VIN. It is held until `expires_at`; pay the deposit before then.
    Send an `Idempotency-Key` so a retried request never makes a second order."""
    scope = f"{who.user_id}:POST /orders"
    # a plainly taken car is refused in one read, without a worker thread, a write or its
    # lock; answered rather than raised (unwinding FastAPI's layers cost more than the read)
    if await db.glance(
        refusal.plainly_unavailable, body.vin, now=utcnow(), key_scope=scope, key=key
    ):
        return errors.reply(service.unavailable(body.vin.strip().upper()))

    def reserve_once(session):
        # first, under the writer's lock: a queue of buyers for one car is refused in a read
        if refusal.plainly_unavailable(session, body.vin, now=utcnow(), key_scope=scope, key=key):
            raise service.unavailable(body.vin.strip().upper())
        return idempotency.respond(
            session,
            scope=scope,
            key=key,
            body=body.model_dump(mode="json"),
            work=lambda: _reserve(session, who, body, settings),
        )

    return await db.write_now(reserve_once, slot=in_flight(request))


def _reserve(session, who: Principal, body: schemas.OrderIn, settings) -> dict:
    req = service.ReserveRequest(
        vin=body.vin,
        product=body.product,
        delivery_dealer=body.delivery_dealer,
        term_months=body.term_months,
        down_payment=body.down_payment,
        coupon=body.coupon,
    )
    order = service.reserve(session, who, req, now=utcnow(), settings=settings)
    return order_out(session, order).model_dump(mode="json")


@router.get("/orders", response_model=schemas.OrderList)
def list_orders(
    session: ReadSession,
    who: CurrentPrincipal,
    status: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    """The caller's orders, newest first: a buyer's own, a dealer's deliveries and credited
    sales, a tower's handovers; OEM admins see all."""
    before = None
    if cursor:
        before = pages.decode(cursor, tuple[dt.datetime, pages.KeyText])
    rows = service.list_for(session, who, statuses=status, limit=limit + 1, before=before)
    items = rows[:limit]
    next_cursor = (
        pages.encode([items[-1].created_at.isoformat(), items[-1].id])
        if len(rows) > limit
        else None
    )
    return schemas.OrderList(items=[order_out(session, o) for o in items], next_cursor=next_cursor)


@router.get("/orders/{order_id}", response_model=schemas.OrderOut)
def get_order(order_id: str, session: ReadSession, who: CurrentPrincipal):
    order = order_out(session, service.get_for(session, who, order_id))
    # serialised once here; returned as a model it would be validated again on the way out
    return Response(order.model_dump_json(), media_type="application/json")


@router.post("/orders/{order_id}/cancel", response_model=schemas.OrderOut)
def cancel_order(
    order_id: str,
    session: DbSession,
    who: CurrentPrincipal,
    body: schemas.CancelIn | None = None,
):
    """Cancel before handover; any deposit or payment goes back through the provider."""
    order = service.get_for(session, who, order_id, lock=True)
    reason = body.reason if body else "cancelled by request"

    service.cancel(session, who, order, now=utcnow(), reason=reason)
    return order_out(session, order)


@router.post("/orders/{order_id}/ready", response_model=schemas.OrderOut)
def ready_order(order_id: str, session: DbSession, who: CurrentPrincipal):
    """The delivering dealer has prepared the car (pre-delivery inspection done)."""
    order = service.get_for(session, who, order_id, lock=True)
    service.prepare(session, who, order, now=utcnow())
    return order_out(session, order)


@router.post("/orders/{order_id}/handover", response_model=schemas.OrderOut)
def hand_over(
    order_id: str,
    session: DbSession,
    who: CurrentPrincipal,
    settings: AppSettings,
    body: schemas.OdometerIn | None = None,
):
    """The delivering dealer or tower hands the car over; the sale is recognised."""
    order = service.get_for(session, who, order_id, lock=True)
    service.hand_over(
        session,
        who,
        order,
        odometer_km=body.odometer_km if body else 0,
        now=utcnow(),
        settings=settings,
    )
    return order_out(session, order)


@router.post("/orders/{order_id}/return", response_model=schemas.OrderOut)
def return_order(
    order_id: str,
    body: schemas.OdometerIn,
    session: DbSession,
    who: CurrentPrincipal,
    settings: AppSettings,
):
    """Return a handed-over car within the return window and mileage limit; full refund."""
    order = service.get_for(session, who, order_id, lock=True)
    if who.user_id != order.customer_id and not who.is_admin:
        raise Forbidden("role_not_allowed", "Only the buyer returns a car.")
    service.return_car(
        session, who, order, odometer_km=body.odometer_km, now=utcnow(), settings=settings
    )
    return order_out(session, order)


# GET /orders/{order_id}/instalments is served by finance (finance/contracts_api.py)


@router.post("/orders/{order_id}/payments", status_code=201, response_model=IntentOut)
def pay(
    order_id: str,
    body: schemas.PaymentIn,
    session: DbSession,
    who: CurrentPrincipal,
    settings: AppSettings,
    key: IdempotencyKey,
):
    """Start a payment at the provider; the buyer pays at `pay_url`, and the order moves on
    when the provider's signed notification arrives."""

    def work():
        order = service.get_for(session, who, order_id, lock=True)
        money = body.money
        if money.currency != order.currency:
            raise Invalid("currency_mismatch", f"This order is paid in {order.currency}.")
        intent = payments.create_intent(
            session,
            who,
            payable="order",
            payable_id=order.id,
            amount=money.amount,
            purpose=Purpose(body.purpose),
            settings=settings,
            now=utcnow(),
        )
        return intent_out(intent).model_dump(mode="json")

    return idempotency.respond(
        session,
        scope=f"{who.user_id}:POST /orders/{order_id}/payments",
        key=key,
        body=body.model_dump(mode="json"),
        work=work,
    )
