"""Finance's lock order: a debit's last failure flags its contract for collections while a
cancel closes the same contract. The collection run takes the contract before the
instalment, as the cancel does; taking it only at the failure (instalment → contract
against the cancel's contract → instalments) deadlocked on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select, update

from motormall.finance import collections, contracts, jobs, policy
from motormall.finance.models import FinanceContract, Instalment, Mandate
from tests.finance.test_collections import _contracted, _sign
from tests.orders import helpers as oh


def test_a_last_failed_debit_and_a_cancel_do_not_deadlock(client, db, settings, monkeypatch):
    net, buyer, order, admin, base = _contracted(client, db)
    _sign(client, buyer, base, settings)
    with db.transaction() as s:
        _, values = policy.current(s)
        s.execute(update(Mandate).values(sandbox_refusals=1))
        s.execute(  # the next refusal is the last the policy allows
            update(Instalment)
            .where(Instalment.n == 1)
            .values(failed_attempts=values["max_failed_collections"] - 1)
        )
    failing, cancelling = threading.Event(), threading.Event()
    failed, open_instalments = collections.collection_failed, contracts.open_instalments

    def collection_failed(session, instalment_id, **kw):
        # the run holds the instalment here; give the cancel time to take the contract
        failing.set()
        cancelling.wait(timeout=3)  # never set once the run holds the contract as well
        return failed(session, instalment_id, **kw)

    def watched_open_instalments(session, contract_id, *, lock=False):
        if lock and failing.is_set():
            cancelling.set()  # the cancel holds the contract and now asks for instalments
        return open_instalments(session, contract_id, lock=lock)

    monkeypatch.setattr(collections, "collection_failed", collection_failed)
    monkeypatch.setattr(contracts, "open_instalments", watched_open_instalments)
    outcome, errors = {}, []

    def run():
        try:
            outcome.update(jobs.collect_due(dt.datetime.now(dt.UTC) + dt.timedelta(days=31), db=db))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    assert failing.wait(timeout=60)
    r = client.post(f"{base}/cancel", headers=buyer)
    runner.join()
    assert errors == [] and r.status_code == 200, (errors, r.text)
    assert outcome.get("collections") == 1
    with db.reading() as s:
        contract = s.scalar(select(FinanceContract))
        assert (contract.status, contract.collections) == ("cancelled", True)
    assert oh.ledger(client, db, net)[0]
