"""Face checks for the tower: enrolment, matching and the head-turn challenge, on real photos
and the real SFace / YuNet models (no mocks)."""

from __future__ import annotations

import hashlib
import math
import shutil

import numpy as np
import pytest
from PIL import Image, ImageOps

from motormall.platform.config import Settings
from motormall.platform.errors import Invalid
from motormall.vision import faces
from motormall.vision.evaluate import evaluate_faces
from tests.vision.photos import CARS, FACES

# the shipped defaults, read off the evaluation photos (module docstring of faces.py)
THRESHOLD = Settings.model_fields["face_match_threshold"].default
REVIEW_UPPER = Settings.model_fields["face_review_upper"].default

# Hugo Chavez, one face in each: 005 and 004 are frontal (yaw -0.07, -0.12), 003 turned to
# his own left (+0.27), 006 to his own right (-0.34); 001 (+0.15) is the "ID photo".
FRONTAL, FRONTAL_2, LEFT, RIGHT, ID = "005", "004", "003", "006", "001"


def photo(name: str, person: str = "Hugo_Chavez") -> Image.Image:
    with Image.open(FACES / person / f"{name}.jpg") as image:
        return image.convert("RGB")


@pytest.fixture(scope="module")
def template() -> np.ndarray:
    return faces.enrol(photo(ID))


def verify(template, frames, challenge):
    return faces.verify(template, frames, challenge, threshold=THRESHOLD, review_upper=REVIEW_UPPER)


def check(template, frames, challenge="turn_left"):
    return faces.check(template, frames, challenge, threshold=THRESHOLD, review_upper=REVIEW_UPPER)


def liveness_reason(template, frames, challenge) -> str:
    with pytest.raises(Invalid) as caught:
        verify(template, frames, challenge)
    assert caught.value.code == "liveness_failed"
    assert caught.value.detail == faces.LIVENESS_REASONS[caught.value.fields["reason"]]
    return caught.value.fields["reason"]


def squeeze(image: Image.Image, factor: float) -> Image.Image:
    """A flat print tilted about a vertical axis, seen from far away: narrower, same height."""
    return image.resize((round(image.width * factor), image.height), Image.Resampling.BILINEAR)


def tilt(image: Image.Image, degrees: float, distance: float = 2.0) -> Image.Image:
    """The same print tilted with perspective, the camera `distance` image widths away."""
    w, h = image.size
    theta, d = math.radians(degrees), distance * w

    def seen(x, y):
        dx, dy = x - w / 2, y - h / 2
        z = d + dx * math.sin(theta)
        return w / 2 + d * dx * math.cos(theta) / z, h / 2 + d * dy / z

    rows, rhs = [], []
    for x, y in [(0, 0), (w, 0), (w, h), (0, h)]:
        u, v = seen(x, y)
        rows += [[u, v, 1, 0, 0, 0, -x * u, -x * v], [0, 0, 0, u, v, 1, -y * u, -y * v]]
        rhs += [x, y]
    coeffs = np.linalg.solve(np.array(rows), np.array(rhs))
    return image.transform((w, h), Image.Transform.PERSPECTIVE, tuple(coeffs))


# ---- enrolment and refusals ---------------------------------------------------------------


def test_enrol_gives_a_template_of_128_floats(template):
    assert template.shape == (128,)
    assert template.dtype == np.float32
    assert np.all(np.isfinite(template)) and np.linalg.norm(template) > 1


def test_landmarks_are_in_full_image_pixels_in_the_documented_order():
    image = photo(FRONTAL).resize((750, 750))  # larger than DETECT_SIDE: points scaled back
    (found,) = faces.find_faces(image)
    points = found.landmarks
    assert points.shape == (5, 2)
    left, top, right, bottom = found.box
    assert right - left > 200  # about 90 px in the 250 px photo
    assert np.all((points[:, 0] > left) & (points[:, 0] < right))
    # 0: eye on the image's left, 1: on its right; 2: nose tip between them and below;
    # 3, 4: mouth corners (image's left, right) below the nose
    assert points[0, 0] < points[2, 0] < points[1, 0]
    assert points[2, 1] > points[:2, 1].max()
    assert points[3, 0] < points[4, 0]
    assert min(points[3, 1], points[4, 1]) > points[2, 1]


