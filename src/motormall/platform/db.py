"""Engine, sessions and the declarative base.

SQLite needs care to be correct under concurrency (see ENVIRONMENT.md): we take over BEGIN so
every write transaction starts `BEGIN IMMEDIATE` and serialises on the database lock instead of
failing or silently losing updates. Read-only work may opt out with `sqlite_begin="DEFERRED"`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    contextmanager,
    nullcontext,
)
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from starlette.concurrency import run_in_threadpool

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


HOLDS_WRITER_TURN = "motormall_writer_turn"
WRITER_QUEUE_S = 10  # then SQLite's own busy timeout (30 s) takes over
_writer_turns: dict[str, threading.Lock] = {}  # one per SQLite file in this process


class WriterBusy(Exception):
    """SQLite's writer is busy right now (`sqlite_begin="TRY"` does not wait)."""


def make_engine(
    url: str, *, pool_size: int = 16, max_overflow: int = 0, busy_timeout_ms: int = 30000
) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # prepare_threshold=None: psycopg would otherwise prepare a statement after 5 runs and
        # PostgreSQL may then settle on one generic plan for every stock search (measured:
        # p95 37-45 ms generic against 5-7 ms planned per query)
        return create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            connect_args={"prepare_threshold": None},
        )

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=60,
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # let our BEGIN below be the only one
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")
        dbapi_conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")

    # This process's writers wait for each other here, woken the moment the writer before
    # them commits; left to SQLite's busy handler they would poll, sleeping up to 100 ms
    # between tries, and a burst of buyers would see seconds of tail latency. Other
    # processes (a CLI, a second server) still meet at SQLite's own lock.
    writers = _writer_turns.setdefault(str(Path(parsed.database or "").resolve()), threading.Lock())

    def _let_writers_on(info) -> None:
        if info.pop(HOLDS_WRITER_TURN, False):
            writers.release()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode == "NONE":  # each statement is its own transaction (`Database.peek`)
            return
        if mode == "TRY":  # the writer's turn now or never (`Database.write_now`)
            if not writers.acquire(blocking=False):
                raise WriterBusy
            conn.info[HOLDS_WRITER_TURN] = True
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # busy_timeout 0: another process
            except OperationalError as exc:
                _let_writers_on(conn.info)
                raise WriterBusy from exc
            return
        if mode == "IMMEDIATE" and writers.acquire(timeout=WRITER_QUEUE_S):
            conn.info[HOLDS_WRITER_TURN] = True
        try:
            conn.exec_driver_sql("BEGIN " + mode)
        except BaseException:
            _let_writers_on(conn.info)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn):
        _let_writers_on(conn.info)

    @event.listens_for(engine.pool, "checkin")
    def _returned(_dbapi_conn, record):
        if record is not None:  # a transaction the pool itself ended
            _let_writers_on(record.info)

    return engine


