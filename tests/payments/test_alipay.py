"""The Alipay adapter, offline: the test plays Alipay's part with a key pair of its own."""

import base64
import datetime as dt
import json
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import alipay
import pytest
from alipay import AliPay
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from motormall.payments import providers
from motormall.payments.providers import BadSignature, ProviderError
from motormall.payments.providers.alipay import AlipayProvider, pem
from motormall.platform.config import Settings
from motormall.platform.errors import NotFound
from tests.payments.alipay_fakes import (
    APP_ID,
    GATEWAY,
    HEADERS,
    SELLER_ID,
    alipay_settings,
    fake_gateway,
    new_keys,
    public_pem,
    signing_string,
    verify_request,
)
from tests.payments.alipay_fakes import body as _body
from tests.payments.alipay_fakes import notification as _notification
from tests.payments.alipay_fakes import private_pem as _private_pem
from tests.payments.alipay_fakes import sign as _sign


@pytest.fixture(scope="module")
def keys():
    return new_keys()


@pytest.fixture(scope="module")
def settings(keys):
    return alipay_settings(keys)


@pytest.fixture
def provider(settings):
    return AlipayProvider(settings)


def test_start_returns_a_pay_url_signed_with_our_key(provider, keys):
    checkout = provider.start(
        intent_id="intent0001",
        amount=Decimal("5000"),
        currency="CNY",
        subject="motormall deposit LVSHCAMB1CE000001",
        return_url="http://127.0.0.1:8000/orders/o1",
    )
    assert checkout.pay_url.startswith(GATEWAY + "?")
    params = dict(parse_qsl(urlsplit(checkout.pay_url).query, keep_blank_values=True))
    biz = json.loads(params["biz_content"])
    assert biz["out_trade_no"] == "intent0001"
    assert biz["total_amount"] == "5000.00"
    assert biz["product_code"] == "FAST_INSTANT_TRADE_PAY"
    assert params["method"] == "alipay.trade.page.pay"
    assert params["app_id"] == APP_ID
    assert params["notify_url"] == "http://127.0.0.1:8000/api/v1/payments/notify/alipay"
    assert params["return_url"] == "http://127.0.0.1:8000/orders/o1"
    assert params["sign_type"] == "RSA2"
    signature = base64.b64decode(params["sign"])
    signed = signing_string(params, leave_out=("sign",)).encode()
    keys[0].public_key().verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):  # and not with Alipay's key
        keys[1].public_key().verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())


def test_start_sends_time_expire_in_beijing_time_and_signs_it(provider, keys):
    held_until = dt.datetime(2024, 5, 1, 4, 15, 30, tzinfo=dt.UTC)
    checkout = provider.start(
        intent_id="intent0001",
        amount=Decimal("5000"),
        currency="CNY",
        subject="s",
        return_url="http://127.0.0.1:8000/orders/o1",
        expires_at=held_until,
    )
    params = dict(parse_qsl(urlsplit(checkout.pay_url).query, keep_blank_values=True))
    assert json.loads(params["biz_content"])["time_expire"] == "2024-05-01 12:15:30"
    verify_request(keys[0].public_key(), params)  # the expiry is inside what was signed
    # and byte for byte what the SDK itself makes of the same request
    sdk = AliPay(
        appid=APP_ID,
        app_notify_url=None,
        app_private_key_string=_private_pem(keys[0]),
        alipay_public_key_string=public_pem(keys[1]),
    )
    unsigned = {k: v for k, v in params.items() if k != "sign"}
    assert checkout.pay_url == f"{GATEWAY}?{sdk.sign_data(unsigned)}"


def test_start_without_an_expiry_sends_none(provider):
    checkout = provider.start(
        intent_id="i", amount=Decimal("1.00"), currency="CNY", subject="s", return_url="r"
    )
    params = dict(parse_qsl(urlsplit(checkout.pay_url).query))
    assert "time_expire" not in json.loads(params["biz_content"])


def test_start_takes_cny_only(provider):
    with pytest.raises(ProviderError):
        provider.start(
            intent_id="i", amount=Decimal("1.00"), currency="EUR", subject="s", return_url="r"
        )


def test_a_notification_signed_by_alipay_parses(provider, keys):
    notice = provider.parse_notification(HEADERS, _body(_notification(keys[1])))
    assert notice.notification_id == "ac05099524730693a8b330c5ecf72da9786"
    assert notice.intent_id == "intent0001"
    assert notice.provider_ref == "2024050122001400000000000001"
    assert notice.amount == Decimal("5000.00")
    assert notice.currency == "CNY"
    assert notice.status == "succeeded"
    assert notice.raw["subject"] == "motormall 定金 LVSHCAMB1CE000001"
    assert "sign" not in notice.raw


