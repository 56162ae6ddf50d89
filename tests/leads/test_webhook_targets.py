"""Dealer webhooks go only to the public internet: no SSRF into the server's own network."""

import socket

import pytest
from sqlalchemy import select

from motormall.leads import targets
from motormall.leads.models import WebhookDelivery
from tests import factories as f
from tests.catalog.test_api import problem
from tests.leads.test_leads_api import inquire
from tests.leads.test_webhooks import Receiver
from tests.web.test_checkout import _login
from tests.web.test_pages import csrf_of

PUBLIC = "93.184.216.34"

FORBIDDEN = [
    "http://127.0.0.1:9090/metrics",
    "http://localhost:8000/metrics",
    "http://[::1]/hooks",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://127.1/",
    "http://0177.0.0.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://10.0.0.5/hooks",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fd00::1]/",
    "https://224.0.0.1/",
]


class FakeDns:
    """A resolver the test controls: each name answers the next address in its list."""

    def __init__(self, **names):
        self.names, self.calls = {k: list(v) for k, v in names.items()}, []

    def __call__(self, host, port, *args, **kwargs):
        self.calls.append(host)
        answers = self.names.get(host)
        if answers is None:
            raise socket.gaierror(socket.EAI_NONAME, "not known")
        addr = answers.pop(0) if len(answers) > 1 else answers[0]
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (addr, port))]


@pytest.fixture
def net(db):
    return f.network(db)


@pytest.fixture
def manager(client, net):
    return f.token(client, net["users"]["manager"])


@pytest.mark.parametrize("url", FORBIDDEN)
def test_a_non_public_target_is_refused_when_set(client, manager, url):
    r = client.put("/api/v1/dealer/webhook", json={"url": url}, headers=manager)
    problem(r, 422, "webhook_target_forbidden")


def test_a_name_resolving_anywhere_private_is_refused(client, manager, monkeypatch):
    dns = FakeDns(**{"hooks.dealer.example": ["10.1.2.3"], "mixed.example": [PUBLIC]})
    monkeypatch.setattr(targets, "_getaddrinfo", dns)
    url = "https://hooks.dealer.example/in"
    problem(
        client.put("/api/v1/dealer/webhook", json={"url": url}, headers=manager),
        422,
        "webhook_target_forbidden",
    )
    problem(
        client.put(
            "/api/v1/dealer/webhook", json={"url": "https://nowhere.example/"}, headers=manager
        ),
        422,
        "webhook_target_forbidden",
    )
    r = client.put(
        "/api/v1/dealer/webhook", json={"url": "https://mixed.example/"}, headers=manager
    )
    assert r.status_code == 200
    # every address counts: one private answer among public ones is enough to refuse
    monkeypatch.setattr(
        targets,
        "_getaddrinfo",
        lambda host, port, **kw: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ],
    )
    problem(
        client.put(
            "/api/v1/dealer/webhook", json={"url": "https://mixed.example/"}, headers=manager
        ),
        422,
        "webhook_target_forbidden",
    )


def test_a_public_address_is_accepted(client, manager):
    r = client.put(
        "/api/v1/dealer/webhook", json={"url": f"http://{PUBLIC}/hooks"}, headers=manager
    )
    assert r.status_code == 200 and r.json()["url"] == f"http://{PUBLIC}/hooks"


def test_a_name_that_rebinds_to_loopback_after_the_check_is_not_delivered(
    client, db, net, manager, monkeypatch
):
    """DNS rebinding: public when the URL is set, loopback when the delivery resolves it."""
    receiver = Receiver()
    try:
        port = receiver.server.server_port
        dns = FakeDns(**{"hooks.dealer.example": [PUBLIC, "127.0.0.1"]})
        monkeypatch.setattr(targets, "_getaddrinfo", dns)
        url = f"http://hooks.dealer.example:{port}/hooks"
        assert (
            client.put("/api/v1/dealer/webhook", json={"url": url}, headers=manager).status_code
            == 200
        )
        buyer = f.token(client, net["users"]["customer"])
        assert inquire(client, buyer, net).status_code == 201
        assert receiver.received == []  # nothing reached the loopback listener
        with db.reading() as s:
            (delivery,) = s.scalars(select(WebhookDelivery))
        assert delivery.status == "pending" and delivery.last_error == "target_forbidden"
    finally:
        receiver.close()


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch):
    """Resolved once: a second, different answer cannot be what the request connects to."""
    dns = FakeDns(**{"hooks.dealer.example": [PUBLIC, "127.0.0.1"]})
    monkeypatch.setattr(targets, "_getaddrinfo", dns)
    pinned = targets.pin(
        "https://hooks.dealer.example:8443/in?x=1", {"A": "b"}, allow_private=False
    )
    assert pinned.url == f"https://{PUBLIC}:8443/in?x=1"
    assert pinned.headers == {"A": "b", "Host": "hooks.dealer.example:8443"}
    assert pinned.extensions == {"sni_hostname": "hooks.dealer.example"}  # TLS checks the name
    assert dns.calls == ["hooks.dealer.example"]
    dns = FakeDns(**{"v6.example": ["2606:2800:220:1:248:1893:25c8:1946"]})
    monkeypatch.setattr(targets, "_getaddrinfo", dns)
    assert targets.pin("http://v6.example/", {}, allow_private=False).url == (
        "http://[2606:2800:220:1:248:1893:25c8:1946]/"
    )


def test_the_delivery_log_names_a_category_not_the_raw_error(client, db, net, settings, manager):
    """With private targets allowed (the operator's choice), a closed port reads as
    'connection_refused', never the socket error text."""
    settings.webhook_allow_private = True
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    url = f"http://127.0.0.1:{closed}/metrics"
    assert (
        client.put("/api/v1/dealer/webhook", json={"url": url}, headers=manager).status_code == 200
    )
    buyer = f.token(client, net["users"]["customer"])
    inquire(client, buyer, net)
    with db.reading() as s:
        (delivery,) = s.scalars(select(WebhookDelivery))
    assert delivery.last_error == "connection_refused"
    listed = client.get("/api/v1/dealer/webhooks", headers=manager).json()["items"]
    assert "Errno" not in str(listed) and "refused" in str(listed)


def test_the_portal_refuses_a_private_target_with_a_translated_message(client, db, net):
    _login(client, "manager@test.dev")
    page = client.get("/dealer/webhooks")
    r = client.post(
        "/dealer/webhooks",
        data={"url": "http://169.254.169.254/latest", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "public internet address" in r.text
    r = client.post(
        "/dealer/webhooks",
        data={"url": "http://10.0.0.1/", "csrf_token": csrf_of(page.text)},
        headers={"Accept-Language": "zh-CN"},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "只能发送到公网地址" in r.text
