"""Stock search: filters, distance, sorting and cursors."""

import pytest

from tests import factories as f
from tests.catalog.test_api import problem

SHANGHAI = "31.2304,121.4737"


@pytest.fixture
def stocked(db):
    net = f.network(db)
    d = net["dealers"]
    ix3, mondeo = net["trims"]
    f.stock(db, d["SH-1"], ix3, range(1, 6), price="380000.00")  # Pudong, ~7 km
    f.stock(db, d["SH-2"], ix3, range(10, 13), price="360000.00")  # west, ~30 km
    f.stock(db, d["NJ-1"], mondeo, range(20, 24), price="180000.00")  # ~270 km
    f.stock(db, d["SH-1"], ix3, [30], price="300000.00", status="reserved")
    f.stock(db, d["SH-2"], ix3, [40, 41], price="390000.00", tower_id=net["tower"])
    return net


def vins(r):
    assert r.status_code == 200, r.text
    return [v["vin"] for v in r.json()["items"]]


def test_public_search_shows_only_available_stock(client, stocked):
    items = client.get("/api/v1/vehicles?limit=100").json()["items"]
    assert len(items) == 14
    assert all(v["status"] == "available" for v in items)
    one = items[0]
    assert {"vin", "trim", "price", "status", "location", "distance_km", "photos"} <= one.keys()
    assert one["price"]["currency"] == "CNY" and isinstance(one["price"]["amount"], str)


def test_filters(client, stocked):
    assert len(vins(client.get("/api/v1/vehicles?brand=FORD"))) == 4
    assert len(vins(client.get("/api/v1/vehicles?brand=bmw&limit=100"))) == 10
    assert len(vins(client.get("/api/v1/vehicles?powertrain=bev&limit=100"))) == 10
    assert len(vins(client.get(f"/api/v1/vehicles?model_id={stocked['models'][1]}"))) == 4
    r = client.get("/api/v1/vehicles?price_min=350000&price_max=380000&limit=100")
    assert len(vins(r)) == 8
    assert len(vins(client.get("/api/v1/vehicles?at=tower"))) == 2
    assert len(vins(client.get("/api/v1/vehicles?at=dealer&limit=100"))) == 12
    assert vins(client.get("/api/v1/vehicles?brand=NOPE")) == []


def test_near_with_radius_sorts_by_distance(client, stocked):
    r = client.get(f"/api/v1/vehicles?near={SHANGHAI}&radius_km=50&limit=100")
    items = r.json()["items"]
    assert len(items) == 10  # Nanjing is outside 50 km
    distances = [v["distance_km"] for v in items]
    assert distances == sorted(distances)
    assert items[0]["location"]["code"] == "SH-1" and 5 < distances[0] < 10
    tower = [v for v in items if v["location"]["kind"] == "tower"]
    assert len(tower) == 2 and tower[0]["location"]["code"] == "TWR-SH1"
    assert tower[0]["location"]["bay"] in (1, 2)


def test_sort_by_price_with_distance(client, stocked):
    r = client.get(f"/api/v1/vehicles?near={SHANGHAI}&sort=price&limit=100")
    prices = [float(v["price"]["amount"]) for v in r.json()["items"]]
    assert prices == sorted(prices) and len(prices) == 14
    assert all(v["distance_km"] is not None for v in r.json()["items"])


def test_cursor_pages_cover_everything_once(client, stocked):
    for query in ("", f"&near={SHANGHAI}", f"&near={SHANGHAI}&sort=price"):
        seen, cursor = [], None
        while True:
            url = f"/api/v1/vehicles?limit=3{query}" + (f"&cursor={cursor}" if cursor else "")
            body = client.get(url).json()
            seen += [v["vin"] for v in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 14, query


@pytest.mark.parametrize(
    "query,status,code",
    [
        ("near=91,0", 422, "coordinate_out_of_range"),
        ("near=garbage", 422, "invalid_coordinates"),
        ("sort=distance", 422, "near_required"),
        ("radius_km=10", 422, "near_required"),
        ("cursor=not-a-cursor", 422, "invalid_cursor"),
        ("powertrain=steam", 422, "validation_error"),
        ("price_min=abc", 422, "validation_error"),
        ("limit=1000", 422, "validation_error"),
        ("status=reserved", 403, "staff_only_filter"),
    ],
)
def test_bad_search_input(client, stocked, query, status, code):
    problem(client.get(f"/api/v1/vehicles?{query}"), status, code)


def test_staff_may_list_by_status_within_their_dealer(client, stocked):
    staff = f.token(client, stocked["users"]["staff"])
    r = client.get("/api/v1/vehicles?status=reserved", headers=staff)
    assert [v["status"] for v in r.json()["items"]] == ["reserved"]
    other = f.token(client, stocked["users"]["other_manager"])
    assert client.get("/api/v1/vehicles?status=reserved", headers=other).json()["items"] == []


def test_vehicle_by_vin(client, stocked):
    vin = f.vin(1)
    r = client.get(f"/api/v1/vehicles/{vin}?near={SHANGHAI}")
    assert r.status_code == 200 and r.json()["vin"] == vin and r.json()["distance_km"] > 0
    photo = client.get(r.json()["photos"][0])
    assert photo.status_code == 200 and photo.content[:8] == b"\x89PNG\r\n\x1a\n"
    problem(client.get(f"/api/v1/vehicles/{f.vin(999)}"), 404, "vehicle_not_found")
    problem(client.get("/api/v1/vehicles/NOTAVIN"), 422, "invalid_vin")
