"""The OEM console's dashboards page: charts, filters, CSV downloads, refusals."""

import csv
import io
import json
import re

from tests import factories as f
from tests.analytics.test_dashboards_api import story
from tests.web.test_pages import csrf_of


def _log_in(client, email="admin@test.dev"):
    page = client.get("/login")
    client.post(
        "/login", data={"email": email, "password": f.PASSWORD, "csrf_token": csrf_of(page.text)}
    )


def test_the_dashboards_show_the_funnel_energy_share_and_league(client, db):
    net = f.network(db)
    assert client.get("/oem/analytics", follow_redirects=False).status_code == 303
    story(client, db, net)
    _log_in(client)
    page = client.get("/oem/analytics", params={"brand": "BMW"})
    assert page.status_code == 200, page.text
    for part in ('id="funnel"', 'id="new-energy"', 'id="dealers"', 'id="campaigns"'):
        assert part in page.text
    # the charts: Chart.js from our own static files, the figures as JSON data, no inline JS
    main = page.text.split("<main")[1]
    assert '<script src="/static/chartjs/chart.umd.min.js" defer></script>' in main
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", main, re.S)
    inline = [attrs for attrs, body in scripts if body.strip()]
    assert inline == [' type="application/json" id="charts-data"']
    charts = json.loads(re.search(r'id="charts-data">(.*?)</script>', main, re.S).group(1))
    assert charts["funnel"]["series"][0]["data"] == [2, 2, 1, 1, 0]
    assert charts["dealers"]["labels"][0] == "SH-1"
    assert 'canvas data-chart="funnel"' in main
    assert 'href="/oem/analytics/funnel.csv?brand=BMW"' in page.text
    funnel = client.get("/oem/analytics/funnel.csv", params={"brand": "BMW"})
    assert funnel.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(funnel.text)))
    assert [(r["stage"], r["count"]) for r in rows] == [
        ("visit", "2"),
        ("lead", "2"),
        ("test_drive", "1"),
        ("order", "1"),
        ("handover", "0"),
    ]
    league = list(csv.DictReader(io.StringIO(client.get("/oem/analytics/dealers.csv").text)))
    assert league[0]["dealer"] == "SH-1" and league[0]["orders"] == "1"
    energy = client.get("/oem/analytics/new-energy.csv").text.splitlines()
    assert energy[0] == "month,orders,new_energy,share" and energy[1].endswith(",1,1,1.0")


def test_bad_filters_are_shown_on_the_page(client, db):
    f.network(db)
    _log_in(client)
    r = client.get("/oem/analytics", params={"from": "2025-06-01", "to": "2025-01-01"})
    assert r.status_code == 422 and 'class="error"' in r.text
    r = client.get(
        "/oem/analytics", params={"brand": "TRABANT"}, headers={"Accept-Language": "zh-CN"}
    )
    assert r.status_code == 422 and "没有使用此代码的品牌" in r.text
    assert client.get("/oem/analytics", params={"from": "01/02/2025"}).status_code == 422


def test_dealer_staff_are_sent_to_log_in(client, db):
    f.network(db)
    _log_in(client, "manager@test.dev")
    assert client.get("/oem/analytics", follow_redirects=False).status_code == 303
    assert client.get("/oem/analytics/funnel.csv", follow_redirects=False).status_code == 303


def test_campaign_results_are_charted_from_data_and_downloadable(client, db):
    from sqlalchemy import select

    from motormall.marketing import launch
    from motormall.marketing.models import CampaignMember
    from motormall.platform.db import utcnow
    from tests.marketing.test_campaigns import _create, _customers
    from tests.orders import helpers as h

    net, vins, _ = h.setup(db, client, n_cars=2)
    ids = _customers(db, 20)
    # a name that would close the data block if it were written into the page unescaped
    campaign, _admin = _create(client, net, name="Spring </script><b>sale")
    with db.transaction() as s:
        launch.launch_due(s, now=utcnow())
    with db.reading() as s:
        target = s.scalar(select(CampaignMember.customer_id).where(~CampaignMember.holdout))
    buyer = f.token(client, f"c{ids.index(target)}@test.dev")
    assert h.reserve(client, buyer, vins[0], coupon="SPRING").status_code == 201

    _log_in(client)
    page = client.get("/oem/analytics").text
    assert "</script><b>sale" not in page and "&lt;/script&gt;&lt;b&gt;sale" in page
    data = re.search(r'id="charts-data">(.*?)</script>', page, re.S).group(1)
    charts = json.loads(data)["campaigns"]
    assert charts["labels"] == ["Spring </script><b>sale"]
    assert [s["data"] for s in charts["series"]] == [[round(100 / 18, 1)], [0.0]]
    rows = list(csv.DictReader(io.StringIO(client.get("/oem/analytics/campaigns.csv").text)))
    assert [(r["name"], r["members"], r["orders"], r["holdout_members"]) for r in rows] == [
        ("Spring </script><b>sale", "18", "1", "2")
    ]
    # another brand's filter leaves the campaign out
    ford = client.get("/oem/analytics/campaigns.csv", params={"brand": "FORD"}).text
    assert ford.strip().count("\n") == 0
