"""Accounts, password hashing, bearer tokens and failed-login throttling.

Identity is plumbing every domain needs, so the `users` table lives here; what a customer is
beyond a login (identity documents, memberships, credit) belongs to the customers domain.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

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
    """Failed logins per key (`account:<email>` or `address:<ip>`) in the current window."""

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


def check_password_rules(password: str) -> None:
    if len(password) < 8:
        raise Invalid("weak_password", "The password needs at least 8 characters.")
    if len(password) > 256:
        raise Invalid("weak_password", "The password may have at most 256 characters.")


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
) -> User:
    check_password_rules(password)
    email = normalise_email(email)
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
    )
    session.add(user)
    session.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, *, ttl: dt.timedelta, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        AccessToken(
            token_hash=_token_hash(token), user_id=user.id, created_at=now, expires_at=now + ttl
        )
    )
    return token


def revoke_token(session: Session, token: str, *, now: dt.datetime) -> None:
    row = session.get(AccessToken, _token_hash(token))
    if row and row.revoked_at is None:
        row.revoked_at = now


def principal_for_token(session: Session, token: str, *, now: dt.datetime) -> Principal:
    row = session.execute(
        select(AccessToken, User)
        .join(User, User.id == AccessToken.user_id)
        .where(AccessToken.token_hash == _token_hash(token))
    ).first()
    if row is None:
        raise Unauthenticated("invalid_token", "The token is not valid. Log in again.")
    access, user = row
    if access.revoked_at is not None:
        raise Unauthenticated("token_revoked", "The token was revoked. Log in again.")
    if access.expires_at <= now:
        raise Unauthenticated("token_expired", "The token has expired. Log in again.")
    return principal_of(user)


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        role=Role(user.role),
        email=user.email,
        dealer_id=user.dealer_id,
        tower_id=user.tower_id,
    )


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    address: str,
    now: dt.datetime,
    limits_on: bool,
    allowed: int,
    window_s: int,
) -> User | None:
    """Check a password; None when it is wrong. Failures are counted per account and per
    address (the caller commits them before refusing), and too many get RateLimited.

    Only failures count, so a carrier NAT full of buyers logging in correctly is never slowed.
    """
    email = normalise_email(email)
    keys = [f"account:{email}", f"address:{address}"]
    if limits_on:
        _refuse_if_throttled(session, keys, now=now, allowed=allowed, window_s=window_s)
    user = session.scalar(select(User).where(User.email == email))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        if limits_on:
            _count_failure(session, keys, now=now, window_s=window_s)
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _refuse_if_throttled(session, keys, *, now, allowed, window_s) -> None:
    for row in session.scalars(select(LoginFailure).where(LoginFailure.key.in_(keys))):
        age = (now - row.window_start).total_seconds()
        if age < window_s and row.failures >= allowed:
            raise RateLimited(
                "too_many_failed_logins",
                "Too many failed logins. Wait before trying again, or reset your password.",
                retry_after=max(1, int(window_s - age)),
            )


def _count_failure(session, keys, *, now, window_s) -> None:
    for key in keys:
        row = session.get(LoginFailure, key)
        if row is None:
            session.add(LoginFailure(key=key, window_start=now, failures=1))
        elif (now - row.window_start).total_seconds() >= window_s:
            row.window_start, row.failures = now, 1
        else:
            row.failures += 1
