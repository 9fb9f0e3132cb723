"""The website tracker (public): the snippet at /t/accord.js and the events it sends to /t/collect.

The snippet runs on the business's own site, so /t/collect answers CORS preflights and names the
site in Access-Control-Allow-Origin when it is one of ACCORD_TRACKER_ORIGINS.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from accord.connectors import tracker, webhooks
from accord.errors import PermissionDenied
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.settings import Settings
from accord.web.routes.hooks import ProblemJsonRoute, body_up_to
from accord.web.security import DbSession, store_of

SNIPPET = Path(__file__).resolve().parents[1] / "static" / "tracker.js"
ACTOR = Actor("tracker")


def _netloc(origin: str) -> str:
    try:
        return urlsplit(origin).netloc
    except ValueError:
        return ""


def allowed_origin(settings: Settings, origin: str | None, host: str | None) -> str | None:
    """The Origin to name in Access-Control-Allow-Origin; None for same-origin or non-browser callers.

    A browser on a site that is neither this app nor in the tracker origins is refused.
    """
    if origin is None:
        return None
    normal = origin.strip().rstrip("/").lower()
    if normal in settings.tracker_origins or "*" in settings.tracker_origins:
        return origin
    if host is not None and _netloc(normal) == host.lower():
        return None
    raise PermissionDenied(f"the site {origin} may not send tracker events here; add it to ACCORD_TRACKER_ORIGINS")


class TrackerRoute(ProblemJsonRoute):
    """A tracker route: every answer, refusals included, carries the CORS grant its site needs to read it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            response = await handler(request)
            try:
                origin = allowed_origin(store_of(request).settings, request.headers.get("origin"),
                                        request.headers.get("host"))
            except PermissionDenied:
                origin = None  # the route itself refused; the refusal grants nothing
            if origin is not None:
                response.headers["Access-Control-Allow-Origin"] = origin
                response.headers.add_vary_header("Origin")
            return response

        return answer


router = APIRouter(route_class=TrackerRoute)
EventBody = Annotated[bytes, Depends(body_up_to(tracker.MAX_EVENT_BYTES))]


@router.get("/t/accord.js")
def snippet() -> Response:
    """The tracker snippet to paste into a site with one script tag."""
    return Response(SNIPPET.read_bytes(), media_type="application/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})


@router.options("/t/collect")
def preflight(request: Request) -> Response:
    """Let browsers on the configured sites send events."""
    allowed_origin(store_of(request).settings, request.headers.get("origin"), request.headers.get("host"))
    return Response(status_code=204, headers={
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "86400",
    })


@router.post("/t/collect")
def collect(request: Request, body: EventBody, session: DbSession) -> JSONResponse:
    """One visit or form submission from the snippet."""
    allowed_origin(store_of(request).settings, request.headers.get("origin"), request.headers.get("host"))
    event = tracker.parse_event(webhooks.read_json(body))
    with session.begin_nested():
        done = tracker.record_event(session, event, at=utcnow(), actor=ACTOR)
    answer: dict[str, Any] = {"recorded": done.recorded}
    if done.group is not None:
        answer |= {"group": done.group, "channel": done.channel}
    return JSONResponse(answer)
