"""Attribution: which channels or campaigns brought the orders, by eight models side by side.

A journey is a contact's touches and engagements (their channels in time order) that end in a conversion, an
order with a positive net value, or, when no order follows, that end with their last event. An event counts
for the first order of its contact after it, and only if it happened at most `lookback_days` before that order;
so each event serves at most one order. The engine builds the journeys and their paths; Python only sees the
aggregated paths (and, for time decay, per-channel sums). The Markov model alone (`attribute_markov`) needs no
paths: the engine counts the chain's moves from the same journeys, and the credits are exactly the review's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import altair as alt
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, Field, model_validator

from accord.errors import Invalid
from accord.kernel.money import minor_digits
from accord.kernel.vocabulary import CHANNELS
from accord.reviews import markov
from accord.reviews.base import Review, ReviewQuery, ReviewResult, base_currency
from accord.reviews.conversion import ConversionSummary, in_base, money_text

MODELS = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay", "markov", "shapley")
MODEL_TITLES = {
    "first_touch": "First touch", "last_touch": "Last touch", "linear": "Linear", "u_shaped": "U-shaped",
    "w_shaped": "W-shaped", "time_decay": "Time decay", "markov": "Markov", "shapley": "Shapley",
}
HEURISTIC_MODELS = MODELS[:6]
MEASURES = ("conversions", "value", "new_customers")
# Exact Shapley values need all 2^n coalitions: 2^16 × 3 measures is still instant; 2^20 and up is not.
SHAPLEY_MAX_PLAYERS = 16
NO_CAMPAIGN = "(no campaign)"
# 2^-1000 is still a normal double; an event that many half-lives back would otherwise weigh exactly 0.
MAX_HALF_LIVES = 1000
_DAY = 86_400
_CODE_BITS = 40  # a long path's step is position << 40 | code
_KEY_BITS = 62  # a path key word stays a positive int64
_KEY_WORDS = 2  # key words per path: 30 steps of channels before a path needs a collected tail


class AttributionQuery(ReviewQuery):
    """Orders in the period, attributed to the channels or campaigns of the journeys that led to them."""

    by: Literal["channel", "campaign"] = Field("channel", description="credit channels or campaigns")
    lookback_days: int = Field(90, ge=1, le=730, description="only events this many days before an order count")
    half_life_days: float = Field(
        7.0, gt=0, le=365, description="time decay: an event this much earlier gets half the weight")
    markov_order: int = Field(1, ge=1, le=3, description="how many past channels the Markov chain remembers")
    include_engagements: bool = Field(True, description="count inbound engagements as well as outbound touches")

    @model_validator(mode="after")
    def _decay_stays_representable(self) -> AttributionQuery:
        check_half_life(self.lookback_days, self.half_life_days)
        return self


def check_half_life(lookback_days: int, half_life_days: float) -> None:
    """Invalid when the oldest counted event's time-decay weight, 2^-(lookback/half-life), would underflow."""
    if lookback_days / half_life_days > MAX_HALF_LIVES:
        raise Invalid("half_life_days", f"must be at least lookback_days / {MAX_HALF_LIVES} "
                      f"({lookback_days / MAX_HALF_LIVES:g} days for a {lookback_days}-day lookback)")


class Credit(BaseModel):
    """What each model credits to one channel or campaign."""

    label: str
    touches: int
    journeys: int
    conversions: dict[str, float]
    value: dict[str, int]
    new_customers: dict[str, float]


class AttributionResult(ReviewResult):
    """Credits per channel or campaign for every model; conversions as fractions, value in base minor units."""

    by: str = Field(title="By")
    currency: str
    lookback_days: int = Field(title="Lookback (days)")
    half_life_days: float = Field(title="Half-life (days)")
    markov_order: int = Field(title="Markov order")
    journeys: int = Field(title="Journeys")
    converting_journeys: int = Field(title="Converting journeys")
    conversions: int = Field(title="Attributed orders")
    value_minor: int = Field(title="Attributed value")
    new_customers: int = Field(title="New customers")
    unattributed_conversions: int = Field(title="Orders with no touch")
    unattributed_value_minor: int = Field(title="Value with no touch")
    conversion_probability: float = Field(title="Markov conversion probability")
    models: list[str]
    removal_effects: dict[str, float]
    credits: list[Credit]

    def rows(self) -> list[dict[str, Any]]:
        """One row per channel or campaign: its touches, then each model's conversions and value."""
        out = []
        for credit in self.credits:
            row: dict[str, Any] = {self.by: credit.label, "touches": credit.touches, "journeys": credit.journeys}
            for model in self.models:
                row[model] = round(credit.conversions[model], 4)
            for model in self.models:
                row[f"{model}_value_minor"] = credit.value[model]
            row["currency"] = self.currency
            out.append(row)
        return out

    def charts(self) -> list[dict[str, Any]]:
        """Orders and value credited by each model, grouped by channel or campaign."""
        if not self.credits:
            return []
        unit = 10 ** minor_digits(self.currency)
        long = pd.DataFrame([
            {self.by: c.label, "model": MODEL_TITLES[m], "orders": c.conversions[m], "value": c.value[m] / unit}
            for c in self.credits for m in self.models
        ])
        charts = []
        for measure, title in (("orders", "Orders credited"), ("value", f"Value credited ({self.currency})")):
            chart = alt.Chart(long, title=title).mark_bar().encode(
                x=alt.X(f"{self.by}:N", title=self.by.capitalize()),
                xOffset=alt.XOffset("model:N", sort=[MODEL_TITLES[m] for m in self.models]),
                y=alt.Y(f"{measure}:Q", title=title),
                color=alt.Color("model:N", sort=[MODEL_TITLES[m] for m in self.models], title="Model"),
                tooltip=[f"{self.by}:N", "model:N", alt.Tooltip(f"{measure}:Q", format=",.2f")],
            )
            charts.append(chart.to_dict())
        return charts


