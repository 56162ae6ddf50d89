"""Dealer inventory CSV import: bad lines are rejected one by one, good lines are kept, and
importing the same file again changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.catalog.models import Dealer, Tower, Trim, Vehicle, VehicleStatus, tower_dealers
from motormall.catalog.vin import normalise_vin
from motormall.platform import audit
from motormall.platform.errors import Conflict, DomainError, Invalid
from motormall.platform.money import parse_amount

COLUMNS = ("vin", "trim_id", "color", "year", "price", "location")
MAX_LINES = 50_000


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged

    def reject(self, line: int, code: str, error: str) -> None:
        self.rejected.append({"line": line, "code": code, "error": error})


@dataclass
class Row:
    line: int
    vin: str
    trim: Trim
    color: str
    year: int
    price: Decimal
    tower: Tower | None


def import_inventory(
    session: Session, dealer: Dealer, data: bytes, *, actor_id: str | None, today: dt.date
) -> Report:
    """Import a CSV with columns vin,trim_id,color,year,price,location into `dealer`'s stock."""
    lines = data.split(b"\n")
    if len(lines) > MAX_LINES + 1:
        raise Invalid("csv_too_long", f"At most {MAX_LINES} lines per file; split the file.")
    header = _header(lines[0])
    report = Report()
    rows: list[Row] = []
    seen: dict[str, int] = {}
    trims = {t.id: t for t in session.scalars(select(Trim))}
    towers = {t.code: t for t in session.scalars(select(Tower))}
    brand_ids = {b.id for b in dealer.brands}
    # the towers the carmaker assigned this dealer to: the only bays it may fill
    served = set(
        session.scalars(
            select(tower_dealers.c.tower_id).where(tower_dealers.c.dealer_id == dealer.id)
        )
    )

    for number, raw in enumerate(lines[1:], start=2):
        try:
            text = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            report.reject(
                number, "not_utf8", f"byte {exc.start + 1} is not UTF-8; save the file as UTF-8"
            )
            continue
        if not text.strip():
            continue
        try:
            row = _parse(number, text, header, trims, towers, brand_ids, today)
        except DomainError as exc:
            report.reject(number, exc.code, exc.detail)
            continue
        if row.tower is not None and row.tower.id not in served:
            report.reject(
                number,
                "tower_not_assigned",
                f"tower {row.tower.code} does not serve dealer {dealer.code}; "
                "the carmaker assigns the dealers that stock a tower",
            )
            continue
        if row.vin in seen:
            report.reject(
                number, "duplicate_vin", f"VIN {row.vin} already appears on line {seen[row.vin]}"
            )
            continue
        seen[row.vin] = number
        rows.append(row)

    _apply(session, dealer, rows, report)
    audit.record(
        session,
        actor_id=actor_id,
        action="inventory.import",
        entity_type="dealer",
        entity_id=dealer.code,
        detail={
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected),
        },
    )
    return report


def _fields(text: str) -> list[str]:
    """One CSV line's fields; a line the csv module refuses (a field over its 128 KB limit, a
    stray quote in strict dialects) is that line's rejection, not a failed import."""
    try:
        return next(csv.reader([text]), [])
    except csv.Error as exc:
        raise Invalid("malformed_csv_line", f"the line is not valid CSV: {exc}") from None


