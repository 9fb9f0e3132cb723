"""Customer needs over time: the topics people raise in queries, messages and comments, and the insights recorded."""

from __future__ import annotations

import html
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import altair as alt
import ibis
import numpy as np
from pydantic import BaseModel, Field, field_validator
from scipy.optimize import linear_sum_assignment
from scipy.sparse import diags
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer

from accord.errors import Invalid
from accord.reviews.base import Review, ReviewQuery, ReviewResult, in_period, warehouse_table

Source = Literal["queries", "messages", "comments"]
SOURCES: tuple[Source, ...] = ("queries", "messages", "comments")
# Engagements whose text is feedback in the person's own words; direct messages and questions are read from
# `message` and `query`, where the conversation keeps them, so they are not counted twice.
FEEDBACK_KINDS = ("comment", "reply", "mention", "review")
TOP_TERMS = 8
NAME_TERMS = 3
MAX_ITER = 1000
# Choosing the number of topics fits the model 6 times per candidate: on at most CHOICE_TEXTS texts and with
# fewer iterations, which is enough to compare stability and keeps a large year of texts within seconds.
CHOICE_TEXTS = 2000
CHOICE_MAX_ITER = 200
# Stability: refit on RESAMPLES random 80% subsets and compare with the fit on all texts.
RESAMPLES = 5
RESAMPLE_SHARE = 0.8
# Among numbers of topics whose stability is within this of the best, the smallest wins: fewer topics
# that are as stable are easier to read.
STABILITY_TOLERANCE = 0.01
MIN_MONTHS_FOR_TREND = 3
_MARKUP = re.compile(r"<[^>]*>|https?://\S+|www\.\S+")


class NeedsQuery(ReviewQuery):
    """Which texts to read, how many topics to find (or let the review choose) and when a topic is moving."""

    sources: tuple[Source, ...] = Field(default=SOURCES, description="where the texts come from")
    topics: int | None = Field(default=None, ge=2, le=30,
                               description="number of topics; empty: the most stable number up to max_topics")
    max_topics: int = Field(default=8, ge=2, le=30, description="largest number of topics tried when choosing")
    trend_threshold: float = Field(default=0.02, gt=0, le=1,
                                   description="monthly change in share that makes a topic rising or falling")

    @field_validator("sources")
    @classmethod
    def _some_distinct_sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise Invalid("sources", f"choose at least one of {', '.join(SOURCES)}")
        return tuple(dict.fromkeys(value))


class Topic(BaseModel):
    """One topic: named by its top terms, how many texts are mostly about it, and where its share is heading."""

    name: str
    terms: list[str]
    texts: int
    share: float
    slope: float | None
    trend: Literal["rising", "falling", "steady"] | None


class TopicMonth(BaseModel):
    """The share of one month's texts that are mostly about one topic."""

    month: str
    topic: str
    texts: int
    share: float


class InsightLine(BaseModel):
    """An insight recorded in the period and how many queries support it."""

    id: int
    kind: str
    title: str
    created_day: date
    supporting_queries: int


class NeedsResult(ReviewResult):
    """Topics with their monthly shares and trends, and the insights recorded in the period."""

    texts: int = 0
    texts_by_source: dict[str, int] = Field(default_factory=dict)
    topics: list[Topic] = Field(default_factory=list)
    months: list[TopicMonth] = Field(default_factory=list)
    insights: list[InsightLine] = Field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """One row a topic, biggest first."""
        return [
            {"topic": t.name, "terms": ", ".join(t.terms), "texts": t.texts, "share": t.share,
             "slope_per_month": t.slope, "trend": t.trend}
            for t in self.topics
        ]

    def charts(self) -> list[dict[str, Any]]:
        """Monthly share per topic, and the insights by their supporting queries."""
        charts = []
        if self.months:
            data = alt.Data(values=[m.model_dump() for m in self.months])
            charts.append(
                alt.Chart(data, title="Share of texts by topic")
                .mark_line(point=True)
                .encode(
                    x=alt.X("month:O", title=None),
                    y=alt.Y("share:Q", title="share of the month's texts", axis=alt.Axis(format="%")),
                    color=alt.Color("topic:N", title="topic"),
                    tooltip=["month:O", "topic:N", "texts:Q", alt.Tooltip("share:Q", format=".1%")],
                )
                .to_dict()
            )
        if self.insights:
            data = alt.Data(values=[{"title": i.title, "supporting_queries": i.supporting_queries}
                                    for i in self.insights])
            charts.append(
                alt.Chart(data, title="Insights and the queries that support them")
                .mark_bar()
                .encode(x=alt.X("supporting_queries:Q", title="supporting queries"),
                        y=alt.Y("title:N", sort="-x", title=None))
                .to_dict()
            )
        return charts


