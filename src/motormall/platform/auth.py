"""Accounts, password hashing, bearer tokens and failed-login throttling.

Identity is plumbing every domain needs, so the `users` table lives here; what a customer is
beyond a login (identity documents, memberships, credit) belongs to the customers domain.

Throttling follows OWASP's "slow down online guessing" advice: failures are counted per
account (low ceiling) and per address (a much higher one, since a carrier NAT puts thousands
of buyers behind one address), and a device that has logged in to the account before (it
carries a signed device token) is exempt from both; its own failures are counted apart, so a
stolen device token still allows only a few guesses.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import (
    Connection,
    ForeignKey,
    Integer,
    String,
    bindparam,
    case,
    event,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column
from zxcvbn import zxcvbn

from motormall.platform.db import Base, UTCDateTime, utcnow
from motormall.platform.errors import Conflict, Invalid, RateLimited, Unauthenticated


class Role(enum.StrEnum):
    customer = "customer"
    dealer_staff = "dealer_staff"
    dealer_manager = "dealer_manager"
    oem_admin = "oem_admin"
    tower = "tower"


DEALER_ROLES = {Role.dealer_staff, Role.dealer_manager}
STAFF_ROLES = DEALER_ROLES | {Role.oem_admin}


def new_id() -> str:
    """Unguessable ids for records that name a person."""
    return uuid.uuid4().hex


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(80))
    # the language messages to this person are written in: "en" or "zh-CN"
    locale: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id"), index=True)
    tower_id: Mapped[int | None] = mapped_column(ForeignKey("towers.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessToken(Base):
    __tablename__ = "access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """Attempts per key in the current window: failed logins (`account:<email>`,
    `address:<ip>`, `device:<nonce>`) and other throttled requests (`register:<ip>`, ...)."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class Principal:
    """Who is calling, with the dealer or tower their role is bound to."""

    user_id: str
    role: Role
    email: str
    dealer_id: int | None = None
    tower_id: int | None = None

    @property
    def is_dealer(self) -> bool:
        return self.role in DEALER_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.oem_admin


_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a miss costs the same time as a hit.
_DUMMY_HASH = _hasher.hash("motormall-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# zxcvbn's score 2 resists a throttled online attack (10^8 guesses); below that a password is
# a common one, a keyboard walk, a date, or made of the person's own e-mail or name.
MIN_PASSWORD_SCORE = 2


def check_password_rules(password: str, *, personal: tuple[str, ...] = ()) -> None:
    """Refuse short, long and guessable passwords (zxcvbn ships its word lists offline)."""
    if len(password) < 8:
        raise Invalid("weak_password", "The password needs at least 8 characters.")
    if len(password) > 256:
        raise Invalid("weak_password", "The password may have at most 256 characters.")
    hints = [h for value in personal if value for h in (value, *_words(value))]
    verdict = zxcvbn(password[:100], user_inputs=hints)  # zxcvbn is slow on long inputs
    if verdict["score"] < MIN_PASSWORD_SCORE:
        warning = verdict["feedback"]["warning"] or "It is too easy to guess."
        raise Invalid("weak_password", f"Choose a stronger password. {warning}".strip())


def _words(value: str) -> list[str]:
    """The parts of a name or e-mail and the name run together ("chen.jie@x.com" → chen,
    jie, chenjie), so zxcvbn sees "chenjie2024" as the person's own name and a year."""
    words = [w for w in re.split(r"[^\w]+", value.lower()) if len(w) >= 3]
    return [*words, re.sub(r"[^\w]+", "", value.lower().split("@")[0])]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role,
    name: str = "",
    phone: str | None = None,
    city: str | None = None,
    dealer_id: int | None = None,
    tower_id: int | None = None,
    locale: str = "en",
) -> User:
    email = normalise_email(email)
    check_password_rules(password, personal=(email, name))
    if role in DEALER_ROLES and dealer_id is None:
        raise Invalid("dealer_required", f"A {role} account must be bound to a dealer.")
    if role == Role.tower and tower_id is None:
        raise Invalid("tower_required", "A tower account must be bound to a tower.")
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("already_exists", f"An account for {email} already exists.")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role.value,
        name=name,
        phone=phone,
        city=city,
        dealer_id=dealer_id if role in DEALER_ROLES else None,
        tower_id=tower_id if role == Role.tower else None,
        locale=locale,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str, *, now: dt.datetime) -> None:
    """A new password; every token the account had stops working."""
    check_password_rules(password, personal=(user.email, user.name))
    user.password_hash = hash_password(password)
    revoke_tokens_of(session, user.id, now=now)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, *, ttl: dt.timedelta, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        AccessToken(
            token_hash=token_hash(token), user_id=user.id, created_at=now, expires_at=now + ttl
        )
    )
    return token


