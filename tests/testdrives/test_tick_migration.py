"""Migration 0026: drives booked before holds were kept in quarter-hour ticks held one row at
their start; upgrading gives them every tick of their time, downgrading takes them back."""

from alembic import command
from sqlalchemy import select

from motormall.platform.db import Database, utcnow
from motormall.platform.migrate import alembic_config, upgrade
from motormall.testdrives import dealer
from motormall.testdrives.models import CarSlot, DealerSlot
from tests import factories as f
from tests.testdrives.dealer_helpers import at
from tests.testdrives.test_dealer_concurrency import _customers


def _ticks(db: Database) -> tuple[int, int]:
    with db.reading() as s:
        return len(s.scalars(select(DealerSlot.slot_start)).all()), len(
            s.scalars(select(CarSlot.slot_start)).all()
        )


def test_old_holds_are_spread_over_their_ticks_and_back(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(db)
    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1])[0]
    with db.transaction() as s:
        dealer.book(s, _customers(db, 1)[0], vin, at(10), now=utcnow())
    assert _ticks(db) == (4, 4)  # an hour's slot

    cfg = alembic_config()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0026-1")
    assert _ticks(db) == (1, 1)  # as drives were held before
    upgrade(db)
    assert _ticks(db) == (4, 4)
    db.dispose()
