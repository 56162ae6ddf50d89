"""The `motormall` command line."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from motormall.platform.config import get_settings

app = typer.Typer(
    help="motormall: online-to-offline car retail.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
users_app = typer.Typer(help="Staff, admin and tower accounts.", no_args_is_help=True)
vision_app = typer.Typer(help="Photo search references and model evaluation.", no_args_is_help=True)
identity_app = typer.Typer(help="Customers' identity data at rest.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(vision_app, name="vision")
app.add_typer(identity_app, name="identity")


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _database():
    import motormall.handlers  # noqa: F401  commands publish events: wire their listeners
    from motormall.platform.db import get_database

    return get_database()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head"):
    """Create or migrate the database named by MOTORMALL_DATABASE_URL."""
    from motormall.platform.migrate import upgrade

    db = _database()
    upgrade(db, revision)
    _say(f"database at {db.engine.url.render_as_string(hide_password=True)} is at {revision}")


@db_app.command("revision", hidden=True)
def db_revision(message: Annotated[str, typer.Option("-m")]):
    """Developers: write a migration from the models' difference to the database."""
    from motormall.platform.migrate import autogenerate

    autogenerate(_database(), message)


@demo_app.command("seed")
def demo_seed():
    """Load the demo network: brands, dealers, towers, stock, accounts. Safe to run twice."""
    from motormall.demo.seed import seed
    from motormall.platform.migrate import upgrade

    started = time.perf_counter()
    db = _database()
    upgrade(db)
    with db.transaction() as session:
        counts = seed(session, progress=_say)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _say(
        f"demo seed done in {time.perf_counter() - started:.1f} s, peak memory {peak_mb:.0f} MB: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
    reload: bool = False,
):
    """Serve the API and the web pages."""
    import uvicorn

    settings = get_settings()
    worker_proc = None
    if workers > 1 and settings.embedded_worker:
        # several web processes must not each run the schedules: one job worker beside them
        os.environ["MOTORMALL_EMBEDDED_WORKER"] = "false"
        worker_proc = subprocess.Popen([sys.executable, "-m", "motormall.cli", "worker"])
    _say(f"motormall on http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''})")
    try:
        uvicorn.run(
            "motormall.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            reload=reload,
            log_level="warning",
            access_log=False,
        )
    finally:
        if worker_proc is not None:
            worker_proc.terminate()
            worker_proc.wait(timeout=30)


@app.command()
def worker(threads: Annotated[int, typer.Option(min=1, max=64)] = 2):
    """Run background jobs and schedules in the foreground."""
    import motormall.jobs  # noqa: F401  registers every domain's tasks
    from motormall.platform.jobs import run_worker

    settings = get_settings()
    _say(
        f"job worker on {'Redis' if settings.redis_url else 'embedded SQLite storage'}, "
        f"{threads} threads"
    )
    run_worker(workers=threads)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option()],
    role: Annotated[
        str, typer.Option(help="customer, dealer_staff, dealer_manager, oem_admin, tower")
    ],
    dealer: Annotated[str | None, typer.Option(help="dealer code, for dealer roles")] = None,
    tower: Annotated[str | None, typer.Option(help="tower code, for the tower role")] = None,
):
    """Create an account and print its id."""
    from motormall.catalog.service import dealer_by_code, tower_by_code
    from motormall.platform import audit
    from motormall.platform.auth import Role, create_user
    from motormall.platform.errors import DomainError

    try:
        role_value = Role(role)
    except ValueError:
        _say(f"unknown role {role!r}; use one of: {', '.join(r.value for r in Role)}")
        raise typer.Exit(2) from None
    try:
        with _database().transaction() as session:
            dealer_id = dealer_by_code(session, dealer).id if dealer else None
            tower_id = tower_by_code(session, tower).id if tower else None
            user = create_user(
                session,
                email=email,
                password=password,
                role=role_value,
                dealer_id=dealer_id,
                tower_id=tower_id,
            )
            audit.record(
                session,
                actor_id=None,
                action="user.create",
                entity_type="user",
                entity_id=user.id,
                detail={"role": role_value.value, "via": "cli"},
            )
    except DomainError as exc:
        _say(f"error: {exc.detail}")
        raise typer.Exit(1) from None
    typer.echo(user.id)


@app.command("import")
def import_inventory(
    dealer: Annotated[str, typer.Option(help="dealer code")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
):
    """Import a dealer's inventory CSV; prints the line-by-line report."""
    import json

    from motormall.catalog.inventory import import_inventory as run_import
    from motormall.catalog.service import dealer_by_code
    from motormall.platform.db import utcnow
    from motormall.platform.errors import DomainError

    try:
        with _database().transaction() as session:
            report = run_import(
                session,
                dealer_by_code(session, dealer),
                file.read_bytes(),
                actor_id=None,
                today=utcnow().date(),
            )
    except DomainError as exc:
        _say(f"error: {exc.detail}")
        raise typer.Exit(1) from None
    typer.echo(
        json.dumps(
            {
                "accepted": report.accepted,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": report.rejected,
            },
            indent=2,
        )
    )


@identity_app.command("rotate-keys")
def identity_rotate_keys(
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="rows per transaction")] = 200,
):
    """Re-encrypt every identity with the first of MOTORMALL_IDENTITY_KEYS (run after putting
    a new key first; then the old key may be removed). Safe to run again."""
    from motormall.customers.identity import rotate_all

    db, settings = _database(), get_settings()
    done = rotate_all(db.transaction, settings, progress=_say, batch=batch)
    _say(
        f"done: {done.resealed} re-encrypted, {done.current} already on the current key"
        + (f", {len(done.unreadable)} unreadable" if done.unreadable else "")
    )
    if done.unreadable:
        _say(
            "no configured key opens these customers' identities (was a key removed too "
            "early?): " + ", ".join(done.unreadable)
        )
        raise typer.Exit(1)


