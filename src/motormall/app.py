"""The ASGI application: API under /api/v1, pages, health and metrics."""

from __future__ import annotations

import hmac
import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

import motormall.handlers  # noqa: F401  every domain's event handlers and ports
import motormall.jobs  # noqa: F401  the embedded consumer must know every task
from motormall import __version__
from motormall.aftersales.api import router as aftersales_router
from motormall.aftersales.dealer_pages import router as aftersales_dealer_pages_router
from motormall.aftersales.pages import router as aftersales_pages_router
from motormall.analytics.api import router as analytics_router
from motormall.analytics.pages import router as analytics_pages_router
from motormall.catalog.api import router as catalog_router
from motormall.customers.api import router as customers_router
from motormall.customers.identity_api import router as identity_router
from motormall.customers.identity_pages import router as identity_pages_router
from motormall.customers.merge_api import router as merge_router
from motormall.customers.merge_pages import router as merge_pages_router
from motormall.customers.pages import router as customer_pages_router
from motormall.customers.passwords_api import router as password_router
from motormall.customers.profile_pages import router as profile_pages_router
from motormall.finance.api import router as finance_router
from motormall.finance.contracts_api import router as contracts_router
from motormall.finance.pages import router as finance_pages_router
from motormall.leads.api import router as leads_router
from motormall.leads.pages import router as lead_pages_router
from motormall.marketing.api import router as marketing_router
from motormall.marketing.pages import router as marketing_pages_router
from motormall.membership.api import router as membership_router
from motormall.membership.pages import router as membership_pages_router
from motormall.notifications.api import router as notifications_router
from motormall.notifications.pages import router as notification_pages_router
from motormall.orders.api import router as orders_router
from motormall.orders.pages import router as order_pages_router
from motormall.payments.api import router as payments_router
from motormall.payments.pages import router as sandbox_router
from motormall.platform import errors, jobs, memory
from motormall.platform.config import Settings, get_settings, use_settings
from motormall.platform.db import Database, use_database
from motormall.platform.deps import SESSION_COOKIE
from motormall.platform.http import EdgeMiddleware
from motormall.platform.limits import Rule
from motormall.surveys.api import router as surveys_router
from motormall.surveys.pages import router as survey_pages_router
from motormall.testdrives.api import router as testdrives_router
from motormall.testdrives.dealer_api import router as dealer_drives_router
from motormall.testdrives.dealer_pages import router as dealer_drive_pages_router
from motormall.testdrives.pages import router as testdrive_pages_router
from motormall.testdrives.tower_api import router as tower_drives_router
from motormall.testdrives.tower_api import upload_limit as release_upload_limit
from motormall.vision.api import router as vision_router
from motormall.vision.api import upload_limit as vision_upload_limit
from motormall.vision.pages import router as vision_pages_router
from motormall.web import STATIC_DIR
from motormall.web import errors as web_errors
from motormall.web.pages import router as pages_router

log = logging.getLogger("motormall")


