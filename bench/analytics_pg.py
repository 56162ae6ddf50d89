"""The data of bench/analytics.py generated in PostgreSQL: the same rows (same ids, customers,
dealers, brands, days), each table one INSERT ... SELECT over generate_series, the events in
chunks so progress shows. Foreign-key triggers are off for the load (replica role): the rows
are consistent by construction, as in the SQLite generator.
"""

from __future__ import annotations

import time

from sqlalchemy import create_engine
from support import say

CHUNK = 2_000_000  # events per statement


def _hex(n: str, width: int = 32, prefix: str = "") -> str:
    return f"'{prefix}' || lpad(to_hex(({n})::bigint), {width - len(prefix)}, '0')"


def _ts(seconds: str, start: str) -> str:
    return f"(timestamptz '{start} 00:00:00+00' + ({seconds}) * interval '1 second')"


def generate(url: str, customers: int, events: int, *, start: str, days: int, dims: dict) -> None:
    brands, models, dealers = dims["brands"], dims["models"], dims["dealers"]
    vehicles, cities = dims["vehicles"], dims["cities"]
    blocks = events // 100
    span = days * 86400
    now = f"timestamptz '{start} 00:00:00+00'"
    survey_s = f"i * 100.0 * {span} / {events}"
    steps = [
        (
            "brands",
            f"INSERT INTO brands SELECT i, 'B' || i, 'Brand ' || i "
            f"FROM generate_series(1::bigint, {brands}) i",
        ),
        (
            "models",
            f"INSERT INTO car_models SELECT i, (i - 1) % {brands} + 1, 'Model ' || i, 'suv', "
            f"CASE (i - 1) % 4 WHEN 0 THEN 'bev' WHEN 1 THEN 'phev' WHEN 2 THEN 'ice' "
            f"ELSE 'hev' END FROM generate_series(1::bigint, {models}) i",
        ),
        (
            "trims",
            f"INSERT INTO trims SELECT i, i, 'T', 30000000, 'CNY' "
            f"FROM generate_series(1::bigint, {models}) i",
        ),
        (
            "dealers",
            f"INSERT INTO dealers (id, code, name, city, lat, lon, lead_capacity_per_day, "
            f"service_bays, timezone, opening_hours, created_at) SELECT i, 'D' || i, "
            f"'Dealer ' || i, 'City ' || (i % {cities}), 31, 121, 30, 6, 'Asia/Shanghai', "
            f"'{{}}', {now} FROM generate_series(1::bigint, {dealers}) i",
        ),
        (
            "customers",
            f"INSERT INTO users (id, email, password_hash, role, name, created_at) "
            f"SELECT {_hex('i')}, 'c' || i || '@bench.dev', 'x', 'customer', 'C' || i, {now} "
            f"FROM generate_series(1::bigint, {customers}) i",
        ),
        (
            "vehicles",
            f"INSERT INTO vehicles (id, vin, trim_id, model_id, brand_id, color, year, price, "
            f"currency, status, dealer_id, created_at, updated_at) SELECT i, "
            f"'V' || lpad(i::text, 16, '0'), (i - 1) % {models} + 1, (i - 1) % {models} + 1, "
            f"((i - 1) % {models}) % {brands} + 1, 'white', 2025, 30000000, 'CNY', 'sold', "
            f"i % {dealers} + 1, {now}, {now} FROM generate_series(1::bigint, {vehicles}) i",
        ),
        (
            "leads",
            f"INSERT INTO leads (id, customer_id, channel, brand_id, model_id, message, "
            f"dealer_id, status, flags, sla_due_at, reroutes, inquiries, created_at, updated_at) "
            f"SELECT {_hex('i')}, {_hex(f'(i / 10 * 7919) % {customers} + 1')}, 'web', "
            f"i % {brands} + 1, i % {brands} + 1, '', (i / 10) % {dealers} + 1, 'new', '[]', "
            f"{now}, 0, 1, {now}, {now} FROM generate_series(0::bigint, {blocks * 10 - 1}) i",
        ),
        (
            "orders",
            f"INSERT INTO orders (id, customer_id, vehicle_id, vin, status, product, price, "
            f"deposit, currency, credited_dealer_id, credit_reason, created_at, updated_at) "
            f"SELECT {_hex('i', prefix='o')}, {_hex(f'(i / 2 * 7919) % {customers} + 1')}, "
            f"i % {vehicles} + 1, 'V', 'returned', 'cash', 30000000, 500000, 'CNY', "
            f"(i / 2) % {dealers} + 1, 'lead', {now}, {now} "
            f"FROM generate_series(0::bigint, {blocks * 2 - 1}) i",
        ),
        (
            "surveys",
            f"INSERT INTO surveys (token, customer_id, dealer_id, about, subject_id, created_at, "
            f"expires_at, answered_at, csat, nps, incentive_offered) SELECT 's' || i, "
            f"{_hex(f'(i * 7919) % {customers} + 1')}, i % {dealers} + 1, 'handover', 'o' || i, "
            f"{_ts(survey_s, start)}, timestamptz '2030-01-01 00:00:00+00', "
            f"{_ts(survey_s + ' + 3600', start)}, 3 + i % 3, 6 + i % 5, i % 50 = 0 "
            f"FROM generate_series(0::bigint, {blocks - 1}) i",
        ),
    ]
    for lo in range(1, events + 1, CHUNK):
        hi = min(events, lo + CHUNK - 1)
        steps.append((f"events {lo:,}-{hi:,}", _events(lo, hi, customers, events, span, start)))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection  # no parameters: `%` stays the operator
            raw.execute("SET session_replication_role = replica")
            raw.execute("SET TIME ZONE 'UTC'")
            raw.commit()
            for name, sql in steps:
                t = time.perf_counter()
                raw.execute(sql)
                raw.commit()
                say(f"generated {name} in {time.perf_counter() - t:.1f} s")
    finally:
        engine.dispose()


