"""What the membership domain announces."""

from __future__ import annotations

from dataclasses import dataclass

from motormall.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class MembershipJoined(Event):
    type = "membership.joined"
    entity_type = "membership"

    brand: str
