"""Photo search and its references: which catalog model a street photo shows, and which cars
of that model are in stock near the buyer.

Every server process keeps a head trained on the reference photos in the database and an
index of the listing photos. Both are keyed by a summary of their rows (`_key`), so a change
made by any process is noticed on the next search: the head retrains itself (seconds, fixed
seed); new listing photos are appended to the index, without retraining or reloading it.
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from motormall.catalog import search
from motormall.catalog.models import CarModel, Vehicle
from motormall.catalog.photos import add_vehicle_photo
from motormall.platform import audit, jobs
from motormall.platform.config import Settings
from motormall.platform.errors import Invalid, NotFound
from motormall.platform.files import files_for
from motormall.vision import cars, intake
from motormall.vision.index import VectorIndex
from motormall.vision.models import PhotoKind, VisionPhoto

TOP_MATCHES = 5
LISTING_WEIGHT = 0.3  # share of a score from similar listing photos (docs/model-card.md)
LISTING_TEMPERATURE = 0.02  # softmax temperature over listing-photo similarities
MIN_STOCK_SCORE = 0.10  # models below this score do not bring their stock to the answer
SAME_CAR_SIMILARITY = 0.85  # a listing photo this close is very likely this very car
# references per model: with fewer than 4 a model's photos are almost never recognised (2 %
# with one, 17 % with two), 8 or more recommended (docs/model-card.md, "Open set")
RECOGNISABLE_REFERENCES = 4
RECOMMENDED_REFERENCES = 8


def embedder(settings: Settings) -> cars.Embedder:
    return cars.embedder(settings.models_dir, settings.vision_threads)


@dataclass
class _Cache:
    key: tuple = ()
    value: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_head_cache = _Cache()
_listing_cache = _Cache()


def _key(session: Session, kind: PhotoKind) -> tuple:
    """What identifies the rows' content: SQLite reuses the highest id after a delete, so the
    newest id alone would not notice a replaced reference; the newest time does."""
    return (session.get_bind().url.render_as_string(), *session.execute(_summary(kind)).one())


def _summary(kind: PhotoKind, *where):
    return select(
        func.count(VisionPhoto.id),
        func.max(VisionPhoto.id),
        func.sum(VisionPhoto.id),
        func.max(VisionPhoto.created_at),
    ).where(VisionPhoto.kind == kind, *where)


def _rows(session: Session, kind: PhotoKind, *where) -> list[VisionPhoto]:
    stmt = select(VisionPhoto).where(VisionPhoto.kind == kind, *where).order_by(VisionPhoto.id)
    return list(session.scalars(stmt))


def head(session: Session) -> cars.Head | None:
    """The head for the references now in the database (None when there are none)."""
    key = _key(session, PhotoKind.reference)
    with _head_cache.lock:
        if _head_cache.key != key:
            rows = _rows(session, PhotoKind.reference)
            value = None
            if rows:
                value = cars.Head([r.matrix() for r in rows], [r.model_id for r in rows])
            _head_cache.key, _head_cache.value = key, value
        return _head_cache.value


@dataclass(frozen=True)
class ListingIndex:
    index: VectorIndex
    model_of: dict[int, int]  # photo id -> model id
    vehicle_of: dict[int, int]  # photo id -> vehicle id

    def extended(self, rows: list[VisionPhoto]) -> ListingIndex:
        return ListingIndex(
            index=self.index.extended(
                np.stack([r.matrix()[0] for r in rows]), [r.id for r in rows]
            ),
            model_of=self.model_of | {r.id: r.model_id for r in rows},
            vehicle_of=self.vehicle_of | {r.id: r.vehicle_id for r in rows},
        )


_EMPTY_LISTINGS = ListingIndex(
    index=VectorIndex(np.zeros((0, 1), np.float32), []), model_of={}, vehicle_of={}
)


def listings(session: Session) -> ListingIndex | None:
    key = _key(session, PhotoKind.listing)
    with _listing_cache.lock:
        old_key, current = _listing_cache.key, _listing_cache.value
        if old_key != key:
            kind = PhotoKind.listing
            # only rows added since (the old rows unchanged): append them; else reload all
            appended = (
                current is not None
                and old_key[0] == key[0]
                and (key[0], *session.execute(_summary(kind, VisionPhoto.id <= old_key[2])).one())
                == old_key
            )
            if appended:
                current = current.extended(_rows(session, kind, VisionPhoto.id > old_key[2]))
            else:
                rows = _rows(session, kind)
                current = _EMPTY_LISTINGS.extended(rows) if rows else None
            _listing_cache.key, _listing_cache.value = key, current
        return current


# ---- references and listing photos ---------------------------------------------------------


def _car_photo(settings: Settings, data: bytes, name: str) -> intake.Photo:
    try:
        photo = intake.load(data)
    except Invalid as exc:
        raise Invalid(exc.code, f"{name}: {exc.detail}", photo=name) from None
    look = embedder(settings).look(photo.image)
    if look.car_score < cars.CAR_GATE:
        raise Invalid(
            "no_vehicle",
            f"{name}: no car found in this photo; choose a photo of the car.",
            photo=name,
        )
    return photo


def prepare_references(settings: Settings, photos: list[tuple[str, bytes]]) -> list[tuple]:
    """Check and embed reference photos, before any database lock is taken. Each photo must
    show a car; one that does not refuses the whole set, so a model never trains on half a
    batch."""
    if not photos:
        raise Invalid("no_photos", "Send at least one reference photo.")
    e = embedder(settings)
    rows, seen = [], set()
    for name, data in photos:
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        views = e.reference_views(_car_photo(settings, data, name).image).astype(np.float32)
        rows.append((digest, views))
    return rows


def set_references(
    session: Session,
    model_id: int,
    rows: list[tuple],
    *,
    actor_id: str | None,
    replace: bool = True,
) -> dict:
    """Make the prepared photos the model's references, or add them to its references."""
    if session.get(CarModel, model_id) is None:
        raise NotFound("not_found", f"No catalog model {model_id}.")
    if replace:
        session.execute(
            delete(VisionPhoto).where(
                VisionPhoto.model_id == model_id, VisionPhoto.kind == PhotoKind.reference
            )
        )
    else:
        known = set(
            session.scalars(
                select(VisionPhoto.digest).where(
                    VisionPhoto.model_id == model_id, VisionPhoto.kind == PhotoKind.reference
                )
            )
        )
        rows = [r for r in rows if r[0] not in known]
    for digest, views in rows:
        session.add(
            VisionPhoto(
                model_id=model_id,
                kind=PhotoKind.reference,
                digest=digest,
                views=views.shape[0],
                dim=views.shape[1],
                vectors=views.tobytes(),
            )
        )
    session.flush()
    _train_after_commit(session)
    total = reference_count(session, model_id)
    audit.record(
        session,
        actor_id=actor_id,
        action="vision.references_set" if replace else "vision.references_added",
        entity_type="car_model",
        entity_id=model_id,
        detail={"photos": len(rows), "total": total},
    )
    return {"model_id": model_id, "added": len(rows), "references": total}


