"""The job queue really runs jobs: on its embedded SQLite storage and on a Redis server."""

import os
import shutil
import subprocess
import time

import pytest

from motormall.platform import jobs
from motormall.platform.config import Settings
from tests.conftest import _free_port


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: run the README's test command, which installs it")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.time() + 10
    import redis

    client = redis.Redis(port=port)
    while time.time() < deadline:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.parametrize("storage", ["sqlite", "redis"])
def test_a_consumer_runs_queued_jobs(storage, tmp_path, request):
    url = request.getfixturevalue("redis_url") if storage == "redis" else ""
    queue = jobs.make_huey(
        Settings(var_dir=tmp_path, redis_url=url), name=f"t{os.getpid()}", results=True
    )
    done = tmp_path / "done"

    @queue.task()
    def touch(n):
        done.write_text(str(n))
        return n * 2

    result = touch(21)  # queued, not run: no consumer yet
    assert not done.exists()
    consumer = jobs.EmbeddedConsumer(queue, workers=1, worker_type="thread", periodic=False)
    consumer.start()
    try:
        assert result.get(blocking=True, timeout=10) == 42
        assert done.read_text() == "21"
    finally:
        consumer.stop(graceful=True)
