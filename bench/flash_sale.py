"""Flash sale: 100 cars of one trim, 5,000 buyers racing for them over HTTP.

Builds a database with the real migrations (one brand, model, trim and dealer, 100 vehicles
of that trim, 5,000 customer accounts with bearer tokens written straight into the tables so
nobody logs in during the race), starts the real server (`motormall serve`) as a subprocess
and then, from one asyncio + httpx process holding `--concurrency` (200) connections open at
once (200 lanes, each its own AsyncClient with one keep-alive connection; `--shared-pool`
puts them all in one AsyncClient's pool instead, which httpx handles at several times the CPU
cost per request):

* ceiling: `GET /healthz` as many times as there are buyers, at the same concurrency, on a
  fresh client: what this server and this client manage on a trivial endpoint;
* race: every buyer sends ONE `POST /api/v1/orders {"vin": ...}` with its own token and a
  unique Idempotency-Key, all released at once; VINs are drawn at random with a fixed seed
  (about 50 buyers per car).

Afterwards the database is read directly: exactly 100 reserved orders, one live order per
vehicle, every vehicle reserved, nothing oversold; and the replies: 100 x 201, the rest 409
`vehicle_unavailable`, nothing else. Each check prints PASS or FAIL; any FAIL exits 1.

    .venv/bin/python bench/flash_sale.py                       # SQLite, then PostgreSQL
    .venv/bin/python bench/flash_sale.py --db postgresql --workers 8 --json
    .venv/bin/python bench/flash_sale.py --db postgresql --against http://127.0.0.1:8080 \
        --db-url postgresql+psycopg://postgres@127.0.0.1:55432/motormall   # a fresh cluster

SQLite runs the embedded default (one server worker), PostgreSQL four workers unless
`--workers` says otherwise. PostgreSQL: a throwaway server is started from Debian's binaries
(as tests/conftest.py does: initdb as the postgres user in a temp dir, loopback port, fsync
off) unless MOTORMALL_BENCH_PG_URL names a server (`postgresql+psycopg://user@host:port`);
there a fresh database is created and dropped at the end. Progress goes to stderr, figures
to stdout.

Latency is measured per request, from its lane sending it to the end of its reply: the
server's answer time under that load, not the time a buyer's request waited in this client
for a free lane. Each figure comes with the CPU that the client, the server's processes and
PostgreSQL used meanwhile, and what the rest of the machine used: when the client or other
processes eat the CPUs, the requests/s say more about the machine than about motormall.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import platform
import random
import resource
import secrets
import shutil
import signal
import ssl
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select
from support import (
    CLK_TCK,
    analyze,
    pg_database,
    pg_server,
    proc_stats,
    running_server,
    say,
    server_version,
)

from motormall.catalog.models import Brand, CarModel, Dealer, Trim, Vehicle, VehicleStatus
from motormall.catalog.vin import normalise_vin, with_check_digit
from motormall.orders.models import Order
from motormall.orders.rules import ENDED, OrderStatus
from motormall.platform.auth import AccessToken, Role, User, hash_password, new_id
from motormall.platform.db import Database, utcnow
from motormall.platform.idempotency import IdempotencyRecord
from motormall.platform.migrate import upgrade

SEED = 20261111
PASSWORD = "flash-sale-2026"
CHUNK = 1_000
HEALTH_WAIT_S = 90
WARMUP_LANES = 32
REQUEST_TIMEOUT_S = 120
DEFAULT_WORKERS = {"sqlite": 1, "postgresql": 4}
PG_CONNECTIONS_PER_WORKER = 33  # the app's pool: db_pool_size 16 + overflow 16, and one spare


# ---------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------


@dataclass
class Buyer:
    user_id: str
    token: str


def flash_vin(serial: int) -> str:
    return with_check_digit(f"LBV11GS00TA{serial:06d}")


def build(url: str, backend: str, cars: int, buyers: int) -> dict:
    """Migrate and load one trim's cars and the buyers; returns what the race needs."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    db = Database(url)
    try:
        t = time.perf_counter()
        upgrade(db)
        timings["migrations_s"] = time.perf_counter() - t
        t = time.perf_counter()
        now = utcnow()
        vins = [flash_vin(n) for n in range(1, cars + 1)]
        for v in vins:
            if normalise_vin(v) != v:
                raise AssertionError(f"generated VIN {v} does not normalise to itself")
        with db.transaction() as s:
            brand = Brand(code="FLASH", name="Flash Motors")
            s.add(brand)
            s.flush()
            model = CarModel(brand_id=brand.id, name="Volt S", body_type="suv", powertrain="bev")
            s.add(model)
            s.flush()
            trim = Trim(
                model_id=model.id, name="Launch Edition", msrp=Decimal("259900.00"), currency="CNY"
            )
            dealer = Dealer(
                code="FLASH-SH-01",
                name="Flash Motors Pudong",
                city="Shanghai",
                lat=31.2304,
                lon=121.4737,
                lead_capacity_per_day=60,
                service_bays=8,
                brands=[brand],
            )
            s.add_all([trim, dealer])
            s.flush()
            s.execute(
                insert(Vehicle),
                [
                    dict(
                        vin=v,
                        trim_id=trim.id,
                        model_id=model.id,
                        brand_id=brand.id,
                        color="Glacier White",
                        year=2026,
                        price=Decimal("249900.00"),
                        currency="CNY",
                        status=VehicleStatus.available.value,
                        dealer_id=dealer.id,
                        tower_id=None,
                        bay=None,
                        created_at=now,
                        updated_at=now,
                    )
                    for v in vins
                ],
            )
        timings["catalog_s"] = time.perf_counter() - t
        say(f"{backend}: brand, model, trim, dealer and {cars} vehicles of one trim")

        t = time.perf_counter()
        shared_hash = hash_password(PASSWORD)  # one real argon2 hash, shared by every buyer
        timings["argon2_hash_s"] = time.perf_counter() - t
        t = time.perf_counter()
        people = [Buyer(new_id(), secrets.token_urlsafe(32)) for _ in range(buyers)]
        expires = now + dt.timedelta(days=1)
        with db.transaction() as s:
            for start in range(0, buyers, CHUNK):
                part = people[start : start + CHUNK]
                s.execute(
                    insert(User),
                    [
                        dict(
                            id=b.user_id,
                            email=f"buyer{start + i + 1:05d}@flash.test",
                            password_hash=shared_hash,
                            role=Role.customer.value,
                            name=f"Flash Buyer {start + i + 1}",
                            phone=None,
                            city="Shanghai",
                            dealer_id=None,
                            tower_id=None,
                            created_at=now,
                        )
                        for i, b in enumerate(part)
                    ],
                )
                s.execute(
                    insert(AccessToken),
                    [
                        dict(
                            token_hash=hashlib.sha256(b.token.encode()).hexdigest(),
                            user_id=b.user_id,
                            created_at=now,
                            expires_at=expires,
                            revoked_at=None,
                        )
                        for b in part
                    ],
                )
                done = start + len(part)
                if done % 1_000 == 0 or done == buyers:
                    say(f"{backend}: {done:,}/{buyers:,} buyer accounts and tokens inserted")
        timings["buyers_s"] = time.perf_counter() - t
        t = time.perf_counter()
        analyze(db, backend)
        timings["analyze_s"] = time.perf_counter() - t
        with db.reading() as s:
            version = server_version(s, backend)
        timings["total_s"] = time.perf_counter() - started
        say(f"{backend}: database built in {timings['total_s']:.1f} s ({version})")
        return {"vins": vins, "buyers": people, "timings": timings, "database": version}
    finally:
        db.dispose()


