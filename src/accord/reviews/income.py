"""Income after costs: gross margin (revenue − unit cost at the time of sale) and contribution after marketing
spend, in the base currency, with the same splits as revenue."""

from __future__ import annotations

from datetime import date
from typing import Any

import altair as alt
import ibis
from pydantic import BaseModel, Field

from accord.kernel.money import minor_digits
from accord.reviews.base import Review, ReviewQuery, ReviewResult, base_currency, in_period, warehouse_table
from accord.reviews.conversion import ConversionSummary, in_base, money_text
from accord.reviews.revenue import (
    NO_LABEL, Split, as_int, by_month_and_currency, period_words, sales_lines, with_key, with_label,
)

# Spend belongs to a campaign, which has a channel and a persona but no offer, place or customer.
SPEND_SPLITS = ("channel", "persona", "month")


class IncomeQuery(ReviewQuery):
    """Income after costs in a period, split one way."""

    by: Split = Field(default="channel", description="what to split income by")
    top: int = Field(default=50, ge=1, le=10_000, description="groups shown; the rest are added up in one row")


class IncomeFigures(BaseModel):
    """Revenue, cost, margin, spend and contribution of one group, one month or the whole period."""

    net_minor: int = 0
    costed_net_minor: int = 0
    cost_minor: int = 0
    uncosted_net_minor: int = 0
    uncosted_lines: int = 0
    spend_minor: int | None = 0

    @property
    def margin_minor(self) -> int:
        """Gross margin: net revenue of the lines with a unit cost, less their cost."""
        return self.costed_net_minor - self.cost_minor

    @property
    def margin_rate(self) -> float | None:
        """Margin as a share of the revenue it was measured on; None without costed revenue."""
        return round(self.margin_minor / self.costed_net_minor, 4) if self.costed_net_minor else None

    @property
    def contribution_minor(self) -> int | None:
        """Gross margin less marketing spend; None where spend cannot be split this way."""
        return None if self.spend_minor is None else self.margin_minor - self.spend_minor


class IncomeGroup(IncomeFigures):
    """One group of the split."""

    key: str
    label: str


class IncomeMonth(IncomeFigures):
    """One calendar month."""

    month: date


class IncomeResult(ReviewResult):
    """Margin and contribution for the period, per group and per month, in `currency`."""

    by: str
    currency: str
    from_on: date | None
    to_on: date | None
    spend_split: bool
    totals: IncomeFigures = Field(default_factory=IncomeFigures)
    groups: list[IncomeGroup] = Field(default_factory=list)
    months: list[IncomeMonth] = Field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """One row a group: revenue, cost, margin (and its rate), spend, contribution, uncosted revenue."""
        return [{self.by: date.fromisoformat(g.key) if self.by == "month" else g.label, **_figures(g),
                 "currency": self.currency} for g in self.groups]

    def charts(self) -> list[dict[str, Any]]:
        """Margin, spend and contribution per month."""
        if not self.months:
            return []
        scale = 10 ** minor_digits(self.currency)
        values = [
            {"month": m.month.isoformat(), "measure": measure, "amount": amount / scale}
            for m in self.months
            for measure, amount in (("gross margin", m.margin_minor), ("marketing spend", m.spend_minor or 0),
                                    ("contribution", m.contribution_minor or 0))
        ]
        chart = alt.Chart(alt.Data(values=values), title="Income after costs per month").mark_line(point=True).encode(
            x=alt.X("month:T", timeUnit="yearmonth", title=None), y=alt.Y("amount:Q", title=self.currency),
            color=alt.Color("measure:N", title=None, sort=["gross margin", "marketing spend", "contribution"]),
            tooltip=[alt.Tooltip("month:T", timeUnit="yearmonth", title="month"), alt.Tooltip("measure:N"),
                     alt.Tooltip("amount:Q", format=",.2f")],
        )
        return [chart.properties(width="container").to_dict()]


def _figures(f: IncomeFigures) -> dict[str, Any]:
    return {"net_minor": f.net_minor, "cost_minor": f.cost_minor, "margin_minor": f.margin_minor,
            "margin_rate": f.margin_rate, "spend_minor": f.spend_minor, "contribution_minor": f.contribution_minor,
            "uncosted_net_minor": f.uncosted_net_minor, "uncosted_lines": f.uncosted_lines}


