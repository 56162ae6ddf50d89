"""Test fixtures: every API test runs on SQLite and on a real PostgreSQL server.

The README's test command starts a throwaway PostgreSQL on loopback and passes its URL in
MOTORMALL_TEST_PG_URL; without it, this file starts one itself from Debian's binaries. Each
xdist worker gets its own databases, built once by the real migrations and emptied after
every test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from huey.signals import SIGNAL_ERROR
from sqlalchemy import create_engine, text

import motormall.handlers  # noqa: F401  events have listeners in every test, run alone too
from motormall.platform import auth, jobs
from motormall.platform.config import Settings
from motormall.platform.db import Base, Database
from motormall.platform.migrate import upgrade

jobs.huey.immediate = True  # tasks run inline, in the test's own process
# Cheap password hashing in tests only: the real parameters cost ~60 ms per account.
auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        default="sqlite,postgresql",
        help="comma-separated backends to run database tests on (sqlite, postgresql)",
    )


def chosen_backends(value: str) -> list[str]:
    """The backends named by --db; a name we do not know is a usage error, not a silent skip."""
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in BACKENDS]
    if unknown or not names:
        raise pytest.UsageError(
            f"--db={value!r}: unknown database {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(BACKENDS)}"
        )
    return names


def pytest_configure(config):
    chosen_backends(config.getoption("--db"))


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        chosen = chosen_backends(metafunc.config.getoption("--db"))
        metafunc.parametrize("backend", chosen, scope="session")


class JobErrors(list):
    """Exceptions raised by background tasks during a test. Huey logs a task's exception
    instead of raising it, so without this a failing job would pass unnoticed."""

    def take(self) -> list[tuple[str, BaseException]]:
        """The errors so far, which the test expected (they no longer fail it)."""
        taken = list(self)
        self.clear()
        return taken


_job_errors = JobErrors()


@jobs.huey.signal(SIGNAL_ERROR)
def _record_job_error(signal, task, exc=None):
    _job_errors.append((task.name, exc))


@pytest.fixture(autouse=True)
def job_errors():
    """Fails the test when a background job raised (take() the ones a test expects)."""
    _job_errors.clear()
    yield _job_errors
    if _job_errors:
        found = "; ".join(f"{name}: {exc!r}" for name, exc in _job_errors)
        _job_errors.clear()
        pytest.fail(f"a background job failed during the test: {found}", pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return found[-1] if found else None


@pytest.fixture(scope="session")
def pg_server_url():
    """A PostgreSQL server URL (no database part), started here if the caller gave none."""
    given = os.environ.get("MOTORMALL_TEST_PG_URL")
    if given:
        yield given.rstrip("/")
        return
    bindir = _pg_bin()
    if bindir is None:
        pytest.fail(
            "PostgreSQL is not installed: run the README's test command, which "
            "installs it, or pass --db=sqlite"
        )
    tmp = Path(tempfile.mkdtemp(prefix="mm-pg-"))
    shutil.chown(tmp, "postgres") if os.geteuid() == 0 else None
    run = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    port = _free_port()
    subprocess.run(
        [*run, str(bindir / "initdb"), "-D", str(tmp / "data"), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    opts = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        [
            *run,
            str(bindir / "pg_ctl"),
            "-D",
            str(tmp / "data"),
            "-o",
            opts,
            "-l",
            str(tmp / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*run, str(bindir / "pg_ctl"), "-D", str(tmp / "data"), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(tmp, ignore_errors=True)


def _worker_id(request) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session")
def database(backend, request, tmp_path_factory):
    """A migrated database for this worker on `backend`, shared by the session's tests."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "motormall.db"
        db = Database(f"sqlite:///{path}")
    else:
        server = request.getfixturevalue("pg_server_url")
        name = f"mm_test_{_worker_id(request)}"
        admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        db = Database(f"{server}/{name}")
    upgrade(db)
    yield db
    db.dispose()


def _empty(db: Database) -> None:
    with db.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


@pytest.fixture
def db(database):
    """The database, emptied after the test."""
    yield database
    _empty(database)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """Built ONNX backbones, shared by a worker's tests (the models load once per process)."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def settings(tmp_path, models_dir) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        model_dir=models_dir,
        secret_key="test-secret-key",
        rate_limits="on",
        embedded_worker=False,
    )


@pytest.fixture
def app(db, settings):
    from motormall.app import create_app

    return create_app(settings, db, run_jobs=False)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Expose each phase's report to fixtures (the browser keeps a screenshot on failure)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def live_server(app):
    """The app served by a real uvicorn on a free loopback port."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


CHROMIUM = "/usr/lib/chromium/chromium"


# One browser per worker for every module's journeys: a second sync_playwright() in the same
# process fails ("Playwright Sync API inside the asyncio loop"), so modules share this one.
@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield b
        b.close()
