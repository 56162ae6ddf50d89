"""Idempotency keys: replay, refusal of a different body, and a race between two requests."""

import threading

import pytest

from motormall.platform import idempotency
from motormall.platform.errors import Invalid


def _attempt(db, key, body, answer):
    with db.transaction() as s:
        replay = idempotency.begin(s, scope="u1:POST /x", key=key, body=body)
        if replay:
            return replay.body
        idempotency.finish(s, scope="u1:POST /x", key=key, status_code=201, body=answer)
        return answer


def test_a_repeat_returns_the_first_response(db):
    assert _attempt(db, "k1", {"vin": "A"}, {"id": 1}) == {"id": 1}
    assert _attempt(db, "k1", {"vin": "A"}, {"id": 2}) == {"id": 1}
    assert _attempt(db, "k2", {"vin": "A"}, {"id": 3}) == {"id": 3}


def test_the_same_key_with_another_body_is_refused(db):
    _attempt(db, "k1", {"vin": "A"}, {"id": 1})
    with pytest.raises(Invalid) as err:
        _attempt(db, "k1", {"vin": "B"}, {"id": 2})
    assert err.value.code == "idempotency_key_reused"


def test_a_rolled_back_request_leaves_its_key_free(db):
    with pytest.raises(RuntimeError), db.transaction() as s:
        idempotency.begin(s, scope="u1:POST /x", key="k1", body={})
        raise RuntimeError("the work failed")
    assert _attempt(db, "k1", {}, {"id": 9}) == {"id": 9}


def test_racing_requests_with_one_key_do_the_work_once(db):
    results, errors = [], []
    barrier = threading.Barrier(8)

    def run(n):
        barrier.wait()
        try:
            results.append(_attempt(db, "same", {"vin": "A"}, {"id": n}))
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 8 and len({r["id"] for r in results}) == 1
