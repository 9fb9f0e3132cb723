"""Attribution: hand-worked credits for every heuristic model, Markov and Shapley checked against independent maths."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import count, permutations
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest

from accord.errors import Invalid
from accord.reviews.attribution import MODELS, SHAPLEY_MAX_PLAYERS, AttributionQuery, attribute, shapley_values
from accord.reviews.base import get_review
from accord.reviews.forms import parse_query
from test_markov import reference
from warehouses import WAREHOUSE_PARAMS, warehouse_with

TZ = ZoneInfo("Africa/Johannesburg")
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
TS = pa.timestamp("us", tz="UTC")
SCHEMAS = {
    "workspace": {"id": pa.int64(), "name": pa.string(), "base_currency": pa.string(), "timezone": pa.string()},
    "campaign": {"id": pa.int64(), "name": pa.string(), "channel": pa.string(), "persona_id": pa.int64()},
    "touch": {"id": pa.int64(), "contact_id": pa.int64(), "campaign_id": pa.int64(), "channel": pa.string(),
              "kind": pa.string(), "occurred_at": TS, "occurred_day": pa.date32()},
    "engagement": {"id": pa.int64(), "contact_id": pa.int64(), "campaign_id": pa.int64(), "channel": pa.string(),
                   "kind": pa.string(), "occurred_at": TS, "occurred_day": pa.date32(), "is_spam": pa.bool_(),
                   "answered_at": TS, "answered_day": pa.date32()},
    "sales_order": {"id": pa.int64(), "contact_id": pa.int64(), "deal_id": pa.int64(), "ordered_at": TS,
                    "ordered_day": pa.date32(), "channel": pa.string(), "currency": pa.string()},
    "order_line": {"id": pa.int64(), "order_id": pa.int64(), "line_no": pa.int64(), "quantity": pa.int64(),
                   "unit_price_minor": pa.int64(), "unit_cost_minor": pa.int64()},
    "currency_rate": {"id": pa.int64(), "currency": pa.string(), "valid_from": pa.date32(),
                      "rate": pa.decimal128(20, 10)},
    "spend": {"id": pa.int64(), "campaign_id": pa.int64(), "spent_on": pa.date32(), "amount_minor": pa.int64(),
              "currency": pa.string()},
    "deal": {"id": pa.int64(), "contact_id": pa.int64(), "campaign_id": pa.int64(), "stage": pa.string()},
    "deal_stage_change": {"id": pa.int64(), "deal_id": pa.int64(), "from_stage": pa.string(),
                          "to_stage": pa.string(), "changed_at": TS, "changed_day": pa.date32()},
    "conversation": {"id": pa.int64(), "contact_id": pa.int64(), "channel": pa.string()},
    "message": {"id": pa.int64(), "conversation_id": pa.int64(), "direction": pa.string(), "channel": pa.string(),
                "sent_at": TS, "sent_day": pa.date32()},
    "persona": {"id": pa.int64(), "name": pa.string()},
    "persona_fit": {"persona_id": pa.int64(), "contact_id": pa.int64(), "score": pa.float64()},
}


def when(days: float) -> datetime:
    """T0 plus a number of days."""
    return T0 + timedelta(days=days)


def local_day(moment: datetime | None) -> date | None:
    return moment.astimezone(TZ).date() if moment else None


class Business:
    """A small business's warehouse tables, row by row, as the sync copies them (with the *_day columns)."""

    def __init__(self, base: str = "ZAR") -> None:
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.ids = count(1)
        self.rows["workspace"].append({"id": 1, "name": "Test", "base_currency": base, "timezone": str(TZ)})

    def _add(self, table: str, **row: Any) -> int:
        row.setdefault("id", next(self.ids))
        self.rows[table].append(row)
        return row["id"]

    def campaign(self, name: str, channel: str, persona: int | None = None) -> int:
        return self._add("campaign", name=name, channel=channel, persona_id=persona)

    def touch(self, contact: int | None, channel: str, day: float, campaign: int | None = None) -> int:
        at = when(day)
        return self._add("touch", contact_id=contact, campaign_id=campaign, channel=channel, kind="ad_click",
                         occurred_at=at, occurred_day=local_day(at))

    def engage(self, contact: int, channel: str, day: float, campaign: int | None = None, *, spam: bool = False,
               answered: float | None = None) -> int:
        at, reply = when(day), (when(answered) if answered is not None else None)
        return self._add("engagement", contact_id=contact, campaign_id=campaign, channel=channel, kind="comment",
                         occurred_at=at, occurred_day=local_day(at), is_spam=spam, answered_at=reply,
                         answered_day=local_day(reply))

    def order(self, contact: int | None, day: float, *lines: tuple[int, int, int | None], currency: str = "ZAR") -> int:
        at = when(day)
        order = self._add("sales_order", contact_id=contact, deal_id=None, ordered_at=at, ordered_day=local_day(at),
                          channel="website", currency=currency)
        for number, (quantity, price, cost) in enumerate(lines, 1):
            self._add("order_line", order_id=order, line_no=number, quantity=quantity, unit_price_minor=price,
                      unit_cost_minor=cost)
        return order

    def rate(self, currency: str, valid_from: date, rate: str) -> None:
        self._add("currency_rate", currency=currency, valid_from=valid_from, rate=Decimal(rate))

    def spend(self, campaign: int, on: date, amount: int, currency: str = "ZAR") -> None:
        self._add("spend", campaign_id=campaign, spent_on=on, amount_minor=amount, currency=currency)

    def deal(self, contact: int, *changes: tuple[str, float]) -> int:
        deal = self._add("deal", contact_id=contact, campaign_id=None, stage=changes[-1][0] if changes else "new")
        previous = None
        for stage, day in changes:
            at = when(day)
            self._add("deal_stage_change", deal_id=deal, from_stage=previous, to_stage=stage, changed_at=at,
                      changed_day=local_day(at))
            previous = stage
        return deal

    def message(self, contact: int, day: float, direction: str = "outbound", channel: str = "whatsapp") -> None:
        conversation = self._add("conversation", contact_id=contact, channel=channel)
        at = when(day)
        self._add("message", conversation_id=conversation, direction=direction, channel=channel, sent_at=at,
                  sent_day=local_day(at))

    def persona(self, name: str) -> int:
        return self._add("persona", name=name)

    def fit(self, persona: int, contact: int, score: float) -> None:
        self.rows["persona_fit"].append({"persona_id": persona, "contact_id": contact, "score": score})

    def tables(self) -> dict[str, pa.Table]:
        return {
            name: pa.Table.from_pylist(self.rows.get(name, []), schema=pa.schema(columns))
            for name, columns in SCHEMAS.items()
        }

    def warehouse(self, kind: str, tmp_path) -> Any:
        return warehouse_with(kind, self.tables(), tmp_path)


