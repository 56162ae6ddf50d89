"""Alipay (支付宝) page pay, through python-alipay-sdk (RSA2 signatures).

Verified offline (tests/payments/test_alipay.py, with key pairs generated for the test): the
signed pay URL (with `time_expire`), notification signature checks (RSA2 over the sorted
`k=v&...` string, as Alipay documents it), the app and seller checks, the mapping of
notifications and of query/refund answers to our types, and errors becoming BadSignature /
ProviderError. Not verified without the real gateway: that Alipay accepts our requests and
keys (app id, key registration, product contract), the exact fields it sends in production,
and its network behaviour.

Recurring debits (the `Mandates` interface): agreement sign-up is a page the buyer opens
(`alipay.user.agreement.page.sign`, product GENERAL_WITHHOLDING_P, our mandate id as
`external_agreement_no`); Alipay then notifies `dut_user_sign` (and `dut_user_unsign` when the
buyer ends it) with its `agreement_no`; each debit is `alipay.trade.pay` with product
GENERAL_WITHHOLDING and `agreement_params.agreement_no`, answered synchronously and signed.
The requests are reproduced exactly against the SDK's signing and the answers parsed from
signed fakes; the field names of the agreement notifications (`partner_id` as our seller,
`status` NORMAL/UNSIGN) come from Alipay's published docs and are untested against the real
service, as is the scene (MOTORMALL_ALIPAY_SIGN_SCENE) Alipay assigns to a merchant.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import textwrap
from decimal import Decimal, InvalidOperation
from typing import Literal
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError

from motormall.payments.providers.base import (
    BadSignature,
    Checkout,
    MandateNotice,
    Notice,
    ProviderError,
)
from motormall.platform.config import Settings

PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")
AGREEMENT_STATUS = {"dut_user_sign": ("NORMAL", "active"), "dut_user_unsign": ("UNSIGN", "ended")}
RSA_OID = bytes.fromhex("06092a864886f70d010101")  # rsaEncryption: PKCS#8 / X.509 SPKI DER
NETWORK_ERRORS = (OSError, ValueError, AliPayException, AliPayValidationError)
ALIPAY_TIME = ZoneInfo("Asia/Shanghai")  # Alipay reads request times as Beijing time


def alipay_time(at: dt.datetime) -> str:
    """`at` as Alipay writes times: `yyyy-MM-dd HH:mm:ss` in Beijing time."""
    return at.astimezone(ALIPAY_TIME).strftime("%Y-%m-%d %H:%M:%S")


def pem(key: str, kind: Literal["private", "public"]) -> str:
    """`key` as PEM: as-is when it is PEM, else the bare base64 Alipay's console shows, wrapped."""
    key = key.strip().replace("\\n", "\n")  # env files often carry PEM with literal "\n"
    if key.startswith("-----BEGIN"):
        return key
    body = "".join(key.split())
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the Alipay {kind} key is neither PEM nor base64") from None
    label = f"{'' if RSA_OID in der[:32] else 'RSA '}{kind.upper()} KEY"
    return f"-----BEGIN {label}-----\n{textwrap.fill(body, 64)}\n-----END {label}-----\n"


