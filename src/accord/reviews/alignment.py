"""The alignment scorecard: how well the loop ran, each figure with its numerator and denominator."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Literal

import altair as alt
import ibis
from pydantic import BaseModel, Field

from accord.conversations.sla import nearest_rank
from accord.errors import Invalid
from accord.kernel.clock import BusinessHours
from accord.reviews.base import Review, ReviewQuery, ReviewResult, in_period, warehouse_table

LEAD_STAGES = ("lead", "opportunity", "customer", "ambassador")
# A deal that reached one of these was accepted by sales; nurture and lost are not acceptance on their own.
ACCEPTED_STAGES = ("qualified", "proof", "proposal", "closing", "won")


class AlignmentQuery(ReviewQuery):
    """The period, and the first-response target in business hours."""

    sla_hours: float = Field(default=8, gt=0, le=336, description="first-response target, in business hours")


class Measure(BaseModel):
    """One figure of the scorecard: a share (numerator ÷ denominator) or a time in business hours."""

    key: str
    measure: str
    value: float | None
    unit: Literal["share", "business hours"]
    numerator: int | None
    denominator: int
    note: str = ""


class AlignmentResult(ReviewResult):
    """The scorecard's figures in a fixed order."""

    sla_hours: float = Field(default=8, title="First-response target (business hours)")
    measures: list[Measure] = Field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """One row a figure."""
        return [m.model_dump() for m in self.measures]

    def charts(self) -> list[dict[str, Any]]:
        """The shares of the scorecard as bars from 0 to 100%."""
        shares = [{"measure": m.measure, "value": m.value, "numerator": m.numerator, "denominator": m.denominator}
                  for m in self.measures if m.unit == "share" and m.value is not None]
        if not shares:
            return []
        return [
            alt.Chart(alt.Data(values=shares), title="Alignment scorecard")
            .mark_bar()
            .encode(
                x=alt.X("value:Q", title="share", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
                y=alt.Y("measure:N", sort=None, title=None),
                tooltip=["measure:N", alt.Tooltip("value:Q", format=".1%"), "numerator:Q", "denominator:Q"],
            )
            .to_dict()
        ]


def _share(key: str, label: str, numerator: int, denominator: int, empty: str, note: str = "") -> Measure:
    """A share with its parts; without a denominator the value is left empty and the note says why."""
    if denominator == 0:
        return Measure(key=key, measure=label, value=None, unit="share", numerator=numerator, denominator=0,
                       note=f"no {empty} in the period")
    return Measure(key=key, measure=label, value=round(numerator / denominator, 4), unit="share",
                   numerator=numerator, denominator=denominator, note=note)


def _scalar(expr: ibis.Value) -> int:
    return int(expr.to_pyarrow().as_py() or 0)


def _parsed(value: Any) -> Any:
    # JSON columns arrive as text on some backends (Spark has no JSON type) and as objects on others.
    return json.loads(value) if isinstance(value, str | bytes) else value


def _business_hours(warehouse: Any) -> BusinessHours:
    rows = (warehouse_table(warehouse, "workspace").select("timezone", "business_hours", "holidays")
            .limit(1).to_pyarrow().to_pylist())
    if not rows:
        raise Invalid("warehouse", "it has no workspace row; run `accord init`, then `accord sync`")
    row = rows[0]
    return BusinessHours.from_config(row["timezone"], _parsed(row["business_hours"]) or {},
                                     _parsed(row["holidays"]) or [])


def _utc(moment: datetime) -> datetime:
    # Backends without time-zone-aware timestamps (Spark) hand back naive values, which the warehouse keeps in UTC.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _response_times(key: str, what: str, pairs: list[dict[str, Any]], total: int, hours: BusinessHours,
                    sla_hours: float) -> list[Measure]:
    """Median and p90 first-response time in business hours, and the share answered within the target."""
    seconds = sorted(hours.seconds_between(_utc(p["start"]), _utc(p["end"])) for p in pairs)
    within = sum(1 for s in seconds if s <= sla_hours * 3600)
    measures = []
    for share, name in ((0.5, "median"), (0.9, "p90")):
        value = round(nearest_rank(seconds, share) / 3600, 2) if seconds else None
        note = "" if seconds else f"none of the period's {what} was answered"
        measures.append(Measure(key=f"{key}_response_{name}", measure=f"{what.capitalize()}: {name} first response",
                                value=value, unit="business hours", numerator=None, denominator=len(seconds),
                                note=note))
    measures.append(_share(f"{key}_within_sla", f"{what.capitalize()}: answered within {sla_hours:g} business hours",
                           within, total, what, note="one still waiting counts as not answered in time"))
    return measures


