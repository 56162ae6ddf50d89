"""The file store: under var/media on one machine; in one S3-compatible bucket that every app
node shares on several (played here by moto's S3 server on loopback, over real HTTP)."""

from __future__ import annotations

import socket

import boto3
import pytest
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from PIL import Image
from pydantic import ValidationError
from sqlalchemy import select

from motormall.app import create_app
from motormall.catalog.models import Vehicle
from motormall.catalog.photos import add_vehicle_photo
from motormall.platform.config import Settings
from motormall.platform.files import LocalFiles, files_for
from tests.factories import network, stock


def test_local_files_round_trip_and_refuse_paths_out_of_the_store(tmp_path):
    files = LocalFiles(tmp_path / "media")
    assert files.get("photos/a.jpg") is None and not files.exists("photos/a.jpg")
    files.put("photos/a.jpg", b"jpeg", "image/jpeg")
    assert files.get("photos/a.jpg") == b"jpeg" and files.exists("photos/a.jpg")
    assert [p.name for p in (tmp_path / "media" / "photos").iterdir()] == ["a.jpg"]  # no tmp
    for bad in ("../secret_key", "/etc/passwd", "photos//a.jpg", "photos/./a.jpg"):
        with pytest.raises(ValueError):
            files.put(bad, b"x", "text/plain")


def test_a_files_url_that_is_not_a_bucket_is_refused_at_start_up():
    with pytest.raises(ValidationError, match="s3://bucket"):
        Settings(files_url="/mnt/shared")
    with pytest.raises(ValidationError, match="s3://bucket"):
        Settings(files_url="s3://")


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    name = f"media-{id(monkeypatch)}"
    s3.create_bucket(Bucket=name)
    return s3, name


def node(tmp_path, name, endpoint, bucket_name) -> Settings:
    return Settings(
        var_dir=tmp_path / name,
        secret_key="test-secret-key",
        embedded_worker=False,
        files_url=f"s3://{bucket_name}/media",
        files_endpoint_url=endpoint,
    )


def test_two_app_nodes_share_photos_through_the_bucket(db, tmp_path, s3_endpoint, bucket):
    s3, bucket_name = bucket
    net = network(db)
    vin = stock(db, net["dealers"]["SH-1"], net["trims"][0], [1])[0]
    a = node(tmp_path, "a", s3_endpoint, bucket_name)
    b = node(tmp_path, "b", s3_endpoint, bucket_name)

    with db.transaction() as session:  # a dealer's photo taken in on node a
        vehicle = session.scalar(select(Vehicle).where(Vehicle.vin == vin))
        name = add_vehicle_photo(
            session, files_for(a), vehicle, Image.new("RGB", (64, 48), (200, 30, 30)), "ab" * 32
        )
    with TestClient(create_app(b, db, run_jobs=False)) as on_b:
        r = on_b.get(f"/media/photos/{name}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert r.content[:3] == b"\xff\xd8\xff"
        assert on_b.get(f"/media/photos/{'cd' * 16}.jpg").status_code == 404

    trim = net["trims"][0]
    with TestClient(create_app(a, db, run_jobs=False)) as on_a:
        drawn = on_a.get(f"/media/listings/{trim}/alpine-white.png")
        assert drawn.status_code == 200 and drawn.content[:8] == b"\x89PNG\r\n\x1a\n"
    with TestClient(create_app(b, db, run_jobs=False)) as on_b:
        assert on_b.get(f"/media/listings/{trim}/alpine-white.png").content == drawn.content

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket_name)["Contents"]}
    assert keys == {f"media/photos/{name}", f"media/listings/{trim}/alpine-white.png"}
    assert not (tmp_path / "a" / "media").exists() and not (tmp_path / "b" / "media").exists()
