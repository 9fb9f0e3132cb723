"""Insights: what the business learns, backed by the queries that support it, and the list that counts them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from accord.conversations.insights import create_insight, link_queries
from accord.conversations.models import Insight, insight_query
from accord.conversations.queries import InsightSummary, SupportingQuery, insight_list, insight_summary
from accord.conversations.queries_service import open_query
from accord.errors import Invalid, NotFound
from accord.kernel.audit import Actor
from accord.kernel.models import AuditEvent
from factories import contact

ACTOR = Actor("test")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def heard(session):
    """Four queries from two people over three months."""
    naledi, sipho = contact(session, name="Naledi"), contact(session, name="Sipho")
    said = [
        (naledi, "question", "instagram", "Do you have a vegan platter?", utc(2026, 3, 2, 9, 0)),
        (sipho, "suggestion", "whatsapp", "Please add a plant-based option", utc(2026, 4, 14, 12, 30)),
        (naledi, "complaint", "email", "Delivery came an hour late", utc(2026, 5, 20, 17, 5)),
        (sipho, "concern", "phone", "Is the price going up in winter?", utc(2026, 5, 21, 8, 0)),
    ]
    return [open_query(session, who.id, kind, channel, text, actor=ACTOR, at=at)
            for who, kind, channel, text, at in said]


def supporting(query) -> SupportingQuery:
    return SupportingQuery(query.id, query.kind, query.channel, query.text, query.opened_at)


def test_an_insight_links_its_supporting_queries_and_the_list_counts_them(session, heard):
    vegan, plant, late, price = heard
    need = create_insight(session, "need", "  Vegan catering  ", "People ask for meat-free platters.",
                          [vegan.id, plant.id, vegan.id], actor=ACTOR, at=utc(2026, 5, 1, 10, 0))
    objection = create_insight(session, "objection", "Worried about winter prices", "", [price.id], actor=ACTOR,
                               at=utc(2026, 5, 22, 10, 0))
    idea = create_insight(session, "product_idea", "Track the delivery van", "", [], actor=ACTOR,
                          at=utc(2026, 5, 23, 10, 0))

    assert insight_list(session) == [
        InsightSummary(need.id, "need", "Vegan catering", "People ask for meat-free platters.",
                       utc(2026, 5, 1, 10, 0), 2, utc(2026, 4, 14, 12, 30), [supporting(plant), supporting(vegan)]),
        InsightSummary(objection.id, "objection", "Worried about winter prices", "", utc(2026, 5, 22, 10, 0), 1,
                       utc(2026, 5, 21, 8, 0), [supporting(price)]),
        InsightSummary(idea.id, "product_idea", "Track the delivery van", "", utc(2026, 5, 23, 10, 0), 0, None, []),
    ]

    assert link_queries(session, idea.id, [late.id], actor=ACTOR) == [late.id]
    assert link_queries(session, need.id, [plant.id, late.id], actor=ACTOR) == [late.id]  # plant was linked already
    summary = insight_summary(session, need.id)
    assert (summary.supporting, summary.latest_supporting_at, [q.query_id for q in summary.queries]) == (
        3, utc(2026, 5, 20, 17, 5), [late.id, plant.id, vegan.id])
    assert [(s.title, s.supporting) for s in insight_list(session)] == [
        ("Vegan catering", 3), ("Worried about winter prices", 1), ("Track the delivery van", 1)]

    audit = session.execute(select(AuditEvent.entity_id, AuditEvent.action, AuditEvent.summary, AuditEvent.after)
                            .where(AuditEvent.entity == "insight").order_by(AuditEvent.id)).all()
    assert [tuple(a) for a in audit] == [
        (need.id, "created", "Insight (need): Vegan catering",
         {"kind": "need", "title": "Vegan catering", "query_ids": [vegan.id, plant.id]}),
        (objection.id, "created", "Insight (objection): Worried about winter prices",
         {"kind": "objection", "title": "Worried about winter prices", "query_ids": [price.id]}),
        (idea.id, "created", "Insight (product idea): Track the delivery van",
         {"kind": "product_idea", "title": "Track the delivery van", "query_ids": []}),
        (idea.id, "queries_linked", "1 more query supports 'Track the delivery van'", {"query_ids": [late.id]}),
        (need.id, "queries_linked", "1 more query supports 'Vegan catering'", {"query_ids": [late.id]}),
    ]


def test_bad_input_names_the_field_and_the_id_and_stores_nothing(session, heard):
    vegan = heard[0]
    cases = [
        (("hunch", "Vegan", "", [vegan.id]), "kind", "'hunch' is not one of need, product_idea, objection"),
        (("need", "   ", "", [vegan.id]), "title", "empty; say in a few words what was learned"),
        (("need", "x" * 301, "", [vegan.id]), "title", "301 characters; the limit is 300"),
        (("need", "Vegan", "", [vegan.id, 424242]), "query_ids", "no query 424242"),
        (("need", "Vegan", "", [424242, 424243]), "query_ids", "no queries 424242, 424243"),
    ]
    for (kind, title, description, ids), field, reason in cases:
        with pytest.raises(Invalid) as caught:
            create_insight(session, kind, title, description, ids, actor=ACTOR)
        assert (caught.value.field, caught.value.reason) == (field, reason)
    assert session.scalar(select(func.count()).select_from(Insight)) == 0

    kept = create_insight(session, "need", "Vegan", "", [vegan.id], actor=ACTOR)
    with pytest.raises(Invalid) as unknown:
        link_queries(session, kept.id, [heard[1].id, 424242], actor=ACTOR)
    with pytest.raises(Invalid) as none:
        link_queries(session, kept.id, [], actor=ACTOR)
    with pytest.raises(NotFound, match="no insight 424242"):
        link_queries(session, 424242, [vegan.id], actor=ACTOR)
    with pytest.raises(NotFound, match="no insight 424242"):
        insight_summary(session, 424242)

    assert (unknown.value.field, unknown.value.reason) == ("query_ids", "no query 424242")
    assert (none.value.field, none.value.reason) == (
        "query_ids", "none given; choose the queries that support this insight")
    links = session.scalars(select(insight_query.c.query_id).where(insight_query.c.insight_id == kept.id)).all()
    assert links == [vegan.id]
