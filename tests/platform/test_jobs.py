"""Jobs leave only after the transaction that asked for them commits."""

import pytest

from motormall.platform import jobs

sent = []


@jobs.task("tests.remember")
def remember(value):
    sent.append(value)


def test_jobs_wait_for_commit_and_vanish_on_rollback(db):
    sent.clear()
    with db.transaction() as s:
        jobs.after_commit(s, "tests.remember", "kept")
        assert sent == []
    assert sent == ["kept"]
    with pytest.raises(RuntimeError), db.transaction() as s:
        jobs.after_commit(s, "tests.remember", "dropped")
        raise RuntimeError
    assert sent == ["kept"]


def test_a_job_name_nobody_declared_fails_at_once(db):
    with pytest.raises(LookupError, match="no job named"), db.transaction() as s:
        jobs.after_commit(s, "tests.no_such_job", 1)


def test_housekeeping_purges_what_expired(db):
    import datetime as dt

    from motormall.platform import idempotency
    from motormall.platform.db import use_database
    from motormall.platform.maintenance import purge

    use_database(db)
    with db.transaction() as s:
        idempotency.begin(s, scope="s", key="old", body={})
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert purge(later)["idempotency_keys"] == 1