def journey_events(warehouse: Any, *, include_engagements: bool, since: date | None, until: date | None) -> ir.Table:
    """Touches and non-spam engagements of known contacts in [since, until): who, where, when, inbound or not."""

    def shaped(table: ir.Table, rank: int) -> ir.Table:
        return table.select(
            contact_id=table.contact_id,
            campaign_id=table.campaign_id,
            channel=table.channel,
            at=table.occurred_at,
            day=table.occurred_day,
            at_s=table.occurred_at.epoch_seconds().cast("int64"),
            inbound=ibis.literal(rank == 2),
            rank=ibis.literal(rank, type="int8"),
            event_id=table.id,
        )

    touch = warehouse.table("touch")
    events = shaped(touch.filter(touch.contact_id.notnull()), 1)
    if include_engagements:
        engagement = warehouse.table("engagement")
        events = events.union(shaped(engagement.filter(engagement.contact_id.notnull(), ~engagement.is_spam), 2))
    if since is not None:
        events = events.filter(events.day >= since)
    if until is not None:
        events = events.filter(events.day < until)
    return events


def coded(warehouse: Any, events: ir.Table, by: str) -> tuple[ir.Table, dict[int, str]]:
    """Events with a small integer `code` (0, 1, 2 …) for their channel or campaign, and the label of every code."""
    if by == "channel":
        code = ibis.cases(*[(events.channel == c, i) for i, c in enumerate(CHANNELS)], else_=len(CHANNELS))
        labels = dict(enumerate(CHANNELS)) | {len(CHANNELS): "(unknown channel)"}
        return events.mutate(code=code.cast("int64")), labels
    campaign = warehouse.table("campaign")
    # Numbered in the engine and read back, so the codes and their names agree whatever the engine's collation.
    numbered = campaign.select(
        campaign_key=campaign.id, campaign_name=campaign.name,
        campaign_code=(ibis.row_number().over(order_by=[campaign.name, campaign.id]) + 1).cast("int64"))
    labels = {0: NO_CAMPAIGN} | {
        row["campaign_code"]: row["campaign_name"] for row in numbered.to_pyarrow().to_pylist()}
    joined = events.left_join(numbered, events.campaign_id == numbered.campaign_key)
    return joined.mutate(code=joined.campaign_code.fill_null(0)).drop(
        "campaign_key", "campaign_name", "campaign_code"), labels


def order_values(warehouse: Any, base: str) -> ir.Table:
    """Orders of known contacts with a positive net value, in base currency, and whether each is the contact's first."""
    lines = warehouse.table("order_line")
    net = lines.group_by("order_id").aggregate(net_minor=(lines.quantity * lines.unit_price_minor).sum())
    orders = warehouse.table("sales_order")
    orders = orders.filter(orders.contact_id.notnull()).join(net, orders.id == net.order_id)
    orders = orders.filter(orders.net_minor > 0)
    first = ibis.row_number().over(group_by=orders.contact_id, order_by=[orders.ordered_at, orders.id])
    orders = orders.select(
        "id", "contact_id", "ordered_at", "ordered_day", "currency", "net_minor", is_new=ibis.ifelse(first == 0, 1, 0)
    )
    return in_base(orders, amount="net_minor", currency="currency", day="ordered_day",
                   rates=warehouse.table("currency_rate"), base=base)


_INSTANT = dt.Timestamp(timezone="UTC")


@ibis.udf.scalar.builtin(name="epoch")
def _epoch(at: _INSTANT) -> dt.float64:  # type: ignore[valid-type]
    """DuckDB's seconds since 1970 of an instant."""


def whole_seconds(warehouse: Any, at: ir.TimestampValue) -> ir.IntegerValue:
    """`at` in whole seconds since 1970, rounded, as every review here compares and subtracts instants.

    On DuckDB straight from the instant: Ibis's epoch_seconds first casts it to a local timestamp, a calendar
    lookup for every row that costs more than the rest of the comparison.
    """
    seconds = _epoch(at) if warehouse.name == "duckdb" else at.epoch_seconds()
    return seconds.cast("int64")


