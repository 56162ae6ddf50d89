"""SQLite: this process's writers take turns on a lock (platform/db.py) instead of polling in
SQLite's busy handler. A turn must end with every way a transaction ends, or every later
writer would wait for it."""

from __future__ import annotations

import threading

from sqlalchemy import text

from motormall.platform import db as db_module
from motormall.platform.db import HOLDS_WRITER_TURN, Database


def _db(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}", pool_size=4)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE n (v INTEGER)"))
    return db


def test_a_waiting_writer_goes_on_when_the_writer_before_it_commits(tmp_path):
    db = _db(tmp_path)
    first_in, second_done = threading.Event(), threading.Event()
    order = []

    def first():
        with db.transaction() as s:
            s.execute(text("INSERT INTO n VALUES (1)"))
            first_in.set()
            assert not second_done.wait(0.3)  # the second writer waits for this one
            order.append("first")

    def second():
        first_in.wait()
        with db.transaction() as s:
            s.execute(text("INSERT INTO n VALUES (2)"))
        order.append("second")
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert order == ["first", "second"]
    with db.reading() as s:
        assert s.execute(text("SELECT count(*) FROM n")).scalar() == 2
    db.dispose()


def test_every_way_a_transaction_ends_gives_the_turn_back(tmp_path, monkeypatch):
    """With no waiting allowed, a writer gets its turn only if every earlier one gave it back."""
    monkeypatch.setattr(db_module, "WRITER_QUEUE_S", 0)
    db = _db(tmp_path)
    with db.engine.connect() as conn:  # one connection, several transactions in a row
        for _ in range(3):
            with conn.begin():
                conn.execute(text("INSERT INTO n VALUES (1)"))
                assert conn.info.get(HOLDS_WRITER_TURN)  # its turn, so the last one ended
            assert not conn.info.get(HOLDS_WRITER_TURN)
        trans = conn.begin()
        conn.execute(text("INSERT INTO n VALUES (2)"))
        trans.rollback()
        assert not conn.info.get(HOLDS_WRITER_TURN)
    conn = db.engine.connect()
    conn.begin()
    conn.execute(text("INSERT INTO n VALUES (3)"))
    conn.close()  # back to the pool mid-transaction: the pool rolls it back
    with db.transaction() as s:
        s.execute(text("INSERT INTO n VALUES (4)"))
        assert s.connection().info.get(HOLDS_WRITER_TURN)
    reads = db.engine.execution_options(sqlite_begin="DEFERRED")
    with reads.connect() as conn, conn.begin():
        conn.execute(text("SELECT 1"))
        assert not conn.info.get(HOLDS_WRITER_TURN)  # readers never queue
    with db.reading() as s:
        assert s.execute(text("SELECT count(*) FROM n")).scalar() == 4
    db.dispose()


def test_many_writers_at_once_all_commit(tmp_path):
    db = _db(tmp_path)
    errors = []

    def write(v):
        try:
            for _ in range(20):
                with db.transaction() as s:
                    s.execute(text("INSERT INTO n VALUES (:v)"), {"v": v})
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=write, args=(v,)) for v in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with db.reading() as s:
        assert s.execute(text("SELECT count(*) FROM n")).scalar() == 160
    db.dispose()