def insert_for(session: Session):
    """This database's INSERT construct (for ON CONFLICT clauses, which both dialects have)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def is_sqlite(engine_or_session) -> bool:
    bind = (
        engine_or_session.get_bind()
        if isinstance(engine_or_session, Session)
        else engine_or_session
    )
    return bind.dialect.name == "sqlite"


class Database:
    """One engine and its session factories, built explicitly (never at import time)."""

    def __init__(self, url: str, *, pool_size: int = 16, replica_url: str = ""):
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.read_session_factory = sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False
        )
        # SQLite: no BEGIN (see `_begin`); PostgreSQL: autocommit, no BEGIN/ROLLBACK round trips
        self.peek_engine = self.engine.execution_options(
            sqlite_begin="NONE",
            **({} if is_sqlite(self.engine) else {"isolation_level": "AUTOCOMMIT"}),
        )
        # SQLite: connections of the event loop's own (`glance`, `write_now`) that never run
        # out (the loop must not wait for the pool that worker threads hold while they wait
        # for the loop), and never wait for a lock: busy sends the work to a worker thread
        self.loop_engine = self.loop_peek_engine = self.loop_session_factory = None
        if is_sqlite(self.engine):
            self.loop_engine = make_engine(url, pool_size=2, max_overflow=-1, busy_timeout_ms=0)
            self.loop_peek_engine = self.loop_engine.execution_options(sqlite_begin="NONE")
            self.loop_session_factory = sessionmaker(
                self.loop_engine.execution_options(sqlite_begin="TRY"), expire_on_commit=False
            )
        self._loop_readers = threading.local()
        self._kept: list[Connection] = []  # every thread's, closed by `dispose`
        self._lock = threading.Lock()
        # A streaming replica takes the browsing reads that may lag (stock search, the
        # catalogue, dashboards); without one they read the primary like any other read.
        self.replica_engine = make_engine(replica_url, pool_size=pool_size) if replica_url else None
        self.replica_session_factory = (
            sessionmaker(
                self.replica_engine.execution_options(sqlite_begin="DEFERRED"),
                expire_on_commit=False,
            )
            if self.replica_engine is not None
            else self.read_session_factory
        )

    @classmethod
    def from_settings(cls, settings) -> Database:
        return cls(
            settings.effective_database_url,
            pool_size=settings.db_pool_size,
            replica_url=settings.database_replica_url,
        )

    def transaction(self) -> AbstractContextManager[Session]:
        """A unit of work: commits on success, rolls back on any error."""
        return self._unit_of_work(self.session_factory)

    @contextmanager
    def _unit_of_work(self, factory) -> Iterator[Session]:
        session = factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self, *, replica: bool = False) -> Iterator[Session]:
        """A read-only session (no write lock taken on SQLite); `replica`: from the replica,
        for reads that may be a moment behind (never before a write that depends on them)."""
        session = (self.replica_session_factory if replica else self.read_session_factory)()
        try:
            yield session
        finally:
            session.close()  # ends the transaction; loaded objects stay readable

    @contextmanager
    def peek(self) -> Iterator[Connection]:
        """A connection for reads that decide nothing together (a token lookup, a hint that a
        car is gone): each statement is its own transaction, with no BEGIN and ROLLBACK
        around it (they were most of a refused buyer's database calls). Reads that must agree
        with each other belong in `reading()` or `transaction()`."""
        with self.peek_engine.connect() as conn:
            yield conn

    async def glance(self, read: Callable[..., T], *args, **kwargs) -> T:
        """`read(connection, *args, **kwargs)` for point reads by key that decide nothing
        together (as `peek`), awaited from the event loop. On SQLite on the loop itself: a
        WAL reader does not wait for the writer, and the indexed read costs less than the
        hop to a worker thread and back. PostgreSQL (a network round trip must not stall the
        loop), and SQLite in its rare busy moments (recovery): a worker thread."""
        if self.loop_engine is not None:
            conn = self._loop_reader()
            try:
                return read(conn, *args, **kwargs)
            except OperationalError as exc:
                self._loop_readers.conn = None  # a fresh one next time
                conn.invalidate()
                if not _busy(exc):
                    raise
        return await run_in_threadpool(self._peek_with, read, *args, **kwargs)

    def _loop_reader(self) -> Connection:
        """The calling thread's (the loop's) own connection for `glance`, kept open: taking
        one from the pool and handing it back cost more than the read (each read is its own
        transaction, so a kept connection holds no snapshot between reads)."""
        conn = getattr(self._loop_readers, "conn", None)
        if conn is None or conn.closed:
            conn = self._loop_readers.conn = self.loop_peek_engine.connect()
            with self._lock:
                self._kept.append(conn)
        return conn

    def _peek_with(self, read, *args, **kwargs):
        with self.peek() as conn:
            return read(conn, *args, **kwargs)

    async def write_now(
        self, work: Callable[[Session], T], *, slot: AbstractAsyncContextManager | None = None
    ) -> T:
        """`work(session)` as a unit of work (`transaction`), awaited from the event loop.

        On SQLite it runs on the loop itself when this process's writer turn is free and no
        other process holds the database's lock: a reservation is a few milliseconds of
        CPU, and on a worker thread it spent most of its time waiting for the GIL against
        the loop's own requests (a flash sale's 100 reservations took 4.4 s on threads,
        1.1 s here). Otherwise, and always on PostgreSQL, on a worker thread like any write,
        inside `slot` (the edge's in-flight slot) if given. The transaction begins before
        `work` is called, so a busy start runs none of it twice."""
        if self.loop_session_factory is not None:
            try:
                with self._unit_of_work(self.loop_session_factory) as session:
                    try:
                        session.connection()  # BEGIN IMMEDIATE now, or WriterBusy
                    except OperationalError as exc:  # a busy moment while connecting
                        if not _busy(exc):
                            raise
                        raise WriterBusy from exc
                    return work(session)
            except WriterBusy:
                pass
        async with slot or nullcontext():
            return await run_in_threadpool(self._transaction_with, work)

    def _transaction_with(self, work):
        with self.transaction() as session:
            return work(session)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.loop_engine is not None:
            with self._lock:
                kept, self._kept = self._kept, []
            for conn in kept:
                conn.close()
            self.loop_engine.dispose()
        if self.replica_engine is not None:
            self.replica_engine.dispose()


_current: Database | None = None


def use_database(db: Database | None) -> None:
    """Make `db` the process's database (the app and jobs share it)."""
    global _current
    _current = db


def get_database() -> Database:
    """The process's database, built from settings on first use."""
    global _current
    if _current is None:
        from motormall.platform.config import get_settings

        settings = get_settings()
        _current = Database.from_settings(settings)
    return _current


def _busy(exc: OperationalError) -> bool:
    return "locked" in str(exc.orig) or "busy" in str(exc.orig)
