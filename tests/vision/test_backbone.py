"""The backbones are built from the weight packages without torch, and see what they should."""

import numpy as np
import pytest
from PIL import Image

from motormall.vision import backbone, cars
from tests.vision.photos import car, face


def test_checkpoint_is_read_without_torch():
    weights = backbone.read_checkpoint(backbone.checkpoint_path("lite0"))
    assert weights["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert weights["_fc.weight"].shape == (1000, 1280)
    assert weights["_fc.weight"].dtype == np.float32
    assert np.isfinite(weights["_blocks.0._bn1.running_var"]).all()


def test_model_file_is_built_once(tmp_path):
    first = backbone.model_file("lite0", tmp_path)
    built_at = first.stat().st_mtime_ns
    assert backbone.model_file("lite0", tmp_path) == first
    assert first.stat().st_mtime_ns == built_at
    assert not list(tmp_path.glob("*.tmp"))


@pytest.fixture(scope="module")
def embedder(tmp_path_factory):
    return cars.embedder(tmp_path_factory.mktemp("models"))


def look(embedder, path):
    return embedder.look(Image.open(path).convert("RGB"))


def test_a_car_photo_is_a_car_and_a_face_is_not(embedder):
    # ImageNet's car classes only fire if every layer of the hand-built graph is right
    assert look(embedder, car("Jeep_Wrangler_SUV_2012", 1)).car_score > cars.CAR_GATE
    assert look(embedder, face("Tony_Blair", 1)).car_score < cars.CAR_GATE
    grey = embedder.look(Image.new("RGB", (400, 300), (128, 128, 128)))
    assert grey.car_score < cars.CAR_GATE


def test_body_type_from_imagenet_classes(embedder):
    pickup = look(embedder, car("Ford_F-150_Regular_Cab_2012", 9)).body_types()
    assert pickup[0][0] == "pickup"
    assert sum(score for _, score in pickup) == pytest.approx(1.0)


def test_embeddings_are_unit_length_and_mirror_invariant(embedder):
    image = Image.open(car("Ford_GT_Coupe_2006", 2)).convert("RGB")
    a = embedder.look(image).vector
    b = embedder.look(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)).vector
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-5)
    assert float(a @ b) > 0.999  # queries are averaged with their mirror image
    views = embedder.reference_views(image)
    assert views.shape == (6, a.shape[0])
