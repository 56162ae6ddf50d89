"""Face check latency: one frame (detection + landmarks, then alignment + descriptor), and a
whole 3-frame check (fusion and liveness geometry included) with the frames described one
after the other and side by side in `--processes` threads (`MOTORMALL_FACE_PROCESSES`).

For each person of `--faces` (one folder per person) with 4 photos showing one face: the
first is enrolled as the ID photo, the next 3 are the frames; every check runs `--rounds`
times each way, alternating, after the models have loaded (reported apart).

    .venv/bin/python bench/face_check.py [--faces ../shared/data/faces] [--rounds 3] [--json]

Target: 3-frame check p95 at most 400 ms on this 2-core machine (the release over HTTP).
Progress to stderr, figures to stdout.
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
    result["threads_start_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    times: dict[int, list[float]] = {1: [], args.processes: []}
    detect_s, embed_s = [], []
    for r in range(args.rounds):
        for template, frames in people:
            for frame in frames:
                t0 = time.perf_counter()
                (found,) = faces.find_faces(frame)
                t1 = time.perf_counter()
                faces.embed(frame, found)
                detect_s.append(t1 - t0)
                embed_s.append(time.perf_counter() - t1)
            for n in times:
                t0 = time.perf_counter()
                faces.check(template, frames, "turn_left", processes=n, **limits)
                times[n].append(time.perf_counter() - t0)
        say(f"round {r + 1}/{args.rounds}")
    result["model_version"] = faces.MODEL_VERSION
    result["frame_detect_ms"] = summary_ms(detect_s)
    result["frame_embed_ms"] = summary_ms(embed_s)
    result["frame_ms"] = summary_ms([d + e for d, e in zip(detect_s, embed_s, strict=True)])
    result["checks"] = len(times[1])
    result["check_ms_one_thread"] = summary_ms(times[1])
    result[f"check_ms_{args.processes}_threads"] = summary_ms(times[args.processes])
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
