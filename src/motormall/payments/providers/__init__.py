"""Payment providers behind one interface; `get(name)` builds one from settings."""

from __future__ import annotations

from motormall.payments.providers.base import (
    BadSignature,
    Checkout,
    MandateNotice,
    Mandates,
    Notice,
    Provider,
    ProviderError,
)
from motormall.platform.config import Settings
from motormall.platform.errors import NotFound

__all__ = [
    "BadSignature",
    "Checkout",
    "MandateNotice",
    "Mandates",
    "Notice",
    "Provider",
    "ProviderError",
    "get",
]


def get(name: str, settings: Settings) -> Provider:
    if name == "sandbox":
        from motormall.payments.providers.sandbox import SandboxProvider

        return SandboxProvider(settings)
    if name == "alipay" and settings.alipay_app_id:
        from motormall.payments.providers.alipay import AlipayProvider

        return AlipayProvider(settings)
    raise NotFound("unknown_provider", f"No payment provider {name!r} is configured.")
