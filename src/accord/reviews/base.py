"""The shape every review has: a query, a run over the warehouse, a result with rows, charts and notes."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis
from ibis.common.exceptions import TableNotFound
from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.errors import Invalid


class ReviewQuery(BaseModel):
    """What to review: a period [from_on, to_on) in the workspace's calendar, and any filters a review adds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    from_on: date | None = Field(default=None, description="first day included")
    to_on: date | None = Field(default=None, description="first day not included")

    @model_validator(mode="after")
    def _period_runs_forward(self) -> ReviewQuery:
        if self.from_on and self.to_on and self.to_on <= self.from_on:
            raise Invalid("to_on", f"{self.to_on} is not after from_on {self.from_on}")
        return self


class ReviewResult(BaseModel):
    """What a review found. `notes` explain in words what the numbers cannot (empty period, no rate, …)."""

    model_config = ConfigDict(frozen=True)

    notes: list[str] = Field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """The main table, one dict a row with plain values (for the page table, CSV and JSON)."""
        raise NotImplementedError

    def charts(self) -> list[dict[str, Any]]:
        """Vega-Lite specifications (dicts) that show the result."""
        return []


@dataclass(frozen=True)
class Review:
    """A named review: its query and result types and the function that runs it."""

    name: str
    title: str
    summary: str
    query_type: type[ReviewQuery]
    result_type: type[ReviewResult]
    run: Callable[[Any, Any], ReviewResult]


def all_reviews() -> dict[str, Review]:
    """Every review module in this package that defines REVIEW, by name."""
    found: dict[str, Review] = {}
    for info in pkgutil.iter_modules(importlib.import_module("accord.reviews").__path__):
        module = importlib.import_module(f"accord.reviews.{info.name}")
        review = getattr(module, "REVIEW", None)
        if isinstance(review, Review):
            found[review.name] = review
    return dict(sorted(found.items()))


def get_review(name: str) -> Review:
    """The review called `name`, or Invalid naming the ones that exist."""
    reviews = all_reviews()
    if name not in reviews:
        raise Invalid("review", f"no review called {name!r}; there are: {', '.join(reviews)}")
    return reviews[name]


def warehouse_table(warehouse: Any, name: str) -> ibis.Table:
    """A warehouse table, or Invalid saying the warehouse needs a sync."""
    try:
        return warehouse.table(name)
    except TableNotFound:
        raise Invalid("warehouse", f"it has no table {name!r}; run `accord sync` to fill it from the store") from None


def base_currency(warehouse: Any) -> str:
    """The workspace's base currency, read from the warehouse."""
    found = warehouse_table(warehouse, "workspace").select("base_currency").limit(1).to_pyarrow().to_pylist()
    if not found:
        raise Invalid("warehouse", "it has no workspace row; run `accord init`, then `accord sync`")
    return str(found[0]["base_currency"])


def in_period(table: ibis.Table, day: str, query: ReviewQuery) -> ibis.Table:
    """Rows whose `day` falls in [from_on, to_on)."""
    if query.from_on is not None:
        table = table.filter(table[day] >= query.from_on)
    if query.to_on is not None:
        table = table.filter(table[day] < query.to_on)
    return table