class TokenCache:
    """Live tokens this process has checked lately: hash → (principal, token expiry, when
    checked). A hit within `max_age_s` skips the database, which was a fifth of a refused
    buyer's server time in a flash sale.

    Revocation is honoured at once in the process that revokes (the entry is dropped when the
    revoking transaction commits, and again right away) and within `max_age_s` in every other
    process (each re-reads the row once its entry is that old). Only tokens that were valid
    are kept, so a refusal is never cached."""

    MAX_ENTRIES = 100_000

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._entries: dict[str, tuple[Principal, dt.datetime, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str, *, now: dt.datetime, max_age_s: float) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        principal, expires_at, checked = entry
        if self.clock() - checked >= max_age_s or expires_at <= now:
            with self._lock:
                self._entries.pop(digest, None)
            return None
        return principal

    def put(self, digest: str, principal: Principal, expires_at: dt.datetime) -> None:
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()  # rare; each live token costs one read to come back
            self._entries[digest] = (principal, expires_at, self.clock())

    def forget(self, digest: str) -> None:
        with self._lock:
            self._entries.pop(digest, None)

    def forget_user(self, user_id: str) -> None:
        with self._lock:
            for digest in [d for d, e in self._entries.items() if e[0].user_id == user_id]:
                del self._entries[digest]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


token_cache = TokenCache()


def _forget_on_commit(session: Session, forget) -> None:
    """Drop cached tokens now and once more when `session` commits: a request that read the
    row in between (before the revocation committed) cannot leave it cached as live."""
    forget()
    event.listen(session, "after_commit", lambda _s: forget(), once=True)


def revoke_token(session: Session, token: str, *, now: dt.datetime) -> None:
    digest = token_hash(token)
    row = session.get(AccessToken, digest)
    if row and row.revoked_at is None:
        row.revoked_at = now
    _forget_on_commit(session, lambda: token_cache.forget(digest))


def revoke_tokens_of(session: Session, user_id: str, *, now: dt.datetime) -> None:
    """Every live token of the account stops working (a merged account, say)."""
    session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    _forget_on_commit(session, lambda: token_cache.forget_user(user_id))


_TOKEN_LOOKUP = (
    select(
        AccessToken.revoked_at,
        AccessToken.expires_at,
        User.id,
        User.role,
        User.email,
        User.dealer_id,
        User.tower_id,
    )
    .join(User, User.id == AccessToken.user_id)
    .where(AccessToken.token_hash == bindparam("digest"))
)


def principal_for_token(
    session: Session | Connection, token: str, *, now: dt.datetime, cache_s: float = 0
) -> Principal:
    """Who holds `token`. With `cache_s` > 0 a token found live within that many seconds is
    answered from this process's `token_cache` without a database read."""
    digest = token_hash(token)
    if cache_s > 0 and (hit := token_cache.get(digest, now=now, max_age_s=cache_s)):
        return hit
    row = session.execute(_TOKEN_LOOKUP, {"digest": digest}).first()
    if row is None:
        raise Unauthenticated("invalid_token", "The token is not valid. Log in again.")
    if row.revoked_at is not None:
        raise Unauthenticated("token_revoked", "The token was revoked. Log in again.")
    if row.expires_at <= now:
        raise Unauthenticated("token_expired", "The token has expired. Log in again.")
    principal = Principal(
        user_id=row.id,
        role=Role(row.role),
        email=row.email,
        dealer_id=row.dealer_id,
        tower_id=row.tower_id,
    )
    if cache_s > 0:
        token_cache.put(digest, principal, row.expires_at)
    return principal


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        role=Role(user.role),
        email=user.email,
        dealer_id=user.dealer_id,
        tower_id=user.tower_id,
    )


