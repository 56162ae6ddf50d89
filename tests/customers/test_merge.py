"""One customer across accounts: duplicate suggestions, merges that are refused, audited,
read through at profile and timeline time, and undone."""

import re

from sqlalchemy import select, update

from motormall.customers.models import CustomerIdentity
from motormall.platform.audit import AuditEntry
from motormall.platform.auth import Role, User, create_user
from tests import factories as f
from tests.catalog.test_api import problem
from tests.orders import helpers as h
from tests.web.test_pages import csrf_of


def _customer(db, email, phone=None, name="Li Wei"):
    with db.transaction() as s:
        return create_user(
            s, email=email, password=f.PASSWORD, role=Role.customer, name=name, phone=phone
        ).id


def _identity(db, customer_id, id_hash):
    with db.transaction() as s:
        s.add(
            CustomerIdentity(
                customer_id=customer_id,
                id_number=b"sealed",
                id_number_hash=id_hash,
                id_number_last4=id_hash[-4:],
            )
        )


def _id_of(db, email):
    with db.reading() as s:
        return s.scalar(select(User.id).where(User.email == email))


def _pairs(client, admin, **params):
    r = client.get("/api/v1/admin/customers/duplicates", headers=admin, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_duplicates_come_with_their_reasons(client, db):
    net = f.network(db)
    admin = f.token(client, net["users"]["admin"])
    a = _customer(db, "a@test.dev", phone="+8613900139000")
    b = _customer(db, "b@test.dev", phone="+8613900139000")
    c = _customer(db, "c@test.dev", phone="+8613700137000")
    d = _customer(db, "d@test.dev")
    _identity(db, c, "h" * 64)
    _identity(db, d, "h" * 64)
    with db.transaction() as s:  # an e-mail kept with other case and spaces by an old channel
        s.execute(update(User).where(User.id == d).values(email=" A@Test.dev"))
    got = {frozenset((p["a"], p["b"])): p["reasons"] for p in _pairs(client, admin)["items"]}
    assert got == {
        frozenset((a, b)): ["phone"],
        frozenset((c, d)): ["id_number"],
        frozenset((a, d)): ["email"],
    }
    # paginated with a cursor, in a stable order
    first = _pairs(client, admin, limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = _pairs(client, admin, limit=2, cursor=first["next_cursor"])
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    seen = [(p["a"], p["b"]) for p in first["items"] + rest["items"]]
    assert seen == sorted(seen) and len(set(seen)) == 3
    staff = f.token(client, net["users"]["staff"])
    problem(
        client.get("/api/v1/admin/customers/duplicates", headers=staff), 403, "role_not_allowed"
    )


def test_merge_folds_the_order_into_the_survivor_and_undo_restores(client, db):
    net, vins, buyer = h.setup(db, client)
    admin = f.token(client, net["users"]["admin"])
    merged_id = _id_of(db, net["users"]["customer"])
    order = h.reserve(client, buyer, vins[0]).json()
    survivor_id = _customer(db, "same.person@test.dev")
    survivor = f.token(client, "same.person@test.dev")

    r = client.post(
        f"/api/v1/admin/customers/{merged_id}/merge",
        headers=admin,
        json={"into": survivor_id, "note": "same phone, confirmed by call"},
    )
    assert r.status_code == 201, r.text
    merge = r.json()
    assert merge["merged_id"] == merged_id and merge["survivor_id"] == survivor_id

    prof = client.get(f"/api/v1/customers/{survivor_id}/profile", headers=admin).json()
    assert prof["accounts"] == [survivor_id, merged_id]
    assert [o["id"] for o in prof["orders"]] == [order["id"]]
    events = client.get(f"/api/v1/customers/{survivor_id}/timeline", headers=admin).json()
    types = [e["type"] for e in events["items"]]
    assert "order.reserved" in types and "customer.merged" in types
    # the survivor reads it as their own timeline too
    mine = client.get(f"/api/v1/customers/{survivor_id}/timeline", headers=survivor).json()
    assert "order.reserved" in [e["type"] for e in mine["items"]]

    # the merged account can no longer log in, and its live token stopped working
    r = client.post(
        "/api/v1/auth/token", json={"email": net["users"]["customer"], "password": f.PASSWORD}
    )
    problem(r, 401, "account_merged")
    assert client.get("/api/v1/me", headers=buyer).status_code == 401

    # a second merge of the same account, into itself, into a merged one: refused
    again = {"into": survivor_id, "note": ""}
    url = f"/api/v1/admin/customers/{merged_id}/merge"
    problem(client.post(url, headers=admin, json=again), 409, "already_merged")
    problem(
        client.post(
            f"/api/v1/admin/customers/{survivor_id}/merge", headers=admin, json={"into": merged_id}
        ),
        409,
        "already_merged",
    )
    problem(
        client.post(
            f"/api/v1/admin/customers/{survivor_id}/merge",
            headers=admin,
            json={"into": survivor_id},
        ),
        409,
        "merge_into_self",
    )

    r = client.post(f"/api/v1/admin/customers/merges/{merge['id']}/undo", headers=admin)
    assert r.status_code == 200 and r.json()["undone_at"], r.text
    problem(
        client.post(f"/api/v1/admin/customers/merges/{merge['id']}/undo", headers=admin),
        409,
        "merge_undone",
    )
    prof = client.get(f"/api/v1/customers/{survivor_id}/profile", headers=admin).json()
    assert prof["accounts"] == [survivor_id] and prof["orders"] == []
    theirs = client.get(f"/api/v1/customers/{merged_id}/profile", headers=admin).json()
    assert [o["id"] for o in theirs["orders"]] == [order["id"]]
    back = f.token(client, net["users"]["customer"])
    assert client.get("/api/v1/me", headers=back).json()["id"] == merged_id

    with db.reading() as s:
        audit = s.execute(
            select(AuditEntry.action, AuditEntry.detail)
            .where(AuditEntry.entity_type == "customer_merge")
            .order_by(AuditEntry.id)
        ).all()
    assert [a for a, _ in audit] == ["customer.merge", "customer.unmerge"]
    assert audit[0][1]["note"] == "same phone, confirmed by call"


def test_merge_refused_when_identity_documents_conflict(client, db):
    net = f.network(db)
    admin = f.token(client, net["users"]["admin"])
    a = _customer(db, "a@test.dev")
    b = _customer(db, "b@test.dev")
    _identity(db, a, "1" * 64)
    _identity(db, b, "2" * 64)
    url = f"/api/v1/admin/customers/{a}/merge"
    problem(client.post(url, headers=admin, json={"into": b}), 409, "identity_conflict")
    problem(client.post(url, headers=admin, json={"into": "nobody"}), 404, "customer_not_found")
    problem(
        client.post("/api/v1/admin/customers/nobody/merge", headers=admin, json={"into": b}),
        404,
        "customer_not_found",
    )
    problem(
        client.post("/api/v1/admin/customers/merges/999/undo", headers=admin),
        404,
        "merge_not_found",
    )
    # one document on file (or the same number) is no conflict
    c = _customer(db, "c@test.dev")
    assert client.post(url, headers=admin, json={"into": c}).status_code == 201


def test_a_dealer_reads_only_profiles_of_its_own_customers(client, db):
    net, vins, buyer = h.setup(db, client)
    buyer_id = _id_of(db, net["users"]["customer"])
    h.reserve(client, buyer, vins[0])  # delivered and credited by SH-1
    staff = f.token(client, net["users"]["staff"])  # SH-1
    prof = client.get(f"/api/v1/customers/{buyer_id}/profile", headers=staff)
    assert prof.status_code == 200 and len(prof.json()["orders"]) == 1, prof.text
    other = f.token(client, net["users"]["other_manager"])  # SH-2
    problem(client.get(f"/api/v1/customers/{buyer_id}/profile", headers=other), 404, "not_found")
    problem(
        client.get(f"/api/v1/customers/{buyer_id}/profile", headers=buyer), 403, "role_not_allowed"
    )


def _page_login(client, email):
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"email": email, "password": f.PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def test_the_console_page_merges_and_undoes(client, db):
    net = f.network(db)
    a = _customer(db, "a@test.dev", phone="+8613900139000", name="Wang Fang")
    b = _customer(db, "b@test.dev", phone="+8613900139000", name="Wang Fang")
    assert client.get("/oem/customers/duplicates", follow_redirects=False).status_code == 303
    _page_login(client, net["users"]["admin"])
    page = client.get("/oem/customers/duplicates")
    assert page.status_code == 200 and "same phone" in page.text and "a@test.dev" in page.text
    form = {"merged": b, "into": a, "note": "called her", "csrf_token": csrf_of(page.text)}
    r = client.post("/oem/customers/duplicates/merge", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/oem/customers/duplicates")
    assert "same phone" not in page.text and "called her" in page.text
    merge_id = re.search(r"/oem/customers/merges/(\d+)/undo", page.text).group(1)
    r = client.post(
        f"/oem/customers/merges/{merge_id}/undo",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "same phone" in client.get("/oem/customers/duplicates").text
    # a refused merge shows why, in the page, with the error's status
    r = client.post(
        "/oem/customers/duplicates/merge",
        data={**form, "merged": a, "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 409 and "merged into itself" in r.text
    zh = client.get("/oem/customers/duplicates", headers={"Accept-Language": "zh-CN"})
    assert "重复的客户账户" in zh.text and "手机号相同" in zh.text