def _train_after_commit(session: Session) -> None:
    jobs.after_commit(session, "vision.train_head")


def models_by_folder_name(session: Session) -> dict[str, int]:
    """Folder names `motormall vision enrol` accepts, casefolded: the model's id, or its
    brand (code or name) and name joined by `_`, spaces as `_`."""
    out = {}
    for model in session.scalars(select(CarModel)):
        out[str(model.id)] = model.id
        for brand in (model.brand.code, model.brand.name):
            out[f"{brand}_{model.name}".replace(" ", "_").casefold()] = model.id
    return out


def reference_count(session: Session, model_id: int) -> int:
    return session.scalar(
        select(func.count(VisionPhoto.id)).where(
            VisionPhoto.model_id == model_id, VisionPhoto.kind == PhotoKind.reference
        )
    )


def reference_counts(session: Session) -> dict[int, int]:
    stmt = (
        select(VisionPhoto.model_id, func.count(VisionPhoto.id))
        .where(VisionPhoto.kind == PhotoKind.reference)
        .group_by(VisionPhoto.model_id)
    )
    return dict(session.execute(stmt).all())


def clear_references(session: Session, model_id: int, *, actor_id: str | None) -> int:
    gone = session.execute(
        delete(VisionPhoto).where(
            VisionPhoto.model_id == model_id, VisionPhoto.kind == PhotoKind.reference
        )
    ).rowcount
    _train_after_commit(session)
    audit.record(
        session,
        actor_id=actor_id,
        action="vision.references_cleared",
        entity_type="car_model",
        entity_id=model_id,
        detail={"photos": gone},
    )
    return gone


