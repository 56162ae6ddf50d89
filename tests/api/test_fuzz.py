"""Schemathesis over the whole API: every operation, generated inputs valid and not, against a
real server on SQLite with the demo network. No reply may be a 500 or break the published
schema. Run alone with `pytest -m fuzz`; the seed is fixed, so a failure reproduces."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from motormall.demo.seed import seed
from motormall.platform.auth import Role, create_user
from motormall.platform.db import Database, use_database
from motormall.platform.migrate import upgrade
from tests.conftest import _free_port

pytestmark = pytest.mark.fuzz

SEED = 1
EXAMPLES = int(os.environ.get("MOTORMALL_FUZZ_EXAMPLES", "50"))  # per operation
ADMIN, PASSWORD = "fuzz-admin@test.dev", "fuzz-admin-passphrase-7"


def _serve(tmp_path: Path) -> tuple[subprocess.Popen, str]:
    url = f"sqlite:///{tmp_path / 'fuzz.db'}"
    db = Database(url)
    upgrade(db)
    use_database(db)
    with db.transaction() as s:
        seed(s)
        create_user(s, email=ADMIN, password=PASSWORD, role=Role.oem_admin, name="Fuzz")
    db.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "MOTORMALL_DATABASE_URL": url,
        "MOTORMALL_VAR_DIR": str(tmp_path / "var"),
        "MOTORMALL_SECRET_KEY": "fuzz-secret",
        "MOTORMALL_EMBEDDED_WORKER": "false",
        "MOTORMALL_RATE_LIMITS": "off",  # let it past the limits to the logic behind them
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "motormall.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "server.log", "wb"),  # noqa: SIM115 - closed with the process
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise AssertionError("the server did not start")


def test_schemathesis_finds_no_server_error_or_schema_break(tmp_path):
    server, base = _serve(tmp_path)
    try:
        token = httpx.post(
            f"{base}/api/v1/auth/token", json={"email": ADMIN, "password": PASSWORD}
        ).json()["access_token"]
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "all",
                # refusing schema-invalid input is checked with the status codes below
                "--exclude-checks",
                "negative_data_rejection,positive_data_acceptance",
                "--max-examples",
                str(EXAMPLES),
                # logging out would revoke the token the run works with
                "--exclude-name",
                "DELETE /api/v1/auth/token",
                "--seed",
                str(SEED),
                "--header",
                f"Authorization: Bearer {token}",
                # one worker: Python 3.11's ast.parse is not safe across threads, and
                # Hypothesis parses lambdas when schemathesis builds strategies in parallel
                # (SystemError "AST constructor recursion depth mismatch", seen in CI)
                "--workers",
                "1",
                "--request-timeout",
                "30",
                "--no-color",
                "--report",
                "junit",
                "--report-dir",
                str(tmp_path / "reports"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,  # its cache folder (.schemathesis) stays out of the checkout
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    server_log = (tmp_path / "server.log").read_text()[-4000:]
    assert run.returncode == 0, run.stdout[-12000:] + "\n--- server ---\n" + server_log
