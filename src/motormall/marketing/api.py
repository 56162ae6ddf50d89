"""Marketing routes (`oem_admin`): campaigns, their results, segment sizes; customers'
marketing consent per channel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from motormall.marketing import campaigns, consent, results, schemas, segments
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import CurrentPrincipal, DbSession, ReadSession, require

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


@router.post("/segments/preview", response_model=schemas.SegmentSize)
def preview_segment(body: schemas.SegmentIn, session: ReadSession, who: Admin):
    """How many customers with marketing consent the rule reaches now (one SQL count)."""
    return schemas.SegmentSize(size=segments.size(session, body.segment, now=utcnow()))


@router.get("/me/marketing-consent", response_model=schemas.Consents)
def my_consent(session: ReadSession, who: CurrentPrincipal):
    """The caller's yes or no to marketing per channel (no answer counts as no)."""
    return schemas.Consents(items=consent.of(session, who.user_id))


@router.put("/me/marketing-consent", response_model=schemas.Consents)
def set_my_consent(body: schemas.ConsentIn, session: DbSession, who: CurrentPrincipal):
    consent.record(
        session, who.user_id, body.channel, body.granted, source="settings", now=utcnow()
    )
    return schemas.Consents(items=consent.of(session, who.user_id))


UnsubscribeToken = Annotated[str, Query(min_length=10, max_length=400)]


@router.post("/marketing/unsubscribe", response_model=schemas.Consents)
def unsubscribe(token: UnsubscribeToken, session: DbSession):
    """The signed link in every offer: no login needed, the signature says who and which
    channel (POST: a mail client's one-click unsubscribe, RFC 8058)."""
    customer_id = consent.unsubscribe(session, token, now=utcnow())
    return schemas.Consents(items=consent.of(session, customer_id))


@router.get("/marketing/unsubscribe", response_model=schemas.Consents)
def unsubscribe_by_link(token: UnsubscribeToken, session: DbSession):
    """The same, opened as a link from the message."""
    return unsubscribe(token, session)


@router.get("/campaigns/{campaign_id}/results")
def campaign_results(campaign_id: CampaignId, session: ReadSession, who: Admin):
    """Reached, opened, leads, test drives, orders, revenue and cost for the target group,
    the same funnel for the holdout, and the conversion uplift over the holdout with its
    95 % confidence interval (Newcombe)."""
    return results.results(session, campaigns.get(session, campaign_id))