def _measures(lines: ibis.Table) -> dict[str, ibis.Value]:
    costed = lines.unit_cost_minor.notnull()
    return {
        "net": lines.amount_base.sum(),
        "costed_net": ibis.ifelse(costed, lines.amount_base, 0).sum(),
        "cost": ibis.ifelse(costed, lines.cost_base, 0).sum(),
        "uncosted_net": ibis.ifelse(costed, 0, lines.amount_base).sum(),
        "uncosted_lines": ibis.ifelse(costed, 0, 1).sum(),
    }


def _from_row(row: dict[str, Any]) -> dict[str, int]:
    return {"net_minor": as_int(row["net"]), "costed_net_minor": as_int(row["costed_net"]),
            "cost_minor": as_int(row["cost"]), "uncosted_net_minor": as_int(row["uncosted_net"]),
            "uncosted_lines": as_int(row["uncosted_lines"])}


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for name, value in more.items():
        into[name] = into.get(name, 0) + value


def spend_rows(warehouse: Any, query: ReviewQuery, base: str) -> ibis.Table:
    """Spend in the period with its campaign's channel and persona, and `amount_base`."""
    spend = in_period(warehouse_table(warehouse, "spend"), "spent_on", query)
    campaign = warehouse_table(warehouse, "campaign")
    campaign = campaign.select(campaign_id=campaign.id, channel=campaign.channel, persona_id=campaign.persona_id)
    joined = spend.select(
        campaign_id=spend.campaign_id, spent_on=spend.spent_on, amount=spend.amount_minor.cast("int64"),
        currency=spend.currency,
    ).left_join(campaign, "campaign_id")
    return in_base(joined, amount="amount", currency="currency", day="spent_on",
                   rates=warehouse_table(warehouse, "currency_rate"), base=base)


def _spend_by(spend: ibis.Table, by: str) -> dict[str, int]:
    kept = spend.filter(spend.amount_has_rate)
    key = {"channel": kept.channel, "persona": kept.persona_id, "month": kept.spent_on.truncate("M")}[by]
    rows = kept.group_by(key=key).aggregate(spend=kept.amount_base.sum()).to_pyarrow().to_pylist()
    return {("" if r["key"] is None else str(r["key"])): as_int(r["spend"]) for r in rows}


def _groups(warehouse: Any, lines: ibis.Table, query: IncomeQuery, spend: dict[str, int] | None
            ) -> list[IncomeGroup]:
    kept = lines.filter(lines.amount_has_rate)
    keyed = with_key(warehouse, kept, query.by)
    groups = keyed.group_by("key").aggregate(**_measures(keyed))
    if spend is None:
        groups = groups.order_by([groups.net.desc(), groups.key.isnull(), groups.key]).limit(query.top + 1)
    found = {("" if r["key"] is None else str(r["key"])): r
             for r in with_label(warehouse, groups, query.by).to_pyarrow().to_pylist()}
    if spend is not None:
        # Channels or personas with spend but no sales still belong in the table.
        missing = [k for k in spend if k not in found]
        if missing:
            found.update(_labels_only(warehouse, query.by, missing))
    result = []
    for key, row in found.items():
        label = row["label"] if key and row["label"] is not None else NO_LABEL.get(query.by, "")
        figures = _from_row(row) if "net" in row else {}
        result.append(IncomeGroup(key=key, label=label, spend_minor=None if spend is None else spend.get(key, 0),
                                  **figures))
    if query.by == "month":
        return sorted(result, key=lambda g: g.key)
    return sorted(result, key=lambda g: (-g.net_minor, g.label, g.key))


