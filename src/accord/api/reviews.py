"""API: the reviews, each run with a query given as URL parameters, answered as JSON or CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from accord.accounts.models import User
from accord.reviews.forms import csv_text, in_reading_order, parse_query, result_json, review_named
from accord.reviews.report import run_review, warehouse_for
from accord.web.security import EVERYONE, api_user, store_of

router = APIRouter(prefix="/reviews", tags=["reviews"])
QUERY_HELP = ("The review's query as URL parameters: from_on and to_on (YYYY-MM-DD, to_on not included) and the "
              "review's own fields, named in its query_schema from GET /api/v1/reviews. A bad value is a 422 "
              "naming the field; an empty warehouse is a 409 saying to run `accord sync`.")


@router.get("")
def reviews(user: User = api_user(*EVERYONE)) -> list[dict[str, Any]]:
    """Every review: its name, title, summary and the JSON schema of its query."""
    return [
        {"name": r.name, "title": r.title, "summary": r.summary, "query_schema": r.query_type.model_json_schema()}
        for r in in_reading_order()
    ]


@router.get("/{name}.csv", description=QUERY_HELP, response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def review_csv(request: Request, name: str, user: User = api_user(*EVERYONE)) -> Response:
    """The review's rows as CSV."""
    review = review_named(name)
    query = parse_query(review, request.query_params.multi_items())
    with warehouse_for(store_of(request).settings) as warehouse:
        rows = run_review(warehouse, review, query).rows()
    return Response(csv_text(rows), media_type="text/csv; charset=utf-8")


@router.get("/{name}", description=QUERY_HELP)
def review(request: Request, name: str, user: User = api_user(*EVERYONE)) -> dict[str, Any]:
    """The review run for the query: {query, notes, rows, charts}."""
    chosen = review_named(name)
    query = parse_query(chosen, request.query_params.multi_items())
    with warehouse_for(store_of(request).settings) as warehouse:
        return result_json(query, run_review(warehouse, chosen, query))