def _texts(warehouse: Any, query: NeedsQuery) -> tuple[list[tuple[date, str]], dict[str, int]]:
    """(day, text) of every distinct text a contact wrote in the period, and the count per source before that."""
    parts = []
    if "queries" in query.sources:
        q = in_period(warehouse_table(warehouse, "query"), "opened_day", query)
        parts.append(q.select(source=ibis.literal("queries"), contact_id=q.contact_id, day=q.opened_day, text=q.text))
    if "messages" in query.sources:
        m, c = warehouse_table(warehouse, "message"), warehouse_table(warehouse, "conversation")
        inbound = in_period(m.filter(m.direction == "inbound"), "sent_day", query)
        joined = inbound.join(c, inbound.conversation_id == c.id)
        parts.append(joined.select(source=ibis.literal("messages"), contact_id=joined.contact_id,
                                   day=joined.sent_day, text=joined.body))
    if "comments" in query.sources:
        e = warehouse_table(warehouse, "engagement")
        e = in_period(e.filter(e.kind.isin(FEEDBACK_KINDS), ~e.is_spam, e.text.notnull()), "occurred_day", query)
        parts.append(e.select(source=ibis.literal("comments"), contact_id=e.contact_id, day=e.occurred_day,
                              text=e.text))
    every = ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]
    by_source = {row["source"]: row["n"] for row in
                 every.group_by("source").aggregate(n=every.source.count()).to_pyarrow().to_pylist()}
    # The same words from the same person (a message that opened a query, a comment imported twice) count once.
    distinct = every.group_by(["contact_id", "text"]).aggregate(day=every.day.min())
    rows = distinct.to_pyarrow().to_pylist()
    # Sorted here, not in the engine: text collation differs between backends, and the model must see one order.
    texts = sorted((r["day"], r["contact_id"], r["text"]) for r in rows)
    return [(day, text) for day, _, text in texts], by_source


def _clean(text: str) -> str:
    """Text without markup, links, entities and zero-width marks, which say nothing about needs."""
    return _MARKUP.sub(" ", html.unescape(text)).replace("\ufeff", " ").replace("\ufffd", " ").strip()


@dataclass(frozen=True)
class _Corpus:
    """The distinct cleaned texts as TF-IDF rows, the row each text repeats, and the terms."""

    matrix: Any
    row_of: np.ndarray
    terms: np.ndarray

    def weighted(self, texts: np.ndarray) -> Any:
        """The rows of these texts, each distinct one once, scaled by the square root of how often it occurs.

        For NMF's squared error that is the same problem as every copy as its own row, at the cost of one row.
        """
        counts = np.bincount(self.row_of[texts], minlength=self.matrix.shape[0])
        present = np.flatnonzero(counts)
        return diags(np.sqrt(counts[present])) @ self.matrix[present]


def _corpus(texts: list[str]) -> _Corpus:
    """TF-IDF over all texts (so repeats count in document frequency); ValueError when no word recurs."""
    vectorizer = TfidfVectorizer(stop_words="english", strip_accents="unicode", sublinear_tf=True,
                                 min_df=2, max_df=0.95, token_pattern=r"(?u)\b[^\W\d_]{3,}\b")
    vectorizer.fit(texts)
    distinct, row_of = np.unique(np.array(texts, dtype=object), return_inverse=True)
    return _Corpus(vectorizer.transform(distinct.tolist()), row_of.reshape(-1), vectorizer.get_feature_names_out())


