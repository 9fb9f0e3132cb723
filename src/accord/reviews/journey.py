"""The journey: from first touch to a won deal, step by step, with the time each step takes and where people stop.

The cohort is every contact whose first touch or engagement falls in the period; they are followed up to the
end of the period. A step counts as reached when it or any later step has happened (a won deal was also
qualified), and never earlier than the step before it, so the funnel only narrows and no step takes
negative time. Steps: first touch; engaged (an inbound engagement); contacted (an engagement answered or an
outbound message); qualified, proof (proof, proposal or closing) and won, from the deals' stage changes.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow.compute as pc
from pydantic import BaseModel, Field, field_validator

from accord.errors import Invalid
from accord.kernel.vocabulary import CHANNELS
from accord.reviews.attribution import journey_events
from accord.reviews.base import Review, ReviewQuery, ReviewResult

STEPS = ("first_touch", "engaged", "contacted", "qualified", "proof", "won")
STEP_TITLES = dict(zip(STEPS, ("First touch", "Engaged", "Contacted", "Qualified", "Proof", "Won")))
# Which deal stages show that a step was reached (a deal at proposal has been through proof).
_STAGE_STEP = {"qualified": 3, "proof": 4, "proposal": 4, "closing": 4, "won": 5}
_DAY = 86_400.0
_POSITION_DIGITS = 6
_PATH_SEPARATOR = " > "


class JourneyQuery(ReviewQuery):
    """Contacts first touched in the period, optionally only from one channel, persona or campaign."""

    channel: str | None = Field(None, description="only contacts whose first touch was on this channel")
    persona: str | None = Field(None, description="only contacts who fit this persona best")
    campaign: str | None = Field(None, description="only contacts this campaign touched")
    top: int = Field(10, ge=1, le=100, description="how many of the most common paths to show")

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str | None) -> str | None:
        if value is not None and value not in CHANNELS:
            raise Invalid("channel", f"{value!r} is not a channel; use one of {', '.join(CHANNELS)}")
        return value


class Step(BaseModel):
    """One funnel step: how many reached it, the share of the step before, and the median days it took."""

    step: str
    contacts: int
    conversion: float | None
    median_days: float | None


class PathLine(BaseModel):
    """A channel sequence (repeats run together) and how many contacts took it and won."""

    path: str
    contacts: int
    won: int
    conversion: float


class DropOff(BaseModel):
    """How many journeys got no further than a step."""

    step: str
    contacts: int
    share: float


class JourneyResult(ReviewResult):
    """The funnel, time to close, the top paths and the drop-offs."""

    contacts: int = Field(title="Contacts first touched")
    won: int = Field(title="Won")
    time_to_close_median_days: float | None = Field(title="Days to close (median)")
    time_to_close_p90_days: float | None = Field(title="Days to close (90th percentile)")
    steps: list[Step]
    top_paths: list[PathLine]
    drop_offs: list[DropOff]

    def rows(self) -> list[dict[str, Any]]:
        """One row per funnel step, with how many stopped there."""
        stopped = {d.step: d.contacts for d in self.drop_offs}
        return [
            {"step": s.step, "contacts": s.contacts, "conversion": s.conversion, "median_days": s.median_days,
             "stopped_here": stopped.get(s.step, 0)}
            for s in self.steps
        ]

    def charts(self) -> list[dict[str, Any]]:
        """The funnel, and the most common paths."""
        if not self.contacts:
            return []
        order = [STEP_TITLES[s] for s in STEPS]
        funnel = pd.DataFrame([{"step": STEP_TITLES[s.step], "contacts": s.contacts} for s in self.steps])
        charts = [alt.Chart(funnel, title="Journey funnel").mark_bar().encode(
            y=alt.Y("step:N", sort=order, title=""),
            x=alt.X("contacts:Q", title="Contacts"),
            tooltip=["step:N", "contacts:Q"],
        ).to_dict()]
        if self.top_paths:
            paths = pd.DataFrame([p.model_dump() for p in self.top_paths])
            charts.append(alt.Chart(paths, title="Most common paths").mark_bar().encode(
                y=alt.Y("path:N", sort="-x", title=""),
                x=alt.X("contacts:Q", title="Contacts"),
                color=alt.Color("conversion:Q", title="Won share"),
                tooltip=["path:N", "contacts:Q", "won:Q", alt.Tooltip("conversion:Q", format=".1%")],
            ).to_dict())
        return charts


def _named_id(warehouse: Any, table: str, name: str) -> int:
    """The id of the persona or campaign called `name`, or Invalid listing the names there are."""
    rows = warehouse.table(table).select("id", "name").order_by("name").to_pyarrow().to_pylist()
    for row in rows:
        if row["name"] == name:
            return row["id"]
    known = ", ".join(row["name"] for row in rows) or "none yet"
    raise Invalid(table, f"no {table} called {name!r}; there are: {known}")


def _cohort(warehouse: Any, query: JourneyQuery, events: ir.Table) -> ir.Table:
    """Each contact first touched in the period (and passing the filters), with that first touch."""
    first = events.mutate(k=ibis.row_number().over(
        group_by=events.contact_id, order_by=[events.at, events.rank, events.event_id]))
    cohort = first.filter(first.k == 0).select("contact_id", first_s="at_s", first_day="day", first_channel="channel")
    if query.from_on is not None:
        cohort = cohort.filter(cohort.first_day >= query.from_on)
    if query.channel is not None:
        cohort = cohort.filter(cohort.first_channel == query.channel)
    if query.campaign is not None:
        campaign = _named_id(warehouse, "campaign", query.campaign)
        touched = events.filter(events.campaign_id == campaign).select(touched_contact="contact_id").distinct()
        cohort = cohort.semi_join(touched, cohort.contact_id == touched.touched_contact)
    if query.persona is not None:
        persona = _named_id(warehouse, "persona", query.persona)
        fit = warehouse.table("persona_fit")
        rank = ibis.row_number().over(group_by=fit.contact_id, order_by=[fit.score.desc(), fit.persona_id])
        best = fit.mutate(rank=rank)
        best = best.filter(best.rank == 0, best.persona_id == persona).select(fit_contact="contact_id")
        cohort = cohort.semi_join(best, cohort.contact_id == best.fit_contact)
    return cohort


def _step(k: int) -> ir.IntegerScalar:
    return ibis.literal(k, type="int64")


def _seconds(at: ir.TimestampValue) -> ir.IntegerValue:
    return at.epoch_seconds().cast("int64")


def _evidence(warehouse: Any, query: JourneyQuery) -> ir.Table:
    """Per contact, the first time each step (or a later one) showed, in epoch seconds."""

    def before_end(table: ir.Table, day: str) -> ir.Table:
        return table.filter(table[day] < query.to_on) if query.to_on is not None else table

    engagement = before_end(warehouse.table("engagement"), "occurred_day")
    engagement = engagement.filter(~engagement.is_spam)
    engaged = engagement.select("contact_id", step=_step(1), at_s=_seconds(engagement.occurred_at))
    answered = before_end(engagement.filter(engagement.answered_at.notnull()), "answered_day")
    answered = answered.select("contact_id", step=_step(2), at_s=_seconds(answered.answered_at))
    message = before_end(warehouse.table("message"), "sent_day")
    conversation = warehouse.table("conversation").select(conversation_key="id", message_contact="contact_id")
    outbound = message.filter(message.direction == "outbound").join(
        conversation, message.conversation_id == conversation.conversation_key)
    outbound = outbound.select(contact_id="message_contact", step=_step(2), at_s=_seconds(outbound.sent_at))
    change = before_end(warehouse.table("deal_stage_change"), "changed_day")
    deal = warehouse.table("deal").select(deal_key="id", deal_contact="contact_id")
    change = change.filter(change.to_stage.isin(list(_STAGE_STEP))).join(deal, change.deal_id == deal.deal_key)
    staged = change.select(
        contact_id="deal_contact",
        step=ibis.cases(*[(change.to_stage == stage, _step(step)) for stage, step in _STAGE_STEP.items()]),
        at_s=_seconds(change.changed_at),
    )
    shown = engaged.union(answered).union(outbound).union(staged)
    return shown.group_by(evidence_contact=shown.contact_id).aggregate(**{
        f"reached_{k}": shown.at_s.min(where=shown.step >= k) for k in range(1, len(STEPS))
    })


def _reached(cohort: ir.Table, evidence: ir.Table) -> ir.Table:
    """The cohort with t0…t5: when each step was reached, never before the step before it."""
    joined = cohort.left_join(evidence, cohort.contact_id == evidence.evidence_contact)
    times = {"t0": joined.first_s}
    for k in range(1, len(STEPS)):
        reached = joined[f"reached_{k}"]
        times[f"t{k}"] = ibis.ifelse(reached.isnull(), ibis.null("int64"), ibis.greatest(reached, times[f"t{k - 1}"]))
    return joined.select("contact_id", **times)


def _days(seconds: ir.NumericValue) -> ir.FloatingValue:
    return seconds.cast("float64") / _DAY


def _funnel(reached: ir.Table) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for k in range(len(STEPS)):
        figures[f"n{k}"] = reached[f"t{k}"].count()
        if k:
            figures[f"median{k}"] = _days(reached[f"t{k}"] - reached[f"t{k - 1}"]).median()
    last = len(STEPS) - 1
    to_close = _days(reached[f"t{last}"] - reached.t0)
    figures["close_median"] = to_close.median()
    figures["close_p90"] = to_close.quantile(0.9)
    return reached.aggregate(**figures).to_pyarrow().to_pylist()[0]


def _drop_offs(reached: ir.Table) -> dict[int, int]:
    furthest = ibis.cases(*[(reached[f"t{k}"].notnull(), k) for k in reversed(range(1, len(STEPS)))], else_=0)
    rows = reached.group_by(furthest=furthest).aggregate(contacts=reached.contact_id.count()).to_pyarrow()
    return dict(zip(rows["furthest"].to_pylist(), rows["contacts"].to_pylist()))


def _paths(events: ir.Table, reached: ir.Table, top: int) -> list[PathLine]:
    """The most common channel sequences up to the win (or the period's end), repeats run together."""
    won_at = reached.select(path_contact="contact_id", won_s=reached[f"t{len(STEPS) - 1}"])
    mine = events.join(won_at, events.contact_id == won_at.path_contact)
    mine = mine.filter(mine.won_s.isnull() | (mine.at_s <= mine.won_s))
    ordered = ibis.window(group_by=mine.contact_id, order_by=[mine.at, mine.rank, mine.event_id])
    changes = mine.mutate(before=mine.channel.lag().over(ordered))
    changes = changes.filter(changes.before.isnull() | (changes.channel != changes.before))
    step = ibis.row_number().over(group_by=changes.contact_id, order_by=[changes.at, changes.rank, changes.event_id])
    labelled = changes.mutate(step=(step + 1).cast("string").lpad(_POSITION_DIGITS, "0") + changes.channel)
    per_contact = labelled.group_by("contact_id").aggregate(
        path=labelled.step.collect().sort(), won=ibis.ifelse(labelled.won_s.notnull(), 1, 0).max())
    counted = per_contact.group_by("path").aggregate(contacts=per_contact.contact_id.count(),
                                                     won=per_contact.won.sum())
    # Only the most common paths leave the engine: those as common as the top-th, ties included, so that the
    # alphabetical tie-break below is the same whatever the engine's collation.
    fewest = counted.order_by(counted.contacts.desc()).limit(top).contacts.min().to_pyarrow().as_py()
    if fewest is None:
        return []
    counted = counted.filter(counted.contacts >= fewest).to_pyarrow()
    stripped = pc.list_flatten(counted["path"])
    texts = []
    offsets = [0, *pc.list_value_length(counted["path"]).to_numpy(zero_copy_only=False).cumsum()]
    names = pc.utf8_slice_codeunits(stripped, _POSITION_DIGITS).to_pylist()
    for start, end in zip(offsets, offsets[1:]):
        texts.append(_PATH_SEPARATOR.join(names[start:end]))
    lines = sorted(zip(texts, counted["contacts"].to_pylist(), counted["won"].to_pylist()),
                   key=lambda line: (-line[1], line[0]))[:top]
    return [PathLine(path=p, contacts=n, won=w, conversion=round(w / n, 4)) for p, n, w in lines]


def run(warehouse: Any, query: JourneyQuery) -> JourneyResult:
    """The funnel from first touch to won, time to close, top paths and drop-offs."""
    events = journey_events(warehouse, include_engagements=True, since=None, until=query.to_on)
    cohort = _cohort(warehouse, query, events)
    reached = _reached(cohort, _evidence(warehouse, query))
    notes = ["The cohort is every contact first touched in the period, followed to the period's end; a step counts "
             "when it or a later one happened, so the funnel only narrows."]
    with reached.cache() as cached:
        figures = _funnel(cached)
        stopped = _drop_offs(cached)
        top_paths = _paths(events, cached, query.top)
    total = int(figures["n0"])
    steps = []
    for k, name in enumerate(STEPS):
        count = int(figures[f"n{k}"])
        previous = int(figures[f"n{k - 1}"]) if k else None
        median = figures.get(f"median{k}")
        steps.append(Step(
            step=name, contacts=count,
            conversion=round(count / previous, 4) if previous else None,
            median_days=round(median, 2) if median is not None and count else None,
        ))
    drop_offs = [
        DropOff(step=name, contacts=stopped.get(k, 0), share=round(stopped.get(k, 0) / total, 4))
        for k, name in enumerate(STEPS) if total
    ]
    won = steps[-1].contacts
    if not total:
        notes.append("Nobody was first touched in the period (with these filters), so there is no journey to show.")
    elif not won:
        notes.append("No contact of this cohort has a won deal yet, so there is no time to close.")
    close_median, close_p90 = figures["close_median"], figures["close_p90"]
    return JourneyResult(
        notes=notes, contacts=total, won=won,
        time_to_close_median_days=round(close_median, 2) if won else None,
        time_to_close_p90_days=round(close_p90, 2) if won else None,
        steps=steps, top_paths=top_paths, drop_offs=drop_offs,
    )


REVIEW = Review(
    name="journey",
    title="Journey",
    summary="The funnel from first touch to won with the time each step takes, time to close, the common paths "
            "and where journeys stop.",
    query_type=JourneyQuery,
    result_type=JourneyResult,
    run=run,
)
