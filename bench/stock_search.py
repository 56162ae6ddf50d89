"""Stock search latency: GET /api/v1/vehicles over HTTP on a large network.

Builds a database with the real migrations (100,000 vehicles across 500 dealers and the two
demo towers by default), starts the real server (`motormall serve`) as a subprocess and times
sequential requests with one persistent httpx client:

* `near`: brand + price band + near a point close to a city centre, radius 50 km,
  sort=distance, limit 20 (the storefront's main query);
* `near, page 2`: the same query following `next_cursor` once;
* `no near`: brand + price band, sorted by price (no distance work at all).

    .venv/bin/python bench/stock_search.py                  # SQLite, then PostgreSQL
    .venv/bin/python bench/stock_search.py --db sqlite --json

PostgreSQL: a throwaway server is started from Debian's binaries (as tests/conftest.py does:
initdb as the postgres user in a temp dir, loopback port, fsync off) unless
MOTORMALL_BENCH_PG_URL names a server (`postgresql+psycopg://user@host:port`); there a fresh
database is created and dropped at the end. Progress goes to stderr, figures to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select, text
from support import analyze as analyze_db
from support import pg_database, pg_server, running_server, say, server_version

from motormall.catalog.models import (
    Brand,
    CarModel,
    Dealer,
    Tower,
    Trim,
    Vehicle,
    VehicleStatus,
    dealer_brands,
)
from motormall.catalog.vin import normalise_vin
from motormall.demo import network, seed
from motormall.platform.db import Database
from motormall.platform.migrate import upgrade

SEED = 20260501
CHUNK = 5_000
WARMUP = 50
RADIUS_KM = 50
NEAR_SPREAD_KM = 20
BRANDS = ("BMW", "FORD", "MINI")
PRICE_BANDS = (("200000", "500000"), ("150000", "300000"), ("300000", "800000"))
# What a dealer sells: mostly one brand, BMW sites often with MINI beside them.
DEALER_MIXES = [("BMW",), ("BMW", "MINI"), ("FORD",), ("FORD",), ("MINI",), ("BMW", "FORD")]
# A lived-in stock: most cars on sale, some held, sold or withdrawn.
STATUS_WEIGHTS = {
    VehicleStatus.available.value: 85,
    VehicleStatus.reserved.value: 4,
    VehicleStatus.test_drive.value: 2,
    VehicleStatus.sold.value: 7,
    VehicleStatus.withdrawn.value: 2,
}
SCENARIOS = ("near", "near, page 2", "no near")
SCENARIO_TEXT = {
    "near": "brand+price, near, radius 50 km, sort=distance",
    "near, page 2": "the same, following next_cursor once",
    "no near": "brand+price, sort=price",
}


# ---------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------


def _dealers(session, brands: dict[str, Brand], count: int, rng: random.Random) -> list[Dealer]:
    """`count` dealers round-robin over every district in network.CITIES (one city after
    another, so even a small network covers every city), a few km of jitter."""
    places = []
    for k in range(max(len(c["districts"]) for c in network.CITIES)):
        for city in network.CITIES:
            if k < len(city["districts"]):
                district, _zh, lat, lon = city["districts"][k]
                places.append((city["name"], district, lat, lon))
    dealers = []
    for i in range(count):
        city, district, lat, lon = places[i % len(places)]
        sold = rng.choice(DEALER_MIXES)
        group = network.DEALER_GROUPS[i % len(network.DEALER_GROUPS)]
        dealers.append(
            Dealer(
                code=f"B-{seed._city_code(city)}-{i + 1:04d}",
                name=f"{group} {brands[sold[0]].name} {district} {i // len(places) + 1}",
                city=city,
                lat=round(lat + rng.uniform(-0.03, 0.03), 5),
                lon=round(lon + rng.uniform(-0.03, 0.03), 5),
                lead_capacity_per_day=rng.choice([20, 30, 40, 60]),
                service_bays=rng.choice([4, 6, 8, 12, 16]),
                brands=[brands[b] for b in sold],
            )
        )
    session.add_all(dealers)
    session.flush()
    return dealers


def _vehicle_rows(dealers, towers, trims, count: int, rng: random.Random) -> list[dict]:
    by_brand: dict[str, list[Trim]] = {}
    for trim in trims:
        by_brand.setdefault(trim.model.brand.code, []).append(trim)
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    free_bays = {
        t.city: [(t.id, b) for b in range(1, int(t.bays * seed.TOWER_FILL) + 1)] for t in towers
    }
    base, extra = divmod(count, len(dealers))
    rows, serial = [], 0
    for n, dealer in enumerate(dealers):
        codes = [b.code for b in dealer.brands]
        bays = free_bays.get(dealer.city, [])
        for _ in range(base + (1 if n < extra else 0)):
            serial += 1
            brand = rng.choice(codes)
            trim = rng.choice(by_brand[brand])
            year = rng.choice([2025, 2026, 2026])
            vds = rng.choice(network.VDS_HINTS[brand])
            discount = Decimal(rng.choice([0, 0, 1, 2, 3, 5, 8])) / 100
            price = (trim.msrp * (1 - discount) / 100).quantize(Decimal("1")) * 100
            status = rng.choices(statuses, weights)[0]
            tower_id = bay = None
            if bays and status == VehicleStatus.available.value and rng.random() < 0.05:
                tower_id, bay = bays.pop(0)
            rows.append(
                dict(
                    vin=seed.demo_vin(brand, serial, year, vds),
                    trim_id=trim.id,
                    model_id=trim.model_id,
                    brand_id=trim.model.brand_id,
                    color=rng.choice(network.COLOURS[brand]),
                    year=year,
                    price=price,
                    currency="CNY",
                    status=status,
                    dealer_id=dealer.id,
                    tower_id=tower_id,
                    bay=bay,
                )
            )
    vins = [r["vin"] for r in rows]
    if len(set(vins)) != len(vins):
        raise AssertionError("generated VINs are not unique")
    for vin in rng.sample(vins, min(2_000, len(vins))):
        if normalise_vin(vin) != vin:
            raise AssertionError(f"generated VIN {vin} does not normalise to itself")
    return rows


def build(url: str, backend: str, vehicles: int, dealers: int) -> dict:
    """Migrate, load, ANALYZE; returns timings (seconds) and what was done."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    db = Database(url)
    try:
        t = time.perf_counter()
        upgrade(db)
        timings["migrations_s"] = time.perf_counter() - t
        rng = random.Random(SEED)
        with db.transaction() as session:
            t = time.perf_counter()
            brands = seed._brands(session)
            trims = seed._catalog(session, brands)
            towers = [Tower(**spec) for spec in network.TOWERS]
            session.add_all(towers)
            session.flush()
            dealer_list = _dealers(session, brands, dealers, rng)
            timings["catalog_network_s"] = time.perf_counter() - t
            say(f"{backend}: {len(trims)} trims, {len(dealer_list)} dealers, {len(towers)} towers")
            t = time.perf_counter()
            rows = _vehicle_rows(dealer_list, towers, trims, vehicles, rng)
            timings["generate_rows_s"] = time.perf_counter() - t
            say(f"{backend}: {len(rows):,} vehicle rows generated, inserting")
            t = time.perf_counter()
            for start in range(0, len(rows), CHUNK):
                session.execute(insert(Vehicle), rows[start : start + CHUNK])
                done = min(start + CHUNK, len(rows))
                if done % 25_000 == 0 or done == len(rows):
                    say(f"{backend}: inserted {done:,}/{len(rows):,}")
        timings["insert_s"] = time.perf_counter() - t
        t = time.perf_counter()
        analyze = analyze_db(db, backend)
        timings["analyze_s"] = time.perf_counter() - t
        say(f"{backend}: {analyze} done in {timings['analyze_s']:.1f} s")
        timings["total_s"] = time.perf_counter() - started
        return {"timings": timings, "analyze": analyze, "context": context(db, backend)}
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
                Tower.__table__,
                Vehicle.__table__,
            )
        }
        by_status = dict(
            session.execute(
                select(Vehicle.status, func.count())
                .group_by(Vehicle.status)
                .order_by(Vehicle.status)
            ).all()
        )
        in_towers = session.scalar(
            select(func.count()).select_from(Vehicle).where(Vehicle.tower_id.is_not(None))
        )
        by_brand = dict(
            session.execute(
                select(Brand.code, func.count())
                .join(Vehicle, Vehicle.brand_id == Brand.id)
                .where(Vehicle.status == VehicleStatus.available.value)
                .group_by(Brand.code)
                .order_by(Brand.code)
            ).all()
        )
        version = server_version(session, backend)
        if backend == "sqlite":
            path = Path(db.engine.url.database)
            size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        else:
            size = session.execute(text("select pg_database_size(current_database())")).scalar()
    return {
        "database": version,
        "size_mb": round(size / 1e6, 1),
        "rows": counts,
        "vehicles_by_status": by_status,
        "vehicles_in_towers": in_towers,
        "available_by_brand": by_brand,
    }


