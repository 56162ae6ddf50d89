"""Input that once raised a 500 from deep inside: huge decimals, ids beyond the column type,
forged cursors, an overlong CSV field. Each is now a 422 (or a rejected CSV line) on both
databases: one bounded money type and one bounded id type guard every schema and parameter."""

import base64
import json

import pytest

from tests import factories as f
from tests.catalog.test_api import problem
from tests.catalog.test_inventory import HEADER, upload
from tests.orders import helpers as h

HUGE_ID = "99999999999999999999"  # beyond 64 bits
BEYOND_INT32 = "3000000000"  # fits Python and SQLite, not PostgreSQL's integer columns


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.fixture
def net(db):
    return f.network(db)


@pytest.mark.parametrize("price", ["1e999999", "1e30", "-1e999999", "99999999999999999999.99"])
def test_huge_price_filters_are_422(client, net, price):
    for name in ("price_min", "price_max"):
        problem(client.get("/api/v1/vehicles", params={name: price}), 422, "validation_error")


def test_huge_money_in_an_order_or_payment_is_422(client, db):
    net, vins, buyer = h.setup(db, client)
    r = h.reserve(client, buyer, vins[0], product="hire_purchase", down_payment="1e30")
    problem(r, 422, "validation_error")
    order = h.reserve(client, buyer, vins[1])
    assert order.status_code == 201, order.text
    for amount in ("1e30", "1e999999", {"amount": "1e30", "currency": "CNY"}):
        r = client.post(
            f"/api/v1/orders/{order.json()['id']}/payments",
            headers=buyer,
            json={"amount": amount, "purpose": "deposit"},
        )
        problem(r, 422, "validation_error")


@pytest.mark.parametrize("model_id", [HUGE_ID, BEYOND_INT32, "0", "-1"])
def test_ids_beyond_the_column_type_are_422_everywhere(client, net, model_id):
    admin = f.token(client, net["users"]["admin"])
    for url in (
        f"/api/v1/vehicles?model_id={model_id}",
        f"/api/v1/trims?model_id={model_id}",
        f"/api/v1/models/{model_id}/reference-photos",
    ):
        problem(client.get(url, headers=admin), 422, "validation_error")
    problem(
        client.post(
            "/api/v1/trims",
            headers=admin,
            json={"model_id": int(model_id), "name": "X", "msrp": "1.00"},
        ),
        422,
        "validation_error",
    )
    r = client.get(f"/media/listings/{model_id}/alpine-white.png")
    assert r.status_code == 422
    buyer = f.token(client, net["users"]["customer"])
    r = client.post(
        "/api/v1/leads", headers=buyer, json={"channel": "web", "model_id": int(model_id)}
    )
    problem(r, 422, "validation_error")
    me = client.get("/api/v1/me", headers=buyer).json()["id"]
    r = client.get(f"/api/v1/customers/{me}/timeline?cursor={model_id}", headers=buyer)
    problem(r, 422, "validation_error")
    # the storefront's search form says so on the page instead
    assert client.get(f"/search?model_id={model_id}").status_code == 200


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(int(HUGE_ID)),
        _cursor(int(BEYOND_INT32)),
        _cursor(True),
        _cursor(1.5),
        _cursor(["a", 1]),
        "not base64 at all!",
    ],
)
def test_forged_list_cursors_are_422(client, net, cursor):
    problem(client.get("/api/v1/models", params={"cursor": cursor}), 422, "invalid_cursor")


@pytest.mark.parametrize(
    "cursor",
    [_cursor("x"), _cursor(["not a time", "id"]), _cursor(["2026-01-01T00:00:00+00:00"]), "@@"],
)
def test_forged_order_cursors_are_422(client, net, cursor):
    buyer = f.token(client, net["users"]["customer"])
    r = client.get("/api/v1/orders", params={"cursor": cursor}, headers=buyer)
    problem(r, 422, "invalid_cursor")


@pytest.mark.parametrize("value", ["1e999999", "1e30", "NaN"])
def test_forged_stock_cursors_are_422(client, net, value):
    for sort, near in (("price", None), ("distance", "31.2,121.5"), ("price", "31.2,121.5")):
        cursor = _cursor([sort, value, "LBV00000000000001"])
        params = {"cursor": cursor, "sort": sort, **({"near": near} if near else {})}
        problem(client.get("/api/v1/vehicles", params=params), 422, "invalid_cursor")


def test_a_csv_line_with_a_huge_price_or_an_overlong_field_is_rejected_by_line(client, net):
    manager = f.token(client, net["users"]["manager"])
    trim = net["trims"][0]
    body = (
        HEADER
        + f"{f.vin(1)},{trim},White,2026,1e999999,dealer\n"
        + f"{f.vin(2)},{trim},{'W' * 200_000},2026,300000.00,dealer\n"
        + f"{f.vin(3)},{trim},White,2026,300000.00,dealer\n"
    ).encode()
    r = upload(client, manager, body)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["accepted"] == 1
    codes = {x["line"]: x["code"] for x in report["rejected"]}
    assert codes == {2: "invalid_price", 3: "malformed_csv_line"}
