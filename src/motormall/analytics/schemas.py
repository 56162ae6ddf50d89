"""API shapes of the dashboards."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class Fresh(BaseModel):
    as_of: dt.datetime = Field(description="the figures are true as of this moment")
    pending_events: int = Field(
        description="events recorded since then that the figures do not count yet"
    )


class Stage(BaseModel):
    stage: str
    count: int
    from_previous: float | None = Field(description="count / the previous stage's count")


class FunnelOut(Fresh):
    from_: dt.datetime = Field(alias="from")
    to: dt.datetime
    counts: dict[str, int] = Field(
        description="people per stage: visit, lead, test_drive, order, handover"
    )
    stages: list[Stage]

    model_config = {"populate_by_name": True}


class Month(BaseModel):
    month: str = Field(description="YYYY-MM (UTC)")
    orders: int
    new_energy: int
    share: float | None


class NewEnergyOut(Fresh):
    from_: dt.datetime = Field(alias="from")
    to: dt.datetime
    powertrains: list[str]
    months: list[Month]
    orders: int
    new_energy: int
    share: float | None

    model_config = {"populate_by_name": True}


class Flag(BaseModel):
    code: str
    evidence: dict


class DealerRow(BaseModel):
    rank: int
    dealer: str
    name: str
    city: str
    leads: int
    response_minutes: float | None = Field(
        description="median minutes from assignment to first contact"
    )
    test_drives: int
    orders: int
    handovers: int
    finance_approvals: int
    conversion: float | None = Field(description="orders credited / leads")
    csat: float | None
    csat_without_flagged: float | None
    responses: int
    flags: list[Flag]


class DealersOut(Fresh):
    from_: dt.datetime = Field(alias="from")
    to: dt.datetime
    items: list[DealerRow]

    model_config = {"populate_by_name": True}
