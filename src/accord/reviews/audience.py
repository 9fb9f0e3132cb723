"""The audience matrix: contacts, engaged contacts, customers and revenue by location, industry, persona and channel."""

from __future__ import annotations

from typing import Any, Literal

import altair as alt
import ibis
from pydantic import Field, field_validator

from accord.errors import Invalid
from accord.kernel.money import minor_digits
from accord.reviews.base import Review, ReviewQuery, ReviewResult, base_currency, in_period, warehouse_table
from accord.reviews.conversion import ConversionSummary, in_base

Dimension = Literal["location", "industry", "persona", "channel"]
DIMENSIONS: tuple[Dimension, ...] = ("location", "industry", "persona", "channel")
UNKNOWN = "(unknown)"
NONE = "(none)"


class AudienceQuery(ReviewQuery):
    """Which dimensions split the audience, how location is read, and how well a contact must fit a persona."""

    dimensions: tuple[Dimension, ...] = Field(default=DIMENSIONS, description="what splits the audience")
    location: Literal["city", "region", "country"] = Field(
        default="city", description="the contact's own, else their organisation's")
    persona_min_fit: float = Field(default=0.5, ge=0, le=1,
                                   description="a contact belongs to their best persona if the fit is at least this")

    @field_validator("dimensions")
    @classmethod
    def _some_distinct_dimensions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise Invalid("dimensions", f"choose at least one of {', '.join(DIMENSIONS)}")
        return tuple(dict.fromkeys(value))


class AudienceResult(ReviewResult):
    """One row a cell of the matrix, and the totals over all cells."""

    dimensions: list[str] = Field(default_factory=list)
    cells: list[dict[str, Any]] = Field(default_factory=list)
    contacts: int = 0
    engaged: int = 0
    customers: int = 0
    conversion_rate: float | None = None
    revenue_minor: int = 0
    currency: str = ""

    def rows(self) -> list[dict[str, Any]]:
        """One row a cell: its dimensions, contacts, engaged, customers, conversion rate and revenue."""
        return [dict(cell) for cell in self.cells]

    def charts(self) -> list[dict[str, Any]]:
        """Revenue by the first dimension, and conversion across the first two when there are two."""
        if not self.cells:
            return []
        first = self.dimensions[0]
        scale = 10 ** minor_digits(self.currency)
        # Major units on the axis only; the rows keep integer minor units.
        data = alt.Data(values=[{**cell, "revenue": cell["revenue_minor"] / scale} for cell in self.cells])
        charts = [
            alt.Chart(data, title=f"Revenue by {first}")
            .mark_bar()
            .encode(x=alt.X("sum(revenue):Q", title=f"revenue ({self.currency})"),
                    y=alt.Y(f"{first}:N", sort="-x", title=first))
            .to_dict()
        ]
        if len(self.dimensions) > 1:
            second = self.dimensions[1]
            charts.append(
                alt.Chart(data, title=f"Customers by {first} and {second}")
                .mark_rect()
                .encode(
                    x=alt.X(f"{first}:N", title=first), y=alt.Y(f"{second}:N", title=second),
                    color=alt.Color("sum(customers):Q", title="customers"),
                    tooltip=[f"{first}:N", f"{second}:N", alt.Tooltip("sum(contacts):Q", title="contacts"),
                             alt.Tooltip("sum(customers):Q", title="customers")],
                )
                .to_dict()
            )
        return charts


def _best_persona(warehouse: Any, min_fit: float) -> ibis.Table:
    """Each contact's best-fitting persona (ties: the name first in order) where the fit reaches min_fit."""
    fit, persona = warehouse_table(warehouse, "persona_fit"), warehouse_table(warehouse, "persona")
    fit = fit.filter(fit.score >= min_fit)
    top = fit.group_by("contact_id").aggregate(top=fit.score.max())
    best = fit.join(top, [fit.contact_id == top.contact_id, fit.score == top.top])
    named = best.join(persona, best.persona_id == persona.id)
    return named.group_by(named.contact_id).aggregate(persona=named.name.min())


def _orders(warehouse: Any, query: AudienceQuery, base: str) -> ibis.Table:
    """The period's orders with a contact: net value in its own currency and in the base currency."""
    order, line = warehouse_table(warehouse, "sales_order"), warehouse_table(warehouse, "order_line")
    totals = line.group_by("order_id").aggregate(value_minor=(line.quantity * line.unit_price_minor).sum())
    placed = in_period(order.filter(order.contact_id.notnull()), "ordered_day", query)
    joined = placed.join(totals, placed.id == totals.order_id)
    orders = joined.select("contact_id", "currency", "ordered_day", value_minor=joined.value_minor.cast("int64"))
    return in_base(orders, amount="value_minor", currency="currency", day="ordered_day",
                   rates=warehouse_table(warehouse, "currency_rate"), base=base)


