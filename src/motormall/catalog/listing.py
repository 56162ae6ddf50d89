"""A vehicle as buyers and other domains see it: found by VIN within the caller's view, and
shaped for the API and pages (vision's photo search and the checkout pages use these too)."""

from __future__ import annotations

from sqlalchemy import select

from motormall.catalog import schemas
from motormall.catalog.models import Vehicle
from motormall.catalog.models import VehicleStatus as Status
from motormall.catalog.photos import dealer_photo_url, listing_photo_url
from motormall.catalog.vin import normalise_vin
from motormall.platform.auth import Principal
from motormall.platform.errors import NotFound
from motormall.platform.money import MoneyOut


def vehicle_out(
    vehicle: Vehicle, distance_km: float | None = None, *, all_photos: bool = False
) -> schemas.VehicleOut:
    """`all_photos`: every dealer photo (one more query); otherwise the cover only, as lists
    show it."""
    trim, model = vehicle.trim, vehicle.trim.model
    if vehicle.tower is not None:
        loc = schemas.Location(
            kind="tower",
            code=vehicle.tower.code,
            city=vehicle.tower.city,
            name=vehicle.tower.code,
            bay=vehicle.bay,
            dealer_code=vehicle.dealer.code,
        )
    else:
        loc = schemas.Location(
            kind="dealer",
            code=vehicle.dealer.code,
            city=vehicle.dealer.city,
            name=vehicle.dealer.name,
            name_zh=vehicle.dealer.name_zh,
            dealer_code=vehicle.dealer.code,
        )
    return schemas.VehicleOut(
        vin=vehicle.vin,
        trim=schemas.TrimRef(
            id=trim.id,
            name=trim.name,
            model_id=model.id,
            model=model.name,
            brand=model.brand.code,
            body_type=model.body_type,
            powertrain=model.powertrain,
        ),
        color=vehicle.color,
        year=vehicle.year,
        price=MoneyOut.of(vehicle.price, vehicle.currency),
        msrp=MoneyOut.of(trim.msrp, trim.currency),
        status=vehicle.status,
        location=loc,
        distance_km=round(distance_km, 1) if distance_km is not None else None,
        photos=[dealer_photo_url(f) for f in _dealer_photos(vehicle, all_photos)]
        + [listing_photo_url(trim.id, vehicle.color)],
    )


def _dealer_photos(vehicle: Vehicle, every: bool) -> list[str]:
    if every:
        return [p.file for p in vehicle.photos]
    return [vehicle.cover_photo] if vehicle.cover_photo else []


def find_vehicle(session, vin: str, principal: Principal | None) -> Vehicle:
    """A vehicle by VIN as the caller may see it: withdrawn stock only for its own staff."""
    vin = normalise_vin(vin)
    vehicle = session.scalar(select(Vehicle).where(Vehicle.vin == vin))
    hidden = (
        vehicle is not None
        and vehicle.status == Status.withdrawn
        and not (principal and (principal.is_admin or principal.dealer_id == vehicle.dealer_id))
    )
    if vehicle is None or hidden:
        raise NotFound("vehicle_not_found", f"No vehicle with VIN {vin}.")
    return vehicle
