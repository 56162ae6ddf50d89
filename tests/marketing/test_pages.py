"""The OEM console's campaign builder: the segment's live size, creating a campaign, and its
results beside the holdout."""

from tests import factories as f
from tests.marketing.helpers import campaign
from tests.web.test_pages import csrf_of


def test_the_campaign_builder(client, db):
    net = f.network(db)
    assert client.get("/oem/campaigns", follow_redirects=False).status_code == 303
    page = client.get("/login")
    client.post(
        "/login",
        data={"email": "admin@test.dev", "password": f.PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    page = client.get("/oem/campaigns")
    assert page.status_code == 200 and 'hx-post="/oem/campaigns/size"' in page.text
    csrf = csrf_of(page.text)
    size = client.post("/oem/campaigns/size", data={"segment": "all", "csrf_token": csrf})
    assert ">0 customers<" in size.text
    bad = client.post("/oem/campaigns/size", data={"segment": "tier >=", "csrf_token": csrf})
    assert 'class="error"' in bad.text and "line 1" in bad.text
    form = {
        "brand": "BMW",
        "name": "Autumn",
        "segment": 'member("BMW")',
        "code": "AUTUMN",
        "discount": "5000.00",
        "starts_at": "2026-01-01T09:00",
        "ends_at": "2026-02-01T09:00",
        "max_redemptions": "100",
        "channel": "email",
        "csrf_token": csrf,
    }
    r = client.post("/oem/campaigns", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    r = client.post("/oem/campaigns", data={**form, "code": "BACK", "ends_at": "2025-01-01T09:00"})
    assert r.status_code == 422 and "must end after it starts" in r.text
    assert campaign(client, net, code="SPRING").status_code == 201
    page = client.get("/oem/campaigns", headers={"Accept-Language": "zh-CN"})
    assert page.text.count('class="campaign"') == 2 and "尚未启动" in page.text
