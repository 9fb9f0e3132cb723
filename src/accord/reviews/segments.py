"""Conversion by attribute: for each value of one fact about leads (a contact attribute, a deal attribute or the
channel they were first seen on), how many leads there were, how many won, how fast and for how much.

The leads are the contacts first seen in the period whose lifecycle stage has reached lead (lead, opportunity,
customer or ambassador), merged duplicates left out. A lead has won when one of their deals was won before the
period ends. Days to won are calendar days in the workspace's time zone, from the day the contact was first seen
to the day of their first won deal. The engine groups the leads; Python only sees one row per value and a count
per (value, days) for the medians.
"""

from __future__ import annotations

from typing import Any, Literal

import altair as alt
import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, Field, field_validator

from accord.errors import Invalid
from accord.kernel.money import minor_digits
from accord.kernel.vocabulary import LIFECYCLE_STAGES
from accord.reviews.base import Review, ReviewQuery, ReviewResult, base_currency, in_period, warehouse_table
from accord.reviews.conversion import ConversionSummary, in_base

FIRST_CHANNEL = "first_channel"
NOT_SET = "(not set)"
LEAD_STAGES = LIFECYCLE_STAGES[LIFECYCLE_STAGES.index("lead"):]
PREFIXES = ("contact", "deal")
CHART_VALUES = 20  # values drawn in the charts (the most leads first); the table has them all
AttributeOf = Literal["contact", "deal", "first_channel"]