# ---------------------------------------------------------------------------------------
# The server, and CPU accounting from /proc
# ---------------------------------------------------------------------------------------


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    total = sum(parts[:8])
    return total - idle, total


def cpu_snapshot(server_pgid: int, postmaster: int | None) -> dict:
    """CPU seconds so far of this client, the server's processes and our PostgreSQL (its
    postmaster and the backends it forked), and the machine's busy/total jiffies."""
    procs = proc_stats()
    me = resource.getrusage(resource.RUSAGE_SELF)
    busy, total = _machine_cpu()
    return {
        "client": me.ru_utime + me.ru_stime,
        "server": sum(cpu for _p, _pp, group, _s, cpu in procs if group == server_pgid),
        "postgres": sum(
            cpu for pid, ppid, _g, _s, cpu in procs if postmaster and postmaster in (pid, ppid)
        ),
        "busy": busy,
        "total": total,
    }


def cpu_used(before: dict, after: dict, wall: float) -> dict:
    """Cores used on average over `wall` seconds. `other_cores` is what the rest of the
    machine (not this benchmark) kept busy meanwhile: non-zero means the figures are shared."""
    ours = {k: (after[k] - before[k]) / wall for k in ("client", "server", "postgres")}
    busy = (after["busy"] - before["busy"]) / CLK_TCK / wall
    span = max(after["total"] - before["total"], 1)
    return {
        "client_cores": round(ours["client"], 2),
        "server_cores": round(ours["server"], 2),
        "postgres_cores": round(ours["postgres"], 2),
        "machine_busy_cores": round(busy, 2),
        "machine_busy_pct": round(100 * (after["busy"] - before["busy"]) / span, 1),
        "other_cores": round(max(0.0, busy - sum(ours.values())), 2),
    }