def test_a_picture_without_a_face_is_refused():
    plain = Image.new("RGB", (400, 300), (120, 160, 200))
    with pytest.raises(Invalid) as caught:
        faces.enrol(plain)
    assert caught.value.code == "no_face"
    assert "ID photo" in caught.value.detail and "front-facing" in caught.value.detail

    cars = sorted(CARS.glob("*/*.jpg"))[:1]
    if cars:
        with Image.open(cars[0]) as car, pytest.raises(Invalid) as caught:
            faces.enrol(car.convert("RGB"))
        assert caught.value.code == "no_face"


def test_two_people_in_one_picture_are_refused():
    pair = Image.new("RGB", (500, 250))
    pair.paste(photo(FRONTAL), (0, 0))
    pair.paste(photo("002", "Tony_Blair"), (250, 0))
    with pytest.raises(Invalid) as caught:
        faces.enrol(pair)
    assert caught.value.code == "several_faces"
    assert caught.value.fields == {"faces": 2}


def test_a_frame_without_a_face_names_the_frame(template):
    frames = [photo(FRONTAL), Image.new("RGB", (250, 250), "grey"), photo(LEFT)]
    with pytest.raises(Invalid) as caught:
        verify(template, frames, "turn_left")
    assert caught.value.code == "no_face"
    assert "frame 2" in caught.value.detail


def test_one_to_five_frames_are_taken_and_the_challenge_is_checked(template):
    for count in (0, 6):
        with pytest.raises(Invalid) as caught:
            check(template, [photo(FRONTAL)] * count)
        assert caught.value.code == "frame_count"
        assert caught.value.fields == {"frames": count}
    assert len(check(template, [photo(FRONTAL)] * 5).yaws) == 5
    with pytest.raises(Invalid) as caught:
        verify(template, [photo(FRONTAL)] * 3, "nod")
    assert caught.value.code == "unknown_challenge"


def test_fewer_than_three_frames_decide_the_face_but_not_liveness(template):
    for frames in ([photo(FRONTAL)], [photo(FRONTAL), photo(LEFT)]):
        result = check(template, frames)
        assert result.decision == "match"
        assert not result.liveness_ok and not result.accepted
        assert result.liveness_reason == "too_few_frames"
        assert liveness_reason(template, frames, "turn_left") == "too_few_frames"
    other = check(template, [photo("002", "Tony_Blair")])
    assert other.decision == "mismatch" and other.liveness_reason == "too_few_frames"


def test_the_model_files_are_the_measured_ones():
    folder = faces.model_folder()
    for name, digest in faces.MODEL_SHA256.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    assert "sface" in faces.MODEL_VERSION and "yunet" in faces.MODEL_VERSION


def test_a_changed_model_file_is_refused(tmp_path):
    changed = tmp_path / faces.DETECTOR_FILE
    changed.write_bytes((faces.model_folder() / faces.DETECTOR_FILE).read_bytes() + b"\0")
    with pytest.raises(RuntimeError, match="not the face model"):
        faces._runnable(changed)


# ---- matching -----------------------------------------------------------------------------


def test_the_same_person_turning_as_asked_matches(template):
    result = verify(template, [photo(FRONTAL), photo(FRONTAL_2), photo(LEFT)], "turn_left")
    assert result.liveness_ok and result.liveness_reason is None
    assert result.decision == "match" and result.accepted
    assert result.distance <= THRESHOLD
    assert result.model_version == faces.MODEL_VERSION
    assert len(result.frame_distances) == 3
    # the fused distance is that of the mean descriptor: no larger than the mean distance
    assert result.distance <= np.mean(result.frame_distances) + 1e-9
    assert abs(result.yaws[0]) <= faces.FRONTAL_MAX and result.yaws[2] >= faces.TURN_MIN


def test_another_person_is_a_mismatch(template):
    blair = [photo(n, "Tony_Blair") for n in ("002", "005", "004")]  # 004 turned right
    result = verify(template, blair, "turn_right")
    assert result.liveness_ok
    assert result.decision == "mismatch" and not result.accepted
    assert result.distance > REVIEW_UPPER


# photo 1 enrolled, photos 2-4 the frames, one face in each; two sisters among them
SISTERS = {"Serena_Williams", "Venus_Williams"}  # the closest different-person pair in the set
PEOPLE = ("Colin_Powell", "George_W_Bush", "Serena_Williams", "Venus_Williams", "Vladimir_Putin")


