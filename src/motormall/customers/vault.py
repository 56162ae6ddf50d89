"""Identity data sealed at rest: ID numbers, ID photos and face templates are encrypted with
Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`), ID numbers are also kept as a keyed
hash so the same person can be matched across accounts without decrypting anything.

Keys come from `MOTORMALL_IDENTITY_KEYS`: comma-separated Fernet keys, the first encrypts,
all decrypt (MultiFernet). After putting a new key first, `motormall identity rotate-keys`
re-encrypts every row with it; then the old key may be removed. A key derived from the
secret key (HKDF-SHA256) is always the last one tried: it encrypts when the setting is empty,
and it keeps rows readable when an installation moves from the derived key to its own keys
(set the keys, run rotate-keys, and nothing depends on the derived key any more).

The hash key is derived from the secret key alone (HKDF, its own label), so rotating the
encryption keys leaves the hashes unchanged; rotate-keys also recomputes them, which repairs
them after a change of secret key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from motormall.platform.config import Settings


class KeyMissing(Exception):
    """A sealed value none of the configured keys opens: a key was removed before
    `motormall identity rotate-keys` moved every row off it (an operator's mistake)."""


def _derive(secret: str, label: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"motormall identity " + label
    ).derive(secret.encode())


@dataclass(frozen=True)
class Vault:
    current: Fernet  # the first key: seals new values
    keys: MultiFernet  # every key: opens old ones
    hash_key: bytes

    def seal(self, data: bytes) -> bytes:
        return self.current.encrypt(data)

    def open(self, token: bytes) -> bytes:
        try:
            return self.keys.decrypt(bytes(token))
        except InvalidToken:
            raise KeyMissing(
                "identity data is sealed with a key missing from MOTORMALL_IDENTITY_KEYS"
            ) from None

    def is_current(self, token: bytes) -> bool:
        try:
            self.current.decrypt(bytes(token))
        except InvalidToken:
            return False
        return True

    def reseal(self, token: bytes) -> bytes:
        """The same value sealed with the current key."""
        return self.seal(self.open(token))

    def id_hash(self, number: str) -> str:
        """HMAC-SHA256 of a normalised ID number (hex): equal numbers, equal hashes."""
        return hmac.new(self.hash_key, number.encode(), hashlib.sha256).hexdigest()


def vault(settings: Settings) -> Vault:
    return _vault(settings.identity_keys, settings.effective_secret_key)


@lru_cache(maxsize=8)
def _vault(identity_keys: str, secret_key: str) -> Vault:
    derived = Fernet(base64.urlsafe_b64encode(_derive(secret_key, b"encryption")))
    given = [Fernet(k.strip()) for k in identity_keys.split(",") if k.strip()]
    every = [*given, derived]
    return Vault(
        current=every[0], keys=MultiFernet(every), hash_key=_derive(secret_key, b"id hash")
    )


def new_key() -> str:
    return Fernet.generate_key().decode()