@dataclass(frozen=True)
class LoginLimits:
    """How failed logins are slowed (from Settings)."""

    on: bool = True
    account_allowed: int = 5  # failures per account per window (and per known device)
    address_allowed: int = 100  # failures per address per window, over all accounts
    window_s: int = 900
    secret: str = ""  # signs device tokens
    device_ttl_days: int = 365


def login_limits(settings) -> LoginLimits:
    return LoginLimits(
        on=settings.rate_limits_on,
        account_allowed=settings.login_failures_allowed,
        address_allowed=settings.login_address_failures_allowed,
        window_s=settings.login_failure_window_s,
        secret=settings.effective_secret_key,
        device_ttl_days=settings.login_device_days,
    )


def _device_signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="motormall.login-device")


def issue_device_token(limits: LoginLimits, user: User) -> str:
    """A signed token naming the account and a random device nonce, given on a good login."""
    return _device_signer(limits.secret).dumps({"u": user.id, "n": secrets.token_hex(12)})


def known_device(limits: LoginLimits, token: str | None, user: User | None) -> str | None:
    """The device nonce when `token` was issued to `user` and has not expired, else None."""
    if not token or user is None or not limits.secret:
        return None
    try:
        data = _device_signer(limits.secret).loads(token, max_age=limits.device_ttl_days * 86400)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user.id:
        return None
    return str(data.get("n", ""))[:32] or None


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    address: str,
    now: dt.datetime,
    limits: LoginLimits,
    device_token: str | None = None,
) -> User | None:
    """Check a password; None when it is wrong. Failures are counted atomically per account
    and per address, or per device for a device that logged in to this account before (the
    caller commits them before refusing); past a ceiling the login gets RateLimited.

    Only failures count, so a carrier NAT full of buyers logging in correctly is never slowed.
    """
    email = normalise_email(email)
    user = session.scalar(select(User).where(User.email == email))
    device = known_device(limits, device_token, user)
    if device:
        ceilings = {f"device:{device}": limits.account_allowed}
    else:
        ceilings = {
            f"account:{email}": limits.account_allowed,
            f"address:{address}": limits.address_allowed,
        }
    if limits.on:
        _refuse_if_throttled(session, ceilings, now=now, window_s=limits.window_s)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        if limits.on:
            for key in ceilings:
                count_attempt(session, key, now=now, window_s=limits.window_s)
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _refuse_if_throttled(session, ceilings: dict[str, int], *, now, window_s) -> None:
    for row in session.scalars(select(LoginFailure).where(LoginFailure.key.in_(ceilings))):
        age = (now - row.window_start).total_seconds()
        if age < window_s and row.failures >= ceilings[row.key]:
            raise RateLimited(
                "too_many_failed_logins",
                "Too many failed logins. Wait before trying again, log in from a device you "
                'have used before, or reset your password ("Forgot your password?").',
                retry_after=max(1, int(window_s - age)),
            )


def count_attempt(session: Session, key: str, *, now: dt.datetime, window_s: int) -> int:
    """Add one to `key`'s counter for the current window in a single statement (so parallel
    requests never lose an update) and return the new count; a lapsed window starts again."""
    table = LoginFailure.__table__
    lapsed = table.c.window_start <= now - dt.timedelta(seconds=window_s)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(table)
        .values(key=key, window_start=now, failures=1)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": case((lapsed, 1), else_=table.c.failures + 1),
                "window_start": case(
                    (lapsed, literal(now, UTCDateTime())), else_=table.c.window_start
                ),
            },
        )
        .returning(table.c.failures)
    )
    return session.execute(stmt).scalar_one()


def attempts_in_window(session: Session, key: str, *, now: dt.datetime, window_s: int) -> int:
    row = session.get(LoginFailure, key)
    if row is None or (now - row.window_start).total_seconds() >= window_s:
        return 0
    return row.failures


def forget_failures(session: Session, email: str) -> None:
    """A password reset lifts the account's lock at once."""
    session.execute(
        update(LoginFailure)
        .where(LoginFailure.key == f"account:{normalise_email(email)}")
        .values(failures=0)
    )
