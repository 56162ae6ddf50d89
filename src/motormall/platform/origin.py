"""Where a request came from, as keyed hashes: the network (IPv4 /24, IPv6 /48) and the
device (user agent and the `mm_browser` cookie). Survey answers carry them, and so do dealer
staff's logins, so the carmaker can see a dealer's ratings typed on the dealer's own
showroom Wi-Fi or tablet without anyone storing an address.

The hashes are HMAC-SHA256 under the app's secret key (per purpose), cut to 32 hex digits:
equal inputs give equal hashes, and without the key no one can test an address against them.
A /24 (a /48) rather than the address: a showroom's devices share it, and a home router's
address changes within it. A user agent alone is not a device (every phone of one model and
version sends the same), so no device hash is recorded without the browser cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass

from sqlalchemy import ForeignKey, Index, Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from motormall.platform.db import Base, UTCDateTime
from motormall.platform.http import client_ip

BROWSER_COOKIE = "mm_browser"
BROWSER_COOKIE_DAYS = 730
PREFIX = {4: 24, 6: 48}


@dataclass(frozen=True)
class Origin:
    network: str | None = None
    device: str | None = None


class StaffOrigin(Base):
    """A network or device a dealer's staff logged in from (hashes only)."""

    __tablename__ = "staff_origins"
    __table_args__ = (Index("uq_staff_origins", "dealer_id", "kind", "hash", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    kind: Mapped[str] = mapped_column(String(10))  # network | device
    hash: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    first_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    logins: Mapped[int] = mapped_column(Integer, default=1)


def network_of(address: str) -> str | None:
    """'203.0.113.0/24' for 203.0.113.7; None for what is not an address."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ipaddress.ip_network(f"{ip}/{PREFIX[ip.version]}", strict=False))


def keyed(secret: str, purpose: str, value: str) -> str:
    mac = hmac.new(secret.encode(), f"{purpose}\n{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def origin_of(secret: str, *, address: str, user_agent: str, browser: str | None) -> Origin:
    network = network_of(address)
    return Origin(
        network=keyed(secret, "network", network) if network else None,
        device=keyed(secret, "device", f"{user_agent[:400]}\n{browser}") if browser else None,
    )


def browser_id(request) -> str:
    """The browser's long-lived random id, made now when it has none (kept by
    `keep_browser_id` on the response)."""
    value = request.cookies.get(BROWSER_COOKIE, "")[:64]
    if not value:
        value = getattr(request.state, "new_browser", None) or secrets.token_urlsafe(18)
        request.state.new_browser = value
    return value


def keep_browser_id(request, response) -> None:
    new = getattr(request.state, "new_browser", None)
    if new:
        response.set_cookie(
            BROWSER_COOKIE,
            new,
            max_age=BROWSER_COOKIE_DAYS * 86400,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )


def request_origin(request, *, browser: str | None = None) -> Origin:
    """The request's origin. `browser`: the page's browser id (API callers have none)."""
    settings = request.app.state.settings
    address = client_ip(
        request.scope,
        request.headers.get("x-forwarded-for", "").encode("latin-1") or None,
        trust_proxy=settings.trust_proxy,
    )
    return origin_of(
        settings.effective_secret_key,
        address=address,
        user_agent=request.headers.get("user-agent", ""),
        browser=browser or request.cookies.get(BROWSER_COOKIE, "")[:64] or None,
    )


def record_staff(
    session: Session, *, dealer_id: int, user_id: str, origin: Origin, now: dt.datetime
) -> None:
    """Remember where a dealer's staff member logged in from: one row per dealer and hash,
    its count and last time bumped at each login."""
    for kind, value in (("network", origin.network), ("device", origin.device)):
        if not value:
            continue
        bumped = session.execute(
            update(StaffOrigin)
            .where(
                StaffOrigin.dealer_id == dealer_id,
                StaffOrigin.kind == kind,
                StaffOrigin.hash == value,
            )
            .values(last_seen=now, logins=StaffOrigin.logins + 1, user_id=user_id)
            .execution_options(synchronize_session=False)
        )
        if bumped.rowcount:
            continue
        try:
            with session.begin_nested():
                session.add(
                    StaffOrigin(
                        dealer_id=dealer_id,
                        kind=kind,
                        hash=value,
                        user_id=user_id,
                        first_seen=now,
                        last_seen=now,
                        logins=1,
                    )
                )
        except IntegrityError:
            pass  # a colleague's login from the same place at the same moment made it


def staff_origins(session: Session, dealer_id: int) -> dict[tuple[str, str], int]:
    """(kind, hash) → logins, for one dealer."""
    rows = session.execute(
        select(StaffOrigin.kind, StaffOrigin.hash, StaffOrigin.logins).where(
            StaffOrigin.dealer_id == dealer_id
        )
    )
    return {(k, h): n for k, h, n in rows}
