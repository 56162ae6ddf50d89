"""Photo search, the carmaker's reference photos and dealers' listing photos.

The routes are plain `def`: the models run in the server's thread pool, not on the event
loop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import BaseModel
from sqlalchemy import select

from motormall.catalog import schemas as catalog_schemas
from motormall.catalog.listing import find_vehicle, vehicle_out
from motormall.catalog.models import CarModel, Dealer
from motormall.platform.auth import Principal, Role
from motormall.platform.deps import AppSettings, CallerScope, DbSession, ReadSession, require
from motormall.platform.errors import Invalid, NotFound
from motormall.platform.geo import parse_near
from motormall.platform.ids import RecordId
from motormall.vision import intake, service

router = APIRouter(tags=["vision"])
Admin = Annotated[Principal, require(Role.oem_admin)]
DealerStaff = Annotated[Principal, require(Role.oem_admin, Role.dealer_manager, Role.dealer_staff)]


class Match(BaseModel):
    model_id: int
    brand: str
    model: str
    body_type: str
    score: float  # probability that the photo shows this model (at most 0.99)


class BodyTypeScore(BaseModel):
    body_type: str
    score: float


class PhotoSearchOut(BaseModel):
    basis: str  # "references": models recognised; "body_type": no references loaded yet
    matches: list[Match]
    body_type: str
    body_types: list[BodyTypeScore]
    car_score: float
    vehicles: list[catalog_schemas.VehicleOut]
    note: str | None = None
    unknown: bool = False  # no enrolled model fits: `matches` is empty, `body_type` is a guess


SINGLE_PHOTO_PATHS = {"/api/v1/search/photo", "/find"}
MANY_PHOTOS_BYTES = 64 * 1024 * 1024  # a batch of reference photos


def upload_limit(path: str) -> int | None:
    """The request size allowed on a photo upload path (None: not a photo upload)."""
    if path in SINGLE_PHOTO_PATHS or (
        path.startswith("/api/v1/dealers/") and path.endswith("/photos")
    ):
        return intake.MAX_BYTES + 65_536  # the photo and the form around it
    if path == "/oem/references" or path.endswith("/reference-photos"):
        return MANY_PHOTOS_BYTES
    return None


def _read(upload: UploadFile) -> bytes:
    return upload.file.read(intake.MAX_BYTES + 1)


@router.post("/search/photo", response_model=PhotoSearchOut)
def search_by_photo(
    session: ReadSession,
    settings: AppSettings,
    image: Annotated[UploadFile, File(description="a photo of the car: JPEG, PNG or WebP")],
    near: Annotated[str | None, Form(max_length=60)] = None,
    radius_km: Annotated[float | None, Form(gt=0, le=20_000)] = None,
):
    """Which catalog models the photo shows (top five, best first, with probabilities) and
    the matching cars in stock, nearest first when `near=LAT,LON` is given.

    Open set: when the photo fits no model with reference photos well enough (its best
    model would more likely be wrong than right), `matches` is empty, `unknown` is true,
    `body_type` is the likeliest body type and `vehicles` are cars of that body type.
    Scores are calibrated probabilities and never exceed 0.99."""
    with service.photo_slot():  # the upload stays on disk until its turn comes
        found = service.photo_search(
            session,
            settings,
            _read(image),
            near=parse_near(near) if near else None,
            radius_km=radius_km,
        )
    return PhotoSearchOut(
        basis=found.basis,
        matches=found.matches,
        body_type=found.body_type,
        body_types=[{"body_type": b, "score": round(s, 4)} for b, s in found.body_types],
        car_score=round(found.car_score, 4),
        vehicles=[vehicle_out(h.vehicle, h.distance_km) for h in found.hits],
        note=found.note,
        unknown=found.unknown,
    )


class References(BaseModel):
    model_id: int
    references: int
    added: int | None = None


def _model(session, model_id: int) -> CarModel:
    model = session.get(CarModel, model_id)
    if model is None:
        raise NotFound("not_found", f"No catalog model {model_id}.")
    return model


@router.get("/models/{model_id}/reference-photos", response_model=References)
def reference_photos(model_id: RecordId, session: ReadSession, who: Admin):
    _model(session, model_id)
    return References(model_id=model_id, references=service.reference_count(session, model_id))


@router.post("/models/{model_id}/reference-photos", status_code=201, response_model=References)
def add_reference_photos(
    model_id: RecordId,
    session: DbSession,
    settings: AppSettings,
    who: Admin,
    photos: Annotated[list[UploadFile], File(description="press or listing photos of the model")],
    replace: Annotated[bool, Form()] = False,
):
    """The carmaker's photos of a model (8 or more, from several angles, work best). Photo
    search learns them at once. `replace=true` drops the model's earlier references."""
    if len(photos) > 50:
        raise Invalid("too_many_photos", "Send at most 50 photos at a time.")
    got = [(p.filename or f"photo {i + 1}", _read(p)) for i, p in enumerate(photos)]
    prepared = service.prepare_references(settings, got)  # before the database is touched
    result = service.set_references(
        session, model_id, prepared, actor_id=who.user_id, replace=replace
    )
    return References(**result)


@router.delete("/models/{model_id}/reference-photos", status_code=204)
def delete_reference_photos(model_id: RecordId, session: DbSession, who: Admin):
    _model(session, model_id)
    service.clear_references(session, model_id, actor_id=who.user_id)
    return Response(status_code=204)


class ListingPhotoOut(BaseModel):
    id: int
    vin: str
    model_id: int


@router.post(
    "/dealers/{code}/vehicles/{vin}/photos", status_code=201, response_model=ListingPhotoOut
)
def add_listing_photo(
    code: str,
    vin: str,
    session: DbSession,
    settings: AppSettings,
    who: DealerStaff,
    scope: CallerScope,
    photo: Annotated[UploadFile, File(description="a photo of this car")],
):
    """A dealer's photo of one car in stock: photo search finds this car by it at once."""
    dealer = session.scalar(select(Dealer).where(Dealer.code == code.upper()))
    if dealer is None:
        raise NotFound("dealer_not_found", f"No dealer with code {code!r}.")
    scope.dealer(dealer.id, "dealer")
    vehicle = find_vehicle(session, vin, who)
    if vehicle.dealer_id != dealer.id:
        raise NotFound("vehicle_not_found", f"No vehicle with VIN {vehicle.vin} at {dealer.code}.")
    return service.add_listing_photo(session, settings, vehicle, _read(photo), actor_id=who.user_id)