def _header(first: bytes) -> list[str]:
    try:
        text = first.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        raise Invalid("not_utf8", "The header line is not UTF-8; save the file as UTF-8.") from None
    header = [h.strip().lower() for h in _fields(text)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise Invalid(
            "csv_missing_columns",
            f"The header lacks column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}.",
            missing=missing,
        )
    return header


def _parse(number, text, header, trims, towers, brand_ids, today) -> Row:
    values = _fields(text)
    if len(values) != len(header):
        raise Invalid("wrong_field_count", f"{len(values)} fields, the header has {len(header)}")
    cell = dict(zip(header, (v.strip() for v in values), strict=True))
    vin = normalise_vin(cell["vin"])
    try:
        trim = trims[int(cell["trim_id"])]
    except (ValueError, KeyError):
        raise Invalid("unknown_trim", f"trim_id {cell['trim_id']!r} is not a known trim") from None
    if trim.model.brand_id not in brand_ids:
        raise Invalid(
            "brand_not_authorised", f"this dealer is not authorised to sell {trim.model.brand.code}"
        )
    color = cell["color"]
    if not 1 <= len(color) <= 40:
        raise Invalid("invalid_color", "color must be 1 to 40 characters")
    try:
        year = int(cell["year"])
    except ValueError:
        raise Invalid("invalid_year", f"year {cell['year']!r} is not a number") from None
    if not 1990 <= year <= today.year + 1:
        raise Invalid("invalid_year", f"year {year} is outside 1990..{today.year + 1}")
    try:
        price = parse_amount(cell["price"])
    except ValueError as exc:
        raise Invalid("invalid_price", f"price {cell['price']!r}: {exc}") from None
    if price <= 0 or price >= Decimal("100000000"):
        raise Invalid("invalid_price", f"price {price} must be above 0 and below 100,000,000")
    location = cell["location"].lower()
    tower = None
    if location.startswith("tower:"):
        tower = towers.get(location[6:].upper())
        if tower is None:
            raise Invalid("unknown_tower", f"no tower with code {location[6:]!r}")
    elif location != "dealer":
        raise Invalid("invalid_location", "location must be 'dealer' or 'tower:<code>'")
    return Row(number, vin, trim, color, year, price, tower)


def _apply(session: Session, dealer: Dealer, rows: list[Row], report: Report) -> None:
    existing = {}
    # locked in VIN order across chunks, so two imports sharing cars never wait in a circle
    vins = sorted({r.vin for r in rows})
    for start in range(0, len(vins), 500):
        chunk = vins[start : start + 500]
        existing.update(
            {
                v.vin: v
                for v in session.scalars(
                    select(Vehicle)
                    .where(Vehicle.vin.in_(chunk))
                    .order_by(Vehicle.vin)
                    .with_for_update(of=Vehicle)
                )
            }
        )
    free_bays = _free_bays(session, {r.tower.id: r.tower for r in rows if r.tower})

    for row in rows:
        vehicle = existing.get(row.vin)
        if vehicle is not None and vehicle.dealer_id != dealer.id:
            report.reject(row.line, "duplicate_vin", f"VIN {row.vin} is already in stock elsewhere")
            continue
        tower_id = row.tower.id if row.tower else None
        if vehicle is not None:
            same = (
                vehicle.trim_id,
                vehicle.color,
                vehicle.year,
                vehicle.price,
                vehicle.tower_id,
            ) == (row.trim.id, row.color, row.year, row.price, tower_id)
            if same:
                report.unchanged += 1
                continue
            if vehicle.status != VehicleStatus.available:
                report.reject(
                    row.line,
                    "vehicle_unavailable",
                    f"VIN {row.vin} is {vehicle.status} and cannot be changed by import",
                )
                continue
            if vehicle.trim_id != row.trim.id:
                report.reject(
                    row.line,
                    "trim_mismatch",
                    f"VIN {row.vin} is already stocked as trim {vehicle.trim_id}",
                )
                continue
        bay = None
        if row.tower is not None:
            if vehicle is not None and vehicle.tower_id == tower_id:
                bay = vehicle.bay
            elif free_bays[row.tower.id]:
                bay = free_bays[row.tower.id].pop(0)
            else:
                report.reject(row.line, "tower_full", f"tower {row.tower.code} has no free bay")
                continue
        if vehicle is None:
            session.add(
                Vehicle(
                    vin=row.vin,
                    trim_id=row.trim.id,
                    model_id=row.trim.model_id,
                    brand_id=row.trim.model.brand_id,
                    color=row.color,
                    year=row.year,
                    price=row.price,
                    currency=row.trim.currency,
                    dealer_id=dealer.id,
                    tower_id=tower_id,
                    bay=bay,
                )
            )
            report.created += 1
        else:
            if vehicle.tower_id is not None and vehicle.tower_id != tower_id:
                free_bays.setdefault(vehicle.tower_id, []).append(vehicle.bay)
            vehicle.color, vehicle.year, vehicle.price = row.color, row.year, row.price
            vehicle.tower_id, vehicle.bay = tower_id, bay
            report.updated += 1
    try:
        session.flush()
    except IntegrityError:
        # a concurrent import stocked one of these VINs or bays first (unique constraints)
        raise Conflict(
            "import_conflict",
            "Another import changed the same cars at the same time; "
            "run this import again to see which lines are now duplicates.",
        ) from None


def _free_bays(session: Session, towers: dict[int, Tower]) -> dict[int, list[int]]:
    free = {}
    for tower_id, tower in sorted(towers.items()):  # towers, then their cars, in key order
        taken = set(
            session.scalars(
                select(Vehicle.bay)
                .where(Vehicle.tower_id == tower_id)
                .order_by(Vehicle.id)
                .with_for_update()
            )
        )
        free[tower_id] = [b for b in range(1, tower.bays + 1) if b not in taken]
    return free
