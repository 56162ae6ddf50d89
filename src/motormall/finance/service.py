"""Finance services: quotes (and, below, credit and underwriting). Flush, never commit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.catalog.models import CarModel, Vehicle, VehicleStatus
from motormall.catalog.vin import normalise_vin
from motormall.finance import rules
from motormall.finance.schemas import QuoteIn
from motormall.platform.errors import Invalid, NotFound

ROUNDING = (
    "Each amount is rounded to the cent, half away from zero, when computed; the last "
    "instalment takes the rounding residue, so the principal sums to the amount financed."
)


def local_today(now: dt.datetime, tz: str) -> dt.date:
    return now.astimezone(ZoneInfo(tz)).date()


def quote(
    session: Session, body: QuoteIn, *, terms: rules.Terms, now: dt.datetime, tz: str
) -> rules.Quote:
    """A quote for a VIN in stock, or for a price (and powertrain) the caller names."""
    if (body.vin is None) == (body.price is None):
        raise Invalid("vin_or_price", "Send either vin or price, not both and not neither.")
    for money in (body.price, body.down_payment):
        if money is not None and money.currency != "CNY":
            raise Invalid("currency_not_supported", "Finance is offered in CNY only.")
    if body.vin is not None:
        vin = normalise_vin(body.vin)
        row = session.execute(
            select(Vehicle.price, Vehicle.currency, Vehicle.status, CarModel.powertrain)
            .join(CarModel, CarModel.id == Vehicle.model_id)
            .where(Vehicle.vin == vin)
        ).first()
        if row is None or row.status == VehicleStatus.withdrawn:
            raise NotFound("vehicle_not_found", f"No vehicle with VIN {vin}.")
        if row.currency != "CNY":
            raise Invalid("currency_not_supported", "Finance is offered in CNY only.")
        price, powertrain = row.price, row.powertrain
    else:
        price, powertrain = body.price.amount, body.powertrain or "ice"
    return rules.quote(
        product=body.product,
        price=price,
        term_months=body.term_months,
        down_payment=body.down_payment.amount if body.down_payment else None,
        powertrain=powertrain,
        terms=terms,
        start=local_today(now, tz),
    )
