"""Catalog rules: brands, models, trims, dealers, towers. No HTTP here."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.catalog import schemas
from motormall.catalog.models import DEFAULT_OPENING_HOURS, Brand, CarModel, Dealer, Tower, Trim
from motormall.platform import audit
from motormall.platform.errors import Conflict, Invalid, NotFound
from motormall.platform.money import MoneyOut


def _exists(what: str, key) -> Conflict:
    return Conflict("already_exists", f"{what} {key} already exists.")


def brand_by_code(session: Session, code: str) -> Brand:
    brand = session.scalar(select(Brand).where(Brand.code == code.upper()))
    if brand is None:
        raise NotFound("brand_not_found", f"No brand with code {code!r}.")
    return brand


def dealer_by_code(session: Session, code: str) -> Dealer:
    dealer = session.scalar(select(Dealer).where(Dealer.code == code.upper()))
    if dealer is None:
        raise NotFound("dealer_not_found", f"No dealer with code {code!r}.")
    return dealer


def tower_by_code(session: Session, code: str) -> Tower:
    tower = session.scalar(select(Tower).where(Tower.code == code.upper()))
    if tower is None:
        raise NotFound("tower_not_found", f"No tower with code {code!r}.")
    return tower


def get_model(session: Session, model_id: int) -> CarModel:
    model = session.get(CarModel, model_id)
    if model is None:
        raise NotFound("model_not_found", f"No model with id {model_id}.")
    return model


def get_trim(session: Session, trim_id: int) -> Trim:
    trim = session.get(Trim, trim_id)
    if trim is None:
        raise NotFound("trim_not_found", f"No trim with id {trim_id}.")
    return trim


def create_brand(session: Session, data: schemas.BrandIn, *, actor_id: str | None) -> Brand:
    code = data.code.upper()
    if session.scalar(select(Brand.id).where(Brand.code == code)):
        raise _exists("Brand", code)
    brand = Brand(code=code, name=data.name)
    session.add(brand)
    session.flush()
    audit.record(
        session, actor_id=actor_id, action="brand.create", entity_type="brand", entity_id=code
    )
    return brand


def create_model(session: Session, data: schemas.ModelIn, *, actor_id: str | None) -> CarModel:
    brand = _brand_for_write(session, data.brand)
    if session.scalar(
        select(CarModel.id).where(CarModel.brand_id == brand.id, CarModel.name == data.name)
    ):
        raise _exists("Model", f"{brand.code} {data.name}")
    model = CarModel(
        brand_id=brand.id,
        name=data.name,
        body_type=data.body_type.value,
        powertrain=data.powertrain.value,
    )
    session.add(model)
    session.flush()
    audit.record(
        session, actor_id=actor_id, action="model.create", entity_type="model", entity_id=model.id
    )
    return model


def _brand_for_write(session: Session, code: str) -> Brand:
    """A brand named in a body: unknown is bad input (422), not a missing resource."""
    try:
        return brand_by_code(session, code)
    except NotFound:
        raise Invalid("unknown_brand", f"No brand with code {code!r}; create it first.") from None


def _dealer_for_write(session: Session, code: str) -> Dealer:
    """A dealer named in a body: unknown is bad input (422), not a missing resource."""
    try:
        return dealer_by_code(session, code)
    except NotFound:
        raise Invalid("unknown_dealer", f"No dealer with code {code!r}; create it first.") from None


def create_trim(session: Session, data: schemas.TrimIn, *, actor_id: str | None) -> Trim:
    model = session.get(CarModel, data.model_id)
    if model is None:
        raise Invalid("unknown_model", f"No model with id {data.model_id}.")
    if session.scalar(select(Trim.id).where(Trim.model_id == model.id, Trim.name == data.name)):
        raise _exists("Trim", data.name)
    msrp = data.msrp_money
    trim = Trim(model_id=model.id, name=data.name, msrp=msrp.amount, currency=msrp.currency)
    session.add(trim)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="trim.create",
        entity_type="trim",
        entity_id=trim.id,
        detail={"msrp": str(msrp.amount)},
    )
    return trim


def create_dealer(session: Session, data: schemas.DealerIn, *, actor_id: str | None) -> Dealer:
    code = data.code.upper()
    if session.scalar(select(Dealer.id).where(Dealer.code == code)):
        raise _exists("Dealer", code)
    brands = [_brand_for_write(session, b) for b in dict.fromkeys(b.upper() for b in data.brands)]
    dealer = Dealer(
        code=code,
        name=data.name,
        name_zh=data.name_zh,
        address=data.address,
        phone=data.phone,
        city=data.city,
        lat=data.lat,
        lon=data.lon,
        lead_capacity_per_day=data.lead_capacity_per_day,
        service_bays=data.service_bays,
        timezone=data.timezone,
        opening_hours=data.opening_hours or dict(DEFAULT_OPENING_HOURS),
        brands=brands,
    )
    session.add(dealer)
    session.flush()
    audit.record(
        session, actor_id=actor_id, action="dealer.create", entity_type="dealer", entity_id=code
    )
    return dealer


def create_tower(session: Session, data: schemas.TowerIn, *, actor_id: str | None) -> Tower:
    code = data.code.upper()
    if session.scalar(select(Tower.id).where(Tower.code == code)):
        raise _exists("Tower", code)
    dealers = [
        _dealer_for_write(session, d) for d in dict.fromkeys(d.upper() for d in data.dealers)
    ]
    tower = Tower(
        code=code,
        city=data.city,
        lat=data.lat,
        lon=data.lon,
        bays=data.bays,
        timezone=data.timezone,
        opening_hours=data.opening_hours or dict(DEFAULT_OPENING_HOURS),
        dealers=dealers,
    )
    session.add(tower)
    session.flush()
    audit.record(
        session, actor_id=actor_id, action="tower.create", entity_type="tower", entity_id=code
    )
    return tower


# --- shapes for the API (kept here so pages and API render the same thing) ----------------


def brand_out(brand: Brand) -> schemas.BrandOut:
    return schemas.BrandOut(id=brand.id, code=brand.code, name=brand.name)


def model_out(model: CarModel) -> schemas.ModelOut:
    return schemas.ModelOut(
        id=model.id,
        brand=model.brand.code,
        name=model.name,
        body_type=model.body_type,
        powertrain=model.powertrain,
    )


def trim_out(trim: Trim) -> schemas.TrimOut:
    return schemas.TrimOut(
        id=trim.id,
        model_id=trim.model_id,
        name=trim.name,
        msrp=MoneyOut.of(trim.msrp, trim.currency),
        brand=trim.model.brand.code,
        model=trim.model.name,
    )


def dealer_out(dealer: Dealer) -> schemas.DealerOut:
    return schemas.DealerOut(
        id=dealer.id,
        code=dealer.code,
        name=dealer.name,
        name_zh=dealer.name_zh,
        address=dealer.address,
        phone=dealer.phone,
        brands=sorted(b.code for b in dealer.brands),
        city=dealer.city,
        lat=dealer.lat,
        lon=dealer.lon,
        lead_capacity_per_day=dealer.lead_capacity_per_day,
        service_bays=dealer.service_bays,
        timezone=dealer.timezone,
        opening_hours=dealer.opening_hours,
    )


def tower_out(tower: Tower) -> schemas.TowerOut:
    return schemas.TowerOut(
        id=tower.id,
        code=tower.code,
        city=tower.city,
        lat=tower.lat,
        lon=tower.lon,
        bays=tower.bays,
        timezone=tower.timezone,
        opening_hours=tower.opening_hours,
        dealers=sorted(d.code for d in tower.dealers),
    )
