"""Order tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from motormall.orders.rules import ENDED
from motormall.platform.auth import new_id
from motormall.platform.db import Base, UTCDateTime, utcnow
from motormall.platform.money import Cents

_ended = ", ".join(f"'{s.value}'" for s in sorted(ENDED))
_live = text(f"status NOT IN ({_ended})")


class Order(Base):
    """One buyer's claim on one vehicle, from reservation to handover (or its end)."""

    __tablename__ = "orders"
    __table_args__ = (
        # The database itself refuses a second live order for a vehicle.
        Index(
            "uq_orders_live_vehicle",
            "vehicle_id",
            unique=True,
            postgresql_where=_live,
            sqlite_where=_live,
        ),
        Index("ix_orders_status_expires", "status", "expires_at"),
        Index("ix_orders_customer", "customer_id", "created_at"),
        Index("ix_orders_delivery_dealer", "delivery_dealer_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    vin: Mapped[str] = mapped_column(String(17))
    status: Mapped[str] = mapped_column(String(20))
    product: Mapped[str] = mapped_column(String(20))  # cash | hire_purchase | lease
    term_months: Mapped[int | None] = mapped_column(Integer)
    down_payment: Mapped[Decimal | None] = mapped_column(Cents)
    price: Mapped[Decimal] = mapped_column(Cents)
    deposit: Mapped[Decimal] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(String(3))
    coupon: Mapped[str | None] = mapped_column(String(40))
    delivery_dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id"))
    delivery_tower_id: Mapped[int | None] = mapped_column(ForeignKey("towers.id"))
    # the dealer credited with the sale: the one that worked the buyer's lead, else the
    # delivery dealer; `credit_reason` says which
    credited_dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    credit_reason: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    handed_over_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    odometer_at_handover: Mapped[int | None] = mapped_column(Integer)
    ended_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
