"""Revenue: gross sales, refunds and net in the base currency, split by offer, place, customer, channel, persona
or month, with the monthly series."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import altair as alt
import ibis
from pydantic import BaseModel, Field

from accord.kernel.money import minor_digits
from accord.reviews.base import Review, ReviewQuery, ReviewResult, base_currency, in_period, warehouse_table
from accord.reviews.conversion import ConversionSummary, in_base, money_text

Split = Literal["offer", "location", "country", "customer", "channel", "persona", "month"]
NO_LABEL = {
    "offer": "(no offer)", "location": "(no location)", "country": "(no country)", "customer": "(no customer)",
    "channel": "(no channel)", "persona": "(no persona)",
}
NO_LABEL_MEANS = {
    "offer": "lines not linked to an offer",
    "location": "orders that name neither a place nor a country",
    "country": "orders with no country",
    "customer": "orders with no known customer",
    "channel": "orders with no channel",
    "persona": "orders whose customer fits no persona, or that have no known customer",
}


def sales_lines(warehouse: Any, query: ReviewQuery, base: str, *, costs: bool = False) -> ibis.Table:
    """Order lines of the orders placed in the period with their order's facts, `amount` = quantity × unit price
    and `cost` = quantity × unit cost (NULL when unknown), both in the order's currency, and `amount_base`
    (and `cost_base`, converted with the same rate, when `costs`)."""
    orders = in_period(warehouse_table(warehouse, "sales_order"), "ordered_day", query)
    orders = orders.select(
        order_id=orders.id, contact_id=orders.contact_id, ordered_day=orders.ordered_day, channel=orders.channel,
        location=orders.location, country=orders.country, currency=orders.currency,
    )
    lines = warehouse_table(warehouse, "order_line")
    lines = lines.select(
        order_id=lines.order_id, offer_id=lines.offer_id, quantity=lines.quantity.cast("int64"),
        unit_price_minor=lines.unit_price_minor.cast("int64"), unit_cost_minor=lines.unit_cost_minor.cast("int64"),
    )
    joined = lines.join(orders, "order_id")
    joined = joined.mutate(
        amount=joined.quantity * joined.unit_price_minor, cost=joined.quantity * joined.unit_cost_minor
    )
    return in_base(joined, amount="amount", currency="currency", day="ordered_day",
                   rates=warehouse_table(warehouse, "currency_rate"), base=base, pairs=orders,
                   also=("cost",) if costs else ())


def best_persona(warehouse: Any) -> ibis.Table:
    """contact_id → persona_id of the persona each contact fits best (highest score; ties to the lower id)."""
    fit = warehouse_table(warehouse, "persona_fit")
    ranked = fit.mutate(
        rank=ibis.row_number().over(group_by=fit.contact_id, order_by=[fit.score.desc(), fit.persona_id])
    )
    best = ranked.filter(ranked["rank"] == 0)
    return best.select(fit_contact_id=best.contact_id, persona_id=best.persona_id)


def with_key(warehouse: Any, table: ibis.Table, by: str, *, contact: str = "contact_id") -> ibis.Table:
    """`table` with a `key` column for the split (persona needs the contact's best fit joined on)."""
    if by == "persona":
        best = best_persona(warehouse)
        table = table.left_join(best, table[contact] == best.fit_contact_id)
        return table.mutate(key=table.persona_id)
    column = {
        "offer": lambda t: t.offer_id,
        "location": lambda t: t.location.nullif("").fill_null(t.country.nullif("")),
        "country": lambda t: t.country.nullif(""),
        "customer": lambda t: t[contact],
        "channel": lambda t: t.channel,
        "month": lambda t: t.ordered_day.truncate("M"),
    }[by]
    return table.mutate(key=column(table))


def with_label(warehouse: Any, groups: ibis.Table, by: str) -> ibis.Table:
    """Aggregated `groups` with a readable `label` for each key, looked up after aggregation."""
    names = {"offer": ("offer", "name"), "customer": ("contact", "display_name"), "persona": ("persona", "name")}
    if by not in names:
        return groups.mutate(label=groups.key.cast("string"))
    table_name, column = names[by]
    source = warehouse_table(warehouse, table_name)
    lookup = source.select(name_id=source.id, label=source[column])
    return groups.left_join(lookup, groups.key == lookup.name_id).drop("name_id")


def money_sums(table: ibis.Table) -> dict[str, ibis.Value]:
    """Gross (positive lines), refunds (negative lines, as a positive amount) and net, in base minor units."""
    amount = table.amount_base
    return {
        "gross": ibis.ifelse(table.quantity > 0, amount, 0).sum(),
        "refunds": ibis.ifelse(table.quantity < 0, -amount, 0).sum(),
        "orders": table.order_id.nunique(),
        "units": table.quantity.sum(),
    }


def month_name(day: date) -> str:
    """'November 2011'."""
    return day.strftime("%B %Y")


class RevenueQuery(ReviewQuery):
    """Revenue in a period, split one way."""

    by: Split = Field(default="offer", description="what to split revenue by")
    top: int = Field(default=50, ge=1, le=10_000, description="groups shown; the rest are added up in one row")


class RevenueGroup(BaseModel):
    """One group of the split."""

    key: str
    label: str
    gross_minor: int
    refunds_minor: int
    net_minor: int
    orders: int | None
    units: int
    share_of_net: float


class RevenueMonth(BaseModel):
    """One calendar month of the series (in the workspace's calendar)."""

    month: date
    gross_minor: int
    refunds_minor: int
    net_minor: int
    orders: int


class RevenueResult(ReviewResult):
    """Gross, refunds and net for the period, the split and the monthly series, all in `currency`."""

    by: str
    currency: str
    from_on: date | None
    to_on: date | None
    gross_minor: int = 0
    refunds_minor: int = 0
    net_minor: int = 0
    orders: int = 0
    groups: list[RevenueGroup] = Field(default_factory=list)
    months: list[RevenueMonth] = Field(default_factory=list)
    converted: dict[str, int] = Field(default_factory=dict)
    missing: dict[str, int] = Field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """One row a group: the split's value, gross, refunds, net, share of net, orders, units, currency."""
        return [
            {self.by: date.fromisoformat(g.key) if self.by == "month" else g.label,
             "gross_minor": g.gross_minor, "refunds_minor": g.refunds_minor, "net_minor": g.net_minor,
             "share_of_net": g.share_of_net, "orders": g.orders, "units": g.units, "currency": self.currency}
            for g in self.groups
        ]

    def charts(self) -> list[dict[str, Any]]:
        """Net revenue per group (bars) and gross, refunds and net per month (lines)."""
        if not self.months:
            return []
        scale = 10 ** minor_digits(self.currency)
        title = f"Net revenue ({self.currency})"
        groups = [{"label": g.label, "net": g.net_minor / scale} for g in self.groups[:25]]
        split = alt.Chart(alt.Data(values=groups), title=f"Net revenue by {self.by}").mark_bar().encode(
            x=alt.X("net:Q", title=title), y=alt.Y("label:N", sort=None, title=None),
            tooltip=[alt.Tooltip("label:N", title=self.by), alt.Tooltip("net:Q", format=",.2f")],
        )
        series = [
            {"month": m.month.isoformat(), "measure": measure, "amount": value / scale}
            for m in self.months
            for measure, value in (("gross", m.gross_minor), ("refunds", m.refunds_minor), ("net", m.net_minor))
        ]
        monthly = alt.Chart(alt.Data(values=series), title="Per month").mark_line(point=True).encode(
            x=alt.X("month:T", timeUnit="yearmonth", title=None),
            y=alt.Y("amount:Q", title=self.currency), color=alt.Color("measure:N", title=None),
            tooltip=[alt.Tooltip("month:T", timeUnit="yearmonth", title="month"), alt.Tooltip("measure:N"),
                     alt.Tooltip("amount:Q", format=",.2f")],
        )
        return [split.properties(width="container").to_dict(), monthly.properties(width="container").to_dict()]


def as_int(value: Any) -> int:
    """An aggregate as an int (an empty sum is NULL)."""
    return int(value or 0)


def by_month_and_currency(lines: ibis.Table, day: str = "ordered_day", **measures: ibis.Value
                          ) -> list[dict[str, Any]]:
    """Per (month, currency, has a rate): `amount` in its own currency, `rows`, and the measures, in one pass.

    Folded in Python into a month series and a ConversionSummary, so the lines are read once for both.
    """
    month = lines[day].truncate("M")
    grouped = lines.group_by(month=month, currency=lines.currency, has_rate=lines.amount_has_rate)
    return grouped.aggregate(amount=lines.amount.sum(), rows=lines.count(), **measures).to_pyarrow().to_pylist()


def _monthly_and_currencies(lines: ibis.Table) -> tuple[list[RevenueMonth], list[dict[str, Any]]]:
    rows = by_month_and_currency(lines, **money_sums(lines))
    months: dict[date, list[int]] = {}
    for row in rows:
        if row["has_rate"]:
            totals = months.setdefault(row["month"], [0, 0, 0])
            # An order has one currency and one day, so its lines share one group: distinct counts add up.
            totals[0] += as_int(row["gross"])
            totals[1] += as_int(row["refunds"])
            totals[2] += as_int(row["orders"])
    series = [RevenueMonth(month=m, gross_minor=g, refunds_minor=r, net_minor=g - r, orders=n)
              for m, (g, r, n) in sorted(months.items())]
    return series, rows


def _groups(warehouse: Any, lines: ibis.Table, query: RevenueQuery, net_total: int) -> list[RevenueGroup]:
    kept = lines.filter(lines.amount_has_rate)
    keyed = with_key(warehouse, kept, query.by)
    groups = keyed.group_by("key").aggregate(**money_sums(keyed))
    groups = groups.mutate(net=groups.gross - groups.refunds)
    if query.by != "month":
        groups = groups.order_by([groups.net.desc(), groups.key.isnull(), groups.key]).limit(query.top + 1)
    found = with_label(warehouse, groups, query.by).to_pyarrow().to_pylist()
    result = []
    for row in found:
        key = row["key"]
        label = row["label"] if key is not None and row["label"] is not None else NO_LABEL.get(query.by, "")
        result.append(_group("" if key is None else str(key), label, as_int(row["gross"]), as_int(row["refunds"]),
                             as_int(row["orders"]), as_int(row["units"]), net_total))
    if query.by == "month":
        return sorted(result, key=lambda g: g.key)
    result.sort(key=lambda g: (-g.net_minor, g.label, g.key))
    return result


def _group(key: str, label: str, gross: int, refunds: int, orders: int | None, units: int, net_total: int
           ) -> RevenueGroup:
    net = gross - refunds
    share = round(net / net_total, 4) if net_total else 0.0
    return RevenueGroup(key=key, label=label, gross_minor=gross, refunds_minor=refunds, net_minor=net,
                        orders=orders, units=units, share_of_net=share)


def _fold_rest(groups: list[RevenueGroup], query: RevenueQuery, total: RevenueGroup) -> list[RevenueGroup]:
    """Keep the top groups; the rest become one row that makes the table add up to the totals."""
    if query.by == "month" or len(groups) <= query.top:
        return groups
    shown = groups[: query.top]
    gross = total.gross_minor - sum(g.gross_minor for g in shown)
    refunds = total.refunds_minor - sum(g.refunds_minor for g in shown)
    # An order can hold several offers, so the other offers' orders cannot be found by subtraction.
    orders = None if query.by == "offer" else (total.orders or 0) - sum(g.orders or 0 for g in shown)
    units = total.units - sum(g.units for g in shown)
    return [*shown, _group("", "(all others)", gross, refunds, orders, units, total.net_minor)]


def run(warehouse: Any, query: RevenueQuery) -> RevenueResult:
    """Revenue for the period in the base currency, split by `query.by`, with the monthly series."""
    base = base_currency(warehouse)
    lines = sales_lines(warehouse, query, base)
    months, by_currency = _monthly_and_currencies(lines)
    summary = ConversionSummary.from_rows(base, by_currency)
    notes = summary.notes("revenue figures", "line")
    shell = {"by": query.by, "currency": base, "from_on": query.from_on, "to_on": query.to_on,
             "converted": summary.converted, "missing": summary.missing}
    if not months:
        period = period_words(query)
        return RevenueResult(notes=[f"No orders {period}: there is no revenue to review." if not by_currency else
                                    f"No order {period} could be converted to {base}.", *notes], **shell)
    gross, refunds = sum(m.gross_minor for m in months), sum(m.refunds_minor for m in months)
    units = sum(as_int(r["units"]) for r in by_currency if r["has_rate"])
    total = _group("", "total", gross, refunds, sum(m.orders for m in months), units, gross - refunds)
    groups = _fold_rest(_groups(warehouse, lines, query, total.net_minor), query, total)
    notes.append(
        f"Refunds and cancellations (negative lines) come to {money_text(refunds, base)} and are netted: "
        f"net {money_text(total.net_minor, base)} = gross {money_text(gross, base)} − refunds."
    )
    notes.extend(_split_notes(query, groups))
    if groups and groups[-1].label == "(all others)":
        notes.append(f"The {query.top} largest groups by net revenue are shown; the rest are added up in the row "
                     f"'(all others)'.")
    return RevenueResult(notes=notes, gross_minor=gross, refunds_minor=refunds, net_minor=total.net_minor,
                         orders=total.orders or 0, groups=groups, months=months, **shell)


def period_words(query: ReviewQuery) -> str:
    """The query's period in words, for notes."""
    if query.from_on and query.to_on:
        return f"from {query.from_on} to {query.to_on} (not included)"
    if query.from_on:
        return f"on or after {query.from_on}"
    if query.to_on:
        return f"before {query.to_on}"
    return "in the warehouse"


def _split_notes(query: RevenueQuery, groups: list[RevenueGroup]) -> list[str]:
    notes = []
    if query.by == "persona":
        notes.append("Each customer counts under the persona they fit best (the highest persona_fit score).")
    if query.by == "location":
        notes.append("Location is the order's location, or its country when the order names no place.")
    if query.by == "offer":
        notes.append("Orders per offer count the orders that hold the offer, so they add up to more than the "
                     "number of orders.")
    if any(g.key == "" and g.label == NO_LABEL.get(query.by) for g in groups):
        notes.append(f"The row '{NO_LABEL[query.by]}' holds the revenue of {NO_LABEL_MEANS[query.by]}.")
    return notes


REVIEW = Review(
    name="revenue",
    title="Revenue",
    summary="Gross sales, refunds and net revenue in the base currency, by offer, place, customer, channel, "
            "persona or month.",
    query_type=RevenueQuery,
    result_type=RevenueResult,
    run=run,
)