@contextlib.contextmanager
def server(url: str, var_dir: Path, workers: int):
    env = {
        "MOTORMALL_DATABASE_URL": url,
        "MOTORMALL_VAR_DIR": str(var_dir),
        "MOTORMALL_RATE_LIMITS": "off",
        "MOTORMALL_EMBEDDED_WORKER": "false",
    }
    log_path = var_dir / "serve.log"
    started = running_server(env, workers=workers, log_path=log_path, health_wait_s=HEALTH_WAIT_S)
    with started as (base, pid):
        yield base, pid, log_path


# ---------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int  # 0: no HTTP reply (connection error, timeout)
    body: bytes
    started: float  # perf_counter when it got a client slot
    ended: float


_SSL: list[ssl.SSLContext] = []


def _client(base: str, connections: int) -> httpx.AsyncClient:
    # one TLS context for all (plain HTTP here, but httpx builds a context per client
    # otherwise, ~20 ms of CPU each)
    if not _SSL:
        _SSL.append(ssl.create_default_context())
    return httpx.AsyncClient(
        base_url=base,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        timeout=httpx.Timeout(REQUEST_TIMEOUT_S),
        verify=_SSL[0],
    )


async def _one(client, method, path, headers, body) -> Reply:
    t0 = time.perf_counter()
    try:
        resp = await client.request(method, path, headers=headers, json=body)
        status, content = resp.status_code, resp.content
    except httpx.HTTPError as exc:
        status, content = 0, f"{type(exc).__name__}: {exc!r}".encode()
    return Reply(status, content, t0, time.perf_counter())


async def _volley(
    base: str, concurrency: int, requests: list[tuple], shared_pool: bool, pids=None
) -> dict:
    """Send `requests` (method, path, headers, body), all released at once, through
    `concurrency` lanes on fresh clients; returns the release time, the replies in order
    and, given `pids` (server process group, postmaster), CPU snapshots at release and end.

    Each lane takes the next request as soon as its previous reply is in, so `concurrency`
    requests are always in flight. By default every lane has its own AsyncClient with one
    keep-alive connection (a buyer's browser, in effect); `shared_pool` puts all lanes on one
    AsyncClient whose pool holds `concurrency` connections, which costs httpx about 5x the
    CPU per request at 200 connections and makes the client the bottleneck."""
    lanes = max(1, min(concurrency, len(requests)))
    if shared_pool:
        clients = [_client(base, lanes)]
        lane_clients = clients * lanes
    else:
        clients = [_client(base, 1) for _ in range(lanes)]
        lane_clients = clients
    replies: list[Reply | None] = [None] * len(requests)
    queue = iter(enumerate(requests))

    async def lane(client: httpx.AsyncClient) -> None:
        for i, req in queue:
            replies[i] = await _one(client, *req)

    try:
        before = cpu_snapshot(*pids) if pids else None
        released = time.perf_counter()
        await asyncio.gather(*(lane(c) for c in lane_clients))
        ended = time.perf_counter()
        after = cpu_snapshot(*pids) if pids else None
    finally:
        for c in clients:
            await c.aclose()
    return {
        "released": released,
        "replies": replies,
        "wall_s": ended - released,  # the last reply is in
        "cpu": (before, after),
    }


