"""The identity and consent page: upload with consent, see it masked, delete after a confirm."""

from sqlalchemy import select

from motormall.customers import identity
from motormall.platform.audit import AuditEntry
from tests import factories as f
from tests.customers.identity_helpers import ID_NUMBER, face_jpeg, two_faces_jpeg
from tests.web.test_pages import csrf_of


def _login(client, email):
    page = client.get("/login")
    r = client.post(
        "/login", data={"email": email, "password": f.PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    assert r.status_code in (200, 303), r.text


def _submit(client, page, photo, *, consent=True, number=ID_NUMBER):
    data = {"id_number": number, "csrf_token": csrf_of(page.text)}
    if consent:
        data["consent_biometrics"] = "true"
    return client.post(
        "/identity",
        data=data,
        files={"id_photo": ("id.jpg", photo, "image/jpeg")},
        follow_redirects=False,
    )


def test_upload_with_consent_see_it_masked_then_delete_after_confirming(client, db):
    f.network(db)
    assert client.get("/identity", follow_redirects=False).status_code == 303
    _login(client, "buyer@test.dev")
    page = client.get("/identity")
    assert page.status_code == 200 and 'href="/identity"' in page.text  # in the navigation
    assert "Nothing yet" in page.text and "delete-biometrics" not in page.text

    r = _submit(client, page, two_faces_jpeg())
    assert r.status_code == 422 and "more than one face" in r.text
    r = _submit(client, page, face_jpeg(), number="110105194912310021")
    assert r.status_code == 422 and "check character" in r.text
    r = _submit(client, page, face_jpeg())
    assert r.status_code == 303 and r.headers["location"] == "/identity?done=saved"
    page = client.get("/identity?done=saved")
    assert "**************002X" in page.text and ID_NUMBER not in page.text
    assert 'id="has-template">Kept, encrypted' in page.text

    page = client.get("/identity?confirm=delete")
    assert 'id="confirm-delete"' in page.text
    r = client.post("/identity/delete-biometrics", data={"csrf_token": "forged"})
    assert r.status_code == 403
    r = client.post(
        "/identity/delete-biometrics",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get("/identity?done=deleted")
    assert 'id="has-template">None' in page.text and 'id="has-photo">None' in page.text
    with db.reading() as s:
        me = s.scalar(select(AuditEntry.actor_id).where(AuditEntry.action.like("identity.%")))
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == me)))
        assert not identity.biometric_consent(s, me)
    assert "identity.consent_given" in actions and "identity.biometrics_deleted" in actions

    zh = client.get("/identity", headers={"Accept-Language": "zh-CN"}).text
    assert "身份信息与授权" in zh and "生物识别授权" in zh
