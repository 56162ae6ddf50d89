"""Lead fairness: does the fairness term keep every eligible dealer receiving leads?

The routing rule alone (`routing.route()`), no database. 60 dealers in 3 cities (Shanghai,
Beijing, Chengdu: over 1,000 km apart, so each is its own market), 20 per city spread over
its districts, with unequal capacity (10-60 leads a day), unequal stock (from no car of any
model to most models), unequal response rates, each selling 1 or 2 of the 3 brands.

30 simulated days, each of `0.8 x total daily capacity` leads: the city in proportion to its
dealers' capacity, the brand in proportion to the capacity selling it there, a random model
of that brand, the customer anywhere within 25 km of the city centre. `assigned_today` goes
back to 0 at each day's start and `recent_leads` counts assignments over the policy's rolling
window (`fairness_days`, 7), as `service.candidates()` counts them in the database. The same
leads are routed twice: with the policy's default `w_fairness`, and with `w_fairness=0`.

Per run: dealers that received no lead, min/median/max leads per dealer, the Gini
coefficient of leads per unit of capacity (0 = every dealer got the same share of its
capacity), the share of all leads that the top 10% of dealers took, and a histogram of
utilisation (leads / (capacity x days)). Also what fairness costs: the share of leads sent to
a dealer with the model in stock, and the average distance to the chosen dealer.

    .venv/bin/python bench/lead_fairness.py
    .venv/bin/python bench/lead_fairness.py --days 60 --load 0.6,0.3 --json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import statistics
import sys
from collections import Counter, deque
from dataclasses import dataclass

from motormall.demo import network
from motormall.leads import routing
from motormall.platform.geo import haversine_km

SEED = 20260602
CITIES = ("Shanghai", "Beijing", "Chengdu")
DEALERS_PER_CITY = 20
CAPACITIES = (10, 15, 20, 30, 40, 60)
STOCK_SHARES = (0.0, 0.1, 0.3, 0.6, 0.9)  # share of the dealer's models it has a car of
MIXES = (("BMW",), ("BMW", "MINI"), ("FORD",), ("MINI",), ("BMW", "FORD"), ("FORD",))
SPREAD_KM = 25
BUCKETS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # utilisation bucket edges
FLAGS = ("radius_widened", "over_capacity", "outside_radius")


@dataclass(frozen=True)
class Site:
    code: str
    city: str
    lat: float
    lon: float
    capacity: int
    brands: tuple[str, ...]
    stock: frozenset[int]  # indexes into network.MODELS
    response_rate: float


@dataclass(frozen=True)
class Inquiry:
    city: str
    brand: str
    model: int
    lat: float
    lon: float


def make_sites(rng: random.Random) -> list[Site]:
    models_of: dict[str, list[int]] = {}
    for i, m in enumerate(network.MODELS):
        models_of.setdefault(m["brand"], []).append(i)
    cities = {c["name"]: c for c in network.CITIES}
    sites = []
    for name in CITIES:
        districts = cities[name]["districts"]
        for k in range(DEALERS_PER_CITY):
            _district, _zh, lat, lon = districts[k % len(districts)]
            brands = rng.choice(MIXES)
            share = rng.choice(STOCK_SHARES)
            stock = frozenset(m for b in brands for m in models_of[b] if rng.random() < share)
            sites.append(
                Site(
                    code=f"F-{name[:2].upper()}-{k + 1:02d}",
                    city=name,
                    lat=round(lat + rng.uniform(-0.03, 0.03), 5),
                    lon=round(lon + rng.uniform(-0.03, 0.03), 5),
                    capacity=rng.choice(CAPACITIES),
                    brands=brands,
                    stock=stock,
                    response_rate=round(rng.uniform(0.5, 0.98), 3),
                )
            )
    return sites


def make_inquiries(sites: list[Site], count: int, rng: random.Random) -> list[Inquiry]:
    """City by capacity, brand by the capacity selling it there (a two-brand dealer's
    capacity counts half for each)."""
    cities = {c["name"]: c for c in network.CITIES}
    city_cap = Counter()
    brand_cap: dict[str, Counter] = {name: Counter() for name in CITIES}
    for s in sites:
        city_cap[s.city] += s.capacity
        for b in s.brands:
            brand_cap[s.city][b] += s.capacity / len(s.brands)
    models_of: dict[str, list[int]] = {}
    for i, m in enumerate(network.MODELS):
        models_of.setdefault(m["brand"], []).append(i)
    names = list(city_cap)
    out = []
    for _ in range(count):
        name = rng.choices(names, [city_cap[n] for n in names])[0]
        brands = list(brand_cap[name])
        brand = rng.choices(brands, [brand_cap[name][b] for b in brands])[0]
        city = cities[name]
        km = SPREAD_KM * math.sqrt(rng.random())
        bearing = rng.uniform(0, 2 * math.pi)
        lat = city["lat"] + km * math.cos(bearing) / 111.32
        lon = city["lon"] + km * math.sin(bearing) / (111.32 * math.cos(math.radians(city["lat"])))
        out.append(Inquiry(name, brand, rng.choice(models_of[brand]), lat, lon))
    return out


def simulate(
    sites: list[Site], inquiries: list[Inquiry], per_day: int, policy: routing.Policy
) -> dict:
    n = len(sites)
    by_brand = {
        b: [i for i, s in enumerate(sites) if b in s.brands] for b in ("BMW", "FORD", "MINI")
    }
    today, recent, received = [0] * n, [0] * n, [0] * n
    window: deque[tuple[float, int]] = deque()
    window_s = policy.fairness_days * 86_400
    flags: Counter = Counter()
    with_stock = 0
    distance = 0.0
    for k, q in enumerate(inquiries):
        now_s = k * 86_400 / per_day
        if k % per_day == 0:
            today = [0] * n
        while window and window[0][0] < now_s - window_s:  # `at >= now - days` counts
            recent[window.popleft()[1]] -= 1
        cands = [
            routing.Candidate(
                dealer_id=i,
                code=sites[i].code,
                distance_km=haversine_km(q.lat, q.lon, sites[i].lat, sites[i].lon),
                has_stock=q.model in sites[i].stock,
                capacity=sites[i].capacity,
                assigned_today=today[i],
                response_rate=sites[i].response_rate,
                recent_leads=recent[i],
            )
            for i in by_brand[q.brand]
        ]
        decision = routing.route(cands, policy)
        i = decision.dealer_id
        chosen = next(c for c in cands if c.dealer_id == i)
        today[i] += 1
        recent[i] += 1
        received[i] += 1
        window.append((now_s, i))
        flags.update(decision.flags)
        with_stock += chosen.has_stock
        distance += chosen.distance_km
    return {"received": received, "flags": flags, "with_stock": with_stock, "km": distance}


def gini(values: list[float]) -> float:
    xs = sorted(values)
    total = sum(xs)
    if not xs or total == 0:
        return 0.0
    n = len(xs)
    return sum((2 * (i + 1) - n - 1) * x for i, x in enumerate(xs)) / (n * total)


def summarise(sites: list[Site], run: dict, days: int, eligible: list[int]) -> dict:
    received = run["received"]
    total = sum(received)
    got = [received[i] for i in eligible]
    per_capacity = [received[i] / sites[i].capacity for i in eligible]
    utilisation = [received[i] / (sites[i].capacity * days) for i in eligible]
    top = max(1, round(len(eligible) * 0.1))
    histogram = Counter()
    for u in utilisation:
        if u == 0:
            histogram["0"] += 1
        elif u > BUCKETS[-1]:
            histogram[f">{BUCKETS[-1]:.0%}"] += 1
        else:
            k = next(j for j in range(1, len(BUCKETS)) if u <= BUCKETS[j])
            histogram[f"{BUCKETS[k - 1]:.0%}-{BUCKETS[k]:.0%}"] += 1
    starved = [sites[i] for i in eligible if received[i] == 0]
    return {
        "leads": total,
        "eligible_dealers": len(eligible),
        "dealers_without_leads": len(starved),
        "without_leads": [
            {
                "code": s.code,
                "capacity": s.capacity,
                "models_in_stock": len(s.stock),
                "response_rate": s.response_rate,
            }
            for s in starved
        ],
        "leads_per_dealer": {
            "min": min(got),
            "median": statistics.median(got),
            "max": max(got),
        },
        "utilisation": {
            "min": round(min(utilisation), 3),
            "median": round(statistics.median(utilisation), 3),
            "max": round(max(utilisation), 3),
        },
        "gini_leads_per_capacity": round(gini(per_capacity), 4),
        "top10pct_dealers": top,
        "top10pct_share": round(sum(sorted(got, reverse=True)[:top]) / total, 4),
        "to_dealer_with_stock": round(run["with_stock"] / total, 4),
        "avg_distance_km": round(run["km"] / total, 2),
        "flags": {f: round(run["flags"].get(f, 0) / total, 4) for f in FLAGS},
        "histogram": dict(histogram),
    }


def bucket_labels() -> list[str]:
    labels = ["0"]
    labels += [f"{BUCKETS[k - 1]:.0%}-{BUCKETS[k]:.0%}" for k in range(1, len(BUCKETS))]
    return [*labels, f">{BUCKETS[-1]:.0%}"]


def report(result: dict) -> str:
    p = result["params"]
    lines = [
        f"motormall lead fairness simulation: {p['dealers']} dealers in {', '.join(CITIES)}, "
        f"total capacity {p['total_capacity']:,} leads/day, {p['days']} days, fairness window "
        f"{p['fairness_days']} days, default w_fairness {p['policy']['w_fairness']:g}, "
        f"seed {SEED}",
    ]
    for sc in result["scenarios"]:
        runs = sc["runs"]
        lines += [
            "",
            f"== load {sc['load']:.0%}: {sc['per_day']:,} leads a day x {p['days']} days "
            f"= {sc['leads']:,} leads",
            f"{'':34}" + "".join(f"{r['label']:>22}" for r in runs),
        ]

        def row(name: str, fmt, runs=runs, out=lines) -> None:
            out.append(f"{name:34}" + "".join(f"{fmt(r['summary']):>22}" for r in runs))

        row("eligible dealers", lambda s: f"{s['eligible_dealers']}")
        row("dealers with 0 leads", lambda s: f"{s['dealers_without_leads']}")
        row(
            "leads per dealer min/median/max",
            lambda s: "{min}/{median:g}/{max}".format(**s["leads_per_dealer"]),
        )
        row(
            "utilisation min/median/max",
            lambda s: "{min:.0%}/{median:.0%}/{max:.0%}".format(**s["utilisation"]),
        )
        row("Gini, leads per unit capacity", lambda s: f"{s['gini_leads_per_capacity']:.3f}")
        row(
            "share of top 10% dealers",
            lambda s: f"{s['top10pct_share']:.1%} ({s['top10pct_dealers']})",
        )
        row("leads to a dealer with stock", lambda s: f"{s['to_dealer_with_stock']:.1%}")
        row("average distance to dealer", lambda s: f"{s['avg_distance_km']:.1f} km")
        for f in FLAGS:
            row(f"flag {f}", lambda s, f=f: f"{s['flags'][f]:.2%}")
        width = max(max(r["summary"]["histogram"].values(), default=0) for r in runs)
        lines += [
            "dealers by utilisation (leads / (capacity x days)):",
            (f"  {'':>8}  " + "   ".join(f"{r['label']:<{width + 4}}" for r in runs)).rstrip(),
        ]
        for label in bucket_labels():
            cells = []
            for r in runs:
                k = r["summary"]["histogram"].get(label, 0)
                cells.append(f"{k:>3} {'#' * k:<{width}}")
            lines.append(f"  {label:>8}  " + "   ".join(cells).rstrip())
        for r in runs:
            for st in r["summary"]["without_leads"]:
                lines.append(
                    f"  {r['label']}: no lead for {st['code']} (capacity {st['capacity']}, "
                    f"{st['models_in_stock']} models in stock, response {st['response_rate']:.2f})"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--load",
        default="0.8,0.4",
        help="comma-separated loads, leads a day / total capacity (default 0.8,0.4)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args(argv)
    try:
        loads = [float(x) for x in args.load.split(",")]
    except ValueError:
        parser.error("--load takes numbers, e.g. 0.8,0.4")
    if args.days < 1 or not all(0 < x <= 5 for x in loads):
        parser.error("need days >= 1 and 0 < load <= 5")
    sites = make_sites(random.Random(SEED))
    capacity = sum(s.capacity for s in sites)
    default = routing.Policy()
    scenarios = []
    for load in loads:
        per_day = max(1, round(capacity * load))
        inquiries = make_inquiries(sites, per_day * args.days, random.Random(SEED + 1))
        asked = {(q.brand, q.city) for q in inquiries}  # a dealer is eligible when it sells a
        eligible = [  # brand that customers of its own city ask for
            i for i, s in enumerate(sites) if any((b, s.city) in asked for b in s.brands)
        ]
        runs = []
        for label, policy in (
            (f"w_fairness={default.w_fairness:g}", default),
            ("w_fairness=0", dataclasses.replace(default, w_fairness=0.0)),
        ):
            print(
                f"[bench] load {load:.0%}: routing {len(inquiries):,} leads, {label}",
                file=sys.stderr,
                flush=True,
            )
            run = simulate(sites, inquiries, per_day, policy)
            runs.append({"label": label, "summary": summarise(sites, run, args.days, eligible)})
        scenarios.append({"load": load, "per_day": per_day, "leads": len(inquiries), "runs": runs})
    result = {
        "params": {
            "dealers": len(sites),
            "total_capacity": capacity,
            "days": args.days,
            "fairness_days": default.fairness_days,
            "policy": default.to_dict(),
        },
        "scenarios": scenarios,
    }
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
