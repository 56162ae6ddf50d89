"""`Database.glance` and `Database.write_now` run SQLite's short work on the event loop's own
thread, but never wait there: a writer turn held by a thread of this process, or SQLite's
lock held by another process, sends the work to a worker thread, where it waits its turn."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from motormall.platform.db import Database


def _db(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}", pool_size=4)
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE n (v INTEGER)"))
    return db


def _insert(value: int):
    def work(session):
        session.execute(text("INSERT INTO n VALUES (:v)"), {"v": value})
        return threading.get_ident()

    return work


def _values(db: Database) -> list[int]:
    with db.reading() as s:
        return sorted(s.execute(text("SELECT v FROM n")).scalars())


def _run(coro):
    """asyncio.run on a thread of its own: another test's Playwright may own this thread's
    event loop."""
    with ThreadPoolExecutor(max_workers=1) as runner:
        return runner.submit(asyncio.run, coro).result()


async def _on_loop(coro_fn):
    return threading.get_ident(), await coro_fn()


def test_a_free_writer_turn_writes_on_the_loop_itself(tmp_path):
    db = _db(tmp_path)
    loop_thread, writer_thread = _run(_on_loop(lambda: db.write_now(_insert(1))))
    assert writer_thread == loop_thread
    assert _values(db) == [1]
    db.dispose()


def test_a_failed_write_on_the_loop_rolls_back_and_gives_the_turn_back(tmp_path):
    db = _db(tmp_path)

    def fails(session):
        session.execute(text("INSERT INTO n VALUES (1)"))
        raise ValueError("refused")

    with pytest.raises(ValueError):
        _run(db.write_now(fails))
    _run(db.write_now(_insert(2)))  # the turn was given back: no wait, no thread
    assert _values(db) == [2]
    db.dispose()


def test_a_turn_held_by_a_thread_sends_the_write_to_a_worker_thread_that_waits(tmp_path):
    db = _db(tmp_path)
    holding, release = threading.Event(), threading.Event()

    def holder():
        with db.transaction() as s:
            s.execute(text("INSERT INTO n VALUES (1)"))
            holding.set()
            release.wait(20)

    t = threading.Thread(target=holder)
    t.start()
    holding.wait(20)

    async def main():
        write = asyncio.ensure_future(_on_loop(lambda: db.write_now(_insert(2))))
        await asyncio.sleep(0.3)
        assert not write.done()  # waiting for its turn, off the loop: the loop goes on
        release.set()
        return await write

    loop_thread, writer_thread = _run(main())
    t.join(20)
    assert writer_thread != loop_thread
    assert _values(db) == [1, 2]
    db.dispose()


def test_another_process_holding_the_lock_sends_the_write_to_a_worker_thread(tmp_path):
    db = _db(tmp_path)
    # a connection outside this process's writer turns, as another process would be
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO n VALUES (1)")

    async def main():
        write = asyncio.ensure_future(_on_loop(lambda: db.write_now(_insert(2))))
        await asyncio.sleep(0.3)
        assert not write.done()
        other.execute("COMMIT")
        return await write

    loop_thread, writer_thread = _run(main())
    other.close()
    assert writer_thread != loop_thread
    assert _values(db) == [1, 2]
    db.dispose()


def test_a_glance_reads_on_the_loop_while_a_writer_holds_the_lock(tmp_path):
    db = _db(tmp_path)
    with db.transaction() as s:  # a writer mid-transaction: WAL readers do not wait for it
        s.execute(text("INSERT INTO n VALUES (1)"))

        def count(conn):
            return threading.get_ident(), conn.execute(text("SELECT count(*) FROM n")).scalar()

        loop_thread, (reader_thread, seen) = _run(_on_loop(lambda: db.glance(count)))
        assert reader_thread == loop_thread and seen == 0
    db.dispose()


def test_the_shared_database_runs_them_on_the_loop_only_for_sqlite(database):
    def ident(conn_or_session):
        conn_or_session.execute(text("SELECT 1"))
        return threading.get_ident()

    on_loop = database.engine.dialect.name == "sqlite"  # PostgreSQL: a network round trip
    loop_thread, writer_thread = _run(_on_loop(lambda: database.write_now(ident)))
    assert (writer_thread == loop_thread) is on_loop
    loop_thread, reader_thread = _run(_on_loop(lambda: database.glance(ident)))
    assert (reader_thread == loop_thread) is on_loop


def test_the_loops_kept_connection_holds_no_snapshot_between_glances(tmp_path):
    db = _db(tmp_path)

    def count(conn):
        return conn.execute(text("SELECT count(*) FROM n")).scalar()

    async def main():
        before = await db.glance(count)
        with db.transaction() as s:  # another connection commits in between
            s.execute(text("INSERT INTO n VALUES (1)"))
        return before, await db.glance(count)

    assert _run(main()) == (0, 1)
    db.dispose()
