"""A review's query as form fields and back, and its result as plain tables, for the page, API, CLI and report."""

from __future__ import annotations

import csv
import io
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from accord.errors import Invalid, NotFound
from accord.kernel.money import Money
from accord.reviews.base import Review, ReviewQuery, ReviewResult, all_reviews

READING_ORDER = ("revenue", "income", "growth", "roi", "attribution", "journey", "segments", "customers", "audience",
                 "needs", "alignment")
LABELS = {"from_on": "From", "to_on": "To (not included)", "by": "By"}
ACRONYMS = {"sla": "SLA", "roi": "ROI", "roas": "ROAS", "rfm": "RFM", "clv": "CLV", "utm": "UTM", "id": "ID",
            "p50": "P50", "p90": "P90", "cac": "CAC", "ltv": "LTV"}


def in_reading_order() -> list[Review]:
    """Every review in the order an owner reads them: money first, then how it was won, then the people.

    A review not named in READING_ORDER follows the named ones, alphabetically.
    """
    reviews = all_reviews()
    named = [reviews[name] for name in READING_ORDER if name in reviews]
    return named + [review for name, review in reviews.items() if name not in READING_ORDER]


def review_named(name: str) -> Review:
    """The review called `name`, or NotFound naming the ones there are."""
    reviews = all_reviews()
    if name not in reviews:
        raise NotFound(f"no review called {name!r}; there are: {', '.join(reviews) or 'none yet'}")
    return reviews[name]


@dataclass(frozen=True)
class QueryField:
    """One field of a review's query as a form shows it: a date, a choice, a number, text or a yes/no."""

    name: str
    label: str
    kind: Literal["date", "select", "multiselect", "integer", "decimal", "checkbox", "text"]
    help: str
    choices: tuple[str, ...]
    default: Any


def _without_none(annotation: Any) -> Any:
    """`X | None` as X; other annotations unchanged."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _choices(annotation: Any) -> tuple[str, ...] | None:
    if typing.get_origin(annotation) is Literal:
        return tuple(str(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return tuple(str(member.value) for member in annotation)
    return None


def _kind(annotation: Any) -> tuple[str, tuple[str, ...]]:
    plain = _without_none(annotation)
    if (choices := _choices(plain)) is not None:
        return "select", choices
    if typing.get_origin(plain) in (list, tuple, set, frozenset):
        inner = typing.get_args(plain)
        choices = _choices(_without_none(inner[0])) if inner else None
        return ("multiselect", choices) if choices is not None else ("text", ())
    kinds = {date: "date", bool: "checkbox", int: "integer", float: "decimal"}
    return kinds.get(plain, "text"), ()


def _is_multiple(info: FieldInfo) -> bool:
    return typing.get_origin(_without_none(info.annotation)) in (list, tuple, set, frozenset)


def query_fields(query_type: type[ReviewQuery]) -> list[QueryField]:
    """The fields of a query model in declaration order, with what a form or a CLI option needs to show them."""
    fields = []
    for name, info in query_type.model_fields.items():
        kind, choices = _kind(info.annotation)
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        if isinstance(default, Enum):
            default = default.value
        fields.append(QueryField(
            name=name,
            label=info.title or _label(name),
            kind=kind,  # type: ignore[arg-type]
            help=info.description or "",
            choices=choices,
            default=default,
        ))
    return fields


def _invalid(exc: ValidationError) -> Invalid:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "query"
    message = str(first["msg"]).removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    return Invalid(field, f"{message} (got {first['input']!r})")


def parse_query(review: Review, values: Iterable[tuple[str, str]]) -> ReviewQuery:
    """The review's query from text pairs (a URL's query string, a form, CLI options); blanks mean "the default".

    A field that takes several values may be repeated or given as a comma-separated list.
    """
    fields = review.query_type.model_fields
    raw: dict[str, Any] = {}
    for name, value in values:
        if name not in fields:
            options = ", ".join(fields)
            raise Invalid(name, f"the {review.name} review has no option {name!r}; its options are {options}")
        text = value.strip()
        if _is_multiple(fields[name]):
            raw.setdefault(name, []).extend(part.strip() for part in text.split(",") if part.strip())
        elif text:
            raw[name] = text
    try:
        return review.query_type.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc) from None


def query_pairs(query: ReviewQuery) -> list[tuple[str, str]]:
    """The query as text pairs that `parse_query` reads back to an equal query (for links such as the CSV's)."""
    pairs = []
    for name, value in query.model_dump(mode="json").items():
        if value is None:
            continue
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, str(one).lower() if isinstance(one, bool) else str(one)))
    return pairs


