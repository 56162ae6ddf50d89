"""How surveys react to facts: the carmaker asks the customer directly after a handover, a
service visit, a test drive and a case the dealer closed (never through the dealer)."""

from __future__ import annotations

from motormall.aftersales.events import ServiceCompleted
from motormall.orders.events import OrderHandedOver
from motormall.orders.models import Order
from motormall.platform.events import handles
from motormall.surveys import service
from motormall.surveys.events import CaseResolved
from motormall.surveys.models import Case
from motormall.testdrives.events import TestDriveReturned


@handles(OrderHandedOver)
def survey_after_handover(session, event) -> None:
    order = session.get(Order, event.entity_id)
    service.create(
        session,
        customer_id=event.customer_id,
        dealer_id=order.delivery_dealer_id or order.credited_dealer_id,
        about="handover",
        subject_id=order.id,
        now=event.at,
    )


@handles(ServiceCompleted)
def survey_after_service(session, event) -> None:
    service.create(
        session,
        customer_id=event.customer_id,
        dealer_id=event.dealer_ids[0],
        about="service",
        subject_id=event.entity_id,
        now=event.at,
    )


@handles(TestDriveReturned)
def survey_after_test_drive(session, event) -> None:
    """Dealer and tower drives alike: the dealer whose car it was is the one rated."""
    service.create(
        session,
        customer_id=event.customer_id,
        dealer_id=event.dealer_ids[0],
        about="test_drive",
        subject_id=event.entity_id,
        now=event.at,
    )


@handles(CaseResolved)
def survey_after_case(session, event) -> None:
    """Was it really resolved? One question per resolution (a reopened case resolved again
    asks again)."""
    case = session.get(Case, event.entity_id)
    service.create(
        session,
        customer_id=case.customer_id,
        dealer_id=case.dealer_id,
        about="case",
        subject_id=f"{case.id}:{case.resolutions}",
        now=event.at,
    )
