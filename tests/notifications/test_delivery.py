"""E-mail and text messages leave after commit, through a real SMTP server, with retries."""

import datetime as dt
import logging
from email.header import decode_header, make_header

import pytest

from motormall.notifications import delivery, jobs, service
from motormall.notifications.models import Notification
from motormall.platform.db import utcnow
from tests import factories as f
from tests.notifications.smtp import SmtpServer, free_port, text_of

NEW = {
    "email": "chen.jie@example.com",
    "password": "long-enough-1",
    "name": "Chen Jie",
    "phone": "138 0013 8000",
    "city": "Shanghai",
}


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    settings.smtp_url = server.url
    yield server
    server.stop()


def _only_note(db) -> Notification:
    with db.reading() as s:
        (note,) = s.query(Notification).all()
        return note


def test_the_welcome_is_mailed_in_the_customers_language(client, db, smtp, settings):
    settings.sms_provider = "off"
    assert client.post("/api/v1/auth/register", json={**NEW, "locale": "zh-CN"}).status_code == 201
    (mail,) = smtp.messages
    assert mail["To"] == "chen.jie@example.com" and mail["Content-Language"] == "zh-Hans"
    assert str(make_header(decode_header(mail["Subject"]))) == "欢迎来到 motormall"
    text = text_of(mail)
    assert "Chen Jie，您好" in text and f"{settings.public_url}/search" in text
    note = _only_note(db)
    assert note.pending_channels == [] and note.delivered_at and note.next_attempt_at is None


def test_a_refused_connection_is_retried_with_back_off_until_it_goes(client, db, settings):
    port = free_port()
    settings.smtp_url = f"smtp://127.0.0.1:{port}"  # nothing listens yet
    settings.sms_provider = "off"
    assert client.post("/api/v1/auth/register", json=NEW).status_code == 201
    note = _only_note(db)
    assert note.pending_channels == ["email"] and note.attempts == 1
    assert note.last_error.startswith("smtp: ") and note.delivered_at is None
    wait = note.next_attempt_at - utcnow()
    assert dt.timedelta(seconds=50) < wait <= dt.timedelta(seconds=60)
    assert jobs.send_due() == {}  # not due yet
    server = SmtpServer(port).start()
    try:
        with db.transaction() as s:  # a minute passes
            s.get(Notification, note.id).next_attempt_at = utcnow() - dt.timedelta(seconds=1)
        assert jobs.send_due() == {"sent": 1}
        assert len(server.messages) == 1
    finally:
        server.stop()
    note = _only_note(db)
    assert note.attempts == 2 and note.pending_channels == [] and note.last_error is None


def test_back_off_grows_then_gives_up():
    waits = [delivery.backoff(n) for n in range(1, 7)]
    assert waits[:5] == [dt.timedelta(seconds=s) for s in (60, 300, 1800, 7200, 21600)]
    assert waits[5] is None


def test_one_message_is_claimed_by_one_sender_at_a_time(client, db, settings):
    """The after-commit send and the sweep cannot both send one message."""
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    buyer_id = client.get("/api/v1/me", headers=buyer).json()["id"]
    now = utcnow()
    with db.transaction() as s:
        note = service.notify(s, buyer_id, "welcome", name="x")  # no SMTP: inbox only
        note.pending_channels, note.next_attempt_at = ["email"], now  # as if e-mail were owed
    first = delivery.claim(db, note.id, now=now, public_url="http://x")
    assert first is not None and first.channels == ("email",)
    assert delivery.claim(db, note.id, now=now, public_url="http://x") is None
    later = now + delivery.LEASE + dt.timedelta(seconds=1)  # the first sender died
    assert delivery.claim(db, note.id, now=later, public_url="http://x") is not None


def test_text_messages_go_through_the_provider(client, db, settings, caplog):
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    buyer_id = client.get("/api/v1/me", headers=buyer).json()["id"]
    with db.transaction() as s:
        s.get(service.User, buyer_id).phone = "+8613800138000"
    with caplog.at_level(logging.INFO, logger="motormall.notifications"), db.transaction() as s:
        service.notify(s, buyer_id, "password_changed", link="/login")
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("sms to")]
    assert "+8613800138000" in line and "Your password was changed" in line