def _day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def period_text(query: ReviewQuery) -> str:
    """The query's period in words, with the last day included rather than the first day after."""
    last = query.to_on - timedelta(days=1) if query.to_on else None
    if query.from_on and last:
        return f"{_day_text(query.from_on)} to {_day_text(last)}"
    if query.from_on:
        return f"From {_day_text(query.from_on)} on"
    if last:
        return f"Up to {_day_text(last)}"
    return "All history"


def columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every column of the rows, in the order they first appear."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def plain(value: Any) -> Any:
    """A row value as JSON holds it: dates as ISO text, everything else unchanged."""
    return value.isoformat() if isinstance(value, date) else value


def csv_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as CSV with a header line; a missing or empty value is an empty cell."""
    out = io.StringIO()
    names = columns(rows)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else plain(row.get(name)) for name in names])
    return out.getvalue()


def result_json(query: ReviewQuery, result: ReviewResult) -> dict[str, Any]:
    """What the API answers: the query as run, the notes, the rows and the charts."""
    return {
        "query": query.model_dump(mode="json"),
        "notes": list(result.notes),
        "rows": [{name: plain(value) for name, value in row.items()} for row in result.rows()],
        "charts": result.charts(),
    }


@dataclass(frozen=True)
class Column:
    """A table column: its name in the rows, its heading, and whether it holds numbers (aligned right)."""

    name: str
    label: str
    numeric: bool


@dataclass(frozen=True)
class Table:
    """Rows as a person reads them: money formatted, numbers grouped, dates as ISO text."""

    columns: list[Column]
    rows: list[list[str]]


def _label(name: str) -> str:
    if name in LABELS:
        return LABELS[name]
    text = " ".join(ACRONYMS.get(word, word) for word in name.removesuffix("_minor").split("_"))
    return text[:1].upper() + text[1:]


def _is_share(name: str, value: Any) -> bool:
    """A float named as a share (share, share_of_net, orders_share) reads best as a percentage."""
    return isinstance(value, float) and (name.startswith("share") or name.endswith("_share"))


def _is_money(name: str, value: Any) -> bool:
    return name.endswith("_minor") and isinstance(value, int) and not isinstance(value, bool)


def _text(name: str, value: Any, currency: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _is_money(name, value) and currency:
        return Money(value, currency).format()
    if _is_share(name, value):
        return f"{value:.1%}"
    if isinstance(value, int | float):
        return f"{value:,}".replace(",", "\u202f")
    return str(plain(value))


def display_table(rows: Sequence[Mapping[str, Any]], result: ReviewResult, base_currency: str) -> Table:
    """The rows for a page, the terminal or print; money in a row's `currency`, else the result's, else the base."""
    default_currency = getattr(result, "currency", None) or base_currency
    names = columns(rows)
    numeric = {
        name: any(isinstance(row.get(name), int | float) and not isinstance(row.get(name), bool) for row in rows)
        for name in names
    }
    cells = [[_text(name, row.get(name), row.get("currency") or default_currency) for name in names] for row in rows]
    return Table([Column(name, _label(name), numeric[name]) for name in names], cells)


def headline(result: ReviewResult, query: ReviewQuery, base_currency: str) -> list[tuple[str, str]]:
    """The result's single figures (totals, counts, rates) as (label, text), in the order the result declares them.

    Fields that repeat the query (the period, the split) are left out: the form already shows them.
    """
    currency = getattr(result, "currency", None) or base_currency
    figures = []
    for name, info in type(result).model_fields.items():
        value = getattr(result, name)
        if name in ("notes", "currency") or name in type(query).model_fields:
            continue
        if not isinstance(value, int | float | str | date | Decimal):
            continue
        figures.append((info.title or _label(name), _text(name, value, currency)))
    return figures