def _people(warehouse: Any, query: AudienceQuery, orders: ibis.Table) -> ibis.Table:
    """One row a contact in the audience: the four dimensions, engaged, customer and revenue in the base currency."""
    contact, organisation = warehouse_table(warehouse, "contact"), warehouse_table(warehouse, "organisation")
    people = contact.filter(contact.merged_into_id.isnull())
    if query.to_on:
        people = people.filter(people.created_day < query.to_on)
    level = query.location
    org = organisation.select(org_id=organisation.id, org_location=organisation[level], industry=organisation.industry)
    with_org = people.left_join(org, people.organisation_id == org.org_id)
    audience = with_org.select(
        contact_id=with_org.id,
        location=ibis.coalesce(with_org[level], with_org.org_location, ibis.literal(UNKNOWN)),
        industry=ibis.coalesce(with_org.industry, ibis.literal(NONE)),
        channel=with_org.first_channel,
    )
    personas = _best_persona(warehouse, query.persona_min_fit)
    engagement = warehouse_table(warehouse, "engagement")
    engaged = in_period(engagement.filter(~engagement.is_spam), "occurred_day", query).select("contact_id").distinct()
    by_contact = orders.group_by("contact_id").aggregate(
        bought=(orders.value_minor > 0).any(),
        revenue=orders.value_minor_base.sum(where=orders.value_minor_has_rate),
    )
    people = audience.left_join(personas, audience.contact_id == personas.contact_id).select(
        *audience.columns, persona=personas.persona.fill_null(NONE))
    people = people.left_join(engaged, people.contact_id == engaged.contact_id).select(
        *people.columns, is_engaged=engaged.contact_id.notnull())
    return people.left_join(by_contact, people.contact_id == by_contact.contact_id).select(
        *people.columns, is_customer=by_contact.bought.fill_null(False), revenue=by_contact.revenue.fill_null(0))


def run(warehouse: Any, query: AudienceQuery) -> AudienceResult:
    """Count the audience, its engaged contacts and customers, and their revenue, per cell of the chosen dimensions."""
    base = base_currency(warehouse)
    orders = _orders(warehouse, query, base)
    people = _people(warehouse, query, orders)
    dims = list(query.dimensions)
    grouped = people.group_by(dims).aggregate(
        contacts=people.contact_id.count(),
        engaged=people.is_engaged.sum(),
        customers=people.is_customer.sum(),
        revenue_minor=people.revenue.sum(),
    )
    rows = [
        {**{d: row[d] for d in dims}, "contacts": int(row["contacts"]), "engaged": int(row["engaged"]),
         "customers": int(row["customers"]), "conversion_rate": round(int(row["customers"]) / int(row["contacts"]), 4),
         "revenue_minor": int(row["revenue_minor"]), "currency": base}
        for row in grouped.to_pyarrow().to_pylist()
    ]
    rows.sort(key=lambda r: (-r["revenue_minor"], -r["contacts"], *[r[d] for d in dims]))

    conversion = orders.group_by(["currency", orders.value_minor_has_rate.name("has_rate")]).aggregate(
        amount=orders.value_minor.sum(), rows=orders.contact_id.count())
    notes = ConversionSummary.from_rows(base, conversion.to_pyarrow().to_pylist()).notes("revenue figures")
    notes += _notes(warehouse, query, rows)
    contacts, customers = sum(r["contacts"] for r in rows), sum(r["customers"] for r in rows)
    return AudienceResult(
        notes=notes, dimensions=dims, cells=rows, contacts=contacts, engaged=sum(r["engaged"] for r in rows),
        customers=customers, conversion_rate=round(customers / contacts, 4) if contacts else None,
        revenue_minor=sum(r["revenue_minor"] for r in rows), currency=base,
    )


def _notes(warehouse: Any, query: AudienceQuery, rows: list[dict[str, Any]]) -> list[str]:
    """What each figure counts, and what the matrix leaves out."""
    notes = [
        "Contacts: everyone first seen before the period ends (merged duplicates left out). Engaged: contacts "
        "with an engagement in the period that is not spam. Customers: contacts with an order of positive value "
        "in the period. Conversion rate: customers ÷ contacts. Revenue: the period's orders (refunds subtracted).",
        f"Location is the contact's {query.location}, else their organisation's; industry is their organisation's; "
        f"persona is the best-fitting one with a fit of at least {query.persona_min_fit:g}; channel is where the "
        f"contact was first seen. {UNKNOWN} and {NONE} mark contacts without one.",
    ]
    if not rows:
        notes.append("There are no contacts yet at the end of this period.")
    order = warehouse_table(warehouse, "sales_order")
    anonymous = in_period(order.filter(order.contact_id.isnull()), "ordered_day", query).count().to_pyarrow().as_py()
    if anonymous:
        notes.append(f"{anonymous} order{'s' if anonymous != 1 else ''} in the period without a contact "
                     f"{'are' if anonymous != 1 else 'is'} not in the matrix.")
    return notes


REVIEW = Review(
    name="audience",
    title="Audience",
    summary="Contacts, engaged contacts, customers, conversion and revenue by location, industry, persona and channel.",
    query_type=AudienceQuery,
    result_type=AudienceResult,
    run=run,
)