def test_evaluation_faces_same_person_accepted_different_people_refused():
    templates = {p: faces.enrol(photo("001", p)) for p in PEOPLE}
    frames = {p: [photo(f"{n:03d}", p) for n in (2, 3, 4)] for p in PEOPLE}
    for enrolled, template in templates.items():
        for shown, images in frames.items():
            decision = check(template, images).decision
            if shown == enrolled:
                assert decision == "match", enrolled
            elif {shown, enrolled} <= SISTERS:
                assert decision in ("review", "mismatch"), (enrolled, shown)  # never released
            else:
                assert decision == "mismatch", (enrolled, shown)


# ---- liveness -----------------------------------------------------------------------------


def test_turning_the_other_way_fails(template):
    frames = [photo(FRONTAL), photo(FRONTAL_2), photo(LEFT)]
    assert liveness_reason(template, frames, "turn_right") == "wrong_direction"
    frames = [photo(FRONTAL), photo(FRONTAL_2), photo(RIGHT)]
    assert verify(template, frames, "turn_right").liveness_ok
    assert liveness_reason(template, frames, "turn_left") == "wrong_direction"


def test_mirroring_flips_the_direction(template):
    frames = [ImageOps.mirror(photo(n)) for n in (FRONTAL, FRONTAL_2, LEFT)]
    result = verify(template, frames, "turn_right")  # turned left, seen in a mirror
    assert result.yaws[2] <= -faces.TURN_MIN
    assert liveness_reason(template, frames, "turn_left") == "wrong_direction"


def test_no_movement_fails(template):
    assert liveness_reason(template, [photo(FRONTAL)] * 3, "turn_left") == "not_turned"


def test_starting_turned_fails(template):
    frames = [photo(RIGHT), photo(FRONTAL), photo(LEFT)]
    assert liveness_reason(template, frames, "turn_left") == "not_frontal"


def test_swapping_in_another_face_fails(template):
    # Winona Ryder, turned to her own left (+0.32): the turn is right, the person is not
    frames = [photo(FRONTAL), photo(FRONTAL_2), photo("005", "Winona_Ryder")]
    assert liveness_reason(template, frames, "turn_left") == "different_people"


def test_a_tilted_print_does_not_turn(template):
    front = photo(FRONTAL)
    base = faces.find_faces(front)[0].yaw
    for print_ in (squeeze(front, 0.8), squeeze(front, 0.6), tilt(front, 35), tilt(front, 50)):
        (seen,) = faces.find_faces(print_)
        # both the nose offset and the eye distance shrink: far less than a turn
        assert abs(seen.yaw - base) < faces.SWING_MIN / 2
    squeezed = [front, squeeze(front, 0.8), squeeze(front, 0.6)]
    tilted = [front, tilt(front, 35), tilt(front, 50)]
    for frames in (squeezed, tilted):
        for challenge in faces.CHALLENGES:
            assert liveness_reason(template, frames, challenge) == "not_turned"


# ---- pure parts ---------------------------------------------------------------------------


def test_decide_at_the_boundaries():
    kw = {"threshold": 0.433, "review_upper": 0.50}
    assert faces.decide(0.0, **kw) == "match"
    assert faces.decide(0.433, **kw) == "match"
    assert faces.decide(0.4331, **kw) == "review"
    assert faces.decide(0.50, **kw) == "review"
    assert faces.decide(0.5001, **kw) == "mismatch"
    assert faces.decide(0.45, threshold=0.5, review_upper=0.5) == "match"
    assert faces.decide(0.51, threshold=0.5, review_upper=0.5) == "mismatch"
    with pytest.raises(ValueError):
        faces.decide(0.4, threshold=0.6, review_upper=0.5)


def test_fuse_uses_the_mean_of_unit_length_descriptors():
    template, a, b = np.zeros(128), np.zeros(128), np.zeros(128)
    template[0] = 0.9  # lengths do not matter, directions do
    a[0] = 0.5  # the template's direction
    b[1] = 2.0  # at right angles to it
    distance, per_frame = faces.fuse(template, [a, b])
    # mean of (1, 0) and (0, 1) made unit: (0.707, 0.707), at 45 degrees to the template
    assert distance == pytest.approx(1 - math.cos(math.radians(45)))
    assert per_frame == pytest.approx([0.0, 1.0])
    assert faces.fuse(template, [-a])[0] == pytest.approx(2.0)  # opposite: the largest
    with pytest.raises(ValueError):
        faces.fuse(np.zeros(127), [a])
    with pytest.raises(ValueError):
        faces.fuse(np.zeros(128), [a])


