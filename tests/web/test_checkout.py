"""Checkout pages: reserve from the vehicle page, pay at the sandbox, see the order move."""

import re

from tests import factories as f
from tests.web.test_pages import csrf_of


def _login(client, email):
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"email": email, "password": f.PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_checkout_reserve_pay_deposit_then_dealer_hands_over(client, db):
    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1], price="300000.00")[0]
    assert f'href="/checkout/{vin}"' in client.get(f"/vehicles/{vin}").text
    # strangers are sent to log in first
    assert client.get(f"/checkout/{vin}", follow_redirects=False).status_code == 303
    _login(client, "buyer@test.dev")
    page = client.get(f"/checkout/{vin}")
    assert page.status_code == 200 and "SH-1" in page.text
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
    form = {"delivery": "SH-1", "nonce": nonce, "csrf_token": csrf_of(page.text)}
    r = client.post(f"/checkout/{vin}", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/sandbox/pay/")
    pay_url = r.headers["location"]
    # a double click makes no second order: it lands on the first one
    again = client.post(f"/checkout/{vin}", data=form, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/orders/")
    order_url = again.headers["location"]

    sandbox = client.get(pay_url)
    r = client.post(
        pay_url,
        data={"decision": "pay", "csrf_token": csrf_of(sandbox.text)},
        follow_redirects=False,
    )
    assert r.headers["location"] == order_url
    order = client.get(order_url)
    assert "Deposit paid" in order.text and "Pay the balance" in order.text
    # the buyer's list shows this order and its state ("My orders" is in every page's menu)
    mine = client.get("/orders").text
    assert f'<a href="{order_url}">BMW iX3</a>' in mine and "Deposit paid" in mine
    assert "Dealer SH-1, 1 SH-1 Road" in mine and 'class="step now"' in mine
    # going back to checkout finds the buyer's own hold, not "no longer available"
    back = client.get(f"/checkout/{vin}").text
    assert "You have reserved this car" in back and "no longer available" not in back

    r = client.post(
        f"{order_url}/pay",
        data={"purpose": "balance", "csrf_token": csrf_of(order.text)},
        follow_redirects=False,
    )
    balance_url = r.headers["location"]
    assert balance_url.startswith("/sandbox/pay/"), r.text
    sandbox = client.get(balance_url)
    client.post(balance_url, data={"decision": "pay", "csrf_token": csrf_of(sandbox.text)})
    assert 'status-paid">Paid<' in client.get(order_url).text

    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})
    _login(client, "staff@test.dev")
    portal = client.get("/dealer")
    assert vin in portal.text and "Hand over" in portal.text
    # whom to call about the handover, and which car it is
    assert 'href="mailto:buyer@test.dev"' in portal.text and "BMW iX3 eDrive35L" in portal.text
    order_id = order_url.rsplit("/", 1)[1]
    r = client.post(
        f"/dealer/orders/{order_id}/handover",
        data={"odometer_km": "8", "csrf_token": csrf_of(portal.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get(f"/api/v1/vehicles/{vin}").json()["status"] == "sold"

    # the buyer may bring it back within the window: the page offers what the API allows
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})
    _login(client, "buyer@test.dev")
    handed = client.get(order_url)
    assert 'id="return-car"' in handed.text
    r = client.post(
        f"{order_url}/return",
        data={"odometer_km": "20", "csrf_token": csrf_of(handed.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert 'status-returned">Returned<' in client.get(order_url).text


def test_an_expired_order_says_so_and_offers_the_car_again(client, db):
    import datetime as dt

    from motormall.orders import service
    from motormall.orders.models import Order
    from motormall.platform.db import utcnow

    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1], price="300000.00")[0]
    _login(client, "buyer@test.dev")
    page = client.get(f"/checkout/{vin}")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
    client.post(
        f"/checkout/{vin}",
        data={"delivery": "SH-1", "nonce": nonce, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )  # a deposit intent now waits at the provider, never paid
    with db.transaction() as s:
        order = s.query(Order).one()
        service.expire(s, order, now=utcnow() + dt.timedelta(hours=2))
        order_id = order.id
    shown = client.get(f"/orders/{order_id}").text
    assert "Expired" in shown
    assert "Waiting for the payment provider" not in shown and "hx-trigger" not in shown
    assert "Still to pay" not in shown
    assert f'id="reserve-again" href="/checkout/{vin}"' in shown


def test_checkout_of_a_taken_car_explains_why(client, db):
    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1], status="reserved")[0]
    _login(client, "buyer@test.dev")
    page = client.get(f"/checkout/{vin}")
    assert "no longer available" in page.text
    r = client.post(
        f"/checkout/{vin}",
        data={"delivery": "SH-1", "nonce": "n1", "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 409 and "not available" in r.text
