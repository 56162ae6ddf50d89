"""Vision's tables: the embeddings of the carmaker's reference photos and of dealers'
listing photos. The photos' vectors live in the database so the index survives restarts
and every server process sees the same references."""

from __future__ import annotations

import datetime as dt
import enum

import numpy as np
from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from motormall.platform.db import Base, UTCDateTime, utcnow


class PhotoKind(enum.StrEnum):
    reference = "reference"  # the carmaker's photo of a model: trains the head
    listing = "listing"  # a dealer's photo of one car in stock: joins the index as it is


class VisionPhoto(Base):
    __tablename__ = "vision_photos"
    __table_args__ = (
        Index("uq_vision_photos_model_kind_digest", "model_id", "kind", "digest", unique=True),
        Index("ix_vision_photos_kind", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("car_models.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the uploaded bytes
    views: Mapped[int] = mapped_column(Integer)
    dim: Mapped[int] = mapped_column(Integer)
    vectors: Mapped[bytes] = mapped_column(LargeBinary)  # float32, views × dim
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def matrix(self) -> np.ndarray:
        return np.frombuffer(self.vectors, dtype=np.float32).reshape(self.views, self.dim)
