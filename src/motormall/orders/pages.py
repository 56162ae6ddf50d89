"""Checkout and order pages: reserve from the vehicle page, pay at the provider, follow the
order; the dealer portal's handover actions."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from motormall.catalog.listing import find_vehicle, vehicle_out
from motormall.catalog.models import Brand, Dealer, Vehicle, VehicleStatus
from motormall.orders import service
from motormall.orders.api import order_out
from motormall.orders.rules import ENDED
from motormall.payments import service as payments
from motormall.payments.models import Purpose
from motormall.platform import idempotency
from motormall.platform.auth import Role
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, DbSession, ReadSession
from motormall.platform.errors import DomainError, status_of
from motormall.web.render import check_csrf, error_text, page_principal, render

router = APIRouter(include_in_schema=False)


def _login_first(request: Request):
    return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)


def _delivery_choices(session, vehicle) -> list[Dealer]:
    """Dealers in the car's city that sell its brand, the stocking dealer first."""
    dealers = session.scalars(
        select(Dealer)
        .where(Dealer.city == vehicle.dealer.city, Dealer.brands.any(Brand.id == vehicle.brand_id))
        .order_by(Dealer.code)
    ).all()
    return sorted(dealers, key=lambda d: d.id != vehicle.dealer_id)


@router.get("/checkout/{vin}")
def checkout_page(vin: str, request: Request, session: ReadSession, settings: AppSettings):
    who = page_principal(request)
    if who is None:
        return _login_first(request)
    try:
        vehicle = find_vehicle(session, vin, who)
    except DomainError:
        return render(request, "not_found.html", status_code=404)
    return _checkout(request, session, settings, who, vehicle)


def _checkout(request, session, settings, who, vehicle, *, error=None, status_code=200):
    live = service.live_order_for_vehicle(session, vehicle.id)
    return render(
        request,
        "checkout.html",
        status_code=status_code,
        v=vehicle_out(vehicle),
        vehicle=vehicle,
        dealers=_delivery_choices(session, vehicle),
        settings=settings,
        nonce=secrets.token_urlsafe(16),
        error=error,
        available=vehicle.status == VehicleStatus.available,
        # the buyer's own hold on this car is theirs, not "no longer available"
        own_order=live if live is not None and live.customer_id == who.user_id else None,
    )


