"""The /api/v1 router that every domain adds its endpoints to."""

from __future__ import annotations

from fastapi import APIRouter

from accord.api import contacts, overview

PROBLEM = {"description": "Problem details (RFC 9457)", "content": {"application/problem+json": {}}}

api_router = APIRouter(
    prefix="/api/v1",
    responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 422: PROBLEM},
)
api_router.include_router(overview.router)
api_router.include_router(contacts.router)
