"""Customers: RFM scores and segments, monthly cohort retention, and lifetime value (BG/NBD with Gamma-Gamma).

The engine builds one row per customer (first and last purchase day, purchases, net value); Python only scores
segments by rule and fits the two small models on that summary.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import altair as alt
import ibis
import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, field_validator

from accord.errors import Invalid
from accord.kernel.money import minor_digits
from accord.reviews import clv
from accord.reviews.base import Review, ReviewQuery, ReviewResult, base_currency
from accord.reviews.conversion import ConversionSummary, in_base

EPOCH = date(1970, 1, 1)
DAYS_PER_UNIT = 7.0  # the models count time in weeks, as Fader, Hardie & Lee do

# First matching rule wins; together they cover every (R, F, M).
SEGMENTS: tuple[tuple[str, str], ...] = (
    ("Champions", "R ≥ 4, F ≥ 4 and M ≥ 4: bought recently, often, and spent the most"),
    ("Loyal", "R ≥ 3 and F ≥ 4: buy often and not long ago"),
    ("New", "R ≥ 4 and F = 1: a recent first purchase, no habit yet"),
    ("Promising", "R ≥ 4 and F 2–3: recent, and coming back"),
    ("Need attention", "R = 3 and F ≤ 3: neither recent nor frequent enough to be safe"),
    ("At risk", "R ≤ 2 and F ≥ 3: used to buy often, but not lately"),
    ("Hibernating", "R ≤ 2 and F ≤ 2: bought little, long ago"),
)


def segment_of(r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The named segment of each (R, F, M) score triple, by the rules in SEGMENTS."""
    conditions = [
        (r >= 4) & (f >= 4) & (m >= 4),
        (r >= 3) & (f >= 4),
        (r >= 4) & (f == 1),
        (r >= 4),
        (r == 3),
        (f >= 3),
    ]
    names = [name for name, _ in SEGMENTS]
    return np.select(conditions, names[:-1], default=names[-1])


class CustomersQuery(ReviewQuery):
    """Orders in [from_on, to_on) are the history; lifetime value looks `horizon_months` ahead."""

    horizon_months: int = Field(default=12, description="months of future purchases counted in lifetime value")
    monthly_discount: float = Field(default=0.01, description="discount rate per month for lifetime value")
    margin: float | None = Field(default=None, description="share of spend kept as profit; unset: value is spend")
    top: int = Field(default=10, description="how many top customers to list")

    @field_validator("horizon_months")
    @classmethod
    def _horizon(cls, value: int) -> int:
        if not 1 <= value <= 120:
            raise Invalid("horizon_months", f"{value} is not between 1 and 120")
        return value

    @field_validator("monthly_discount")
    @classmethod
    def _discount(cls, value: float) -> float:
        if not 0 <= value < 1:
            raise Invalid("monthly_discount", f"{value} is not a rate in [0, 1), e.g. 0.01 for 1% a month")
        return value

    @field_validator("margin")
    @classmethod
    def _margin(cls, value: float | None) -> float | None:
        if value is not None and not 0 < value <= 1:
            raise Invalid("margin", f"{value} is not a share in (0, 1], e.g. 0.35 for 35%")
        return value

    @field_validator("top")
    @classmethod
    def _top(cls, value: int) -> int:
        if not 1 <= value <= 1000:
            raise Invalid("top", f"{value} is not between 1 and 1000")
        return value


class CustomerRow(BaseModel):
    """One customer: purchase history, RFM scores and segment, and (when the models fit) lifetime value."""

    contact_id: int
    display_name: str
    first_on: date
    last_on: date
    purchases: int
    net_minor: int
    days_since_last: int
    r: int
    f: int
    m: int
    segment: str
    p_alive: float | None = None
    expected_purchases: float | None = None
    expected_spend_minor: int | None = None
    clv_minor: int | None = None


class SegmentRow(BaseModel):
    """How many customers a segment holds and what they are worth."""

    segment: str
    rule: str
    customers: int
    share: float
    net_minor: int
    clv_minor: int | None


class CohortCell(BaseModel):
    """Of the customers whose first purchase was in `cohort` (a month), how many bought `months_since` later."""

    cohort: date
    months_since: int
    customers: int
    active: int
    retention: float


class PurchaseModel(BaseModel):
    """The fitted BG/NBD parameters, with time in weeks."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int


class SpendModel(BaseModel):
    """The fitted Gamma-Gamma parameters; gamma and the mean spend are in minor units of the base currency."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int
    mean_spend_minor: int | None


