"""Needs: planted topics recovered exactly with their monthly shares and trends, insights, edge cases, real comments."""

from __future__ import annotations

import csv
import math
import random
import re
from datetime import date, datetime, time, timezone

import pyarrow as pa
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from stores import require_shared_data

from accord.errors import Invalid
from accord.reviews.base import get_review
from accord.reviews.needs import NeedsQuery, run
from warehouses import WAREHOUSE_PARAMS, warehouse_with

TS = pa.timestamp("us", tz="UTC")
SCHEMAS = {
    "query": pa.schema({"id": pa.int64(), "contact_id": pa.int64(), "text": pa.string(), "opened_at": TS,
                        "opened_day": pa.date32()}),
    "conversation": pa.schema({"id": pa.int64(), "contact_id": pa.int64()}),
    "message": pa.schema({"id": pa.int64(), "conversation_id": pa.int64(), "direction": pa.string(),
                          "body": pa.string(), "sent_at": TS, "sent_day": pa.date32()}),
    "engagement": pa.schema({"id": pa.int64(), "contact_id": pa.int64(), "kind": pa.string(), "text": pa.string(),
                             "is_spam": pa.bool_(), "occurred_at": TS, "occurred_day": pa.date32()}),
    "insight": pa.schema({"id": pa.int64(), "kind": pa.string(), "title": pa.string(), "created_at": TS,
                          "created_day": pa.date32()}),
    "insight_query": pa.schema({"insight_id": pa.int64(), "query_id": pa.int64()}),
}
PLANTED = {
    "baking": ("oven", "bake", "bread", "flour", "yeast", "dough"),
    "delivery": ("driver", "late", "route", "parcel", "courier", "deliver"),
    "billing": ("invoice", "payment", "refund", "billing", "receipt", "account"),
    "vegan": ("vegan", "plant", "tofu", "lentil", "salad", "vegetable"),
}
# Texts per month, January to June 2025: baking rises, delivery falls, the other two hold.
COUNTS = {"baking": (6, 9, 12, 15, 18, 21), "delivery": (24, 21, 18, 15, 12, 9),
          "billing": (15,) * 6, "vegan": (15,) * 6}
FILLER = ("please", "could", "you", "the", "and", "with")  # all English stop words


@pytest.fixture(params=WAREHOUSE_PARAMS)
def kind(request) -> str:
    return request.param


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), timezone.utc)


def build(kind, tmp_path, **rows):
    """A warehouse with every table the review reads, empty unless rows are given."""
    return warehouse_with(kind, {name: pa.Table.from_pylist(rows.get(name, []), schema=schema)
                                 for name, schema in SCHEMAS.items()}, tmp_path)