def _fit(matrix: Any, k: int, max_iter: int = MAX_ITER) -> tuple[np.ndarray, np.ndarray]:
    """Row-topic weights and topic-term weights of a deterministic NMF."""
    model = NMF(n_components=k, init="nndsvda", random_state=0, max_iter=max_iter)
    weights = model.fit_transform(matrix)
    return weights, model.components_


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def _stability(corpus: _Corpus, pool: np.ndarray, k: int) -> float:
    """How alike the topics stay when refitted on random 80% subsets: mean cosine of best-matched topics."""
    _, reference = _fit(corpus.weighted(pool), k, CHOICE_MAX_ITER)
    rng = np.random.default_rng(0)
    scores = []
    for _ in range(RESAMPLES):
        matrix = corpus.weighted(rng.choice(pool, int(len(pool) * RESAMPLE_SHARE), replace=False))
        if matrix.shape[0] < k:  # too few distinct texts left to hold k topics: as unstable as it gets
            scores.append(0.0)
            continue
        _, refitted = _fit(matrix, k, CHOICE_MAX_ITER)
        similarity = _unit_rows(reference) @ _unit_rows(refitted).T
        matched_rows, matched_cols = linear_sum_assignment(-similarity)
        scores.append(float(similarity[matched_rows, matched_cols].mean()))
    return float(np.mean(scores))


