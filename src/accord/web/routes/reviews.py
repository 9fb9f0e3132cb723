"""Review pages: the list of reviews, one review with its form, notes, charts and table, and its CSV."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.accounts.models import User
from accord.errors import Conflict, Invalid
from accord.reviews.forms import (
    csv_text,
    display_table,
    headline,
    in_reading_order,
    parse_query,
    period_text,
    query_fields,
    query_pairs,
    review_named,
)
from accord.reviews.report import run_review, warehouse_for, workspace_of
from accord.web.security import EVERYONE, page_user, store_of
from accord.web.templating import is_fragment_request

router = APIRouter()
PAGE_ROWS = 100  # a page longer than this is for the CSV, not for reading
UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


@router.get("/reviews")
def reviews_index(request: Request, user: User = page_user(*EVERYONE)) -> Response:
    """Every review with its one-line summary."""
    context = {"user": user, "active": "/reviews", "reviews": in_reading_order()}
    return request.app.state.templates.TemplateResponse(request, "reviews/index.html", context)


@router.get("/reviews/{name}.csv")
def review_csv(request: Request, name: str, user: User = page_user(*EVERYONE)) -> Response:
    """The review's table as CSV, for the same query as the page."""
    review = review_named(name)
    query = parse_query(review, request.query_params.multi_items())
    with warehouse_for(store_of(request).settings) as warehouse:
        rows = run_review(warehouse, review, query).rows()
    # Values come from the URL: only safe characters may reach the header.
    filename = UNSAFE_IN_FILENAME.sub("_", "-".join([name, *(value for _, value in query_pairs(query))]))
    return Response(csv_text(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


@router.get("/reviews/{name}")
def review_page(request: Request, name: str, user: User = page_user(*EVERYONE)) -> Response:
    """One review: its form, then the result (notes, figures, charts, table); the result alone for HTMX."""
    review = review_named(name)
    given = request.query_params.multi_items()
    fields = query_fields(review.query_type)
    defaults = _values(query_pairs(review.query_type.model_construct()))
    values = defaults | _values(given)
    # The period and the choices a busy reader changes stay in sight; numbers that tune a method fold away.
    main = [f for f in fields if f.kind in ("date", "select")]
    more = [f for f in fields if f not in main]
    context = {
        "user": user, "active": "/reviews", "review": review, "main_fields": main, "more_fields": more,
        "more_open": any(values.get(f.name) != defaults.get(f.name) for f in more),
        "labels": {field.name: field.label for field in fields}, "values": values,
        "error": None, "problem": None, "result": None,
    }
    status = 200
    try:
        query = parse_query(review, given)
        context["values"] = values | _values(query_pairs(query))
        with warehouse_for(store_of(request).settings) as warehouse:
            result = run_review(warehouse, review, query)
            base_currency = workspace_of(warehouse)["base_currency"]
        rows = result.rows()
        context.update(
            result=result, period=period_text(query), figures=headline(result, query, base_currency),
            table=display_table(rows[:PAGE_ROWS], result, base_currency), total_rows=len(rows),
            charts=result.charts(), csv_url=f"/reviews/{name}.csv?" + urlencode(query_pairs(query)),
        )
    except Invalid as exc:
        context["error"], status = exc, 422
    except Conflict as exc:
        context["problem"] = exc.message
    template = "reviews/_result.html" if is_fragment_request(request) else "reviews/review.html"
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status)


def _values(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)
    return values