def scanned_orders(warehouse: Any, query: AttributionQuery, base: str) -> ir.Table:
    """The orders that can end a journey: from the lookback before the period to its end."""
    since = _scan_from(query)
    orders = order_values(warehouse, base)
    if since is not None:
        orders = orders.filter(orders.ordered_day >= since)
    if query.to_on is not None:
        orders = orders.filter(orders.ordered_day < query.to_on)
    return orders


def _timeline(events: ir.Table, orders: ir.Table, *, with_day: bool, **carried: tuple[Any, Any]) -> ir.Table:
    """Each contact's events and orders in one table, to be walked in time order (`_in_time`).

    Columns: who, `code` (NULL for an order), `at`, `rank` (0 for an order, so it sorts before an event at the same
    instant and an event counts only for orders strictly after it), `event_id`, `day` when `with_day`, and each of
    `carried`, given as (its value for events, its value for orders). Every column rides through the sort, so the
    callers carry only what they need.
    """
    day = {"day": (events.day, orders.ordered_day)} if with_day else {}
    columns = {**carried, **day}
    return events.select(
        "contact_id", "code", "at", "rank", "event_id", **{name: pair[0] for name, pair in columns.items()},
    ).union(orders.select(
        "contact_id", code=ibis.null("int64"), at=orders.ordered_at, rank=ibis.literal(0, type="int8"),
        event_id=orders.id, **{name: pair[1] for name, pair in columns.items()},
    ))


def _in_time(timeline: ir.Table) -> dict[str, Any]:
    """The window spec of a contact's timeline in time order; windows sharing it cost the engine one sort."""
    return dict(group_by=timeline.contact_id, order_by=[timeline.at, timeline["rank"], timeline.event_id])


def counted_events(warehouse: Any, query: AttributionQuery, base: str, events: ir.Table) -> tuple[ir.Table, ir.Table]:
    """Every counted event with its journey, how many events follow it there (`after`), and its conversion.

    Also returns the period's orders. Only one sort runs: the contact's timeline of events and orders.
    """
    orders = scanned_orders(warehouse, query, base)
    # The day a journey ends is only needed to hold it to the period's first day.
    by_end_day = query.from_on is not None
    timeline = _timeline(events, orders, with_day=by_end_day)
    is_order = timeline["rank"] == 0
    # Counts and row numbers are the cheapest window functions. An event's journey needs its order's position,
    # which a window could only give through a second window over the first (a second sort); joining the
    # orders' rows back costs less.
    by_time = _in_time(timeline)
    so_far, whole = ibis.window(**by_time, rows=(None, 0)), ibis.window(**by_time, rows=(None, None))
    figures = dict(
        # Orders up to this row: an order's number among its contact's orders, or the orders before an event.
        orders_so_far=timeline.event_id.count(where=is_order).over(so_far),
        position=ibis.row_number().over(**by_time),
        rows=timeline.event_id.count().over(whole),
        # A journey without an order is the contact's last: it ends with the contact's latest event.
        last_at=timeline.at.max().over(whole),
    )
    if by_end_day:
        figures["last_day"] = timeline.day.max().over(whole)
    numbered = timeline.mutate(**figures)
    is_order = numbered["rank"] == 0
    placed = numbered.filter(is_order).select(
        order_key=numbered.event_id, conv_contact=numbered.contact_id, conv_journey=numbered.orders_so_far,
        conv_position=numbered.position)
    conversions = placed.join(orders, placed.order_key == orders.id).select(
        "conv_contact", "conv_journey", "conv_position", conv_at=orders.ordered_at, conv_day=orders.ordered_day,
        value=ibis.ifelse(orders.net_minor_has_rate, orders.net_minor_base, 0), is_new=orders.is_new)

    tagged = numbered.filter(~is_order).mutate(journey_no=numbered.orders_so_far + 1)
    tagged = tagged.left_join(conversions, [tagged.contact_id == conversions.conv_contact,
                                            tagged.journey_no == conversions.conv_journey])
    converted = tagged.conv_position.notnull()
    counted = tagged.select(
        "contact_id", "journey_no", "code",
        at_s=whole_seconds(warehouse, tagged.at),
        inbound=tagged["rank"] == 2,
        # Events between this one and the journey's end (its order, or the contact's last row): 0 for its last.
        after=ibis.ifelse(converted, tagged.conv_position, tagged.rows) - tagged.position - 1,
        end_s=whole_seconds(warehouse, tagged.conv_at.fill_null(tagged.last_at)),
        converted=ibis.ifelse(converted, 1, 0),
        value=tagged.value.fill_null(0),
        is_new=tagged.is_new.fill_null(0),
        **({"end_day": tagged.conv_day.fill_null(tagged.last_day)} if by_end_day else {}),
    )
    counted = counted.filter(counted.at_s >= counted.end_s - query.lookback_days * _DAY)
    if by_end_day:
        counted = counted.filter(counted.end_day >= query.from_on)

    period_orders = orders
    if query.from_on is not None:
        period_orders = period_orders.filter(period_orders.ordered_day >= query.from_on)
    return counted, period_orders


