"""Spare parts: the carmaker's catalogue, each dealer's stock, and consuming parts when a
visit's work is recorded. No HTTP; flushes, never commits."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from motormall.aftersales.models import Part, PartStock
from motormall.catalog.models import CarModel
from motormall.platform.errors import Conflict, NotFound


def put_part(session: Session, part_no: str, *, name: str, model_id: int | None) -> Part:
    if model_id is not None and session.get(CarModel, model_id) is None:
        raise NotFound("model_not_found", "No such model.")
    part = session.get(Part, part_no)
    if part is None:
        part = Part(part_no=part_no, name=name, model_id=model_id)
        session.add(part)
    else:
        part.name, part.model_id = name, model_id
    session.flush()
    return part


def set_stock(
    session: Session, dealer_id: int, part_no: str, *, on_hand: int, reorder_level: int
) -> PartStock:
    """A dealer's count after a stocktake or a delivery."""
    if session.get(Part, part_no) is None:
        raise NotFound("part_not_found", "No such part in the catalogue.")
    row = session.get(PartStock, (dealer_id, part_no), with_for_update=True)
    if row is None:
        row = PartStock(dealer_id=dealer_id, part_no=part_no)
        session.add(row)
    row.on_hand, row.reorder_level = on_hand, reorder_level
    session.flush()
    return row


def stock_of(session: Session, dealer_id: int, *, low_only: bool = False) -> list[PartStock]:
    stmt = select(PartStock).where(PartStock.dealer_id == dealer_id)
    if low_only:
        stmt = stmt.where(PartStock.on_hand <= PartStock.reorder_level)
    return list(session.scalars(stmt.order_by(PartStock.part_no)))


def consume(session: Session, dealer_id: int, used: dict[str, int]) -> None:
    """Take `used` (part_no → qty) from the dealer's stock, in part_no order (the lock order),
    each by a conditional UPDATE: too few on hand → 409 `part_out_of_stock` and nothing is
    taken (the caller's transaction rolls back)."""
    for part_no in sorted(used):
        done = session.execute(
            update(PartStock)
            .where(
                PartStock.dealer_id == dealer_id,
                PartStock.part_no == part_no,
                PartStock.on_hand >= used[part_no],
            )
            .values(on_hand=PartStock.on_hand - used[part_no])
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            raise Conflict(
                "part_out_of_stock",
                f"Not enough of part {part_no} in stock for this visit.",
                part_no=part_no,
            )