@identity_app.command("new-key")
def identity_new_key():
    """Print a fresh key to put first in MOTORMALL_IDENTITY_KEYS."""
    from motormall.customers.vault import new_key

    typer.echo(new_key())


@vision_app.command("enrol")
def vision_enrol(
    photos: Annotated[
        Path,
        typer.Option(
            exists=True,
            file_okay=False,
            help="one sub-folder per catalog model: its id (e.g. 12) or Brand_Model (BMW_iX3)",
        ),
    ],
):
    """Load reference photos for photo search; replaces those models' references."""
    from motormall.platform.errors import DomainError
    from motormall.vision import evaluate, service

    db, settings = _database(), get_settings()
    with db.reading() as session:
        known = service.models_by_folder_name(session)
    folders = evaluate.photos_by_folder(photos)
    done = failed = 0
    for n, (name, files) in enumerate(folders.items(), 1):
        model_id = known.get(name.casefold())
        if model_id is None:
            _say(f"[{n}/{len(folders)}] {name}: no such catalog model (use its id or Brand_Model)")
            failed += 1
            continue
        started = time.perf_counter()
        try:
            prepared = service.prepare_references(
                settings, [(f"{name}/{f.name}", f.read_bytes()) for f in files]
            )
            with db.transaction() as session:
                result = service.set_references(session, model_id, prepared, actor_id=None)
        except DomainError as exc:
            _say(f"[{n}/{len(folders)}] {name}: refused: {exc.detail}")
            failed += 1
            continue
        done += 1
        _say(
            f"[{n}/{len(folders)}] {name} → model {model_id}: {result['references']} reference "
            f"photos ({time.perf_counter() - started:.1f} s)"
        )
    _say(f"{done} models enrolled, {failed} folders refused; photo search retrains on its next use")
    if failed and not done:
        raise typer.Exit(1)


@vision_app.command("eval")
def vision_eval(
    cars: Annotated[
        Path | None, typer.Option(exists=True, file_okay=False, help="one folder per car model")
    ] = None,
    faces: Annotated[
        Path | None, typer.Option(exists=True, file_okay=False, help="one folder per person")
    ] = None,
    references: Annotated[int, typer.Option(min=1, help="first K photos per car folder")] = 8,
    enrol_fraction: Annotated[
        float | None,
        typer.Option(min=0.01, max=0.99, help="open set: enrol only this share of the car models"),
    ] = None,
    splits: Annotated[int, typer.Option(min=1, help="open set: random draws of models")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
):
    """Accuracy and latency on labelled folders (progress on stderr)."""
    import json

    from motormall.vision import evaluate

    if cars is None and faces is None:
        _say("give --cars DIR and/or --faces DIR")
        raise typer.Exit(2)
    try:
        result = evaluate.run(
            get_settings(),
            car_folder=cars,
            face_folder=faces,
            references=references,
            enrol_fraction=enrol_fraction,
            splits=splits,
            progress=_say,
        )
    except ValueError as exc:  # folders that do not fit the protocol
        _say(f"error: {exc}")
        raise typer.Exit(2) from None
    typer.echo(json.dumps(result, indent=None if as_json else 2))


@app.command()
def backup(
    to: Annotated[
        Path | None, typer.Option(help="folder for the archive; default var/backups")
    ] = None,
):
    """Write one archive with the database (a consistent online copy) and the files under var/."""
    from motormall.platform.backup import BackupError
    from motormall.platform.backup import backup as run_backup

    settings = get_settings()
    try:
        path = run_backup(settings, _database(), to or settings.var_dir / "backups", progress=_say)
    except BackupError as exc:
        _say(f"error: {exc}")
        raise typer.Exit(1) from None
    typer.echo(str(path))


@app.command()
def restore(
    archive: Path,
    force: Annotated[bool, typer.Option(help="replace a database that already has data")] = False,
):
    """Restore a `motormall backup` archive into the database and var/ named by the settings,
    then check every counted table against the archive's manifest."""
    from motormall.platform.backup import BackupError
    from motormall.platform.backup import restore as run_restore

    try:
        found = run_restore(get_settings(), _database(), archive, force=force, progress=_say)
    except BackupError as exc:
        _say(f"error: {exc}")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(found))


def main() -> None:
    app()


# last: `python -m motormall.cli` must see every command above
if __name__ == "__main__":
    main()