def _engagers_contacted(warehouse: Any, query: AlignmentQuery) -> Measure:
    """Engagers in the period whom a person answered or wrote to after they engaged."""
    engagement = warehouse_table(warehouse, "engagement")
    period = in_period(engagement.filter(~engagement.is_spam), "occurred_day", query)
    engagers = period.group_by("contact_id").aggregate(
        first_at=period.occurred_at.min(), answered=period.answered_at.notnull().any())
    message, conversation = warehouse_table(warehouse, "message"), warehouse_table(warehouse, "conversation")
    personal = message.filter(message.direction == "outbound", message.author_user_id.notnull())
    personal = personal.join(conversation, personal.conversation_id == conversation.id).select(
        who=conversation.contact_id, sent_at=personal.sent_at)
    written = engagers.join(personal, [engagers.contact_id == personal.who, personal.sent_at >= engagers.first_at])
    written = written.select(written_to=written.contact_id).distinct()
    flagged = engagers.left_join(written, engagers.contact_id == written.written_to)
    counts = flagged.aggregate(
        engagers=flagged.contact_id.count(),
        contacted=(flagged.answered | flagged.written_to.notnull()).sum(),
    ).to_pyarrow().to_pylist()[0]
    return _share("engagers_contacted", "Engagers contacted personally", int(counts["contacted"] or 0),
                  int(counts["engagers"]), "engagers")


def _engagement_responses(warehouse: Any, query: AlignmentQuery, hours: BusinessHours) -> list[Measure]:
    """From each engagement of the period (not spam) to its answer."""
    engagement = warehouse_table(warehouse, "engagement")
    period = in_period(engagement.filter(~engagement.is_spam), "occurred_day", query)
    answered = period.filter(period.answered_at.notnull()).select(start=period.occurred_at, end=period.answered_at)
    return _response_times("engagement", "engagements", answered.to_pyarrow().to_pylist(),
                           _scalar(period.count()), hours, query.sla_hours)


def _query_responses(warehouse: Any, query: AlignmentQuery, hours: BusinessHours) -> list[Measure]:
    """From each query opened in the period to its first response."""
    period = in_period(warehouse_table(warehouse, "query"), "opened_day", query)
    answered = period.filter(period.first_response_at.notnull()).select(start=period.opened_at,
                                                                        end=period.first_response_at)
    return _response_times("query", "queries", answered.to_pyarrow().to_pylist(), _scalar(period.count()),
                           hours, query.sla_hours)


def _permission_asked(warehouse: Any, query: AlignmentQuery) -> Measure:
    """Contacts whose deal went to nurture in the period who gave a permission since that deal began."""
    change, deal, consent = (warehouse_table(warehouse, n) for n in ("deal_stage_change", "deal", "consent"))
    moved = in_period(change.filter(change.to_stage == "nurture"), "changed_day", query)
    moved = moved.join(deal, moved.deal_id == deal.id)
    nurtured = moved.group_by(moved.contact_id).aggregate(since=moved.created_at.min())
    asked = nurtured.join(consent, [nurtured.contact_id == consent.contact_id,
                                    consent.granted_at >= nurtured.since])
    return _share("permission_asked", "Not ready to buy: permission to stay in touch given",
                  _scalar(asked.contact_id.nunique()), _scalar(nurtured.count()), "deals moved to nurture")


