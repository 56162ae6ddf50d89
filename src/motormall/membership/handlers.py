"""How membership reacts to other domains' facts: points for a car handed over (for the
brand of the car), taken back when it is returned; points for a test drive completed (once
per drive). Later domains add service visits and surveys through `service.earn_for_activity`."""

from __future__ import annotations

from motormall.catalog.models import CarModel, Vehicle
from motormall.membership import service
from motormall.orders.events import OrderHandedOver, OrderReturned
from motormall.orders.models import Order
from motormall.platform.events import handles
from motormall.testdrives.events import TestDriveReturned


def _source(order_id: str) -> str:
    return f"order:{order_id}"


@handles(OrderHandedOver)
def points_for_a_car(session, event) -> None:
    brand_id = session.get(Vehicle, event.vehicle_id).brand_id
    paid = session.get(Order, event.entity_id).price  # what the buyer paid, after any coupon
    service.earn_for_purchase(
        session, event.customer_id, brand_id, paid, _source(event.entity_id), now=event.at
    )


@handles(OrderReturned)
def points_back_for_a_returned_car(session, event) -> None:
    brand_id = session.get(Vehicle, event.vehicle_id).brand_id
    service.reverse(session, event.customer_id, brand_id, _source(event.entity_id), now=event.at)


@handles(TestDriveReturned)
def points_for_a_test_drive(session, event) -> None:
    brand_id = session.get(CarModel, event.model_id).brand_id
    service.earn_for_activity(
        session,
        event.customer_id,
        brand_id,
        "test_drive",
        f"test_drive:{event.entity_id}",
        now=event.at,
    )
