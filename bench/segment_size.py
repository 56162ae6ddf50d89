"""Segment sizing: `POST /segments/preview`'s one SQL count on a large customer base.

Builds a database with the real migrations and fills it straight through the driver
(executemany on SQLite, COPY on PostgreSQL): N customers (default 1,000,000) with cities,
marketing consent, BMW/MINI memberships at random tiers, and 20 timeline events each
(default: 20,000,000 events: leads, test drives, reservations, handovers, returns, ...).
Then times `marketing.segments.size` on a three-condition segment:

    member("BMW", gold) and city in ("Shanghai", "Hangzhou") and bought_within(1y)

    .venv/bin/python bench/segment_size.py                       # SQLite, then PostgreSQL
    .venv/bin/python bench/segment_size.py --db sqlite --customers 200000 --json

Progress goes to stderr, figures to stdout. The target is under 2 s on the embedded
default (SQLite) at 1,000,000 customers and 20,000,000 events.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import itertools
import json
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from support import pg_database, pg_server, say

import motormall.models  # noqa: F401  every table, for the migrations
from motormall.marketing import segments
from motormall.platform.db import Database
from motormall.platform.events import DomainEvent
from motormall.platform.migrate import upgrade

SEED = 20261129
SEGMENT = 'member("BMW", gold) and city in ("Shanghai", "Hangzhou") and bought_within(1y)'
CITIES = [
    "Shanghai",
    "Hangzhou",
    "Beijing",
    "Nanjing",
    "Suzhou",
    "Shenzhen",
    "Guangzhou",
    "Chengdu",
    "Wuhan",
    "Xi'an",
]
EVENT_TYPES = [  # (type, weight)
    ("lead.assigned", 30),
    ("lead.contacted", 20),
    ("order.reserved", 6),
    ("order.handed_over", 3),
    ("order.returned", 0.2),
    ("test_drive.booked", 10),
    ("test_drive.returned", 8),
    ("payment.deposit_received", 5),
    ("membership.joined", 2),
    ("customer.registered", 15.8),
]
CHUNK = 50_000
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _rows(n_customers: int, per_customer: int, rng: random.Random):
    """(users, consents, memberships, events) generators, as tuples in column order."""
    types, weights = zip(*EVENT_TYPES, strict=True)
    eight_years = 8 * 365 * 86400

    def users():
        for i in range(n_customers):
            yield (
                f"c{i:031d}",
                f"c{i}@bench.dev",
                "x",
                "customer",
                f"C {i}",
                rng.choice(CITIES),
                "en",
                NOW,
            )

    def consents():
        for i in range(n_customers):
            if rng.random() < 0.6:
                yield (f"c{i:031d}", "email", True, "settings", NOW)

    def memberships():
        for i in range(n_customers):
            for brand, share in ((1, 0.4), (2, 0.2)):
                if rng.random() < share:
                    rank = rng.choice((0, 0, 0, 1, 1, 2, 3))
                    yield (
                        f"m{brand}{i:030d}",
                        f"c{i:031d}",
                        brand,
                        ("member", "silver", "gold", "platinum")[rank],
                        rank,
                        rng.randrange(0, 20000),
                        NOW,
                        NOW,
                    )

    def events():
        n = 0
        for i in range(n_customers):
            for t in rng.choices(types, weights, k=per_customer):
                n += 1
                at = NOW - dt.timedelta(seconds=rng.randrange(eight_years))
                yield (n, at, t, f"c{i:031d}", "x", f"e{n}", "{}")

    return users(), consents(), memberships(), events()


TABLES = {
    "users": "id, email, password_hash, role, name, city, locale, created_at",
    "marketing_consents": "customer_id, channel, granted, source, updated_at",
    "memberships": "id, customer_id, brand_id, tier, tier_rank, points, joined_at, updated_at",
    "domain_events": "id, at, type, customer_id, entity_type, entity_id, payload",
}


def _sqlite_value(v):
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(v, bool):
        return int(v)
    return v


def _events_indexes(db: Database, action: str) -> None:
    """Bulk loads go faster with the events' indexes built once at the end."""
    for index in DomainEvent.__table__.indexes:
        getattr(index, action)(db.engine)


