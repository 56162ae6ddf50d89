"""What the catalog announces."""

from __future__ import annotations

from dataclasses import dataclass

from motormall.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class VehicleViewed(Event):
    """A signed-in customer opened a car's page: the funnel's "visit", a line in the
    customer's timeline. `vin` in the payload lets the analytics copy find the car's brand
    and powertrain."""

    type = "catalog.vehicle_viewed"
    entity_type = "vehicle"

    vin: str
    trim: str = ""
