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


def test_the_seed_gives_the_demo_dealer_after_sales_to_act_on(db):
    """Parts (one low), a service history with answered surveys, one open case from the
    unhappy answer, and visits to come; loaded once."""
    import datetime as dt

    from motormall.aftersales import parts
    from motormall.aftersales.models import ServiceAppointment
    from motormall.platform.db import use_database
    from motormall.surveys.models import Case, Survey

    use_database(db)
    with db.transaction() as s:
        first = seed(s)
    with db.transaction() as s:
        again = seed(s)
    assert first["service_visits_added"] == 7 and again["service_visits_added"] == 0
    now = dt.datetime.now(dt.UTC)
    with db.reading() as s:
        home = s.scalar(select(Dealer).where(Dealer.code == "SH-BMW-01"))
        visits = s.scalars(
            select(ServiceAppointment).where(ServiceAppointment.dealer_id == home.id)
        ).all()
        done = [v for v in visits if v.status == "completed"]
        coming = [v for v in visits if v.status == "booked" and v.start_at > now]
        assert len(done) == 4 and all(v.work and v.odometer_km and v.parts for v in done)
        assert len(coming) == 3
        answered = s.scalars(select(Survey).where(Survey.answered_at.is_not(None))).all()
        assert sorted(a.csat for a in answered) == [2, 4, 5]
        (case,) = s.scalars(select(Case)).all()
        assert case.status == "open" and case.dealer_id == home.id
        stock = parts.stock_of(s, home.id)
        assert len(stock) == 5 and any(r.available <= r.reorder_level for r in stock)
        buyer = s.scalar(select(User).where(User.email == "buyer@motormall.demo"))
        assert {v.customer_id for v in visits} >= {buyer.id}