@pytest.mark.parametrize(
    ("trade_status", "status"),
    [
        ("TRADE_FINISHED", "succeeded"),
        ("WAIT_BUYER_PAY", "pending"),
        ("TRADE_CLOSED", "failed"),
    ],
)
def test_trade_status_maps_to_notice_status(provider, keys, trade_status, status):
    body = _body(_notification(keys[1], trade_status=trade_status))
    assert provider.parse_notification(HEADERS, body).status == status


def test_a_field_changed_after_signing_is_rejected(provider, keys):
    params = _notification(keys[1])
    params["total_amount"] = "0.01"
    with pytest.raises(BadSignature):
        provider.parse_notification(HEADERS, _body(params))


def test_a_notification_signed_by_another_key_is_rejected(provider, keys):
    with pytest.raises(BadSignature):
        provider.parse_notification(HEADERS, _body(_notification(keys[0])))


def test_a_notification_for_another_app_is_rejected(provider, keys):
    body = _body(_notification(keys[1], app_id="2021000000000002"))
    with pytest.raises(BadSignature, match="another Alipay app"):
        provider.parse_notification(HEADERS, body)


@pytest.mark.parametrize("seller", ["2088000000000009", "", None])
def test_a_notification_for_another_seller_is_rejected(provider, keys, seller):
    body = _body(_notification(keys[1], seller_id=seller))
    with pytest.raises(BadSignature, match="another Alipay seller"):
        provider.parse_notification(HEADERS, body)


def test_alipay_is_not_built_without_a_seller_to_check(keys):
    with pytest.raises(ValueError, match="SELLER_ID"):
        AlipayProvider(alipay_settings(keys, alipay_seller_id=""))


def test_an_unknown_sign_type_is_rejected(provider, keys):
    with pytest.raises(BadSignature):
        provider.parse_notification(HEADERS, _body(_notification(keys[1], sign_type="RSA")))


def test_a_signed_notification_without_trade_fields_is_rejected(provider, keys):
    params = _notification(keys[1])
    del params["notify_id"]
    params["sign"] = _sign(keys[1], signing_string(params))
    with pytest.raises(BadSignature, match="not an Alipay trade notification"):
        provider.parse_notification(HEADERS, _body(params))


@pytest.mark.parametrize(
    "body",
    [b"", b"garbage", b"\xff\xfe\x00", b'{"sign": "x"}', b"sign=&app_id=1", b"sign=%%%"],
)
def test_garbage_is_rejected(provider, body):
    with pytest.raises(BadSignature):
        provider.parse_notification(HEADERS, body)


def test_acknowledge_is_the_literal_success(provider):
    assert provider.acknowledge() == (b"success", "text/plain")


def test_pem_wraps_bare_base64_keys_so_the_sdk_accepts_them(keys):
    ours, theirs = keys
    for fmt, label in [
        (serialization.PrivateFormat.PKCS8, "PRIVATE KEY"),
        (serialization.PrivateFormat.TraditionalOpenSSL, "RSA PRIVATE KEY"),
    ]:
        der = ours.private_bytes(serialization.Encoding.DER, fmt, serialization.NoEncryption())
        wrapped = pem(base64.b64encode(der).decode(), "private")
        assert wrapped.startswith(f"-----BEGIN {label}-----\n")
        assert serialization.load_pem_private_key(wrapped.encode(), None).private_numbers() == (
            ours.private_numbers()
        )
    public_der = theirs.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    bare_public = base64.b64encode(public_der).decode()
    assert pem(bare_public, "public").startswith("-----BEGIN PUBLIC KEY-----\n")
    assert pem(public_pem(theirs), "public") == public_pem(theirs).strip()

    client = AliPay(
        appid=APP_ID,
        app_private_key_string=pem(base64.b64encode(der).decode(), "private"),
        alipay_public_key_string=pem(bare_public, "public"),
    )
    params = _notification(theirs)
    sign = params.pop("sign")
    assert client.verify(params, sign)