class Corpus:
    """Texts placed in queries, inbound messages and comments, with the noise the review must leave out."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {name: [] for name in SCHEMAS}
        self.contacts = 0

    def add(self, source: str, text: str, day: date, *, contact: int | None = None, **extra) -> int:
        if contact is None:
            self.contacts += 1
            contact = self.contacts
        if source == "query":
            row = {"id": len(self.rows["query"]) + 1, "contact_id": contact, "text": text, "opened_at": at(day),
                   "opened_day": day}
            self.rows["query"].append(row)
        elif source == "message":
            conversation = len(self.rows["conversation"]) + 1
            self.rows["conversation"].append({"id": conversation, "contact_id": contact})
            self.rows["message"].append({"id": len(self.rows["message"]) + 1, "conversation_id": conversation,
                                         "direction": extra.get("direction", "inbound"), "body": text,
                                         "sent_at": at(day), "sent_day": day})
        else:
            self.rows["engagement"].append({"id": len(self.rows["engagement"]) + 1, "contact_id": contact,
                                            "kind": extra.get("kind", "comment"), "text": text,
                                            "is_spam": extra.get("spam", False), "occurred_at": at(day),
                                            "occurred_day": day})
        return contact


def planted_corpus() -> tuple[Corpus, dict[str, int]]:
    """360 texts on four planted topics, plus texts the review must not read; and the texts per source read."""
    rng = random.Random(7)
    corpus = Corpus()
    sources = ("query", "message", "comment")
    read = {"queries": 0, "messages": 0, "comments": 0}
    n = 0
    for month in range(6):
        for topic, counts in COUNTS.items():
            for _ in range(counts[month]):
                words = rng.sample(PLANTED[topic], 4) + rng.sample(FILLER, 2)
                rng.shuffle(words)
                source = sources[n % 3]
                day = date(2025, month + 1, 1 + (n * 7) % 28)
                corpus.add(source, " ".join(words).capitalize() + "?", day)
                read[{"query": "queries", "message": "messages", "comment": "comments"}[source]] += 1
                n += 1
    # The same words from the same person in a query and then a message count once (but are read from both).
    first = corpus.rows["query"][0]
    corpus.add("message", first["text"], date(2025, 1, 20), contact=first["contact_id"])
    read["messages"] += 1
    off_topic = "karaoke microphone stage karaoke microphone singer"
    corpus.add("query", off_topic, date(2024, 12, 31))            # the day before the period
    corpus.add("comment", off_topic, date(2025, 7, 1))            # the first day after it
    corpus.add("comment", off_topic, date(2025, 3, 3), spam=True)
    corpus.add("comment", off_topic, date(2025, 3, 3), kind="form_submit")
    corpus.add("message", off_topic, date(2025, 3, 3), direction="outbound")
    return corpus, read


def slope(shares: list[float]) -> float:
    x_mean, y_mean = (len(shares) - 1) / 2, sum(shares) / len(shares)
    return sum((x - x_mean) * (y - y_mean) for x, y in enumerate(shares)) / sum(
        (x - x_mean) ** 2 for x in range(len(shares)))


def insight_rows() -> tuple[list[dict], list[dict]]:
    insights = [
        {"id": 1, "kind": "need", "title": "Faster delivery", "created_at": at(date(2025, 2, 10)),
         "created_day": date(2025, 2, 10)},
        {"id": 2, "kind": "product_idea", "title": "A vegan box", "created_at": at(date(2025, 3, 5)),
         "created_day": date(2025, 3, 5)},
        {"id": 3, "kind": "objection", "title": "Invoices are slow", "created_at": at(date(2024, 11, 1)),
         "created_day": date(2024, 11, 1)},
        {"id": 4, "kind": "need", "title": "Sourdough classes", "created_at": at(date(2025, 4, 1)),
         "created_day": date(2025, 4, 1)},
    ]
    links = [{"insight_id": 1, "query_id": q} for q in (1, 2, 3)] + [{"insight_id": 3, "query_id": q}
                                                                   for q in (4, 5, 6, 7, 8)]
    links += [{"insight_id": 4, "query_id": 9}]
    return insights, links


def test_planted_topics_shares_trends_and_insights_are_recovered_exactly(kind, tmp_path):
    corpus, read = planted_corpus()
    insights, links = insight_rows()
    warehouse = build(kind, tmp_path, **{**corpus.rows, "insight": insights, "insight_query": links})

    result = run(warehouse, NeedsQuery(from_on=date(2025, 1, 1), to_on=date(2025, 7, 1)))

    assert result.texts == 360
    assert result.texts_by_source == read
    found = {frozenset(t.terms[:6]): t for t in result.topics}
    assert set(found) == {frozenset(words) for words in PLANTED.values()}
    months = [f"2025-{m:02d}" for m in range(1, 7)]
    expected_topics, expected_months = [], []
    for topic, counts in COUNTS.items():
        got = found[frozenset(PLANTED[topic])]
        shares = [c / 60 for c in counts]
        expected_slope = slope(shares)
        trend = "rising" if expected_slope >= 0.02 else "falling" if expected_slope <= -0.02 else "steady"
        expected_topics.append((got.name, ", ".join(got.terms[:3]), sum(counts), round(sum(counts) / 360, 4),
                                round(expected_slope, 4), trend))
        expected_months += [(m, got.name, c, round(c / 60, 4)) for m, c in zip(months, counts)]
    assert [(t.name, ", ".join(t.terms[:3]), t.texts, t.share, t.slope, t.trend) for t in result.topics] == sorted(
        expected_topics, key=lambda t: (-t[2], t[0]))
    assert [(t.trend, t.slope) for t in result.topics if t.terms[0] in PLANTED["baking"]] == [("rising", 0.05)]
    order = {t.name: i for i, t in enumerate(result.topics)}
    assert [(m.month, m.topic, m.texts, m.share) for m in result.months] == sorted(
        expected_months, key=lambda m: (m[0], order[m[1]]))
    assert [(i.id, i.kind, i.title, i.created_day, i.supporting_queries) for i in result.insights] == [
        (1, "need", "Faster delivery", date(2025, 2, 10), 3),
        (4, "need", "Sourdough classes", date(2025, 4, 1), 1),
        (2, "product_idea", "A vegan box", date(2025, 3, 5), 0),
    ]
    assert any(note.startswith("4 topics: of 2 to 8 topics") for note in result.notes)
    assert result.rows()[0] == {"topic": result.topics[0].name, "terms": ", ".join(result.topics[0].terms),
                                "texts": result.topics[0].texts, "share": result.topics[0].share,
                                "slope_per_month": result.topics[0].slope, "trend": result.topics[0].trend}
    assert [c["title"] for c in result.charts()] == ["Share of texts by topic",
                                                             "Insights and the queries that support them"]


def test_asking_for_the_planted_number_gives_the_same_topics_and_one_source_reads_only_it(tmp_path):
    corpus, _ = planted_corpus()
    warehouse = build("duckdb", tmp_path, **corpus.rows)
    period = {"from_on": date(2025, 1, 1), "to_on": date(2025, 7, 1)}

    chosen = run(warehouse, NeedsQuery(**period))
    asked = run(warehouse, NeedsQuery(**period, topics=4))
    queries_only = run(warehouse, NeedsQuery(**period, sources=("queries",), topics=4))

    assert asked.topics == chosen.topics and asked.months == chosen.months
    assert (queries_only.texts, queries_only.texts_by_source) == (120, {"queries": 120})
    assert sum(t.texts for t in queries_only.topics) == 120


def test_the_same_words_from_many_people_count_once_per_person(tmp_path):
    single, _ = planted_corpus()
    tripled = Corpus()
    for row in single.rows["query"]:
        if row["opened_day"].year == 2025:
            for _ in range(3):
                tripled.add("query", row["text"], row["opened_day"])
    query = NeedsQuery(from_on=date(2025, 1, 1), to_on=date(2025, 7, 1), topics=4)

    once = run(build("duckdb", tmp_path, query=single.rows["query"]), query)
    thrice = run(build("duckdb", tmp_path, query=tripled.rows["query"]), query)

    assert (once.texts, thrice.texts) == (120, 360)
    assert [(set(t.terms[:6]), 3 * t.texts, t.share, t.trend) for t in once.topics] == [
        (set(t.terms[:6]), t.texts, t.share, t.trend) for t in thrice.topics]
    assert [(m.month, 3 * m.texts, m.share) for m in once.months] == [
        (m.month, m.texts, m.share) for m in thrice.months]


def test_no_texts_gives_notes_and_still_lists_insights(kind, tmp_path):
    insights, links = insight_rows()
    result = run(build(kind, tmp_path, insight=insights, insight_query=links),
                 NeedsQuery(from_on=date(2025, 2, 1), to_on=date(2025, 3, 1)))

    assert (result.texts, result.topics, result.months, result.rows(), result.charts()[0]["mark"]["type"]) == (
        0, [], [], [], "bar")
    assert [(i.id, i.supporting_queries) for i in result.insights] == [(1, 3)]
    assert result.notes[-1] == "There are no texts in this period, so there are no topics."


def test_fewer_texts_than_topics_no_shared_words_and_too_few_months(tmp_path):
    few = Corpus()
    for word in ("oven bread", "oven dough", "bread dough"):
        few.add("query", word, date(2025, 1, 5))
    result = run(build("duckdb", tmp_path, **few.rows), NeedsQuery(topics=5))
    assert (result.texts, result.topics, result.notes[-1]) == (3, [], "Only 3 texts: too few to find 5 topics.")

    distinct = Corpus()
    for word in ("oven", "driver", "invoice", "tofu"):
        distinct.add("comment", word, date(2025, 1, 5))
    result = run(build("duckdb", tmp_path, **distinct.rows), NeedsQuery())
    assert result.topics == [] and result.notes[-1].startswith("No word appears in at least two texts")

    two_months = Corpus()
    for i in range(12):
        words = PLANTED["baking"][:4] if i % 2 else PLANTED["billing"][:4]
        two_months.add("query", " ".join(words), date(2025, 1 + i % 2, 10 + i))
    result = run(build("duckdb", tmp_path, **two_months.rows), NeedsQuery(topics=2))
    assert [(t.texts, t.slope, t.trend) for t in result.topics] == [(6, None, None), (6, None, None)]
    assert "Texts fall in 2 month(s); a trend needs at least 3, so no topic is called rising or falling." in (
        result.notes)


def test_bad_query_values_name_the_field():
    review = get_review("needs")
    with pytest.raises(ValueError, match="topics"):
        review.query_type(topics=1)
    with pytest.raises(ValueError, match="sources"):
        review.query_type(sources=("tweets",))
    with pytest.raises(Invalid, match="sources: choose at least one of queries, messages, comments"):
        review.query_type(sources=())


def _youtube_comments() -> list[dict]:
    """Every dated comment of the collection as an engagement (undated ones cannot fall in a period)."""
    folder = require_shared_data("youtube-spam-collection")
    authors: dict[str, int] = {}
    rows = []
    for path in sorted(folder.glob("Youtube0*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for record in csv.DictReader(handle):
                if not record["DATE"]:
                    continue
                moment = datetime.fromisoformat(record["DATE"]).replace(tzinfo=timezone.utc)
                rows.append({"id": len(rows) + 1, "contact_id": authors.setdefault(record["AUTHOR"], len(authors) + 1),
                             "kind": "comment", "text": record["CONTENT"], "is_spam": record["CLASS"] == "1",
                             "occurred_at": moment, "occurred_day": moment.date()})
    return rows


def _floats(value) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list | tuple):
        return [f for v in value for f in _floats(v)]
    return []


@pytest.mark.realdata
def test_real_youtube_comments_give_stable_sensible_topics(kind, tmp_path):
    comments = _youtube_comments()
    ham = [c for c in comments if not c["is_spam"]]
    query = NeedsQuery(topics=5)

    forward = run(build(kind, tmp_path, engagement=comments), query)
    backward = run(build("duckdb", tmp_path, engagement=comments[::-1]), query)
    again = run(build("duckdb", tmp_path, engagement=comments), query)

    assert forward.model_dump() == backward.model_dump() == again.model_dump()
    assert forward.texts_by_source == {"comments": len(ham)}
    assert forward.texts == len({(c["contact_id"], c["text"]) for c in ham})
    assert all(math.isfinite(f) for f in _floats(forward.model_dump()))
    assert len(forward.topics) == 5
    per_month: dict[str, list[tuple[int, float]]] = {}
    for line in forward.months:
        per_month.setdefault(line.month, []).append((line.texts, line.share))
    assert all(abs(sum(share for _, share in lines) - 1) < 5e-4 for lines in per_month.values())
    assert sum(t.texts for t in forward.topics) == sum(texts for lines in per_month.values() for texts, _ in lines)
    terms = {term for t in forward.topics for term in t.terms}
    # The videos' own subjects come out as topics: four of the five artists are among the top terms.
    assert {"shakira", "katy", "eminem", "lmfao"} <= terms
    words_per_text = [set(re.findall(r"[a-z]+", c["text"].lower())) for c in ham]
    assert all(term not in ENGLISH_STOP_WORDS and len(term) >= 3 for term in terms)
    assert all(sum(term in words for words in words_per_text) >= 2 for term in terms)

