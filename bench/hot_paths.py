"""Hot paths under a native load generator: requests/s and server CPU per request.

Builds the flash sale's database (bench/flash_sale.py: 100 cars of one trim, buyers with
bearer tokens), starts the real server (one worker, SQLite unless MOTORMALL_BENCH_URL names
another database that is already empty), reserves one car, then drives each path with `hey`
(Debian package `hey`) for `--seconds` at `--concurrency`, one path after the other:

* GET /healthz (the ceiling: what this server and `hey` manage on a trivial endpoint);
* GET /api/v1/vehicles?brand=FLASH (stock search, anonymous);
* GET /api/v1/orders/{id} (the buyer reading their order);
* POST /api/v1/orders for a car that is already taken (a loser clicking again: 409);
* POST /api/v1/leads (an inquiry about the model; repeats join the open lead: 200).

Each row: requests/s, its ratio to the ceiling measured in the same run, p50/p99 from hey,
and the server's CPU milliseconds per request (from /proc, so it holds even when the
machine is shared and requests/s do not).

    PYTHONPATH=src:bench .venv/bin/python bench/hot_paths.py --seconds 8 --concurrency 32
    ... --profiles bench/profiles --profile-prefix after- --py-spy /path/to/py-spy
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from flash_sale import build, cpu_snapshot, cpu_used, server
from sqlalchemy import select
from support import say

from motormall.catalog.models import CarModel
from motormall.platform.db import Database


def _hey(url: str, seconds: float, concurrency: int, method="GET", headers=(), body=None) -> dict:
    cmd = ["hey", "-z", f"{seconds}s", "-c", str(concurrency), "-m", method]
    for h in headers:
        cmd += ["-H", h]
    if body is not None:
        cmd += ["-T", "application/json", "-d", json.dumps(body)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: int) -> float:
        m = re.search(rf"\s{p}%+ in ([\d.]+) secs", out)
        return round(float(m.group(1)) * 1000, 1) if m else float("nan")

    statuses = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    return {"requests_per_s": rps, "p50_ms": pct(50), "p99_ms": pct(99), "statuses": statuses}


def _py_spy(args, pid: int, name: str) -> subprocess.Popen | None:
    """With --profiles: a flame graph of the server while `name` runs (py-spy from PyPI)."""
    if not args.profiles:
        return None
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    out = Path(args.profiles) / f"{args.profile_prefix}{slug}.svg"
    cmd = [args.py_spy, "record", "-r", "100", "--nonblocking", "--subprocesses"]
    cmd += ["-d", str(int(args.seconds)), "-o", str(out), "--pid", str(pid)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run(args) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix="mm-hot-"))
    try:
        url = f"sqlite:///{tmp / 'motormall.db'}"
        built = build(url, "sqlite", 100, 200)
        db = Database(url)
        with db.reading() as s:
            model_id = s.scalar(select(CarModel.id))
        db.dispose()
        var_dir = tmp / "var"
        var_dir.mkdir()
        with server(url, var_dir, 1) as (base, pgid, _log):
            buyer, other = built["buyers"][0], built["buyers"][1]
            auth = {"Authorization": f"Bearer {buyer.token}"}
            vin = built["vins"][0]
            r = httpx.post(f"{base}/api/v1/orders", json={"vin": vin}, headers=auth)
            assert r.status_code == 201, r.text
            order_id = r.json()["id"]
            paths = [
                ("GET /healthz", "GET", "/healthz", None, ()),
                ("GET /vehicles", "GET", "/api/v1/vehicles?brand=FLASH", None, ()),
                (
                    "GET /orders/{id}",
                    "GET",
                    f"/api/v1/orders/{order_id}",
                    None,
                    (f"Authorization: Bearer {buyer.token}",),
                ),
                (
                    "POST /orders (taken car)",
                    "POST",
                    "/api/v1/orders",
                    {"vin": vin},
                    (f"Authorization: Bearer {other.token}",),
                ),
                (
                    "POST /leads",
                    "POST",
                    "/api/v1/leads",
                    {"channel": "web", "model_id": model_id, "message": "price?"},
                    (f"Authorization: Bearer {other.token}",),
                ),
            ]
            rows = []
            for name, method, path, body, headers in paths:
                say(f"hey: {name} for {args.seconds} s at concurrency {args.concurrency}")
                spy = _py_spy(args, pgid, name)
                before, t = cpu_snapshot(pgid, None), time.perf_counter()
                row = _hey(base + path, args.seconds, args.concurrency, method, headers, body)
                wall = time.perf_counter() - t
                if spy is not None:
                    spy.wait()
                cpu = cpu_used(before, cpu_snapshot(pgid, None), wall)
                served = row["requests_per_s"] * args.seconds
                row["server_cpu_ms_per_request"] = round(
                    1000 * cpu["server_cores"] * wall / max(served, 1), 2
                )
                row["other_cores"] = cpu["other_cores"]
                rows.append({"path": name, **row})
            ceiling = rows[0]["requests_per_s"]
            for row in rows:
                row["ratio_to_healthz"] = round(row["requests_per_s"] / ceiling, 3)
            return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profiles", help="folder for a py-spy flame graph of each path")
    parser.add_argument("--profile-prefix", default="", help="prefix of the SVG file names")
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy executable")
    args = parser.parse_args(argv)
    if not shutil.which("hey"):
        parser.error("needs `hey` (apt-get install -y hey)")
    rows = run(args)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(
        f"{'path':<26} {'req/s':>8} {'÷healthz':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU ms/req':>10} {'other cores':>11}  statuses"
    )
    for r in rows:
        print(
            f"{r['path']:<26} {r['requests_per_s']:>8.0f} {r['ratio_to_healthz']:>9.3f} "
            f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['server_cpu_ms_per_request']:>10.2f} "
            f"{r['other_cores']:>11.2f}  {r['statuses']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