class SegmentsQuery(ReviewQuery):
    """Leads first seen in the period, split by the values of one attribute."""

    by: str = Field(
        default=FIRST_CHANNEL, max_length=70, title="Attribute",
        description="a contact or deal attribute key (write contact:KEY or deal:KEY when both have it), "
                    "or first_channel")

    @field_validator("by")
    @classmethod
    def _named(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise Invalid("by", "empty; name a contact or deal attribute key, or first_channel")
        return value


class Segment(BaseModel):
    """One value of the attribute: its leads, those who won, how fast, and the value of their won deals."""

    value: str
    leads: int
    won: int
    conversion_rate: float | None
    median_days_to_won: float | None
    won_deals: int
    won_value_minor: int


class SegmentsResult(ReviewResult):
    """One row a value, and the figures over all leads (each counted once)."""

    attribute: str = Field(title="Attribute")
    attribute_of: AttributeOf = Field(title="Attribute of")
    known_only_on_won: bool = Field(title="Known only on won deals")
    leads: int = Field(title="Leads")
    won: int = Field(title="Won")
    conversion_rate: float | None = Field(title="Conversion rate")
    median_days_to_won: float | None = Field(title="Days to won (median)")
    won_value_minor: int = Field(title="Won value")
    currency: str
    segments: list[Segment]

    def rows(self) -> list[dict[str, Any]]:
        """One row a value: leads, won, conversion rate, median days to won, won deals and their value."""
        return [{**segment.model_dump(), "currency": self.currency} for segment in self.segments]

    def charts(self) -> list[dict[str, Any]]:
        """Conversion rate by value, and the median days to won by value (the values with the most leads)."""
        if not self.segments:
            return []
        shown = sorted(self.segments, key=lambda s: (-s.leads, s.value))[:CHART_VALUES]
        scale = 10 ** minor_digits(self.currency)
        data = alt.Data(values=[{**s.model_dump(), "won_value": s.won_value_minor / scale} for s in shown])
        rate_title = "share of all leads" if self.known_only_on_won else "conversion rate"
        charts = [
            alt.Chart(data, title=f"Conversion by {self.attribute}")
            .mark_bar()
            .encode(
                x=alt.X("conversion_rate:Q", title=rate_title, axis=alt.Axis(format="%")),
                y=alt.Y("value:N", sort="-x", title=self.attribute),
                tooltip=["value:N", "leads:Q", "won:Q", alt.Tooltip("conversion_rate:Q", format=".1%"),
                         alt.Tooltip("won_value:Q", title=f"won value ({self.currency})", format=",.2f")],
            )
            .properties(width="container")
            .to_dict()
        ]
        if any(s.median_days_to_won is not None for s in shown):
            charts.append(
                alt.Chart(data, title=f"Days from first contact to won, by {self.attribute} (median)")
                .mark_bar()
                .transform_filter("isValid(datum.median_days_to_won)")
                .encode(
                    x=alt.X("median_days_to_won:Q", title="days (median)"),
                    y=alt.Y("value:N", sort="x", title=self.attribute),
                    tooltip=["value:N", "won:Q", "median_days_to_won:Q"],
                )
                .properties(width="container")
                .to_dict()
            )
        return charts


def _distinct_keys(warehouse: Any, table: str) -> list[str]:
    found = warehouse_table(warehouse, table).select("key").distinct().to_pyarrow().column("key").to_pylist()
    return sorted(found)


def resolve_attribute(warehouse: Any, attribute: str) -> tuple[AttributeOf, str]:
    """Which kind of attribute the query names, and its key; Invalid naming the attributes there are."""
    prefix, _, rest = attribute.partition(":")
    wanted: tuple[str, ...] = PREFIXES
    key = attribute
    if rest and prefix in PREFIXES:
        wanted, key = (prefix,), rest
    elif attribute == FIRST_CHANNEL:
        return "first_channel", FIRST_CHANNEL
    keys = {of: _distinct_keys(warehouse, f"{of}_attribute") for of in PREFIXES}
    holders = [of for of in wanted if key in keys[of]]
    if len(holders) == 1:
        return holders[0], key  # type: ignore[return-value]
    if len(holders) > 1:
        raise Invalid("by", f"'{key}' is both a contact and a deal attribute; write contact:{key} or deal:{key}")
    listed = "; ".join(f"{of} attributes: {', '.join(keys[of]) or 'none yet'}" for of in PREFIXES)
    raise Invalid("by", f"'{attribute}' is not an attribute. There are {FIRST_CHANNEL}; {listed}")


def _leads(warehouse: Any, query: SegmentsQuery) -> ir.Table:
    """contact_id, first_day and first_channel of every lead first seen in the period."""
    contact = warehouse_table(warehouse, "contact")
    leads = contact.filter(contact.merged_into_id.isnull(), contact.lifecycle_stage.isin(LEAD_STAGES))
    leads = in_period(leads, "created_day", query)
    return leads.select(contact_id=leads.id, first_day=leads.created_day, first_channel=leads.first_channel)


def _won_deals(warehouse: Any, query: SegmentsQuery, base: str) -> ir.Table:
    """Deals won before the period ends: id, contact, won day and value in the base currency (NULL without a rate)."""
    deal = warehouse_table(warehouse, "deal")
    won = deal.filter(deal.stage == "won", deal.closed_day.notnull())
    if query.to_on is not None:
        won = won.filter(won.closed_day < query.to_on)
    won = won.select(deal_id=won.id, won_contact=won.contact_id, won_day=won.closed_day, currency=won.currency,
                     value_minor=won.value_minor.cast("int64"))
    return in_base(won, amount="value_minor", currency="currency", day="won_day",
                   rates=warehouse_table(warehouse, "currency_rate"), base=base)


def _won_by(won: ir.Table, keys: list[str]) -> ir.Table:
    """Per group of won deals: the first won day, the deals and their value in the base currency."""
    return won.group_by(keys).aggregate(
        first_won=won.won_day.min(), won_deals=won.deal_id.count(),
        won_value=won.value_minor_base.sum(where=won.value_minor_has_rate),
    )


def _contact_values(warehouse: Any, leads: ir.Table, key: str | None) -> ir.Table:
    """(contact_id, value, first_day) for every lead: their first channel, or each of their values of a contact
    attribute (NOT_SET without one). Attributes left on a merged duplicate count for the contact it joined."""
    if key is None:
        return leads.select("contact_id", "first_day", value=leads.first_channel)
    attribute, contact = warehouse_table(warehouse, "contact_attribute"), warehouse_table(warehouse, "contact")
    attribute = attribute.filter(attribute.key == key)
    owner = contact.select(owner_id=contact.id, kept_id=ibis.coalesce(contact.merged_into_id, contact.id))
    owned = attribute.join(owner, attribute.contact_id == owner.owner_id)
    owned = owned.select(holder=owned.kept_id, held=owned.value).distinct()
    joined = leads.left_join(owned, leads.contact_id == owned.holder)
    return joined.select("contact_id", "first_day", value=joined.held.fill_null(NOT_SET))


def _by_contact(warehouse: Any, leads: ir.Table, won: ir.Table, key: str | None) -> ir.Table:
    """One row per lead and value, with that lead's won deals (any of them: the value is the lead's)."""
    members = _contact_values(warehouse, leads, key)
    wins = _won_by(won, ["won_contact"])
    joined = members.left_join(wins, members.contact_id == wins.won_contact)
    return joined.select("contact_id", "first_day", "value", "first_won", "won_deals", "won_value")


def _by_deal(warehouse: Any, leads: ir.Table, won: ir.Table, key: str) -> ir.Table:
    """One row per lead and value of a deal attribute their deals carry (NOT_SET when none does), with the won
    deals that carry the value (for NOT_SET: all the lead's won deals, none of which carries the key)."""
    attribute, deal = warehouse_table(warehouse, "deal_attribute"), warehouse_table(warehouse, "deal")
    attribute = attribute.filter(attribute.key == key)
    carried = attribute.join(deal, attribute.deal_id == deal.id)
    carried = carried.select(carrier=carried.contact_id, carrier_deal=carried.deal_id, value=carried.value)
    held = carried.select("carrier", "value").distinct()
    valued = leads.join(held, leads.contact_id == held.carrier).select("contact_id", "first_day", "value")
    unvalued = leads.anti_join(held, leads.contact_id == held.carrier)
    unvalued = unvalued.select("contact_id", "first_day", value=ibis.literal(NOT_SET))

    won_with = won.join(carried, won.deal_id == carried.carrier_deal)
    wins_with = _won_by(won_with, ["won_contact", "value"]).rename(won_value_of="value")
    with_wins = valued.left_join(wins_with, [valued.contact_id == wins_with.won_contact,
                                             valued.value == wins_with.won_value_of])
    with_wins = with_wins.select("contact_id", "first_day", "value", "first_won", "won_deals", "won_value")
    wins = _won_by(won, ["won_contact"])
    without = unvalued.left_join(wins, unvalued.contact_id == wins.won_contact)
    without = without.select("contact_id", "first_day", "value", "first_won", "won_deals", "won_value")
    return with_wins.union(without)


def _known_only_on_won(warehouse: Any, key: str) -> bool:
    """True when deals carry the key, and every one of them is won (the fact was recorded at the win)."""
    attribute, deal = warehouse_table(warehouse, "deal_attribute"), warehouse_table(warehouse, "deal")
    carried = attribute.filter(attribute.key == key)
    carried = carried.join(deal, carried.deal_id == deal.id)
    counts = carried.aggregate(deals=carried.deal_id.nunique(),
                               not_won=carried.deal_id.nunique(where=carried.stage != "won"))
    row = counts.to_pyarrow().to_pylist()[0]
    return bool(row["deals"]) and not row["not_won"]


def median_of_counts(counted: list[tuple[int, int]]) -> float:
    """The median of numbers given as (number, how many times), in any order: the middle one, or the mean of the
    two middle ones when there is an even count of them."""
    ordered = sorted(counted)
    total = sum(count for _, count in ordered)
    lower, upper = (total - 1) // 2, total // 2  # positions of the middle, counted from 0
    seen, low = 0, None
    for number, count in ordered:
        if low is None and lower < seen + count:
            low = number
        if upper < seen + count:
            return (low + number) / 2
        seen += count
    raise ValueError("no numbers to take the median of")


def _medians(histogram: list[dict[str, Any]]) -> dict[str, float]:
    """Per value, the median of the days to won, from the count of leads per (value, days)."""
    counted: dict[str, list[tuple[int, int]]] = {}
    for row in histogram:
        counted.setdefault(row["value"], []).append((int(row["days"]), int(row["leads"])))
    return {value: median_of_counts(pairs) for value, pairs in counted.items()}


def run(warehouse: Any, query: SegmentsQuery) -> SegmentsResult:
    """Leads, wins, conversion, median days to won and won value for each value of the chosen attribute."""
    attribute_of, key = resolve_attribute(warehouse, query.by)
    base = base_currency(warehouse)
    leads = _leads(warehouse, query)
    won = _won_deals(warehouse, query, base)
    won = won.semi_join(leads, won.won_contact == leads.contact_id)
    if attribute_of == "deal":
        rows = _by_deal(warehouse, leads, won, key)
    else:
        rows = _by_contact(warehouse, leads, won, None if attribute_of == "first_channel" else key)
    rows = rows.mutate(days=_days_to_won(rows))
    only_won = attribute_of == "deal" and _known_only_on_won(warehouse, key)

    per_value = rows.group_by("value").aggregate(
        leads=rows.contact_id.count(), won=rows.first_won.count(),
        won_deals=rows.won_deals.sum(), won_value=rows.won_value.sum(),
    ).to_pyarrow().to_pylist()
    won_rows = rows.filter(rows.first_won.notnull())
    medians = _medians(won_rows.group_by(["value", "days"]).aggregate(leads=won_rows.contact_id.count())
                       .to_pyarrow().to_pylist())
    overall = _overall(leads, won)
    total = overall["leads"]
    segments = [
        Segment(
            value=row["value"], leads=int(row["leads"]), won=int(row["won"]),
            conversion_rate=_rate(int(row["won"]), total if only_won else int(row["leads"])),
            median_days_to_won=medians.get(row["value"]), won_deals=int(row["won_deals"] or 0),
            won_value_minor=int(row["won_value"] or 0),
        )
        for row in per_value
    ]
    segments.sort(key=lambda s: (s.value == NOT_SET, -s.leads, -s.won, s.value))
    money = won.group_by(["currency", won.value_minor_has_rate.name("has_rate")]).aggregate(
        amount=won.value_minor.sum(), rows=won.deal_id.count())
    notes = _notes(query, attribute_of, key, only_won, overall)
    notes += ConversionSummary.from_rows(base, money.to_pyarrow().to_pylist()).notes("won values", unit="deal")
    return SegmentsResult(
        notes=notes, attribute=query.by, attribute_of=attribute_of, known_only_on_won=only_won,
        leads=total, won=overall["won"], conversion_rate=_rate(overall["won"], total),
        median_days_to_won=overall["median_days"], won_value_minor=overall["won_value"], currency=base,
        segments=segments,
    )


def _days_to_won(rows: ir.Table) -> ir.IntegerValue:
    # A win recorded before the contact's first-seen day (a late import, a typo) counts as won that day.
    return ibis.greatest(rows.first_won.delta(rows.first_day, unit="day"), 0)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _overall(leads: ir.Table, won: ir.Table) -> dict[str, Any]:
    """Leads, won leads, their median days to won and the won value, each lead counted once."""
    wins = _won_by(won, ["won_contact"])
    joined = leads.left_join(wins, leads.contact_id == wins.won_contact)
    joined = joined.mutate(days=_days_to_won(joined))
    totals = joined.aggregate(leads=joined.contact_id.count(), won=joined.first_won.count(),
                              won_value=joined.won_value.sum()).to_pyarrow().to_pylist()[0]
    won_only = joined.filter(joined.first_won.notnull())
    histogram = won_only.group_by(value=ibis.literal("all"), days=won_only.days).aggregate(
        leads=won_only.contact_id.count()).to_pyarrow().to_pylist()
    return {"leads": int(totals["leads"]), "won": int(totals["won"]), "won_value": int(totals["won_value"] or 0),
            "median_days": _medians(histogram).get("all")}


def _notes(query: SegmentsQuery, attribute_of: str, key: str, only_won: bool, overall: dict[str, Any]) -> list[str]:
    """What the figures count, how the attribute splits the leads, and what a rate means for this attribute."""
    notes = [
        "Leads: contacts first seen in the period whose lifecycle stage has reached lead (lead, opportunity, "
        "customer or ambassador), merged duplicates left out. Won: leads with a deal won before the period ends. "
        "Days to won: calendar days from the day the contact was first seen to the day of their first won deal "
        "(0 when the win is dated earlier; the median is over the leads that won). Won value: the value of those "
        "won deals."
    ]
    if attribute_of == "first_channel":
        notes.append("Each lead counts under the channel they were first seen on.")
    elif attribute_of == "contact":
        notes.append(f"A lead counts under each value of the contact attribute {key} they have (once per value); "
                     f"{NOT_SET} marks leads without one. The figures above the table count each lead once.")
    else:
        notes.append(f"A lead counts under each value of the deal attribute {key} that one of their deals carries; "
                     f"won, days and value there come from the won deals that carry it. {NOT_SET} marks leads "
                     f"none of whose deals carries it (their won deals count there). The figures above the table "
                     f"count each lead once.")
    if only_won:
        overall_rate = _rate(overall["won"], overall["leads"])
        shown = f"{overall_rate:.1%}" if overall_rate is not None else "no rate"
        notes.append(f"The deal attribute {key} is known only on won deals: no open, lost or nurture deal carries "
                     f"it, so every lead with a value has won. Its conversion rate is therefore the value's share of "
                     f"all {overall['leads']:,} leads, its contribution to the overall conversion ({shown}); with "
                     f"one value per lead the rates add up to it. The median days to won still compare how fast "
                     f"each kind of lead closed.")
    if not overall["leads"]:
        notes.append("No lead was first seen in this period, so there is nothing to split.")
    return notes


REVIEW = Review(
    name="segments",
    title="Conversion by attribute",
    summary="Leads, wins, conversion rate, days to won and won value for each value of one attribute: where "
            "leads came from, their segment or profile, or the channel they were first seen on.",
    query_type=SegmentsQuery,
    result_type=SegmentsResult,
    run=run,
)
