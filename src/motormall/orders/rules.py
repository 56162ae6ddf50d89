"""The order state machine and the return-window rule: plain Python, no database, no clock."""

from __future__ import annotations

import datetime as dt
import enum

from motormall.platform.errors import Conflict


class OrderStatus(enum.StrEnum):
    reserved = "reserved"  # the VIN is held until expires_at
    deposit_paid = "deposit_paid"
    financing = "financing"  # hire purchase or lease under underwriting (finance work)
    contracted = "contracted"
    paid = "paid"
    ready_for_handover = "ready_for_handover"
    handed_over = "handed_over"
    cancelled = "cancelled"
    expired = "expired"
    returned = "returned"


S = OrderStatus
# A live order holds its vehicle; the others have let it go.
ENDED = frozenset({S.cancelled, S.expired, S.returned})
LIVE = frozenset(S) - ENDED

TRANSITIONS: dict[str, dict[OrderStatus, OrderStatus]] = {
    "pay_deposit": {S.reserved: S.deposit_paid},
    "apply_finance": {S.deposit_paid: S.financing},
    "sign_contract": {S.financing: S.contracted},
    "decline_finance": {S.financing: S.deposit_paid},  # underwriting said no
    "pay_balance": {S.deposit_paid: S.paid},
    # a financed order is paid once the rest of its down payment is in (the lender pays the rest)
    "pay_down_payment": {S.contracted: S.paid},
    "prepare": {S.paid: S.ready_for_handover, S.contracted: S.ready_for_handover},
    "hand_over": {S.ready_for_handover: S.handed_over},
    "expire": {S.reserved: S.expired},
    "cancel": {
        S.reserved: S.cancelled,
        S.deposit_paid: S.cancelled,
        S.financing: S.cancelled,
        S.contracted: S.cancelled,
        S.paid: S.cancelled,
        S.ready_for_handover: S.cancelled,
    },
    "return": {S.handed_over: S.returned},
    # a deposit that arrives after the hold lapsed revives the order if the car is still free
    "revive": {S.expired: S.deposit_paid},
}


def next_status(current: str, action: str) -> OrderStatus:
    """The status after `action`, or Conflict `illegal_transition` naming what is allowed."""
    table = TRANSITIONS[action]
    state = OrderStatus(current)
    if state not in table:
        allowed = sorted(a for a, t in TRANSITIONS.items() if state in t)
        raise Conflict(
            "illegal_transition",
            f"An order that is {state.value} cannot {action.replace('_', ' ')}; "
            f"allowed now: {', '.join(allowed) or 'nothing'}.",
            current_status=state.value,
        )
    return table[state]


def check_return(
    *,
    handed_over_at: dt.datetime,
    now: dt.datetime,
    odometer_at_handover: int,
    odometer_now: int,
    window_days: int,
    mileage_limit_km: int,
) -> None:
    """A handed-over car may come back within the window and under the mileage limit."""
    if now > handed_over_at + dt.timedelta(days=window_days):
        raise Conflict("return_window_closed", f"The {window_days}-day return window has closed.")
    if odometer_now < odometer_at_handover:
        raise Conflict(
            "odometer_invalid", "The odometer reads less than at handover; check the reading."
        )
    if odometer_now - odometer_at_handover > mileage_limit_km:
        raise Conflict(
            "return_mileage_exceeded",
            f"The car was driven {odometer_now - odometer_at_handover} km since handover; "
            f"returns are accepted up to {mileage_limit_km} km.",
        )
