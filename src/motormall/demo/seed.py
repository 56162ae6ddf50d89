"""`motormall demo seed`: the demo network, loaded idempotently (codes and VINs are keys).

Generated deterministically from a fixed seed, so two runs make the same network and a second
run adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

import motormall.handlers  # noqa: F401  the seed publishes events: their listeners must be wired
from motormall.catalog.models import Brand, CarModel, Dealer, Tower, Trim, Vehicle
from motormall.catalog.vin import with_check_digit
from motormall.demo import network
from motormall.platform.auth import Role, User, create_user

SEED = 20261123
VEHICLES_PER_DEALER = 64
TOWER_FILL = 0.6
YEAR_CODE = {2025: "S", 2026: "T"}
VIN_SERIAL_CHARS = "0123456789"

# (e-mail, password, role, dealer code, tower code): listed in the README
DEMO_ACCOUNTS = [
    ("admin@motormall.demo", "demo-admin-2026", Role.oem_admin, None, None),
    ("manager@motormall.demo", "demo-manager-2026", Role.dealer_manager, "SH-BMW-01", None),
    ("staff@motormall.demo", "demo-staff-2026", Role.dealer_staff, "SH-BMW-01", None),
    ("tower@motormall.demo", "demo-tower-2026", Role.tower, None, "TWR-SH1"),
    ("buyer@motormall.demo", "demo-buyer-2026", Role.customer, None, None),
]
DEMO_CUSTOMERS = [
    ("li.wei@motormall.demo", "Li Wei", "+8613800138001", "Shanghai"),
    ("wang.fang@motormall.demo", "Wang Fang", "+8613900139002", "Nanjing"),
    ("zhang.min@motormall.demo", "Zhang Min", "+8613700137003", "Hangzhou"),
]
CUSTOMER_PASSWORD = "demo-buyer-2026"

# Which brands each district's dealer sells, cycling per city: BMW sites often host MINI too.
SITE_BRANDS = [("BMW", "MINI"), ("FORD",), ("BMW",), ("FORD",), ("MINI",)]
SITES_PER_CITY = 4


def seed(session: Session, progress: Callable[[str], None] = lambda _: None) -> dict[str, int]:
    rng = random.Random(SEED)
    counts = {}
    brands = _brands(session)
    trims = _catalog(session, brands)
    counts["trims"] = len(trims)
    progress(f"catalog: {len(brands)} brands, {len(trims)} trims")
    dealers = _dealers(session, brands, rng)
    towers = _towers(session)
    for tower in towers:  # the carmaker assigns each tower to the dealers of its city
        if not tower.dealers:
            tower.dealers = [d for d in dealers if d.city == tower.city]
    counts["dealers"], counts["towers"] = len(dealers), len(towers)
    progress(f"network: {len(dealers)} dealers, {len(towers)} towers")
    counts["vehicles_added"] = _stock(session, dealers, towers, trims, rng, progress)
    counts["accounts_added"] = _accounts(session, dealers, towers)
    counts["leads_added"] = _leads(session, dealers)
    counts["service_visits_added"] = _after_sales(session, dealers)
    progress(f"after-sales: {counts['service_visits_added']} service visits added")
    return counts


def _after_sales(session: Session, dealers: list[Dealer]) -> int:
    """Parts, past visits with surveys (one unhappy: an open case) and visits to come at the
    demo dealer, for the demo customers and the demo buyer."""
    from motormall.demo import aftersales
    from motormall.platform.db import utcnow

    home = next(d for d in dealers if d.code == DEMO_ACCOUNTS[1][3])
    emails = [c[0] for c in DEMO_CUSTOMERS] + [DEMO_ACCOUNTS[4][0]]
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))}
    staff = session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[2][0]))
    return aftersales.seed(session, home, [users[e] for e in emails], staff, now=utcnow())


def _leads(session: Session, dealers: list[Dealer]) -> int:
    """A few open inquiries near the demo dealer, routed by the real rules, so the dealer
    portal's inbox has work in it. Skipped for customers who already have leads."""
    from motormall.leads import service as leads
    from motormall.leads.models import Lead
    from motormall.platform.auth import principal_of
    from motormall.platform.db import utcnow

    home = next(d for d in dealers if d.code == DEMO_ACCOUNTS[1][3])
    bmw_models = session.scalars(
        select(CarModel).join(Brand).where(Brand.code == "BMW").order_by(CarModel.name)
    ).all()
    added = 0
    for n, (email, *_rest) in enumerate(DEMO_CUSTOMERS):
        user = session.scalar(select(User).where(User.email == email))
        if session.scalar(select(Lead.id).where(Lead.customer_id == user.id).limit(1)):
            continue
        inquiry = leads.Inquiry(
            channel="web",
            model_id=bmw_models[n * 3 % len(bmw_models)].id,
            message="Is this one available for a test drive this week?",
            near=(home.lat + 0.001 * n, home.lon),
        )
        leads.submit(session, principal_of(user), inquiry, now=utcnow())
        added += 1
    return added