def run_async(coro):
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def _loop_name() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "asyncio on uvloop"


def latency(ms: list[float]) -> dict:
    if not ms:
        return {"n": 0}
    ms = sorted(ms)

    def rank(q: float) -> float:
        return round(ms[max(0, math.ceil(q * len(ms)) - 1)], 1)

    return {
        "n": len(ms),
        "p50_ms": rank(0.50),
        "p90_ms": rank(0.90),
        "p99_ms": rank(0.99),
        "max_ms": round(ms[-1], 1),
    }


def _code(reply: Reply) -> str | None:
    try:
        body = json.loads(reply.body)
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def measure_ceiling(base: str, requests: int, concurrency: int, pids: tuple, shared: bool) -> dict:
    say(f"ceiling: {requests:,} x GET /healthz at concurrency {concurrency}")
    done = run_async(
        _volley(base, concurrency, [("GET", "/healthz", None, None)] * requests, shared, pids)
    )
    replies, wall = done["replies"], done["wall_s"]
    statuses = Counter(r.status for r in replies)
    bad = [r for r in replies if r.status != 200]
    out = {
        "requests": requests,
        "wall_s": round(wall, 3),
        "requests_per_s": round(requests / wall, 1),
        "latency": latency([(r.ended - r.started) * 1000 for r in replies]),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "cpu": cpu_used(*done["cpu"], wall),
    }
    if bad:
        out["failures"] = [r.body.decode(errors="replace")[:300] for r in bad[:5]]
    say(f"ceiling: {out['requests_per_s']:,.0f} requests/s, statuses {out['statuses']}")
    return out


