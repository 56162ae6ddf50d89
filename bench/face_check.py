"""Face check latency: a whole 3-frame check (detection, landmarks, descriptors, fusion,
liveness geometry) in the calling process and with the frames described by worker
processes (`MOTORMALL_FACE_PROCESSES`).

For each person of `--faces` (one folder per person) with 4 photos showing one face: the
first is enrolled as the ID photo, the next 3 are the frames; every check runs `--rounds`
times each way, alternating, after the worker pool has started (its start is reported
apart, like the first use of the models).

    .venv/bin/python bench/face_check.py [--faces ../shared/data/faces] [--rounds 3] [--json]

Target: median at most 300 ms on this CPU. Progress to stderr, figures to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from support import say

from motormall.platform.config import Settings
from motormall.vision import faces, intake
from motormall.vision.evaluate import summary_ms

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=Path, default=ROOT.parent / "shared" / "data" / "faces")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--processes", type=int, default=min(3, os.cpu_count() or 1))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    settings = Settings()
    limits = {
        "threshold": settings.face_match_threshold,
        "review_upper": settings.face_review_upper,
    }
    t0 = time.perf_counter()
    faces.models()
    result = {"models_load_ms": round((time.perf_counter() - t0) * 1000, 1)}
    people = []
    for folder in sorted(p for p in args.faces.iterdir() if p.is_dir()):
        photos = [intake.load(f.read_bytes()).image for f in sorted(folder.glob("*.jpg"))]
        single = [im for im in photos if len(faces.find_faces(im)) == 1]
        if len(single) >= 4:
            people.append((faces.enrol(single[0]), single[1:4]))
    say(f"{len(people)} people enrolled")
    t0 = time.perf_counter()
    faces.start_workers(args.processes)
    result["pool_start_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    times: dict[int, list[float]] = {1: [], args.processes: []}
    for r in range(args.rounds):
        for template, frames in people:
            for n in times:
                t0 = time.perf_counter()
                faces.check(template, frames, "turn_left", processes=n, **limits)
                times[n].append(time.perf_counter() - t0)
        say(f"round {r + 1}/{args.rounds}")
    result["checks"] = len(times[1])
    result["check_ms_one_process"] = summary_ms(times[1])
    result[f"check_ms_{args.processes}_processes"] = summary_ms(times[args.processes])
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