def markov_moves(warehouse: Any, query: AttributionQuery, base: str, events: ir.Table) -> ir.Table:
    """What the Markov chain counts, aggregated in the engine from one sort of the timeline, without paths.

    An event row (`is_order` false) moves its journey from the state of the counted events before it (`back1` …
    their codes, newest first, up to `markov_order` of them; NULL where there are fewer) into the state it makes
    with `code`. An order row ends its journey in the state of the events before it, with what it brought; where
    journeys without an order end follows from the moves. `counts` is false for rows that do not count (events
    before the lookback, or journeys that end before the period).
    """
    orders = scanned_orders(warehouse, query, base)
    by_end_day = query.from_on is not None
    none = ibis.null("int64")
    timeline = _timeline(
        events, orders, with_day=by_end_day,
        at_s=(whole_seconds(warehouse, events.at), whole_seconds(warehouse, orders.ordered_at)),
        value=(none, ibis.ifelse(orders.net_minor_has_rate, orders.net_minor_base, 0).cast("int64")),
        is_new=(none, orders.is_new.cast("int64")),
    )
    is_order = timeline["rank"] == 0
    by_time = _in_time(timeline)
    later, whole = ibis.window(**by_time, rows=(0, None)), ibis.window(**by_time, rows=(None, None))
    figures = dict(
        # Orders sort by time, so the earliest order at or after a row is the next one.
        next_order_s=timeline.at_s.min(where=is_order).over(later),
        last_s=timeline.at_s.max().over(whole),
    )
    for back in range(1, query.markov_order + 1):
        figures[f"code{back}"] = timeline.code.lag(back).over(**by_time)
        figures[f"at{back}"] = timeline.at_s.lag(back).over(**by_time)
    if by_end_day:
        # The next order falls in the period when it is also the next of the period's orders: compared as
        # instants, since a local day need not grow with the instant.
        figures["next_order_at"] = timeline.at.min(where=is_order).over(later)
        figures["next_counted_at"] = timeline.at.min(where=is_order & (timeline.day >= query.from_on)).over(later)
        figures["last_day"] = timeline.day.max().over(whole)
    rows = timeline.mutate(**figures)
    is_order = rows["rank"] == 0
    # An event counts when it is at most the lookback before its journey's end: its next order, or the contact's
    # last event. An order's journey is the events before it, so it measures from itself.
    end = ibis.ifelse(is_order, rows.at_s, rows.next_order_s.fill_null(rows.last_s))
    start = end - query.lookback_days * _DAY
    earlier, counts = {}, ibis.literal(True)
    for back in range(1, query.markov_order + 1):
        # Orders have no code, so a NULL code also marks the end of the journey before.
        counts = counts & rows[f"code{back}"].notnull() & (rows[f"at{back}"] >= start)
        earlier[f"back{back}"] = ibis.ifelse(counts, rows[f"code{back}"], ibis.null("int64"))
    counts = ibis.ifelse(is_order, earlier["back1"].notnull(), rows.at_s >= start)
    if by_end_day:
        ends_in_period = ibis.ifelse(
            is_order, rows.day >= query.from_on,
            ibis.ifelse(rows.next_order_s.isnull(), rows.last_day >= query.from_on,
                        (rows.next_counted_at == rows.next_order_at).fill_null(False)))
        counts = counts & ends_in_period
    # Grouped by whether a row counts rather than filtered: the engine works out each row's start once.
    steps = rows.select(is_order=is_order, code=rows.code, **earlier, counts=counts, value=rows.value,
                        is_new=rows.is_new)
    return steps.group_by(["counts", "is_order", "code", *earlier]).aggregate(
        journeys=steps.count(), value=steps.value.sum(), new_customers=steps.is_new.sum())


def _scan_from(query: AttributionQuery) -> date | None:
    """The first day whose events can count: the lookback before the period, and a day for time zones."""
    return query.from_on - timedelta(days=query.lookback_days + 1) if query.from_on else None


def time_decay_sums(counted: ir.Table, half_life_days: float) -> pa.Table:
    """Per code, the time-decay model's credit of conversions, value and new customers (weights need times)."""
    converting = counted.filter(counted.converted == 1)
    weight = (-(converting.end_s - converting.at_s).cast("float64") * (math.log(2) / (half_life_days * _DAY))).exp()
    share = weight / weight.sum().over(group_by=[converting.contact_id, converting.journey_no])
    shared = converting.select("code", "value", "is_new", share=share)
    return shared.group_by("code").aggregate(
        conversions=shared.share.sum(),
        value=(shared.share * shared.value.cast("float64")).sum(),
        new_customers=(shared.share * shared.is_new.cast("float64")).sum(),
    ).to_pyarrow()


def _path_key_bits(codes: int) -> tuple[int, int]:
    """Bits a step needs in a path key (codes + 1 values, 0 meaning no step), and the steps one key holds."""
    bits = codes.bit_length()
    return bits, _KEY_BITS // bits