def test_a_provider_configured_with_bare_base64_keys_works(keys):
    ours, theirs = keys
    strip = lambda text: "".join(text.strip().splitlines()[1:-1])  # noqa: E731
    settings = Settings(
        alipay_app_id=APP_ID,
        alipay_app_private_key=strip(_private_pem(ours)),
        alipay_public_key=strip(public_pem(theirs)),
        alipay_seller_id=SELLER_ID,
        secret_key="x",
    )
    notice = AlipayProvider(settings).parse_notification(HEADERS, _body(_notification(theirs)))
    assert notice.status == "succeeded"


def test_refund_and_query_turn_network_failures_into_provider_errors(provider, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(provider.client, "api_alipay_trade_refund", unreachable)
    monkeypatch.setattr(provider.client, "api_alipay_trade_query", unreachable)
    with pytest.raises(ProviderError):
        _refund(provider)
    with pytest.raises(ProviderError):
        provider.query(intent_id="intent0001", session=None)


def test_a_timeout_inside_the_sdk_is_a_provider_error(provider, monkeypatch):
    def timeout(url, timeout):
        raise TimeoutError("timed out")

    monkeypatch.setattr(alipay, "urlopen", timeout)
    with pytest.raises(ProviderError):
        _refund(provider)
    with pytest.raises(ProviderError):
        provider.query(intent_id="intent0001", session=None)


# --- Alipay's signed synchronous answers, played through the SDK's real HTTP path ---------


def _refund(provider):
    return provider.refund(
        intent_id="intent0001",
        provider_ref="2024050122001400000000000001",
        amount=Decimal("5000"),
        currency="CNY",
        refund_id="refund0001",
        session=None,
    )


def test_refund_sends_the_request_and_reads_alipays_answer(provider, keys, monkeypatch):
    seen = []
    answer = {"code": "10000", "msg": "Success", "trade_no": "2024050122001400000000000001"}
    fake_gateway(monkeypatch, keys[1], "alipay_trade_refund_response", answer, seen)
    assert _refund(provider) == "2024050122001400000000000001"
    assert seen[0].startswith(GATEWAY + "?")
    params = dict(parse_qsl(urlsplit(seen[0]).query))
    assert params["method"] == "alipay.trade.refund"
    assert json.loads(params["biz_content"]) == {
        "refund_amount": "5000.00",
        "out_trade_no": "intent0001",
        "out_request_no": "refund0001",
    }


def test_a_refused_refund_is_a_provider_error_with_alipays_reason(provider, keys, monkeypatch):
    answer = {"code": "40004", "msg": "Business Failed", "sub_msg": "交易状态不合法"}
    fake_gateway(monkeypatch, keys[1], "alipay_trade_refund_response", answer, [])
    with pytest.raises(ProviderError, match="交易状态不合法"):
        _refund(provider)


def test_an_answer_not_signed_by_alipay_is_a_provider_error(provider, keys, monkeypatch):
    answer = {"code": "10000", "msg": "Success", "trade_no": "2024050122001400000000000001"}
    fake_gateway(monkeypatch, keys[0], "alipay_trade_refund_response", answer, [])
    with pytest.raises(ProviderError):
        _refund(provider)


def test_query_of_a_paid_trade_is_a_succeeded_notice(provider, keys, monkeypatch):
    answer = {
        "code": "10000",
        "msg": "Success",
        "trade_no": "2024050122001400000000000001",
        "out_trade_no": "intent0001",
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "5000.00",
    }
    fake_gateway(monkeypatch, keys[1], "alipay_trade_query_response", answer, [])
    notice = provider.query(intent_id="intent0001", session=None)
    assert notice.notification_id == "query-2024050122001400000000000001"
    assert notice.intent_id == "intent0001"
    assert notice.provider_ref == "2024050122001400000000000001"
    assert (notice.amount, notice.currency, notice.status) == (
        Decimal("5000.00"),
        "CNY",
        "succeeded",
    )


@pytest.mark.parametrize(
    "answer",
    [
        {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"},
        {"code": "10000", "msg": "Success", "trade_no": "t1", "trade_status": "WAIT_BUYER_PAY"},
    ],
)
def test_query_of_an_unpaid_trade_is_none(provider, keys, monkeypatch, answer):
    fake_gateway(monkeypatch, keys[1], "alipay_trade_query_response", answer, [])
    assert provider.query(intent_id="intent0001", session=None) is None


def test_get_builds_the_alipay_provider_only_when_configured(settings):
    assert isinstance(providers.get("alipay", settings), AlipayProvider)
    with pytest.raises(NotFound) as caught:
        providers.get("alipay", Settings(alipay_app_id="", secret_key="x"))
    assert caught.value.code == "unknown_provider"
