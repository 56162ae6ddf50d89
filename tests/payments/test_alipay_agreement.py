"""Alipay recurring debits, offline: agreement sign-up and agreement pay requests reproduced
exactly against the SDK's signing and checked with our public key; the answers and the
agreement notifications played by a key pair standing in for Alipay's."""

import json
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from alipay import AliPay
from cryptography.exceptions import InvalidSignature

from motormall.payments.providers import BadSignature, ProviderError
from motormall.payments.providers.alipay import AlipayProvider
from tests.payments import alipay_fakes as fake


@pytest.fixture(scope="module")
def keys():
    return fake.new_keys()


@pytest.fixture
def provider(keys):
    return AlipayProvider(fake.alipay_settings(keys))


def _sdk(keys) -> AliPay:
    return AliPay(
        appid=fake.APP_ID,
        app_notify_url=None,
        app_private_key_string=fake.private_pem(keys[0]),
        alipay_public_key_string=fake.public_pem(keys[1]),
    )


def _query(url: str) -> dict:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def _exactly_as_the_sdk_signs(keys, url: str) -> dict:
    """The request is signed with our key over Alipay's signing string, and is byte for byte
    what the SDK makes of the same fields."""
    params = _query(url)
    fake.verify_request(keys[0].public_key(), params)
    with pytest.raises(InvalidSignature):
        fake.verify_request(keys[1].public_key(), params)
    unsigned = {k: v for k, v in params.items() if k != "sign"}
    assert url == f"{fake.GATEWAY}?{_sdk(keys).sign_data(unsigned)}"
    return params


def test_the_sign_up_page_request(provider, keys):
    url = provider.mandate_sign_url(mandate_id="m1", return_url="http://127.0.0.1:8000/orders/o1")
    params = _exactly_as_the_sdk_signs(keys, url)
    assert params["method"] == "alipay.user.agreement.page.sign"
    assert params["app_id"] == fake.APP_ID and params["sign_type"] == "RSA2"
    assert params["notify_url"] == "http://127.0.0.1:8000/api/v1/finance/mandates/notify/alipay"
    assert params["return_url"] == "http://127.0.0.1:8000/orders/o1"
    assert json.loads(params["biz_content"]) == {
        "personal_product_code": "GENERAL_WITHHOLDING_P",
        "product_code": "GENERAL_WITHHOLDING",
        "sign_scene": "DEFAULT|DEFAULT",
        "external_agreement_no": "m1",
        "access_params": {"channel": "ALIPAYAPP"},
    }


def _debit(provider):
    return provider.debit(
        intent_id="intent0002",
        mandate_ref="20245201000000000001",
        amount=Decimal("8812.34"),
        currency="CNY",
        subject="motormall instalment 1",
        session=None,
    )


PAID = {
    "code": "10000",
    "msg": "Success",
    "trade_no": "2024060122001400000000000002",
    "out_trade_no": "intent0002",
    "total_amount": "8812.34",
}


def test_agreement_pay_request_and_a_paid_answer(provider, keys, monkeypatch):
    seen = []
    fake.fake_gateway(monkeypatch, keys[1], "alipay_trade_pay_response", PAID, seen)
    notice = _debit(provider)
    params = _exactly_as_the_sdk_signs(keys, seen[0])
    assert params["method"] == "alipay.trade.pay"
    assert params["notify_url"] == "http://127.0.0.1:8000/api/v1/payments/notify/alipay"
    assert json.loads(params["biz_content"]) == {
        "out_trade_no": "intent0002",
        "total_amount": "8812.34",
        "subject": "motormall instalment 1",
        "product_code": "GENERAL_WITHHOLDING",
        "agreement_params": {"agreement_no": "20245201000000000001"},
    }
    assert (notice.intent_id, notice.status, notice.amount) == (
        "intent0002",
        "succeeded",
        Decimal("8812.34"),
    )
    assert notice.provider_ref == PAID["trade_no"]
    assert notice.notification_id == "debit-intent0002"  # the same answer again: a duplicate


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (
            {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.BUYER_BALANCE_NOT_ENOUGH"},
            "failed",
        ),
        ({"code": "10003", "msg": "Waiting", "out_trade_no": "intent0002"}, "pending"),
    ],
)
def test_refused_and_waiting_answers(provider, keys, monkeypatch, answer, status):
    fake.fake_gateway(monkeypatch, keys[1], "alipay_trade_pay_response", answer, [])
    assert _debit(provider).status == status


@pytest.mark.parametrize(
    ("signer", "answer"),
    [
        (0, PAID),  # forged: signed by someone else's key
        (1, {**PAID, "out_trade_no": "intent9999"}),  # for another trade
        (1, {k: v for k, v in PAID.items() if k != "total_amount"}),  # paid, but how much?
        (1, {"code": "20000", "msg": "Service Currently Unavailable"}),
    ],
)
def test_answers_we_cannot_trust_are_provider_errors(provider, keys, monkeypatch, signer, answer):
    fake.fake_gateway(monkeypatch, keys[signer], "alipay_trade_pay_response", answer, [])
    with pytest.raises(ProviderError):
        _debit(provider)


def test_a_tampered_answer_is_a_provider_error(provider, keys, monkeypatch):
    import alipay

    class Reply:
        def read(self):
            raw = fake.gateway_reply(keys[1], "alipay_trade_pay_response", PAID)
            return raw.replace("8812.34", "0.01").encode()

    monkeypatch.setattr(alipay, "urlopen", lambda url, timeout: Reply())
    with pytest.raises(ProviderError):
        _debit(provider)


def sign_notice(key, **changes) -> dict:
    params = {
        "notify_type": "dut_user_sign",
        "notify_id": "4a3bf7a0f2cb4f0b8b1e8f1e6c0d0001",
        "notify_time": "2024-05-01 12:00:05",
        "app_id": fake.APP_ID,
        "partner_id": fake.SELLER_ID,
        "sign_type": "RSA2",
        "charset": "utf-8",
        "agreement_no": "20245201000000000001",
        "external_agreement_no": "m1",
        "status": "NORMAL",
        "alipay_user_id": "2088102000000001",
        "personal_product_code": "GENERAL_WITHHOLDING_P",
        "sign_scene": "DEFAULT|DEFAULT",
        "sign_time": "2024-05-01 12:00:04",
    }
    params.update(changes)
    return fake.signed(key, {k: v for k, v in params.items() if v is not None})


def test_agreement_notifications_parse(provider, keys):
    signed_up = provider.parse_mandate_notification(fake.HEADERS, fake.body(sign_notice(keys[1])))
    assert (signed_up.mandate_id, signed_up.provider_ref, signed_up.status) == (
        "m1",
        "20245201000000000001",
        "active",
    )
    ended = sign_notice(keys[1], notify_type="dut_user_unsign", status="UNSIGN")
    assert provider.parse_mandate_notification(fake.HEADERS, fake.body(ended)).status == "ended"


@pytest.mark.parametrize(
    "params",
    [
        "forged",
        "tampered",
        {"partner_id": "2088000000000009"},
        {"partner_id": None},
        {"app_id": "2021000000000002"},
        {"status": "TEMP"},
        {"notify_type": "trade_status_sync"},
        {"agreement_no": None},
    ],
)
def test_agreement_notifications_we_refuse(provider, keys, params):
    if params == "forged":
        form = sign_notice(keys[0])
    elif params == "tampered":
        form = sign_notice(keys[1])
        form["external_agreement_no"] = "m2"
    else:
        form = sign_notice(keys[1], **params)
    with pytest.raises(BadSignature):
        provider.parse_mandate_notification(fake.HEADERS, fake.body(form))