def _load_sqlite(db: Database, gens) -> None:
    # the plain driver, one transaction per table: the engine's per-statement hooks would
    # make 20 million rows take most of an hour
    db.engine.dispose()
    raw = sqlite3.connect(db.engine.url.database, isolation_level=None)
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("BEGIN")
        cur.execute(
            "INSERT INTO brands (id, code, name) VALUES (1, 'BMW', 'BMW'), (2, 'MINI', 'MINI')"
        )
        for (table, cols), gen in zip(TABLES.items(), gens, strict=True):
            marks = ", ".join("?" for _ in cols.split(","))
            sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
            n, t0 = 0, time.perf_counter()
            while True:
                chunk = [tuple(map(_sqlite_value, row)) for row in itertools.islice(gen, CHUNK)]
                if not chunk:
                    break
                cur.executemany(sql, chunk)
                n += len(chunk)
                if n % 1_000_000 < CHUNK:
                    say(f"{table}: {n:,} rows ({time.perf_counter() - t0:.0f} s)")
            cur.execute("COMMIT")
            cur.execute("BEGIN")
            say(f"{table}: {n:,} rows in {time.perf_counter() - t0:.1f} s")
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()


def _copy_value(v) -> str:
    if v is None:
        return "\\N"
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, bool):
        return "t" if v else "f"
    return str(v).replace("\\", "\\\\").replace("\t", " ")


def _load_pg(db: Database, gens) -> None:
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "INSERT INTO brands (id, code, name) VALUES (1, 'BMW', 'BMW'), (2, 'MINI', 'MINI')"
        )
        for (table, cols), gen in zip(TABLES.items(), gens, strict=True):
            t0, n = time.perf_counter(), 0
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                buf = io.StringIO()
                for row in gen:
                    buf.write("\t".join(_copy_value(v) for v in row) + "\n")
                    n += 1
                    if n % CHUNK == 0:
                        copy.write(buf.getvalue())
                        buf = io.StringIO()
                copy.write(buf.getvalue())
            raw.commit()
            say(f"{table}: {n:,} rows in {time.perf_counter() - t0:.1f} s")
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _time(db: Database, runs: int) -> dict:
    with db.reading() as s:
        size = segments.size(s, SEGMENT, now=NOW)  # warm-up (and the answer)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            assert segments.size(s, SEGMENT, now=NOW) == size
            times.append(time.perf_counter() - t0)
    return {
        "size": size,
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "runs": runs,
    }


def bench(backend: str, url: str, args) -> dict:
    db = Database(url)
    if backend == "sqlite" and args.keep and Path(args.keep).exists():
        say(f"sqlite: timing the database kept in {args.keep}")
        return {
            "backend": backend,
            "customers": args.customers,
            "events": args.customers * args.events_per_customer,
            "load_s": None,
            **_time(db, args.runs),
        }
    upgrade(db)
    rng = random.Random(SEED)
    t0 = time.perf_counter()
    gens = _rows(args.customers, args.events_per_customer, rng)
    _events_indexes(db, "drop")
    (_load_sqlite if backend == "sqlite" else _load_pg)(db, gens)
    t1 = time.perf_counter()
    _events_indexes(db, "create")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    say(f"{backend}: events indexed and analysed in {time.perf_counter() - t1:.0f} s")
    load_s = time.perf_counter() - t0
    say(f"{backend}: loaded in {load_s:.0f} s; timing the segment")
    figures = _time(db, args.runs)
    db.dispose()
    return {
        "backend": backend,
        "customers": args.customers,
        "events": args.customers * args.events_per_customer,
        "load_s": round(load_s, 1),
        **figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events-per-customer", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", help="SQLite file to build once and time again on later runs")
    args = parser.parse_args()
    results = []
    for backend in args.db.split(","):
        with contextlib.ExitStack() as stack:
            if backend == "sqlite" and args.keep:
                url = f"sqlite:///{Path(args.keep).resolve()}"
            elif backend == "sqlite":
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mm-seg-")))
                url = f"sqlite:///{tmp / 'bench.db'}"
            else:
                server, _ = stack.enter_context(pg_server())
                url = stack.enter_context(pg_database(server))
            results.append(bench(backend, url, args))
    out = {
        "segment": SEGMENT,
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "results": results,
    }
    if args.json:
        print(json.dumps(out))
    else:
        for r in results:
            print(
                f"{r['backend']:>10}: {r['customers']:,} customers, {r['events']:,} events: "
                f"size {r['size']:,} in {r['median_s']} s (median of {r['runs']}, max "
                f"{r['max_s']} s); load {r['load_s']} s"
            )


if __name__ == "__main__":
    main()
