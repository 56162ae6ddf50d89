"""Lead routing throughput: the routing rule in-process, the whole intake on a database, and
POST /api/v1/leads over HTTP.

Targets: at least 2,000 leads/s in-process, and p99 under 50 ms over HTTP.

* engine: 500 dealers spread over the districts of network.CITIES (a few km of deterministic
  jitter), each selling 1 or 2 of the 3 brands, capacity 20-60 leads a day, random stock
  flags per model and a fixed response rate each. 100,000 leads (random brand and model,
  within 30 km of a random city centre, fixed seed) go through `routing.route()` one by one;
  the candidates come from an in-memory state updated after every decision exactly as the
  database would count it (assignments since local midnight; assignments over the policy's
  rolling fairness window). The run is a sequence of simulated days: every
  `0.9 x total daily capacity` leads a new day starts and `assigned_today` goes back to 0, so
  capacities matter. Per lead it times building the candidates (distance to every dealer
  selling the brand) + route() + the state update, and route() alone.
* service: the same dealers in a fresh database built by the real migrations (brands, models
  and trims from the demo network, dealer_brands, one available car per stocked model,
  10,000 customers with one shared argon2 hash), then `service.submit()` for 5,000 leads,
  each from its own customer in its own `db.transaction()` as the HTTP route runs it.
* http: the real server (`motormall serve --workers 1`) as a subprocess on that database,
  bearer tokens written straight into access_tokens, 2,000 sequential
  `POST /api/v1/leads` (each from a different customer, so nothing merges) with one
  persistent httpx client after 50 warm-up requests.

    .venv/bin/python bench/lead_routing.py                       # SQLite, then PostgreSQL
    .venv/bin/python bench/lead_routing.py --db sqlite --leads 20000 --json

PostgreSQL: a throwaway server is started from Debian's binaries (as tests/conftest.py does:
initdb as the postgres user in a temp dir, loopback port, fsync off) unless
MOTORMALL_BENCH_PG_URL names a server (`postgresql+psycopg://user@host:port`); there a fresh
database is created and dropped at the end. Progress goes to stderr, figures to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import hashlib
import json
import math
import os
import platform
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select
from support import analyze, pg_database, pg_server, running_server, say, server_version

from motormall.catalog.models import (
    Brand,
    CarModel,
    Dealer,
    Trim,
    Vehicle,
    VehicleStatus,
    dealer_brands,
)
from motormall.demo import network, seed
from motormall.leads import routing, service
from motormall.leads.models import Lead, LeadAssignment
from motormall.platform.auth import AccessToken, Principal, Role, User, hash_password, new_id
from motormall.platform.db import Database, utcnow
from motormall.platform.geo import bounding_box, haversine_km
from motormall.platform.migrate import upgrade

SEED = 20260601
TARGET_LEADS_PER_S = 2_000
TARGET_HTTP_P99_MS = 50.0
BRANDS = ("BMW", "FORD", "MINI")
NEAR_SPREAD_KM = 30
DAY_LOAD = 0.9  # leads per simulated day, as a share of every dealer's capacity together
ENGINE_WARMUP = 500  # leads routed on a scratch state before the measured run
SERVICE_LEADS = 5_000
HTTP_LEADS = 2_000
WARMUP = 50  # warm-up submits in-process, and warm-up requests over HTTP
CUSTOMERS = 10_000
FLAGS = ("radius_widened", "over_capacity", "outside_radius")
CHUNK = 5_000


def quantiles(values: list[float]) -> dict:
    """median/p95/p99/max of a list (inclusive method, as bench/stock_search.py)."""
    cuts = (
        statistics.quantiles(values, n=100, method="inclusive")
        if len(values) > 1
        else [values[0]] * 99
    )
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p95": cuts[94],
        "p99": cuts[98],
        "max": max(values),
    }


def in_ms(q: dict, ndigits: int = 2) -> dict:
    return {k: (v if k == "n" else round(v, ndigits)) for k, v in q.items()}


def flag_shares(counts: Counter, total: int) -> dict:
    return {f: round(counts.get(f, 0) / total, 4) for f in FLAGS}


# ---------------------------------------------------------------------------------------
# The network: dealers and leads, plain data shared by every part
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealerSpec:
    code: str
    name: str
    city: str
    lat: float
    lon: float
    capacity: int
    brands: tuple[str, ...]
    stock: frozenset[int]  # indexes into network.MODELS with a car on the forecourt
    response_rate: float


@dataclass(frozen=True)
class LeadSpec:
    brand: str
    model: int  # index into network.MODELS
    lat: float
    lon: float


def make_dealers(count: int, rng: random.Random) -> list[DealerSpec]:
    """`count` dealers round-robin over every district (one city after another, so even a
    small network covers every city), a few km of jitter."""
    places = []
    for k in range(max(len(c["districts"]) for c in network.CITIES)):
        for city in network.CITIES:
            if k < len(city["districts"]):
                district, _zh, lat, lon = city["districts"][k]
                places.append((city["name"], district, lat, lon))
    models_of = {b: [i for i, m in enumerate(network.MODELS) if m["brand"] == b] for b in BRANDS}
    names = dict(network.BRANDS)
    dealers = []
    for i in range(count):
        city, district, lat, lon = places[i % len(places)]
        sold = tuple(sorted(rng.sample(BRANDS, 2))) if rng.random() < 0.4 else (rng.choice(BRANDS),)
        stock_share = rng.uniform(0.1, 0.9)
        stock = frozenset(m for b in sold for m in models_of[b] if rng.random() < stock_share)
        group = network.DEALER_GROUPS[i % len(network.DEALER_GROUPS)]
        dealers.append(
            DealerSpec(
                code=f"L-{seed._city_code(city)}-{i + 1:04d}",
                name=f"{group} {names[sold[0]]} {district} {i // len(places) + 1}",
                city=city,
                lat=round(lat + rng.uniform(-0.03, 0.03), 5),
                lon=round(lon + rng.uniform(-0.03, 0.03), 5),
                capacity=rng.randint(20, 60),
                brands=sold,
                stock=stock,
                response_rate=round(rng.uniform(0.55, 0.98), 3),
            )
        )
    return dealers


def make_leads(count: int, rng: random.Random) -> list[LeadSpec]:
    """Random brand and model; a point uniformly spread within NEAR_SPREAD_KM of a random
    city centre."""
    models_of = {b: [i for i, m in enumerate(network.MODELS) if m["brand"] == b] for b in BRANDS}
    leads = []
    for _ in range(count):
        brand = rng.choice(BRANDS)
        city = rng.choice(network.CITIES)
        km = NEAR_SPREAD_KM * math.sqrt(rng.random())
        bearing = rng.uniform(0, 2 * math.pi)
        lat = city["lat"] + (km * math.cos(bearing)) / 111.32
        lon = city["lon"] + (km * math.sin(bearing)) / (
            111.32 * math.cos(math.radians(city["lat"]))
        )
        leads.append(LeadSpec(brand, rng.choice(models_of[brand]), round(lat, 5), round(lon, 5)))
    return leads


# ---------------------------------------------------------------------------------------
# Part 1: the routing rule in-process
# ---------------------------------------------------------------------------------------


class EngineState:
    """What `service.candidates()` reads from the database, kept in memory: assignments
    today per dealer, and assignments over the rolling fairness window."""

    def __init__(self, dealers: list[DealerSpec], policy: routing.Policy):
        self.dealers = dealers
        self.by_brand = {
            b: [(i, d) for i, d in enumerate(dealers) if b in d.brands] for b in BRANDS
        }
        self.assigned_today = [0] * len(dealers)
        self.recent = [0] * len(dealers)
        self.window: deque[tuple[float, int]] = deque()  # (time in s, dealer index)
        self.window_s = policy.fairness_days * 86_400
        self.received = [0] * len(dealers)
        widest = max((policy.radius_km, *policy.widen_to_km))
        self.box = lambda lat, lon: bounding_box(lat, lon, widest)

    def new_day(self) -> None:
        self.assigned_today = [0] * len(self.dealers)

    def candidates(self, lead: LeadSpec, now_s: float) -> list[routing.Candidate]:
        window, recent = self.window, self.recent
        while window and window[0][0] < now_s - self.window_s:  # `at >= now - days` counts
            recent[window.popleft()[1]] -= 1
        today = self.assigned_today
        lat, lon, model = lead.lat, lead.lon, lead.model
        # as service.candidates(): only dealers inside the box of the widest radius, unless
        # none is there
        lat0, lat1, lon0, lon1 = self.box(lat, lon)
        pool = [
            (i, d)
            for i, d in self.by_brand[lead.brand]
            if lat0 <= d.lat <= lat1 and lon0 <= d.lon <= lon1
        ] or self.by_brand[lead.brand]
        return [
            routing.Candidate(
                dealer_id=i + 1,
                code=d.code,
                distance_km=haversine_km(lat, lon, d.lat, d.lon),
                has_stock=model in d.stock,
                capacity=d.capacity,
                assigned_today=today[i],
                response_rate=d.response_rate,
                recent_leads=recent[i],
            )
            for i, d in pool
        ]

    def assign(self, dealer_id: int, now_s: float) -> None:
        i = dealer_id - 1
        self.assigned_today[i] += 1
        self.recent[i] += 1
        self.received[i] += 1
        self.window.append((now_s, i))


def run_engine(dealers: list[DealerSpec], leads: list[LeadSpec], policy: routing.Policy) -> dict:
    total_capacity = sum(d.capacity for d in dealers)
    per_day = max(1, round(total_capacity * DAY_LOAD))
    say(
        f"engine: {len(dealers)} dealers, total capacity {total_capacity:,}/day, "
        f"{per_day:,} leads per simulated day, {len(leads):,} leads"
    )
    scratch = EngineState(dealers, policy)  # warm-up: same code paths, thrown away
    for k, lead in enumerate(leads[:ENGINE_WARMUP]):
        decision = routing.route(scratch.candidates(lead, float(k)), policy)
        scratch.assign(decision.dealer_id, float(k))

    state = EngineState(dealers, policy)
    per_lead = [0] * len(leads)
    route_only = [0] * len(leads)
    n_candidates = 0
    flags: Counter = Counter()
    clean = 0
    day = 0
    ns = time.perf_counter_ns
    gc.collect()
    load = os.getloadavg()[0]
    cpu = time.process_time()
    started = time.perf_counter()
    for k, lead in enumerate(leads):
        now_s = k * 86_400 / per_day
        if k // per_day != day:
            day = k // per_day
            state.new_day()
        t0 = ns()
        cands = state.candidates(lead, now_s)
        t1 = ns()
        decision = routing.route(cands, policy)
        t2 = ns()
        state.assign(decision.dealer_id, now_s)
        t3 = ns()
        per_lead[k] = t3 - t0
        route_only[k] = t2 - t1
        n_candidates += len(cands)
        flags.update(decision.flags)
        clean += not decision.flags
        if (k + 1) % 20_000 == 0:
            say(f"  engine: {k + 1:,}/{len(leads):,} leads routed")
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    received = sorted(state.received)
    over = sum(
        1
        for i, d in enumerate(dealers)
        if state.received[i] > d.capacity * math.ceil(len(leads) / per_day)
    )
    return {
        "dealers": len(dealers),
        "total_capacity_per_day": total_capacity,
        "leads_per_day": per_day,
        "days": math.ceil(len(leads) / per_day),
        "leads": len(leads),
        "elapsed_s": round(elapsed, 3),
        "leads_per_s": round(len(leads) / elapsed, 1),
        "cpu_s": round(cpu, 3),
        "leads_per_cpu_s": round(len(leads) / cpu, 1),
        "loadavg_1m_before": round(load, 2),
        "per_lead_us": {k: round(v / 1000, 1) for k, v in quantiles(per_lead).items() if k != "n"},
        "route_only_us": {
            k: round(v / 1000, 1) for k, v in quantiles(route_only).items() if k != "n"
        },
        "avg_candidates": round(n_candidates / len(leads), 1),
        "flags": flag_shares(flags, len(leads)),
        "no_flag": round(clean / len(leads), 4),
        "dealers_without_leads": sum(1 for r in received if r == 0),
        "leads_per_dealer": {
            "min": received[0],
            "median": statistics.median(received),
            "max": received[-1],
        },
        "dealers_over_total_capacity": over,
    }


# ---------------------------------------------------------------------------------------
# Part 2: the whole intake on a database
# ---------------------------------------------------------------------------------------


@dataclass
class Built:
    model_ids: list[int]  # by index into network.MODELS
    customers: list[tuple[str, str, str]]  # (user id, e-mail, bearer token)
    timings: dict
    context: dict


def _ids(session, stmt, rows: list[dict]) -> list[int]:
    return list(session.execute(stmt, rows).scalars())


def build(url: str, backend: str, dealers: list[DealerSpec]) -> Built:
    """Migrate and load by direct inserts; ANALYZE. Returns what the runs need."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    rng = random.Random(SEED + 7)
    db = Database(url)
    try:
        t = time.perf_counter()
        upgrade(db)
        timings["migrations_s"] = time.perf_counter() - t
        t = time.perf_counter()
        password_hash = hash_password(secrets.token_urlsafe(16))  # one real argon2 hash
        now = utcnow()
        with db.transaction() as s:
            brand_ids = dict(
                zip(
                    (code for code, _ in network.BRANDS),
                    _ids(
                        s,
                        insert(Brand).returning(Brand.id, sort_by_parameter_order=True),
                        [{"code": c, "name": n} for c, n in network.BRANDS],
                    ),
                    strict=True,
                )
            )
            model_ids = _ids(
                s,
                insert(CarModel).returning(CarModel.id, sort_by_parameter_order=True),
                [
                    {
                        "brand_id": brand_ids[m["brand"]],
                        "name": m["name"],
                        "body_type": m["body_type"],
                        "powertrain": m["powertrain"],
                    }
                    for m in network.MODELS
                ],
            )
            trim_rows = [
                (i, name, Decimal(msrp))
                for i, m in enumerate(network.MODELS)
                for name, msrp in m["trims"]
            ]
            trim_ids = _ids(
                s,
                insert(Trim).returning(Trim.id, sort_by_parameter_order=True),
                [
                    {"model_id": model_ids[i], "name": name, "msrp": msrp, "currency": "CNY"}
                    for i, name, msrp in trim_rows
                ],
            )
            trims_of: dict[int, list[tuple[int, Decimal]]] = {}
            for (i, _name, msrp), trim_id in zip(trim_rows, trim_ids, strict=True):
                trims_of.setdefault(i, []).append((trim_id, msrp))
            dealer_ids = _ids(
                s,
                insert(Dealer).returning(Dealer.id, sort_by_parameter_order=True),
                [
                    {
                        "code": d.code,
                        "name": d.name,
                        "city": d.city,
                        "lat": d.lat,
                        "lon": d.lon,
                        "lead_capacity_per_day": d.capacity,
                        "service_bays": 8,
                    }
                    for d in dealers
                ],
            )
            s.execute(
                insert(dealer_brands),
                [
                    {"dealer_id": dealer_id, "brand_id": brand_ids[b]}
                    for d, dealer_id in zip(dealers, dealer_ids, strict=True)
                    for b in d.brands
                ],
            )
            vehicles, serial = [], 0
            for d, dealer_id in zip(dealers, dealer_ids, strict=True):
                for m in sorted(d.stock):
                    serial += 1
                    brand = network.MODELS[m]["brand"]
                    trim_id, msrp = rng.choice(trims_of[m])
                    vehicles.append(
                        {
                            "vin": seed.demo_vin(
                                brand, serial, 2026, rng.choice(network.VDS_HINTS[brand])
                            ),
                            "trim_id": trim_id,
                            "model_id": model_ids[m],
                            "brand_id": brand_ids[brand],
                            "color": rng.choice(network.COLOURS[brand]),
                            "year": 2026,
                            "price": msrp,
                            "currency": "CNY",
                            "status": VehicleStatus.available.value,
                            "dealer_id": dealer_id,
                        }
                    )
            for start in range(0, len(vehicles), CHUNK):
                s.execute(insert(Vehicle), vehicles[start : start + CHUNK])
            customers = []
            users, tokens = [], []
            cities = [c["name"] for c in network.CITIES]
            for n in range(CUSTOMERS):
                user_id, email = new_id(), f"buyer{n:05d}@bench.motormall"
                token = secrets.token_urlsafe(32)
                customers.append((user_id, email, token))
                users.append(
                    {
                        "id": user_id,
                        "email": email,
                        "password_hash": password_hash,
                        "role": Role.customer.value,
                        "name": f"Bench Buyer {n}",
                        "city": cities[n % len(cities)],
                        "created_at": now,
                    }
                )
                tokens.append(
                    {
                        "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                        "user_id": user_id,
                        "created_at": now,
                        "expires_at": now + dt.timedelta(days=2),
                    }
                )
            for start in range(0, len(users), CHUNK):
                s.execute(insert(User), users[start : start + CHUNK])
            for start in range(0, len(tokens), CHUNK):
                s.execute(insert(AccessToken), tokens[start : start + CHUNK])
        timings["load_s"] = time.perf_counter() - t
        t = time.perf_counter()
        analyze(db, backend)
        timings["analyze_s"] = time.perf_counter() - t
        timings["total_s"] = time.perf_counter() - started
        say(
            f"{backend}: {len(dealers)} dealers, {len(vehicles):,} cars in stock, "
            f"{CUSTOMERS:,} customers with tokens, built in {timings['total_s']:.1f} s"
        )
        return Built(model_ids, customers, timings, context(db, backend))
    finally:
        db.dispose()


