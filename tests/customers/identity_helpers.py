"""Customers with identities, and the photos their tests send."""

from __future__ import annotations

import io

from PIL import Image

from motormall.platform.auth import Role, create_user
from tests.factories import PASSWORD, token
from tests.vision.photos import FACES, car

ID_NUMBER = "11010519491231002X"
OTHER_NUMBER = "440524198001010013"


def customer(db, client, email="idbuyer@test.dev") -> tuple[str, dict]:
    with db.transaction() as s:
        user_id = create_user(s, email=email, password=PASSWORD, role=Role.customer).id
    return user_id, token(client, email)


def face_jpeg(person="Hugo_Chavez", n=1) -> bytes:
    return (FACES / person / f"{n:03d}.jpg").read_bytes()


def two_faces_jpeg() -> bytes:
    """Two people's photos pasted side by side: two faces in one picture."""
    with (
        Image.open(FACES / "Hugo_Chavez" / "001.jpg") as a,
        Image.open(FACES / "Tony_Blair" / "002.jpg") as b,
    ):
        canvas = Image.new("RGB", (a.width + b.width, max(a.height, b.height)), "white")
        canvas.paste(a.convert("RGB"), (0, 0))
        canvas.paste(b.convert("RGB"), (a.width, 0))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=92)
    return out.getvalue()


def no_face_jpeg() -> bytes:
    return car("Jeep_Wrangler_SUV_2012", 1).read_bytes()


def put(client, headers, *, number=ID_NUMBER, photo: bytes | None = None, consent=None):
    data = {"id_number": number}
    if consent is not None:
        data["consent_biometrics"] = "true" if consent else "false"
    files = {"id_photo": ("id.jpg", photo, "image/jpeg")} if photo is not None else None
    return client.put("/api/v1/me/identity", headers=headers, data=data, files=files)
