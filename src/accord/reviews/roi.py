"""Marketing ROI: what each campaign or channel cost against the revenue and new customers attributed to it.

Revenue is the net order value credited to the campaign or channel by the chosen attribution model; spend is
the `spend` rows of the period. ROI = (revenue − spend) / spend, ROAS = revenue / spend, CAC = spend / new
customers credited. Payback is CAC divided by the average customer's monthly gross margin, the months of
margin an average customer needs to pay back what acquiring them cost.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import altair as alt
import ibis
import pandas as pd
from pydantic import BaseModel, Field, model_validator

from accord.kernel.money import minor_digits
from accord.reviews.attribution import MODELS, AttributionQuery, attribute, check_half_life
from accord.reviews.base import Review, ReviewQuery, ReviewResult, base_currency
from accord.reviews.conversion import ConversionSummary, in_base, money_text

_DAYS_A_MONTH = 365.25 / 12


class RoiQuery(ReviewQuery):
    """Spend against attributed revenue per campaign or channel in the period."""

    by: Literal["campaign", "channel"] = Field("campaign", description="rows per campaign or per channel")
    model: Literal[MODELS] = Field(  # type: ignore[valid-type]
        "linear", description="the attribution model that credits revenue")
    lookback_days: int = Field(90, ge=1, le=730, description="only events this many days before an order count")
    half_life_days: float = Field(7.0, gt=0, le=365, description="half-life of the time-decay model")

    @model_validator(mode="after")
    def _decay_stays_representable(self) -> RoiQuery:
        check_half_life(self.lookback_days, self.half_life_days)
        return self


class RoiLine(BaseModel):
    """One campaign or channel: spend, what came back, and the ratios (None where spend or customers are zero)."""

    name: str
    spend_minor: int
    revenue_minor: int
    new_customers: float
    roi: float | None
    roas: float | None
    cac_minor: int | None
    payback_months: float | None


class RoiResult(ReviewResult):
    """ROI, ROAS, CAC and payback per campaign or channel, money in base-currency minor units."""

    by: str = Field(title="By")
    model: str = Field(title="Model")
    currency: str
    spend_minor: int = Field(title="Spend")
    revenue_minor: int = Field(title="Revenue credited to spend")
    roi: float | None = Field(title="ROI")
    roas: float | None = Field(title="ROAS")
    customers: int = Field(title="Paying customers")
    monthly_margin_minor: int | None = Field(title="Gross margin a customer a month")
    lines: list[RoiLine]

    def rows(self) -> list[dict[str, Any]]:
        """One row per campaign or channel."""
        return [
            {self.by: line.name, "spend_minor": line.spend_minor, "revenue_minor": line.revenue_minor,
             "roi": line.roi, "roas": line.roas, "new_customers": round(line.new_customers, 4),
             "cac_minor": line.cac_minor, "payback_months": line.payback_months, "currency": self.currency}
            for line in self.lines
        ]

    def charts(self) -> list[dict[str, Any]]:
        """Spend beside attributed revenue for each campaign or channel."""
        if not self.lines:
            return []
        unit = 10 ** minor_digits(self.currency)
        long = pd.DataFrame([
            {self.by: line.name, "measure": measure, "amount": amount / unit}
            for line in self.lines
            for measure, amount in (("Spend", line.spend_minor), ("Revenue", line.revenue_minor))
        ])
        chart = alt.Chart(long, title=f"Spend and revenue ({self.currency}, {self.model.replace('_', ' ')})").mark_bar()
        return [chart.encode(
            x=alt.X(f"{self.by}:N", title=self.by.capitalize()),
            xOffset=alt.XOffset("measure:N"),
            y=alt.Y("amount:Q", title=self.currency),
            color=alt.Color("measure:N", title=""),
            tooltip=[f"{self.by}:N", "measure:N", alt.Tooltip("amount:Q", format=",.2f")],
        ).to_dict()]


def _ratio(numerator: float, denominator: float, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def _spend(warehouse: Any, query: RoiQuery, base: str) -> tuple[dict[str, int], list[str]]:
    """Spend per campaign name or campaign channel in base currency, and the conversion notes."""
    spend = warehouse.table("spend")
    if query.from_on is not None:
        spend = spend.filter(spend.spent_on >= query.from_on)
    if query.to_on is not None:
        spend = spend.filter(spend.spent_on < query.to_on)
    campaign = warehouse.table("campaign").select(key=ibis._.id, name=ibis._.name, channel=ibis._.channel)
    spend = spend.join(campaign, spend.campaign_id == campaign.key)
    spend = in_base(spend, amount="amount_minor", currency="currency", day="spent_on",
                    rates=warehouse.table("currency_rate"), base=base)
    group = spend.name if query.by == "campaign" else spend.channel
    totals = spend.group_by(label=group, currency=spend.currency, has_rate=spend.amount_minor_has_rate).aggregate(
        amount=spend.amount_minor.sum(), base_amount=spend.amount_minor_base.sum(), rows=spend.id.count(),
    ).to_pyarrow().to_pylist()
    by_label: dict[str, int] = {}
    for row in totals:
        by_label.setdefault(row["label"], 0)
        if row["has_rate"]:
            by_label[row["label"]] += int(row["base_amount"])
    return by_label, ConversionSummary.from_rows(base, totals).notes("spend")[1:]


def _monthly_margin(warehouse: Any, query: RoiQuery, base: str) -> tuple[int | None, int, list[str]]:
    """The period's gross margin per paying customer per month in base minor units, the customers, and notes."""
    lines = warehouse.table("order_line")
    known = lines.unit_cost_minor.notnull()
    per_order = lines.group_by("order_id").aggregate(
        margin_minor=(lines.quantity * (lines.unit_price_minor - lines.unit_cost_minor)).sum(where=known),
        net_minor=(lines.quantity * lines.unit_price_minor).sum(),
        uncosted=lines.id.count(where=~known),
    )
    orders = warehouse.table("sales_order")
    orders = orders.filter(orders.contact_id.notnull())
    if query.from_on is not None:
        orders = orders.filter(orders.ordered_day >= query.from_on)
    if query.to_on is not None:
        orders = orders.filter(orders.ordered_day < query.to_on)
    orders = orders.join(per_order, orders.id == per_order.order_id).mutate(
        margin_minor=ibis._.margin_minor.fill_null(0))
    orders = in_base(orders, amount="margin_minor", currency="currency", day="ordered_day",
                     rates=warehouse.table("currency_rate"), base=base)
    found = orders.aggregate(
        margin=orders.margin_minor_base.sum(where=orders.margin_minor_has_rate),
        customers=orders.contact_id.nunique(where=orders.net_minor > 0),
        uncosted=orders.uncosted.sum(),
        first_day=orders.ordered_day.min(),
        last_day=orders.ordered_day.max(),
    ).to_pyarrow().to_pylist()[0]
    customers = int(found["customers"] or 0)
    notes = []
    if found["uncosted"]:
        notes.append(f"{found['uncosted']} order lines have no unit cost; their margin is left out of payback.")
    if not customers:
        return None, 0, notes
    start: date = query.from_on or found["first_day"]
    end: date = query.to_on or date.fromordinal(found["last_day"].toordinal() + 1)
    months = (end - start).days / _DAYS_A_MONTH
    return round(int(found["margin"] or 0) / customers / months), customers, notes


