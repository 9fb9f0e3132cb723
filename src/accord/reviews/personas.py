"""Persona synergy: which customer templates actually buy. Per persona: contacts, customers, conversion rate,
revenue in the base currency (refunds subtracted) and the lifetime value the Customers review predicts.

Each contact counts once among the declared personas and once among the discovered ones: under the persona of that
kind they fit best (ties: the older persona), when the fit reaches `min_fit`; the rest are "(no declared persona)"
or "(no discovered persona)", so each kind's rows add up to every contact. Before there are any personas, one row
holds everyone, as the baseline the personas will be compared with.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import altair as alt
import ibis
from pydantic import BaseModel, Field

from accord.kernel.money import minor_digits
from accord.reviews import customers
from accord.reviews.base import Review, ReviewQuery, ReviewResult, base_currency, warehouse_table
from accord.reviews.conversion import ConversionSummary
from accord.reviews.revenue import sales_lines

KINDS = ("declared", "discovered")
NO_PERSONAS = "none"  # the kind of the one row there is before any persona exists


class PersonasQuery(ReviewQuery):
    """The period, how well a contact must fit, and how far ahead lifetime value looks."""

    min_fit: float = Field(default=0.5, ge=0, le=1,
                           description="a contact counts under the persona they fit best if the fit is at least this")
    horizon_months: int = Field(default=12, ge=1, le=120,
                                description="months of future purchases counted in lifetime value")


class PersonaRow(BaseModel):
    """One persona's figures; persona_id is None for the contacts who fit no persona of that kind."""

    persona_id: int | None
    persona: str
    kind: str
    contacts: int
    customers: int
    conversion_rate: float | None
    revenue_minor: int
    revenue_per_contact_minor: int | None
    clv_minor: int | None
    clv_per_customer_minor: int | None


class PersonasResult(ReviewResult):
    """Per persona how many bought and what they are worth; totals over every contact."""

    currency: str = ""
    contacts: int = 0
    customers: int = 0
    conversion_rate: float | None = None
    revenue_minor: int = 0
    personas: list[PersonaRow] = Field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """One row a persona (and one for the contacts fitting none of a kind), money in minor units."""
        return [{**row.model_dump(), "currency": self.currency} for row in self.personas]

    def charts(self) -> list[dict[str, Any]]:
        """Conversion rate by persona, and revenue with lifetime value per customer."""
        if not self.personas:
            return []
        scale = 10 ** minor_digits(self.currency)
        values = [{"persona": r.persona, "kind": r.kind, "conversion": r.conversion_rate or 0.0,
                   "revenue": r.revenue_minor / scale, "clv": (r.clv_per_customer_minor or 0) / scale,
                   "customers": r.customers, "contacts": r.contacts} for r in self.personas]
        data = alt.Data(values=values)
        conversion = alt.Chart(data, title="Conversion rate by persona").mark_bar().encode(
            x=alt.X("conversion:Q", axis=alt.Axis(format="%"), title="Customers ÷ contacts"),
            y=alt.Y("persona:N", sort="-x", title=None),
            color=alt.Color("kind:N", title="Kind"),
            tooltip=["persona:N", "kind:N", "contacts:Q", "customers:Q", alt.Tooltip("conversion:Q", format=".1%")],
        )
        worth = alt.Chart(data, title=f"Revenue by persona ({self.currency})").mark_bar().encode(
            x=alt.X("revenue:Q", title=f"Revenue ({self.currency})"),
            y=alt.Y("persona:N", sort="-x", title=None),
            color=alt.Color("kind:N", title="Kind"),
            tooltip=["persona:N", alt.Tooltip("revenue:Q", format=",.2f"),
                     alt.Tooltip("clv:Q", format=",.2f", title=f"Lifetime value per customer ({self.currency})")],
        )
        return [conversion.to_dict(), worth.to_dict()]


def _memberships(warehouse: Any, min_fit: float) -> ibis.Table:
    """member_id, member_kind, persona_id: each contact's best persona of each kind with a fit of at least min_fit."""
    fit, persona = warehouse_table(warehouse, "persona_fit"), warehouse_table(warehouse, "persona")
    named = fit.filter(fit.score >= min_fit).join(persona, fit.persona_id == persona.id)
    ranked = named.mutate(rank=ibis.row_number().over(group_by=[named.contact_id, named.kind],
                                                      order_by=[named.score.desc(), named.persona_id]))
    best = ranked.filter(ranked["rank"] == 0)
    return best.select(member_id=best.contact_id, member_kind=best.kind, persona_id=best.persona_id)


def _people(warehouse: Any, query: PersonasQuery, lines: ibis.Table, kinds: list[str]) -> ibis.Table:
    """One row per contact and persona kind: the persona (NULL for none), whether they bought, their revenue."""
    contact = warehouse_table(warehouse, "contact")
    live = contact.filter(contact.merged_into_id.isnull())
    if query.to_on:
        live = live.filter(live.created_day < query.to_on)
    grid = ibis.union(*[live.select(contact_id=live.id, kind=ibis.literal(kind)) for kind in kinds], distinct=False)
    best = _memberships(warehouse, query.min_fit)
    grid = grid.left_join(best, [grid.contact_id == best.member_id, grid.kind == best.member_kind]).select(
        "contact_id", "kind", "persona_id")
    orders = lines.filter(lines.contact_id.notnull()).group_by(["order_id", "contact_id"]).aggregate(
        value=lines.amount.sum(), value_base=lines.amount_base.sum(where=lines.amount_has_rate))
    bought = orders.group_by("contact_id").aggregate(
        bought=(orders.value > 0).any(), revenue=orders.value_base.sum()).rename(buyer_id="contact_id")
    grid = grid.left_join(bought, grid.contact_id == bought.buyer_id)
    return grid.select("contact_id", "kind", "persona_id", is_customer=grid.bought.fill_null(False),
                       revenue=grid.revenue.fill_null(0))


