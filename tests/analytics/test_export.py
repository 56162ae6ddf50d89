"""The columnar copy: incremental, honest about what it lacks, robust to ids that commit out
of order, and rebuilt when the database under it is replaced."""

import datetime as dt

from sqlalchemy import insert

from motormall.analytics import jobs
from motormall.analytics.store import Store, catch_up
from motormall.platform.events import DomainEvent
from tests import factories as f

NOW = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)


def _event(s, id_, type_="lead.assigned", at=NOW):
    s.execute(
        insert(DomainEvent).values(
            id=id_,
            at=at,
            type=type_,
            customer_id=f"c{id_}",
            entity_type="lead",
            entity_id=f"l{id_}",
            payload={},
        )
    )


def _export(db, store, now=NOW):
    with store.locked(wait=True), db.reading() as s:
        return catch_up(s.connection(), store, now=now)


def _rows(store):
    import duckdb

    files = store.files()
    if not files:
        return 0
    return duckdb.sql(f"SELECT count(*) FROM read_parquet({files!r})").fetchone()[0]


def test_each_run_copies_only_what_is_new(db, tmp_path):
    store = Store(tmp_path / "analytics")
    with db.transaction() as s:
        for i in range(1, 6):
            _event(s, i)
    assert _export(db, store) == 5
    assert _export(db, store) == 0
    with db.transaction() as s:
        _event(s, 6)
    assert _export(db, store) == 1
    assert _rows(store) == 6 and store.state().last_id == 6


def test_an_id_that_commits_after_a_higher_one_is_still_copied(db, tmp_path):
    store = Store(tmp_path / "analytics")
    with db.transaction() as s:
        _event(s, 1)
        _event(s, 3)  # 2 belongs to a transaction still open
    assert _export(db, store) == 2
    assert store.state().gaps.keys() == {"2"}
    with db.transaction() as s:
        _event(s, 2)
    assert _export(db, store, NOW + dt.timedelta(minutes=1)) == 1
    assert store.state().gaps == {} and _rows(store) == 3


def test_a_gap_is_given_up_after_a_while(db, tmp_path):
    store = Store(tmp_path / "analytics")
    with db.transaction() as s:
        _event(s, 1)
        _event(s, 3)
    _export(db, store)
    _export(db, store, NOW + dt.timedelta(minutes=11))  # rolled back, long ago
    assert store.state().gaps == {}


def test_a_replaced_database_starts_the_copy_again(db, tmp_path):
    store = Store(tmp_path / "analytics")
    with db.transaction() as s:
        for i in range(1, 4):
            _event(s, i)
    _export(db, store)
    with db.transaction() as s:
        s.query(DomainEvent).delete()
        _event(s, 1)
    assert _export(db, store) == 1 and _rows(store) == 1


def test_many_small_runs_are_merged_into_one_file(db, tmp_path):
    store = Store(tmp_path / "analytics")
    for i in range(1, 20):
        with db.transaction() as s:
            _event(s, i)
        _export(db, store)
    assert len(store.files()) <= 17 and _rows(store) == 19


def test_a_read_far_behind_answers_from_the_copy_and_says_how_old_it_is(
    client, db, settings, tmp_path
):
    net = f.network(db)
    admin = f.token(client, net["users"]["admin"])
    jobs.export(settings, db)
    settings.analytics_catch_up_on_read = 0  # reads never copy: only the job does
    with db.transaction() as s:
        _event(s, 10_000, at=dt.datetime.now(dt.UTC))
    stale = client.get("/api/v1/admin/analytics/funnel", headers=admin).json()
    assert stale["pending_events"] > 0 and stale["counts"]["lead"] == 0
    jobs.export(settings, db)
    fresh = client.get("/api/v1/admin/analytics/funnel", headers=admin).json()
    assert fresh["pending_events"] == 0 and fresh["counts"]["lead"] == 1
    assert fresh["as_of"] > stale["as_of"]


def test_a_first_copy_in_one_pass_holds_the_same_rows(client, db, tmp_path, monkeypatch):
    """Far behind on SQLite, DuckDB's scanner copies in one pass; the rows are the same as
    the incremental path's (on PostgreSQL both runs take the incremental path)."""
    import duckdb

    from motormall.analytics import store as analytics_store
    from tests.analytics.test_dashboards_api import story

    story(client, db, f.network(db))
    one_pass, batches = Store(tmp_path / "one"), Store(tmp_path / "batches")
    monkeypatch.setattr(analytics_store, "BULK", 0)
    _export(db, one_pass)
    monkeypatch.setattr(analytics_store, "BULK", 10**9)
    _export(db, batches)

    def rows(store):
        return duckdb.sql(f"SELECT * FROM read_parquet({store.files()!r}) ORDER BY id").fetchall()

    assert rows(one_pass) == rows(batches) and len(rows(batches)) > 5
