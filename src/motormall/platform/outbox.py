"""Jobs that could not reach the queue wait here until it is back.

A job is sent to the queue after its transaction commits. When the queue is down (Redis
stopped, or the embedded SQLite queue locked beyond its timeout) the committed work must not
be answered with a 500 and the job must not vanish: it is written to `job_outbox` instead, and
`relay` sends it once the queue answers again (a schedule of the job worker, every minute, and
`motormall worker` at start). Delivery is at least once: two relays racing may send a job
twice, which every job tolerates (each re-reads its rows and acts only if still due).

The gap that remains: a process killed between its commit and writing the outbox row loses
that one job; the schedules that sweep due work (order expiry, overdue drives, SLAs) pick the
work up again on their next run.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import JSON, Integer, String, Text, delete, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from motormall.platform.db import Base, UTCDateTime, utcnow

log = logging.getLogger("motormall.jobs")


class OutboxEntry(Base):
    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    args: Mapped[list] = mapped_column(JSON)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # a delayed job's time
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    error: Mapped[str] = mapped_column(Text)


def keep(engine: Engine, name: str, args: tuple, delay: float | None, error: Exception) -> None:
    """Write a job the queue refused, in a transaction of its own (the one that asked for it
    has committed)."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(OutboxEntry).values(
                name=name,
                args=list(args),
                due_at=now + dt.timedelta(seconds=delay) if delay else None,
                created_at=now,
                error=f"{type(error).__name__}: {error}"[:2000],
            )
        )
    log.warning("queue unavailable (%s); job %s kept in the outbox", type(error).__name__, name)


def relay(engine: Engine, send, *, limit: int = 500) -> int:
    """Send waiting jobs, oldest first, with `send(name, args, delay)`; stop at the first
    refusal (the queue is still down). Returns how many were sent."""
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxEntry).order_by(OutboxEntry.id).limit(limit)).all()
    sent = 0
    for row in rows:
        delay = None
        if row.due_at is not None:
            delay = max(0.0, (row.due_at - utcnow()).total_seconds()) or None
        try:
            send(row.name, tuple(row.args), delay)
        except Exception as exc:  # still down: try again on the next run
            log.warning("outbox relay stopped: %s: %s", type(exc).__name__, exc)
            break
        with engine.begin() as conn:
            conn.execute(delete(OutboxEntry).where(OutboxEntry.id == row.id))
        sent += 1
    if sent:
        log.info("outbox relay sent %d job(s)", sent)
    return sent


def waiting(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(OutboxEntry))
