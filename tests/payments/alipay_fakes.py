"""Playing Alipay's part offline: key pairs made for the test, Alipay's signing rule written
out independently of the SDK (sorted `k=v` joined by `&`, RSA2 = SHA256withRSA, base64)."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from motormall.platform.config import Settings

APP_ID = "2021000000000001"
SELLER_ID = "2088101122136241"
GATEWAY = "https://openapi.alipay.com/gateway.do"
HEADERS = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}


def new_keys():
    """(ours, theirs): the merchant's key pair and the one 'Alipay' signs with."""
    ours = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    theirs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ours, theirs


def private_pem(key, fmt=serialization.PrivateFormat.PKCS8) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def public_pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def alipay_values(keys) -> dict:
    """The settings that configure Alipay with these keys."""
    ours, theirs = keys
    return dict(
        alipay_app_id=APP_ID,
        alipay_app_private_key=private_pem(ours),
        alipay_public_key=public_pem(theirs),
        alipay_gateway=GATEWAY,
        alipay_seller_id=SELLER_ID,
        public_url="http://127.0.0.1:8000",
    )


def alipay_settings(keys, **more) -> Settings:
    return Settings(**{"secret_key": "x", **alipay_values(keys), **more})


def signing_string(params: dict, leave_out=("sign", "sign_type")) -> str:
    """What gets signed: sorted `k=v` joined by `&`. Alipay leaves out `sign` and `sign_type`
    in notifications, but only `sign` in requests (its "request signing" spec)."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in leave_out)


def sign(key, message: str) -> str:
    signature = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def verify_request(public_key, params: dict) -> None:
    """Raises InvalidSignature unless `params` (a request's query) is signed by that key."""
    signature = base64.b64decode(params["sign"])
    signed = signing_string(params, leave_out=("sign",)).encode()
    public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())


def signed(key, params: dict) -> dict:
    params = dict(params)
    params["sign"] = sign(key, signing_string(params))
    return params


def notification(key, **changes) -> dict:
    params = {
        "notify_time": "2024-05-01 12:00:05",
        "notify_type": "trade_status_sync",
        "notify_id": "ac05099524730693a8b330c5ecf72da9786",
        "app_id": APP_ID,
        "seller_id": SELLER_ID,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "trade_no": "2024050122001400000000000001",
        "out_trade_no": "intent0001",
        "total_amount": "5000.00",
        "subject": "motormall 定金 LVSHCAMB1CE000001",
        "trade_status": "TRADE_SUCCESS",
        "gmt_payment": "2024-05-01 12:00:04",
    }
    params.update(changes)
    return signed(key, {k: v for k, v in params.items() if v is not None})


def body(params: dict) -> bytes:
    return urlencode(params).encode()


def gateway_reply(key, response_type: str, answer: dict) -> str:
    """A synchronous gateway answer as Alipay sends it: the JSON object signed as text."""
    content = json.dumps(answer, separators=(",", ":"), ensure_ascii=False)
    return f'{{"{response_type}":{content},"sign":"{sign(key, content)}"}}'


def fake_gateway(monkeypatch, key, response_type: str, answer: dict, seen: list) -> None:
    """The SDK's HTTP call answered by 'Alipay' (signed with `key`); URLs asked land in `seen`."""
    import alipay

    class Reply:
        def __init__(self, raw: str):
            self.raw = raw

        def read(self):
            return self.raw.encode()

    def urlopen(url, timeout):
        seen.append(url)
        return Reply(gateway_reply(key, response_type, answer))

    monkeypatch.setattr(alipay, "urlopen", urlopen)
