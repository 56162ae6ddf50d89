"""The storefront's "find this car" page through HTTP."""

import html

from tests.factories import network
from tests.vision.photos import car_bytes, face
from tests.web.test_pages import csrf_of


def post_photo(client, data: bytes, **form):
    token = csrf_of(client.get("/find").text)
    return client.post(
        "/find",
        files={"image": ("p.jpg", data, "image/jpeg")},
        data={"csrf_token": token, **form},
    )


def test_the_page_offers_camera_and_gallery(client, db):
    r = client.get("/find")
    assert r.status_code == 200
    assert (
        'capture="environment"' in r.text and 'accept="image/jpeg,image/png,image/webp"' in r.text
    )


def test_without_references_it_says_it_only_knows_the_body_type(client, db):
    network(db)
    r = post_photo(client, car_bytes("Ford_F-150_Regular_Cab_2012", 9), city="Shanghai")
    assert r.status_code == 200
    assert "We don't know this model yet" in html.unescape(r.text)
    assert "has not loaded its reference photos" in r.text
    assert "Pickup" in r.text


def test_a_photo_without_a_car_tells_the_buyer_what_to_do(client, db):
    r = post_photo(client, face("Tony_Blair", 3).read_bytes())
    assert r.status_code == 422
    assert "Take it again with the whole car in view" in r.text
    assert post_photo(client, b"not a photo").status_code == 422


def test_a_forged_form_is_refused(client, db):
    client.get("/find")
    r = client.post(
        "/find",
        files={"image": ("p.jpg", car_bytes("Ford_GT_Coupe_2006", 9), "image/jpeg")},
        data={"csrf_token": "forged"},
    )
    assert r.status_code == 422 and "reload the page" in r.text


def test_a_model_without_references_is_said_to_be_unknown(client, db):
    from tests.factories import token

    net = network(db)
    admin = token(client, net["users"]["admin"])
    ix3, _ = net["models"]
    files = [
        ("photos", (f"{n}.jpg", car_bytes("BMW_X3_SUV_2012", n), "image/jpeg")) for n in range(1, 9)
    ]
    r = client.post(f"/api/v1/models/{ix3}/reference-photos", files=files, headers=admin)
    assert r.status_code == 201
    r = post_photo(client, car_bytes("Tesla_Model_S_Sedan_2012", 9))
    assert r.status_code == 200
    text = html.unescape(r.text)
    assert "We don't know this model yet" in text and "Is it one of these?" not in text
    assert " %</span>" not in text  # no score at all
