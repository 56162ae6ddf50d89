"""Server memory under abuse without a login: parallel photo uploads of the largest kind the
server accepts, and a huge body sent without Content-Length (chunked).

* A fresh SQLite database; `motormall serve --workers 1` (rate limits off, or the photo burst
  would be refused before it costs anything); one ordinary photo search, then 8 in parallel,
  so that the backbones and their working memory for concurrent searches are in the
  baseline (that first burst is reported on its own).
* Then, each on its own: 8 parallel POST /api/v1/search/photo of (a) the largest PNG that is
  decoded (all-black, at the decoded-pixel budget: the most memory per byte sent), (b) a
  noisy JPEG just under the 10 MB upload cap (the most bytes), (c) the 6300 × 6300 all-black
  PNG of the abuse report (refused from its header now); and one 200 MB chunked body to
  POST /api/v1/payments/notify/sandbox.
* The server's resident memory (all processes of its group) is sampled every 10 ms; a figure
  is the peak during the burst minus the resident memory just before it.

    .venv/bin/python bench/abuse_memory.py [--json]

Targets (issue 11): under 100 MB for the photo burst, under 16 MB for the chunked body.
Progress to stderr, figures to stdout.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from PIL import Image
from support import group_pids, motormall_command, running_server, say

from motormall.vision import intake


def rss_mb(pgid: int) -> float:
    total = 0
    for pid in group_pids(pgid):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        line = next((ln for ln in status.splitlines() if ln.startswith("VmRSS")), None)
        total += int(line.split()[1]) if line else 0
    return total / 1024


class Peak:
    """Samples the server's memory every 10 ms while the block runs."""

    def __init__(self, pgid: int):
        self.pgid, self.peak, self._stop = pgid, 0.0, threading.Event()

    def __enter__(self):
        time.sleep(0.5)  # let the previous burst's memory settle
        self.before = rss_mb(self.pgid)
        self.peak = self.before
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pgid))
            time.sleep(0.01)

    def __exit__(self, *exc):
        time.sleep(0.2)
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> float:
        return round(self.peak - self.before, 1)


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height)).save(buf, "PNG")
    return buf.getvalue()


def noisy_jpeg_under(limit: int) -> bytes:
    rng = np.random.default_rng(0)
    side = 2600
    while True:
        pixels = rng.integers(0, 256, (side, int(side * 4 / 3), 3), dtype=np.uint8)
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, "JPEG", quality=92)
        if buf.tell() <= limit:
            return buf.getvalue()
        side = int(side * 0.9)


def burst(base: str, data: bytes, kind: str, n: int = 8) -> list[int]:
    def one(_):
        with httpx.Client(base_url=base, timeout=300) as c:
            files = {"image": (f"photo.{kind}", data, f"image/{kind}")}
            return c.post("/api/v1/search/photo", files=files).status_code

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def chunked(base: str, total: int, chunk: int = 64 * 1024) -> tuple[int | None, int]:
    sent = 0

    def body():
        nonlocal sent
        while sent < total:
            sent += chunk
            yield b"\0" * chunk

    try:
        with httpx.Client(base_url=base, timeout=300) as c:
            status = c.post("/api/v1/payments/notify/sandbox", content=body()).status_code
    except httpx.HTTPError:
        status = None  # the server answered and closed while we were still sending
    return status, sent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    var = Path(tempfile.mkdtemp(prefix="mm-bench-abuse-"))
    env = {
        "MOTORMALL_VAR_DIR": str(var),
        "MOTORMALL_DATABASE_URL": f"sqlite:///{var / 'motormall.db'}",
        "MOTORMALL_RATE_LIMITS": "off",
        "MOTORMALL_EMBEDDED_WORKER": "false",
    }
    subprocess.run(
        [*motormall_command(), "db", "upgrade"],
        env=dict(os.environ, **env),
        check=True,
        capture_output=True,
    )
    side = math.isqrt(intake.MAX_DECODED_PIXELS)
    budget_png = png(side, side)
    big_jpeg = noisy_jpeg_under(intake.MAX_BYTES - 70_000)
    bomb = png(6300, 6300)
    ordinary = io.BytesIO()
    Image.new("RGB", (1200, 800), (150, 30, 30)).save(ordinary, "JPEG")
    result = {}
    with running_server(env, workers=1, log_path=var / "serve.log") as (base, pgid):
        say("warm-up: one ordinary photo search loads the models")
        burst(base, ordinary.getvalue(), "jpeg", n=1)
        result["rss_with_models_mb"] = round(rss_mb(pgid), 1)
        # the first parallel burst also grows the model's working memory (two inferences at
        # once); measured apart so that the figures below are what abuse adds
        with Peak(pgid) as peak:
            burst(base, ordinary.getvalue(), "jpeg")
        result["8_parallel_ordinary_first_burst_rss_growth_mb"] = peak.growth
        result["baseline_rss_mb"] = round(rss_mb(pgid), 1)
        for name, data, kind in (
            (f"png_{side}x{side}_decoded_budget", budget_png, "png"),
            (f"jpeg_{len(big_jpeg) // 1000}KB", big_jpeg, "jpeg"),
            ("png_6300x6300_bomb", bomb, "png"),
        ):
            with Peak(pgid) as peak:
                statuses = burst(base, data, kind)
            result[f"8_parallel_{name}"] = {
                "upload_kb": len(data) // 1000,
                "statuses": sorted(set(statuses)),
                "rss_growth_mb": peak.growth,
            }
            say(f"8 × {name}: {statuses[0]} …, +{peak.growth} MB")
        with Peak(pgid) as peak:
            status, sent = chunked(base, 200 * 1024 * 1024)
        result["chunked_200MB_notify"] = {
            "status": status,
            "sent_mb": round(sent / 2**20, 1),
            "rss_growth_mb": peak.growth,
        }
        say(f"200 MB chunked: {status}, +{peak.growth} MB")
        result["rss_after_mb"] = round(rss_mb(pgid), 1)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