class AlipayProvider:
    name = "alipay"

    def __init__(self, settings: Settings):
        if not settings.alipay_seller_id:
            # without it a notification for another merchant's trade could pass as ours
            raise ValueError("MOTORMALL_ALIPAY_SELLER_ID must be set to use Alipay")
        self.settings = settings
        self.client = AliPay(
            appid=settings.alipay_app_id,
            app_notify_url=None,
            app_private_key_string=pem(settings.alipay_app_private_key, "private"),
            alipay_public_key_string=pem(settings.alipay_public_key, "public"),
            sign_type="RSA2",
        )
        # the SDK picks its gateway from `debug`; server calls (query, refund) use ours
        self.client._gateway = settings.alipay_gateway

    @property
    def notify_url(self) -> str:
        return f"{self.settings.public_url.rstrip('/')}/api/v1/payments/notify/alipay"

    def start(
        self, *, intent_id, amount, currency, subject, return_url, expires_at=None
    ) -> Checkout:
        if currency != "CNY":
            raise ProviderError(f"Alipay page pay takes CNY only, not {currency}")
        extra = {"time_expire": alipay_time(expires_at)} if expires_at else {}
        query = self.client.api_alipay_trade_page_pay(
            out_trade_no=intent_id,
            total_amount=f"{amount:.2f}",
            subject=subject,
            return_url=return_url,
            notify_url=self.notify_url,
            **extra,
        )
        return Checkout(pay_url=f"{self.settings.alipay_gateway}?{query}")

    def verified_form(self, body: bytes, *, seller_field: str = "seller_id") -> dict:
        """A notification's form fields once Alipay's signature, our app id and our seller
        account all check out (Alipay's own list of notification checks)."""
        try:
            data = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            raise BadSignature("not an Alipay notification") from None
        sign = data.pop("sign", None)
        if not sign:
            raise BadSignature("not an Alipay notification")
        try:
            verified = self.client.verify(dict(data), sign)  # the SDK pops sign_type: a copy
        except Exception:
            verified = False
        if not verified:
            raise BadSignature("signature does not match")
        if data.get("app_id") != self.settings.alipay_app_id:
            raise BadSignature("signed for another Alipay app")
        if data.get(seller_field) != self.settings.alipay_seller_id:
            raise BadSignature("for another Alipay seller")
        return data

    def parse_notification(self, headers, body: bytes) -> Notice:
        data = self.verified_form(body)
        try:
            return Notice(
                notification_id=data["notify_id"],
                intent_id=data["out_trade_no"],
                provider_ref=data["trade_no"],
                amount=Decimal(data["total_amount"]),
                currency="CNY",
                status=_status(data["trade_status"]),
                raw=data,
            )
        except (KeyError, InvalidOperation):
            raise BadSignature("not an Alipay trade notification") from None

    def acknowledge(self) -> tuple[bytes, str]:
        return b"success", "text/plain"  # anything else and Alipay keeps resending

    # --- recurring debits: agreement sign-up and agreement pay --------------------------

    def mandate_sign_url(self, *, mandate_id, return_url) -> str:
        base = self.settings.public_url.rstrip("/")
        query = self.client.client_api(
            "alipay.user.agreement.page.sign",
            {
                "personal_product_code": "GENERAL_WITHHOLDING_P",
                "product_code": "GENERAL_WITHHOLDING",
                "sign_scene": self.settings.alipay_sign_scene,
                "external_agreement_no": mandate_id,
                "access_params": {"channel": "ALIPAYAPP"},
            },
            return_url=return_url,
            notify_url=f"{base}/api/v1/finance/mandates/notify/alipay",
        )
        return f"{self.settings.alipay_gateway}?{query}"

    def parse_mandate_notification(self, headers, body: bytes) -> MandateNotice:
        # agreement notifications name the merchant as partner_id, not seller_id
        data = self.verified_form(body, seller_field="partner_id")
        expected = AGREEMENT_STATUS.get(data.get("notify_type", ""))
        if expected is None or data.get("status") != expected[0]:
            raise BadSignature("not an Alipay agreement notification")
        if not data.get("external_agreement_no") or not data.get("agreement_no"):
            raise BadSignature("not an Alipay agreement notification")
        return MandateNotice(
            mandate_id=data["external_agreement_no"],
            provider_ref=data["agreement_no"],
            status=expected[1],
            raw=data,
        )

    def debit(self, *, intent_id, mandate_ref, amount, currency, subject, session) -> Notice:
        if currency != "CNY":
            raise ProviderError(f"Alipay agreement pay takes CNY only, not {currency}")
        try:
            answer = self.client.server_api(
                "alipay.trade.pay",
                {
                    "out_trade_no": intent_id,
                    "total_amount": f"{amount:.2f}",
                    "subject": subject,
                    "product_code": "GENERAL_WITHHOLDING",
                    "agreement_params": {"agreement_no": mandate_ref},
                },
                notify_url=self.notify_url,
            )
        except AliPayException as exc:  # an unsigned error answer: nothing we can trust
            raise ProviderError(f"Alipay refused the debit unsigned: {exc}") from None
        except NETWORK_ERRORS as exc:  # unreachable, or an answer not signed by Alipay
            raise ProviderError(f"Alipay could not be reached: {exc}") from None
        code = answer.get("code")
        if code == "10000":
            status = "succeeded"
        elif code == "10003":  # the buyer's bank is still deciding: the async notice settles it
            status = "pending"
        elif code == "40004":  # a business refusal (balance, agreement ended, ...)
            status = "failed"
        else:
            raise ProviderError(answer.get("sub_msg") or answer.get("msg") or "debit refused")
        if answer.get("out_trade_no", intent_id) != intent_id:
            raise ProviderError("Alipay answered for another trade")
        try:  # a refusal may omit the amount; money taken must say how much
            paid = Decimal(answer["total_amount"] if status == "succeeded" else f"{amount:.2f}")
        except (KeyError, InvalidOperation):
            raise ProviderError("Alipay answered a debit without a readable amount") from None
        return Notice(
            notification_id=f"debit-{intent_id}",  # one answer per debit: a replay is a duplicate
            intent_id=intent_id,
            provider_ref=answer.get("trade_no") or answer.get("sub_code") or "",
            amount=paid,
            currency="CNY",
            status=status,
            raw=answer,
        )

    def end_mandate(self, *, mandate_id, mandate_ref) -> None:
        """`alipay.user.agreement.unsign` for the agreement we signed (GENERAL_WITHHOLDING_P),
        named by Alipay's agreement_no and our external_agreement_no."""
        try:
            answer = self.client.server_api(
                "alipay.user.agreement.unsign",
                {
                    "agreement_no": mandate_ref,
                    "external_agreement_no": mandate_id,
                    "personal_product_code": "GENERAL_WITHHOLDING_P",
                },
            )
        except AliPayException as exc:  # an unsigned error answer: nothing we can trust
            raise ProviderError(f"Alipay refused the unsign unsigned: {exc}") from None
        except NETWORK_ERRORS as exc:
            raise ProviderError(f"Alipay could not be reached: {exc}") from None
        if answer.get("code") == "10000":
            return
        raise ProviderError(answer.get("sub_msg") or answer.get("msg") or "unsign refused")

    def refund(self, *, intent_id, provider_ref, amount, currency, refund_id, session) -> str:
        try:
            answer = self.client.api_alipay_trade_refund(
                refund_amount=f"{amount:.2f}", out_trade_no=intent_id, out_request_no=refund_id
            )
        except NETWORK_ERRORS as exc:
            raise ProviderError(f"Alipay could not be reached: {exc}") from None
        if answer.get("code") != "10000":
            raise ProviderError(answer.get("sub_msg") or answer.get("msg") or "refund refused")
        return answer.get("trade_no") or refund_id

    def query(self, *, intent_id, session) -> Notice | None:
        try:
            answer = self.client.api_alipay_trade_query(out_trade_no=intent_id)
        except AliPayException as exc:
            if "ACQ.TRADE_NOT_EXIST" in str(exc):  # an unsigned error answer
                return None
            raise ProviderError(f"Alipay could not be reached: {exc}") from None
        except NETWORK_ERRORS as exc:
            raise ProviderError(f"Alipay could not be reached: {exc}") from None
        if answer.get("code") != "10000":
            if answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST":  # the buyer never opened it
                return None
            raise ProviderError(answer.get("sub_msg") or answer.get("msg") or "query refused")
        if answer.get("trade_status") not in PAID:
            return None
        try:
            return Notice(
                notification_id=f"query-{answer['trade_no']}",
                intent_id=intent_id,
                provider_ref=answer["trade_no"],
                amount=Decimal(answer["total_amount"]),
                currency="CNY",
                status="succeeded",
                raw=answer,
            )
        except (KeyError, InvalidOperation):
            raise ProviderError("Alipay answered a query without the trade's fields") from None


def _status(trade_status: str) -> str:
    if trade_status in PAID:
        return "succeeded"
    return "pending" if trade_status == "WAIT_BUYER_PAY" else "failed"