class CustomersResult(ReviewResult):
    """Customers with RFM segments and lifetime value, segment totals, cohort retention and the fitted models."""

    currency: str = ""
    as_of: date | None = None
    horizon_months: int = 12
    customers: list[CustomerRow] = Field(default_factory=list)
    segments: list[SegmentRow] = Field(default_factory=list)
    cohorts: list[CohortCell] = Field(default_factory=list)
    top: list[CustomerRow] = Field(default_factory=list)
    purchase_model: PurchaseModel | None = None
    spend_model: SpendModel | None = None

    def rows(self) -> list[dict[str, Any]]:
        """One row per customer, money in minor units of `currency`."""
        return [{**row.model_dump(), "currency": self.currency} for row in self.customers]

    def charts(self) -> list[dict[str, Any]]:
        """Customers per segment, cohort retention, and the top customers' value."""
        if not self.customers:
            return []
        scale = 10 ** minor_digits(self.currency)
        order = [name for name, _ in SEGMENTS]
        segments = alt.Chart(alt.Data(values=[
            {"segment": s.segment, "customers": s.customers, "net": s.net_minor / scale} for s in self.segments
        ]), title="Customers per RFM segment").mark_bar().encode(
            x=alt.X("customers:Q", title="Customers"),
            y=alt.Y("segment:N", sort=order, title=None),
            tooltip=["segment:N", "customers:Q", alt.Tooltip("net:Q", format=",.2f", title=f"Net ({self.currency})")],
        )
        retention = alt.Chart(alt.Data(values=[
            {"cohort": c.cohort.strftime("%Y-%m"), "months_since": c.months_since, "retention": c.retention,
             "active": c.active, "customers": c.customers} for c in self.cohorts
        ]), title="Share of each monthly cohort buying again, by months since the first purchase").mark_rect().encode(
            x=alt.X("months_since:O", title="Months since first purchase"),
            y=alt.Y("cohort:O", title="First purchase"),
            color=alt.Color("retention:Q", scale=alt.Scale(domain=[0, 1]), title="Retention"),
            tooltip=["cohort:O", "months_since:O", "active:Q", "customers:Q", alt.Tooltip("retention:Q", format=".1%")],
        )
        charts = [segments.to_dict(), retention.to_dict()]
        if self.purchase_model is not None:
            top = alt.Chart(alt.Data(values=[
                {"customer": f"{c.display_name} (#{c.contact_id})", "value": (c.clv_minor or 0) / scale,
                 "p_alive": c.p_alive} for c in self.top
            ]), title=f"Top customers by lifetime value over {self.horizon_months} months").mark_bar().encode(
                x=alt.X("value:Q", title=f"Lifetime value ({self.currency})"),
                y=alt.Y("customer:N", sort="-x", title=None),
                tooltip=["customer:N", alt.Tooltip("value:Q", format=",.2f"), alt.Tooltip("p_alive:Q", format=".0%")],
            )
            charts.append(top.to_dict())
        return charts


def purchase_days(warehouse, query: ReviewQuery, base: str) -> tuple[ibis.Table, ibis.Table]:
    """(each order's net value in base currency with its contact and day, one row per contact and day).

    An order whose lines add up to less than zero is a refund; any other order is a purchase. A customer's
    purchases on one day count as one purchase, as in the models' papers. Per day: `spent` on purchases,
    `refunded` (zero or negative) and the number of purchase orders.
    """
    orders = warehouse.table("sales_order")
    lines = warehouse.table("order_line")
    if query.from_on is not None:
        orders = orders.filter(orders.ordered_day >= query.from_on)
    if query.to_on is not None:
        orders = orders.filter(orders.ordered_day < query.to_on)
    net = lines.group_by(lines.order_id).aggregate(net_minor=(lines.quantity * lines.unit_price_minor).sum())
    priced = orders.join(net, orders.id == net.order_id).select(
        orders.contact_id, orders.ordered_day, orders.currency, net.net_minor)
    converted = in_base(priced, amount="net_minor", currency="currency", day="ordered_day",
                        rates=warehouse.table("currency_rate"), base=base)
    kept = converted.filter(converted.contact_id.notnull() & converted.net_minor_has_rate)
    purchase = kept.net_minor >= 0
    days = kept.group_by(kept.contact_id, kept.ordered_day).aggregate(
        spent=kept.net_minor_base.sum(where=purchase),
        refunded=kept.net_minor_base.sum(where=~purchase),
        purchase_orders=kept.count(where=purchase),
    )
    return converted, days.mutate(spent=days.spent.fill_null(0), refunded=days.refunded.fill_null(0))