def _brands(session: Session) -> dict[str, Brand]:
    out = {}
    for code, name in network.BRANDS:
        brand = session.scalar(select(Brand).where(Brand.code == code))
        if brand is None:
            brand = Brand(code=code, name=name)
            session.add(brand)
        out[code] = brand
    session.flush()
    return out


def _catalog(session: Session, brands: dict[str, Brand]) -> list[Trim]:
    trims = []
    for spec in network.MODELS:
        brand = brands[spec["brand"]]
        model = session.scalar(
            select(CarModel).where(CarModel.brand_id == brand.id, CarModel.name == spec["name"])
        )
        if model is None:
            model = CarModel(
                brand_id=brand.id,
                name=spec["name"],
                body_type=spec["body_type"],
                powertrain=spec["powertrain"],
            )
            session.add(model)
            session.flush()
        for name, msrp in spec["trims"]:
            trim = session.scalar(select(Trim).where(Trim.model_id == model.id, Trim.name == name))
            if trim is None:
                trim = Trim(model_id=model.id, name=name, msrp=Decimal(msrp), currency="CNY")
                session.add(trim)
                session.flush()
            trims.append(trim)
    return trims


def _city_code(name: str) -> str:
    special = {
        "Shanghai": "SH",
        "Shenzhen": "SZ",
        "Shenyang": "SY",
        "Suzhou": "SU",
        "Chongqing": "CQ",
        "Chengdu": "CD",
        "Guangzhou": "GZ",
        "Hangzhou": "HZ",
        "Hefei": "HF",
        "Beijing": "BJ",
        "Nanjing": "NJ",
        "Wuhan": "WH",
        "Tianjin": "TJ",
        "Xi'an": "XA",
    }
    return special.get(name) or name[:2].upper()


def _dealers(session: Session, brands: dict[str, Brand], rng: random.Random) -> list[Dealer]:
    dealers = []
    for city in network.CITIES:
        per_brand: dict[str, int] = {}
        for i, (district, district_zh, lat, lon) in enumerate(
            city["districts"][: SITES_PER_CITY + 1]
        ):
            sold = SITE_BRANDS[i % len(SITE_BRANDS)]
            lead = sold[0]
            per_brand[lead] = per_brand.get(lead, 0) + 1
            code = f"{_city_code(city['name'])}-{lead}-{per_brand[lead]:02d}"
            g = (len(dealers) * 3) % len(network.DEALER_GROUPS)
            group, group_zh = network.DEALER_GROUPS[g], network.DEALER_GROUPS_ZH[g]
            # draw every attribute before looking the dealer up, so reruns stay in step
            attrs = dict(
                name=f"{group} {brands[lead].name} {district}",
                name_zh=f"{group_zh}{network.BRANDS_ZH[lead]}{district_zh}店",
                address=f"{88 + 2 * len(dealers)} {district} Avenue, {city['name']}",
                # invented numbers in the city's area code, one per site
                phone=f"+86{network.AREA_CODES.get(city['name'], '21')}{6000_0000 + len(dealers)}",
                lat=round(lat + rng.uniform(-0.01, 0.01), 5),
                lon=round(lon + rng.uniform(-0.01, 0.01), 5),
                lead_capacity_per_day=rng.choice([20, 30, 40, 60]),
                service_bays=rng.choice([4, 6, 8, 12, 16]),
            )
            dealer = session.scalar(select(Dealer).where(Dealer.code == code))
            if dealer is None:
                dealer = Dealer(
                    code=code, city=city["name"], brands=[brands[b] for b in sold], **attrs
                )
                session.add(dealer)
            else:  # networks seeded before dealers had contact details get them now
                for key in ("name_zh", "address", "phone"):
                    setattr(dealer, key, getattr(dealer, key) or attrs[key])
            dealers.append(dealer)
    session.flush()
    return dealers