def path_counts(counted: ir.Table, codes: int) -> pa.Table:
    """Distinct paths (with their lead-creation step) and the journeys that took them, built in the engine.

    A path is counted from its end: the step with `after` = a sits in key word a // steps at bits
    bits · (a % steps). Sums need no order, so any engine groups them fast; steps beyond the key words (very
    long journeys) are collected as after << 40 | code and sorted, as Spark keeps no aggregate's input order.
    """
    bits, steps = _path_key_bits(codes)
    step = (counted.code + 1).cast("int64")
    # Ranges and subtraction rather than // and %, which some engines compute through floating point.
    words = {
        f"key{word}": ibis.ifelse(
            (counted.after >= word * steps) & (counted.after < (word + 1) * steps),
            step << ((counted.after - word * steps) * bits).cast("int32"), 0).sum()
        for word in range(_KEY_WORDS)
    }
    tail = counted.after >= _KEY_WORDS * steps
    per_journey = counted.group_by(["contact_id", "journey_no"]).aggregate(
        **words,
        tail=(counted.after.cast("int64") * (1 << _CODE_BITS) + counted.code).collect(where=tail).sort(),
        lead_after=counted.after.max(where=counted.inbound),
        converted=counted.converted.max(),
        value=counted.value.max(),
        is_new=counted.is_new.max(),
    )
    return per_journey.group_by([*words, "tail", "lead_after"]).aggregate(
        journeys=per_journey.converted.count(),
        conversions=per_journey.converted.sum(),
        value=per_journey.value.sum(),
        new_customers=per_journey.is_new.sum(),
    ).to_pyarrow()


@dataclass(frozen=True)
class JourneyPaths:
    """Distinct paths as the Markov chain reads them, and each path's lead-creation step (1-based, 0: none)."""

    paths: markov.Paths
    leads: np.ndarray


