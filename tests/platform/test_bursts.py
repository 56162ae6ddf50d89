"""A burst of simultaneous requests, far more than the connection pool, is served, not
stalled. Needs a real server process: a server thread sharing the test's GIL never got busy
enough to show the stall this guards against (every request timing out for a minute)."""

import asyncio
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests import factories as f
from tests.conftest import _free_port


def test_a_burst_larger_than_the_connection_pool_is_served(db, tmp_path):
    net = f.network(db)
    f.stock(db, net["dealers"]["SH-1"], net["trims"][0], range(1, 30))
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

        async def one(n):
            async with httpx.AsyncClient(base_url=base, timeout=45) as c:
                path = "/api/v1/vehicles?limit=20" if n % 2 else "/api/v1/dealers?limit=50"
                return (await c.get(path)).status_code

        async def burst():
            return await asyncio.gather(*(one(n) for n in range(300)))

        # on a thread of its own: another test's Playwright may own this thread's event loop
        with ThreadPoolExecutor(max_workers=1) as runner:
            statuses = runner.submit(asyncio.run, burst()).result()
        assert statuses == [200] * 300
    finally:
        server.terminate()
        server.wait(timeout=30)
