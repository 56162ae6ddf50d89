"""Marketing test helpers: campaigns through the API."""

from __future__ import annotations

import datetime as dt

from tests import factories as f


def when(days: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).isoformat()


def campaign(
    client,
    net,
    *,
    code="SPRING",
    discount="10000.00",
    segment="all",
    brand="BMW",
    starts=-1,
    ends=30,
    **offer,
):
    admin = f.token(client, net["users"]["admin"])
    body = {
        "brand": brand,
        "name": f"{code} campaign",
        "segment": segment,
        "offer": {
            "kind": "coupon",
            "code": code,
            "discount": {"amount": discount, "currency": "CNY"},
            **offer,
        },
        "starts_at": when(starts),
        "ends_at": when(ends),
    }
    return client.post("/api/v1/campaigns", headers=admin, json=body)
