"""Where a dealer's webhooks may go: public internet addresses only.

A dealer manager chooses the URL, so without this check the server would POST to anything it
can reach: its own /metrics on loopback, the cloud's metadata service on link-local, the
private network behind it. The URL is checked when it is set (every spelling of a loopback
address: `[::1]`, `0x7f000001`, `127.1`, `::ffff:127.0.0.1`, names that resolve there) and
again at each delivery, when the name is resolved once, every address is checked and the
connection goes to the checked address (so a name that re-resolves elsewhere — DNS
rebinding — cannot slip through between check and connect). An operator whose dealers'
systems live on a private network turns the check off with MOTORMALL_WEBHOOK_ALLOW_PRIVATE.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from motormall.platform.errors import Invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_getaddrinfo = socket.getaddrinfo  # one seam, so tests can play a rebinding resolver


class TargetForbidden(Invalid):
    """The URL reaches (or may reach) an address that is not on the public internet."""

    def __init__(self, detail: str, *, category: str = "target_forbidden"):
        super().__init__("webhook_target_forbidden", detail)
        self.category = category  # what the delivery log says: never the raw error


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _split(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetForbidden("Webhooks go to an http(s) URL with a host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetForbidden("The URL's port is not a port number.") from None
    return parts.hostname, port, parts.scheme


def public_addresses(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, all public; TargetForbidden otherwise."""
    try:
        infos = _getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise TargetForbidden(
            f"The host {host!r} does not resolve.", category="unresolvable"
        ) from None
    found = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    if not found or not all(is_public(ip) for ip in found):
        raise TargetForbidden(
            f"The host {host!r} is not a public internet address; webhooks go only there."
        )
    return found


def check(url: str, *, allow_private: bool) -> None:
    """Refuse a webhook URL that reaches a non-public address (422 webhook_target_forbidden)."""
    host, port, _ = _split(url)
    if not allow_private:
        public_addresses(host, port)


@dataclass(frozen=True)
class Pinned:
    """The request to make: the URL with the checked address in place of the name, the Host
    header the dealer's server expects, and the name TLS must verify."""

    url: str
    headers: dict
    extensions: dict


def pin(url: str, headers: dict, *, allow_private: bool) -> Pinned:
    if allow_private:
        return Pinned(url, headers, {})
    host, port, scheme = _split(url)
    ip = public_addresses(host, port)[0]
    parts = urlsplit(url)
    literal = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions = {"sni_hostname": host} if scheme == "https" else {}
    return Pinned(
        urlunsplit(parts._replace(netloc=netloc)), {**headers, "Host": host_header}, extensions
    )
