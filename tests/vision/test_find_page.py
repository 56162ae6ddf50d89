"""The storefront's "find this car" page through HTTP."""

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