def add_listing_photo(
    session: Session, settings: Settings, vehicle: Vehicle, data: bytes, *, actor_id: str | None
) -> dict:
    """A dealer's photo of one car in stock: shown on its listing, and searchable at once
    (no retraining)."""
    photo = _car_photo(settings, data, "photo")
    digest = hashlib.sha256(data).hexdigest()
    add_vehicle_photo(session, files_for(settings), vehicle, photo.image, digest)
    existing = session.scalar(
        select(VisionPhoto).where(
            VisionPhoto.model_id == vehicle.model_id,
            VisionPhoto.kind == PhotoKind.listing,
            VisionPhoto.digest == digest,
        )
    )
    if existing is None:
        vector = embedder(settings).look(photo.image).vector.astype(np.float32)[None, :]
        existing = VisionPhoto(
            model_id=vehicle.model_id,
            kind=PhotoKind.listing,
            vehicle_id=vehicle.id,
            digest=digest,
            views=1,
            dim=vector.shape[1],
            vectors=vector.tobytes(),
        )
        session.add(existing)
        session.flush()
        audit.record(
            session,
            actor_id=actor_id,
            action="vision.listing_photo_added",
            entity_type="vehicle",
            entity_id=vehicle.vin,
            detail={"photo_id": existing.id},
        )
    return {"id": existing.id, "vin": vehicle.vin, "model_id": vehicle.model_id}


# ---- photo search --------------------------------------------------------------------------


@dataclass
class PhotoSearch:
    basis: str  # "references" | "body_type"
    matches: list[dict]
    body_type: str
    body_types: list[tuple[str, float]]
    car_score: float
    hits: list[search.Hit]
    note: str | None = None
    unknown: bool = False  # no enrolled model fits well enough: `matches` is empty
    stock_body_types: list[str] = field(default_factory=list)  # whose stock `hits` shows


def _blend(
    head_scores: list[tuple[int, float]] | None, near: list[tuple[int, float]], model_of: dict
) -> list[tuple[int, float]]:
    """Head probabilities, with a share moved to the models of similar listing photos."""
    scores: dict[int, float] = {}
    if head_scores:
        for model_id, p in head_scores:
            scores[model_id] = p
    if near:
        best: dict[int, float] = {}
        for photo_id, sim in near:
            m = model_of[photo_id]
            best[m] = max(best.get(m, -1.0), sim)
        ids = list(best)
        z = np.array([best[m] for m in ids]) / LISTING_TEMPERATURE
        p = np.exp(z - z.max())
        p /= p.sum()
        weight = LISTING_WEIGHT if scores else 1.0
        scores = {m: s * (1 - weight) for m, s in scores.items()}
        for m, pk in zip(ids, p, strict=True):
            scores[m] = scores.get(m, 0.0) + weight * float(pk)
    return sorted(scores.items(), key=lambda t: -t[1])


# Decoding and the model are what a photo search costs. One at a time: the model already uses
# every core, and a burst then holds one upload and one decoded photo (up to 10 MP), not eight
# (bench/abuse_memory.py); the other searches wait their turn with their upload on disk.
_photo_slots = threading.BoundedSemaphore(1)


@contextmanager
def photo_slot():
    """Hold while reading, decoding and embedding one searched photo."""
    with _photo_slots:
        yield


def _body_type_stock(session: Session, bodies: list[str], stock: dict) -> list[search.Hit]:
    hits: list[search.Hit] = []
    for body in bodies:
        if len(hits) < stock["limit"]:
            found, _ = search.search(session, search.StockQuery(body_type=body, **stock))
            hits += found[: stock["limit"] - len(hits)]
    return hits


