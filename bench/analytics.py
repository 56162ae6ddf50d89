"""Dashboards at network scale: 1,000,000 customers and 20,000,000 events written straight
into a migrated SQLite database by SQL (no ORM, no Python loop over rows), then the time of

- the first export of everything into the Parquet copy,
- the funnel for a quarter (all brands and one brand), the dealer league table for a
  quarter, and the new-energy share: each through the service a request calls, best of 3,
- the export catching up after a day of new events.

    python bench/analytics.py [--customers 1000000] [--events 20000000] [--dir var/bench-analytics]
                              [--db sqlite|postgresql]

With --db postgresql the same rows go into a throwaway PostgreSQL server (support.pg_server;
MOTORMALL_BENCH_PG_URL for one of yours), generated there by bench/analytics_pg.py, and the
export reads them with COPY.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sqlite3
import time
from pathlib import Path

import analytics_pg
from sqlalchemy import text
from support import analyze, pg_database, pg_server, say

from motormall.analytics import service
from motormall.analytics.store import Store, catch_up
from motormall.platform.db import Database
from motormall.platform.migrate import upgrade

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
DAYS = 365
DEALERS, BRANDS, MODELS, VEHICLES = 400, 4, 12, 300_000
CITIES = 20
POWERTRAINS = ("bev", "phev", "ice", "hev")

# Event i of a block of 100 (one block: one customer, one dealer, ten leads, two orders).
# 0-9 lead.assigned, 10-17 lead.contacted, 18-20 lead.test_drive_booked, 21-22
# test_drive.booked, 23-24 order.reserved, 25-26 order.handed_over, 27 survey.answered,
# 28 finance.application_decided, the rest payments, services, notifications' facts.
EVENT = """
CASE WHEN b < 10 THEN 'lead.assigned' WHEN b < 18 THEN 'lead.contacted'
     WHEN b < 21 THEN 'lead.test_drive_booked' WHEN b < 23 THEN 'test_drive.booked'
     WHEN b < 25 THEN 'order.reserved' WHEN b < 27 THEN 'order.handed_over'
     WHEN b = 27 THEN 'survey.answered' WHEN b = 28 THEN 'finance.application_decided'
     WHEN b < 60 THEN 'payment.deposit_received' WHEN b < 80 THEN 'service.booked'
     ELSE 'membership.joined' END
"""
ENTITY_TYPE = """
CASE WHEN b < 21 THEN 'lead' WHEN b < 23 THEN 'test_drive' WHEN b < 27 THEN 'order'
     WHEN b = 27 THEN 'survey' WHEN b = 28 THEN 'finance_application'
     ELSE 'payment_intent' END
"""
ENTITY_ID = """
CASE WHEN b < 10 THEN printf('%032x', k * 10 + b)
     WHEN b < 18 THEN printf('%032x', k * 10 + b - 10)
     WHEN b < 21 THEN printf('%032x', k * 10 + b - 18)
     WHEN b < 23 THEN printf('td%d', k * 2 + b - 21)
     WHEN b < 25 THEN printf('o%031x', k * 2 + b - 23)
     WHEN b < 27 THEN printf('o%031x', k * 2 + b - 25)
     WHEN b = 27 THEN printf('s%d', k) ELSE printf('x%d', i) END
"""
PAYLOAD = """
CASE WHEN b IN (21, 22) THEN json_object('vin', printf('V%016d', (k * 2 + b) % {vehicles} + 1))
     WHEN b = 28 THEN json_object('decision',
                                  CASE WHEN k % 3 = 0 THEN 'declined' ELSE 'approved' END)
     ELSE '{{}}' END