def to_paths(table: pa.Table, labels: dict[int, str]) -> JourneyPaths:
    """The engine's path aggregate as flat arrays, channels (or campaigns) indexed in the order of their labels."""
    bits, steps = _path_key_bits(len(labels))
    tail_text = pc.binary_join(pc.cast(table["tail"], pa.list_(pa.string())), ",")
    # Engines return groups in any order; a canonical order makes the float sums the same on every backend.
    table = table.append_column("tail_text", tail_text).sort_by(
        [(f"key{w}", "ascending") for w in range(_KEY_WORDS)]
        + [("tail_text", "ascending"), ("lead_after", "ascending")])
    # Digits by distance from the end, farthest first, so reading a row left to right walks the journey forward.
    after = np.arange(_KEY_WORDS * steps - 1, -1, -1)
    keys = np.column_stack([table[f"key{w}"].to_numpy().astype(np.int64) for w in range(_KEY_WORDS)]) \
        if table.num_rows else np.zeros((0, _KEY_WORDS), dtype=np.int64)
    digits = (keys[:, after // steps] >> (bits * (after % steps))) & ((1 << bits) - 1)
    lengths = (digits > 0).sum(axis=1)
    pieces = digits[digits > 0] - 1
    if pc.max(pc.fill_null(pc.list_value_length(table["tail"]), 0)).as_py() or 0:
        tails = table["tail"].to_pylist()
        # Journeys longer than the key words hold: rare, so plain Python puts their far steps in front.
        mask = (1 << _CODE_BITS) - 1
        split = np.split(pieces, np.cumsum(lengths)[:-1]) if len(lengths) else []
        parts = [np.array([v & mask for v in sorted(tail or [], reverse=True)] + list(near), dtype=np.int64)
                 for tail, near in zip(tails, split)]
        lengths = np.array([len(part) for part in parts], dtype=np.int64)
        pieces = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    seen = np.unique(pieces)
    names = [labels.get(int(code), f"#{code}") for code in seen]
    order = sorted(range(len(seen)), key=lambda i: names[i])
    index = np.empty(len(seen), dtype=np.int64)
    index[order] = np.arange(len(seen))
    measures = np.column_stack([table[name].to_numpy().astype(np.int64) for name in MEASURES]) if table.num_rows \
        else np.zeros((0, len(MEASURES)), dtype=np.int64)
    lead_after = table["lead_after"].to_numpy(zero_copy_only=False)
    leads = np.where(pd.isna(lead_after), 0, lengths - np.nan_to_num(lead_after.astype(float))).astype(np.int64)
    return JourneyPaths(
        paths=markov.Paths(
            channels=tuple(names[i] for i in order),
            codes=index[np.searchsorted(seen, pieces)],
            offsets=offsets,
            journeys=table["journeys"].to_numpy().astype(np.int64),
            measures=measures,
        ),
        leads=leads,
    )


def to_moves(table: pa.Table, labels: dict[int, str], order: int) -> markov.Moves:
    """The engine's step aggregate as the chain's moves, channels (or campaigns) indexed in the order of their labels.

    Every visit to a state is left once, by a move or by the journey's end, so a state's ends are the moves into it
    less the moves out of it; the orders say which of those ends converted and what they brought.
    """
    table = table.filter(table["counts"])
    is_order = table["is_order"].to_numpy(zero_copy_only=False).astype(bool)

    def codes(name: str) -> np.ndarray:
        return pc.fill_null(table[name], -1).to_numpy().astype(np.int64)

    code = codes("code")
    seen = np.unique(code[~is_order])
    names = [labels.get(int(c), f"#{c}") for c in seen]
    order_of = sorted(range(len(seen)), key=lambda i: names[i])
    index = np.full(len(seen) + 1, -1, dtype=np.int64)  # the extra slot keeps -1 (no code) at -1
    index[order_of] = np.arange(len(seen))
    backs = [f"back{b}" for b in range(1, order + 1)]
    channel = {name: index[np.where(column >= 0, np.searchsorted(seen, column), len(seen))]
               for name, column in [("code", code)] + [(b, codes(b)) for b in backs]}
    target = markov.state_keys(channel["code"], [channel[b] for b in backs[:-1]], len(seen))
    before = np.where(channel["back1"] >= 0,
                      markov.state_keys(channel["back1"], [channel[b] for b in backs[1:]], len(seen)), 0)
    journeys = table["journeys"].to_numpy().astype(np.int64)
    steps, left = ~is_order, before > 0
    states = np.unique(target[steps])

    def per_state(keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return np.bincount(np.searchsorted(states, keys), weights=counts, minlength=len(states)).astype(np.int64)

    # Journeys left unconverted: the visits to a state less those that moved on or ended in an order.
    unconverted = (per_state(target[steps], journeys[steps]) - per_state(before[steps & left], journeys[steps & left])
                   - per_state(before[is_order], journeys[is_order]))
    stopped = unconverted > 0
    converting = np.column_stack([journeys[is_order]] + [
        pc.fill_null(table[name], 0).to_numpy().astype(np.int64)[is_order] for name in MEASURES[1:]])
    return markov.Moves(
        channels=tuple(names[i] for i in order_of), order=order,
        source=before[steps], target=target[steps], moved=journeys[steps],
        end=np.concatenate([before[is_order], states[stopped]]),
        ended=np.concatenate([journeys[is_order], unconverted[stopped]]),
        measures=np.concatenate([converting, np.zeros((int(stopped.sum()), len(MEASURES)), dtype=np.int64)]),
    )


@dataclass(frozen=True)
class MarkovAttribution:
    """The Markov model alone: each channel's (or campaign's) credit per measure and the chain's figures.

    `credits` has a row per label and a column per measure (conversions, value in base minor units, new
    customers); `removal_effects` are of conversions; `totals` are what the `journeys` counted brought.
    """

    labels: tuple[str, ...]
    credits: np.ndarray
    removal_effects: np.ndarray
    conversion_probability: float
    journeys: int
    totals: np.ndarray


def attribute_markov(warehouse: Any, query: AttributionQuery) -> MarkovAttribution:
    """The period's orders attributed by the Markov model only, counted in the engine without building paths."""
    base = base_currency(warehouse)
    events, labels = coded(warehouse, journey_events(
        warehouse, include_engagements=query.include_engagements, since=_scan_from(query), until=query.to_on), query.by)
    moves = to_moves(markov_moves(warehouse, query, base, events).to_pyarrow(), labels, query.markov_order)
    totals = moves.measures.sum(axis=0)
    if not len(moves.target) or totals[0] == 0:
        size = len(moves.channels)
        return MarkovAttribution(moves.channels, np.zeros((size, len(MEASURES))), np.zeros(size), 0.0,
                                 int(moves.ended.sum()), totals)
    chain = markov.solve_moves(moves)
    return MarkovAttribution(
        labels=moves.channels, credits=markov_shares(chain, totals),
        removal_effects=np.clip(chain.removal_effects[:, 0], 0.0, None),
        conversion_probability=float(chain.expected[0]), journeys=int(moves.ended.sum()), totals=totals,
    )


def position_shares(lengths: np.ndarray, leads: np.ndarray) -> dict[str, np.ndarray]:
    """Each position-based model's share of its journey's conversion for every step of every path (flat)."""
    n = np.repeat(lengths, lengths).astype(float)
    lead = np.repeat(leads, lengths)
    pos = np.arange(len(n)) - np.repeat(np.cumsum(lengths) - lengths, lengths) + 1
    ends = (pos == 1) | (pos == n)
    with np.errstate(divide="ignore", invalid="ignore"):
        u_shaped = np.select([n == 1, n == 2, ends], [1.0, 0.5, 0.4], 0.2 / (n - 2))
        # W needs a lead-creation event (the first engagement) strictly between the first and last; else it is U.
        has_w = (lead > 1) & (lead < n)
        w_shaped = np.select([~has_w, n == 3, ends | (pos == lead)], [u_shaped, 1.0 / 3.0, 0.3], 0.1 / (n - 3))
    return {
        "first_touch": (pos == 1).astype(float),
        "last_touch": (pos == n).astype(float),
        "linear": 1.0 / n,
        "u_shaped": u_shaped,
        "w_shaped": w_shaped,
    }


def shapley_values(masks: np.ndarray, worth: np.ndarray, players: int) -> np.ndarray:
    """Exact Shapley values of the game v(S) = Σ worth of the paths whose channel set ⊆ S, for every column."""
    size = 1 << players
    v = np.zeros((size, worth.shape[1]))
    np.add.at(v, masks, worth)
    for bit in range(players):
        # Sum over subsets, one player at a time: v[S ∪ {bit}] also holds what v[S] holds.
        shaped = v.reshape(size >> (bit + 1), 2, 1 << bit, -1)
        shaped[:, 1] += shaped[:, 0]
    every = np.arange(size)
    members = np.zeros(size, dtype=np.int64)
    for bit in range(players):
        members += (every >> bit) & 1
    coalition_weight = np.array([1.0 / (players * math.comb(players - 1, s)) for s in range(players)])
    values = np.zeros((players, worth.shape[1]))
    for player in range(players):
        without = every[((every >> player) & 1) == 0]
        values[player] = coalition_weight[members[without]] @ (v[without | (1 << player)] - v[without])
    return values


def whole_units(shares: np.ndarray, total: int) -> list[int]:
    """Round non-negative shares to integers that add up to `total` (largest remainder, ties to the first)."""
    if total == 0 or shares.sum() <= 0:
        return [0] * len(shares)
    exact = shares * (total / shares.sum())
    floors = np.floor(exact).astype(np.int64)
    short = int(total - floors.sum())
    order = np.argsort(-(exact - floors), kind="stable")
    floors[order[:short]] += 1
    return [int(x) for x in floors]


@dataclass(frozen=True)
class _DataDriven:
    """Markov and Shapley credits per label and measure, and the chain's figures."""

    markov: np.ndarray
    shapley: np.ndarray | None
    removal_effects: np.ndarray
    conversion_probability: float
    shapley_players: int


def markov_shares(chain: markov.MarkovChain, totals: np.ndarray) -> np.ndarray:
    """Each channel's Markov credit per measure: its removal effect, scaled so credits add up to the total."""
    effects = np.clip(chain.removal_effects, 0.0, None)
    sums = effects.sum(axis=0)
    credit = np.zeros_like(effects)
    has = sums > 0
    credit[:, has] = effects[:, has] / sums[has] * totals.astype(float)[has]
    return credit


def _data_driven(paths: markov.Paths, order: int) -> _DataDriven:
    chain = markov.solve(paths, order)
    effects = np.clip(chain.removal_effects, 0.0, None)
    markov_credit = markov_shares(chain, paths.measures.sum(axis=0))

    converting = np.flatnonzero(paths.conversions > 0)
    path_of = np.repeat(np.arange(len(paths.journeys)), paths.lengths)
    on_converting = np.isin(path_of, converting)
    players = np.unique(paths.codes[on_converting])
    shapley = None
    if len(players) <= SHAPLEY_MAX_PLAYERS:
        player_of = np.full(len(paths.channels), -1)
        player_of[players] = np.arange(len(players))
        bits = np.zeros(len(paths.journeys), dtype=np.int64)
        np.bitwise_or.at(bits, path_of[on_converting], np.left_shift(1, player_of[paths.codes[on_converting]]))
        values = shapley_values(bits[converting], paths.measures[converting].astype(float), len(players))
        shapley = np.zeros((len(paths.channels), paths.measures.shape[1]))
        shapley[players] = values
    return _DataDriven(markov_credit, shapley, effects[:, 0], float(chain.expected[0]), len(players))


def _heuristic_credits(
    found: JourneyPaths, decay: pa.Table, labels: dict[int, str],
) -> dict[tuple[str, int], np.ndarray]:
    """Each heuristic model's credit per channel and measure (time decay as the engine summed it)."""
    paths = found.paths
    size = len(paths.channels)
    weight = np.repeat(paths.measures.astype(float), paths.lengths, axis=0)
    credit = {}
    for model, share in position_shares(paths.lengths, found.leads).items():
        for k in range(len(MEASURES)):
            credit[(model, k)] = np.bincount(paths.codes, weights=share * weight[:, k], minlength=size)
    index = {label: i for i, label in enumerate(paths.channels)}
    for k, measure in enumerate(MEASURES):
        credit[("time_decay", k)] = np.zeros(size)
        for code, amount in zip(decay["code"].to_pylist(), decay[measure].to_pylist()):
            credit[("time_decay", k)][index[labels[code]]] += amount
    return credit


def attribute(warehouse: Any, query: AttributionQuery) -> AttributionResult:
    """Attribute the period's orders to channels or campaigns with every model."""
    base = base_currency(warehouse)
    events, labels = coded(warehouse, journey_events(
        warehouse, include_engagements=query.include_engagements, since=_scan_from(query), until=query.to_on), query.by)
    counted, period_orders = counted_events(warehouse, query, base, events)
    # Paths and time decay both read the counted events: the engine builds them once.
    with counted.cache() as cached:
        found = to_paths(path_counts(cached, len(labels)), labels)
        decay = time_decay_sums(cached, query.half_life_days)
    paths = found.paths
    by_currency = period_orders.group_by(["currency", period_orders.net_minor_has_rate.name("has_rate")]).aggregate(
        amount=period_orders.net_minor.sum(), rows=period_orders.id.count(),
        value=period_orders.net_minor_base.sum()).to_pyarrow().to_pylist()
    notes = ConversionSummary.from_rows(base, by_currency).notes("order values (net of refunds)")
    orders_in_period = sum(row["rows"] for row in by_currency)
    value_in_period = sum(row["value"] for row in by_currency if row["has_rate"])
    conversions, value, new = (int(x) for x in paths.measures.sum(axis=0))
    unattributed, unattributed_value = orders_in_period - conversions, value_in_period - value
    if unattributed:
        notes.append(f"{unattributed} of {orders_in_period} orders ({money_text(unattributed_value, base)}) had "
                     f"no touch or engagement in the {query.lookback_days} days before them, so no {query.by} "
                     "is credited.")

    models = list(HEURISTIC_MODELS)
    credit = _heuristic_credits(found, decay, labels)
    removal: dict[str, float] = {}
    probability = 0.0
    if conversions == 0:
        notes.append("No order with a positive net value in the period followed a touch or engagement, so there "
                     "is nothing to attribute; every credit is zero.")
        models += ["markov", "shapley"]
        for model in ("markov", "shapley"):
            for k in range(len(MEASURES)):
                credit[(model, k)] = np.zeros(len(paths.channels))
    else:
        driven = _data_driven(paths, query.markov_order)
        probability = driven.conversion_probability
        removal = {label: round(float(e), 6) for label, e in zip(paths.channels, driven.removal_effects)}
        models.append("markov")
        for k in range(len(MEASURES)):
            credit[("markov", k)] = driven.markov[:, k]
        notes.append(f"Markov: an order-{query.markov_order} chain, solved exactly; a {query.by}'s credit is its "
                     "removal effect (the share of conversions lost without it) scaled so credits add up to the total.")
        if driven.shapley is not None:
            models.append("shapley")
            for k in range(len(MEASURES)):
                credit[("shapley", k)] = driven.shapley[:, k]
        else:
            notes.append(f"Shapley values are left out: {driven.shapley_players} {query.by}s appear on converting "
                         f"journeys and the exact computation is limited to {SHAPLEY_MAX_PLAYERS}.")
        if driven.shapley_players == 1:
            notes.append(f"Only one {query.by} appears on converting journeys, so every model gives it all the credit.")
    non_converting = int(paths.journeys.sum()) - conversions
    notes.append(f"{non_converting} journeys in the period did not end in an order; the Markov chain learns from them.")

    size = len(paths.channels)
    path_of = np.repeat(np.arange(len(paths.journeys)), paths.lengths)
    touches = np.bincount(paths.codes, weights=paths.journeys[path_of], minlength=size).astype(np.int64)
    # Each (path, channel) pair once, as one sorted number: np.unique over rows of pairs, or over a million
    # distinct numbers, is many times slower than one sort.
    pairs = np.sort(path_of * max(size, 1) + paths.codes)
    distinct = np.ones(len(pairs), dtype=bool)
    distinct[1:] = pairs[1:] != pairs[:-1]
    on_path, on = np.divmod(pairs[distinct], max(size, 1))
    converting_journeys = np.bincount(on, weights=paths.conversions[on_path], minlength=size).astype(np.int64)
    values = {m: whole_units(credit[(m, 1)], value) for m in models}
    credits = [
        Credit(
            label=label,
            touches=int(touches[i]),
            journeys=int(converting_journeys[i]),
            conversions={m: float(credit[(m, 0)][i]) for m in models},
            value={m: values[m][i] for m in models},
            new_customers={m: float(credit[(m, 2)][i]) for m in models},
        )
        for i, label in enumerate(paths.channels)
    ]
    return AttributionResult(
        notes=notes, by=query.by, currency=base, lookback_days=query.lookback_days,
        half_life_days=query.half_life_days, markov_order=query.markov_order,
        journeys=int(paths.journeys.sum()), converting_journeys=conversions, conversions=conversions,
        value_minor=value, new_customers=new, unattributed_conversions=unattributed,
        unattributed_value_minor=unattributed_value, conversion_probability=round(probability, 6),
        models=models, removal_effects=removal, credits=credits,
    )


REVIEW = Review(
    name="attribution",
    title="Attribution",
    summary="Which channels and campaigns brought the orders: first and last touch, linear, U, W, time decay, "
            "Markov and Shapley side by side.",
    query_type=AttributionQuery,
    result_type=AttributionResult,
    run=attribute,
)