# Spark answers the same (test_same_result_on_every_warehouse) but takes tens of seconds a run, so the
# detailed tests run on DuckDB and PostgreSQL.
FAST_KINDS = [param for param in WAREHOUSE_PARAMS if param.values[0] != "spark"]


@pytest.fixture(params=FAST_KINDS)
def kind(request) -> str:
    return request.param


@pytest.fixture(scope="module", params=FAST_KINDS)
def hand_worked_warehouse(request, tmp_path_factory):
    """The hand-worked business's warehouse, built once per kind: the tests only read it."""
    return hand_worked().warehouse(request.param, tmp_path_factory.mktemp(request.param))


def credits(result, measure: str = "conversions") -> dict[str, dict[str, Any]]:
    """{model: {label: credit}} from a result."""
    return {m: {c.label: getattr(c, measure)[m] for c in result.credits} for m in result.models}


# The hand-worked business. Period: March 2024. Half-life 7 days, lookback 90 days.
#  contact 1: email touch d0, instagram comment d2 (lead), website touch d4, facebook touch d7 → order d9, R100.00
#  contact 2: instagram touch d1 → order d2 in USD 5.00 at 18.50 → R92.50 (its first order)
#  contact 3: email touch d3, website touch d5, no order → a journey that did not convert
#  contact 4: an order d6 (R40.00) with no touch before it → not attributed
#  contact 5: facebook touch d-85 (read, but 94 days before its order: outside the lookback), email touch d6 →
#             order d9, R60.00;
#             a spam engagement on x d8 does not count
#  contact 6: website touch d1, email touch d2 → order d3 R30.00 (first order); a touch at the order's instant
#             (d3) and a facebook touch d4 → order d5 R20.00 (repeat); a refund order d6 is not a conversion
#  contact 1 also had an order before the period (d-20), which makes the d9 order a repeat.
def hand_worked() -> Business:
    b = Business()
    b.rate("USD", date(2024, 1, 1), "18.5")
    b.order(1, -20, (1, 1000, 500))
    b.touch(1, "email", 0)
    b.engage(1, "instagram", 2)
    b.touch(1, "website", 4)
    b.touch(1, "facebook", 7)
    b.order(1, 9, (2, 5000, 3000))
    b.touch(2, "instagram", 1)
    b.order(2, 2, (1, 500, 200), currency="USD")
    b.touch(3, "email", 3)
    b.touch(3, "website", 5)
    b.order(4, 6, (1, 4000, 1000))
    b.touch(5, "facebook", -85)
    b.touch(5, "email", 6)
    b.engage(5, "x", 8, spam=True)
    b.order(5, 9, (3, 2000, 1000))
    b.touch(6, "website", 1)
    b.touch(6, "email", 2)
    b.order(6, 3, (1, 3000, 1000))
    b.touch(6, "instagram", 3)
    b.touch(6, "facebook", 4)
    b.order(6, 5, (1, 2000, 1000))
    b.order(6, 6, (-1, 2000, 1000))
    b.touch(None, "website", 5)  # an anonymous visitor is nobody's journey
    return b


