"""Webhooks (public, signed): Meta's Instagram/Facebook deliveries at /hooks/meta, any other source at /hooks/{source}.

Machines call these paths, so every refusal is problem JSON, and nothing is stored unless the
signature is right and the whole delivery is valid.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute

from accord.connectors import webhooks
from accord.engagement.service import record_engagements
from accord.errors import AccordError, Invalid, NotFound, PermissionDenied
from accord.kernel.audit import Actor
from accord.kernel.clock import utcnow
from accord.kernel.workspace import get_workspace
from accord.web.errors import problem_response
from accord.web.security import DbSession, store_of


def problem_answer(_request: Request, exc: AccordError) -> Response:
    """An Accord error as problem JSON, naming the field (and every field, for a delivery with several problems)."""
    extra: dict[str, Any] = {"field": exc.field} if isinstance(exc, Invalid) else {}
    if isinstance(exc, webhooks.InvalidItems):
        extra["errors"] = exc.errors
    return problem_response(exc.status_code, exc.title, exc.message, **extra)


class ProblemJsonRoute(APIRoute):
    """A route whose Accord errors answer as problem JSON instead of the app's error page.

    The error is answered here, so the request's transaction still commits: routes do their writes
    inside `session.begin_nested()`, which an error rolls back, and refuse bad input before writing.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except AccordError as exc:
                return problem_answer(request, exc)

        return answer


def body_up_to(limit: int) -> Callable[[Request], Awaitable[bytes]]:
    """A dependency giving the raw body, refusing more than `limit` bytes without reading them all."""

    async def read(request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise webhooks.PayloadTooLarge(f"the body is {declared} bytes; at most {limit} are accepted")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise webhooks.PayloadTooLarge(f"the body is over {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    return read


WebhookBody = Annotated[bytes, Depends(body_up_to(webhooks.MAX_BODY_BYTES))]
router = APIRouter(route_class=ProblemJsonRoute)


@router.get("/hooks/meta")
def meta_handshake(
    request: Request,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> Response:
    """Meta's subscription handshake: echo the challenge when the verify token is ours."""
    expected = store_of(request).settings.meta_verify_token
    if expected is None:
        raise PermissionDenied("Meta webhooks are not set up here: set ACCORD_META_VERIFY_TOKEN")
    if mode != "subscribe" or not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise PermissionDenied("hub.mode must be 'subscribe' and hub.verify_token must match the verify token")
    return PlainTextResponse(challenge or "")


@router.post("/hooks/meta")
def meta_delivery(
    request: Request,
    body: WebhookBody,
    session: DbSession,
    signature: Annotated[str | None, Header(alias="x-hub-signature-256")] = None,
) -> JSONResponse:
    """A signed Instagram or Facebook Page delivery; its comments, mentions, messages, reactions and shares."""
    secret = store_of(request).settings.meta_app_secret
    if secret is None:
        raise NotFound("Meta webhooks are not set up here: set ACCORD_META_APP_SECRET")
    webhooks.verify_meta_signature(secret, body, signature)
    delivery = webhooks.parse_meta(webhooks.read_json(body))
    with session.begin_nested():
        outcome = record_engagements(session, delivery.records, actor=Actor("webhook:meta"))
    return JSONResponse({"recorded": outcome.inserted, "duplicates": outcome.duplicates,
                         "ignored": delivery.ignored})


@router.post("/hooks/{source}")
def signed_delivery(
    request: Request,
    source: str,
    body: WebhookBody,
    session: DbSession,
    timestamp: Annotated[str | None, Header(alias="x-accord-timestamp")] = None,
    signature: Annotated[str | None, Header(alias="x-accord-signature")] = None,
) -> JSONResponse:
    """Engagements from any configured source, signed with its shared secret over '<timestamp>.<body>'."""
    settings = store_of(request).settings
    secret = settings.webhook_secrets.get(source)
    if secret is None:
        raise NotFound(f"no webhook source '{source}' is configured (ACCORD_WEBHOOK_SECRETS)")
    now = utcnow()
    webhooks.verify_accord_signature(secret, body, timestamp, signature, now=now,
                                     tolerance_seconds=settings.webhook_tolerance_seconds)
    payload = webhooks.read_json(body)
    records = webhooks.parse_engagements(source, payload, region=get_workspace(session).default_region, now=now)
    with session.begin_nested():
        outcome = record_engagements(session, records, actor=Actor(f"webhook:{source}"))
    return JSONResponse({"received": len(records), "recorded": outcome.inserted, "duplicates": outcome.duplicates})
