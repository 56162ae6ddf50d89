"""Tower test-drive helpers: a network with tower stock, customers who pass the gate
(member, consent, credit) through the real APIs, and the frames a kiosk sends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from motormall.catalog import service as catalog
from motormall.catalog.models import Vehicle
from motormall.catalog.schemas import ModelIn, TrimIn
from motormall.customers.rules import check_char
from motormall.membership import service as membership
from motormall.platform.auth import Role, create_user
from motormall.platform.db import utcnow
from motormall.testdrives.models import TestDrive
from tests import factories as f
from tests.finance.helpers import declare
from tests.vision.photos import FACES

# one face in each (YuNet finds bystanders in some evaluation photos): Hugo Chavez 005 and 004
# frontal, 003 turned to his own left; 001 is the "ID photo"
ID_PHOTO = ("Hugo_Chavez", "001")
TURN_LEFT = [("Hugo_Chavez", "005"), ("Hugo_Chavez", "004"), ("Hugo_Chavez", "003")]
# Tony Blair: 002, 005 frontal, 004 turned to his own right
SOMEONE_ELSE = [("Tony_Blair", "002"), ("Tony_Blair", "005"), ("Tony_Blair", "004")]


def id_number(serial: int) -> str:
    """A valid resident ID number (GB 11643 check character), one per serial."""
    body = f"1101051985031{serial % 10000:04d}"
    return body + check_char(body)


def jpeg(person: str, n: str) -> bytes:
    return (FACES / person / f"{n}.jpg").read_bytes()


def tower_network(db, *, cars: int = 3):
    """The factory network, every BMW member a super member, `cars` BMW iX3 in bays of
    TWR-SH1, a BMW i5 in the next bay (net["i5"]: vin, model id) and a Ford at a dealer."""
    net = f.network(db)
    with db.transaction() as s:
        i5 = catalog.create_model(
            s, ModelIn(brand="BMW", name="i5", body_type="sedan", powertrain="bev"), actor_id=None
        )
        i5_trim = catalog.create_trim(
            s, TrimIn(model_id=i5.id, name="eDrive40", msrp="449900.00"), actor_id=None
        ).id
        membership.set_programme(
            s,
            "BMW",
            {"tiers": [{"code": "member", "super_member": True}]},
            actor_id=None,
            now=utcnow(),
        )
        create_user(
            s, email="kiosk@test.dev", password=f.PASSWORD, role=Role.tower, tower_id=net["tower"]
        )
    vins = f.stock(
        db, net["dealers"]["SH-1"], net["trims"][0], range(1, cars + 1), tower_id=net["tower"]
    )
    i5_vin = f.stock(db, net["dealers"]["SH-1"], i5_trim, [500])[0]
    with db.transaction() as s:  # into the tower's next bay, after the iX3s
        s.execute(
            update(Vehicle).where(Vehicle.vin == i5_vin).values(tower_id=net["tower"], bay=cars + 1)
        )
    net["i5"] = (i5_vin, i5.id)
    dealer_vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][1], [900])[0]
    return net, vins, dealer_vin


def customer(db, client, email: str) -> dict:
    with db.transaction() as s:
        create_user(s, email=email, password=f.PASSWORD, role=Role.customer)
    return f.token(client, email)


def join(client, headers, brand="BMW"):
    r = client.post("/api/v1/me/memberships", json={"brand": brand}, headers=headers)
    assert r.status_code == 201, r.text


def consent(client, headers, serial: int, photo=ID_PHOTO):
    r = client.put(
        "/api/v1/me/identity",
        headers=headers,
        data={"id_number": id_number(serial), "consent_biometrics": "true"},
        files={"id_photo": ("id.jpg", jpeg(*photo), "image/jpeg")},
    )
    assert r.status_code == 200, r.text


def eligible_customer(db, client, email: str, serial: int, photo=ID_PHOTO) -> dict:
    """A BMW super member with an ID and consent on file and a good credit score."""
    headers = customer(db, client, email)
    join(client, headers)
    consent(client, headers, serial, photo)
    declare(client, headers)
    return headers


def book(client, headers, vin, start=None):
    start = start or utcnow() + dt.timedelta(hours=1)
    return client.post(
        "/api/v1/test-drives",
        json={"kind": "tower", "vin": vin, "start": start.isoformat()},
        headers=headers,
    )


def set_challenge(db, drive_id: str, challenge: str) -> None:
    """The drive's random head turn, fixed so that the evaluation photos answer it."""
    with db.transaction() as s:
        s.execute(update(TestDrive).where(TestDrive.id == drive_id).values(challenge=challenge))


def release(client, headers, drive_id, frames):
    files = [("selfie", (f"{i}.jpg", jpeg(*p), "image/jpeg")) for i, p in enumerate(frames)]
    return client.post(f"/api/v1/test-drives/{drive_id}/release", headers=headers, files=files)