"""


def _ts(seconds: str) -> str:
    return f"strftime('%Y-%m-%d %H:%M:%f000', '{START:%Y-%m-%d}', '+' || ({seconds}) || ' seconds')"


def generate(path: Path, customers: int, events: int) -> None:
    """Dimensions, customers, leads, orders, surveys and events, each one INSERT ... SELECT."""
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    con = sqlite3.connect(path)
    con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-400000;")
    blocks = events // 100
    span = DAYS * 86400
    sec = f"CAST(i * {span}.0 / {events} AS INTEGER)"
    now = START.strftime("%Y-%m-%d %H:%M:%S")
    series = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < {n})"
    steps = [
        (
            "brands",
            f"{series.format(n=BRANDS)} INSERT INTO brands "
            f"SELECT i, 'B' || i, 'Brand ' || i FROM r",
        ),
        (
            "models",
            f"{series.format(n=MODELS)} INSERT INTO car_models SELECT i, (i - 1) % {BRANDS} + 1, "
            f"'Model ' || i, 'suv', CASE (i - 1) % 4 WHEN 0 THEN 'bev' WHEN 1 THEN 'phev' "
            f"WHEN 2 THEN 'ice' ELSE 'hev' END FROM r",
        ),
        (
            "trims",
            f"{series.format(n=MODELS)} INSERT INTO trims SELECT i, i, 'T', 30000000, 'CNY' FROM r",
        ),
        (
            "dealers",
            f"{series.format(n=DEALERS)} INSERT INTO dealers (id, code, name, city, lat, lon, "
            f"lead_capacity_per_day, service_bays, timezone, opening_hours, created_at) "
            f"SELECT i, 'D' || i, 'Dealer ' || i, 'City ' || (i % {CITIES}), 31, 121, 30, 6, "
            f"'Asia/Shanghai', '{{}}', '{now}' FROM r",
        ),
        (
            "customers",
            f"{series.format(n=customers)} INSERT INTO users (id, email, password_hash, role, "
            f"name, created_at) SELECT printf('%032x', i), 'c' || i || '@bench.dev', 'x', "
            f"'customer', 'C' || i, '{now}' FROM r",
        ),
        (
            "vehicles",
            f"{series.format(n=VEHICLES)} INSERT INTO vehicles (id, vin, trim_id, model_id, "
            f"brand_id, color, year, price, currency, status, dealer_id, created_at, updated_at) "
            f"SELECT i, printf('V%016d', i), (i - 1) % {MODELS} + 1, (i - 1) % {MODELS} + 1, "
            f"((i - 1) % {MODELS}) % {BRANDS} + 1, 'white', 2025, 30000000, 'CNY', 'sold', "
            f"i % {DEALERS} + 1, '{now}', '{now}' FROM r",
        ),
        (
            "leads",
            f"{series.format(n=blocks * 10 - 1)}, s(i) AS (SELECT 0 UNION ALL SELECT i FROM r) "
            f"INSERT INTO leads (id, customer_id, channel, brand_id, model_id, message, "
            f"dealer_id, status, flags, sla_due_at, reroutes, inquiries, created_at, updated_at) "
            f"SELECT printf('%032x', i), printf('%032x', (i / 10 * 7919) % {customers} + 1), "
            f"'web', i % {BRANDS} + 1, i % {BRANDS} + 1, '', (i / 10) % {DEALERS} + 1, 'new', "
            f"'[]', '{now}', 0, 1, '{now}', '{now}' FROM s",
        ),
        (
            "orders",
            f"{series.format(n=blocks * 2 - 1)}, s(i) AS (SELECT 0 UNION ALL SELECT i FROM r) "
            f"INSERT INTO orders (id, customer_id, vehicle_id, vin, status, product, price, "
            f"deposit, currency, credited_dealer_id, credit_reason, created_at, updated_at) "
            f"SELECT printf('o%031x', i), printf('%032x', (i / 2 * 7919) % {customers} + 1), "
            f"i % {VEHICLES} + 1, 'V', 'returned', 'cash', 30000000, 500000, 'CNY', "
            f"(i / 2) % {DEALERS} + 1, 'lead', '{now}', '{now}' FROM s",
        ),
        (
            "surveys",
            f"{series.format(n=blocks - 1)}, s(i) AS (SELECT 0 UNION ALL SELECT i FROM r) "
            f"INSERT INTO surveys (token, customer_id, dealer_id, about, subject_id, created_at, "
            f"expires_at, answered_at, csat, nps, incentive_offered) "
            f"SELECT 's' || i, printf('%032x', (i * 7919) % {customers} + 1), i % {DEALERS} + 1, "
            f"'handover', 'o' || i, {_ts('i * 100.0 * ' + str(span) + ' / ' + str(events))}, "
            f"'2030-01-01 00:00:00.000000', "
            f"{_ts('i * 100.0 * ' + str(span) + ' / ' + str(events) + ' + 3600')}, "
            f"3 + i % 3, 6 + i % 5, i % 50 = 0 FROM s",
        ),
        (
            "events",
            f"{series.format(n=events)}, e(i, b, k) AS (SELECT i, i % 100, i / 100 FROM r) "
            f"INSERT INTO domain_events (id, at, type, customer_id, dealer_id, entity_type, "
            f"entity_id, payload) SELECT i, {_ts(sec)}, {EVENT}, "
            f"printf('%032x', ((k * 10 + b % 10) * 7919) % {customers} + 1), k % {DEALERS} + 1, "
            f"{ENTITY_TYPE}, "
            f"{ENTITY_ID}, {PAYLOAD.format(vehicles=VEHICLES)} FROM e",
        ),
    ]
    for name, sql in steps:
        t = time.perf_counter()
        con.execute(sql)
        con.commit()
        say(f"generated {name} in {time.perf_counter() - t:.1f} s")
    con.close()


def best_of(fn, n=3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=20_000_000)
    ap.add_argument("--dir", type=Path, default=Path("var/bench-analytics"))
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--reuse", action="store_true", help="keep an existing generated database")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    figures: dict = {"db": args.db, "customers": args.customers, "events": args.events}
    with contextlib.ExitStack() as stack:
        if args.db == "postgresql":
            server, _ = stack.enter_context(pg_server())
            url = stack.enter_context(pg_database(server))
            store = Store(args.dir / "analytics-pg")
            store.root.mkdir(parents=True, exist_ok=True)
            for old in store.root.glob("*.parquet"):
                old.unlink()
            (store.root / "state.json").unlink(missing_ok=True)
            db = Database(url)
            upgrade(db)
            t = time.perf_counter()
            analytics_pg.generate(
                url,
                args.customers,
                args.events,
                start=f"{START:%Y-%m-%d}",
                days=DAYS,
                dims=dict(
                    brands=BRANDS, models=MODELS, dealers=DEALERS, vehicles=VEHICLES, cities=CITIES
                ),
            )
            figures["generate_s"] = round(time.perf_counter() - t, 1)
            analyze(db, "postgresql")
        else:
            path = args.dir / "motormall.db"
            if not (args.reuse and path.exists()):
                path.unlink(missing_ok=True)
                t = time.perf_counter()
                generate(path, args.customers, args.events)
                figures["generate_s"] = round(time.perf_counter() - t, 1)
            db = Database(f"sqlite:///{path}")
            store = Store(args.dir / "analytics")
        measure(db, store, args.events, figures)
        db.dispose()
    print(json.dumps(figures, indent=2))


def measure(db: Database, store: Store, events: int, figures: dict) -> None:
    now = START + dt.timedelta(days=DAYS)
    with store.locked(wait=True), db.reading() as s:
        if not store.state().last_id:
            t = time.perf_counter()
            catch_up(s.connection(), store, now=now)
            figures["first_export_s"] = round(time.perf_counter() - t, 1)
    quarter = dict(start=now - dt.timedelta(days=91), end=now)

    def answer(fn, **filters):
        with db.reading() as s:
            f = service.filters(
                s, brand=filters.get("brand"), city=filters.get("city"), now=now, **quarter
            )
            fresh = service.freshness(s, store, now=now, limit=20_000)
            return fn(s, store, f, fresh=fresh)

    figures["funnel_quarter_s"] = round(best_of(lambda: answer(service.funnel)), 3)
    figures["funnel_quarter_brand_s"] = round(
        best_of(lambda: answer(service.funnel, brand="B1")), 3
    )
    figures["league_quarter_s"] = round(best_of(lambda: answer(service.dealers)), 3)
    figures["new_energy_quarter_s"] = round(best_of(lambda: answer(service.new_energy)), 3)
    figures["funnel_counts"] = answer(service.funnel)["counts"]

    # a day of new events (the same mix), then the job's catch-up
    day = events // DAYS
    with db.engine.begin() as conn:
        top = conn.execute(text("SELECT max(id) FROM domain_events")).scalar_one()
        conn.execute(
            text(
                f"INSERT INTO domain_events (id, at, type, customer_id, dealer_id, entity_type, "
                f"entity_id, payload) SELECT id + {top}, at, type, customer_id, dealer_id, "
                f"entity_type, entity_id, payload FROM domain_events WHERE id <= {day}"
            )
        )
    with store.locked(wait=True), db.reading() as s:
        t = time.perf_counter()
        copied = catch_up(s.connection(), store, now=now + dt.timedelta(days=1))
        figures["day_catch_up_s"] = round(time.perf_counter() - t, 2)
        figures["day_events"] = copied


if __name__ == "__main__":
    main()
