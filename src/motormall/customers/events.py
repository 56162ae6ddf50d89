"""What the customers domain announces."""

from __future__ import annotations

from dataclasses import dataclass

from motormall.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class CustomerRegistered(Event):
    type = "customer.registered"
    entity_type = "user"

    city: str | None = None