# ---------------------------------------------------------------------------------------
# The server and the measurements
# ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def server(url: str, var_dir: Path, workers: int):
    env = {
        "MOTORMALL_DATABASE_URL": url,
        "MOTORMALL_VAR_DIR": str(var_dir),
        "MOTORMALL_RATE_LIMITS": "off",
        "MOTORMALL_EMBEDDED_WORKER": "false",
    }
    log_path = var_dir / f"serve-{workers}.log"
    with running_server(env, workers=workers, log_path=log_path) as (base, _pid):
        yield base


def _near_point(rng: random.Random) -> str:
    city = rng.choice(network.CITIES)
    km = NEAR_SPREAD_KM * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    lat = city["lat"] + (km * math.cos(bearing)) / 111.32
    lon = city["lon"] + (km * math.sin(bearing)) / (111.32 * math.cos(math.radians(city["lat"])))
    return f"{lat:.5f},{lon:.5f}"


def _queries(count: int, rng: random.Random) -> list[tuple[dict, dict]]:
    """(near query, no-near query) pairs, brand and price band rotating."""
    out = []
    for i in range(count):
        brand = BRANDS[i % len(BRANDS)]
        low, high = PRICE_BANDS[(i // len(BRANDS)) % len(PRICE_BANDS)]
        common = {"brand": brand, "price_min": low, "price_max": high, "limit": 20}
        near = {**common, "near": _near_point(rng), "radius_km": RADIUS_KM, "sort": "distance"}
        out.append((near, {**common, "sort": "price"}))
    return out


def _get(client: httpx.Client, params: dict) -> tuple[float, dict]:
    t = time.perf_counter()
    resp = client.get("/api/v1/vehicles", params=params)
    elapsed = (time.perf_counter() - t) * 1000
    if resp.status_code != 200:
        raise RuntimeError(f"GET /api/v1/vehicles {params} -> {resp.status_code}: {resp.text}")
    return elapsed, resp.json()


def measure(base: str, requests: int) -> dict:
    rng = random.Random(SEED + 1)
    samples: dict[str, list[float]] = {s: [] for s in SCENARIOS}
    items: dict[str, list[int]] = {s: [] for s in SCENARIOS}
    with httpx.Client(base_url=base, timeout=60) as client:
        for near, plain in _queries(WARMUP, random.Random(SEED - 1)):
            _, page = _get(client, near)
            if page["next_cursor"]:
                _get(client, {**near, "cursor": page["next_cursor"]})
            _get(client, plain)
        for i, (near, plain) in enumerate(_queries(requests, rng), start=1):
            ms, page = _get(client, near)
            samples["near"].append(ms)
            items["near"].append(len(page["items"]))
            if page["next_cursor"]:
                ms, page2 = _get(client, {**near, "cursor": page["next_cursor"]})
                samples["near, page 2"].append(ms)
                items["near, page 2"].append(len(page2["items"]))
            ms, page = _get(client, plain)
            samples["no near"].append(ms)
            items["no near"].append(len(page["items"]))
            if i % 100 == 0:
                say(f"  {i}/{requests} rounds")
    out = {}
    for name in SCENARIOS:
        out[name] = summarise(samples[name], items[name])
        if out[name]["n"] == 0 or out[name]["avg_items"] <= 0:
            raise AssertionError(f"scenario {name!r} found nothing: the benchmark is hollow")
    return out


def summarise(ms: list[float], items: list[int]) -> dict:
    if not ms:
        return {"n": 0, "avg_items": 0.0}
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(ms), 2),
        "avg_items": round(sum(items) / len(items), 1),
    }


