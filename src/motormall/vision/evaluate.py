"""`motormall vision eval`: accuracy and latency on labelled folders (one sub-folder per car
model or person), by the same few-shot protocol the product lives with: the first K photos
of each car folder are the references, the rest are queries."""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from motormall.vision import cars, faces, intake

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
    return intake.load(path.read_bytes()).image


def summary_ms(samples: list[float]) -> dict:
    if not samples:
        return {"median": math.nan, "p95": math.nan}
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


# ---- faces ----------------------------------------------------------------------------


def _threshold_at_far(impostor: np.ndarray, far: float = 0.001) -> float:
    """The largest observed impostor distance that keeps the false accept rate <= far."""
    d = np.sort(impostor)
    allowed = math.floor(far * len(d))
    if allowed == 0:
        return float(np.nextafter(d[0], -np.inf))
    return float(d[allowed - 1])


def _eer(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """The equal error rate: the cut where false rejects (genuine > cut) and false accepts
    (impostor <= cut) are closest, their mean there."""
    if not len(genuine) or not len(impostor):
        return math.nan
    cuts = np.unique(np.concatenate([genuine, impostor]))
    frr = 1.0 - np.searchsorted(np.sort(genuine), cuts, side="right") / len(genuine)
    far = np.searchsorted(np.sort(impostor), cuts, side="right") / len(impostor)
    best = int(np.argmin(np.abs(frr - far)))
    return round(float((frr[best] + far[best]) / 2), 5)


def _groups(members: list[int], size: int, limit: int, seed: int) -> np.ndarray:
    combos = list(itertools.combinations(members, size))
    if len(combos) > limit:
        rng = np.random.default_rng(seed)
        combos = [combos[i] for i in sorted(rng.choice(len(combos), limit, replace=False))]
    return np.array(combos, dtype=np.int64).reshape(-1, size)


def evaluate_faces(
    folder: Path,
    *,
    threshold: float,
    review_upper: float,
    progress: Callable[[str], None] | None = None,
    frames: int = 3,
    max_groups: int = 200,
) -> dict:
    """Error rates and latencies on a folder with one sub-folder of photos per person.

    Each photo goes through `intake.load` and is described once (an ID photo and a live
    frame are described alike). Where a photo shows several faces the one nearest the
    centre is used (the evaluation photos are centred on their subject); photos with no
    face are skipped. Distances are `faces.distance` (1 - cosine), as `check` computes them.

    Single frame: every unordered pair of photos (a, b), a before b in sorted order; the
    template of a against the descriptor of b. 24 people x 8 photos give 672 same-person
    and 17,664 different-person pairs.

    Multi-frame (`frames` = 3): for every ID photo i of person A and every person B, the
    live frames are each group of 3 of B's photos, i excluded (all groups, or `max_groups`
    drawn at random); fused as in `check` (mean descriptor). 24 x 8 photos give
    192 x 35 = 6,720 same-person and 192 x 23 x 56 = 247,296 different-person trials.
    Real liveness frames come from one session, so they are far more alike than photos
    taken years apart: these false reject figures are pessimistic. The frames are not in
    a head-turn order, so liveness is not judged here.

    FAR and FRR are fractions; FRR counts every same-person trial not matched outright
    (review included); `review_rate` is the share of same-person trials sent to a person.
    `eer`: the equal error rate (where false accepts and false rejects meet).
    Latencies: detect = detection + landmarks, embed = alignment + one descriptor,
    check = a whole `check` of 3 frames.
    """
    say = progress or (lambda _message: None)
    by_folder = photos_by_folder(folder)
    photos = [path for files in by_folder.values() for path in files]
    people = [person for person, files in by_folder.items() for _ in files]

    lives: list[np.ndarray] = []
    labels: list[str] = []
    single_face: list[Path] = []
    skipped: list[str] = []
    detect_s: list[float] = []
    embed_s: list[float] = []
    for n, (path, person) in enumerate(zip(photos, people, strict=True), start=1):
        image = open_photo(path)
        started = time.perf_counter()
        found = faces.find_faces(image)
        detect_s.append(time.perf_counter() - started)
        if not found:
            skipped.append(f"{person}/{path.name}")
            continue
        if len(found) == 1:
            single_face.append(path)
        cx, cy = image.width / 2, image.height / 2
        face = min(found, key=lambda d: math.hypot(d.centre[0] - cx, d.centre[1] - cy))
        started = time.perf_counter()
        lives.append(faces.embed(image, face))
        embed_s.append(time.perf_counter() - started)
        labels.append(person)
        if n % 16 == 0 or n == len(photos):
            say(f"faces: described {n}/{len(photos)} photos")

    L = faces._unit(np.asarray(lives, dtype=np.float64))  # as `fuse` compares them
    T = L
    lab = np.asarray(labels)

    # single frame
    rows, cols = np.triu_indices(len(lab), 1)
    pair_d = faces.distance(T[rows], L[cols])
    pair_same = lab[rows] == lab[cols]
    genuine, impostor = pair_d[pair_same], pair_d[~pair_same]
    single_t = _threshold_at_far(impostor)

    # multi-frame
    names = sorted(set(labels))
    members = {name: [int(i) for i in np.flatnonzero(lab == name)] for name in names}
    same_d: list[np.ndarray] = []
    diff_d: list[np.ndarray] = []
    for k, name in enumerate(names):
        groups = _groups(members[name], frames, max_groups, seed=k)
        if not len(groups):
            continue
        means = faces._unit(L[groups].mean(axis=1))  # (groups, 128)
        to_all = 1.0 - T @ means.T  # (photos, groups): faces.distance, unit vectors
        others = lab != name
        diff_d.append(to_all[others].ravel())
        for i in members[name]:
            keep = ~(groups == i).any(axis=1)
            same_d.append(to_all[i, keep])
    multi_same = np.concatenate(same_d) if same_d else np.zeros(0)
    multi_diff = np.concatenate(diff_d) if diff_d else np.zeros(0)
    multi_t = _threshold_at_far(multi_diff) if len(multi_diff) else math.nan

    def rate(mask: np.ndarray) -> float:
        return round(float(mask.mean()), 5) if len(mask) else math.nan

    # latency of whole checks on photos with one face
    say("faces: timing checks")
    check_s: list[float] = []
    pooled_s: list[float] = []
    pooled = min(frames, os.cpu_count() or 1)
    if pooled > 1:
        started = time.perf_counter()
        faces.start_workers(pooled)  # the first check's extra cost, reported apart
        pool_start_s = time.perf_counter() - started
    by_person: dict[str, list[Path]] = {}
    for path in single_face:
        by_person.setdefault(path.parent.name, []).append(path)
    for name, paths in sorted(by_person.items()):
        if len(paths) < frames + 1:
            continue
        template = T[labels.index(name)]
        images = [open_photo(p) for p in paths[1 : frames + 1]]
        for processes, samples in ((1, check_s), (pooled, pooled_s)):
            if processes == 1 and samples is pooled_s:
                continue
            started = time.perf_counter()
            faces.check(
                template,
                images,
                "turn_left",
                threshold=threshold,
                review_upper=review_upper,
                processes=processes,
            )
            samples.append(time.perf_counter() - started)

    return {
        "photos": len(photos),
        "skipped_no_face": skipped,
        "pairs": int(len(pair_d)),
        "pairs_same": int(len(genuine)),
        "pairs_different": int(len(impostor)),
        "threshold": threshold,
        "far": rate(impostor <= threshold),
        "frr": rate(genuine > threshold),
        "threshold_far_0_1pct": round(single_t, 4),
        "frr_at_far_0_1pct": rate(genuine > single_t),
        "eer": _eer(genuine, impostor),
        "multi_frame": {
            "frames": frames,
            "fusion": "mean of unit-length descriptors",
            "trials_same": int(len(multi_same)),
            "trials_different": int(len(multi_diff)),
            "far": rate(multi_diff <= threshold),
            "frr": rate(multi_same > threshold),
            "review_upper": review_upper,
            "review_rate": rate((multi_same > threshold) & (multi_same <= review_upper)),
            "review_rate_different": rate((multi_diff > threshold) & (multi_diff <= review_upper)),
            "mismatch_rate_same": rate(multi_same > review_upper),
            "threshold_far_0_1pct": round(multi_t, 4),
            "frr_at_far_0_1pct": rate(multi_same > multi_t),
            "eer": _eer(multi_same, multi_diff),
        },
        "latency_ms": {
            "face_detect": summary_ms(detect_s),
            "face_embed": summary_ms(embed_s),
            "face_check": summary_ms(check_s),
            "check_samples": len(check_s),
            **(
                {
                    f"face_check_{pooled}_processes": summary_ms(pooled_s),
                    "face_process_pool_start": round(pool_start_s * 1000, 1),
                }
                if pooled > 1
                else {}
            ),
        },
    }


def _rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run(
    settings,
    *,
    car_folder: Path | None,
    face_folder: Path | None,
    references: int = 8,
    enrol_fraction: float | None = None,
    splits: int = 3,
    progress: Callable[[str], None] = lambda _: None,
) -> dict:
    """Everything `motormall vision eval` prints: {"cars", "faces", "latency_ms", ...}; with
    `enrol_fraction`, only the open-set measurement of the cars: {"open_set"}."""
    result: dict = {"latency_ms": {}, "first_use_ms": {}}
    if car_folder is not None:
        _queries(photos_by_folder(car_folder), references)  # refuse unfit folders before loading
    # refuses a folder without photos before any model loads
    face_photos = photos_by_folder(face_folder) if face_folder is not None else {}
    if car_folder is not None:
        t0 = time.perf_counter()
        embedder = cars.Embedder(settings.models_dir, settings.vision_threads)
        embedder.look(Image.new("RGB", (64, 64)))
        result["first_use_ms"]["car_models"] = round((time.perf_counter() - t0) * 1000, 1)
        if enrol_fraction is not None:
            result["open_set"] = evaluate_open_set(
                car_folder,
                embedder,
                references=references,
                enrol_fraction=enrol_fraction,
                splits=splits,
                progress=progress,
            )
            result["peak_rss_mb"] = _rss_mb()
            return result
        not_cars = [p for files in face_photos.values() for p in files]
        found = evaluate_cars(
            car_folder, embedder, references=references, not_cars=not_cars, progress=progress
        )
        result["latency_ms"].update(found.pop("latency_ms"))
        result["cars"] = found
    if face_folder is not None:
        t0 = time.perf_counter()
        faces.models()
        result["first_use_ms"]["face_models"] = round((time.perf_counter() - t0) * 1000, 1)
        found = evaluate_faces(
            face_folder,
            threshold=settings.face_match_threshold,
            review_upper=settings.face_review_upper,
            progress=progress,
        )
        found["model_version"] = faces.MODEL_VERSION
        result["latency_ms"].update(found.pop("latency_ms"))
        result["faces"] = found
    result["peak_rss_mb"] = _rss_mb()
    return result


# ---- open set ---------------------------------------------------------------------------


def evaluate_open_set(
    folder: Path,
    embedder: cars.Embedder,
    *,
    references: int = 8,
    enrol_fraction: float = 0.5,
    splits: int = 3,
    progress: Callable[[str], None] = lambda _: None,
) -> dict:
    """Only a share of the models is enrolled (drawn at random, `splits` times, seeds 0, 1,
    ...); every query photo of the others is a model photo search does not know. "Named"
    means the answer names a model: always, for the closed-set head ("before"); when the
    open-set probability reaches `cars.OPEN_SET_CUT` ("after")."""
    classes = photos_by_folder(folder)
    names = list(classes)
    enrolled_n = max(1, round(len(names) * enrol_fraction))
    if enrolled_n >= len(names):
        raise ValueError("--enrol-fraction leaves no model un-enrolled")
    refs = {}
    for n, (label, files) in enumerate(classes.items(), 1):
        refs[label] = [embedder.reference_views(open_photo(p)) for p in files[:references]]
        progress(f"open set: references {n}/{len(classes)}")
    queries = _queries(classes, references)
    looks = []
    for i, (label, path) in enumerate(queries, 1):
        look = embedder.look(open_photo(path))
        looks.append((label, look))
        if i % 50 == 0 or i == len(queries):
            progress(f"open set: queries {i}/{len(queries)}")

    keys = ("named_before", "certain_before", "named_after", "known_top1_before")
    totals = dict.fromkeys(keys + ("known_named_after", "known_right_after"), 0)
    unknown_n = known_n = body_imagenet = body_nearest = 0
    conf_before, conf_after, right_flags = [], [], []
    for seed in range(splits):
        rng = np.random.default_rng(seed)
        enrolled = set(rng.choice(names, enrolled_n, replace=False).tolist())
        photos = [v for label in names if label in enrolled for v in refs[label]]
        labels = [label for label in names if label in enrolled for _ in refs[label]]
        head = cars.Head(photos, labels)
        for label, look in looks:
            closed = head.predict(look.vector)
            best, p_best = closed[0]
            scored, right = cars.open_set(closed, head.closeness(look.vector, best))
            named = right >= cars.OPEN_SET_CUT
            is_right = best == label
            conf_before.append(p_best)
            conf_after.append(scored[0][1])
            right_flags.append(is_right)
            if label in enrolled:
                known_n += 1
                totals["known_top1_before"] += is_right
                totals["known_named_after"] += named
                totals["known_right_after"] += named and is_right
            else:
                unknown_n += 1
                totals["named_before"] += 1
                totals["certain_before"] += p_best >= 0.9
                totals["named_after"] += named
                truth = folder_body_type(label)
                body_imagenet += look.body_types()[0][0] == truth
                body_nearest += folder_body_type(best) == truth
        progress(f"open set: split {seed + 1}/{splits}")

    def share(count: int, of: int) -> float:
        return round(count / of, 4) if of else math.nan

    return {
        "models": len(names),
        "enrolled_per_split": enrolled_n,
        "references": references,
        "splits": splits,
        "unknown_queries": unknown_n,
        "known_queries": known_n,
        "cut": cars.OPEN_SET_CUT,
        "unknown_named_before": share(totals["named_before"], unknown_n),
        "unknown_named_90pct_before": share(totals["certain_before"], unknown_n),
        "unknown_named_after": share(totals["named_after"], unknown_n),
        "known_top1_before": share(totals["known_top1_before"], known_n),
        "known_named_after": share(totals["known_named_after"], known_n),
        "known_named_right_after": share(totals["known_right_after"], known_n),
        "calibration_error_before": _ece(conf_before, right_flags),
        "calibration_error_after": _ece(conf_after, right_flags),
        "max_score_after": round(max(conf_after), 4),
        "unknown_body_type_imagenet": share(body_imagenet, unknown_n),
        "unknown_body_type_nearest_model": share(body_nearest, unknown_n),
    }
