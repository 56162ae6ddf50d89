"""The demo network: big enough to browse, valid, and loaded only once however often seeded."""

from sqlalchemy import func, select

from motormall.catalog.models import NEW_ENERGY, CarModel, Dealer, Tower, Vehicle
from motormall.catalog.vin import normalise_vin
from motormall.demo.seed import seed
from motormall.leads.models import Lead
from motormall.platform.auth import User


def test_seed_builds_the_network_once(db):
    from motormall.platform.db import use_database

    use_database(db)
    with db.transaction() as s:
        first = seed(s)
    with db.transaction() as s:
        again = seed(s)
    assert first["vehicles_added"] >= 3000 and again["vehicles_added"] == 0
    assert again["accounts_added"] == 0 and again["leads_added"] == 0
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Dealer)) >= 40
        assert s.scalar(select(func.count(func.distinct(Dealer.city)))) >= 8
        assert {t.code for t in s.scalars(select(Tower))} == {"TWR-SH1", "TWR-NJ1"}
        nev = s.scalar(
            select(func.count())
            .select_from(CarModel)
            .where(CarModel.powertrain.in_([p.value for p in NEW_ENERGY]))
        )
        assert nev >= 6
        vins = s.scalars(select(Vehicle.vin)).all()
        assert len(vins) == len(set(vins)) >= 3000
        assert all(normalise_vin(v) == v for v in vins[::97])
        roles = set(s.scalars(select(User.role)))
        assert roles == {"customer", "dealer_staff", "dealer_manager", "oem_admin", "tower"}
        assert s.scalar(select(func.count()).select_from(Lead)) == 3