MARCH = {"from_on": date(2024, 3, 1), "to_on": date(2024, 4, 1)}


def decay_shares(days_before: list[float], half_life: float = 7.0) -> list[float]:
    weights = [2 ** (-d / half_life) for d in days_before]
    return [w / sum(weights) for w in weights]


def test_every_heuristic_model_on_the_hand_worked_journeys(hand_worked_warehouse):
    result = attribute(hand_worked_warehouse, AttributionQuery(**MARCH))

    # Journeys: c1 [email, instagram*, website, facebook] → 10000; c2 [instagram] → 9250 (new);
    # c5 [email] → 6000 (new); c6 [website, email] → 3000 (new); c6 [instagram, facebook] → 2000;
    # c3 [email, website] did not convert.
    assert (result.journeys, result.converting_journeys, result.conversions) == (6, 5, 5)
    assert (result.value_minor, result.new_customers) == (10000 + 9250 + 6000 + 3000 + 2000, 3)
    assert (result.unattributed_conversions, result.unattributed_value_minor) == (1, 4000)
    got = credits(result)
    expected = {
        "first_touch": {"email": 2, "instagram": 2, "website": 1, "facebook": 0},
        "last_touch": {"email": 2, "instagram": 1, "website": 0, "facebook": 2},
        "linear": {"email": 0.25 + 1 + 0.5, "instagram": 0.25 + 1 + 0.5, "website": 0.25 + 0.5,
                   "facebook": 0.25 + 0.5},
        # c1 has four touches: 40/10/10/40; two-touch journeys split 50/50.
        "u_shaped": {"email": 0.4 + 1 + 0.5, "instagram": 0.1 + 1 + 0.5, "website": 0.1 + 0.5,
                     "facebook": 0.4 + 0.5},
        # c1's lead creation is the instagram comment (2nd of 4): 30/30/10/30.
        "w_shaped": {"email": 0.3 + 1 + 0.5, "instagram": 0.3 + 1 + 0.5, "website": 0.1 + 0.5,
                     "facebook": 0.3 + 0.5},
    }
    c1 = decay_shares([9, 7, 5, 2])
    c6a, c6b = decay_shares([2, 1]), decay_shares([2, 1])
    expected["time_decay"] = {
        "email": c1[0] + 1 + c6a[1], "instagram": c1[1] + 1 + c6b[0], "website": c1[2] + c6a[0],
        "facebook": c1[3] + c6b[1],
    }
    for model, shares in expected.items():
        assert got[model] == pytest.approx(shares, abs=1e-12), model

    value = credits(result, "value")
    # Linear value: c1 2500 each; c2 9250 instagram; c5 6000 email; c6 1500 + 1500; c6' 1000 + 1000.
    assert value["linear"] == {"email": 2500 + 6000 + 1500, "instagram": 2500 + 9250 + 1000,
                               "website": 2500 + 1500, "facebook": 2500 + 1000}
    assert value["first_touch"] == {"email": 10000 + 6000, "instagram": 9250 + 2000, "website": 3000, "facebook": 0}
    new = credits(result, "new_customers")
    assert new["last_touch"] == {"email": 2, "instagram": 1, "website": 0, "facebook": 0}
    assert {c.label: (c.touches, c.journeys) for c in result.credits} == {
        "email": (4, 3), "facebook": (2, 2), "instagram": (3, 3), "website": (3, 2)}
    for model in result.models:
        assert sum(got[model].values()) == pytest.approx(result.conversions, abs=1e-9), model
        assert sum(value[model].values()) == result.value_minor, model
        assert sum(new[model].values()) == pytest.approx(result.new_customers, abs=1e-9), model
    assert any("1 of 6 orders (40.00 ZAR) had no touch" in note for note in result.notes)
    assert any("Converted to ZAR" in note and "5.00 USD" in note for note in result.notes)