def context(db: Database, backend: str) -> dict:
    with db.reading() as session:
        counts = {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in (
                Brand.__table__,
                CarModel.__table__,
                Trim.__table__,
                Dealer.__table__,
                dealer_brands,
                Vehicle.__table__,
                User.__table__,
                AccessToken.__table__,
            )
        }
        version = server_version(session, backend)
    return {"database": version, "rows": counts}


def lead_counts(url: str) -> dict:
    db = Database(url)
    try:
        with db.reading() as session:
            return {
                "leads": session.scalar(select(func.count()).select_from(Lead)),
                "lead_assignments": session.scalar(
                    select(func.count()).select_from(LeadAssignment)
                ),
            }
    finally:
        db.dispose()


def run_service(url: str, backend: str, built: Built, leads: list[LeadSpec]) -> dict:
    """service.submit() per lead, each in its own transaction, customers [0, WARMUP +
    SERVICE_LEADS)."""
    db = Database(url)
    try:

        def submit(k: int) -> service.Intake:
            user_id, email, _token = built.customers[k]
            lead = leads[k]
            who = Principal(user_id=user_id, role=Role.customer, email=email)
            inquiry = service.Inquiry(
                channel="web", model_id=built.model_ids[lead.model], near=(lead.lat, lead.lon)
            )
            with db.transaction() as session:
                return service.submit(session, who, inquiry, now=utcnow())

        for k in range(WARMUP):
            submit(k)
        samples: list[float] = []
        flags: Counter = Counter()
        merged = 0
        gc.collect()
        cpu = time.process_time()
        started = time.perf_counter()
        for k in range(WARMUP, WARMUP + SERVICE_LEADS):
            t = time.perf_counter_ns()
            intake = submit(k)
            samples.append((time.perf_counter_ns() - t) / 1e6)
            flags.update(intake.lead.flags)
            merged += intake.merged
            if (k - WARMUP + 1) % 1_000 == 0:
                say(f"  {backend} service: {k - WARMUP + 1:,}/{SERVICE_LEADS:,} leads")
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        db.dispose()
    if merged:
        raise AssertionError(f"{merged} submits merged: every lead was meant to be new")
    return {
        "leads": SERVICE_LEADS,
        "warmup": WARMUP,
        "elapsed_s": round(elapsed, 3),
        "leads_per_s": round(SERVICE_LEADS / elapsed, 1),
        "cpu_ms_per_lead": round(cpu * 1000 / SERVICE_LEADS, 2),
        "ms": in_ms(quantiles(samples)),
        "flags": flag_shares(flags, SERVICE_LEADS),
    }