def _choose_k(corpus: _Corpus, largest: int) -> tuple[int, str]:
    """The smallest number of topics (2..largest) as stable as the most stable, and a note on the choice."""
    texts = len(corpus.row_of)
    pool = np.arange(texts)
    if texts > CHOICE_TEXTS:
        pool = np.sort(np.random.default_rng(0).choice(texts, CHOICE_TEXTS, replace=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = {k: _stability(corpus, pool, k) for k in range(2, largest + 1)}
    best = max(scores.values())
    k = min(k for k, score in scores.items() if score >= best - STABILITY_TOLERANCE)
    sample = f" (on a random {len(pool)} of the {texts} texts)" if len(pool) < texts else ""
    return k, (f"{k} topics: of 2 to {largest} topics, the smallest number whose topics stay as stable (within "
               f"{STABILITY_TOLERANCE}) as the most stable when the model is refitted on {RESAMPLES} random "
               f"{RESAMPLE_SHARE:.0%} subsets{sample}; stability {scores[k]:.3f}.")


def _names(top: list[list[str]]) -> list[str]:
    """Each topic's first terms as its name, numbered when two topics would share one."""
    names = [", ".join(words[:NAME_TERMS]) or "(no terms)" for words in top]
    seen: Counter[str] = Counter()
    unique = []
    for name in names:
        seen[name] += 1
        unique.append(name if names.count(name) == 1 else f"{name} ({seen[name]})")
    return unique


def _month_number(label: str) -> int:
    year, month = label.split("-")
    return int(year) * 12 + int(month)


def _slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of share against month number."""
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    return float(((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum())


def _trend(slope: float | None, threshold: float) -> Literal["rising", "falling", "steady"] | None:
    if slope is None:
        return None
    return "rising" if slope >= threshold else "falling" if slope <= -threshold else "steady"


def _topics(cleaned: list[tuple[date, str]], corpus: _Corpus, k: int, query: NeedsQuery,
            notes: list[str]) -> tuple[list[Topic], list[TopicMonth]]:
    """Fit k topics, give each text its strongest topic, and count the topics month by month."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        weights, components = _fit(corpus.weighted(np.arange(len(corpus.row_of))), k)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        notes.append(f"The topic model had not fully converged after {MAX_ITER} iterations.")
    top = [[str(corpus.terms[i]) for i in np.argsort(-row, kind="stable")[:TOP_TERMS] if row[i] > 0]
           for row in components]
    names = _names(top)
    # Every distinct text occurs at least once, so the weighted rows are the distinct texts in order.
    placed = (weights.max(axis=1) > 0)[corpus.row_of]
    dominant = weights.argmax(axis=1)[corpus.row_of]
    if not placed.any():
        notes.append("No text has weight on any topic, so there are no shares to give.")
        return [], []
    if not placed.all():
        notes.append(f"{int((~placed).sum())} texts have none of the topics' words and are left out of the shares.")
    months = [f"{day:%Y-%m}" for day, _ in cleaned]
    per_month = Counter(m for m, ok in zip(months, placed) if ok)
    per_topic_month = Counter((m, int(t)) for m, t, ok in zip(months, dominant, placed) if ok)
    ordered_months = sorted(per_month, key=_month_number)
    if len(ordered_months) < MIN_MONTHS_FOR_TREND:
        notes.append(f"Texts fall in {len(ordered_months)} month(s); a trend needs at least "
                     f"{MIN_MONTHS_FOR_TREND}, so no topic is called rising or falling.")
    notes.append(f"A text belongs to the topic with its largest weight; rising or falling means the monthly share "
                 f"moves by at least {query.trend_threshold:.1%} of the month's texts a month (least-squares slope).")
    topics, lines = [], []
    for t in range(k):
        series = [(_month_number(m), per_topic_month[(m, t)] / per_month[m]) for m in ordered_months]
        slope = _slope(series) if len(series) >= MIN_MONTHS_FOR_TREND else None
        count = sum(per_topic_month[(m, t)] for m in ordered_months)
        topics.append(Topic(name=names[t], terms=top[t], texts=count, share=round(count / int(placed.sum()), 4),
                            slope=None if slope is None else round(slope, 4),
                            trend=_trend(slope, query.trend_threshold)))
        lines += [TopicMonth(month=m, topic=names[t], texts=per_topic_month[(m, t)],
                             share=round(per_topic_month[(m, t)] / per_month[m], 4)) for m in ordered_months]
    topics.sort(key=lambda t: (-t.texts, t.name))
    rank = {t.name: i for i, t in enumerate(topics)}
    return topics, sorted(lines, key=lambda m: (_month_number(m.month), rank[m.topic]))


def _insights(warehouse: Any, query: NeedsQuery) -> list[InsightLine]:
    """Insights recorded in the period, with the number of queries linked to each."""
    insight, links = warehouse_table(warehouse, "insight"), warehouse_table(warehouse, "insight_query")
    support = links.group_by("insight_id").aggregate(supporting_queries=links.query_id.nunique())
    recorded = in_period(insight, "created_day", query)
    joined = recorded.left_join(support, recorded.id == support.insight_id)
    rows = joined.select(
        id=joined.id, kind=joined.kind, title=joined.title, created_day=joined.created_day,
        supporting_queries=joined.supporting_queries.fill_null(0),
    ).to_pyarrow().to_pylist()
    lines = [InsightLine(**row) for row in rows]
    return sorted(lines, key=lambda i: (-i.supporting_queries, i.created_day, i.id))


def run(warehouse: Any, query: NeedsQuery) -> NeedsResult:
    """Find the topics of the period's texts, their monthly shares and trends, and list the insights."""
    dated, by_source = _texts(warehouse, query)
    insights = _insights(warehouse, query)
    cleaned = [(day, text) for day, text in ((day, _clean(raw)) for day, raw in dated) if text]
    described = ", ".join(f"{by_source.get(s, 0)} {s}" for s in query.sources)
    notes = [f"Read {len(cleaned)} distinct texts ({described} before repeats by the same person were removed)."]
    if "comments" in query.sources:
        notes.append(f"Comments are engagements of kind {', '.join(FEEDBACK_KINDS)} that are not spam.")

    def without_topics(reason: str) -> NeedsResult:
        return NeedsResult(notes=[*notes, reason], texts=len(cleaned), texts_by_source=by_source, insights=insights)

    if not cleaned:
        return without_topics("There are no texts in this period, so there are no topics.")
    wanted = query.topics or 2
    if len(cleaned) < max(wanted, 3):
        return without_topics(f"Only {len(cleaned)} texts: too few to find {wanted} topics.")
    try:
        corpus = _corpus([text for _, text in cleaned])
    except ValueError:
        return without_topics("No word appears in at least two texts (after common words are left out), so there "
                              "are no topics to find.")
    distinct, recurring = corpus.matrix.shape
    largest = min(distinct, recurring)
    if query.topics is not None and query.topics > largest:
        return without_topics(f"{query.topics} topics asked for, but the texts hold only {distinct} different "
                              f"texts and {recurring} words that recur: at most {largest} topics.")
    if query.topics is None and largest < 2:
        return without_topics("The texts hold too few different texts or recurring words for two topics.")
    if query.topics is None:
        k, how = _choose_k(corpus, min(query.max_topics, largest))
        notes.append(how)
    else:
        k = query.topics
    topics, months = _topics(cleaned, corpus, k, query, notes)
    return NeedsResult(notes=notes, texts=len(cleaned), texts_by_source=by_source, insights=insights,
                       topics=topics, months=months)


REVIEW = Review(
    name="needs",
    title="Customer needs",
    summary="The topics people raise in queries, messages and comments, month by month, and the insights recorded.",
    query_type=NeedsQuery,
    result_type=NeedsResult,
    run=run,
)
