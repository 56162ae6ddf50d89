"""A burst of simultaneous requests, far more than the connection pool, is served, not
stalled. Needs a real server process: a server thread sharing the test's GIL never got busy
enough to show the stall this guards against (every request timing out for a minute)."""

import asyncio
import contextlib
import datetime as dt
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, insert, select

from motormall.orders.models import Order
from motormall.platform.auth import AccessToken, User, new_id, token_hash
from motormall.platform.db import utcnow
from tests import factories as f
from tests.conftest import _free_port


@contextlib.contextmanager
def _server(db, tmp_path):
    """`motormall serve` on `db` with a pool of 8 (4 in-flight slots); yields its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "MOTORMALL_DATABASE_URL": db.url,
        "MOTORMALL_VAR_DIR": str(tmp_path),
        "MOTORMALL_EMBEDDED_WORKER": "false",
        "MOTORMALL_DB_POOL_SIZE": "8",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "motormall.cli", "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _all_at_once(requests):
    """Await every coroutine together, on a thread of its own (another test's Playwright may
    own this thread's event loop)."""

    async def burst():
        return await asyncio.gather(*requests)

    with ThreadPoolExecutor(max_workers=1) as runner:
        return runner.submit(asyncio.run, burst()).result()


def test_a_burst_larger_than_the_connection_pool_is_served(db, tmp_path):
    net = f.network(db)
    f.stock(db, net["dealers"]["SH-1"], net["trims"][0], range(1, 30))
    with _server(db, tmp_path) as base:

        async def one(n):
            async with httpx.AsyncClient(base_url=base, timeout=45) as c:
                path = "/api/v1/vehicles?limit=20" if n % 2 else "/api/v1/dealers?limit=50"
                return (await c.get(path)).status_code

        assert _all_at_once(one(n) for n in range(300)) == [200] * 300


def test_a_flash_sale_burst_through_a_small_pool_sells_each_car_once(db, tmp_path):
    """200 buyers at once for 10 cars through a server with 4 in-flight slots: losers are
    refused on the event loop, writers go through `write_now` (on the loop on SQLite; a worker
    thread in a slot on PostgreSQL, or when a turn is taken); nobody waits for a minute."""
    net = f.network(db)
    vins = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], range(1, 11))
    now = utcnow()
    buyers = [(new_id(), secrets.token_urlsafe(24)) for _ in range(200)]
    with db.transaction() as s:
        s.execute(
            insert(User),
            [
                dict(id=uid, email=f"fs{i}@test.dev", password_hash="x", role="customer")
                for i, (uid, _) in enumerate(buyers)
            ],
        )
        s.execute(
            insert(AccessToken),
            [
                dict(
                    token_hash=token_hash(tok),
                    user_id=uid,
                    created_at=now,
                    expires_at=now + dt.timedelta(hours=1),
                )
                for uid, tok in buyers
            ],
        )
    with _server(db, tmp_path) as base:

        async def one(i, token):
            async with httpx.AsyncClient(base_url=base, timeout=45) as c:
                r = await c.post(
                    "/api/v1/orders",
                    json={"vin": vins[i % len(vins)]},
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"k{i}"},
                )
                return r.status_code, r.json().get("code")

        replies = _all_at_once(one(i, tok) for i, (_, tok) in enumerate(buyers))
    assert Counter(replies) == {(201, None): 10, (409, "vehicle_unavailable"): 190}
    with db.reading() as s:
        held = s.execute(select(Order.vin, func.count()).group_by(Order.vin)).all()
    assert sorted(held) == sorted((v, 1) for v in vins)