# ---------------------------------------------------------------------------------------
# Part 3: POST /api/v1/leads over HTTP
# ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def server(url: str, var_dir: Path):
    env = {
        "MOTORMALL_DATABASE_URL": url,
        "MOTORMALL_VAR_DIR": str(var_dir),
        "MOTORMALL_RATE_LIMITS": "off",
        "MOTORMALL_EMBEDDED_WORKER": "false",
    }
    var_dir.mkdir(parents=True, exist_ok=True)
    with running_server(env, workers=1, log_path=var_dir / "serve.log") as (base, pid):
        yield base, pid


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU a process has used (Linux /proc), None where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_http(base: str, pid: int, backend: str, built: Built, leads: list[LeadSpec]) -> dict:
    """Customers [WARMUP + SERVICE_LEADS, ...): WARMUP requests, then HTTP_LEADS timed."""
    first = WARMUP + SERVICE_LEADS
    samples: list[float] = []
    statuses: Counter = Counter()
    flags: Counter = Counter()
    with httpx.Client(base_url=base, timeout=60) as client:

        def post(k: int) -> httpx.Response:
            lead = leads[k]
            return client.post(
                "/api/v1/leads",
                json={
                    "channel": "web",
                    "model_id": built.model_ids[lead.model],
                    "near": f"{lead.lat},{lead.lon}",
                },
                headers={"Authorization": f"Bearer {built.customers[k][2]}"},
            )

        for k in range(first, first + WARMUP):
            resp = post(k)
            if resp.status_code != 201:
                raise RuntimeError(f"warm-up POST /api/v1/leads -> {resp.status_code}: {resp.text}")
        server_cpu = cpu_seconds(pid)
        client_cpu = time.process_time()
        for n, k in enumerate(range(first + WARMUP, first + WARMUP + HTTP_LEADS), start=1):
            t = time.perf_counter_ns()
            resp = post(k)
            samples.append((time.perf_counter_ns() - t) / 1e6)
            statuses[resp.status_code] += 1
            if resp.status_code == 201:
                flags.update(resp.json()["flags"])
            if n % 500 == 0:
                say(f"  {backend} http: {n:,}/{HTTP_LEADS:,} requests")
        client_cpu = time.process_time() - client_cpu
        after = cpu_seconds(pid)
        server_cpu = None if server_cpu is None or after is None else after - server_cpu
    return {
        "server_cpu_ms_per_request": (
            None if server_cpu is None else round(server_cpu * 1000 / HTTP_LEADS, 2)
        ),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / HTTP_LEADS, 2),
        "requests": HTTP_LEADS,
        "warmup": WARMUP,
        "ms": in_ms(quantiles(samples)),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "all_201": statuses.get(201, 0) == HTTP_LEADS,
        "flags": flag_shares(flags, HTTP_LEADS),
    }


