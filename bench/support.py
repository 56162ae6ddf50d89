"""What the benchmarks share: progress lines, free ports, the motormall server as a
subprocess, a throwaway PostgreSQL server.

Benchmarks run as `python bench/<name>.py`, so this folder is on their import path.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------
# The motormall server as a subprocess
# ---------------------------------------------------------------------------------------


def motormall_command() -> list[str]:
    """The motormall executable: the repo's virtualenv, else PATH, else `python -m`."""
    exe = ROOT / ".venv" / "bin" / "motormall"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("motormall")
    return [found] if found else [sys.executable, "-m", "motormall.cli"]


@contextlib.contextmanager
def running_server(
    env: dict[str, str], *, workers: int = 1, log_path: Path, health_wait_s: float = 90
):
    """Start `motormall serve --port <free port> --workers N` with os.environ updated by `env`,
    cwd = the repo root, stdout+stderr to log_path, its own process group; wait for GET /healthz
    == 200 (RuntimeError with the log tail if it exits or is not healthy in time); yield
    (base_url, pid); always stop it (SIGTERM, wait 20 s, SIGKILL; then SIGKILL any process of
    its group still alive)."""
    port = free_port()
    cmd = [*motormall_command(), "serve", "--port", str(port), "--workers", str(workers)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        # its own session: the uvicorn workers (and job worker) it forks share its process
        # group id (= its pid)
        proc = subprocess.Popen(
            cmd,
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + health_wait_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{_tail(log_path)}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not healthy in {health_wait_s:g} s:\n{_tail(log_path)}")
            time.sleep(0.2)
        say(f"server up on {base}: {workers} worker(s), pid {proc.pid}")
        yield base, proc.pid
    finally:
        _stop(proc)


def _tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server (uvicorn stops its workers), SIGKILL if it is still there after
    20 s; then SIGKILL, by pid, to anything of its process group still alive."""
    group = proc.pid  # start_new_session made it the group leader
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(timeout=10)
    deadline = time.monotonic() + 10  # its worker processes may outlive it briefly
    while (left := group_pids(group)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        say(f"server process {pid} outlived the server: SIGKILL")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_stats() -> list[tuple[int, int, int, str, float]]:
    """(pid, parent pid, process group, state, CPU seconds) of every process we can read."""
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                data = f.read()
        except OSError:
            continue
        # after "pid (comm) ": state, ppid, pgrp, ... utime (12th), stime (13th)
        fields = data[data.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
        out.append((int(entry.name), int(fields[1]), int(fields[2]), fields[0], cpu))
    return out


def group_pids(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group `pgid`."""
    return [
        pid for pid, _ppid, group, state, _cpu in proc_stats() if group == pgid and state != "Z"
    ]


# ---------------------------------------------------------------------------------------
# PostgreSQL: a throwaway server, or a database on the one the caller names
# ---------------------------------------------------------------------------------------


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin); install Debian's "
            "`postgresql` package, set MOTORMALL_BENCH_PG_URL, or use --db sqlite"
        )
    return found[-1]


@contextlib.contextmanager
def pg_server(max_connections: int = 200):
    """Yield a server URL without a database part and the postmaster's pid (None for the
    caller's server); a server started here is stopped at the end, whatever happens."""
    given = os.environ.get("MOTORMALL_BENCH_PG_URL")
    if given:
        say("PostgreSQL: using the server in MOTORMALL_BENCH_PG_URL")
        yield make_url(given).set(database=None).render_as_string(hide_password=False), None
        return
    bindir = _pg_bin()
    tmp = Path(tempfile.mkdtemp(prefix="mm-bench-pg-"))
    root = os.geteuid() == 0
    run = ["runuser", "-u", "postgres", "--"] if root else []
    data = tmp / "data"
    start_tried = False
    try:
        if root:
            shutil.chown(tmp, "postgres")
        port = free_port()
        say(f"PostgreSQL {bindir.parent.name}: initdb in {tmp}, port {port}")
        subprocess.run(
            [*run, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
            check=True,
            capture_output=True,
        )
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off "
            f"-c max_connections={max_connections}"
        )
        start_tried = True
        subprocess.run(
            [*run, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(tmp / "log")]
            + ["-w", "start"],
            check=True,
            capture_output=True,
        )
        postmaster = int((data / "postmaster.pid").read_text().splitlines()[0])
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}", postmaster
    finally:
        if start_tried:
            say("PostgreSQL: stopping the server")
            stopped = subprocess.run(
                [*run, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True,
            )
            if stopped.returncode != 0 and (data / "postmaster.pid").exists():
                _kill_postmaster(data)
        shutil.rmtree(tmp, ignore_errors=True)


def _kill_postmaster(data: Path) -> None:
    """pg_ctl could not stop it: SIGQUIT (immediate shutdown) to the postmaster's own pid."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        say(f"PostgreSQL: pg_ctl stop failed, sending SIGQUIT to postmaster pid {pid}")
        os.kill(pid, signal.SIGQUIT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.2)


@contextlib.contextmanager
def pg_database(server: str):
    name = f"mm_bench_{os.getpid()}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield f"{server}/{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def analyze(db, backend: str) -> str:
    """Planner statistics after a bulk load; returns what was run. On PostgreSQL VACUUM too:
    a fresh load has no visibility map, and autovacuum would otherwise do it mid-measurement."""
    if backend == "sqlite":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        return "ANALYZE (sqlite_stat1 for the query planner)"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
    return "VACUUM (ANALYZE) (planner statistics and visibility map)"


def server_version(session, backend: str) -> str:
    if backend == "sqlite":
        return "SQLite " + session.execute(text("select sqlite_version()")).scalar_one()
    return "PostgreSQL " + session.execute(text("show server_version")).scalar_one()
