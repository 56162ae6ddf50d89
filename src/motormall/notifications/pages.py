"""The storefront's inbox page, and the unread count in the navigation."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from motormall.notifications import service
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, database
from motormall.web.render import language, page_principal, register_nav_count, render

router = APIRouter(include_in_schema=False)


def _unread(request: Request, principal) -> int:
    with database(request).reading() as session:
        return service.unread_count(session, principal.user_id)


register_nav_count("notifications", _unread)


@router.get("/notifications")
def inbox_page(request: Request, session: DbSession):
    """The newest messages in the page's language; opening the page reads them."""
    who = page_principal(request)
    if who is None:
        return RedirectResponse(f"/login?{urlencode({'next': '/notifications'})}", status_code=303)
    items, _ = service.inbox(session, who.user_id, lang=language(request), limit=50)
    service.mark_all_read(session, who.user_id, now=utcnow())
    session.commit()  # so the navigation's count, read after this, is already zero
    return render(request, "notifications.html", items=items)
