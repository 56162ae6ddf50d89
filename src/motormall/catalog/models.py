"""Catalog and stock tables."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from motormall.platform.db import Base, UTCDateTime, utcnow
from motormall.platform.money import Cents


class BodyType(enum.StrEnum):
    sedan = "sedan"
    hatchback = "hatchback"
    wagon = "wagon"
    coupe = "coupe"
    convertible = "convertible"
    suv = "suv"
    mpv = "mpv"
    pickup = "pickup"
    van = "van"


class Powertrain(enum.StrEnum):
    ice = "ice"
    hev = "hev"
    phev = "phev"
    bev = "bev"


NEW_ENERGY = {Powertrain.phev, Powertrain.bev}  # China's NEV classes


class VehicleStatus(enum.StrEnum):
    available = "available"
    reserved = "reserved"
    test_drive = "test_drive"
    sold = "sold"
    withdrawn = "withdrawn"


DEFAULT_OPENING_HOURS = {
    day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80))


class CarModel(Base):
    """A model line, e.g. BMW iX3 (called `model` in the API)."""

    __tablename__ = "car_models"
    __table_args__ = (Index("uq_car_models_brand_name", "brand_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    name: Mapped[str] = mapped_column(String(80))
    body_type: Mapped[str] = mapped_column(String(20))
    powertrain: Mapped[str] = mapped_column(String(10))

    brand: Mapped[Brand] = relationship(lazy="joined")


class Trim(Base):
    __tablename__ = "trims"
    __table_args__ = (Index("uq_trims_model_name", "model_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("car_models.id"))
    name: Mapped[str] = mapped_column(String(120))
    msrp: Mapped[Decimal] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")

    model: Mapped[CarModel] = relationship(lazy="joined")


dealer_brands = Table(
    "dealer_brands",
    Base.metadata,
    Column("dealer_id", ForeignKey("dealers.id", ondelete="CASCADE"), primary_key=True),
    Column("brand_id", ForeignKey("brands.id"), primary_key=True),
)


class Dealer(Base):
    __tablename__ = "dealers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    name_zh: Mapped[str | None] = mapped_column(String(160))  # shown to Chinese readers
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164, for tap-to-call
    city: Mapped[str] = mapped_column(String(80), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lead_capacity_per_day: Mapped[int] = mapped_column(Integer)
    service_bays: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    opening_hours: Mapped[dict] = mapped_column(JSON, default=lambda: dict(DEFAULT_OPENING_HOURS))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    brands: Mapped[list[Brand]] = relationship(secondary=dealer_brands, lazy="selectin")


# The dealers the carmaker assigns to a tower: only they place stock in its bays.
tower_dealers = Table(
    "tower_dealers",
    Base.metadata,
    Column("tower_id", ForeignKey("towers.id", ondelete="CASCADE"), primary_key=True),
    Column("dealer_id", ForeignKey("dealers.id", ondelete="CASCADE"), primary_key=True),
)


class Tower(Base):
    """A self-service car vending machine tower with numbered bays."""

    __tablename__ = "towers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    city: Mapped[str] = mapped_column(String(80))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    bays: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    opening_hours: Mapped[dict] = mapped_column(JSON, default=lambda: dict(DEFAULT_OPENING_HOURS))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    dealers: Mapped[list[Dealer]] = relationship(secondary=tower_dealers, lazy="selectin")


class Vehicle(Base):
    """One car, a quantity of one, known by its VIN.

    `dealer_id` is the dealer whose stock it is; `tower_id` is set while it stands in a tower
    bay. `brand_id` and `model_id` copy the trim's (a VIN never changes trim) so stock search
    filters without joins.
    """

    __tablename__ = "vehicles"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        Index("ix_vehicles_search", "status", "brand_id", "dealer_id", "price"),
        # partial: most cars stand at dealers, and a full index made SQLite's planner think a
        # tower holds a third of all stock (it counts NULL as one value)
        Index(
            "ix_vehicles_tower",
            "tower_id",
            "status",
            sqlite_where=text("tower_id IS NOT NULL"),
            postgresql_where=text("tower_id IS NOT NULL"),
        ),
        Index("ix_vehicles_price", "status", "price", "vin"),
        Index("ix_vehicles_brand_price", "status", "brand_id", "price", "vin"),
        Index("uq_vehicles_tower_bay", "tower_id", "bay", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vin: Mapped[str] = mapped_column(String(17), unique=True)
    trim_id: Mapped[int] = mapped_column(ForeignKey("trims.id"))
    model_id: Mapped[int] = mapped_column(ForeignKey("car_models.id"), index=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    color: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    status: Mapped[str] = mapped_column(String(20), default=VehicleStatus.available.value)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    tower_id: Mapped[int | None] = mapped_column(ForeignKey("towers.id"))
    bay: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    trim: Mapped[Trim] = relationship(lazy="joined")
    dealer: Mapped[Dealer] = relationship(lazy="joined")
    tower: Mapped[Tower | None] = relationship(lazy="joined")
    # the dealer's first photo, kept on the row so lists of vehicles need no extra query
    cover_photo: Mapped[str | None] = mapped_column(String(80))
    photos: Mapped[list[VehiclePhoto]] = relationship(order_by="VehiclePhoto.id")


class VehiclePhoto(Base):
    """A dealer's photo of one car in stock, stored under the media folder."""

    __tablename__ = "vehicle_photos"
    __table_args__ = (Index("uq_vehicle_photos_vehicle_file", "vehicle_id", "file", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    file: Mapped[str] = mapped_column(String(80))  # name under media/photos/
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
