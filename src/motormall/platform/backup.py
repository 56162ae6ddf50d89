"""`motormall backup` / `motormall restore`: one archive holding the database and the files
under `var/`, and a manifest to check the restore against.

SQLite is copied with its online backup API, so the product may keep taking orders while the
copy runs and the copy is still one consistent moment. PostgreSQL goes through `pg_dump` in its
custom format (one consistent snapshot too) and comes back with `pg_restore`; for point-in-time
recovery of a production server use WAL archiving instead (docs/operations.md).

Left out of the archive: the built vision models (`var/models`, rebuilt from their packages on
first use), earlier backups, and the SQLite file itself (it travels as its online copy).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from motormall import __version__
from motormall.platform.config import Settings
from motormall.platform.db import Database

# what a restore must find again, counted before and after
COUNTED = ("orders", "payment_intents", "ledger_transactions", "ledger_postings", "users")
SKIP_DIRS = ("models", "backups")
FORMAT = 1


class BackupError(Exception):
    """Something the operator must fix; the message says what to do next."""


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" else None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def counts(db: Database) -> dict[str, int]:
    present = set(inspect(db.engine).get_table_names())
    out = {}
    with db.engine.connect() as conn:
        for table in COUNTED:
            if table in present:
                out[table] = conn.scalar(select(func.count()).select_from(text(table)))
    return out


def _revision(db: Database) -> str | None:
    if "alembic_version" not in inspect(db.engine).get_table_names():
        return None
    with db.engine.connect() as conn:
        return conn.scalar(text("SELECT version_num FROM alembic_version"))


def _files(var_dir: Path, database_file: Path | None) -> list[Path]:
    if not var_dir.exists():
        return []
    skip = {database_file.resolve()} if database_file else set()
    if database_file:
        skip |= {Path(f"{database_file.resolve()}{s}") for s in ("-wal", "-shm", "-journal")}
    out = []
    for path in sorted(var_dir.rglob("*")):
        rel = path.relative_to(var_dir)
        if rel.parts[0] in SKIP_DIRS or not path.is_file() or path.resolve() in skip:
            continue
        out.append(path)
    return out


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))[-1:]), None
    )
    if not found:
        raise BackupError(f"{name} is not installed: install postgresql-client, then try again.")
    return found


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backup(
    settings: Settings,
    db: Database,
    to_dir: Path,
    *,
    progress: Callable[[str], None] = lambda _: None,
) -> Path:
    """Write `motormall-<UTC time>.tar.gz` under `to_dir` and return its path."""
    url = db.url
    database_file = _sqlite_path(url)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    to_dir.mkdir(parents=True, exist_ok=True)
    target = to_dir / f"motormall-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="mm-backup-") as tmp:
        work = Path(tmp)
        manifest: dict = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "motormall": __version__,
            "revision": _revision(db),
            "counts": counts(db),
            "files": {},
        }
        if database_file is not None:
            progress(f"copying the SQLite database {database_file}")
            manifest["database"] = {"kind": "sqlite", "file": "database.sqlite"}
            source = sqlite3.connect(database_file)
            copy = sqlite3.connect(work / "database.sqlite")
            try:
                with copy:
                    source.backup(copy, pages=4096)
            finally:
                copy.close()
                source.close()
        else:
            progress("dumping the PostgreSQL database with pg_dump")
            manifest["database"] = {"kind": "postgresql", "file": "database.pgdump"}
            run = subprocess.run(
                [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file",
                 str(work / "database.pgdump"), _libpq_url(url)],
                capture_output=True, text=True,
            )  # fmt: skip
            if run.returncode != 0:
                raise BackupError(f"pg_dump failed: {run.stderr.strip()}")
        manifest["database"]["sha256"] = _sha256(work / manifest["database"]["file"])
        files = _files(settings.var_dir, database_file)
        for i, path in enumerate(files, start=1):
            rel = path.relative_to(settings.var_dir).as_posix()
            manifest["files"][rel] = _sha256(path)
            if i % 200 == 0 or i == len(files):
                progress(f"checked {i}/{len(files)} files")
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = target.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(work / "manifest.json", "manifest.json")
            tar.add(work / manifest["database"]["file"], manifest["database"]["file"])
            for i, path in enumerate(files, start=1):
                tar.add(path, f"files/{path.relative_to(settings.var_dir).as_posix()}")
                if i % 200 == 0 or i == len(files):
                    progress(f"archived {i}/{len(files)} files")
        partial.chmod(0o600)  # it holds the secret key and every customer's data
        partial.rename(target)  # a backup that stopped half-way never looks complete
    progress(f"wrote {target} ({target.stat().st_size:,} bytes): {manifest['counts']}")
    return target


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = tar.getmembers()
    for m in members:
        if not m.isfile() or m.name.startswith("/") or ".." in Path(m.name).parts:
            raise BackupError(f"{m.name!r} is not something a motormall backup holds.")
    return members


def restore(
    settings: Settings,
    db: Database,
    archive: Path,
    *,
    force: bool = False,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, int]:
    """Put the archive's database and files in place and check them against its manifest.
    Refuses a database that already holds motormall tables unless `force`."""
    if not archive.is_file():
        raise BackupError(f"No backup at {archive}: give the path `motormall backup` printed.")
    if _revision(db) is not None and not force:
        raise BackupError(
            "The target database already holds motormall data. Restore into an empty database"
            " (set MOTORMALL_DATABASE_URL / MOTORMALL_VAR_DIR), or pass --force to replace it."
        )
    with tempfile.TemporaryDirectory(prefix="mm-restore-") as tmp:
        work = Path(tmp)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(work, members=_safe_members(tar), filter="data")
            manifest = json.loads((work / "manifest.json").read_text())
        except (tarfile.TarError, OSError, ValueError) as exc:
            raise BackupError(f"{archive} is not a readable motormall backup ({exc}).") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive} was written by another backup format.")
        dump = work / manifest["database"]["file"]
        if _sha256(dump) != manifest["database"]["sha256"]:
            raise BackupError("The database copy in the backup is damaged (checksum differs).")
        for rel, digest in manifest["files"].items():
            if _sha256(work / "files" / rel) != digest:
                raise BackupError(f"{rel} in the backup is damaged (checksum differs).")
        kind = manifest["database"]["kind"]
        database_file = _sqlite_path(db.url)
        if kind == "sqlite" and database_file is not None:
            progress(f"restoring the SQLite database into {database_file}")
            db.engine.dispose()
            database_file.parent.mkdir(parents=True, exist_ok=True)
            source = sqlite3.connect(dump)
            dest = sqlite3.connect(database_file)
            try:
                with dest:
                    source.backup(dest)
            finally:
                dest.close()
                source.close()
        elif kind == "postgresql" and database_file is None:
            progress("restoring the PostgreSQL database with pg_restore")
            db.engine.dispose()
            run = subprocess.run(
                [_pg_tool("pg_restore"), "--no-owner", "--clean", "--if-exists",
                 "--dbname", _libpq_url(db.url), str(dump)],
                capture_output=True, text=True,
            )  # fmt: skip
            if run.returncode != 0:
                raise BackupError(f"pg_restore failed: {run.stderr.strip()}")
        else:
            raise BackupError(
                f"This backup holds a {kind} database but MOTORMALL_DATABASE_URL names another"
                " kind: point it at the same kind of database."
            )
        for i, rel in enumerate(manifest["files"], start=1):
            dest_path = settings.var_dir / rel
            dest_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(work / "files" / rel, dest_path)
            if i % 200 == 0 or i == len(manifest["files"]):
                progress(f"restored {i}/{len(manifest['files'])} files")
    found = counts(db)
    if found != manifest["counts"]:
        raise BackupError(f"Restored rows differ from the backup: {found} != {manifest['counts']}")
    progress(f"restored {archive.name}: {found}")
    return found
