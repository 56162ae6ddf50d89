"""Background jobs and schedules on huey.

Embedded default: huey's SQLite storage under `./var/` (no server), consumed by `motormall
worker` or by a consumer inside `serve`. With `MOTORMALL_REDIS_URL` set, the same tasks run on
Redis. Jobs are enqueued only after the transaction that asked for them commits.

huey binds tasks to one instance at import time, so the instance is built here from settings;
nothing connects until the first job is sent.
"""

from __future__ import annotations

import importlib
import logging
import sqlite3
import threading

import redis
from huey import RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import event
from sqlalchemy.orm import Session

from motormall.platform import outbox
from motormall.platform.config import get_settings

log = logging.getLogger("motormall.jobs")


def make_huey(settings, *, name: str = "motormall", results: bool = False):
    """Redis when `MOTORMALL_REDIS_URL` is set, else a SQLite file under `var/`."""
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, results=results)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(settings.var_dir / "jobs.db"), results=results)


huey = make_huey(get_settings())


# --- tasks by name, enqueued after commit ------------------------------------------------

_PENDING = "motormall_after_commit"
_tasks: dict = {}


def task(name: str, **options):
    """Declare a huey task under a stable `domain.verb` name, so that services queue it by
    that name and never import the jobs module that runs them (no jobs ↔ service cycles)."""

    def register(fn):
        if name in _tasks:
            raise RuntimeError(f"two jobs named {name!r}")
        _tasks[name] = huey.task(name=name, **options)(fn)
        return _tasks[name]

    return register


def by_name(name: str):
    if name not in _tasks:
        # the composition root imports every domain's jobs; load it once, by name, so that
        # platform/ itself imports no domain
        importlib.import_module("motormall.jobs")
    try:
        return _tasks[name]
    except KeyError:
        raise LookupError(f"no job named {name!r}; known: {sorted(_tasks)}") from None


def after_commit(session: Session, name: str, *args, delay: float | None = None) -> None:
    """Queue the job called `name` (jobs take ids) once `session` commits, `delay` seconds
    later if given; forget it if the session rolls back. The name is checked now, so a typo
    fails the request instead of vanishing. Asked for inside a savepoint, it is dropped if
    that savepoint rolls back."""
    by_name(name)
    savepoints = []
    tx = session.get_nested_transaction()
    while tx is not None and tx.nested:
        savepoints.append(tx)
        tx = tx.parent
    session.info.setdefault(_PENDING, []).append((tuple(savepoints), name, args, delay))


def send(name: str, args: tuple, delay: float | None) -> None:
    """Put one job on the queue now (or `delay` seconds from now)."""
    if delay:
        by_name(name).schedule(args=args, delay=delay)
    else:
        by_name(name)(*args)


# what a queue that is down raises (Redis, or huey's SQLite storage locked past its timeout);
# a task's own failure in immediate mode is none of these and still propagates
QUEUE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, sqlite3.Error)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the work is not committed yet
        return
    for _savepoints, name, args, delay in session.info.pop(_PENDING, []):
        try:
            send(name, args, delay)
        except QUEUE_DOWN as exc:  # the work is committed: keep the job for the relay
            outbox.keep(session.get_bind(), name, args, delay, exc)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outer transaction
        session.info.pop(_PENDING, None)
    elif previous_transaction.nested:  # a savepoint: only what was asked for inside it
        pending = session.info.get(_PENDING, [])
        pending[:] = [p for p in pending if previous_transaction not in p[0]]


# --- consumers ----------------------------------------------------------------------------


class EmbeddedConsumer(Consumer):
    """A consumer that runs on threads inside the web process.

    The stock consumer installs signal handlers, which would take SIGTERM/SIGINT away from
    uvicorn; here the web server keeps them and stops us from its lifespan.
    """

    def _set_signal_handlers(self):
        pass


_embedded: EmbeddedConsumer | None = None
_embedded_lock = threading.Lock()


def start_embedded(workers: int = 2, queue=None) -> None:
    global _embedded
    queue = queue or huey
    with _embedded_lock:
        if _embedded is not None or queue.immediate:
            return
        _embedded = EmbeddedConsumer(queue, workers=workers, worker_type="thread", periodic=True)

        _embedded.start()
        log.info("embedded job consumer started with %d threads", workers)


def stop_embedded() -> None:
    global _embedded
    with _embedded_lock:
        if _embedded is not None:
            _embedded.stop(graceful=True)
            _embedded = None


def relay_outbox() -> int:
    """Send the jobs that waited in the outbox while the queue was down."""
    from motormall.platform.db import get_database

    return outbox.relay(get_database().engine, send)


@huey.periodic_task(crontab(minute="*"), name="platform.relay_outbox")
def _relay_every_minute():
    return relay_outbox()


def run_worker(workers: int = 2, periodic: bool = True) -> None:
    """`motormall worker`: a consumer in the foreground that owns the process's signals."""
    try:
        relay_outbox()
    except Exception:  # the database may not be up yet: the schedule will try again
        log.exception("outbox relay at start failed")
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic)
    consumer.run()