def _labels_only(warehouse: Any, by: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Labels for groups that only have spend (no sales lines to aggregate)."""
    if by != "persona":
        return {k: {"key": k, "label": k} for k in keys}
    persona = warehouse_table(warehouse, "persona")
    ids = [int(k) for k in keys if k]
    names = {str(r["id"]): r["name"] for r in persona.filter(persona.id.isin(ids)).select("id", "name")
             .to_pyarrow().to_pylist()} if ids else {}
    return {k: {"key": k, "label": names.get(k)} for k in keys}


def _fold_rest(groups: list[IncomeGroup], query: IncomeQuery, totals: IncomeFigures) -> tuple[list[IncomeGroup], bool]:
    if query.by in SPEND_SPLITS or len(groups) <= query.top:
        return groups, False
    shown = groups[: query.top]
    rest = {name: getattr(totals, name) - sum(getattr(g, name) for g in shown)
            for name in ("net_minor", "costed_net_minor", "cost_minor", "uncosted_net_minor", "uncosted_lines")}
    return [*shown, IncomeGroup(key="", label="(all others)", spend_minor=None, **rest)], True


def run(warehouse: Any, query: IncomeQuery) -> IncomeResult:
    """Gross margin and contribution after marketing spend for the period, split by `query.by`."""
    base = base_currency(warehouse)
    lines = sales_lines(warehouse, query, base, costs=True)
    sales = by_month_and_currency(lines, **_measures(lines))
    spend = spend_rows(warehouse, query, base)
    spent = by_month_and_currency(spend, day="spent_on", spend=spend.amount_base.sum())
    sales_summary = ConversionSummary.from_rows(base, sales)
    spend_summary = ConversionSummary.from_rows(base, spent)
    months: dict[date, dict[str, int]] = {}
    for row in sales:
        if row["has_rate"]:
            _add(months.setdefault(row["month"], {}), _from_row(row))
    for row in spent:
        if row["has_rate"]:
            _add(months.setdefault(row["month"], {}), {"spend_minor": as_int(row["spend"])})
    series = [IncomeMonth(month=m, **{"spend_minor": 0, **figures}) for m, figures in sorted(months.items())]
    totals: dict[str, int] = {}
    for month in series:
        _add(totals, month.model_dump(exclude={"month"}))
    figures = IncomeFigures(**totals)
    spend_split = query.by in SPEND_SPLITS
    notes = sales_summary.notes("revenue, cost and spend figures", "line")
    notes += spend_summary.details("spend row", subject="Spend")
    shell = {"by": query.by, "currency": base, "from_on": query.from_on, "to_on": query.to_on,
             "spend_split": spend_split}
    if not series:
        return IncomeResult(notes=[f"No orders and no marketing spend {period_words(query)}.", *notes], **shell)
    groups = _groups(warehouse, lines, query, _spend_by(spend, query.by) if spend_split else None)
    groups, folded = _fold_rest(groups, query, figures)
    notes += _income_notes(query, figures, base, spend_split)
    if folded:
        notes.append(f"The {query.top} largest groups by net revenue are shown; the rest are added up in the row "
                     f"'(all others)'.")
    return IncomeResult(notes=notes, totals=figures, groups=groups, months=series, **shell)


def _income_notes(query: IncomeQuery, totals: IncomeFigures, base: str, spend_split: bool) -> list[str]:
    if totals.uncosted_lines and not totals.costed_net_minor and not totals.cost_minor:
        notes = ["No sales line in the period has a unit cost, so there is no gross margin to measure: record unit "
                 "costs on order lines (or import them, or set the importer's cost_ratio) to see it."]
        if totals.spend_minor:
            notes.append(f"Marketing spend in the period: {money_text(totals.spend_minor, base)}.")
        return notes + _split_words(query, spend_split)
    notes = [
        f"Gross margin {money_text(totals.margin_minor, base)} = {money_text(totals.costed_net_minor, base)} of "
        f"revenue on lines with a unit cost − their cost {money_text(totals.cost_minor, base)} (unit cost at the "
        f"time of sale); contribution "
        f"{money_text(totals.contribution_minor or 0, base)} = gross margin − marketing spend "
        f"{money_text(totals.spend_minor or 0, base)}."
    ]
    if totals.uncosted_lines:
        notes.append(
            f"{totals.uncosted_lines:,} line{'s' if totals.uncosted_lines != 1 else ''} "
            f"({money_text(totals.uncosted_net_minor, base)} of net revenue) "
            f"{'have' if totals.uncosted_lines != 1 else 'has'} no unit cost and "
            f"{'are' if totals.uncosted_lines != 1 else 'is'} left out of the margin, not counted as free."
        )
    return notes + _split_words(query, spend_split)


def _split_words(query: IncomeQuery, spend_split: bool) -> list[str]:
    if not spend_split:
        return [f"Marketing spend belongs to campaigns, which have a channel and a persona but no {query.by}: it can "
                f"be split by channel, persona or month only, so here it is a total for the period."]
    if query.by == "persona":
        return ["Sales count under the persona their customer fits best; spend under its campaign's persona."]
    return []


REVIEW = Review(
    name="income",
    title="Income after costs",
    summary="Gross margin (revenue less unit cost at the time of sale) and contribution after marketing spend.",
    query_type=IncomeQuery,
    result_type=IncomeResult,
    run=run,
)