def test_liveness_rules_on_fixed_numbers():
    same = [np.ones(128)] * 5
    rules = faces.liveness
    assert rules([0.0, 0.1, 0.3], same[:3], "turn_left") is None
    assert rules([0.0, -0.1, -0.3], same[:3], "turn_right") is None
    assert rules([0.0, 0.05, 0.25], same[:3], "turn_left") is None  # exactly the bound
    assert rules([0.0, 0.05, 0.249], same[:3], "turn_left") == "not_turned"
    assert rules([0.16, 0.2, 0.4], same[:3], "turn_left") == "not_frontal"
    assert rules([0.1, 0.15, 0.28], same[:3], "turn_left") == "not_turned"  # swing 0.18
    assert rules([0.0, -0.16, 0.3], same[:3], "turn_left") == "wrong_direction"
    assert rules([0.0, 0.3, 0.0, 0.0, 0.0], same, "turn_left") is None  # turned, then back
    assert rules([0.0, 0.3], same[:2], "turn_left") == "too_few_frames"
    other = np.ones(128)
    other[:64] = -1.0  # at right angles to the others: distance 1
    assert rules([0.0, 0.1, 0.3], [*same[:2], other], "turn_left") == "different_people"


def test_yaw_proxy_ignores_scale_and_in_plane_rotation():
    # eye on the image's left, on its right, nose tip, mouth corners
    points = np.array([[-20.0, 0], [60, 0], [28, 30], [0, 60], [40, 60]])
    assert faces.yaw_proxy(points) == pytest.approx(0.1)
    angle = math.radians(25)
    rotate = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    moved = 3 * points @ rotate.T + [400, 200]
    assert faces.yaw_proxy(moved) == pytest.approx(0.1)
    mirrored = (points * [-1, 1])[[1, 0, 2, 4, 3]]  # the eyes swap sides, and so their labels
    assert faces.yaw_proxy(mirrored) == pytest.approx(-0.1)


def test_similarity_transform_recovers_a_known_one():
    angle, scale, shift = math.radians(-12), 0.4, np.array([7.0, -3.0])
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    source = faces.REFERENCE * 3 + [100, 50]
    target = scale * source @ rotation.T + shift
    found = faces.similarity_transform(source, target)
    assert found[:, :2] == pytest.approx(scale * rotation)
    assert found[:, 2] == pytest.approx(shift)


def test_new_challenge_is_one_of_the_two():
    drawn = {faces.new_challenge() for _ in range(64)}
    assert drawn == set(faces.CHALLENGES)


def test_evaluate_on_a_small_folder(tmp_path):
    for person in ("Hugo_Chavez", "Vladimir_Putin"):
        (tmp_path / person).mkdir()
        for name in ("001", "002", "004", "006"):
            shutil.copy(FACES / person / f"{name}.jpg", tmp_path / person / f"{name}.jpg")
    lines = []
    result = evaluate_faces(
        tmp_path, threshold=THRESHOLD, review_upper=REVIEW_UPPER, progress=lines.append
    )
    assert result["pairs"] == 28 and result["pairs_same"] == 12
    assert result["multi_frame"]["trials_same"] == 8  # per ID photo: the 3 others
    assert result["multi_frame"]["trials_different"] == 32  # 4 photos x 4 groups x 2
    assert result["far"] == 0.0 and result["multi_frame"]["far"] == 0.0
    assert 0.0 <= result["frr"] <= 1.0 and 0.0 <= result["eer"] <= 0.5
    assert result["latency_ms"]["check_samples"] == 2
    for key in ("face_detect", "face_embed", "face_check"):
        assert result["latency_ms"][key]["median"] > 0
    assert lines


def test_frames_described_side_by_side_give_the_same_check(template):
    frames = [photo(FRONTAL), photo(FRONTAL_2), photo(LEFT)]
    here = faces.check(
        template, frames, "turn_left", threshold=THRESHOLD, review_upper=REVIEW_UPPER
    )
    pooled = faces.check(
        template,
        frames,
        "turn_left",
        threshold=THRESHOLD,
        review_upper=REVIEW_UPPER,
        processes=2,
    )
    assert pooled == here
    blank = Image.new("RGB", (400, 300), (90, 90, 90))
    with pytest.raises(Invalid) as caught:
        faces.describe_frames([frames[0], blank, frames[2]], processes=2)
    assert caught.value.code == "no_face" and "frame 2" in caught.value.detail
