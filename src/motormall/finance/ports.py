"""The credit provider port: where a score comes from. The built-in scorecard answers by
default; an external bureau (a Sesame-like service) plugs in by setting
(`MOTORMALL_CREDIT_PROVIDER=bureau`)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Protocol

import httpx

from motormall.finance import scoring
from motormall.platform import errors
from motormall.platform.config import Settings
from motormall.platform.errors import DomainError


class CreditProvider(Protocol):
    name: str

    def score(
        self,
        customer_id: str,
        profile: scoring.Profile,
        *,
        term_months: int | None = None,
        new_payment: Decimal = Decimal("0"),
    ) -> scoring.Score: ...


class Scorecard:
    """The built-in scorecard trained on the German credit data (docs/credit-model-card.md)."""

    name = "scorecard"

    def score(self, customer_id, profile, *, term_months=None, new_payment=Decimal("0")):
        return scoring.score(profile, term_months=term_months, new_payment=new_payment)


class BureauUnavailable(DomainError):
    title = "Credit bureau unavailable"


errors.STATUS[BureauUnavailable] = 503  # the outside service failed, not the caller


class Bureau:
    """Adapter shape for an external bureau that answers `POST {url}` with
    `{"score": 350..950, "reasons": ["code", ...], "model_version": "..."}` for an applicant
    it knows by our customer id (after the customer authorised it with the bureau). Reason
    codes that match our features are shown in words; others pass through as codes."""

    name = "bureau"

    def __init__(self, url: str, key: str, client: httpx.Client | None = None):
        self.url, self.key = url, key
        self.client = client or httpx.Client(timeout=3.0)

    def score(self, customer_id, profile, *, term_months=None, new_payment=Decimal("0")):
        try:
            r = self.client.post(
                self.url,
                json={"customer_ref": customer_id, "term_months": term_months},
                headers={"Authorization": f"Bearer {self.key}"},
            )
            r.raise_for_status()
            body = r.json()
            value = int(body["score"])
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            raise BureauUnavailable(
                "credit_bureau_unavailable", "The credit bureau did not answer; try again."
            ) from exc
        value = min(max(value, 350), 950)
        reasons = [scoring.Reason(str(code)[:60], 0) for code in body.get("reasons", [])[:4]]
        return scoring.Score(
            value, scoring.band_of(value), reasons, str(body.get("model_version", "bureau")), {}
        )


@lru_cache(maxsize=4)
def _bureau(url: str, key: str) -> Bureau:
    return Bureau(url, key)  # one client (and its connection pool) per bureau, not per call


def provider(settings: Settings) -> CreditProvider:
    if settings.credit_provider == "bureau":
        return _bureau(settings.credit_bureau_url, settings.credit_bureau_key)
    return Scorecard()