HAND_WORKED_PATHS = [  # (channels, journeys, [conversions, value, new customers]) as the comments above say
    (("email", "instagram", "website", "facebook"), 1, [1, 10000, 0]),
    (("instagram",), 1, [1, 9250, 1]),
    (("email",), 1, [1, 6000, 1]),
    (("website", "email"), 1, [1, 3000, 1]),
    (("instagram", "facebook"), 1, [1, 2000, 0]),
    (("email", "website"), 1, [0, 0, 0]),
]


@pytest.mark.parametrize("order", [1, 2])
def test_markov_credits_follow_the_exact_chain_of_the_engine_built_paths(hand_worked_warehouse, order):
    result = attribute(hand_worked_warehouse, AttributionQuery(**MARCH, markov_order=order))

    full, effects = reference(HAND_WORKED_PATHS, order)
    totals = [sum(m[k] for _, _, m in HAND_WORKED_PATHS) for k in range(3)]
    shares = {
        k: {c: float(effects[c][k] / sum(e[k] for e in effects.values())) for c in effects} for k in range(3)
    }
    assert result.conversion_probability == pytest.approx(float(full[0]), abs=1e-6)
    assert result.removal_effects == pytest.approx({c: float(e[0]) for c, e in effects.items()}, abs=1e-6)
    assert credits(result)["markov"] == pytest.approx({c: totals[0] * v for c, v in shares[0].items()}, abs=1e-9)
    assert credits(result, "value")["markov"] == pytest.approx({c: totals[1] * v for c, v in shares[1].items()}, abs=1)
    assert credits(result, "new_customers")["markov"] == pytest.approx(
        {c: totals[2] * v for c, v in shares[2].items()}, abs=1e-9)
    assert sum(credits(result, "value")["markov"].values()) == totals[1]


def test_shapley_credits_of_the_hand_worked_journeys(hand_worked_warehouse):
    result = attribute(hand_worked_warehouse, AttributionQuery(**MARCH))

    # v(S) sums journeys whose channel set is inside S; each journey is a unanimity game, worth 1/|set| a member.
    assert credits(result)["shapley"] == pytest.approx(
        {"email": 1 / 4 + 1 + 1 / 2, "instagram": 1 / 4 + 1 + 1 / 2, "website": 1 / 4 + 1 / 2,
         "facebook": 1 / 4 + 1 / 2}, abs=1e-12)
    assert credits(result, "value")["shapley"] == {
        "email": 2500 + 6000 + 1500, "instagram": 2500 + 9250 + 1000, "website": 2500 + 1500, "facebook": 2500 + 1000}


def brute_force_shapley(worth: dict[frozenset, Fraction], players: list[int]) -> dict[int, Fraction]:
    """Average marginal contribution over every order of the players (n! orders), exactly."""

    def v(coalition: set[int]) -> Fraction:
        return sum((w for s, w in worth.items() if s <= coalition), Fraction(0))

    total = {p: Fraction(0) for p in players}
    orders = list(permutations(players))
    for order in orders:
        before: set[int] = set()
        for p in order:
            total[p] += v(before | {p}) - v(before)
            before.add(p)
    return {p: t / len(orders) for p, t in total.items()}