def run_backend(backend: str, dealers: list[DealerSpec]) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"mm-bench-leads-{backend}-"))
    try:
        with contextlib.ExitStack() as stack:
            if backend == "sqlite":
                url = f"sqlite:///{tmp / 'motormall.db'}"
            else:
                url = stack.enter_context(pg_database(stack.enter_context(pg_server())[0]))
            built = build(url, backend, dealers)
            # a separate stream of leads for the database parts, one per customer
            leads = make_leads(CUSTOMERS, random.Random(SEED + 2))
            say(f"{backend}: service.submit() x {SERVICE_LEADS:,} after {WARMUP} warm-up")
            load = os.getloadavg()[0]
            svc = run_service(url, backend, built, leads)
            svc["loadavg_1m_before"] = round(load, 2)
            with server(url, tmp / "var") as (base, pid):
                say(f"{backend}: POST /api/v1/leads x {HTTP_LEADS:,} after {WARMUP} warm-up")
                load = os.getloadavg()[0]
                http = run_http(base, pid, backend, built, leads)
                http["loadavg_1m_before"] = round(load, 2)
            counts = lead_counts(url)
            expected = SERVICE_LEADS + HTTP_LEADS + 2 * WARMUP
            if counts["leads"] != expected or counts["lead_assignments"] != expected:
                raise AssertionError(f"expected {expected} leads and assignments, got {counts}")
            return {
                "backend": backend,
                "timings": {k: round(v, 2) for k, v in built.timings.items()},
                "context": built.context,
                "service": svc,
                "http": http,
                "after": counts,
            }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Driver and report
