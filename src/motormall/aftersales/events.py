"""What after-sales announces."""

from __future__ import annotations

from dataclasses import dataclass

from motormall.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class ServiceBooked(Event):
    type = "service.booked"
    entity_type = "service_appointment"

    vin: str
    kind: str
    start: str


@dataclass(frozen=True, kw_only=True)
class ServiceCancelled(Event):
    type = "service.cancelled"
    entity_type = "service_appointment"

    vin: str


@dataclass(frozen=True, kw_only=True)
class ServiceCompleted(Event):
    type = "service.completed"
    entity_type = "service_appointment"

    vin: str
    kind: str
    odometer_km: int


@dataclass(frozen=True, kw_only=True)
class ServiceRescheduled(Event):
    type = "service.rescheduled"
    entity_type = "service_appointment"

    vin: str
    start: str
    previous_start: str