def photo_search(
    session: Session,
    settings: Settings,
    data: bytes,
    *,
    near: tuple[float, float] | None = None,
    radius_km: float | None = None,
    limit: int = 20,
) -> PhotoSearch:
    photo = intake.load(data)
    look = embedder(settings).look(photo.image)
    if look.car_score < cars.CAR_GATE:
        raise Invalid(
            "no_vehicle",
            "We could not find a car in this photo. Take it again with the whole car in view.",
            car_score=round(look.car_score, 3),
        )
    body_types = look.body_types()
    the_head, listed = head(session), listings(session)
    near_photos = listed.index.search(look.vector, 20) if listed else []
    ranked = _blend(
        the_head.predict(look.vector) if the_head else None,
        near_photos,
        listed.model_of if listed else {},
    )
    stock = dict(near=near, radius_km=radius_km, limit=limit)
    if not ranked:
        # a weak hint (right about a third of the time, see the model card): show the stock of
        # the likeliest body types, not only the first
        bodies = [b for b, s in body_types[:3] if s >= MIN_STOCK_SCORE] or [body_types[0][0]]
        return PhotoSearch(
            basis="body_type",
            matches=[],
            body_type=body_types[0][0],
            body_types=body_types,
            car_score=look.car_score,
            hits=_body_type_stock(session, bodies, stock),
            note="No reference photos are loaded yet, so only the body type was recognised.",
            unknown=True,
            stock_body_types=bodies,
        )
    best = ranked[0][0]
    closeness = max(
        the_head.closeness(look.vector, best) if the_head else -1.0,
        max((s for pid, s in near_photos if listed.model_of[pid] == best), default=-1.0),
    )
    ranked, right = cars.open_set(ranked, closeness)
    if right < cars.OPEN_SET_CUT:
        # no enrolled model fits: say so, with the body type of the nearest model (right about
        # half the time, against a quarter from the ImageNet classes: see the model card)
        nearest = session.get(CarModel, best)
        body = nearest.body_type if nearest else body_types[0][0]
        return PhotoSearch(
            basis="references" if the_head else "listing_photos",
            matches=[],
            body_type=body,
            body_types=body_types,
            car_score=look.car_score,
            hits=_body_type_stock(session, [body], stock),
            note="We don't know this model yet; here are cars of the likeliest body type.",
            unknown=True,
            stock_body_types=[body],
        )

    top = ranked[:TOP_MATCHES]
    models = {
        m.id: m
        for m in session.scalars(select(CarModel).where(CarModel.id.in_([m for m, _ in top])))
    }
    matches = [
        {
            "model_id": m,
            "brand": models[m].brand.code,
            "brand_name": models[m].brand.name,
            "model": models[m].name,
            "body_type": models[m].body_type,
            "score": round(score, 4),
        }
        for m, score in top
        if m in models
    ]
    # this very car first (a listing photo nearly identical), then stock of the likely models
    hits: list[search.Hit] = []
    seen: set[int] = set()
    same_car = [listed.vehicle_of[pid] for pid, sim in near_photos if sim >= SAME_CAR_SIMILARITY]
    if same_car:
        found, _ = search.search(session, search.StockQuery(vehicle_ids=tuple(same_car), **stock))
        found.sort(key=lambda h: same_car.index(h.vehicle.id))  # most similar photo first
        for h in found:
            hits.append(h)
            seen.add(h.vehicle.id)
    # each likely model gets a share of the answer, so a close second is seen too
    likely = [m for m in matches if m is matches[0] or m["score"] >= MIN_STOCK_SCORE]
    share = max(4, limit // len(likely)) if likely else 0
    for match in likely:
        found, _ = search.search(session, search.StockQuery(model_id=match["model_id"], **stock))
        fresh = [h for h in found if h.vehicle.id not in seen]
        for h in fresh[: min(share, limit - len(hits))]:
            hits.append(h)
            seen.add(h.vehicle.id)
    return PhotoSearch(
        basis="references" if the_head else "listing_photos",
        matches=matches,
        body_type=matches[0]["body_type"] if matches else body_types[0][0],
        body_types=body_types,
        car_score=look.car_score,
        hits=hits,
    )
