"""One error handler: pages get a page (or a fragment for HTMX), the API gets JSON problem details."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord.errors import AccordError, Invalid, NotAuthenticated
from accord.web.templating import is_fragment_request

log = logging.getLogger("accord.web")
API_PREFIX = "/api/"


def problem_response(status: int, title: str, detail: str, **extra: object) -> JSONResponse:
    """An RFC 9457 problem-details answer."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _page(request: Request, status: int, title: str, detail: str) -> Response:
    templates = request.app.state.templates
    name = "_error.html" if is_fragment_request(request) else "error.html"
    context = {"title": title, "detail": detail, "status": status}
    return templates.TemplateResponse(request, name, context, status_code=status)


def _answer(request: Request, status: int, title: str, detail: str, **extra: object) -> Response:
    if request.url.path.startswith(API_PREFIX):
        return problem_response(status, title, detail, **extra)
    return _page(request, status, title, detail)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(AccordError)
    async def accord_error(request: Request, exc: AccordError) -> Response:
        if isinstance(exc, NotAuthenticated) and not request.url.path.startswith(API_PREFIX):
            target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            if is_fragment_request(request):
                return Response(status_code=401, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
        extra = {"field": exc.field} if isinstance(exc, Invalid) else {}
        response = _answer(request, exc.status_code, exc.title, exc.message, **extra)
        if isinstance(exc, NotAuthenticated):
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(RequestValidationError)
    @app.exception_handler(ValidationError)
    async def validation_error(request: Request, exc: RequestValidationError | ValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": ("request",), "msg": "invalid"}
        field = ".".join(str(p) for p in first["loc"] if p not in ("body", "query", "path", "form"))
        message = str(first["msg"]).removeprefix("Value error, ")
        return _answer(request, 422, "Invalid input", f"{field or 'request'}: {message}", field=field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed"}
        detail = exc.detail if isinstance(exc.detail, str) else "the request could not be handled"
        if exc.status_code == 404:
            detail = f"nothing at {request.url.path}"
        return _answer(request, exc.status_code, titles.get(exc.status_code, "Error"), detail)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _answer(request, 500, "Something went wrong", "the error was logged; nothing was saved")
