"""Recognising a car model from a photo, few-shot: the carmaker's own reference photos train
a small head on top of two ImageNet backbones (no HTTP, no database here).

- Embedding: EfficientNet-Lite0 at 300 px and Lite2 at 340 px, each GeM-pooled and
  L2-normalised, joined. Queries are averaged with their mirror image; each reference photo
  gives six views (whole, 90 % and 80 % centre zoom, and their mirrors), so eight photos
  per model are enough for a logistic-regression head.
- "Is there a car at all": the backbones' probability mass on ImageNet's car classes.
- Body type without references: the same classes, grouped (the honest fallback of a
  fresh install that has no reference photos yet).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from motormall.vision.backbone import Backbone

# ImageNet classes that show a car or a car's part. Buses, lorries and railway cars are not
# cars we sell, so they are left out.
BODY_CLASSES: dict[str, tuple[int, ...]] = {
    "sedan": (468, 627, 661),  # cab, limousine, Model T
    "wagon": (436,),  # beach wagon
    "coupe": (751, 817),  # racer, sports car
    "convertible": (511,),
    "suv": (609,),  # jeep
    "mpv": (654, 656),  # minibus, minivan
    "pickup": (717, 864),  # pickup, tow truck
    "van": (407, 675, 734),  # ambulance, moving van, police van
}
PART_CLASSES = (475, 479, 581)  # car mirror, car wheel, grille: a close-up of a car
CAR_CLASSES = tuple(sorted({c for cs in BODY_CLASSES.values() for c in cs} | set(PART_CLASSES)))
CAR_GATE = 0.10  # car probability below this: "no vehicle" (figures in docs/model-card.md)
HEAD_C = 30.0  # inverse regularisation of the head, chosen on the evaluation folder
ZOOMS = (1.0, 0.9, 0.8)

# Open set: a buyer may photograph a model that has no references. Whether the head's best
# model is right at all is a logistic function of how close the photo comes to that model's
# own references (cosine), the head's probability and how many models it knows; weights
# fitted on the evaluation folder with half of the photos from un-enrolled models (figures
# in docs/model-card.md, "Open set").
OPEN_SET_WEIGHTS = (19.97, 2.351, -0.134, -15.44)  # closeness, log probability, log models, bias
OPEN_SET_CUT = 0.5  # below: more likely wrong than right, so the model is not named
MAX_SCORE = 0.99  # no photo is certain: a score never reads 100 %


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _zoom(image: Image.Image, factor: float) -> Image.Image:
    if factor >= 1.0:
        return image
    w, h = image.size
    dw, dh = w * (1 - factor) / 2, h * (1 - factor) / 2
    return image.crop((round(dw), round(dh), round(w - dw), round(h - dh)))


@dataclass(frozen=True)
class Look:
    """What the backbones see in one query photo."""

    vector: np.ndarray  # joined, unit length
    probabilities: np.ndarray  # ImageNet, averaged over backbones and the mirror image

    @property
    def car_score(self) -> float:
        return float(self.probabilities[list(CAR_CLASSES)].sum())

    def body_types(self) -> list[tuple[str, float]]:
        """Body types by probability, renormalised over the body classes, best first."""
        mass = {b: float(self.probabilities[list(cs)].sum()) for b, cs in BODY_CLASSES.items()}
        total = sum(mass.values()) or 1.0
        return sorted(((b, m / total) for b, m in mass.items()), key=lambda t: -t[1])


class Embedder:
    """Both backbones, loaded once. Thread-safe: onnxruntime sessions may run concurrently."""

    def __init__(self, model_dir: Path, threads: int = 0):
        self.backbones = [
            Backbone("lite0", model_dir, threads),
            Backbone("lite2", model_dir, threads),
        ]

    def _joined(self, images: list[Image.Image], *, mirror_average: bool):
        parts, probs = [], []
        for b in self.backbones:
            out = b.run(b.tensor(images))
            emb, logits = out.embedding, out.logits
            if mirror_average:
                mirrored = b.run(b.tensor(images, mirror=True))
                emb = (emb + mirrored.embedding) / 2
                probs.append(_softmax(mirrored.logits))
            parts.append(_unit(emb))
            probs.append(_softmax(logits))
        return _unit(np.concatenate(parts, axis=1)), np.mean(probs, axis=0)

    def look(self, image: Image.Image) -> Look:
        vectors, probs = self._joined([image], mirror_average=True)
        return Look(vector=vectors[0], probabilities=probs[0])

    def reference_views(self, image: Image.Image) -> np.ndarray:
        """Six views of a reference photo: (6, dim)."""
        crops = [_zoom(image, z) for z in ZOOMS]
        crops += [c.transpose(Image.Transpose.FLIP_LEFT_RIGHT) for c in crops]
        vectors, _ = self._joined(crops, mirror_average=False)
        return vectors


class Head:
    """Logistic regression over centred, unit-length embeddings of the reference views.

    Its probabilities are sharpened by a temperature fitted on the references themselves:
    two folds of whole photos held out by turn (a plain head is under-confident here: it
    said 54 % where it was right 73 % of the time). Calibration is measured by
    `motormall vision eval`."""

    def __init__(self, photos: Sequence[np.ndarray], labels: Sequence[Hashable], *, seed: int = 0):
        """`photos`: per reference photo its views (the first is the whole photo);
        `labels`: per photo its model."""
        self.seed = seed
        self.labels = sorted(set(labels), key=str)
        self.temperature = 1.0
        vectors = np.concatenate(photos)
        self.centre = vectors.mean(axis=0)
        self.views = {  # each model's reference views, for `closeness`
            label: np.concatenate([v for v, lb in zip(photos, labels, strict=True) if lb == label])
            for label in self.labels
        }
        self.model = None
        if len(self.labels) > 1:
            self.model = self._fit(photos, labels)
            self.temperature = self._fit_temperature(photos, labels)

    def _fit(self, photos, labels):
        from sklearn.linear_model import LogisticRegression

        index = {label: i for i, label in enumerate(self.labels)}
        x = self._prepare(np.concatenate(photos))
        y = np.concatenate([[index[lb]] * len(v) for v, lb in zip(photos, labels, strict=True)])
        return LogisticRegression(C=HEAD_C, max_iter=3000, random_state=self.seed).fit(x, y)

    def _fit_temperature(self, photos, labels) -> float:
        from scipy.optimize import minimize_scalar

        seen: dict = {}
        fold = []
        for label in labels:  # alternate each model's photos between the two folds
            fold.append(seen.get(label, 0) % 2)
            seen[label] = seen.get(label, 0) + 1
        if min(seen.values()) < 2:
            return 1.0
        logits, truth = [], []
        for f in (0, 1):
            train = [i for i, g in enumerate(fold) if g != f]
            held = [i for i, g in enumerate(fold) if g == f]
            model = self._fit([photos[i] for i in train], [labels[i] for i in train])
            known = {self.labels[c]: k for k, c in enumerate(model.classes_)}
            p = model.predict_proba(self._prepare(np.stack([photos[i][0] for i in held])))
            logits.append(np.log(p + 1e-12))
            truth += [known[labels[i]] for i in held]
        z, y = np.concatenate(logits), np.array(truth)

        def nll(t: float) -> float:
            s = z / t
            s = s - s.max(axis=1, keepdims=True)
            log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
            return float(-log_p[np.arange(len(y)), y].mean())

        return float(minimize_scalar(nll, bounds=(0.05, 5.0), method="bounded").x)

    def _prepare(self, vectors: np.ndarray) -> np.ndarray:
        return _unit(vectors - self.centre)

    def closeness(self, vector: np.ndarray, label: Hashable) -> float:
        """Cosine similarity of a query to the nearest reference view of `label`."""
        views = self.views.get(label)
        return float((views @ vector).max()) if views is not None else -1.0

    def predict(self, vector: np.ndarray) -> list[tuple[Hashable, float]]:
        """Every label with its probability, best first, given that the photo shows one of
        them (closed set: see `open_set`)."""
        if self.model is None:
            return [(self.labels[0], 1.0)]
        p = self.model.predict_proba(self._prepare(vector[None, :]))[0]
        p = _softmax(np.log(p + 1e-12) / self.temperature)
        order = np.argsort(-p)
        return [(self.labels[self.model.classes_[i]], float(p[i])) for i in order]


def recognised(closeness: float, probability: float, models: int) -> float:
    """Probability that the best model is the right one: calibrated for buyers whose photo is
    as likely to show a model without references as one with them."""
    a, b, c, bias = OPEN_SET_WEIGHTS
    z = a * closeness + b * np.log(max(probability, 1e-12)) + c * np.log(max(models, 1)) + bias
    return float(1 / (1 + np.exp(-z)))


def open_set(ranked: list[tuple[Hashable, float]], closeness: float) -> tuple[list, float]:
    """Closed-set probabilities (best first) made open-set: scaled so that the best model's
    score is the probability that it is right; also returns that probability."""
    if not ranked:
        return [], 0.0
    top = ranked[0][1]
    right = recognised(closeness, top, len(ranked))
    factor = min(1.0, right / top) if top > 0 else 0.0
    return [(label, min(MAX_SCORE, p * factor)) for label, p in ranked], right


_embedders: dict[tuple[Path, int], Embedder] = {}
_lock = threading.Lock()


def embedder(model_dir: Path, threads: int = 0) -> Embedder:
    """The process's embedder, built on first use (the first photo search pays for it)."""
    key = (model_dir, threads)
    with _lock:
        if key not in _embedders:
            _embedders[key] = Embedder(model_dir, threads)
        return _embedders[key]
