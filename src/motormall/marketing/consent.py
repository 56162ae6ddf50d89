"""Marketing consent per channel: given or withdrawn in settings or by a signed unsubscribe
link; the current answer is one row per channel, and every change is in the audit log."""

from __future__ import annotations

import datetime as dt

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.marketing.models import CHANNELS, MarketingConsent
from motormall.platform import audit
from motormall.platform.config import get_settings
from motormall.platform.errors import BadRequest


def of(session: Session, customer_id: str) -> dict[str, bool]:
    rows = dict(
        session.execute(
            select(MarketingConsent.channel, MarketingConsent.granted).where(
                MarketingConsent.customer_id == customer_id
            )
        ).all()
    )
    return {c: bool(rows.get(c, False)) for c in CHANNELS}


def record(
    session: Session,
    customer_id: str,
    channel: str,
    granted: bool,
    *,
    source: str,
    now: dt.datetime,
) -> None:
    row = session.get(MarketingConsent, (customer_id, channel))
    if row is None:
        session.add(
            MarketingConsent(
                customer_id=customer_id,
                channel=channel,
                granted=granted,
                source=source,
                updated_at=now,
            )
        )
    else:
        row.granted, row.source, row.updated_at = granted, source, now
    audit.record(
        session,
        actor_id=customer_id,
        action="marketing.consent_" + ("given" if granted else "withdrawn"),
        entity_type="customer",
        entity_id=customer_id,
        detail={"channel": channel, "source": source},
    )


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().effective_secret_key, salt="marketing-unsubscribe")


def unsubscribe_token(customer_id: str, channel: str) -> str:
    return _signer().dumps([customer_id, channel])


def unsubscribe(session: Session, token: str, *, now: dt.datetime) -> str:
    """Withdraw consent for the link's customer and channel (returns the customer); a forged
    link → 400."""
    try:
        customer_id, channel = _signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise BadRequest(
            "bad_unsubscribe_link", "This unsubscribe link is not one we sent."
        ) from None
    if channel not in CHANNELS:
        raise BadRequest("bad_unsubscribe_link", "This unsubscribe link is not one we sent.")
    record(session, customer_id, channel, False, source="unsubscribe_link", now=now)
    return customer_id
