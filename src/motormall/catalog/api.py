"""Catalog and stock routes: public reads, OEM writes, dealer inventory import."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, UploadFile
from sqlalchemy import select

from motormall.catalog import inventory, schemas, search, service
from motormall.catalog.listing import find_vehicle, vehicle_out
from motormall.catalog.models import Brand, CarModel, Dealer, Powertrain, Tower, Trim
from motormall.catalog.models import VehicleStatus as Status
from motormall.platform import pages
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import (
    AppSettings,
    CallerScope,
    DbSession,
    OptionalPrincipal,
    ReadSession,
    ReplicaSession,
    require,
)
from motormall.platform.errors import Forbidden, Invalid, NotFound, TooLarge
from motormall.platform.geo import haversine_km, parse_near
from motormall.platform.ids import RecordId
from motormall.platform.money import Amount

router = APIRouter(tags=["catalog"])
Admin = Annotated[Principal, require(Role.oem_admin)]
Importer = Annotated[Principal, require(Role.oem_admin, Role.dealer_manager)]


@router.post("/brands", status_code=201, response_model=schemas.BrandOut)
def create_brand(body: schemas.BrandIn, session: DbSession, who: Admin):
    return service.brand_out(service.create_brand(session, body, actor_id=who.user_id))


Limit = Annotated[int, Query(ge=1, le=pages.MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=200)]


def _listing(session, stmt, key, out, limit, cursor) -> dict:
    rows, next_cursor = pages.page(session, stmt, key, limit=limit, cursor=cursor)
    return {"items": [out(r) for r in rows], "next_cursor": next_cursor}


@router.get("/brands", response_model=schemas.Listing[schemas.BrandOut])
def list_brands(session: ReplicaSession, limit: Limit = pages.DEFAULT_LIMIT, cursor: Cursor = None):
    return _listing(session, select(Brand), Brand.code, service.brand_out, limit, cursor)


@router.post("/models", status_code=201, response_model=schemas.ModelOut)
def create_model(body: schemas.ModelIn, session: DbSession, who: Admin):
    return service.model_out(service.create_model(session, body, actor_id=who.user_id))


@router.get("/models", response_model=schemas.Listing[schemas.ModelOut])
def list_models(
    session: ReplicaSession,
    brand: str | None = None,
    limit: Limit = pages.DEFAULT_LIMIT,
    cursor: Cursor = None,
):
    stmt = select(CarModel)
    if brand:
        stmt = stmt.join(Brand).where(Brand.code == brand.upper())
    return _listing(session, stmt, CarModel.id, service.model_out, limit, cursor)


@router.post("/trims", status_code=201, response_model=schemas.TrimOut)
def create_trim(body: schemas.TrimIn, session: DbSession, who: Admin):
    return service.trim_out(service.create_trim(session, body, actor_id=who.user_id))


@router.get("/trims", response_model=schemas.Listing[schemas.TrimOut])
def list_trims(
    session: ReplicaSession,
    model_id: RecordId | None = None,
    limit: Limit = pages.DEFAULT_LIMIT,
    cursor: Cursor = None,
):
    stmt = select(Trim)
    if model_id is not None:
        stmt = stmt.where(Trim.model_id == model_id)
    return _listing(session, stmt, Trim.id, service.trim_out, limit, cursor)


@router.post("/dealers", status_code=201, response_model=schemas.DealerOut)
def create_dealer(body: schemas.DealerIn, session: DbSession, who: Admin):
    return service.dealer_out(service.create_dealer(session, body, actor_id=who.user_id))


@router.get("/dealers", response_model=schemas.Listing[schemas.DealerOut])
def list_dealers(
    session: ReplicaSession,
    brand: str | None = None,
    city: str | None = None,
    limit: Limit = pages.DEFAULT_LIMIT,
    cursor: Cursor = None,
):
    stmt = select(Dealer)
    if brand:
        stmt = stmt.where(Dealer.brands.any(Brand.code == brand.upper()))
    if city:
        stmt = stmt.where(Dealer.city == city)
    return _listing(session, stmt, Dealer.code, service.dealer_out, limit, cursor)


@router.get("/dealers/{code}", response_model=schemas.DealerOut)
def get_dealer(code: str, session: ReadSession):
    return service.dealer_out(service.dealer_by_code(session, code))


@router.post("/towers", status_code=201, response_model=schemas.TowerOut)
def create_tower(body: schemas.TowerIn, session: DbSession, who: Admin):
    return service.tower_out(service.create_tower(session, body, actor_id=who.user_id))


@router.get("/towers", response_model=schemas.Listing[schemas.TowerOut])
def list_towers(session: ReplicaSession, limit: Limit = pages.DEFAULT_LIMIT, cursor: Cursor = None):
    return _listing(session, select(Tower), Tower.code, service.tower_out, limit, cursor)


@router.post("/dealers/{code}/inventory", response_model=schemas.ImportReport)
def import_inventory(
    code: str,
    file: UploadFile,
    request: Request,
    session: DbSession,
    who: Importer,
    scope: CallerScope,
    settings: AppSettings,
):
    """CSV with columns `vin,trim_id,color,year,price,location` (`dealer` or `tower:<code>`).

    Bad lines are listed in `rejected` with their line number; the good ones are kept.
    """
    dealer = session.scalar(select(Dealer).where(Dealer.code == code.upper()))
    if dealer is None:
        raise NotFound("dealer_not_found", f"No dealer with code {code!r}.")
    scope.dealer(dealer.id, "dealer")  # another dealer's manager gets 404
    data = file.file.read(settings.max_upload_bytes + 1)  # spooled already: no await
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(
            "upload_too_large",
            f"The file is over {settings.max_upload_bytes // 1_000_000} MB; split it.",
        )
    if not data.strip():
        raise Invalid("empty_file", "The file is empty; upload a CSV with a header line.")
    report = inventory.import_inventory(
        session, dealer, data, actor_id=who.user_id, today=utcnow().date()
    )
    return schemas.ImportReport(
        accepted=report.accepted,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected,
    )


def stock_query(
    session,
    principal: Principal | None,
    *,
    brand,
    model_id,
    powertrain,
    price_min,
    price_max,
    near,
    radius_km,
    at,
    sort,
    status,
    limit,
    cursor,
) -> search.StockQuery:
    """Turn query parameters into a StockQuery; shared by the API and the storefront."""
    q = search.StockQuery(
        model_id=model_id,
        powertrain=powertrain,
        price_min=price_min,
        price_max=price_max,
        radius_km=radius_km,
        at=at,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    if brand:
        brand_id = session.scalar(select(Brand.id).where(Brand.code == brand.upper()))
        q.brand_id = brand_id if brand_id is not None else -1  # unknown brand: nothing found
    if near:
        q.near = parse_near(near)
    if status:
        if principal is None or principal.role not in {
            Role.oem_admin,
            Role.dealer_staff,
            Role.dealer_manager,
        }:
            raise Forbidden("staff_only_filter", "Only staff may list vehicles by status.")
        q.statuses = tuple(s.value for s in status)
        if principal.is_dealer:
            q.dealer_id = principal.dealer_id  # staff see other dealers' stock only when available
    return q


@router.get("/vehicles", response_model=schemas.VehiclePage)
def list_vehicles(
    session: ReplicaSession,
    principal: OptionalPrincipal,
    brand: Annotated[str | None, Query(max_length=20)] = None,
    model_id: RecordId | None = None,
    powertrain: Powertrain | None = None,
    price_min: Annotated[Amount | None, Query()] = None,
    price_max: Annotated[Amount | None, Query()] = None,
    near: Annotated[str | None, Query(description="LAT,LON", max_length=60)] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=20_000)] = None,
    at: Literal["dealer", "tower"] | None = None,
    sort: Literal["price", "distance"] | None = None,
    status: Annotated[list[Status] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
):
    """Available stock, filtered; `near` adds `distance_km` and allows `sort=distance`
    (the default when `near` is given)."""
    q = stock_query(
        session,
        principal,
        brand=brand,
        model_id=model_id,
        powertrain=powertrain,
        price_min=price_min,
        price_max=price_max,
        near=near,
        radius_km=radius_km,
        at=at,
        sort=sort,
        status=status,
        limit=limit,
        cursor=cursor,
    )
    hits, next_cursor = search.search(session, q)
    page = schemas.VehiclePage(
        items=[vehicle_out(h.vehicle, h.distance_km) for h in hits], next_cursor=next_cursor
    )
    # serialised once here; returned as a model it would be validated again on the way out
    return Response(page.model_dump_json(), media_type="application/json")


@router.get("/vehicles/{vin}", response_model=schemas.VehicleOut)
def get_vehicle(
    vin: str,
    session: ReadSession,
    principal: OptionalPrincipal,
    near: Annotated[str | None, Query(max_length=60)] = None,
):
    vehicle = find_vehicle(session, vin, principal)
    distance = None
    if near:
        lat, lon = parse_near(near)
        site = vehicle.tower or vehicle.dealer
        distance = haversine_km(lat, lon, site.lat, site.lon)
    return vehicle_out(vehicle, distance, all_photos=True)
