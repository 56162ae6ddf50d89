"""Order rules: reserve a VIN, follow the state machine, hand over, take back. No HTTP here.

A vehicle is held by at most one live order. Two guards keep it so on SQLite and PostgreSQL
alike: the reservation flips the vehicle from `available` to `reserved` with a single
conditional UPDATE (only one transaction can win it), and a partial unique index on live
orders refuses a second one even if some future code path forgot the first guard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from motormall.catalog import stock
from motormall.catalog.models import Dealer, Tower, Vehicle, VehicleStatus
from motormall.catalog.vin import normalise_vin
from motormall.leads import service as leads
from motormall.marketing import coupons
from motormall.orders import events as order_events
from motormall.orders import rules
from motormall.orders.models import Order
from motormall.orders.rules import LIVE, OrderStatus
from motormall.payments import service as payments
from motormall.platform import audit, events
from motormall.platform.auth import Principal, Role, User, new_id
from motormall.platform.config import Settings
from motormall.platform.db import is_sqlite
from motormall.platform.errors import Conflict, Forbidden, Invalid, NotFound
from motormall.platform.money import parse_amount

PRODUCTS = ("cash", "hire_purchase", "lease")


@dataclass
class ReserveRequest:
    vin: str
    product: str = "cash"
    delivery_dealer: str | None = None  # a dealer code, or "tower:<code>"
    term_months: int | None = None
    down_payment: Decimal | None = None
    coupon: str | None = None


def unavailable(vin: str) -> Conflict:

    return Conflict(
        "vehicle_unavailable",
        f"Vehicle {vin} is not available: it is reserved, sold or on a test drive.",
    )


# Orders that tie up a car for the buyer; a car handed over no longer counts against them.
HOLDING = LIVE - {OrderStatus.handed_over}


def check_order_limit(session: Session, customer_id: str, *, now: dt.datetime, limit: int) -> None:
    """At most `limit` cars held per customer (one client reserved 25 in 0.6 s). The buyer's
    own user row is locked first, so two reserves by one buyer take turns and cannot both
    pass the count (SQLite's BEGIN IMMEDIATE already serialises writers)."""
    if not is_sqlite(session):
        session.execute(select(User.id).where(User.id == customer_id).with_for_update())
    held = session.scalar(
        select(func.count())
        .select_from(Order)
        .where(
            Order.customer_id == customer_id,
            Order.status.in_([s.value for s in HOLDING]),
            # a hold that has lapsed but not yet been swept holds nothing
            (Order.status != OrderStatus.reserved.value) | (Order.expires_at > now),
        )
    )
    if held >= limit:
        raise Conflict(
            "order_limit",
            f"You already hold {held} cars; pay for or cancel one before reserving another.",
            limit=limit,
        )


def reserve(
    session: Session,
    who: Principal,
    req: ReserveRequest,
    *,
    now: dt.datetime,
    settings: Settings,
    from_test_drive: bool = False,
) -> Order:
    """Hold `req.vin` for `who` until the deposit is paid (or the hold lapses).

    `from_test_drive`: the buyer has the car on a test drive (the caller, testdrives, checked
    that): its `test_drive` hold becomes this order's, so the car is never free in between."""
    vin = normalise_vin(req.vin)
    # the car's own columns only: its trim, dealer and tower would be joined in otherwise
    vehicle = session.scalar(select(Vehicle).where(Vehicle.vin == vin).options(lazyload("*")))
    if vehicle is None or vehicle.status == VehicleStatus.withdrawn:
        raise NotFound("vehicle_not_found", f"No vehicle with VIN {vin}.")
    _check_product(req)
    dealer_id, tower_id = _delivery(session, req.delivery_dealer, vehicle)
    check_order_limit(session, who.user_id, now=now, limit=settings.max_live_orders)

    if from_test_drive:
        if not stock.convert_drive_to_hold(session, vehicle.id, now=now):
            raise unavailable(vin)
    else:
        if vehicle.status == VehicleStatus.reserved:
            _expire_lapsed_hold(session, vehicle.id, now=now)
        if not stock.claim(session, vehicle.id, now=now):
            raise unavailable(vin)

    order_id = new_id()
    price = vehicle.price
    if req.coupon:  # a campaign's coupon: a lost race for its last use rolls the claim back too
        price -= coupons.redeem(
            session,
            req.coupon,
            customer_id=who.user_id,
            brand_id=vehicle.brand_id,
            order_id=order_id,
            price=vehicle.price,
            currency=vehicle.currency,
            now=now,
        )
    deposit = min(parse_amount(settings.deposit_amount), price)
    # the dealer that worked the buyer's lead is credited; else the one handing the car over
    lead_dealer = leads.credited_dealer(
        session, customer_id=who.user_id, model_id=vehicle.model_id, brand_id=vehicle.brand_id
    )
    if lead_dealer is not None:
        credited, reason = lead_dealer, "lead"
    elif dealer_id is not None:
        credited, reason = dealer_id, "delivery_dealer"
    else:
        credited, reason = vehicle.dealer_id, "stocking_dealer"
    order = Order(
        id=order_id,
        customer_id=who.user_id,
        vehicle_id=vehicle.id,
        vin=vin,
        status=OrderStatus.reserved.value,
        product=req.product,
        term_months=req.term_months,
        down_payment=req.down_payment,
        price=price,  # what the buyer pays: the list price less any coupon
        deposit=deposit,
        currency=vehicle.currency,
        coupon=req.coupon,
        delivery_dealer_id=dealer_id,
        delivery_tower_id=tower_id,
        credited_dealer_id=credited,
        credit_reason=reason,
        expires_at=now + dt.timedelta(minutes=settings.order_hold_minutes),
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    try:  # no savepoint: a refusal rolls the whole request back
        session.flush()
    except IntegrityError:
        raise unavailable(vin) from None  # the live-order index caught a second hold
    _record(
        session,
        order,
        OrderStatus.reserved,
        actor_id=who.user_id,
        now=now,
        detail={
            "vin": vin,
            "price": f"{order.price:.2f}",
            **({"coupon": req.coupon, "list_price": f"{vehicle.price:.2f}"} if req.coupon else {}),
            "expires_at": order.expires_at.isoformat(),
        },
    )
    return order


def _check_product(req: ReserveRequest) -> None:
    if req.product not in PRODUCTS:
        raise Invalid("unknown_product", f"product must be one of {', '.join(PRODUCTS)}.")
    if req.product == "cash":
        if req.term_months or req.down_payment:
            raise Invalid("not_financed", "A cash order takes no term_months or down_payment.")
    elif not req.term_months or not 6 <= req.term_months <= 84:
        raise Invalid("invalid_term", "Hire purchase and lease need term_months from 6 to 84.")


def _delivery(
    session: Session, choice: str | None, vehicle: Vehicle
) -> tuple[int | None, int | None]:
    """The dealer or the tower (ids) that hands the car over; by default where it stands."""
    if not choice:
        return (None, vehicle.tower_id) if vehicle.tower_id else (vehicle.dealer_id, None)
    if choice.lower().startswith("tower:"):
        tower = session.scalar(select(Tower).where(Tower.code == choice[6:].upper()))
        if tower is None:
            raise Invalid("unknown_tower", f"No tower with code {choice[6:]!r}.")
        return None, tower.id
    dealer = session.scalar(select(Dealer).where(Dealer.code == choice.upper()))
    if dealer is None:
        raise Invalid("unknown_dealer", f"No dealer with code {choice!r}.")
    if vehicle.brand_id not in {b.id for b in dealer.brands}:
        raise Invalid(
            "dealer_not_authorised",
            f"Dealer {dealer.code} does not sell this brand; pick another dealer.",
        )
    return dealer.id, None


def _expire_lapsed_hold(session: Session, vehicle_id: int, *, now: dt.datetime) -> None:
    """A hold past its time is released on the spot, not only by the sweeping job."""
    lapsed = session.scalar(
        select(Order)
        .where(
            Order.vehicle_id == vehicle_id,
            Order.status == OrderStatus.reserved.value,
            Order.expires_at <= now,
        )
        .with_for_update()
    )
    if lapsed is not None:
        expire(session, lapsed, now=now)


def expire(session: Session, order: Order, *, now: dt.datetime) -> None:
    _move(session, order, "expire", actor_id=None, now=now)
    order.expires_at = None
    stock.release(session, order.vehicle_id, now=now)


def expire_due(session: Session, *, now: dt.datetime, limit: int = 500) -> int:
    """Release every hold whose time is up (the scheduled sweep)."""
    # locked in primary-key order, like every batch (docs/architecture.md)
    stmt = (
        select(Order)
        .where(Order.status == OrderStatus.reserved.value, Order.expires_at <= now)
        .order_by(Order.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    due = list(session.scalars(stmt))
    for order in due:
        expire(session, order, now=now)
    return len(due)


def _move(
    session: Session,
    order: Order,
    action: str,
    *,
    actor_id: str | None,
    now: dt.datetime,
    detail: dict | None = None,
) -> None:
    before = order.status
    order.status = rules.next_status(order.status, action).value
    order.updated_at = now
    _record(
        session,
        order,
        OrderStatus(order.status),
        actor_id=actor_id,
        now=now,
        detail={"from": before, "action": action, **(detail or {})},
    )


def _record(session: Session, order: Order, status: OrderStatus, *, actor_id, now, detail) -> None:
    event = order_events.BY_STATUS[status](
        entity_id=order.id,
        customer_id=order.customer_id,
        dealer_ids=dealers_of(order),
        at=now,
        vehicle_id=order.vehicle_id,
        vin=order.vin,
        detail=detail,
    )
    audit.record(
        session,
        actor_id=actor_id,
        action=event.type,
        entity_type="order",
        entity_id=order.id,
        detail=detail,
    )
    events.publish(session, event)


def dealers_of(order: Order) -> tuple[int, ...]:
    """The dealers an order concerns: credited first, then the delivering one."""
    return tuple(
        d for d in dict.fromkeys((order.credited_dealer_id, order.delivery_dealer_id)) if d
    )


# --- reading, with the caller's scope -------------------------------------------------------


def get_for(session: Session, who: Principal, order_id: str, *, lock: bool = False) -> Order:
    """The order if `who` may see it: its buyer, the delivery or credited dealer's staff, the
    delivery tower, or an OEM admin. Anyone else gets 404."""
    stmt = select(Order).where(Order.id == order_id)
    order = session.scalar(stmt.with_for_update() if lock else stmt)
    if order is None or not may_see(who, order):
        raise NotFound("order_not_found", f"No order {order_id}.")
    return order


def may_see(who: Principal, order: Order) -> bool:
    if who.is_admin or who.user_id == order.customer_id:
        return True
    if who.is_dealer:
        return who.dealer_id in (order.delivery_dealer_id, order.credited_dealer_id)
    return who.role == Role.tower and who.tower_id == order.delivery_tower_id


def list_for(session: Session, who: Principal, *, statuses=None, limit=50, before=None):
    stmt = select(Order)
    if who.is_dealer:
        stmt = stmt.where(
            (Order.delivery_dealer_id == who.dealer_id)
            | (Order.credited_dealer_id == who.dealer_id)
        )
    elif who.role == Role.tower:
        stmt = stmt.where(Order.delivery_tower_id == who.tower_id)
    elif not who.is_admin:
        stmt = stmt.where(Order.customer_id == who.user_id)
    if statuses:
        stmt = stmt.where(Order.status.in_(statuses))
    if before:  # (created_at, id) of the last order seen: newest first, ties by id
        at, order_id = before
        stmt = stmt.where(
            (Order.created_at < at) | ((Order.created_at == at) & (Order.id < order_id))
        )
    order = (Order.created_at.desc(), Order.id.desc())
    return list(session.scalars(stmt.order_by(*order).limit(limit)))


def customers_who_returned(session: Session, dealer_id: int) -> set[str]:
    """Customers who returned a car bought through this dealer (delivering or credited)."""
    return set(
        session.scalars(
            select(Order.customer_id).where(
                Order.status == OrderStatus.returned.value,
                (Order.delivery_dealer_id == dealer_id) | (Order.credited_dealer_id == dealer_id),
            )
        )
    )


# --- what payments tell us ----------------------------------------------------------------


def deposit_received(session: Session, order: Order, *, now: dt.datetime) -> str:
    """Apply a confirmed deposit. Returns what happened: `applied`, `revived`, or `refund`
    when the money cannot buy the car any more (cancelled, car gone, already paid)."""
    status = OrderStatus(order.status)
    if status == OrderStatus.reserved:
        _move(session, order, "pay_deposit", actor_id=None, now=now)
        order.expires_at = None
        return "applied"
    # the deposit came after the hold lapsed: keep the sale if the car is still free
    if status == OrderStatus.expired and stock.claim(session, order.vehicle_id, now=now):
        _move(session, order, "revive", actor_id=None, now=now)
        return "revived"
    return "refund"


def balance_received(session: Session, order: Order, *, now: dt.datetime) -> str:
    if order.status == OrderStatus.deposit_paid and order.product == "cash":
        _move(session, order, "pay_balance", actor_id=None, now=now)
        return "applied"
    return "refund"


def balance_due(order: Order) -> Decimal:
    return order.price - order.deposit


def down_payment_due(order: Order) -> Decimal:
    """What a financed order still owes of its down payment: the deposit counts toward it."""
    if order.product == "cash" or order.down_payment is None:
        return Decimal("0.00")
    return max(order.down_payment - order.deposit, Decimal("0.00"))


def down_payment_received(session: Session, order: Order, *, now: dt.datetime) -> str:
    if order.status == OrderStatus.contracted and down_payment_due(order) > 0:
        _move(session, order, "pay_down_payment", actor_id=None, now=now)
        return "applied"
    return "refund"


def _down_payment_in(order: Order) -> None:
    """A financed car leaves only once its down payment is in (the contract is signed)."""
    if order.status == OrderStatus.contracted and down_payment_due(order) > 0:
        raise Conflict(
            "down_payment_due",
            "The rest of the down payment is due before the car is handed over.",
            due=f"{down_payment_due(order):.2f}",
        )


# --- dealer and buyer actions -------------------------------------------------------------


def _check_handler(who: Principal, order: Order) -> None:
    """Only the delivery dealer's staff, the delivery tower or an admin hand a car over."""
    if who.is_admin:
        return
    if who.is_dealer and who.dealer_id == order.delivery_dealer_id:
        return
    if who.role == Role.tower and who.tower_id == order.delivery_tower_id:
        return
    if who.user_id == order.customer_id:
        raise Forbidden("role_not_allowed", "The delivering dealer or tower hands the car over.")
    raise NotFound("order_not_found", f"No order {order.id}.")


def prepare(session: Session, who: Principal, order: Order, *, now: dt.datetime) -> Order:
    _check_handler(who, order)
    _down_payment_in(order)
    _move(session, order, "prepare", actor_id=who.user_id, now=now)
    return order


def hand_over(
    session: Session,
    who: Principal,
    order: Order,
    *,
    odometer_km: int,
    now: dt.datetime,
    settings: Settings,
) -> Order:
    """The buyer drives away: the car is sold and the sale recognised in the ledger."""
    _check_handler(who, order)
    _down_payment_in(order)
    if order.status in (OrderStatus.paid, OrderStatus.contracted):
        _move(session, order, "prepare", actor_id=who.user_id, now=now)
    _move(
        session,
        order,
        "hand_over",
        actor_id=who.user_id,
        now=now,
        detail={"odometer_km": odometer_km},
    )
    order.handed_over_at = now
    order.odometer_at_handover = odometer_km
    if not stock.sell(session, order.vehicle_id, now=now):
        raise unavailable(order.vin)  # the car is not held for this order any more
    payments.recognise_sale(
        session,
        order_id=order.id,
        price=order.price,
        currency=order.currency,
        credited_dealer_code=session.scalar(
            select(Dealer.code).where(Dealer.id == order.credited_dealer_id)
        ),
        settings=settings,
    )

    return order


def cancel(
    session: Session,
    who: Principal,
    order: Order,
    *,
    now: dt.datetime,
    reason: str = "cancelled",
) -> Order:
    """End a live order before handover; every payment taken goes back to the buyer."""
    may_cancel = (
        who.is_admin
        or who.user_id == order.customer_id
        or (who.is_dealer and who.dealer_id == order.delivery_dealer_id)
    )
    if not may_cancel:  # a tower, or a dealer that was only credited with the sale
        raise Forbidden(
            "role_not_allowed",
            "Only the buyer, the delivering dealer or the carmaker cancels an order.",
        )
    if order.status == OrderStatus.handed_over:
        raise Conflict(
            "illegal_transition",
            "A handed-over car cannot be cancelled; return it within the window.",
            current_status=order.status,
        )
    _move(session, order, "cancel", actor_id=who.user_id, now=now, detail={"reason": reason})
    order.expires_at = None
    order.ended_reason = reason
    stock.release(session, order.vehicle_id, now=now)
    payments.refund_order(session, order.id, reason="order_cancelled", now=now)
    return order


def return_car(
    session: Session,
    who: Principal,
    order: Order,
    *,
    odometer_km: int,
    now: dt.datetime,
    settings: Settings,
) -> Order:
    """The buyer brings the car back within the return window; all money goes back."""
    if order.status != OrderStatus.handed_over:
        rules.next_status(order.status, "return")  # raises the 409 with what is allowed
    rules.check_return(
        handed_over_at=order.handed_over_at,
        now=now,
        odometer_at_handover=order.odometer_at_handover or 0,
        odometer_now=odometer_km,
        window_days=settings.return_window_days,
        mileage_limit_km=settings.return_mileage_km,
    )
    _move(
        session, order, "return", actor_id=who.user_id, now=now, detail={"odometer_km": odometer_km}
    )
    order.ended_reason = "returned"
    # back to the dealer, but no longer new: the dealer decides how to list it again
    stock.take_back(session, order.vehicle_id, now=now)
    payments.reverse_sale(session, order.id)
    payments.refund_order(session, order.id, reason="car_returned", now=now)
    return order


def live_order_for_vehicle(session: Session, vehicle_id: int) -> Order | None:
    return session.scalar(
        select(Order).where(
            Order.vehicle_id == vehicle_id, Order.status.in_([s.value for s in LIVE])
        )
    )


def credited_counts(session: Session, *, since=None, until=None) -> dict[int, int]:
    """Orders per credited dealer that are live or completed (not cancelled or expired),
    optionally only those placed in [since, until)."""
    period = []
    if since is not None:
        period.append(Order.created_at >= since)
    if until is not None:
        period.append(Order.created_at < until)
    rows = session.execute(
        select(Order.credited_dealer_id, func.count())
        .where(Order.status.not_in([OrderStatus.cancelled.value, OrderStatus.expired.value]))
        .where(*period)
        .group_by(Order.credited_dealer_id)
    ).all()
    return dict(rows)


# --- what finance tells us (finance calls these; orders never imports finance) -------------


def start_financing(session: Session, order: Order, *, actor_id: str | None, now: dt.datetime):
    """A hire purchase or lease application was accepted for underwriting (or approved)."""
    _move(session, order, "apply_finance", actor_id=actor_id, now=now)


def financing_declined(session: Session, order: Order, *, actor_id: str | None, now):
    """Underwriting said no: the order is back to a paid deposit (pay cash or cancel)."""
    _move(session, order, "decline_finance", actor_id=actor_id, now=now)


def sign_contract(session: Session, order: Order, *, actor_id: str | None, now: dt.datetime):
    """The buyer accepted the finance contract; the car stays held for this order."""
    _move(session, order, "sign_contract", actor_id=actor_id, now=now)


def of_customer(session: Session, customer_id: str, *, limit: int = 50) -> list[Order]:
    """One customer's orders, newest first (the customer profile reads them)."""
    stmt = select(Order).where(Order.customer_id == customer_id)
    return list(
        session.scalars(stmt.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit))
    )