# ---------------------------------------------------------------------------------------
# Driver and report
# ---------------------------------------------------------------------------------------


def run_backend(backend: str, args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"mm-bench-{backend}-"))
    try:
        with contextlib.ExitStack() as stack:
            if backend == "sqlite":
                url = f"sqlite:///{tmp / 'motormall.db'}"
                worker_counts = (1,)
            else:
                url = stack.enter_context(pg_database(stack.enter_context(pg_server())[0]))
                worker_counts = (1, 2)
            say(f"{backend}: building {args.vehicles:,} vehicles across {args.dealers} dealers")
            built = build(url, backend, args.vehicles, args.dealers)
            say(f"{backend}: built in {built['timings']['total_s']:.1f} s")
            runs = []
            for workers in worker_counts:
                with server(url, tmp, workers) as base:
                    say(f"{backend}, {workers} worker(s): {args.requests} rounds")
                    runs.append({"workers": workers, "scenarios": measure(base, args.requests)})
            return {"backend": backend, **built, "runs": runs}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(result: dict) -> str:
    p = result["params"]
    lines = [
        f"motormall stock search benchmark: {p['vehicles']:,} vehicles, {p['dealers']} dealers "
        f"(+{len(network.TOWERS)} towers), {p['requests']} sequential requests per scenario "
        f"after {WARMUP} warm-up rounds, one persistent httpx client",
        f"machine: {result['machine']}",
        "",
    ]
    for name in SCENARIOS:
        lines.append(f"  {name:<13} {SCENARIO_TEXT[name]}")
    lines.append(
        "  brands rotate BMW/FORD/MINI; price bands "
        + ", ".join(f"{int(lo) // 1000}k-{int(hi) // 1000}k" for lo, hi in PRICE_BANDS)
        + f"; near = random point within {NEAR_SPREAD_KM} km of a city centre"
    )
    for b in result["backends"]:
        c, t = b["context"], b["timings"]
        lines += [
            "",
            f"== {b['backend']} ({c['database']}, {c['size_mb']} MB on disk)",
            f"build {t['total_s']:.1f} s: migrations {t['migrations_s']:.1f} s, catalog+network "
            f"{t['catalog_network_s']:.1f} s, generate rows (VINs) {t['generate_rows_s']:.1f} s, "
            f"insert {t['insert_s']:.1f} s, {b['analyze']} {t['analyze_s']:.1f} s",
            "rows: " + ", ".join(f"{k} {v:,}" for k, v in c["rows"].items()),
            "vehicles by status: "
            + ", ".join(f"{k} {v:,}" for k, v in c["vehicles_by_status"].items())
            + f"; in tower bays {c['vehicles_in_towers']}",
            "available by brand: "
            + ", ".join(f"{k} {v:,}" for k, v in c["available_by_brand"].items()),
            "",
            f"{'workers':>7}  {'scenario':<13} {'n':>4} {'median':>8} {'p95':>8} {'p99':>8} "
            f"{'max':>8} {'items':>6}",
        ]
        for run in b["runs"]:
            for name, s in run["scenarios"].items():
                lines.append(
                    f"{run['workers']:>7}  {name:<13} {s['n']:>4} {s['median_ms']:>8.2f} "
                    f"{s['p95_ms']:>8.2f} {s['p99_ms']:>8.2f} {s['max_ms']:>8.2f} "
                    f"{s['avg_items']:>6.1f}"
                )
        lines.append("(latencies in ms; items = average items per response)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--vehicles", type=int, default=100_000)
    parser.add_argument("--dealers", type=int, default=500)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)
    if args.dealers < 1 or args.vehicles < args.dealers or args.requests < 1:
        parser.error("need dealers >= 1, vehicles >= dealers, requests >= 1")
    if args.vehicles > 999_999:
        parser.error("demo VINs carry a 6-digit serial: at most 999,999 vehicles")
    backends = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    result = {
        "params": {
            "vehicles": args.vehicles,
            "dealers": args.dealers,
            "requests": args.requests,
            "warmup": WARMUP,
            "radius_km": RADIUS_KM,
        },
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}",
        "backends": [run_backend(b, args) for b in backends],
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