def _towers(session: Session) -> list[Tower]:
    towers = []
    for spec in network.TOWERS:
        tower = session.scalar(select(Tower).where(Tower.code == spec["code"]))
        if tower is None:
            tower = Tower(**spec)
            session.add(tower)
        towers.append(tower)
    session.flush()
    return towers


def demo_vin(brand: str, serial: int, year: int, vds: str) -> str:
    plant = "A"
    body = f"{network.WMI[brand]}{vds}0{YEAR_CODE[year]}{plant}{serial:06d}"
    return with_check_digit(body)


def _stock(session, dealers, towers, trims, rng, progress) -> int:
    by_brand: dict[str, list[Trim]] = {}
    for trim in trims:
        by_brand.setdefault(trim.model.brand.code, []).append(trim)
    existing = set(session.scalars(select(Vehicle.vin)))
    taken_bays = {
        (t, b)
        for t, b in session.execute(
            select(Vehicle.tower_id, Vehicle.bay).where(Vehicle.tower_id.is_not(None))
        )
    }
    rows, serial = [], 0
    tower_by_city = {t.city: t for t in towers}
    for n, dealer in enumerate(dealers, start=1):
        codes = [b.code for b in dealer.brands]
        tower = tower_by_city.get(dealer.city)
        for _ in range(VEHICLES_PER_DEALER):
            serial += 1
            brand = rng.choice(codes)
            trim = rng.choice(by_brand[brand])
            year = rng.choice([2025, 2026, 2026])
            vds = rng.choice(network.VDS_HINTS[brand])
            colour = rng.choice(network.COLOURS[brand])
            discount = Decimal(rng.choice([0, 0, 1, 2, 3, 5, 8])) / 100
            price = (trim.msrp * (1 - discount) / 100).quantize(Decimal("1")) * 100
            use_tower = tower is not None and rng.random() < 0.12
            vin = demo_vin(brand, serial, year, vds)
            if vin in existing:
                continue
            row = dict(
                vin=vin,
                trim_id=trim.id,
                model_id=trim.model_id,
                brand_id=trim.model.brand_id,
                color=colour,
                year=year,
                price=price,
                currency="CNY",
                dealer_id=dealer.id,
                tower_id=None,
                bay=None,
                status="available",
            )
            if use_tower:
                free = [
                    b
                    for b in range(1, int(tower.bays * TOWER_FILL) + 1)
                    if (tower.id, b) not in taken_bays
                ]
                if free:
                    row["tower_id"], row["bay"] = tower.id, free[0]
                    taken_bays.add((tower.id, free[0]))
            rows.append(row)
        if n % 10 == 0 or n == len(dealers):
            progress(f"stock: {n}/{len(dealers)} dealers, {len(rows)} new vehicles")
    for start in range(0, len(rows), 1000):
        session.execute(insert(Vehicle), rows[start : start + 1000])
    return len(rows)


def _accounts(session: Session, dealers, towers) -> int:
    dealer_ids = {d.code: d.id for d in dealers}
    tower_ids = {t.code: t.id for t in towers}
    added = 0
    for email, password, role, dealer, tower in DEMO_ACCOUNTS:
        if session.scalar(select(User.id).where(User.email == email)):
            continue
        create_user(
            session,
            email=email,
            password=password,
            role=role,
            name=email.split("@")[0].title(),
            dealer_id=dealer_ids.get(dealer),
            tower_id=tower_ids.get(tower),
            city="Shanghai",
        )
        added += 1
    for email, name, phone, city in DEMO_CUSTOMERS:
        if session.scalar(select(User.id).where(User.email == email)):
            continue
        create_user(
            session,
            email=email,
            password=CUSTOMER_PASSWORD,
            role=Role.customer,
            name=name,
            phone=phone,
            city=city,
        )
        added += 1
    return added