def test_shapley_values_equal_the_permutation_definition_and_are_efficient_and_symmetric():
    rng = random.Random(7)
    players = 6
    sets = [frozenset(rng.sample(range(players), rng.randint(1, 4))) for _ in range(25)]
    # Players 4 and 5 always appear together, so they are symmetric.
    sets = [s | {5} if 4 in s else s - {5} for s in sets]
    worth = defaultdict(Fraction)
    for s in sets:
        worth[s] += rng.randint(1, 9)
    masks = np.array([sum(1 << p for p in s) for s in worth])
    weights = np.array([[float(w), float(w) * 3] for w in worth.values()])

    values = shapley_values(masks, weights, players)

    exact = brute_force_shapley(dict(worth), list(range(players)))
    assert values[:, 0].tolist() == pytest.approx([float(exact[p]) for p in range(players)], abs=1e-12)
    assert values[:, 1].tolist() == pytest.approx([3 * float(exact[p]) for p in range(players)], abs=1e-12)
    assert values[:, 0].sum() == pytest.approx(float(sum(worth.values())), abs=1e-12)
    assert values[4, 0] == pytest.approx(values[5, 0], abs=1e-12)


def test_by_campaign_with_events_that_have_none(kind, tmp_path):
    b = Business()
    spring = b.campaign("Spring menu", "instagram")
    brunch = b.campaign("Brunch club", "email")
    b.touch(1, "instagram", 1, spring)
    b.touch(1, "email", 2, brunch)
    b.engage(1, "instagram", 3)
    b.order(1, 4, (1, 9000, 4000))
    b.touch(2, "email", 5, brunch)
    b.order(2, 6, (1, 3000, 1000))
    b.touch(3, "instagram", 1, spring)
    b.engage(3, "instagram", 2)
    b.touch(3, "email", 3, brunch)
    b.order(3, 4, (2, 3000, 1000))
    warehouse = b.warehouse(kind, tmp_path)

    result = attribute(warehouse, AttributionQuery(**MARCH, by="campaign"))

    third = 1 / 3
    assert credits(result)["linear"] == pytest.approx(
        {"(no campaign)": 2 * third, "Brunch club": 1 + 2 * third, "Spring menu": 2 * third}, abs=1e-12)
    assert credits(result, "value")["last_touch"] == {"(no campaign)": 9000, "Brunch club": 9000, "Spring menu": 0}
    # Contact 1's lead creation is its last event, so its W is the U (40/20/40); contact 3's is in the middle of
    # three events, which share the W's 100% equally.
    assert credits(result)["w_shaped"] == pytest.approx(
        {"(no campaign)": 0.4 + third, "Brunch club": 0.2 + 1 + third, "Spring menu": 0.4 + third}, abs=1e-12)
    assert credits(result)["u_shaped"] == pytest.approx(
        {"(no campaign)": 0.4 + 0.2, "Brunch club": 0.2 + 1 + 0.4, "Spring menu": 0.4 + 0.4}, abs=1e-12)
    assert [row["campaign"] for row in result.rows()] == ["(no campaign)", "Brunch club", "Spring menu"]


def plain_json(result) -> str:
    return json.dumps({"rows": result.rows(), "charts": result.charts(), "notes": result.notes}, allow_nan=False,
                      default=str)


def test_no_conversions_gives_zero_credits_and_a_note(kind, tmp_path):
    b = Business()
    b.touch(1, "email", 1)
    b.engage(1, "instagram", 2)
    b.order(1, 3, (-1, 5000, 1000))  # a refund is not a conversion

    result = attribute(b.warehouse(kind, tmp_path), AttributionQuery(**MARCH))

    assert (result.conversions, result.journeys, result.conversion_probability) == (0, 1, 0.0)
    assert result.models == list(MODELS)
    assert all(v == 0 for c in result.credits for v in [*c.conversions.values(), *c.value.values()])
    assert any("nothing to attribute" in note for note in result.notes)
    plain_json(result)


