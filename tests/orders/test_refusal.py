"""A buyer for a car that is already gone is refused from a read: no write transaction is
begun (so a flash sale's losers never queue for SQLite's write lock), nothing is written."""

from sqlalchemy import event

from motormall.platform.auth import Role, create_user
from tests import factories as f
from tests.orders.helpers import reserve, setup


def _second_buyer(db, client):
    with db.transaction() as s:
        create_user(s, email="late@test.dev", password=f.PASSWORD, role=Role.customer)
    return f.token(client, "late@test.dev")


class Watch:
    """Transactions begun and statements run on the database's engines while active."""

    def __init__(self, db):
        self.engines = [e for e in (db.engine, db.loop_engine) if e is not None]
        self.transactions, self.statements = [], []

    def _begin(self, conn):
        self.transactions.append(conn.get_execution_options().get("sqlite_begin"))

    def _execute(self, conn, cursor, statement, *args):
        self.statements.append(statement.split(None, 1)[0].upper())

    def __enter__(self):
        for engine in self.engines:
            event.listen(engine, "begin", self._begin)
            event.listen(engine, "before_cursor_execute", self._execute)
        return self

    def __exit__(self, *exc):
        for engine in self.engines:
            event.remove(engine, "begin", self._begin)
            event.remove(engine, "before_cursor_execute", self._execute)


def test_a_buyer_for_a_taken_car_is_refused_without_a_write_transaction(db, client):
    _, vins, buyer = setup(db, client, n_cars=1)
    assert reserve(client, buyer, vins[0], key="k-first").status_code == 201
    late = _second_buyer(db, client)
    client.get("/api/v1/me", headers=late)  # the token is now known to this process

    with Watch(db) as watch:
        r = reserve(client, late, vins[0], key="k-late")

    assert r.status_code == 409 and r.json()["code"] == "vehicle_unavailable"
    # one read (the car, a lapsed hold and the key together; the token was cached by /me)
    # and no write transaction (BEGIN IMMEDIATE on SQLite) at all
    assert watch.statements == ["SELECT"]
    assert set(watch.transactions) <= {"NONE"}


def test_a_repeat_of_a_winning_request_is_still_replayed_after_the_car_is_taken(db, client):
    _, vins, buyer = setup(db, client, n_cars=1)
    first = reserve(client, buyer, vins[0], key="k-1")
    again = reserve(client, buyer, vins[0], key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
