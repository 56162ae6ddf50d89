"""FastAPI dependencies: the request's unit of work, the caller, and the caller's scope.

The request owns the transaction: services only flush, and the session commits after the
route function returns (before the response leaves), so a failed commit is still an error
reply and never a silent loss.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from motormall.platform.auth import Principal, Role, principal_for_token, token_cache, token_hash
from motormall.platform.config import Settings, get_settings
from motormall.platform.db import Database, get_database, is_sqlite, utcnow
from motormall.platform.errors import Forbidden, NotFound, Unauthenticated

SESSION_COOKIE = "mm_session"


def database(request: Request) -> Database:
    return getattr(request.app.state, "db", None) or get_database()


def settings_dep(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


# The dependencies below are `async def` where they do no I/O: FastAPI runs a plain `def`
# dependency on a worker thread, and each hop (thread handoff and GIL switch) cost more than
# the work itself on a busy server. Only database I/O goes to a thread.


async def _database(request: Request) -> Database:
    return database(request)


async def _settings(request: Request) -> Settings:
    return settings_dep(request)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


def _roll_back_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


async def _end(session: Session, finish, *, reading: bool = False) -> None:
    """End the request's session: one that nothing began and nothing waits to be written on
    is closed here, no I/O (a buyer refused from `Database.peek` alone never touches it), and
    so is a SQLite read (`reading`: its ROLLBACK never waits for anything); any other is
    finished by `finish` on a worker thread."""
    if not (session.in_transaction() or session.new or session.dirty or session.deleted):
        session.close()
    elif reading and is_sqlite(session):
        finish(session)
    else:
        await run_in_threadpool(finish, session)


async def _write_session(db: Annotated[Database, Depends(_database)]) -> AsyncIterator[Session]:
    """The request's unit of work (as `Database.transaction`): commits after the route
    returns, rolls back on any error; one thread hop for the end, none for the start (a
    session takes its connection at its first statement, on the route's thread)."""
    session = db.session_factory()
    try:
        yield session
    except BaseException:
        await _end(session, _roll_back_and_close)
        raise
    await _end(session, _commit_and_close)


async def _read_session(db: Annotated[Database, Depends(_database)]) -> AsyncIterator[Session]:
    session = db.read_session_factory()
    try:
        yield session
    finally:
        await _end(session, Session.close, reading=True)  # loaded objects stay readable


async def _replica_session(db: Annotated[Database, Depends(_database)]) -> AsyncIterator[Session]:
    session = db.replica_session_factory()
    try:
        yield session
    finally:
        await _end(session, Session.close, reading=True)


DbSession = Annotated[Session, Depends(_write_session, scope="function")]
ReadSession = Annotated[Session, Depends(_read_session, scope="function")]
# browsing reads that may lag the primary by a moment (MOTORMALL_DATABASE_REPLICA_URL)
ReplicaSession = Annotated[Session, Depends(_replica_session, scope="function")]
AppSettings = Annotated[Settings, Depends(_settings)]
AppDatabase = Annotated[Database, Depends(_database)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("invalid_token", "Use 'Authorization: Bearer <token>'.")
        return token.strip()
    # The session cookie counts only on pages, which check a CSRF token on every POST;
    # the JSON API takes bearer tokens alone, so a cookie can never act on it cross-site.
    if not request.url.path.startswith("/api/"):
        return request.cookies.get(SESSION_COOKIE)
    return None


def _optional_principal(
    request: Request, db: Database, settings: Settings | None = None
) -> Principal | None:
    """The caller named by the bearer token (or a page's session cookie), or None."""
    token = bearer_token(request)
    if token is None:
        return None
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    with db.peek() as conn:  # one statement: no connection is taken when the cache answers
        principal = principal_for_token(
            conn, token, now=utcnow(), cache_s=(settings or settings_dep(request)).token_cache_s
        )
    request.state.principal = principal
    return principal


async def _caller(
    request: Request,
    db: Annotated[Database, Depends(_database)],
    settings: Annotated[Settings, Depends(_settings)],
) -> Principal | None:
    token = bearer_token(request)
    if token is None:
        return None
    if settings.token_cache_s > 0:  # answered from the token cache: no thread, no database
        known = token_cache.get(token_hash(token), now=utcnow(), max_age_s=settings.token_cache_s)
        if known is not None:
            request.state.principal = known
            return known
    principal = await db.glance(
        principal_for_token, token, now=utcnow(), cache_s=settings.token_cache_s
    )
    request.state.principal = principal
    return principal


async def _principal(principal: Annotated[Principal | None, Depends(_caller)]) -> Principal:
    if principal is None:
        raise Unauthenticated(
            "not_authenticated", "Log in and send 'Authorization: Bearer <token>'."
        )
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(_caller)]
CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def require(*roles: Role):
    """A dependency that lets only `roles` through (403 `role_not_allowed` otherwise)."""
    allowed = set(roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden("role_not_allowed", f"This needs one of these roles: {names}.")
        return principal

    return Depends(check)


async def idempotency_key(
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> str | None:
    return key


class Scope:
    """What a caller may see. Records outside it are reported as missing (404), never 403."""

    def __init__(self, principal: Principal | None):
        self.principal = principal

    def dealer(self, dealer_id: int | None, what: str = "record") -> None:
        """Staff of one dealer see only that dealer's records; OEM admins see all."""
        p = self.principal
        if p is not None and (p.is_admin or (p.is_dealer and p.dealer_id == dealer_id)):
            return
        raise NotFound("not_found", f"No such {what}.")

    def customer(self, customer_id: str | None, what: str = "record") -> None:
        p = self.principal
        if p is not None and (p.is_admin or p.user_id == customer_id):
            return
        raise NotFound("not_found", f"No such {what}.")


async def _scope(principal: OptionalPrincipal) -> Scope:
    return Scope(principal)


CallerScope = Annotated[Scope, Depends(_scope)]