def test_a_single_channel_gets_everything_from_every_model(kind, tmp_path):
    b = Business()
    for contact in (1, 2, 3):
        b.touch(contact, "whatsapp", 1)
        b.touch(contact, "whatsapp", 2)
    b.order(1, 3, (1, 1001, None))
    b.order(2, 3, (1, 2002, None))

    result = attribute(b.warehouse(kind, tmp_path), AttributionQuery(**MARCH))

    assert [c.label for c in result.credits] == ["whatsapp"]
    assert credits(result) == {m: {"whatsapp": pytest.approx(2.0, abs=1e-12)} for m in MODELS}
    assert credits(result, "value") == {m: {"whatsapp": 3003} for m in MODELS}
    assert result.removal_effects == {"whatsapp": 1.0}
    assert result.conversion_probability == pytest.approx(2 / 3, abs=1e-6)
    assert any("Only one channel" in note for note in result.notes)


def test_orders_without_any_touch_are_counted_but_not_attributed(kind, tmp_path):
    b = Business()
    b.order(1, 3, (2, 1500, 500))
    b.order(2, 4, (1, 700, 100))
    b.order(None, 4, (1, 900, 100))  # a walk-in sale without a contact is nobody's journey

    result = attribute(b.warehouse(kind, tmp_path), AttributionQuery(**MARCH))

    assert (result.conversions, result.unattributed_conversions, result.unattributed_value_minor) == (0, 2, 3700)
    assert result.credits == [] and result.rows() == [] and result.charts() == []
    assert any("2 of 2 orders (37.00 ZAR) had no touch" in note for note in result.notes)
    plain_json(result)


def test_an_empty_warehouse(kind, tmp_path):
    result = attribute(Business().warehouse(kind, tmp_path), AttributionQuery())

    assert (result.conversions, result.journeys, result.credits) == (0, 0, [])
    assert any("nothing to attribute" in note for note in result.notes)
    plain_json(result)


def test_too_many_campaigns_for_exact_shapley(tmp_path):
    b = Business()
    players = SHAPLEY_MAX_PLAYERS + 1
    for i in range(players):
        campaign = b.campaign(f"Campaign {i:02d}", "facebook")
        b.touch(100 + i, "facebook", 1, campaign)
        b.order(100 + i, 2, (1, 1000, 100))

    result = attribute(b.warehouse("duckdb", tmp_path), AttributionQuery(**MARCH, by="campaign"))

    assert "shapley" not in result.models and "markov" in result.models
    assert "shapley_value_minor" not in result.rows()[0]
    assert any(f"{players} campaigns appear on converting journeys" in n and f"limited to {SHAPLEY_MAX_PLAYERS}" in n
               for n in result.notes)
    assert credits(result)["markov"] == pytest.approx({f"Campaign {i:02d}": 1.0 for i in range(players)}, abs=1e-9)


def test_bad_queries_are_refused_with_the_field():
    review = get_review("attribution")
    with pytest.raises(Invalid) as period:
        AttributionQuery(from_on=date(2024, 3, 2), to_on=date(2024, 3, 1))
    with pytest.raises(Invalid) as lookback:
        parse_query(review, [("lookback_days", "0")])
    with pytest.raises(Invalid) as by:
        parse_query(review, [("by", "region")])

    assert (period.value.field, lookback.value.field, by.value.field) == ("to_on", "lookback_days", "by")
    assert parse_query(review, [("half_life_days", "3.5"), ("by", "campaign")]) == AttributionQuery(
        half_life_days=3.5, by="campaign")


@pytest.mark.parametrize("other", WAREHOUSE_PARAMS)
def test_same_result_on_every_warehouse(other, tmp_path):
    query = AttributionQuery(**MARCH, markov_order=2)
    expected = attribute(hand_worked().warehouse("duckdb", tmp_path), query)

    result = attribute(hand_worked().warehouse(other, tmp_path), query)

    assert result.rows() == expected.rows()
    assert result.model_dump(exclude={"credits"}) == expected.model_dump(exclude={"credits"})
    for measure in ("conversions", "new_customers"):
        for model, shares in credits(expected, measure).items():
            assert credits(result, measure)[model] == pytest.approx(shares, abs=1e-9)