def _follow_ups(warehouse: Any, query: AlignmentQuery) -> Measure:
    """Tasks due in the period that were done by their due time."""
    due = in_period(warehouse_table(warehouse, "task"), "due_day", query)
    on_time = due.filter(due.done_at.notnull(), due.done_at <= due.due_at)
    return _share("follow_ups_on_time", "Follow-ups done by their due time", _scalar(on_time.count()),
                  _scalar(due.count()), "follow-ups due")


def _leads_accepted(warehouse: Any, query: AlignmentQuery) -> Measure:
    """Leads first seen in the period whose deal reached qualified or later."""
    contact, deal, change = (warehouse_table(warehouse, n) for n in ("contact", "deal", "deal_stage_change"))
    reached = change.filter(change.to_stage.isin(ACCEPTED_STAGES)).select(change.deal_id)
    deals = deal.mutate(accepted=deal.stage.isin(ACCEPTED_STAGES) | deal.id.isin(reached.deal_id))
    per_contact = deals.group_by(deals.contact_id.name("who")).aggregate(accepted=deals.accepted.any())
    cohort = in_period(contact.filter(contact.merged_into_id.isnull(), contact.lifecycle_stage.isin(LEAD_STAGES)),
                       "created_day", query)
    joined = cohort.left_join(per_contact, cohort.id == per_contact.who)
    # Customers who bought without ever having a deal were never handed to sales, so they are not leads.
    leads = joined.filter(joined.lifecycle_stage.isin(("lead", "opportunity")) | joined.who.notnull())
    counts = leads.aggregate(leads=leads.id.count(),
                             accepted=leads.accepted.fill_null(False).sum()).to_pyarrow().to_pylist()[0]
    return _share("leads_accepted", "Marketing leads accepted by sales", int(counts["accepted"] or 0),
                  int(counts["leads"]), "new leads")


def _queries_to_insights(warehouse: Any, query: AlignmentQuery) -> Measure:
    """Queries opened in the period that support at least one insight."""
    opened = in_period(warehouse_table(warehouse, "query"), "opened_day", query)
    links = warehouse_table(warehouse, "insight_query")
    used = opened.filter(opened.id.isin(links.query_id))
    return _share("queries_to_insights", "Queries that support an insight", _scalar(used.count()),
                  _scalar(opened.count()), "queries")


def run(warehouse: Any, query: AlignmentQuery) -> AlignmentResult:
    """Score the period: contact, response times, permission, follow-ups, hand-offs and learning from queries."""
    hours = _business_hours(warehouse)
    measures = [
        _engagers_contacted(warehouse, query),
        *_engagement_responses(warehouse, query, hours),
        *_query_responses(warehouse, query, hours),
        _permission_asked(warehouse, query),
        _follow_ups(warehouse, query),
        _leads_accepted(warehouse, query),
        _queries_to_insights(warehouse, query),
    ]
    notes = [
        "Engagers: contacts with an engagement in the period that is not spam; contacted: one of those engagements "
        "was answered, or a person (not an automation) wrote to them after their first engagement of the period.",
        f"Response times count only the workspace's business hours ({hours.tz.key}, holidays closed), from the "
        "engagement or query to its first answer; the median and p90 are of the answered ones (nearest rank).",
        "Permission: contacts whose deal moved to nurture in the period, and of them those who gave any consent "
        "since that deal was opened. A refusal is not recorded, so this counts permission given.",
        "Follow-ups: tasks due in the period, done by their due time. Leads: contacts first seen in the period who "
        "reached lead or later (not customers who bought without a deal); accepted: a deal of theirs reached "
        "qualified or a later stage. Queries opened in the period that are linked to an insight.",
    ]
    notes += [f"{m.measure}: {m.note}." for m in measures if m.denominator == 0]
    return AlignmentResult(notes=notes, sla_hours=query.sla_hours, measures=measures)


REVIEW = Review(
    name="alignment",
    title="Alignment scorecard",
    summary="Engagers contacted, response times against the target, permission asked, follow-ups kept, "
            "leads accepted and queries turned into insights.",
    query_type=AlignmentQuery,
    result_type=AlignmentResult,
    run=run,
)
