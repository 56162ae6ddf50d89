"""What the customers domain announces."""

from __future__ import annotations

from dataclasses import dataclass

from motormall.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class CustomerRegistered(Event):
    type = "customer.registered"
    entity_type = "user"

    city: str | None = None


@dataclass(frozen=True, kw_only=True)
class CustomersMerged(Event):
    """`merged_id`'s account now reads as part of `customer_id` (the survivor). Nothing was
    rewritten: a domain that keeps its own per-customer summaries may fold them on this."""

    type = "customer.merged"
    entity_type = "customer_merge"

    merged_id: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class CustomersUnmerged(Event):
    """The merge `entity_id` was undone: `merged_id` is its own customer again."""

    type = "customer.unmerged"
    entity_type = "customer_merge"

    merged_id: str
