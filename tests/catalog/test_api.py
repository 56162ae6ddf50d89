"""Catalog writes and reads over HTTP, with the contract's error shapes."""

import pytest

from tests import factories as f


@pytest.fixture
def net(db):
    return f.network(db)


@pytest.fixture
def admin(client, net):
    return f.token(client, net["users"]["admin"])


def problem(r, status, code):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def test_health_and_openapi(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/vehicles" in paths and "/api/v1/dealers/{code}/inventory" in paths


def test_admin_builds_the_catalog(client, admin):
    r = client.post("/api/v1/brands", json={"code": "MINI", "name": "MINI"}, headers=admin)
    assert r.status_code == 201 and r.json()["code"] == "MINI" and r.json()["id"]
    problem(
        client.post("/api/v1/brands", json={"code": "MINI", "name": "x"}, headers=admin),
        409,
        "already_exists",
    )
    r = client.post(
        "/api/v1/models",
        headers=admin,
        json={"brand": "MINI", "name": "Aceman", "body_type": "suv", "powertrain": "bev"},
    )
    assert r.status_code == 201
    model_id = r.json()["id"]
    r = client.post(
        "/api/v1/trims",
        headers=admin,
        json={"model_id": model_id, "name": "SE", "msrp": "189900.00"},
    )
    assert r.status_code == 201
    assert r.json()["msrp"] == {"amount": "189900.00", "currency": "CNY"}
    r = client.post(
        "/api/v1/trims",
        headers=admin,
        json={"model_id": model_id, "name": "JCW", "msrp": {"amount": "259900", "currency": "CNY"}},
    )
    assert r.json()["msrp"]["amount"] == "259900.00"
    names = [t["name"] for t in client.get(f"/api/v1/trims?model_id={model_id}").json()["items"]]

    assert names == ["SE", "JCW"]
    r = client.post(
        "/api/v1/dealers",
        headers=admin,
        json={
            "code": "HZ-MINI-01",
            "name": "MINI Hangzhou",
            "brands": ["MINI"],
            "city": "Hangzhou",
            "lat": 30.27,
            "lon": 120.15,
            "lead_capacity_per_day": 30,
            "service_bays": 6,
        },
    )
    assert r.status_code == 201
    assert r.json()["timezone"] == "Asia/Shanghai"
    assert r.json()["opening_hours"]["mon"] == ["09:00", "18:00"]
    r = client.post(
        "/api/v1/towers",
        headers=admin,
        json={"code": "TWR-HZ1", "city": "Hangzhou", "lat": 30.2, "lon": 120.2, "bays": 30},
    )
    assert r.status_code == 201 and r.json()["bays"] == 30


def test_writes_need_the_right_role(client, net):
    body = {"code": "KIA", "name": "Kia"}
    problem(client.post("/api/v1/brands", json=body), 401, "not_authenticated")
    buyer = f.token(client, net["users"]["customer"])
    problem(client.post("/api/v1/brands", json=body, headers=buyer), 403, "role_not_allowed")
    problem(
        client.post("/api/v1/brands", json=body, headers={"Authorization": "Bearer forged-token"}),
        401,
        "invalid_token",
    )


@pytest.mark.parametrize(
    "body,code",
    [
        (
            {"brand": "BMW", "name": "X9", "body_type": "spaceship", "powertrain": "ice"},
            "validation_error",
        ),
        (
            {"brand": "BMW", "name": "X9", "body_type": "suv", "powertrain": "steam"},
            "validation_error",
        ),
        ({"brand": "BMW", "name": 7, "body_type": "suv", "powertrain": "ice"}, "validation_error"),
        ({"brand": "NOPE", "name": "X9", "body_type": "suv", "powertrain": "ice"}, "unknown_brand"),
    ],
)
def test_bad_model_input(client, admin, body, code):
    problem(client.post("/api/v1/models", json=body, headers=admin), 422, code)


def test_malformed_json_is_400(client, admin):
    r = client.post(
        "/api/v1/brands",
        content=b'{"code": "X",',
        headers={**admin, "content-type": "application/json"},
    )
    problem(r, 400, "malformed_json")


@pytest.mark.parametrize("lat,lon", [(91, 121), (31, 181), (-91, 0)])
def test_dealer_coordinates_out_of_range(client, admin, lat, lon):
    r = client.post(
        "/api/v1/dealers",
        headers=admin,
        json={
            "code": "X-1",
            "name": "X",
            "brands": ["BMW"],
            "city": "X",
            "lat": lat,
            "lon": lon,
            "lead_capacity_per_day": 1,
            "service_bays": 1,
        },
    )
    body = problem(r, 422, "validation_error")
    assert "lat" in body["detail"] or "lon" in body["detail"]


def test_trim_msrp_must_be_exact(client, admin, net):
    r = client.post(
        "/api/v1/trims",
        headers=admin,
        json={"model_id": net["models"][0], "name": "Float", "msrp": 1.5},
    )
    problem(r, 422, "validation_error")
    r = client.post(
        "/api/v1/trims", headers=admin, json={"model_id": 999999, "name": "Ghost", "msrp": "1.00"}
    )
    problem(r, 422, "unknown_model")


def test_expired_token_is_refused(client, db, net):
    import datetime as dt

    from motormall.platform.auth import AccessToken

    headers = f.token(client, net["users"]["admin"])
    with db.transaction() as s:
        for row in s.query(AccessToken):
            row.expires_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    problem(client.get("/api/v1/me", headers=headers), 401, "token_expired")


def test_logout_revokes_the_token(client, net):
    headers = f.token(client, net["users"]["customer"])
    assert client.get("/api/v1/me", headers=headers).json()["role"] == "customer"
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    problem(client.get("/api/v1/me", headers=headers), 401, "token_revoked")


def test_catalog_lists_page_with_cursors(client, net):
    seen, cursor = [], None
    while True:
        url = "/api/v1/dealers?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen += [d["code"] for d in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["NJ-1", "SH-1", "SH-2"]
    for path in ("brands", "models", "trims", "towers"):
        body = client.get(f"/api/v1/{path}").json()
        assert body["items"] and body["next_cursor"] is None, path
    assert [m["name"] for m in client.get("/api/v1/models?brand=ford").json()["items"]] == [
        "Mondeo"
    ]
    problem(client.get("/api/v1/brands?cursor=%%%"), 422, "invalid_cursor")


def test_interactive_docs_are_served_from_our_own_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text and "cdn" not in page.headers["content-security-policy"]
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