def create_app(
    settings: Settings | None = None, db: Database | None = None, *, run_jobs: bool | None = None
) -> FastAPI:
    """Build the app. `run_jobs` starts the embedded job consumer (default: the setting)."""
    settings = settings or get_settings()
    _configure_logging()
    memory.release_large_blocks()  # decoded uploads must not stay in the process after use
    db = db or Database.from_settings(settings)
    use_database(db)
    use_settings(settings)
    run_jobs = settings.embedded_worker if run_jobs is None else run_jobs

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if run_jobs:
            jobs.start_embedded()
        yield
        if run_jobs:
            jobs.stop_embedded()

    app = FastAPI(
        title="motormall",
        version=__version__,
        description="Online-to-offline car retail for a carmaker and its dealers.",
        lifespan=lifespan,
        responses=errors.ERROR_RESPONSES,
        docs_url=None,  # served below from our own copy of Swagger UI (no CDN, works offline)
    )
    app.state.settings = settings
    app.state.db = db
    errors.install(app)
    _install_fallbacks(app)
    web_errors.install(app)  # page routes answer with pages (after the JSON handlers it wraps)

    api = APIRouter(prefix="/api/v1")
    # Routes are tried in this order, one by one (about 8 µs each): the busiest first.
    # tests/platform/test_routes.py checks that no route hides another.
    api.include_router(orders_router)
    api.include_router(catalog_router)
    api.include_router(leads_router)
    api.include_router(customers_router)
    api.include_router(merge_router)
    api.include_router(identity_router)
    api.include_router(password_router)
    api.include_router(notifications_router)
    api.include_router(membership_router)
    api.include_router(marketing_router)
    api.include_router(payments_router)
    api.include_router(finance_router)
    api.include_router(contracts_router)
    api.include_router(vision_router)
    api.include_router(tower_drives_router)  # first: /test-drives/eligibility before /{id}
    api.include_router(testdrives_router)
    api.include_router(dealer_drives_router)
    api.include_router(aftersales_router)
    api.include_router(surveys_router)
    api.include_router(analytics_router)
    app.include_router(api)
    app.include_router(pages_router)
    app.include_router(sandbox_router)
    app.include_router(order_pages_router)
    app.include_router(lead_pages_router)
    app.include_router(notification_pages_router)
    app.include_router(membership_pages_router)
    app.include_router(marketing_pages_router)
    app.include_router(customer_pages_router)
    app.include_router(merge_pages_router)
    app.include_router(profile_pages_router)  # after it: /oem/customers/duplicates is no id
    app.include_router(identity_pages_router)
    app.include_router(vision_pages_router)
    app.include_router(finance_pages_router)
    app.include_router(survey_pages_router)
    app.include_router(dealer_drive_pages_router)
    app.include_router(testdrive_pages_router)
    app.include_router(analytics_pages_router)
    app.include_router(aftersales_pages_router)
    app.include_router(aftersales_dealer_pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", tags=["ops"])
    async def healthz():  # async: it answers even when every worker thread is busy
        return {"status": "ok"}

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title="motormall API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics(request: Request):
        if settings.metrics_token:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), settings.metrics_token.encode()):
                raise errors.Unauthenticated(
                    "metrics_token_required", "Metrics need the operator's bearer token."
                )
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(
        EdgeMiddleware,
        max_body_bytes=settings.max_upload_bytes + 65_536,
        # leave connections for the job consumer threads and token lookups
        max_in_flight=max(1, settings.db_pool_size - 4),
        photo_limit=lambda path: vision_upload_limit(path) or release_upload_limit(path),
        rate_rules=_rate_rules(settings),
        trust_proxy=settings.trust_proxy,
        session_cookie=SESSION_COOKIE,
        page_error=web_errors.edge_page,
        gated_by_route=frozenset({("POST", "/api/v1/orders")}),
    )
    return app


def _rate_rules(settings: Settings) -> dict[tuple[str, str], Rule]:
    """The anonymous endpoints that cost the server most: the model, and new accounts."""
    if not settings.rate_limits_on:
        return {}
    photo = Rule("photo_search", settings.photo_searches_per_minute, 60)
    register = Rule("registration", settings.registrations_per_hour, 3600)
    return {
        ("POST", "/api/v1/search/photo"): photo,
        ("POST", "/find"): photo,
        ("POST", "/api/v1/auth/register"): register,
        ("POST", "/register"): register,
    }


def _configure_logging() -> None:
    """JSON lines with a request id on stderr (platform/http.py writes them), once."""
    logger = logging.getLogger("motormall")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _install_fallbacks(app: FastAPI) -> None:
    """Database faults that slip past a service's own checks still get a problem reply (any
    other unhandled exception is answered by platform/http.py, with the usual headers)."""

    @app.exception_handler(IntegrityError)
    async def _integrity(request, exc):
        log.warning("integrity error: %s", exc.orig)
        return errors.problem(
            409,
            "conflict",
            "Conflict with current state",
            "The change conflicts with another one; reload and try again.",
        )

    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _pool_timeout(request, exc):
        log.error("no database connection free: %s", exc)
        response = errors.problem(
            503,
            "database_busy",
            "Service busy",
            "Too many requests at once; try again in a moment.",
        )
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(OperationalError)
    async def _operational(request, exc):
        log.error("database error: %s", exc.orig)
        response = errors.problem(
            503, "database_busy", "Service busy", "The database is busy; try again in a moment."
        )
        response.headers["Retry-After"] = "1"
        return response
