"""A tower serves the dealers the carmaker assigns to it: only they place stock in its bays."""

from tests import factories as f
from tests.catalog.test_api import problem
from tests.catalog.test_inventory import HEADER, good_lines, upload


def test_only_the_assigned_dealers_stock_a_tower(client, db):
    net = f.network(db)  # TWR-SH1 serves SH-1 and SH-2, not NJ-1
    admin = f.token(client, net["users"]["admin"])
    towers = client.get("/api/v1/towers").json()["items"]
    assert [t["dealers"] for t in towers] == [["SH-1", "SH-2"]]

    r = client.post(
        "/api/v1/towers",
        headers=admin,
        json={
            "code": "TWR-NJ1",
            "city": "Nanjing",
            "lat": 32.0,
            "lon": 118.8,
            "bays": 2,
            "dealers": ["nj-1"],
        },
    )
    assert r.status_code == 201 and r.json()["dealers"] == ["NJ-1"]
    problem(
        client.post(
            "/api/v1/towers",
            headers=admin,
            json={"code": "T2", "city": "X", "lat": 1, "lon": 1, "bays": 1, "dealers": ["NOPE"]},
        ),
        422,
        "unknown_dealer",
    )

    manager = f.token(client, net["users"]["manager"])  # SH-1
    body = HEADER + good_lines(net, [1], "tower:TWR-SH1") + good_lines(net, [2], "tower:TWR-NJ1")
    report = upload(client, manager, body.encode()).json()
    assert report["created"] == 1
    assert [(x["line"], x["code"]) for x in report["rejected"]] == [(3, "tower_not_assigned")]
    assert "TWR-NJ1" in report["rejected"][0]["error"]
    bays = client.get("/api/v1/vehicles?at=tower").json()["items"]
    assert [v["location"]["code"] for v in bays] == ["TWR-SH1"]

    # the carmaker's admin importing for NJ-1 may fill NJ-1's tower, and not SH-1's
    body = HEADER + good_lines(net, [3], "tower:TWR-NJ1") + good_lines(net, [4], "tower:TWR-SH1")
    report = upload(client, admin, body.encode(), dealer="NJ-1").json()
    assert report["created"] == 1
    assert [(x["line"], x["code"]) for x in report["rejected"]] == [(3, "tower_not_assigned")]
