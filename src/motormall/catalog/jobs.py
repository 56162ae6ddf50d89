"""The catalog's background work: recording a customer's view of a car's page."""

from __future__ import annotations

import datetime as dt

from motormall.catalog import views
from motormall.platform.db import get_database
from motormall.platform.jobs import task


@task("catalog.record_view")
def record_view(customer_id: str, vin: str, at: str) -> bool:
    with get_database().transaction() as session:
        return views.record(session, customer_id, vin, at=dt.datetime.fromisoformat(at))