def shares_by_hand(n: int, lead: int | None) -> dict[str, list[float]]:
    """The position models' shares for a journey of n events, straight from their definitions."""
    u = [1.0] if n == 1 else [0.5, 0.5] if n == 2 else [0.4] + [0.2 / (n - 2)] * (n - 2) + [0.4]
    if lead is None or not 1 < lead < n:
        w = u
    elif n == 3:
        w = [1 / 3] * 3
    else:
        w = [0.3 if p in (1, lead, n) else 0.1 / (n - 3) for p in range(1, n + 1)]
    return {"first_touch": [1.0] + [0.0] * (n - 1), "last_touch": [0.0] * (n - 1) + [1.0],
            "linear": [1 / n] * n, "u_shaped": u, "w_shaped": w}


def test_long_journeys_over_many_campaigns(kind, tmp_path):
    # 20 campaigns need 5 bits a step, so a path key word holds 12 steps: these journeys fill one word, spill
    # into the second, and (36 events) need the collected tail as well.
    b = Business()
    campaigns = [b.campaign(f"C{i:02d}", "facebook") for i in range(20)]
    journeys = {1: [(i * 7) % 20 for i in range(35)], 2: [(i * 3) % 20 for i in range(13)],
                3: [i % 5 for i in range(31)]}
    for contact, sequence in journeys.items():
        for step, campaign in enumerate(sequence):
            b.touch(contact, "facebook", step * 0.5, campaigns[campaign])
    b.engage(1, "facebook", 17.25, campaigns[4])  # after contact 1's 35 touches: its last event, so W is U
    b.order(1, 20, (1, 7000, 1000))
    b.order(2, 20, (1, 3000, 1000))
    warehouse = b.warehouse(kind, tmp_path)

    result = attribute(warehouse, AttributionQuery(**MARCH, by="campaign"))

    sequences = {1: journeys[1] + [4], 2: journeys[2], 3: journeys[3]}
    expected: dict[str, dict[str, float]] = {m: defaultdict(float) for m in ("first_touch", "last_touch", "linear",
                                                                              "u_shaped", "w_shaped")}
    for contact in (1, 2):
        sequence = sequences[contact]
        for model, shares in shares_by_hand(len(sequence), None).items():
            for campaign, share in zip(sequence, shares):
                expected[model][f"C{campaign:02d}"] += share
    got = credits(result)
    for model, shares in expected.items():
        assert {k: v for k, v in got[model].items() if v} == pytest.approx(
            {k: v for k, v in shares.items() if v}, abs=1e-12), model
    paths = [(tuple(f"C{c:02d}" for c in sequences[1]), 1, [1]), (tuple(f"C{c:02d}" for c in sequences[2]), 1, [1]),
             (tuple(f"C{c:02d}" for c in sequences[3]), 1, [0])]
    _, effects = reference(paths)
    total = sum(float(e[0]) for e in effects.values())
    assert got["markov"] == pytest.approx({c: 2 * float(e[0]) / total for c, e in effects.items()}, abs=1e-9)
    assert result.journeys == 3 and sum(c.touches for c in result.credits) == 36 + 13 + 31


def test_the_w_shape_on_a_long_journey_with_its_lead_in_the_middle(kind, tmp_path):
    b = Business()
    for step in range(40):
        b.touch(1, ["email", "website", "x"][step % 3], step * 0.25)
    b.engage(1, "instagram", 20 * 0.25 + 0.1)  # after touch 21 (day 5.0): event 22 of 41
    b.order(1, 12, (1, 4100, 100))

    result = attribute(b.warehouse(kind, tmp_path), AttributionQuery(**MARCH))

    sequence = [["email", "website", "x"][step % 3] for step in range(21)] + ["instagram"] + \
        [["email", "website", "x"][step % 3] for step in range(21, 40)]
    expected = defaultdict(float)
    for channel, share in zip(sequence, shares_by_hand(41, 22)["w_shaped"]):
        expected[channel] += share
    assert credits(result)["w_shaped"] == pytest.approx(dict(expected), abs=1e-12)
    assert credits(result, "value")["w_shaped"]["instagram"] == round(4100 * 0.3)
