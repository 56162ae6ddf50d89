"""Marketing routes (`oem_admin`): campaigns, their results, segment sizes; customers'
marketing consent per channel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from motormall.marketing import campaigns, schemas
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession, require

router = APIRouter(tags=["marketing"])
Admin = Annotated[Principal, require(Role.oem_admin)]
CampaignId = Annotated[str, Path(min_length=1, max_length=32)]


@router.post("/campaigns", status_code=201, response_model=schemas.CampaignOut)
def create_campaign(body: schemas.CampaignIn, session: DbSession, who: Admin):
    """A campaign for one brand: a segment, an offer (a coupon with its limits, or a points
    multiplier), dates, a budget and a channel. It launches when it starts."""
    c = campaigns.create(session, body, actor_id=who.user_id, now=utcnow())
    return campaigns.out(session, c)


@router.get("/campaigns/{campaign_id}", response_model=schemas.CampaignOut)
def get_campaign(campaign_id: CampaignId, session: ReadSession, who: Admin):
    return campaigns.out(session, campaigns.get(session, campaign_id))
