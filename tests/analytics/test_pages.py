"""The OEM console's dashboards page: charts, filters, CSV downloads, refusals."""

import csv
import io

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
    for part in ('id="funnel"', 'id="new-energy"', 'id="dealers"', 'href="/oem/campaigns"'):
        assert part in page.text
    assert "<svg" in page.text and "<script" not in page.text.split("<main")[1]
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