def _lifetime(warehouse: Any, query: PersonasQuery, notes: list[str]) -> dict[int, int] | None:
    """contact id → lifetime value (minor units) from the Customers review; None when it cannot be estimated."""
    result = customers.run(warehouse, customers.CustomersQuery(from_on=query.from_on, to_on=query.to_on,
                                                               horizon_months=query.horizon_months))
    if result.purchase_model is None:
        why = next((n for n in result.notes if n.startswith("Lifetime value is not estimated")),
                   "Lifetime value is not estimated: no customer bought in this period.")
        notes.append(why)
        return None
    notes.append(f"Lifetime value: what the persona's customers are expected to spend over the next "
                 f"{query.horizon_months} months, discounted, as the Customers review predicts it (BG/NBD with "
                 "Gamma-Gamma); per customer is that total over the customers it could value.")
    return {c.contact_id: c.clv_minor for c in result.customers if c.clv_minor is not None}


def run(warehouse: Any, query: PersonasQuery) -> PersonasResult:
    """Contacts, customers, conversion, revenue and lifetime value per persona, each kind adding up to everyone."""
    base = base_currency(warehouse)
    persona = warehouse_table(warehouse, "persona")
    lines = sales_lines(warehouse, query, base)
    conversion = lines.group_by(["currency", lines.amount_has_rate.name("has_rate")]).aggregate(
        amount=lines.amount.sum(), rows=lines.order_id.nunique())
    notes = ConversionSummary.from_rows(base, conversion.to_pyarrow().to_pylist()).notes("revenue figures", "order")
    notes.append("Contacts: everyone first seen before the period ends (merged duplicates left out). Customers: "
                 "contacts with an order of positive value in the period. Conversion rate: customers ÷ contacts. "
                 "Revenue: the period's orders, refunds subtracted.")
    names = {r["id"]: (r["name"], r["kind"]) for r in persona.select("id", "name", "kind").to_pyarrow().to_pylist()}
    kinds = sorted({kind for _, kind in names.values()}, key=lambda k: (KINDS.index(k) if k in KINDS else 9, k))
    if kinds:
        notes.append(f"Each contact counts once among the declared personas and once among the discovered ones: under "
                     f"the persona of that kind they fit best, when the fit is at least {query.min_fit:g}; the others "
                     "are in the (no … persona) row of that kind.")
    else:
        notes.append("There are no personas yet, so one row holds everyone: declare personas, or discover them from "
                     "the data, on the Personas page.")
    people = _people(warehouse, query, lines, kinds or [NO_PERSONAS])
    grouped = people.group_by(["kind", "persona_id"]).aggregate(
        contacts=people.contact_id.count(), customers=people.is_customer.sum(), revenue=people.revenue.sum())
    buyers = people.filter(people.is_customer).select("contact_id", "kind", "persona_id")
    lifetime = _lifetime(warehouse, query, notes)
    valued: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    if lifetime is not None:
        for row in buyers.to_pyarrow().to_pylist():
            if row["contact_id"] in lifetime:
                valued[(row["kind"], row["persona_id"])].append(lifetime[row["contact_id"]])
    rows = []
    for row in grouped.to_pyarrow().to_pylist():
        pid, kind = row["persona_id"], row["kind"]
        contacts, bought, revenue = int(row["contacts"]), int(row["customers"]), int(row["revenue"])
        values = valued.get((kind, pid), [])
        rows.append(PersonaRow(
            persona_id=pid, persona=names[pid][0] if pid is not None else _nobody(kind), kind=kind,
            contacts=contacts, customers=bought, conversion_rate=round(bought / contacts, 4) if contacts else None,
            revenue_minor=revenue, revenue_per_contact_minor=round(revenue / contacts) if contacts else None,
            clv_minor=sum(values) if lifetime is not None else None,
            clv_per_customer_minor=round(sum(values) / len(values)) if values else None,
        ))
    rows.sort(key=lambda r: (KINDS.index(r.kind) if r.kind in KINDS else len(KINDS), r.kind, r.persona_id is None,
                             -r.revenue_minor, r.persona))
    everyone = [r for r in rows if r.kind == rows[0].kind] if rows else []
    contacts, bought = sum(r.contacts for r in everyone), sum(r.customers for r in everyone)
    return PersonasResult(
        notes=notes, currency=base, contacts=contacts, customers=bought,
        conversion_rate=round(bought / contacts, 4) if contacts else None,
        revenue_minor=sum(r.revenue_minor for r in everyone), personas=rows,
    )


def _nobody(kind: str) -> str:
    return "everyone (no personas yet)" if kind == NO_PERSONAS else f"(no {kind} persona)"


REVIEW = Review(
    name="personas",
    title="Persona synergy",
    summary="Which customer templates actually buy: contacts, customers, conversion rate, revenue and lifetime value "
            "per persona.",
    query_type=PersonasQuery,
    result_type=PersonasResult,
    run=run,
)
