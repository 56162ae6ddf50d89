"""MOTORMALL_DATABASE_REPLICA_URL: browsing reads (stock search, the catalogue lists) go to the
replica, everything that reserves, pays or looks at one record stays on the primary. The
"replica" here is a second database that has not caught up: a car added to the primary
after the copy is missing from the search and still found, reserved and paid on the primary."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from motormall.app import create_app
from motormall.platform.db import Database
from tests.factories import network, stock, token


@pytest.fixture
def replica_url(backend, db, tmp_path, request):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'replica.db'}"
        return
    server = request.getfixturevalue("pg_server_url")
    name = f"mm_replica_{getattr(request.config, 'workerinput', {}).get('workerid', 'main')}"
    yield f"{server}/{name}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def copy_rows(primary: Database, replica_url: str) -> None:
    """What streaming replication would have shipped so far: a copy of the primary now."""
    if primary.engine.dialect.name == "sqlite":
        src = sqlite3.connect(primary.engine.url.database)
        dst = sqlite3.connect(replica_url.removeprefix("sqlite:///"))
        src.backup(dst)
        src.close(), dst.close()
        return
    primary.engine.dispose()  # a template database must have no one connected
    server, name = replica_url.rsplit("/", 1)
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{primary.engine.url.database}"'))
    admin.dispose()


def test_search_reads_the_replica_and_orders_the_primary(db, replica_url, settings):
    net = network(db)
    first = stock(db, net["dealers"]["SH-1"], net["trims"][0], [1])[0]
    copy_rows(db, replica_url)
    late = stock(db, net["dealers"]["SH-1"], net["trims"][0], [2])[0]  # not on the replica yet

    both = Database(db.url, replica_url=replica_url)
    try:
        with TestClient(create_app(settings, both, run_jobs=False)) as client:
            listed = client.get("/api/v1/vehicles?limit=100").json()["items"]
            assert [v["vin"] for v in listed] == [first]
            assert client.get("/api/v1/brands").status_code == 200
            assert client.get(f"/api/v1/vehicles/{late}").json()["status"] == "available"
            buyer = token(client, net["users"]["customer"])
            r = client.post(
                "/api/v1/orders",
                headers={**buyer, "Idempotency-Key": "replica-1"},
                json={"vin": late, "product": "cash"},
            )
            assert r.status_code == 201, r.text
            assert client.get(f"/api/v1/vehicles/{late}").json()["status"] == "reserved"
    finally:
        both.dispose()