@router.post("/checkout/{vin}")
def checkout_submit(
    vin: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    delivery: Annotated[str, Form(max_length=40)] = "",
    nonce: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    who = page_principal(request)
    if who is None:
        return _login_first(request)
    try:
        check_csrf(request, csrf_token)
        if who.role != Role.customer:
            raise DomainError("role_not_allowed", "Log in as a customer to buy a car.")
        body = {"vin": vin, "delivery": delivery}
        # the form's nonce is the idempotency key: a double click makes one order
        reply = idempotency.begin(
            session, scope=f"{who.user_id}:page checkout", key=nonce or None, body=body
        )
        if reply is not None:
            return RedirectResponse(f"/orders/{reply.body['order_id']}", status_code=303)
        order = service.reserve(
            session,
            who,
            service.ReserveRequest(vin=vin, delivery_dealer=delivery or None),
            now=utcnow(),
            settings=settings,
        )
        intent = payments.create_intent(
            session,
            who,
            payable="order",
            payable_id=order.id,
            amount=order.deposit,
            purpose=Purpose.deposit,
            settings=settings,
            now=utcnow(),
        )
        idempotency.finish(
            session,
            scope=f"{who.user_id}:page checkout",
            key=nonce or None,
            status_code=303,
            body={"order_id": order.id},
        )
    except DomainError as exc:
        session.rollback()
        try:
            vehicle = find_vehicle(session, vin, who)
        except DomainError:
            return render(request, "not_found.html", status_code=404)
        return _checkout(
            request,
            session,
            settings,
            who,
            vehicle,
            error=error_text(request, exc),
            status_code=status_of(exc),
        )
    return RedirectResponse(intent.pay_url, status_code=303)


@router.get("/orders")
def my_orders(request: Request, session: ReadSession):
    who = page_principal(request)
    if who is None:
        return _login_first(request)
    rows = []
    for order in service.list_for(session, who, limit=50):
        vehicle = _car_of(session, order)
        rows.append(
            {
                "o": order_out(session, order),
                "v": vehicle_out(vehicle),
                "dealer": order.delivery_dealer_id
                and session.get(Dealer, order.delivery_dealer_id),
                "steps": _steps(order.status),
            }
        )
    return render(request, "orders.html", rows=rows)


# The steps a buyer sees an order go through (financing steps only on a financed order).
STEPS = ("reserved", "deposit_paid", "paid", "ready_for_handover", "handed_over")


def _steps(status: str) -> list[tuple[str, str]]:
    """Each step with "done", "now" or "todo"; an ended order shows none."""
    if status not in STEPS:
        return []
    at = STEPS.index(status)
    return [(s, "done" if i < at else "now" if i == at else "todo") for i, s in enumerate(STEPS)]


def _car_of(session, order) -> Vehicle:
    """The order's car, whatever became of it since (a returned car is withdrawn stock, hidden
    from buyers in the catalogue, but still the car this order was for)."""
    return session.scalar(select(Vehicle).where(Vehicle.id == order.vehicle_id))


def _order_context(session, who, order_id, settings=None):
    order = service.get_for(session, who, order_id)
    out = order_out(session, order)
    vehicle = _car_of(session, order)
    ended = order.status in {s.value for s in ENDED}
    # an ended order waits for nothing: no "waiting for the provider", no polling
    pending = not ended and any(p.status == "pending" for p in out.payments)
    return {
        "o": out,
        "v": vehicle_out(vehicle),
        "dealer": order.delivery_dealer_id and session.get(Dealer, order.delivery_dealer_id),
        "pending": pending,
        "ended": ended,
        "steps": _steps(order.status),
        # the same car again, when the hold lapsed or the buyer changed their mind
        "reserve_again": ended and vehicle.status == VehicleStatus.available,
        "returnable": order.status == "handed_over",
        "is_buyer": who.user_id == order.customer_id,
    }


@router.get("/orders/{order_id}")
def order_page(order_id: str, request: Request, session: ReadSession):
    who = page_principal(request)
    if who is None:
        return _login_first(request)
    try:
        context = _order_context(session, who, order_id)
    except DomainError:
        return render(request, "not_found.html", status_code=404)
    if request.headers.get("hx-request"):
        response = render(request, "_order_status.html", **context)
        if not context["pending"]:
            response.headers["HX-Refresh"] = "true"  # the payment landed: show the next step
        return response
    return render(request, "order.html", **context)


@router.post("/orders/{order_id}/pay")
def order_pay(
    order_id: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    purpose: Annotated[str, Form(pattern="^(deposit|balance|down_payment)$")],
    csrf_token: Annotated[str, Form()] = "",
):
    who = page_principal(request)
    if who is None:
        return _login_first(request)
    try:
        check_csrf(request, csrf_token)
        order = service.get_for(session, who, order_id, lock=True)
        amount = {
            "deposit": order.deposit,
            "balance": service.balance_due(order),
            "down_payment": service.down_payment_due(order),
        }[purpose]
        intent = payments.create_intent(
            session,
            who,
            payable="order",
            payable_id=order.id,
            amount=amount,
            purpose=Purpose(purpose),
            settings=settings,
            now=utcnow(),
        )
    except DomainError as exc:
        return _refused(request, session, who, order_id, exc)
    return RedirectResponse(intent.pay_url, status_code=303)


@router.post("/orders/{order_id}/cancel")
def order_cancel(
    order_id: str,
    request: Request,
    session: DbSession,
    csrf_token: Annotated[str, Form()] = "",
):
    return _act(
        request,
        session,
        order_id,
        csrf_token,
        lambda who, order: service.cancel(
            session, who, order, now=utcnow(), reason="cancelled on the web"
        ),
    )


@router.post("/orders/{order_id}/return")
def order_return(
    order_id: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    odometer_km: Annotated[int, Form(ge=0, le=2_000_000)],
    csrf_token: Annotated[str, Form()] = "",
):
    """The buyer brings the car back within the return window (the API's return)."""
    return _act(
        request,
        session,
        order_id,
        csrf_token,
        lambda who, order: service.return_car(
            session, who, order, odometer_km=odometer_km, now=utcnow(), settings=settings
        ),
    )


@router.post("/dealer/orders/{order_id}/ready")
def dealer_ready(
    order_id: str, request: Request, session: DbSession, csrf_token: Annotated[str, Form()] = ""
):
    return _act(
        request,
        session,
        order_id,
        csrf_token,
        lambda who, order: service.prepare(session, who, order, now=utcnow()),
        back="/dealer",
    )


@router.post("/dealer/orders/{order_id}/handover")
def dealer_handover(
    order_id: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    odometer_km: Annotated[int, Form(ge=0, le=2_000_000)] = 0,
    csrf_token: Annotated[str, Form()] = "",
):
    return _act(
        request,
        session,
        order_id,
        csrf_token,
        lambda who, order: service.hand_over(
            session, who, order, odometer_km=odometer_km, now=utcnow(), settings=settings
        ),
        back="/dealer",
    )


def _refused(request, session, who, order_id: str, exc: DomainError):
    """The order page again with what went wrong, nothing of the refused step kept."""
    session.rollback()
    try:
        context = _order_context(session, who, order_id)
    except DomainError:
        return render(request, "not_found.html", status_code=404)
    return render(
        request, "order.html", status_code=status_of(exc), error=error_text(request, exc), **context
    )


def _act(request, session, order_id, csrf_token, action, back=None):
    who = page_principal(request)
    if who is None:
        return _login_first(request)
    try:
        check_csrf(request, csrf_token)
        order = service.get_for(session, who, order_id, lock=True)
        action(who, order)
    except DomainError as exc:
        return _refused(request, session, who, order_id, exc)
    return RedirectResponse(back or f"/orders/{order_id}", status_code=303)
