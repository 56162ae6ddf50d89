"""What the leads domain announces."""

from __future__ import annotations

from dataclasses import dataclass

from motormall.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class LeadAssigned(Event):
    """A lead went to a dealer: first routing, or re-routing after an SLA breach."""

    type = "lead.assigned"
    entity_type = "lead"

    dealer: str
    reason: str
    flags: tuple[str, ...] = ()
    sla_due_at: str = ""


@dataclass(frozen=True, kw_only=True)
class LeadProgressed(Event):
    """The dealer recorded contact, a booking, a quote, the outcome, or a note."""

    entity_type = "lead"

    kind: str  # contacted, test_drive_booked, quoted, won, lost, note
    note: str = ""

    @property
    def type(self) -> str:  # type: ignore[override]
        return f"lead.{self.kind}"

    def payload(self) -> dict:
        return {"note": self.note[:200]} if self.note else {}