def run(warehouse: Any, query: RoiQuery) -> RoiResult:
    """ROI, ROAS, CAC and payback per campaign or channel."""
    base = base_currency(warehouse)
    attributed = attribute(warehouse, AttributionQuery(
        from_on=query.from_on, to_on=query.to_on, by=query.by, lookback_days=query.lookback_days,
        half_life_days=query.half_life_days))
    spend, spend_notes = _spend(warehouse, query, base)
    monthly_margin, customers, margin_notes = _monthly_margin(warehouse, query, base)
    notes = [f"Revenue is net order value credited by the {query.model.replace('_', ' ')} model, in {base}; "
             f"ROI and ROAS compare it with spend, CAC divides spend by the new customers credited."]
    notes += [n for n in attributed.notes if n.startswith(("Converted to", "Left out for want"))]
    notes += spend_notes + margin_notes
    if query.model not in attributed.models:
        notes += [n for n in attributed.notes if n.startswith("Shapley")]
        notes.append(f"The {query.model} model could not be computed for this period, so no revenue is credited.")
    # A label that only reached people who did not buy, and cost nothing, has nothing to show.
    credited = [c for c in attributed.credits if c.value.get(query.model) or c.new_customers.get(query.model)]
    revenue = {c.label: c.value[query.model] for c in credited}
    customers_credited = {c.label: c.new_customers[query.model] for c in credited}

    lines = []
    for name in sorted(set(spend) | set(revenue)):
        cost, back, new = spend.get(name, 0), revenue.get(name, 0), customers_credited.get(name, 0.0)
        cac = round(cost / new) if cost and new > 1e-9 else None
        payback = _ratio(cac, monthly_margin, 2) if cac is not None and monthly_margin and monthly_margin > 0 else None
        lines.append(RoiLine(
            name=name, spend_minor=cost, revenue_minor=back, new_customers=new, roi=_ratio(back - cost, cost),
            roas=_ratio(back, cost), cac_minor=cac, payback_months=payback,
        ))
    # The headline weighs what was paid for: revenue credited to lines without spend stays out of it.
    total_spend = sum(spend.values())
    total_revenue = sum(line.revenue_minor for line in lines if line.spend_minor)
    if not total_spend:
        notes.append("No spend was recorded in the period, so ROI, ROAS, CAC and payback cannot be worked out.")
    elif not any(line.spend_minor for line in lines if line.new_customers > 1e-9):
        notes.append("No new customer was credited to a campaign or channel with spend, so CAC and payback are empty.")
    if monthly_margin is None:
        notes.append("No paying customer in the period, so there is no monthly margin to pay back CAC with.")
    elif monthly_margin <= 0:
        notes.append("Customers' gross margin in the period is not positive, so CAC is never paid back.")
    else:
        notes.append(f"Payback uses the period's gross margin per paying customer per month: "
                     f"{money_text(monthly_margin, base)} across {customers} customers.")
    unspent = [line.name for line in lines if not line.spend_minor and line.revenue_minor]
    if unspent:
        notes.append(f"Revenue without recorded spend (ROI left empty): {', '.join(unspent)}.")
    return RoiResult(
        notes=notes, by=query.by, model=query.model, currency=base, spend_minor=total_spend,
        revenue_minor=total_revenue, roi=_ratio(total_revenue - total_spend, total_spend),
        roas=_ratio(total_revenue, total_spend), customers=customers, monthly_margin_minor=monthly_margin,
        lines=lines,
    )


REVIEW = Review(
    name="roi",
    title="Marketing ROI",
    summary="Spend against the revenue and new customers each campaign or channel brought: ROI, ROAS, CAC, payback.",
    query_type=RoiQuery,
    result_type=RoiResult,
    run=run,
)
