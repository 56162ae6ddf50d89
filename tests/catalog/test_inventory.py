"""Dealer inventory CSV import over HTTP."""

from datetime import date

import pytest

from tests import factories as f
from tests.catalog.test_api import problem

HEADER = "vin,trim_id,color,year,price,location\n"


@pytest.fixture
def net(db):
    return f.network(db)


@pytest.fixture
def manager(client, net):
    return f.token(client, net["users"]["manager"])


def upload(client, headers, body: bytes, dealer="SH-1"):
    return client.post(
        f"/api/v1/dealers/{dealer}/inventory",
        headers=headers,
        files={"file": ("stock.csv", body, "text/csv")},
    )


def good_lines(net, serials, location="dealer"):
    ix3 = net["trims"][0]
    return "".join(f"{f.vin(s)},{ix3},Alpine White,2026,399900.00,{location}\n" for s in serials)


def test_good_lines_are_kept_and_bad_lines_reported(client, net, manager):
    bad_digit = f.vin(7)
    bad_digit = bad_digit[:8] + ("1" if bad_digit[8] != "1" else "2") + bad_digit[9:]
    body = (
        HEADER
        + good_lines(net, [1, 2])
        + f"{bad_digit},{net['trims'][0]},White,2026,1.00,dealer\n"
        + f"{f.vin(1)},{net['trims'][0]},White,2026,399900.00,dealer\n"  # duplicate in file
        + f"{f.vin(3)},99999,White,2026,399900.00,dealer\n"
        + f"{f.vin(4)},{net['trims'][0]},White,2026,12.345,dealer\n"
        + f"{f.vin(5)},{net['trims'][0]},White,1890,100.00,dealer\n"
        + f"{f.vin(6)},{net['trims'][0]},White,2026,100.00,tower:NOPE\n"
        + f"{f.vin(8)},{net['trims'][0]},White,2026\n"
    )
    r = upload(client, manager, body.encode())
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["accepted"] == 2 and report["created"] == 2
    codes = {x["line"]: x["code"] for x in report["rejected"]}
    assert codes == {
        4: "vin_check_digit",
        5: "duplicate_vin",
        6: "unknown_trim",
        7: "invalid_price",
        8: "invalid_year",
        9: "unknown_tower",
        10: "wrong_field_count",
    }
    assert all(x["error"] for x in report["rejected"])
    assert len(client.get("/api/v1/vehicles?limit=100").json()["items"]) == 2


def test_reimporting_the_same_file_changes_nothing(client, net, manager, db):
    body = (HEADER + good_lines(net, [1, 2, 3]) + good_lines(net, [4], "tower:TWR-SH1")).encode()
    first = upload(client, manager, body).json()
    assert first["created"] == 4 and first["rejected"] == []
    again = upload(client, manager, body).json()
    assert again == {"accepted": 4, "created": 0, "updated": 0, "unchanged": 4, "rejected": []}
    tower = client.get("/api/v1/vehicles?at=tower").json()["items"]
    assert [v["location"]["bay"] for v in tower] == [1]
    changed = body.replace(b"399900.00,tower", b"389900.00,tower")
    assert upload(client, manager, changed).json()["updated"] == 1


def test_a_vin_held_by_another_dealer_is_a_duplicate(client, net, manager, db):
    f.stock(db, net["dealers"]["SH-2"], net["trims"][0], [1])
    r = upload(client, manager, (HEADER + good_lines(net, [1])).encode()).json()
    assert r["accepted"] == 0 and r["rejected"][0]["code"] == "duplicate_vin"


def test_a_full_tower_rejects_the_extra_cars(client, net, manager):
    r = upload(client, manager, (HEADER + good_lines(net, range(1, 7), "tower:TWR-SH1")).encode())
    report = r.json()
    assert report["created"] == 4  # the test tower has 4 bays
    assert [x["code"] for x in report["rejected"]] == ["tower_full", "tower_full"]


def test_non_utf8_bytes_reject_only_their_line(client, net, manager):
    body = (
        (HEADER + good_lines(net, [1])).encode()
        + b"\xff\xfe,1,x,2026,1,dealer\n"
        + good_lines(net, [2]).encode()
    )
    report = upload(client, manager, body).json()
    assert report["accepted"] == 2
    assert report["rejected"] == [
        {"line": 3, "code": "not_utf8", "error": report["rejected"][0]["error"]}
    ]


def test_a_missing_column_refuses_the_file(client, net, manager):
    r = upload(client, manager, b"vin,trim_id,color,year,price\n" + b"x,1,2,3,4\n")
    body = problem(r, 422, "csv_missing_columns")
    assert body["missing"] == ["location"]
    assert client.get("/api/v1/vehicles").json()["items"] == []


def test_empty_and_huge_uploads(client, net, manager, settings):
    problem(upload(client, manager, b""), 422, "empty_file")
    huge = HEADER.encode() + b"x" * (settings.max_upload_bytes + 100_000)
    problem(upload(client, manager, huge), 413, "payload_too_large")


def test_another_dealers_manager_gets_404_and_staff_403(client, net):
    other = f.token(client, net["users"]["other_manager"])
    problem(upload(client, other, (HEADER + good_lines(net, [1])).encode()), 404, "not_found")
    staff = f.token(client, net["users"]["staff"])
    problem(
        upload(client, staff, (HEADER + good_lines(net, [1])).encode()), 403, "role_not_allowed"
    )
    problem(upload(client, other, b"x", dealer="NOPE"), 404, "dealer_not_found")


def test_a_dealer_may_not_stock_a_brand_it_does_not_sell(client, db, manager, net):
    from motormall.catalog import schemas, service

    with db.transaction() as s:
        service.create_brand(s, schemas.BrandIn(code="MINI", name="MINI"), actor_id=None)
        m = service.create_model(
            s,
            schemas.ModelIn(brand="MINI", name="Cooper", body_type="hatchback", powertrain="bev"),
            actor_id=None,
        )
        t = service.create_trim(
            s, schemas.TrimIn(model_id=m.id, name="E", msrp="189900"), actor_id=None
        )
    body = (HEADER + f"{f.vin(1, 'WMW')},{t.id},Chili Red,2026,189900,dealer\n").encode()
    assert upload(client, manager, body).json()["rejected"][0]["code"] == "brand_not_authorised"


def test_import_is_audited(client, db, manager, net):
    from sqlalchemy import select

    from motormall.platform.audit import AuditEntry

    upload(client, manager, (HEADER + good_lines(net, [1])).encode())
    with db.reading() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "inventory.import"))
    assert entry.entity_id == "SH-1" and entry.detail["created"] == 1 and entry.actor_id


def test_two_dealers_racing_for_one_vin_stock_it_once(db, net):
    """Quantity of one: the VIN's unique constraint decides, on both databases."""
    import threading

    from sqlalchemy import func, select

    from motormall.catalog.inventory import import_inventory
    from motormall.catalog.models import Dealer, Vehicle
    from motormall.platform.errors import Conflict

    body = (HEADER + good_lines(net, [1])).encode()
    outcomes, barrier = [], threading.Barrier(2)

    def run(code):
        barrier.wait()
        try:
            with db.transaction() as s:
                dealer = s.scalar(select(Dealer).where(Dealer.code == code))
                report = import_inventory(s, dealer, body, actor_id=None, today=date.today())
                outcomes.append(report.created)
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=run, args=(c,)) for c in ("SH-1", "SH-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Vehicle)) == 1
    assert sorted(outcomes, key=str) in ([0, 1], [1, "conflict"])
