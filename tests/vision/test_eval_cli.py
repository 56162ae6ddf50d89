"""`motormall vision eval` and `motormall vision enrol` as an operator runs them."""

import json
import shutil

from sqlalchemy import select
from typer.testing import CliRunner

from motormall.cli import app
from motormall.platform.config import use_settings
from motormall.platform.db import use_database
from motormall.vision.evaluate import folder_body_type
from motormall.vision.models import PhotoKind, VisionPhoto
from tests.factories import network
from tests.vision.photos import CARS, FACES


def small_sets(tmp_path):
    cars, faces = tmp_path / "cars", tmp_path / "faces"
    for folder in ("Jeep_Wrangler_SUV_2012", "Ford_GT_Coupe_2006"):
        (cars / folder).mkdir(parents=True)
        for n in (1, 2, 9):
            shutil.copy(CARS / folder / f"{n:03d}.jpg", cars / folder)
    for person in ("Hugo_Chavez", "Tony_Blair"):
        (faces / person).mkdir(parents=True)
        for n in (2, 4, 5, 7):
            shutil.copy(FACES / person / f"{n:03d}.jpg", faces / person)
    return cars, faces


def test_eval_prints_one_json_object_and_progress(tmp_path, settings):
    cars, faces = small_sets(tmp_path)
    use_settings(settings)
    try:
        result = CliRunner().invoke(
            app,
            ["vision", "eval", "--cars", str(cars), "--faces", str(faces), "--references", "2"],
            catch_exceptions=False,
        )
    finally:
        use_settings(None)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["cars"]["n"] == 2 and out["cars"]["top1"] == 1.0 and out["cars"]["top5"] == 1.0
    assert 0 <= out["cars"]["body_type"] <= 1
    assert out["cars"]["gate"]["non_cars_checked"] == 8
    assert out["cars"]["gate"]["non_cars_accepted"] == 0
    assert out["faces"]["pairs"] == 28 and out["faces"]["threshold"] == 0.54
    assert {"far", "frr", "multi_frame"} <= out["faces"].keys()
    assert {"car_embed", "photo_search_models", "face_detect", "face_check"} <= set(
        out["latency_ms"]
    )
    assert "cars: queries" in result.stderr and "faces:" in result.stderr


def test_eval_needs_a_folder():
    result = CliRunner().invoke(app, ["vision", "eval"])
    assert result.exit_code == 2


def test_body_type_from_a_folder_name():
    assert folder_body_type("Ford_E-Series_Wagon_Van_2012") == "van"
    assert folder_body_type("Ford_F-450_Super_Duty_Crew_Cab_2012") == "pickup"
    assert folder_body_type("Ford_Freestar_Minivan_2007") == "mpv"
    assert folder_body_type("BMW_3_Series_Wagon_2012") == "wagon"
    assert folder_body_type("Unknown_Thing") is None


def test_enrol_loads_folders_by_id_or_name_and_says_what_it_refused(tmp_path, db, settings):
    net = network(db)
    ix3, mondeo = net["models"]
    photos = tmp_path / "refs"
    for name, folder in (
        (str(ix3), "Jeep_Wrangler_SUV_2012"),
        ("Ford_Mondeo", "Ford_GT_Coupe_2006"),
    ):
        (photos / name).mkdir(parents=True)
        for n in (1, 2):
            shutil.copy(CARS / folder / f"{n:03d}.jpg", photos / name)
    (photos / "Tesla_Roadster").mkdir()
    shutil.copy(CARS / "Ford_GT_Coupe_2006" / "003.jpg", photos / "Tesla_Roadster")
    (photos / "BMW_iX3_faces").mkdir()
    use_settings(settings)
    use_database(db)
    try:
        result = CliRunner().invoke(
            app, ["vision", "enrol", "--photos", str(photos)], catch_exceptions=False
        )
    finally:
        use_settings(None)
        use_database(None)
    assert result.exit_code == 0, result.output
    assert "Tesla_Roadster: no such catalog model" in result.stderr
    assert "2 models enrolled, 1 folders refused" in result.stderr
    with db.reading() as s:
        rows = s.execute(select(VisionPhoto.model_id, VisionPhoto.kind)).all()
    assert sorted(rows) == sorted(
        [(ix3, PhotoKind.reference)] * 2 + [(mondeo, PhotoKind.reference)] * 2
    )


def test_eval_says_when_the_folders_do_not_fit_the_protocol(tmp_path):
    (tmp_path / "Ford_GT_Coupe_2006").mkdir()
    shutil.copy(CARS / "Ford_GT_Coupe_2006" / "001.jpg", tmp_path / "Ford_GT_Coupe_2006")
    result = CliRunner().invoke(app, ["vision", "eval", "--cars", str(tmp_path)])
    assert result.exit_code == 2
    assert "no photos left to query" in result.stderr
    result = CliRunner().invoke(
        app, ["vision", "eval", "--cars", str(tmp_path / "Ford_GT_Coupe_2006")]
    )
    assert result.exit_code == 2 and "no sub-folders with photos" in result.stderr


def test_eval_measures_the_open_set(tmp_path, settings):
    cars, _ = small_sets(tmp_path)
    use_settings(settings)
    try:
        result = CliRunner().invoke(
            app,
            ["vision", "eval", "--cars", str(cars), "--references", "2"]
            + ["--enrol-fraction", "0.5", "--splits", "2"],
            catch_exceptions=False,
        )
    finally:
        use_settings(None)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)["open_set"]
    assert out["enrolled_per_split"] == 1 and out["splits"] == 2
    assert out["unknown_queries"] == 2 and out["known_queries"] == 2
    assert out["unknown_named_before"] == 1.0  # a closed-set head always names a model
    assert out["max_score_after"] <= 0.99
    assert "open set: split 2/2" in result.stderr
