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


def test_a_released_savepoint_does_not_send_and_a_rolled_back_one_drops_its_jobs(db):
    sent.clear()
    with db.transaction() as s:
        jobs.after_commit(s, "tests.remember", "outer")
        with s.begin_nested():
            jobs.after_commit(s, "tests.remember", "kept savepoint")
        assert sent == []  # releasing a savepoint commits nothing
        with pytest.raises(RuntimeError), s.begin_nested():
            jobs.after_commit(s, "tests.remember", "rolled back savepoint")
            with s.begin_nested():
                jobs.after_commit(s, "tests.remember", "inside the rolled back one")
            raise RuntimeError
        assert sent == []
    assert sent == ["outer", "kept savepoint"]
