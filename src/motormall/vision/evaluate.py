"""`motormall vision eval`: accuracy and latency on labelled folders (one sub-folder per car
model or person), by the same few-shot protocol the product lives with: the first K photos
of each car folder are the references, the rest are queries."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from motormall.vision import cars

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
# words of a folder name (Make_Model_Body_Year) that give the body type
_BODY_WORDS = [
    ("Minivan", "mpv"),
    ("Van", "van"),
    ("Wagon", "wagon"),
    ("Convertible", "convertible"),
    ("Coupe", "coupe"),
    ("Sedan", "sedan"),
    ("SUV", "suv"),
    ("Cab", "pickup"),
    ("SuperCab", "pickup"),
    ("Hatchback", "hatchback"),
]


def folder_body_type(name: str) -> str | None:
    words = set(name.split("_"))
    for word, body in _BODY_WORDS:
        if word in words:
            return body
    return None


def photos_by_folder(root: Path) -> dict[str, list[Path]]:
    out = {}
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(f for f in sub.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        if files:
            out[sub.name] = files
    if not out:
        raise ValueError(f"{root} has no sub-folders with photos")
    return out


def open_photo(path: Path) -> Image.Image:
    from motormall.vision.intake import load

    return load(path.read_bytes()).image


def summary_ms(samples: list[float]) -> dict:
    a = np.array(samples) * 1000
    return {"median": round(float(np.median(a)), 1), "p95": round(float(np.percentile(a, 95)), 1)}


def _queries(classes: dict[str, list[Path]], references: int) -> list[tuple[str, Path]]:
    queries = [(label, p) for label, files in classes.items() for p in files[references:]]
    if not queries:
        raise ValueError(f"no photos left to query: every folder has at most {references}")
    return queries


def _ece(confidences: list[float], correct: list[bool], bins: int = 10) -> float:
    """Expected calibration error of the top score (0 = a score of 0.7 is right 70 % of the
    time)."""
    c, ok = np.array(confidences), np.array(correct, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        mask = (c > lo) & (c <= hi)
        if mask.any():
            total += mask.mean() * abs(c[mask].mean() - ok[mask].mean())
    return round(float(total), 4)


def evaluate_cars(
    folder: Path,
    embedder: cars.Embedder,
    *,
    references: int = 8,
    not_cars: list[Path] = (),
    progress: Callable[[str], None] = lambda _: None,
) -> dict:
    classes = photos_by_folder(folder)
    vectors, labels = [], []
    t_ref = time.perf_counter()
    for n, (label, files) in enumerate(classes.items(), 1):
        for path in files[:references]:
            vectors.append(embedder.reference_views(open_photo(path)))
            labels.append(label)
        progress(f"cars: references {n}/{len(classes)} ({label})")
    t0 = time.perf_counter()
    head = cars.Head(vectors, labels)
    train_s = time.perf_counter() - t0
    embed_s = t0 - t_ref

    top1 = top5 = body_ok = body_via_model = gate_misses = 0
    n = 0
    confidences, correct, t_embed, t_head, t_search = [], [], [], [], []
    queries = _queries(classes, references)
    for i, (label, path) in enumerate(queries, 1):
        image = open_photo(path)
        t0 = time.perf_counter()
        look = embedder.look(image)
        t1 = time.perf_counter()
        ranked = head.predict(look.vector)
        t2 = time.perf_counter()
        t_embed.append(t1 - t0)
        t_head.append(t2 - t1)
        t_search.append(t2 - t0)
        names = [name for name, _ in ranked[:5]]
        n += 1
        top1 += names[0] == label
        top5 += label in names
        confidences.append(ranked[0][1])
        correct.append(names[0] == label)
        truth = folder_body_type(label)
        body_ok += look.body_types()[0][0] == truth
        body_via_model += folder_body_type(names[0]) == truth
        gate_misses += look.car_score < cars.CAR_GATE
        if i % 25 == 0 or i == len(queries):
            progress(f"cars: queries {i}/{len(queries)}, top-1 so far {top1 / n:.1%}")

    false_cars = 0
    for path in not_cars:
        false_cars += embedder.look(open_photo(path)).car_score >= cars.CAR_GATE
    if not_cars:
        progress(f"cars: gate on {len(not_cars)} photos without a car")
    return {
        "n": n,
        "classes": len(classes),
        "references": references,
        "top1": round(top1 / n, 4),
        "top5": round(top5 / n, 4),
        "body_type": round(body_ok / n, 4),
        "body_type_via_model": round(body_via_model / n, 4),
        "calibration_error": _ece(confidences, correct),
        "gate": {
            "cut": cars.CAR_GATE,
            "cars_refused": gate_misses,
            "cars_checked": n,
            "non_cars_accepted": false_cars,
            "non_cars_checked": len(not_cars),
        },
        "training_s": round(train_s, 2),
        "reference_embedding_s": round(embed_s, 1),
        "latency_ms": {
            "car_embed": summary_ms(t_embed),
            "car_head": summary_ms(t_head),
            "photo_search_models": summary_ms(t_search),
        },
    }


def _rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run(
    settings,
    *,
    cars: Path | None,
    faces: Path | None,
    references: int = 8,
    progress: Callable[[str], None] = lambda _: None,
) -> dict:
    """Everything `motormall vision eval` prints: {"cars", "faces", "latency_ms", ...}."""
    from motormall.vision import cars as car_models

    result: dict = {"latency_ms": {}, "first_use_ms": {}}
    if cars is not None:
        _queries(photos_by_folder(cars), references)  # refuse unfit folders before loading
    if faces is not None:
        photos_by_folder(faces)
    if cars is not None:
        t0 = time.perf_counter()
        embedder = car_models.Embedder(settings.models_dir, settings.vision_threads)
        embedder.look(Image.new("RGB", (64, 64)))
        result["first_use_ms"]["car_models"] = round((time.perf_counter() - t0) * 1000, 1)
        not_cars = [p for files in photos_by_folder(faces).values() for p in files] if faces else []
        found = evaluate_cars(
            cars, embedder, references=references, not_cars=not_cars, progress=progress
        )
        result["latency_ms"].update(found.pop("latency_ms"))
        result["cars"] = found
    if faces is not None:
        from motormall.vision import faces as face_models

        t0 = time.perf_counter()
        face_models.models()
        result["first_use_ms"]["face_models"] = round((time.perf_counter() - t0) * 1000, 1)
        found = face_models.evaluate(
            faces, threshold=settings.face_match_threshold, progress=progress
        )
        result["latency_ms"].update(found.pop("latency_ms"))
        result["faces"] = found
    result["peak_rss_mb"] = _rss_mb()
    return result