def _events(lo: int, hi: int, customers: int, events: int, span: int, start: str) -> str:
    dealers, vehicles = 400, 300_000
    b, k = "(i % 100)", "(i / 100)"
    event = (
        f"CASE WHEN {b} < 10 THEN 'lead.assigned' WHEN {b} < 18 THEN 'lead.contacted' "
        f"WHEN {b} < 21 THEN 'lead.test_drive_booked' WHEN {b} < 23 THEN 'test_drive.booked' "
        f"WHEN {b} < 25 THEN 'order.reserved' WHEN {b} < 27 THEN 'order.handed_over' "
        f"WHEN {b} = 27 THEN 'survey.answered' WHEN {b} = 28 THEN 'finance.application_decided' "
        f"WHEN {b} < 60 THEN 'payment.deposit_received' WHEN {b} < 80 THEN 'service.booked' "
        f"ELSE 'membership.joined' END"
    )
    entity_type = (
        f"CASE WHEN {b} < 21 THEN 'lead' WHEN {b} < 23 THEN 'test_drive' "
        f"WHEN {b} < 27 THEN 'order' WHEN {b} = 27 THEN 'survey' "
        f"WHEN {b} = 28 THEN 'finance_application' ELSE 'payment_intent' END"
    )
    entity_id = (
        f"CASE WHEN {b} < 10 THEN {_hex(f'{k} * 10 + {b}')} "
        f"WHEN {b} < 18 THEN {_hex(f'{k} * 10 + {b} - 10')} "
        f"WHEN {b} < 21 THEN {_hex(f'{k} * 10 + {b} - 18')} "
        f"WHEN {b} < 23 THEN 'td' || ({k} * 2 + {b} - 21) "
        f"WHEN {b} < 25 THEN {_hex(f'{k} * 2 + {b} - 23', prefix='o')} "
        f"WHEN {b} < 27 THEN {_hex(f'{k} * 2 + {b} - 25', prefix='o')} "
        f"WHEN {b} = 27 THEN 's' || {k} ELSE 'x' || i END"
    )
    payload = (
        f"CASE WHEN {b} IN (21, 22) THEN json_build_object('vin', "
        f"'V' || lpad((({k} * 2 + {b}) % {vehicles} + 1)::text, 16, '0')) "
        f"WHEN {b} = 28 THEN json_build_object('decision', "
        f"CASE WHEN {k} % 3 = 0 THEN 'declined' ELSE 'approved' END) ELSE '{{}}'::json END"
    )
    sec = f"floor(i * {span}.0 / {events})"
    customer = _hex(f"(({k} * 10 + {b} % 10) * 7919) % {customers} + 1")
    return (
        f"INSERT INTO domain_events (id, at, type, customer_id, dealer_id, entity_type, "
        f"entity_id, payload) SELECT i, {_ts(sec, start)}, {event}, {customer}, "
        f"{k} % {dealers} + 1, {entity_type}, {entity_id}, {payload} "
        f"FROM generate_series({lo}::bigint, {hi}) i"
    )
