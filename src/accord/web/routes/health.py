"""Health check for load balancers and smoke tests (public)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from accord.web.security import DbSession

router = APIRouter()


@router.get("/health")
def health(session: DbSession) -> dict[str, str]:
    """'ok' when the app can reach its store."""
    session.execute(text("SELECT 1"))
    return {"status": "ok"}
