"""Builders for test data, through the real services."""

from __future__ import annotations

from decimal import Decimal

from motormall.catalog import schemas, service
from motormall.catalog.models import Vehicle
from motormall.catalog.vin import with_check_digit
from motormall.platform.auth import Role, create_user
from motormall.platform.db import Database

PASSWORD = "correct-horse-9"


def vin(serial: int, wmi: str = "LBV") -> str:
    return with_check_digit(f"{wmi}11GS00TA{serial:06d}")


def network(
    db: Database,
    *,
    dealers=(("SH-1", 31.22, 121.54), ("SH-2", 31.30, 121.20), ("NJ-1", 32.06, 118.80)),
) -> dict:
    """Two brands, one model each with one trim, some dealers, a tower, and accounts."""
    with db.transaction() as s:
        bmw = service.create_brand(s, schemas.BrandIn(code="BMW", name="BMW"), actor_id=None)
        ford = service.create_brand(s, schemas.BrandIn(code="FORD", name="Ford"), actor_id=None)
        ix3 = service.create_model(
            s,
            schemas.ModelIn(brand="BMW", name="iX3", body_type="suv", powertrain="bev"),
            actor_id=None,
        )
        mondeo = service.create_model(
            s,
            schemas.ModelIn(brand="FORD", name="Mondeo", body_type="sedan", powertrain="ice"),
            actor_id=None,
        )
        t1 = service.create_trim(
            s, schemas.TrimIn(model_id=ix3.id, name="eDrive35L", msrp="399900.00"), actor_id=None
        )
        t2 = service.create_trim(
            s,
            schemas.TrimIn(model_id=mondeo.id, name="EcoBoost 245", msrp="189800.00"),
            actor_id=None,
        )
        made = {}
        for code, lat, lon in dealers:
            made[code] = service.create_dealer(
                s,
                schemas.DealerIn(
                    code=code,
                    name=f"Dealer {code}",
                    name_zh=f"{code} 经销商",
                    address=f"1 {code} Road",
                    phone="+862160000001",
                    brands=["BMW", "FORD"],
                    city="Shanghai" if code.startswith("SH") else "Nanjing",
                    lat=lat,
                    lon=lon,
                    lead_capacity_per_day=30,
                    service_bays=6,
                ),
                actor_id=None,
            )
        tower = service.create_tower(
            s,
            schemas.TowerIn(
                code="TWR-SH1",
                city="Shanghai",
                lat=31.293,
                lon=121.162,
                bays=4,
                dealers=[c for c in made if c.startswith("SH")],
            ),
            actor_id=None,
        )
        first = next(iter(made.values()))
        second = list(made.values())[1]
        accounts = {
            "admin": create_user(s, email="admin@test.dev", password=PASSWORD, role=Role.oem_admin),
            "manager": create_user(
                s,
                email="manager@test.dev",
                password=PASSWORD,
                role=Role.dealer_manager,
                dealer_id=first.id,
            ),
            "other_manager": create_user(
                s,
                email="other@test.dev",
                password=PASSWORD,
                role=Role.dealer_manager,
                dealer_id=second.id,
            ),
            "staff": create_user(
                s,
                email="staff@test.dev",
                password=PASSWORD,
                role=Role.dealer_staff,
                dealer_id=first.id,
            ),
            "customer": create_user(
                s, email="buyer@test.dev", password=PASSWORD, role=Role.customer
            ),
        }
        return {
            "brands": (bmw.id, ford.id),
            "models": (ix3.id, mondeo.id),
            "trims": (t1.id, t2.id),
            "dealers": {c: d.id for c, d in made.items()},
            "tower": tower.id,
            "users": {k: u.email for k, u in accounts.items()},
        }


def stock(
    db: Database,
    dealer_id: int,
    trim_id: int,
    serials,
    *,
    price="350000.00",
    tower_id=None,
    status="available",
) -> list[str]:
    from motormall.catalog.models import Trim

    vins = []
    with db.transaction() as s:
        trim = s.get(Trim, trim_id)
        for n, serial in enumerate(serials):
            v = vin(serial)
            s.add(
                Vehicle(
                    vin=v,
                    trim_id=trim.id,
                    model_id=trim.model_id,
                    brand_id=trim.model.brand_id,
                    color="Alpine White",
                    year=2026,
                    price=Decimal(price),
                    dealer_id=dealer_id,
                    tower_id=tower_id,
                    bay=(n + 1) if tower_id else None,
                    status=status,
                )
            )
            vins.append(v)
    return vins


def token(client, email: str, password: str = PASSWORD) -> dict:
    r = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
