"""The FastAPI app factory: pages, the /api/v1 API, static files and error handling."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from accord import __version__
from accord.api.router import API_PREFIX, DOMAIN_ROUTERS, make_api_router
from accord.kernel.store import Store
from accord.web.errors import install_error_handlers
from accord.web.routes import (
    areas, auth, business, consent, conversations, dashboard, deals, health, hooks, inbox, insights, nurture, personas,
    plan, privacy, queries, reviews, settings, tracker,
)
from accord.web.templating import make_templates

STATIC = Path(__file__).resolve().parent / "static"

# Routes anyone may use without logging in; every other route must refuse an anonymous request.
PUBLIC_PATHS = frozenset({
    "/login", "/health", "/static", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
    # Machine endpoints that authenticate by signature, or take anonymous website events.
    "/hooks/meta", "/hooks/{source}", "/t/accord.js", "/t/collect",
    # The unsubscribe link in an email: its signature is the authority, so a person needs no login.
    "/u/{token}",
})
PAGE_ROUTERS: tuple[APIRouter, ...] = (
    auth.router, health.router, dashboard.router, inbox.router, areas.router, settings.router, hooks.router,
    tracker.router, reviews.router, consent.router, conversations.router, privacy.router, deals.router,
    nurture.router, queries.router, insights.router, business.router, plan.router, personas.router,
)


def route_table() -> list[tuple[str, APIRoute]]:
    """Every page and API route with its full path, for audits of who may use what."""
    table = [(route.path, route) for router in PAGE_ROUTERS for route in router.routes]
    table += [(API_PREFIX + route.path, route) for router in DOMAIN_ROUTERS for route in router.routes]
    return table


def create_app(store: Store) -> FastAPI:
    """An Accord web app serving the given store."""
    app = FastAPI(title="Accord", version=__version__, openapi_url="/openapi.json", docs_url="/docs", redoc_url=None)
    app.state.store = store
    app.state.templates = make_templates()
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.include_router(make_api_router())
    return app