def warm_up(base: str, buyers: list[Buyer], concurrency: int, shared: bool) -> dict:
    """Read-only calls that open each server worker's database connections before the race:
    GET /api/v1/orders with buyers' tokens (token lookup, then an empty list).

    At most WARMUP_LANES at once: with more than the threadpool's 40 threads plus the 16
    pooled connections in flight on one worker, sync routes that return a response model
    (this one, GET /vehicles) stall that worker until SQLAlchemy's pool timeout, because
    each holds its session's connection while it waits for a thread to serialize its reply
    (see the report that came with this file)."""
    n = min(len(buyers), 2 * concurrency)
    reqs = [
        ("GET", "/api/v1/orders", {"Authorization": f"Bearer {b.token}"}, None) for b in buyers[-n:]
    ]
    lanes = min(concurrency, WARMUP_LANES)
    replies = run_async(_volley(base, lanes, reqs, shared))["replies"]
    statuses = Counter(r.status for r in replies)
    say(f"warm-up: {n} x GET /api/v1/orders over {lanes} lanes, statuses {dict(statuses)}")
    return {
        "requests": n,
        "lanes": lanes,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def race(
    base: str, plan: list[tuple[Buyer, str]], concurrency: int, pids: tuple, shared: bool
) -> dict:
    say(f"race: {len(plan):,} buyers, one POST /api/v1/orders each, concurrency {concurrency}")
    reqs = [
        (
            "POST",
            "/api/v1/orders",
            {"Authorization": f"Bearer {b.token}", "Idempotency-Key": uuid.uuid4().hex},
            {"vin": vin},
        )
        for b, vin in plan
    ]
    done = run_async(_volley(base, concurrency, reqs, shared, pids))
    say(f"race: done in {done['wall_s']:.2f} s")
    return done


# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------


def analyse(raced: dict, plan: list[tuple[Buyer, str]], cars: int) -> dict:
    replies: list[Reply] = raced["replies"]
    released, wall = raced["released"], raced["wall_s"]
    won = [(i, r) for i, r in enumerate(replies) if r.status == 201]
    codes = [_code(r) for r in replies]
    lost = [
        r
        for r, c in zip(replies, codes, strict=True)
        if r.status == 409 and c == "vehicle_unavailable"
    ]
    other = [
        r
        for r, c in zip(replies, codes, strict=True)
        if r.status != 201 and not (r.status == 409 and c == "vehicle_unavailable")
    ]
    kinds = Counter((r.status, _code(r)) for r in other)
    others = []
    for (status, code), count in sorted(kinds.items(), key=lambda kv: -kv[1]):
        examples = [
            r.body.decode(errors="replace")[:500]
            for r in other
            if (r.status, _code(r)) == (status, code)
        ][:3]
        others.append({"status": status, "code": code, "count": count, "examples": examples})
    first_buyer: dict[str, int] = {}
    for i, (_b, vin) in enumerate(plan):
        first_buyer.setdefault(vin, i)
    to_last_win = max((r.ended for _i, r in won), default=released) - released
    to_first_win = min((r.ended for _i, r in won), default=released) - released
    winners = []
    for i, r in won:
        body = json.loads(r.body)
        winners.append(
            {"order_id": body.get("id"), "vin": body.get("vin"), "buyer": plan[i][0].user_id}
        )
    return {
        "buyers": len(replies),
        "wall_s": round(wall, 3),
        "first_201_s": round(to_first_win, 3),
        "last_201_s": round(to_last_win, 3),
        "reservations": len(won),
        "reservations_per_s": round(len(won) / to_last_win, 1) if to_last_win > 0 else None,
        # the cars cannot all be won before each has been asked for once
        "last_car_first_asked_at": max(first_buyer.values()) + 1,
        "requests_per_s": round(len(replies) / wall, 1),
        "latency": latency([(r.ended - r.started) * 1000 for r in replies]),
        "latency_201": latency([(r.ended - r.started) * 1000 for _i, r in won]),
        "latency_409": latency([(r.ended - r.started) * 1000 for r in lost]),
        "statuses": {str(k): v for k, v in sorted(Counter(r.status for r in replies).items())},
        "count_201": len(won),
        "count_409_unavailable": len(lost),
        "others": others,
        "winners": winners,
        "cpu": cpu_used(*raced["cpu"], wall),
    }


def verify(url: str, result: dict, plan: list[tuple[Buyer, str]], cars: int) -> list[dict]:
    buyers = len(plan)
    checks: list[dict] = []

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append({"name": name, "ok": bool(ok), "detail": detail})

    check(
        f"HTTP: exactly {cars} x 201 reserved",
        result["count_201"] == cars,
        f"{result['count_201']} x 201",
    )
    check(
        f"HTTP: {buyers - cars:,} x 409 vehicle_unavailable (every loser)",
        result["count_409_unavailable"] == buyers - cars,
        f"{result['count_409_unavailable']:,} x 409 vehicle_unavailable",
    )
    n_other = sum(o["count"] for o in result["others"])
    check(
        "HTTP: 0 other replies (no 5xx, 503 database_busy, connection errors, ...)",
        n_other == 0,
        ", ".join(f"{o['count']} x {o['status']} {o['code']}" for o in result["others"]) or "none",
    )
    wins_per_vin = Counter(w["vin"] for w in result["winners"])
    check(
        "HTTP: every car won by exactly one buyer",
        len(wins_per_vin) == cars and set(wins_per_vin.values()) == {1},
        f"{len(wins_per_vin)} cars won, most wins for one car: "
        f"{max(wins_per_vin.values(), default=0)}",
    )

    db = Database(url)
    try:
        with db.reading() as s:
            reserved = s.scalar(
                select(func.count())
                .select_from(Order)
                .where(Order.status == OrderStatus.reserved.value)
            )
            total = s.scalar(select(func.count()).select_from(Order))
            live_per_vehicle = dict(
                s.execute(
                    select(Order.vehicle_id, func.count())
                    .where(Order.status.not_in([e.value for e in ENDED]))
                    .group_by(Order.vehicle_id)
                ).all()
            )
            vehicles = dict(
                s.execute(select(Vehicle.status, func.count()).group_by(Vehicle.status)).all()
            )
            orders = {o.id: (o.vin, o.customer_id) for o in s.scalars(select(Order)).all()}
            keys = s.scalar(select(func.count()).select_from(IdempotencyRecord))
    finally:
        db.dispose()
    live = sum(live_per_vehicle.values())
    check(
        f"DB: exactly {cars} orders with status reserved",
        reserved == cars,
        f"{reserved} reserved, {total} orders in all",
    )
    check(
        "DB: exactly one live order per vehicle",
        len(live_per_vehicle) == cars and set(live_per_vehicle.values()) == {1},
        f"{len(live_per_vehicle)} vehicles with a live order, most on one vehicle: "
        f"{max(live_per_vehicle.values(), default=0)}",
    )
    check(
        f"DB: all {cars} vehicles reserved",
        vehicles.get(VehicleStatus.reserved.value, 0) == cars and sum(vehicles.values()) == cars,
        ", ".join(f"{k} {v}" for k, v in sorted(vehicles.items())),
    )
    oversold = (live - len(live_per_vehicle)) + max(0, total - cars)
    check(
        "DB: 0 oversold",
        oversold == 0,
        f"{oversold} oversold ({live} live orders on {len(live_per_vehicle)} vehicles, "
        f"{total} orders for {cars} cars)",
    )
    expected = {w["order_id"]: (w["vin"], w["buyer"]) for w in result["winners"]}
    check(
        "DB matches HTTP: each 201's order is in the DB with that buyer and VIN",
        expected == orders,
        f"{sum(1 for k, v in expected.items() if orders.get(k) == v)} of {len(expected)} "
        f"201s matched, {len(orders)} orders in the DB",
    )
    check(
        f"DB: {cars} idempotency records (losers' keys rolled back with their work)",
        keys == cars,
        f"{keys} records",
    )
    return checks


# ---------------------------------------------------------------------------------------
# Driver and report
# ---------------------------------------------------------------------------------------


def _plan(built: dict, seed: int) -> list[tuple[Buyer, str]]:
    rng = random.Random(seed)
    plan = [(b, rng.choice(built["vins"])) for b in built["buyers"]]
    chosen = Counter(v for _b, v in plan)
    if len(chosen) != len(built["vins"]):
        raise RuntimeError("some car has no buyer with this seed: pick another --seed")
    return plan


def _server_log(path: Path) -> dict:
    """The server's stderr: JSON access lines (one per request) counted by status, anything
    else (warnings, tracebacks) kept for the report."""
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    access: Counter = Counter()
    noted = []
    for ln in lines:
        if ln.startswith("motormall on http"):
            continue
        if ln.startswith("{") and '"request_id"' in ln:
            with contextlib.suppress(ValueError):
                entry = json.loads(ln)
                access[f"{entry.get('method')} {entry.get('status')}"] += 1
                continue
        noted.append(ln)
    return {
        "access_lines": dict(sorted(access.items())),
        "other_lines": len(noted),
        "tail": noted[-15:],
    }


def run_backend(backend: str, args) -> dict:
    workers = args.workers or DEFAULT_WORKERS[backend]
    out: dict = {"backend": backend, "workers": workers}
    tmp = Path(tempfile.mkdtemp(prefix=f"mm-flash-{backend}-"))
    try:
        with contextlib.ExitStack() as stack:
            postmaster = None
            if args.against:  # a running deployment (scripts/cluster.sh) and its database
                url = args.db_url
            elif backend == "sqlite":
                url = f"sqlite:///{tmp / 'motormall.db'}"
            else:
                conns = max(200, workers * PG_CONNECTIONS_PER_WORKER + 20)
                pg_url, postmaster = stack.enter_context(pg_server(conns))
                url = stack.enter_context(pg_database(pg_url))
            say(f"{backend}: building {args.cars} cars and {args.buyers:,} buyers")
            built = build(url, backend, args.cars, args.buyers)
            out["database"] = built["database"]
            out["build"] = {k: round(v, 2) for k, v in built["timings"].items()}
            plan = _plan(built, args.seed)
            var_dir = tmp / "var"
            var_dir.mkdir()
            started = (
                contextlib.nullcontext((args.against.rstrip("/"), 0, None))
                if args.against
                else server(url, var_dir, workers)
            )
            with started as (base, pgid, log_path):
                shared, conc = args.shared_pool, args.concurrency
                out["warm_up"] = warm_up(base, built["buyers"], conc, shared)
                pids = (pgid, postmaster)
                out["ceiling"] = measure_ceiling(base, args.buyers, conc, pids, shared)
                raced = race(base, plan, conc, pids, shared)
                result = analyse(raced, plan, args.cars)
                out["checks"] = verify(url, result, plan, args.cars)
                if log_path is not None:
                    out["server_log"] = _server_log(log_path)
            result.pop("winners")
            out["race"] = result
            out["race_to_ceiling"] = round(
                result["requests_per_s"] / out["ceiling"]["requests_per_s"], 3
            )
    except Exception as exc:  # report it as a failure and go on to the next
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc()
        say(f"{backend}: FAILED: {out['error']}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out["ok"] = "error" not in out and all(c["ok"] for c in out.get("checks", []))
    return out


def _row(name: str, rps, lat: dict, wall=None) -> str:
    if not lat.get("n"):
        return f"  {name:<30} {'-':>7}"
    wall_s = f"{wall:8.2f}" if wall is not None else f"{'':>8}"
    rate = f"{rps:9,.0f}" if rps is not None else f"{'':>9}"
    return (
        f"  {name:<30} {lat['n']:>6,} {wall_s} {rate} {lat['p50_ms']:>8.1f} "
        f"{lat['p90_ms']:>8.1f} {lat['p99_ms']:>8.1f} {lat['max_ms']:>8.1f}"
    )


def _cpu_line(cpu: dict, backend: str) -> str:
    pg = f", postgres {cpu['postgres_cores']:.2f}" if backend == "postgresql" else ""
    return (
        f"cores used: client {cpu['client_cores']:.2f}, server {cpu['server_cores']:.2f}{pg}, "
        f"other processes {cpu['other_cores']:.2f}; machine {cpu['machine_busy_pct']:.0f}% busy"
    )


def report(result: dict) -> str:
    p = result["params"]
    lines = [
        f"motormall flash sale: {p['cars']} cars of one trim, {p['buyers']:,} buyers, one "
        f"POST /api/v1/orders each, seed {p['seed']}",
        f"client: one process, {result['client']}, {p['concurrency']} concurrent connections: "
        + (
            f"one httpx.AsyncClient pooling {p['concurrency']} connections"
            if p["shared_pool"]
            else f"{p['concurrency']} lanes, each its own httpx.AsyncClient with one keep-alive "
            "connection"
        )
        + "; all requests released at once",
        f"machine: {result['machine']}",
        "latency = from a lane sending the request to the end of its reply",
    ]
    for b in result["backends"]:
        lines += ["", f"== {b['backend']}, {b['workers']} server worker(s)"]
        if "database" in b:
            t = b["build"]
            lines[-1] += f" ({b['database']})"
            lines.append(
                f"build {t['total_s']:.1f} s: migrations {t['migrations_s']:.1f} s, "
                f"catalog+cars {t['catalog_s']:.2f} s, one argon2 hash {t['argon2_hash_s']:.2f} s, "
                f"{p['buyers']:,} buyers+tokens {t['buyers_s']:.2f} s, analyze "
                f"{t['analyze_s']:.2f} s"
            )
        if "race" in b:
            r, c = b["race"], b["ceiling"]
            lines += [
                f"warm-up: {b['warm_up']['requests']} x GET /api/v1/orders over "
                f"{b['warm_up']['lanes']} lanes, statuses {b['warm_up']['statuses']}",
                "",
                f"  {'':<30} {'n':>6} {'wall s':>8} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} "
                f"{'p99 ms':>8} {'max ms':>8}",
                _row("ceiling GET /healthz", c["requests_per_s"], c["latency"], c["wall_s"]),
                _row("race POST /orders, all", r["requests_per_s"], r["latency"], r["wall_s"]),
                _row("  of which 201 reserved", None, r["latency_201"]),
                _row("  of which 409 unavailable", None, r["latency_409"]),
                "",
                f"reservations/s: {r['reservations_per_s'] or 0:,.1f} ({r['reservations']} "
                f"reserved; first 201 at {r['first_201_s']:.2f} s, last at "
                f"{r['last_201_s']:.2f} s after release; the last car to be asked for was "
                f"first asked by request #{r['last_car_first_asked_at']:,} of {r['buyers']:,})",
                f"requests/s: race {r['requests_per_s']:,.0f} vs ceiling "
                f"{c['requests_per_s']:,.0f}: ratio {b['race_to_ceiling']:.3f}",
                f"ceiling statuses {c['statuses']}; {_cpu_line(c['cpu'], b['backend'])}",
                f"race statuses {r['statuses']}; {_cpu_line(r['cpu'], b['backend'])}",
            ]
            for o in r["others"]:
                lines.append(f"  other reply: {o['count']} x {o['status']} {o['code']}")
                lines += [f"    {ex}" for ex in o["examples"]]
        for chk in b.get("checks", []):
            lines.append(f"{'PASS' if chk['ok'] else 'FAIL'}  {chk['name']}: {chk['detail']}")
        if "server_log" in b:
            log = b["server_log"]
            lines.append(
                "server log: access lines "
                + (", ".join(f"{k} x{v:,}" for k, v in log["access_lines"].items()) or "none")
                + f"; {log['other_lines']} other line(s)"
                + (", the last ones:" if log["other_lines"] else "")
            )
            lines += [f"    {ln}" for ln in log["tail"]]
        if "error" in b:
            lines += [f"FAIL  {b['backend']} did not finish: {b['error']}", b["traceback"]]
    lines += ["", "RESULT: " + ("PASS" if result["ok"] else "FAIL")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--buyers", type=int, default=5_000)
    parser.add_argument("--cars", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=200, help="client connections")
    parser.add_argument(
        "--workers", type=int, default=None, help="server workers (default: sqlite 1, pg 4)"
    )
    parser.add_argument(
        "--shared-pool",
        action="store_true",
        help="one AsyncClient with a pool of --concurrency connections instead of one "
        "single-connection AsyncClient per lane (httpx then spends ~5x the CPU per request)",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--against",
        metavar="BASE_URL",
        help="race a running deployment instead of starting a server (a fresh cluster's "
        "balancer, e.g. http://127.0.0.1:8080); needs --db-url, its empty database, which is "
        "loaded and checked directly; the ceiling is GET /healthz through the same address",
    )
    parser.add_argument("--db-url", help="the database of --against (postgresql+psycopg://...)")
    args = parser.parse_args(argv)
    if args.against and (not args.db_url or args.db == "both"):
        parser.error("--against needs --db-url and --db sqlite or postgresql")
    if not 1 <= args.cars <= args.buyers or args.concurrency < 1:
        parser.error("need 1 <= cars <= buyers and concurrency >= 1")
    if args.cars > 999_999:
        parser.error("VINs carry a 6-digit serial: at most 999,999 cars")
    if args.workers is not None and not 1 <= args.workers <= 64:
        parser.error("--workers must be 1 to 64")
    # a SIGTERM unwinds like Ctrl-C, so the servers and temp dirs are still cleaned up
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.concurrency * 2 + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    backends = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    runs = [run_backend(b, args) for b in backends]
    result = {
        "params": {
            "cars": args.cars,
            "buyers": args.buyers,
            "concurrency": args.concurrency,
            "shared_pool": args.shared_pool,
            "seed": args.seed,
        },
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}",
        "client": _loop_name(),
        "backends": runs,
        "ok": all(r["ok"] for r in runs),
    }
    if args.json:
        for b in runs:
            for chk in b.get("checks", []):
                say(f"{b['backend']}: {'PASS' if chk['ok'] else 'FAIL'}  {chk['name']}")
        print(json.dumps(result, indent=2))
    else:
        print(report(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
