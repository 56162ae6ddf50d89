"""PUT/GET /me/identity and DELETE /me/biometrics over HTTP, with real photos and the real
face model, and the port the test-drive domain calls."""

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from motormall.customers import identity
from motormall.customers.models import CustomerIdentity
from motormall.models import metadata
from motormall.platform.audit import AuditEntry
from motormall.vision import faces
from tests.customers.identity_helpers import (
    ID_NUMBER,
    customer,
    face_jpeg,
    no_face_jpeg,
    put,
    two_faces_jpeg,
)


def audit_actions(db, customer_id) -> list[str]:
    with db.reading() as s:
        return list(
            s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity_type == "customer_identity")
                .where(AuditEntry.entity_id == customer_id)
                .order_by(AuditEntry.id)
            )
        )


def row(db, customer_id) -> CustomerIdentity | None:
    with db.reading() as s:
        return s.get(CustomerIdentity, customer_id)


def test_with_consent_the_template_is_kept_and_the_port_gives_it(db, client):
    me, headers = customer(db, client)
    r = put(client, headers, photo=face_jpeg(), consent=True)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id_number_masked"] == "**************002X"
    assert body["has_id_photo"] and body["consent_biometrics"] and body["face_template"]
    assert body["model_version"] == identity.model_version()
    assert client.get("/api/v1/me/identity", headers=headers).json() == body

    with db.transaction() as s:
        assert identity.biometric_consent(s, me)
        template = identity.face_template(s, me, purpose="tower_release", actor_id=7)
        assert len(identity.id_number_hash(s, me)) == 64
    assert template.dtype == np.float32 and template.shape == (faces.DIMENSIONS,)
    # the template is the photo's own: far nearer to it enrolled again than to someone else
    same = faces.enrol(identity._photo_image(face_jpeg()))
    other = faces.enrol(identity._photo_image(face_jpeg("Tony_Blair", 2)))
    assert np.linalg.norm(template - same) < np.linalg.norm(template - other) / 3
    assert audit_actions(db, me) == [
        "identity.updated",
        "identity.consent_given",
        "identity.template_used",
    ]
    with db.reading() as s:
        used = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "identity.template_used")
        ).one()
    assert used.detail["purpose"] == "tower_release" and used.actor_id == "7"


def test_without_consent_no_template_is_stored_and_tower_drives_would_be_refused(db, client):
    me, headers = customer(db, client)
    r = put(client, headers, photo=face_jpeg(), consent=False)
    assert r.status_code == 200, r.text
    assert r.json()["has_id_photo"] and not r.json()["face_template"]
    assert not r.json()["consent_biometrics"] and r.json()["model_version"] is None
    stored = row(db, me)
    assert stored.face_template is None and stored.id_photo is not None
    with db.transaction() as s:
        assert not identity.biometric_consent(s, me)
        assert identity.face_template(s, me, purpose="tower_release", actor_id=None) is None
    assert "identity.template_used" not in audit_actions(db, me)


def test_consent_given_later_enrols_the_photo_on_file(db, client):
    me, headers = customer(db, client)
    assert put(client, headers, photo=face_jpeg(), consent=False).status_code == 200
    r = put(client, headers, consent=True)  # no new photo: the one on file is used
    assert r.status_code == 200, r.text
    assert r.json()["face_template"] and r.json()["consent_biometrics"]
    assert audit_actions(db, me)[-1] == "identity.consent_given"


def test_consent_withdrawn_by_put_deletes_the_template_and_keeps_the_photo(db, client):
    me, headers = customer(db, client)
    put(client, headers, photo=face_jpeg(), consent=True)
    r = put(client, headers, consent=False)
    assert r.status_code == 200, r.text
    assert r.json()["has_id_photo"] and not r.json()["face_template"]
    assert row(db, me).face_template is None
    assert audit_actions(db, me)[-1] == "identity.consent_withdrawn"


def test_delete_biometrics_removes_photo_and_template_and_is_audited(db, client):
    me, headers = customer(db, client)
    put(client, headers, photo=face_jpeg(), consent=True)
    assert client.delete("/api/v1/me/biometrics", headers=headers).status_code == 204
    body = client.get("/api/v1/me/identity", headers=headers).json()
    assert body["id_number_masked"].endswith("002X")
    assert not body["has_id_photo"] and not body["face_template"]
    assert not body["consent_biometrics"]
    stored = row(db, me)
    assert stored.id_photo is None and stored.face_template is None
    assert stored.face_dimensions is None and stored.face_model_version is None
    with db.transaction() as s:
        assert not identity.biometric_consent(s, me)
    with db.reading() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "identity.biometrics_deleted")
        ).one()
    assert entry.actor_id == me
    assert entry.detail == {"photo_deleted": True, "template_deleted": True}
    # deleting again is harmless; consenting again needs a new photo
    assert client.delete("/api/v1/me/biometrics", headers=headers).status_code == 204
    r = put(client, headers, consent=True)
    assert r.status_code == 422 and r.json()["code"] == "id_photo_required"


def test_identity_is_404_before_any_and_the_route_is_for_customers(db, client):
    _, headers = customer(db, client)
    r = client.get("/api/v1/me/identity", headers=headers)
    assert r.status_code == 404 and r.json()["code"] == "no_identity"
    assert client.get("/api/v1/me/identity").status_code == 401
    r = put(client, headers, photo=None, consent=False)
    assert r.status_code == 422 and r.json()["code"] == "id_photo_required"


@pytest.mark.parametrize("consent", [True, False])
def test_a_photo_without_exactly_one_face_is_refused(db, client, consent):
    me, headers = customer(db, client)
    r = put(client, headers, photo=no_face_jpeg(), consent=consent)
    assert r.status_code == 422 and r.json()["code"] == "no_face", r.text
    r = put(client, headers, photo=two_faces_jpeg(), consent=consent)
    assert r.status_code == 422 and r.json()["code"] == "several_faces", r.text
    assert r.json()["faces"] == 2
    assert row(db, me) is None  # nothing kept from a refused request


def test_a_wrong_id_number_or_a_file_that_is_not_an_image_is_refused(db, client):
    me, headers = customer(db, client)
    r = put(client, headers, number="110105194912310021", photo=face_jpeg(), consent=True)
    assert r.status_code == 422 and r.json()["code"] == "invalid_id_number"
    assert r.json()["reason"] == "check_character"
    assert "check character" in r.json()["detail"]
    r = put(client, headers, photo=b"%PDF-1.7 not a photo", consent=True)
    assert r.status_code == 422 and r.json()["code"] == "not_an_image"
    r = put(client, headers, photo=b"", consent=True)
    assert r.status_code == 422
    assert row(db, me) is None


def test_the_plain_id_number_is_never_stored(db, client, backend):
    me, headers = customer(db, client)
    put(client, headers, photo=face_jpeg(), consent=True)
    plain = ID_NUMBER.encode()
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:  # every column of every row, raw
            for values in conn.execute(table.select()):
                for value in values:
                    raw = value if isinstance(value, bytes | memoryview) else str(value).encode()
                    assert plain not in bytes(raw), table.name
    if backend == "sqlite":
        path = Path(db.engine.url.database)
        wal = path.with_name(path.name + "-wal")  # recent pages live in the write-ahead log
        image = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        assert plain not in image and ID_NUMBER[:17].encode() not in image
        assert b"002X" in image  # the last four are kept, to show what is on file
