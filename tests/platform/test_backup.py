"""Backup and restore: an archive of a live database restores into a fresh place with every
order, payment and ledger posting, on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import tarfile

import pytest
from sqlalchemy import create_engine, select, text

from motormall.orders.models import Order
from motormall.payments.ledger import LedgerPosting
from motormall.platform import backup
from motormall.platform.config import Settings
from motormall.platform.db import Database
from tests.orders import helpers as h


def _fresh_database(request, db: Database, tmp_path) -> Database:
    if db.url.startswith("sqlite"):
        return Database(f"sqlite:///{tmp_path / 'restored' / 'motormall.db'}")
    server = request.getfixturevalue("pg_server_url")
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "mm_restore" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "mm_restore"'))
    admin.dispose()
    return Database(f"{server}/mm_restore")


def _snapshot(db: Database):
    with db.reading() as s:
        orders = sorted(s.execute(select(Order.id, Order.status, Order.vin)).all())
        postings = sorted(
            s.execute(
                select(
                    LedgerPosting.account,
                    LedgerPosting.debit,
                    LedgerPosting.credit,
                    LedgerPosting.transaction_id,
                )
            ).all()
        )
    return orders, postings


def test_backup_restores_every_order_payment_and_posting(request, client, db, settings, tmp_path):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    h.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    h.reserve(client, buyer, vins[1])
    photo = settings.var_dir / "media" / "photos" / "a.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"\xff\xd8 not really a jpeg, but a file the restore must bring back")
    (settings.var_dir / "models").mkdir(parents=True, exist_ok=True)
    (settings.var_dir / "models" / "big.onnx").write_bytes(b"rebuilt on first use")
    said: list[str] = []

    archive = backup.backup(settings, db, tmp_path / "out", progress=said.append)

    assert archive.name.startswith("motormall-") and archive.suffixes[-2:] == [".tar", ".gz"]
    assert any("wrote" in line for line in said)
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert "files/media/photos/a.jpg" in names and "files/models/big.onnx" not in names
    before = _snapshot(db)
    assert len(before[0]) == 2 and len(before[1]) >= 2

    fresh = _fresh_database(request, db, tmp_path)
    target = Settings(var_dir=tmp_path / "restored", secret_key="x")
    found = backup.restore(target, fresh, archive, progress=said.append)

    assert found["orders"] == 2 and found["ledger_postings"] == len(before[1])
    assert _snapshot(fresh) == before
    assert (target.var_dir / "media" / "photos" / "a.jpg").read_bytes() == photo.read_bytes()
    # a second restore over data already there is refused unless forced
    with pytest.raises(backup.BackupError, match="--force"):
        backup.restore(target, fresh, archive)
    assert backup.restore(target, fresh, archive, force=True) == found
    fresh.dispose()


def test_restore_refuses_a_damaged_or_foreign_archive(db, settings, tmp_path):
    upgrade_target = Database(f"sqlite:///{tmp_path / 'x.db'}")
    archive = backup.backup(settings, db, tmp_path / "out")
    with pytest.raises(backup.BackupError, match="No backup"):
        backup.restore(settings, upgrade_target, tmp_path / "missing.tar.gz")
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    with pytest.raises(backup.BackupError, match="not a readable"):
        backup.restore(settings, upgrade_target, junk)
    # an archive whose database copy was altered after the manifest was written
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(bad, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("database."):
                data = data[:-1] + bytes([data[-1] ^ 1])
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.restore(settings, upgrade_target, bad)
    # the restore target is untouched by all three refusals
    assert backup.counts(upgrade_target) == {}
    upgrade_target.dispose()
