"""Payment routes: provider notifications in, payment status, the ledger's balance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from motormall.payments import ledger, service
from motormall.payments.schemas import IntentOut, intent_out
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, CurrentPrincipal, DbSession, ReadSession, require
from motormall.platform.errors import problem

router = APIRouter(tags=["payments"])


async def raw_body(request: Request) -> bytes:
    """The body, awaited here so that the route itself is a plain `def`: its database work
    runs in the thread pool instead of blocking the event loop."""
    return await request.body()


MAX_NOTIFICATION_BYTES = 64 * 1024


@router.post(
    "/payments/notify/{provider}",
    responses={
        200: {"description": "accepted (also for a replay, which changes nothing)"},
        400: {"description": "bad_signature: nothing was changed"},
    },
)
def notify(
    provider: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    body: Annotated[bytes, Depends(raw_body)],
):
    """A provider's signed, asynchronous notification about a payment."""
    if len(body) > MAX_NOTIFICATION_BYTES:
        return problem(413, "payload_too_large", "Payload too large", "Notification too large.")
    headers = {k.lower(): v for k, v in request.headers.items()}
    outcome = service.handle_notification(
        session, provider, headers, body, settings=settings, now=utcnow()
    )
    if outcome.result == "amount_mismatch":
        # the flag is kept (the transaction commits); the provider is told we refused
        return problem(
            422,
            "amount_mismatch",
            "Amount mismatch",
            "The notified amount differs from the payment's; flagged for review.",
        )
    content, media_type = service.providers.get(provider, settings).acknowledge()
    return Response(
        content, media_type=media_type, headers={"Notification-Outcome": outcome.result}
    )


@router.get("/payments/{intent_id}", response_model=IntentOut)
def get_payment(intent_id: str, session: ReadSession, who: CurrentPrincipal):
    return intent_out(service.get_intent_for(session, who, intent_id))


@router.get("/admin/ledger/balance")
def ledger_balance(session: ReadSession, who: Annotated[Principal, require(Role.oem_admin)]):
    """Debits equal credits, per currency, over every posting ever made."""
    balanced, accounts = ledger.balance(session)
    return {"balanced": balanced, "accounts": accounts}