def customer_summary(days: ibis.Table, warehouse) -> ibis.Table:
    """One row per customer with a purchase: first/last purchase (epoch days), purchases, values and RFM scores.

    Net value is spend less refunds. Scores: customers ranked by last purchase day, purchases and net value
    (ties share the lower rank r, counted from 0), score = 1 + floor(5 r / customers), so 5 is best.
    """
    bought = days.filter(days.purchase_orders > 0)
    bought = bought.mutate(first_day=bought.ordered_day.min().over(group_by=bought.contact_id))
    per = bought.group_by(bought.contact_id).aggregate(
        first_epoch=bought.first_day.min().epoch_days(),
        last_epoch=bought.ordered_day.max().epoch_days(),
        purchases=bought.count(),
        purchase_minor=bought.spent.sum(),
        repeat_minor=bought.spent.sum(where=bought.ordered_day > bought.first_day),
    )
    net = days.group_by(days.contact_id).aggregate(net_minor=(days.spent + days.refunded).sum())
    contacts = warehouse.table("contact")
    summary = per.join(net, "contact_id").left_join(contacts, per.contact_id == contacts.id).select(
        per.contact_id, per.first_epoch, per.last_epoch, per.purchases, per.purchase_minor,
        repeat_minor=per.repeat_minor.fill_null(0), net_minor=net.net_minor,
        display_name=contacts.display_name.fill_null(""),
    )
    everyone = summary.contact_id.count().over(ibis.window())

    def score(column) -> ibis.Value:
        rank = ibis.rank().over(ibis.window(order_by=column))
        return ((rank * 5) / everyone).floor().cast("int64") + 1

    return summary.mutate(r=score(summary.last_epoch), f=score(summary.purchases), m=score(summary.net_minor))


def cohort_cells(days: ibis.Table) -> ibis.Table:
    """Customers buying per (first-purchase month, months since), months counted as year × 12 + month - 1."""
    bought = days.filter(days.purchase_orders > 0)
    bought = bought.mutate(month=bought.ordered_day.year() * 12 + bought.ordered_day.month() - 1)
    bought = bought.mutate(cohort=bought.month.min().over(group_by=bought.contact_id))
    return bought.group_by(bought.cohort, since=bought.month - bought.cohort).aggregate(
        active=bought.contact_id.nunique())


def _conversion_notes(converted: ibis.Table, base: str) -> tuple[list[str], int | None]:
    """What was converted or left out, and the last order day in the period (epoch days; None without orders)."""
    stats = converted.group_by(
        has_contact=converted.contact_id.notnull(), has_rate=converted.net_minor_has_rate,
        currency=converted.currency,
    ).aggregate(rows=converted.count(), amount=converted.net_minor.sum(),
                last_epoch=converted.ordered_day.max().epoch_days()).to_pandas()
    if stats.empty:
        return [], None
    with_customer = stats[stats.has_contact]
    notes = ConversionSummary.from_rows(base, with_customer.to_dict("records")).notes("order amounts")
    anonymous = int(stats[~stats.has_contact]["rows"].sum())
    if anonymous:
        notes.append(f"{anonymous:,} order{'s' if anonymous != 1 else ''} without a customer "
                     f"{'are' if anonymous != 1 else 'is'} left out.")
    return notes, int(stats.last_epoch.max())