# ---------------------------------------------------------------------------------------


def _flags_text(flags: dict) -> str:
    return ", ".join(f"{k} {v:.2%}" for k, v in flags.items())


def _verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def report(result: dict) -> str:
    p, e = result["params"], result["engine"]
    lines = [
        f"motormall lead routing benchmark: {p['dealers']} dealers, seed {SEED}",
        f"machine: {result['machine']}",
        "",
        "== engine: routing.route() in-process, candidates from an in-memory state",
        f"{e['leads']:,} leads over {e['days']} simulated days of {e['leads_per_day']:,} leads "
        f"({DAY_LOAD:.0%} of {e['total_capacity_per_day']:,} capacity/day); "
        f"{e['avg_candidates']} candidates per lead (dealers selling the brand)",
        f"throughput: {e['leads_per_s']:,.0f} leads/s ({e['elapsed_s']} s wall, load avg "
        f"{e['loadavg_1m_before']}) -> target {TARGET_LEADS_PER_S:,} leads/s "
        f"{_verdict(e['leads_per_s'] >= TARGET_LEADS_PER_S)}; per CPU second "
        f"{e['leads_per_cpu_s']:,.0f} leads ({e['cpu_s']} s CPU)",
        "per lead (candidates + route + update), us: "
        + ", ".join(f"{k} {v}" for k, v in e["per_lead_us"].items()),
        "route() alone, us: " + ", ".join(f"{k} {v}" for k, v in e["route_only_us"].items()),
        f"flags: {_flags_text(e['flags'])}; no flag {e['no_flag']:.2%}",
        f"leads per dealer: min {e['leads_per_dealer']['min']}, median "
        f"{e['leads_per_dealer']['median']}, max {e['leads_per_dealer']['max']}; dealers "
        f"without leads {e['dealers_without_leads']}; above capacity x days "
        f"{e['dealers_over_total_capacity']}",
    ]
    for b in result["backends"]:
        s, h, c = b["service"], b["http"], b["context"]
        lines += [
            "",
            f"== {b['backend']} ({c['database']})",
            f"build {b['timings']['total_s']} s (migrations {b['timings']['migrations_s']} s, "
            f"load {b['timings']['load_s']} s, analyze {b['timings']['analyze_s']} s); rows: "
            + ", ".join(f"{k} {v:,}" for k, v in c["rows"].items()),
            f"service.submit(), one transaction per lead, {s['leads']:,} leads after "
            f"{s['warmup']} warm-up (load avg {s['loadavg_1m_before']}):",
            f"  {s['leads_per_s']:,.0f} leads/s -> target {TARGET_LEADS_PER_S:,} "
            f"{_verdict(s['leads_per_s'] >= TARGET_LEADS_PER_S)}; ms: "
            + ", ".join(f"{k} {v}" for k, v in s["ms"].items() if k != "n")
            + f"; this process's CPU {s['cpu_ms_per_lead']} ms/lead",
            f"  flags: {_flags_text(s['flags'])}",
            f"POST /api/v1/leads, 1 worker, {h['requests']:,} sequential after {h['warmup']} "
            f"warm-up (load avg {h['loadavg_1m_before']}):",
            "  ms: "
            + ", ".join(f"{k} {v}" for k, v in h["ms"].items() if k != "n")
            + f" -> p99 target < {TARGET_HTTP_P99_MS:g} ms "
            + _verdict(h["ms"]["p99"] < TARGET_HTTP_P99_MS),
            f"  CPU per request: server process {h['server_cpu_ms_per_request']} ms, "
            f"client {h['client_cpu_ms_per_request']} ms",
            "  statuses: "
            + ", ".join(f"{k} x {v:,}" for k, v in h["statuses"].items())
            + (" (all 201)" if h["all_201"] else " (NOT all 201)"),
            f"  flags: {_flags_text(h['flags'])}",
            f"afterwards: {b['after']['leads']:,} leads, "
            f"{b['after']['lead_assignments']:,} assignments",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--leads", type=int, default=100_000, help="leads for the engine run")
    parser.add_argument("--dealers", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)
    if args.dealers < 1 or args.leads < 1:
        parser.error("need dealers >= 1 and leads >= 1")
    if args.dealers > 9_999:
        parser.error("dealer codes carry a 4-digit serial: at most 9,999 dealers")
    backends = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    dealers = make_dealers(args.dealers, random.Random(SEED))
    policy = routing.Policy()
    engine = run_engine(dealers, make_leads(args.leads, random.Random(SEED + 1)), policy)
    say(f"engine: {engine['leads_per_s']:,.0f} leads/s")
    result = {
        "params": {
            "dealers": args.dealers,
            "leads": args.leads,
            "service_leads": SERVICE_LEADS,
            "http_requests": HTTP_LEADS,
            "warmup": WARMUP,
            "policy": policy.to_dict(),
            "targets": {"leads_per_s": TARGET_LEADS_PER_S, "http_p99_ms": TARGET_HTTP_P99_MS},
        },
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}",
        "engine": engine,
        "backends": [run_backend(b, dealers) for b in backends],
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
