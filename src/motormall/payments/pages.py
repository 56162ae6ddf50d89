"""The sandbox provider's pay page: where a buyer 'pays' in the demo and in tests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from motormall.payments import review
from motormall.payments.models import IntentStatus, PaymentIntent
from motormall.payments.providers import sandbox
from motormall.platform import jobs
from motormall.platform.auth import Role
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, DbSession, ReadSession
from motormall.platform.errors import DomainError, status_of
from motormall.web.render import N_, check_csrf, error_text, page_principal, render

router = APIRouter(include_in_schema=False)


@router.get("/sandbox/pay/{intent_id}")
def pay_page(intent_id: str, request: Request, session: ReadSession):
    intent = session.get(PaymentIntent, intent_id)
    if intent is None or intent.provider != "sandbox":
        return render(request, "not_found.html", status_code=404)
    taken = session.scalar(
        select(sandbox.SandboxPayment).where(sandbox.SandboxPayment.intent_id == intent_id)
    )
    return render(request, "sandbox_pay.html", intent=intent, taken=taken)


@router.post("/sandbox/pay/{intent_id}")
def pay_submit(
    intent_id: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    decision: Annotated[str, Form(pattern="^(pay|decline)$")],
    csrf_token: Annotated[str, Form()] = "",
):
    check_csrf(request, csrf_token)
    intent = session.get(PaymentIntent, intent_id)
    if intent is None or intent.provider != "sandbox":
        return render(request, "not_found.html", status_code=404)
    taken = session.scalar(
        select(sandbox.SandboxPayment).where(sandbox.SandboxPayment.intent_id == intent_id)
    )
    if taken is None and intent.status == IntentStatus.pending:
        taken = sandbox.take_payment(
            session,
            intent_id=intent.id,
            amount=intent.amount,
            currency=intent.currency,
            succeed=decision == "pay",
        )
        # one notification, possibly sent late or twice (a real duplicate: the same id)
        for delay in sandbox.delivery_plan(settings):
            args = (taken.ref, f"ntf-{taken.ref}")
            jobs.after_commit(session, "payments.deliver_sandbox_notification", *args, delay=delay)
    return RedirectResponse(f"/orders/{intent.order_id}", status_code=303)


# --- the carmaker reviews flagged payments (the queue is on the OEM console) --------------


@router.post("/oem/payments/{intent_id}/{decision}")
def review_flagged(
    intent_id: str,
    decision: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    note: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    """Accept a flagged payment as paid, or refund what the provider took; with a note."""
    who = page_principal(request)
    if who is None or who.role != Role.oem_admin:
        return RedirectResponse("/login?next=/oem", status_code=303)
    try:
        check_csrf(request, csrf_token)
        if decision == "accept":
            review.accept(
                session, intent_id, note=note, actor_id=who.user_id, settings=settings, now=utcnow()
            )
        elif decision == "refund":
            review.refund(session, intent_id, note=note, actor_id=who.user_id, now=utcnow())
        else:
            return render(request, "not_found.html", status_code=404)
    except DomainError as exc:
        session.rollback()
        return render(
            request,
            "error.html",
            status_code=status_of(exc),
            title=N_("The payment was not changed"),
            message=error_text(request, exc),
        )
    return RedirectResponse(f"/oem?done={decision}#flagged", status_code=303)