def _cohorts(cells: pd.DataFrame, last_month: int) -> list[CohortCell]:
    """The full triangle: every cohort × every month up to the period's last month, zero where nobody bought."""
    active = {(int(c), int(s)): int(a) for c, s, a in cells[["cohort", "since", "active"]].itertuples(index=False)}
    out = []
    for cohort in sorted({c for c, _ in active}):
        size = active[(cohort, 0)]
        for since in range(last_month - cohort + 1):
            count = active.get((cohort, since), 0)
            out.append(CohortCell(cohort=date(cohort // 12, cohort % 12 + 1, 1), months_since=since,
                                  customers=size, active=count, retention=round(count / size, 4)))
    return out


def _spend_per_purchase(x: np.ndarray, mean_repeat: np.ndarray, own_average: np.ndarray,
                        notes: list[str]) -> tuple[np.ndarray, SpendModel | None]:
    """Expected spend per future purchase from Gamma-Gamma, or each customer's own average when it cannot fit."""
    fittable = (x > 0) & (mean_repeat > 0)
    free = int(((x > 0) & ~fittable).sum())
    if free:
        notes.append(f"{free} repeat customer{'s' if free != 1 else ''} whose repeat purchases add up to nothing "
                     f"{'are' if free != 1 else 'is'} left out of the spend model's fit.")
    try:
        spend = clv.fit_gamma_gamma(x[fittable], mean_repeat[fittable])
    except clv.CannotFit as why:
        notes.append(f"Spend per purchase is each customer's own average: {why}.")
        return own_average, None
    if spend.at_edge:
        notes.append(f"Spend per purchase is each customer's own average: the spend model's "
                     f"{', '.join(spend.at_edge)} ran to the edge of its range, so the repeat purchases are too few "
                     "to tell how spend varies between customers.")
        return own_average, None
    mean = spend.mean_spend
    model = SpendModel(p=round(spend.p, 6), q=round(spend.q, 6), gamma=round(spend.gamma, 6),
                       log_likelihood=round(spend.log_likelihood, 4), customers=spend.customers,
                       mean_spend_minor=None if mean is None else int(np.rint(mean)))
    per_purchase = clv.expected_spend(spend, x, mean_repeat)
    undefined = ~np.isfinite(per_purchase)
    if undefined.any():
        notes.append(f"The spend model has no finite mean (q = {spend.q:.3f}); {int(undefined.sum())} customers "
                     "are valued at their own average spend per purchase.")
        per_purchase = np.where(undefined, own_average, per_purchase)
    if fittable.sum() > 2:
        correlation = float(np.corrcoef(x[fittable], mean_repeat[fittable])[0, 1])
        if np.isfinite(correlation) and abs(correlation) > 0.3:
            notes.append(f"Spend per purchase and number of purchases are correlated ({correlation:.2f}); the "
                         "Gamma-Gamma model assumes they are not, so expected spend is less reliable.")
    return per_purchase, model


def _value(summary: pd.DataFrame, as_of: int, query: CustomersQuery, notes: list[str]) -> tuple[
        dict[str, np.ndarray] | None, PurchaseModel | None, SpendModel | None]:
    """Fit BG/NBD and Gamma-Gamma on the summary and predict each customer's value; notes say what could not be done."""
    purchases_made = summary.purchases.to_numpy(dtype=float)
    x = purchases_made - 1
    recency = (summary.last_epoch - summary.first_epoch).to_numpy(dtype=float) / DAYS_PER_UNIT
    age = (as_of - summary.first_epoch).to_numpy(dtype=float) / DAYS_PER_UNIT
    mean_repeat = summary.repeat_minor.to_numpy(dtype=float) / np.maximum(x, 1)
    own_average = summary.purchase_minor.to_numpy(dtype=float) / purchases_made
    per_purchase, spend_model = _spend_per_purchase(x, mean_repeat, own_average, notes)
    try:
        purchases = clv.fit_bgnbd(x, recency, age)
    except clv.CannotFit as why:
        notes.append(f"Lifetime value is not estimated: {why}.")
        return None, None, spend_model
    if clv.same_drop_out(purchases):
        notes.append(f"Every customer drops out with the same chance: the purchase model's a and b grew together to "
                     f"the edge of their range (a = {purchases.a:,.0f}, b = {purchases.b:,.0f}), so lifetime value "
                     f"uses the model's limit, where each customer stops after a purchase with probability "
                     f"{purchases.a / (purchases.a + purchases.b):.1%}.")
    elif purchases.at_edge:
        notes.append(f"Lifetime value is not estimated: the purchase model's {', '.join(purchases.at_edge)} ran to "
                     "the edge of its range, so this history is too short or has too few repeat customers to tell "
                     "how often customers buy and how soon they stop.")
        return None, None, spend_model
    life = clv.lifetime_values(purchases, per_purchase, x, recency, age, months=query.horizon_months,
                               monthly_discount=query.monthly_discount, margin=query.margin or 1.0,
                               days_per_unit=DAYS_PER_UNIT)
    finite = np.isfinite(life.value) & np.isfinite(life.expected_purchases) & np.isfinite(life.p_alive)
    if not finite.all():
        notes.append(f"{int((~finite).sum())} customers' lifetime value could not be computed and is left empty.")
    values = {
        "p_alive": np.round(life.p_alive, 4),
        "expected_purchases": np.round(life.expected_purchases, 4),
        "expected_spend_minor": np.rint(life.expected_spend),
        "clv_minor": np.rint(life.value),
        "finite": finite,
    }
    model = PurchaseModel(r=round(purchases.r, 6), alpha=round(purchases.alpha, 6), a=round(purchases.a, 6),
                          b=round(purchases.b, 6), log_likelihood=round(purchases.log_likelihood, 4),
                          customers=purchases.customers)
    notes.append(f"Lifetime value: expected purchases over the next {query.horizon_months} months (BG/NBD, time "
                 f"in weeks) × expected spend per purchase"
                 f"{f' × margin {query.margin:g}' if query.margin else ''}, discounted at "
                 f"{query.monthly_discount:.2%} a month. Customers who bought once count as alive: the model "
                 "only lets a customer drop out just after a purchase.")
    return values, model, spend_model


def _worth(customer: CustomerRow) -> tuple[int, int, int]:
    """Sort key: highest lifetime value first, customers without one last, then by contact id."""
    if customer.clv_minor is None:
        return (1, 0, customer.contact_id)
    return (0, -customer.clv_minor, customer.contact_id)


def run(warehouse, query: CustomersQuery) -> CustomersResult:
    """Summarise customers in the engine, then score, segment, and value them."""
    base = base_currency(warehouse)
    converted, days = purchase_days(warehouse, query, base)
    notes, last_epoch = _conversion_notes(converted, base)
    summary = customer_summary(days, warehouse).order_by("contact_id").to_pandas()
    if summary.empty:
        notes.append("No customer bought anything in this period, so there is nothing to segment or value.")
        return CustomersResult(notes=notes, currency=base, horizon_months=query.horizon_months)
    as_of_day = query.to_on - timedelta(days=1) if query.to_on is not None else EPOCH + timedelta(days=last_epoch)
    as_of = (as_of_day - EPOCH).days
    notes.append(f"Recency and customer age are counted in days up to {as_of_day.isoformat()}. A purchase is a "
                 "day with an order that is not a refund; refunds reduce net value only.")
    cells = cohort_cells(days).to_pandas()
    last_month = as_of_day.year * 12 + as_of_day.month - 1
    if as_of_day.month == (as_of_day + timedelta(days=1)).month:
        notes.append(f"The last cohort month, {as_of_day:%Y-%m}, is not complete, so its retention is understated.")
    values, purchase_model, spend_model = _value(summary, as_of, query, notes)

    segments = segment_of(summary.r.to_numpy(), summary.f.to_numpy(), summary.m.to_numpy())
    customers = []
    for i, row in enumerate(summary.itertuples(index=False)):
        valued = values is not None and bool(values["finite"][i])
        customers.append(CustomerRow(
            contact_id=int(row.contact_id), display_name=str(row.display_name),
            first_on=EPOCH + timedelta(days=int(row.first_epoch)), last_on=EPOCH + timedelta(days=int(row.last_epoch)),
            purchases=int(row.purchases), net_minor=int(row.net_minor), days_since_last=as_of - int(row.last_epoch),
            r=int(row.r), f=int(row.f), m=int(row.m), segment=str(segments[i]),
            p_alive=float(values["p_alive"][i]) if valued else None,
            expected_purchases=float(values["expected_purchases"][i]) if valued else None,
            expected_spend_minor=int(values["expected_spend_minor"][i]) if valued else None,
            clv_minor=int(values["clv_minor"][i]) if valued else None,
        ))
    total = len(customers)
    segment_rows = []
    for name, rule in SEGMENTS:
        members = [c for c in customers if c.segment == name]
        segment_rows.append(SegmentRow(
            segment=name, rule=rule, customers=len(members), share=round(len(members) / total, 4),
            net_minor=sum(c.net_minor for c in members),
            clv_minor=sum(c.clv_minor or 0 for c in members) if values is not None else None,
        ))
    ranked = sorted(customers, key=_worth if values is not None else (lambda c: (-c.net_minor, c.contact_id)))
    return CustomersResult(
        notes=notes, currency=base, as_of=as_of_day, horizon_months=query.horizon_months, customers=customers,
        segments=segment_rows, cohorts=_cohorts(cells, last_month), top=ranked[:query.top],
        purchase_model=purchase_model, spend_model=spend_model,
    )


REVIEW = Review(
    name="customers",
    title="Customers",
    summary="RFM segments, monthly cohort retention, and each customer's lifetime value with the chance they are "
            "still buying (BG/NBD and Gamma-Gamma).",
    query_type=CustomersQuery,
    result_type=CustomersResult,
    run=run,
)
