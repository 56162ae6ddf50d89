"""The credit bureau is asked outside the application's transaction: while it thinks, the
order is not locked (another transaction may change it), and when it fails nothing of the
application is written. The bureau is a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from motormall.finance.models import FinanceApplication
from motormall.orders.models import Order
from tests.finance.helpers import GOOD, apply, declare, financed_order


class Bureau:
    """Answers POST with a score; `during` runs (in the server's thread) before it answers;
    `fail` makes it answer 500."""

    def __init__(self):
        self.during = None
        self.fail = False
        self.asked = 0
        bureau = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                bureau.asked += 1
                if bureau.during is not None:
                    bureau.during()
                if bureau.fail:
                    self.send_response(500)
                    self.end_headers()
                    return
                body = json.dumps({"score": 880, "reasons": [], "model_version": "b1"}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/score"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def bureau():
    b = Bureau()
    yield b
    b.server.shutdown()
    b.server.server_close()


@pytest.fixture
def bureau_client(db, settings, bureau):
    from motormall.app import create_app

    update_ = {
        "credit_provider": "bureau",
        "credit_bureau_url": bureau.url,
        "credit_bureau_key": "k",
    }
    with TestClient(create_app(settings.model_copy(update=update_), db, run_jobs=False)) as c:
        yield c


def _applications(db) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(FinanceApplication))


def _status(db, order_id) -> str:
    with db.reading() as s:
        return s.scalar(select(Order.status).where(Order.id == order_id))


def test_the_order_is_not_held_while_the_bureau_thinks(bureau_client, db, bureau):
    net, buyer, order, admin = financed_order(bureau_client, db)
    declare(bureau_client, buyer, GOOD)
    wrote = []

    def cancel_meanwhile():  # would wait on the application's lock if it held one
        with db.transaction() as s:
            s.execute(update(Order).where(Order.id == order["id"]).values(status="cancelled"))
        wrote.append(True)

    bureau.during, bureau.asked = cancel_meanwhile, 0
    r = apply(bureau_client, buyer, order["id"])
    assert wrote == [True] and bureau.asked == 1
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    assert _applications(db) == 0


def test_a_failing_bureau_leaves_nothing_half_written(bureau_client, db, bureau):
    net, buyer, order, admin = financed_order(bureau_client, db)
    declare(bureau_client, buyer, GOOD)
    bureau.fail = True
    r = apply(bureau_client, buyer, order["id"])
    assert r.status_code == 503 and r.json()["code"] == "credit_bureau_unavailable"
    assert _applications(db) == 0 and _status(db, order["id"]) == "deposit_paid"
    bureau.fail = False  # back: the same application goes through
    r = apply(bureau_client, buyer, order["id"])
    assert r.status_code == 201, r.text
    assert r.json()["decision"] == "approved" and _applications(db) == 1


def test_a_profile_changed_while_the_bureau_thought_is_applied_again(bureau_client, db, bureau):
    net, buyer, order, admin = financed_order(bureau_client, db)
    declare(bureau_client, buyer, GOOD)

    def redeclare():
        from motormall.finance.models import CreditProfile
        from motormall.platform.db import utcnow

        with db.transaction() as s:
            s.execute(update(CreditProfile).values(updated_at=utcnow()))

    bureau.during = redeclare
    r = apply(bureau_client, buyer, order["id"])
    assert r.status_code == 409 and r.json()["code"] == "credit_inputs_changed"
    assert _applications(db) == 0


def test_declaring_a_profile_holds_nothing_while_the_bureau_thinks(bureau_client, db, bureau):
    net, buyer, order, admin = financed_order(bureau_client, db)
    declare(bureau_client, buyer, GOOD)
    wrote = []

    def touch_the_profile_meanwhile():  # would wait on the declaration's lock if it held one
        from motormall.finance.models import CreditProfile

        with db.transaction() as s:
            s.execute(update(CreditProfile).values(employment_years=3))
        wrote.append(True)

    bureau.during, bureau.asked = touch_the_profile_meanwhile, 0
    r = bureau_client.put("/api/v1/me/credit-profile", json=GOOD, headers=buyer)
    assert r.status_code == 200, r.text
    assert wrote == [True] and bureau.asked == 1 and r.json()["score"] == 880
    with db.reading() as s:  # the declaration, stored after the bureau answered, is what counts
        from motormall.finance.models import CreditProfile

        assert s.scalar(select(CreditProfile.employment_years)) == GOOD["employment_years"]
    bureau.during, bureau.fail = None, True  # a failing bureau stores nothing
    changed = {**GOOD, "employment_years": 5}
    r = bureau_client.put("/api/v1/me/credit-profile", json=changed, headers=buyer)
    assert r.status_code == 503 and r.json()["code"] == "credit_bureau_unavailable"
    with db.reading() as s:
        assert s.scalar(select(CreditProfile.employment_years)) == GOOD["employment_years"]
