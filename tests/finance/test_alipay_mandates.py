"""The Alipay mandate end to end (offline): sign-up page, the signed sign-up notice (forged,
tampered and replayed ones change nothing), agreement pay in the collection run, and the
buyer ending the agreement."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from motormall.finance import jobs, mandates
from motormall.finance.models import Instalment, Mandate
from motormall.platform.audit import AuditEntry
from tests.finance.test_collections import _contracted, _sign
from tests.orders import helpers as oh
from tests.payments import alipay_fakes as fake
from tests.payments.test_alipay_agreement import sign_notice

URL = "/api/v1/finance/mandates/notify/alipay"


@pytest.fixture(scope="module")
def keys():
    return fake.new_keys()


def _alipay_client(db, settings, keys):
    from motormall.app import create_app

    update = {**fake.alipay_values(keys), "payment_provider": "alipay"}
    return TestClient(create_app(settings.model_copy(update=update), db, run_jobs=False))


def _notify(client, form):
    return client.post(URL, content=fake.body(form), headers=fake.HEADERS)


def _mandate(db) -> Mandate:
    with db.reading() as s:
        return s.scalar(select(Mandate))


def _run(db, days):
    return jobs.collect_due(dt.datetime.now(dt.UTC) + dt.timedelta(days=days), db=db)


def test_an_alipay_mandate_from_sign_up_to_debit_to_its_end(
    client, db, settings, keys, monkeypatch
):
    net, buyer, order, admin, base = _contracted(client, db)
    with _alipay_client(db, settings, keys) as alipay:
        r = alipay.post(f"{base}/mandate", headers=buyer)
        assert r.status_code == 201, r.text
        mandate = r.json()
        assert mandate["provider"] == "alipay" and mandate["status"] == "pending"
        page = dict(parse_qsl(urlsplit(mandate["sign_url"]).query))
        assert mandate["sign_url"].startswith(fake.GATEWAY + "?")
        assert page["method"] == "alipay.user.agreement.page.sign"
        assert json.loads(page["biz_content"])["external_agreement_no"] == mandate["id"]

        signed_up = sign_notice(keys[1], external_agreement_no=mandate["id"])
        forged = sign_notice(keys[0], external_agreement_no=mandate["id"])
        tampered = {**signed_up, "agreement_no": "20245201000000000666"}
        other_seller = sign_notice(
            keys[1], external_agreement_no=mandate["id"], partner_id="2088000000000009"
        )
        for bad in (forged, tampered, other_seller):
            r = _notify(alipay, bad)
            assert r.status_code == 400 and r.json()["code"] == "bad_signature"
        assert _mandate(db).status == "pending"
        assert _run(db, 31) == {"late": 0}  # not signed yet: nothing is debited

        for _ in range(2):  # the replay changes nothing
            r = _notify(alipay, signed_up)
            assert r.status_code == 200 and r.text == "success"
        m = _mandate(db)
        assert (m.status, m.provider_ref) == ("active", "20245201000000000001")

        # month end: agreement pay, answered by "Alipay" through the SDK's own HTTP path
        seen: list[str] = []
        with db.reading() as s:
            first = s.scalar(select(Instalment).where(Instalment.n == 1))
            amount = f"{first.principal + first.interest:.2f}"

        def answer(url_seen):
            biz = json.loads(dict(parse_qsl(urlsplit(url_seen).query))["biz_content"])
            return {
                "code": "10000",
                "msg": "Success",
                "trade_no": "2024t1",
                "out_trade_no": biz["out_trade_no"],
                "total_amount": amount,
            }

        import alipay as sdk

        class Reply:
            def __init__(self, raw):
                self.raw = raw

            def read(self):
                return self.raw.encode()

        def urlopen(url, timeout):
            seen.append(url)
            return Reply(fake.gateway_reply(keys[1], "alipay_trade_pay_response", answer(url)))

        monkeypatch.setattr(sdk, "urlopen", urlopen)
        assert _run(db, 31) == {"late": 0, "applied": 1}
        biz = json.loads(dict(parse_qsl(urlsplit(seen[0]).query))["biz_content"])
        assert biz["agreement_params"] == {"agreement_no": "20245201000000000001"}
        assert biz["product_code"] == "GENERAL_WITHHOLDING" and biz["total_amount"] == amount
        items = alipay.get(f"{base}/instalments", headers=buyer).json()["items"]
        assert items[0]["status"] == "paid"
        balanced, accounts = oh.ledger(alipay, db, net)
        assert balanced and Decimal(accounts["customer_instalments"]) == 0

        # the buyer ends the agreement at Alipay: a replayed sign-up cannot revive it
        ended = sign_notice(
            keys[1],
            external_agreement_no=mandate["id"],
            notify_type="dut_user_unsign",
            status="UNSIGN",
            notify_id="n-unsign",
        )
        assert _notify(alipay, ended).status_code == 200
        assert _notify(alipay, signed_up).status_code == 200
        assert _mandate(db).status == "ended"
        assert _run(db, 62) == {"late": 0}  # nothing is debited any more
        assert len(seen) == 1


def test_a_debit_alipay_refuses_is_retried(client, db, settings, keys, monkeypatch):
    net, buyer, order, admin, base = _contracted(client, db)
    with _alipay_client(db, settings, keys) as alipay:
        mandate = alipay.post(f"{base}/mandate", headers=buyer).json()
        assert _notify(alipay, sign_notice(keys[1], external_agreement_no=mandate["id"])).is_success
        refusal = {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": "ACQ.BUYER_BALANCE_NOT_ENOUGH",
        }
        fake.fake_gateway(monkeypatch, keys[1], "alipay_trade_pay_response", refusal, [])
        assert _run(db, 31) == {"late": 0, "retry": 1}
        unanswered = {"code": "20000", "msg": "Service Currently Unavailable"}
        fake.fake_gateway(monkeypatch, keys[1], "alipay_trade_pay_response", unanswered, [])
        assert _run(db, 33) == {"late": 0, "unanswered": 1}  # its intent waits for reconciling
        assert oh.ledger(alipay, db, net)[0]


def test_a_cancel_ends_the_agreement_at_alipay_after_commit_and_retries(
    client, db, settings, keys, monkeypatch
):
    net, buyer, order, admin, base = _contracted(client, db)
    unsign = "alipay_user_agreement_unsign_response"
    with _alipay_client(db, settings, keys) as alipay:
        mandate = alipay.post(f"{base}/mandate", headers=buyer).json()
        signed_up = sign_notice(keys[1], external_agreement_no=mandate["id"])
        assert _notify(alipay, signed_up).is_success
        seen, committed = [], []
        refusal = {"code": "20000", "msg": "Service Currently Unavailable"}
        fake.fake_gateway(monkeypatch, keys[1], unsign, refusal, seen)
        import alipay as sdk

        asked = sdk.urlopen

        def urlopen(url, timeout):  # what another connection sees while Alipay is asked
            committed.append(_mandate(db).status)
            return asked(url, timeout)

        monkeypatch.setattr(sdk, "urlopen", urlopen)
        assert alipay.post(f"{base}/cancel", headers=buyer).status_code == 200
        m = _mandate(db)
        assert m.status == "ended" and m.provider_end == "pending"
        # asked by the job after the cancel committed (never inside it), and refused
        assert committed and set(committed) == {"ended"}
        assert m.end_attempts == len(seen) and "Service Currently Unavailable" in m.end_error

        assert jobs.end_mandate_now(m.id) == "retry"  # still refused: tried again later
        assert _mandate(db).end_attempts == len(seen)
        ok = {"code": "10000", "msg": "Success"}
        fake.fake_gateway(monkeypatch, keys[1], unsign, ok, seen)
        assert jobs.end_mandate_now(m.id) == "sent"
        assert jobs.end_mandate_now(m.id) == "done"  # a repeated job asks nothing
        query = dict(parse_qsl(urlsplit(seen[-1]).query))
        fake.verify_request(keys[0].public_key(), query)  # signed with our key, as the SDK does
        assert query["method"] == "alipay.user.agreement.unsign"
        biz = json.loads(query["biz_content"])
        assert biz["agreement_no"] == "20245201000000000001"
        assert biz["external_agreement_no"] == m.id
        m = _mandate(db)
        assert (m.provider_end, m.end_error) == ("done", None)


def test_an_unsign_alipay_keeps_refusing_is_left_for_a_person(
    client, db, settings, keys, monkeypatch
):
    net, buyer, order, admin, base = _contracted(client, db)
    with _alipay_client(db, settings, keys) as alipay:
        mandate = alipay.post(f"{base}/mandate", headers=buyer).json()
        assert _notify(alipay, sign_notice(keys[1], external_agreement_no=mandate["id"])).is_success
        refusal = {"code": "40004", "msg": "Business Failed", "sub_msg": "系统繁忙"}
        fake.fake_gateway(
            monkeypatch, keys[1], "alipay_user_agreement_unsign_response", refusal, []
        )
        assert alipay.post(f"{base}/cancel", headers=buyer).status_code == 200
        left = mandates.END_ATTEMPTS - _mandate(db).end_attempts  # the job after commit tried
        assert 0 < left < mandates.END_ATTEMPTS
        results = [jobs.end_mandate_now(mandate["id"]) for _ in range(left)]
        assert results == ["retry"] * (left - 1) + ["failed"]
        with db.reading() as s:
            assert [m.id for m in mandates.failed(s)] == [mandate["id"]]
            actions = set(s.scalars(select(AuditEntry.action)))
        assert "finance.mandate.end_failed" in actions
        assert jobs.end_mandate_now(mandate["id"]) == "done"  # no more tries: a person looks


def test_a_sandbox_mandate_ends_at_the_sandbox_too(client, db, settings):
    net, buyer, order, admin, base = _contracted(client, db)
    _sign(client, buyer, base, settings)
    assert client.post(f"{base}/cancel", headers=buyer).status_code == 200
    m = _mandate(db)  # the app's jobs ran after the cancel's commit
    assert m.status == "ended" and m.provider_end == "done"
