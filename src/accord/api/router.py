"""The /api/v1 router that every domain adds its endpoints to."""

from __future__ import annotations

from fastapi import APIRouter

from accord.api import business, consent, contacts, deals, inbox, nurture, overview, personas, plan, queries, reviews

API_PREFIX = "/api/v1"
PROBLEM = {"description": "Problem details (RFC 9457)", "content": {"application/problem+json": {}}}

# Each domain's API router; a new capability appends its own here.
DOMAIN_ROUTERS: tuple[APIRouter, ...] = (
    overview.router, contacts.router, inbox.router, reviews.router, consent.router, deals.router,
    nurture.router, queries.router, business.router, plan.router, personas.router,
)


def make_api_router() -> APIRouter:
    """The /api/v1 router with every domain's endpoints."""
    api = APIRouter(prefix=API_PREFIX, responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 422: PROBLEM})
    for router in DOMAIN_ROUTERS:
        api.include_router(router)
    return api
