"""Recall campaigns: the carmaker names the cars (a production range of VINs, or a list),
their owners are told through the outbox (by a job after commit) and book a `recall` visit;
completing that visit marks the car repaired. No HTTP; flushes, never commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.aftersales import rules
from motormall.aftersales.models import Recall, RecallNotice
from motormall.aftersales.owners import owners
from motormall.catalog.models import CarModel, Vehicle
from motormall.catalog.service import brand_by_code
from motormall.catalog.vin import normalise_vin
from motormall.notifications.service import notify
from motormall.platform import jobs
from motormall.platform.auth import Principal
from motormall.platform.errors import Invalid, NotFound


@dataclass(frozen=True)
class RecallRequest:
    brand: str
    model: str | None
    vin_from: str | None
    vin_to: str | None
    vins: list[str]
    title: str
    description: str


def launch(session: Session, who: Principal, req: RecallRequest, *, now: dt.datetime) -> Recall:
    """Record the campaign; its owners are told by the `aftersales.notify_recall` job."""
    brand = brand_by_code(session, req.brand)
    model_id = None
    if req.model:
        model_id = session.scalar(
            select(CarModel.id).where(CarModel.brand_id == brand.id, CarModel.name == req.model)
        )
        if model_id is None:
            raise NotFound("model_not_found", f"{brand.code} has no model {req.model!r}.")
    ranged = req.vin_from is not None or req.vin_to is not None
    if ranged == bool(req.vins) or (ranged and not (req.vin_from and req.vin_to)):
        raise Invalid("recall_cars_invalid", "Name the cars by vin_from and vin_to, or by vins.")
    vin_from = normalise_vin(req.vin_from) if ranged else None
    vin_to = normalise_vin(req.vin_to) if ranged else None
    fault = rules.recall_range_fault(vin_from, vin_to) if ranged else None
    if fault == "line":
        raise Invalid(
            "recall_cars_invalid",
            "A range runs within one maker, model code, year and plant (VIN positions 1-8, 10-11).",
        )
    if fault == "order":
        raise Invalid("recall_cars_invalid", "vin_from's serial must not be after vin_to's.")
    recall = Recall(
        brand_id=brand.id,
        model_id=model_id,
        vin_from=vin_from,
        vin_to=vin_to,
        vins=sorted({normalise_vin(v) for v in req.vins}) or None,
        title=req.title,
        description=req.description,
        created_at=now,
        created_by=who.user_id,
    )
    session.add(recall)
    session.flush()
    jobs.after_commit(session, "aftersales.notify_recall", recall.id)
    return recall


def recalled(session: Session, recall: Recall, vins) -> list[str]:
    """Which of `vins` the campaign covers. A car in our catalogue must also be of the
    campaign's brand (and model); one serviced here but never sold here is known by VIN only."""
    if recall.vins:
        named = set(recall.vins)
        hit = [v for v in vins if v in named]
    else:
        hit = [v for v in vins if rules.in_recall_range(v, recall.vin_from, recall.vin_to)]
    known = dict(
        (vin, (brand_id, model_id))
        for vin, brand_id, model_id in session.execute(
            select(Vehicle.vin, Vehicle.brand_id, Vehicle.model_id).where(Vehicle.vin.in_(hit))
        )
    )
    return sorted(
        v
        for v in hit
        if v not in known
        or (
            known[v][0] == recall.brand_id
            and (recall.model_id is None or known[v][1] == recall.model_id)
        )
    )


def notify_owners(session: Session, recall_id: int, *, now: dt.datetime) -> int:
    """Tell the owner of each recalled car once (the notice row's key: recall, VIN)."""
    recall = session.get(Recall, recall_id)
    if recall is None:
        return 0
    owner_of = owners(session)
    told = set(session.scalars(select(RecallNotice.vin).where(RecallNotice.recall_id == recall_id)))
    count = 0
    for vin in recalled(session, recall, owner_of):
        if vin in told:
            continue
        try:
            with session.begin_nested():
                session.add(
                    RecallNotice(
                        recall_id=recall_id, vin=vin, customer_id=owner_of[vin], notified_at=now
                    )
                )
                session.flush()
        except IntegrityError:
            continue  # told by another run a moment ago
        notify(
            session,
            owner_of[vin],
            "recall_notice",
            link=f"/me/service?vin={vin}&kind=recall",
            now=now,
            vin=vin,
            title=recall.title,
        )
        count += 1
    return count


def repaired(session: Session, vin: str, *, now: dt.datetime) -> None:
    """A recall visit was completed for `vin`: its open recalls are done."""
    session.execute(
        update(RecallNotice)
        .where(RecallNotice.vin == vin, RecallNotice.repaired_at.is_(None))
        .values(repaired_at=now)
        .execution_options(synchronize_session=False)
    )


def open_for(session: Session, customer_id: str) -> list[tuple[RecallNotice, Recall]]:
    """The customer's recalled cars not yet repaired."""
    return list(
        session.execute(
            select(RecallNotice, Recall)
            .join(Recall, Recall.id == RecallNotice.recall_id)
            .where(RecallNotice.customer_id == customer_id, RecallNotice.repaired_at.is_(None))
            .order_by(RecallNotice.recall_id, RecallNotice.vin)
        ).all()
    )


def counts(session: Session, recall_id: int) -> tuple[int, int]:
    """(owners told, cars repaired)."""
    rows = session.scalars(
        select(RecallNotice.repaired_at).where(RecallNotice.recall_id == recall_id)
    ).all()
    return len(rows), sum(r is not None for r in rows)
