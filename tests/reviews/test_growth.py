"""Growth, peaks and valleys on designed series: exact growth, the named peak, seasonality recovered exactly,
a planted anomaly, forecasts with intervals, incomplete periods, and what a too-short series is told."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from accord.reviews.base import get_review
from accord.reviews.growth import GrowthQuery
from warehouses import WAREHOUSE_KINDS, WAREHOUSE_PARAMS, warehouse_with

SQL_KINDS = [kind for kind in WAREHOUSE_KINDS if kind != "spark"]
SEASON = {1: -20000, 2: -15000, 3: -5000, 4: 0, 5: 5000, 6: 2000, 7: 0, 8: -3000, 9: 4000, 10: 8000,
          11: 25000, 12: 40000}
WEEKDAY = [0, 500, 1000, 3000, 2000, -4000, -2500]  # Monday … Sunday
ETS = {"error": "add", "trend": "add", "damped_trend": True}


def sales(orders: list[tuple[date, int, str, str]]) -> dict[str, pa.Table]:
    """A warehouse with one order (one line, quantity 1) per (day, amount, channel, currency); base ZAR."""
    n = len(orders)
    return {
        "workspace": pa.table({"id": [1], "base_currency": ["ZAR"], "timezone": ["Africa/Johannesburg"]}),
        "currency_rate": pa.table({"id": pa.array([1], pa.int64()), "currency": ["USD"],
                                   "valid_from": [date(2000, 1, 1)],
                                   "rate": pa.array([Decimal("2")], pa.decimal128(20, 10))}),
        "sales_order": pa.table({
            "id": pa.array(range(1, n + 1), pa.int64()), "contact_id": pa.array([None] * n, pa.int64()),
            "ordered_day": pa.array([o[0] for o in orders], pa.date32()), "channel": [o[2] for o in orders],
            "location": pa.array([None] * n, pa.string()), "country": ["ZA"] * n, "currency": [o[3] for o in orders],
        }),
        "order_line": pa.table({
            "id": pa.array(range(1, n + 1), pa.int64()), "order_id": pa.array(range(1, n + 1), pa.int64()),
            "offer_id": pa.array([None] * n, pa.int64()), "quantity": pa.array([1] * n, pa.int32()),
            "unit_price_minor": pa.array([o[1] for o in orders], pa.int64()),
            "unit_cost_minor": pa.array([None] * n, pa.int64()),
        }),
    }


def months_of(first: date, count: int) -> list[date]:
    return [date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1) for i in range(count)]


def monthly_design() -> tuple[list[date], list[int], list[tuple[date, int, str, str]]]:
    """36 months of an exact line plus a fixed season; each month is an order on its first day and one (R10.00,
    or $5.00 at 2) on its last day, so every month is complete."""
    months = months_of(date(2021, 1, 1), 36)
    values, orders = [], []
    for i, month in enumerate(months):
        value = 100000 + 2000 * i + SEASON[month.month]
        last_day = months_of(month, 2)[1] - timedelta(days=1)
        values.append(value)
        orders.append((month, value - 1000, "website", "ZAR"))
        orders.append((last_day, 1000 if i % 2 else 500, "instagram", "ZAR" if i % 2 else "USD"))
    return months, values, orders


def money(minor: int) -> str:
    return f"{Decimal(minor).scaleb(-2):,.2f} ZAR"


@pytest.fixture(scope="module")
def monthly(tmp_path_factory):
    built = {}

    def get(kind: str):
        if kind not in built:
            built[kind] = warehouse_with(kind, sales(monthly_design()[2]), tmp_path_factory.mktemp(kind))
        return built[kind]
    return get


@pytest.mark.parametrize("kind", WAREHOUSE_PARAMS)
def test_monthly_series_growth_peak_exact_seasonality_and_forecast(monthly, kind):
    months, values, _ = monthly_design()
    season = sum(SEASON.values()) / 12
    trend = [100000 + 2000 * i + season for i in range(36)]

    result = get_review("growth").run(monthly(kind), GrowthQuery(grain="month"))

    actual = [r for r in result.rows() if r["kind"] == "actual"]
    assert [(r["period"], r["net_minor"], r["complete"]) for r in actual] == [(m, v, True) for m, v in
                                                                              zip(months, values)]
    assert [r["growth"] for r in actual] == [None] + [round((b - a) / a, 4) for a, b in zip(values, values[1:])]
    assert [r["yoy_growth"] for r in actual] == [None] * 12 + [round((b - a) / a, 4) for a, b in
                                                                zip(values, values[12:])]
    # A line plus a fixed season is recovered exactly: the smoothers are local lines.
    assert [r["trend_minor"] for r in actual] == [round(t) for t in trend]
    assert [r["seasonal_minor"] for r in actual] == [round(SEASON[m.month] - season) for m in months]
    assert result.series[0].seasonal_strength == 1.0
    # So the forecast is the damped-trend ETS of the line, plus the season of a year before.
    expected = ETSModel(pd.Series(trend), **ETS).fit(disp=False).get_prediction(36, 38).summary_frame(alpha=0.05)
    forecast = [(r["period"], r["net_minor"], r["lower_minor"], r["upper_minor"]) for r in result.rows()
                if r["kind"] == "forecast"]
    assert [f[0] for f in forecast] == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    for (_, mean, low, high), (_, row), month in zip(forecast, expected.iterrows(), (1, 2, 3)):
        shift = SEASON[month] - season
        # The line's residuals are rounding dust, so the intervals' widths agree to a few hundredths of a percent.
        assert abs(mean - (row["mean"] + shift)) <= 2
        assert abs(low - (row["pi_lower"] + shift)) <= 20 and abs(high - (row["pi_upper"] + shift)) <= 20
    mean = sum(values) / len(values)
    assert result.notes == [
        "All revenue figures are in ZAR, the workspace's base currency.",
        "Converted to ZAR with the rate in force on each day: 90.00 USD.",
        f"December 2023 is the peak month: {max(values) / mean:.1f}× the average month ({money(max(values))}); "
        f"the average month is {money(round(mean))}.",
        f"January 2021 is the weakest month: {min(values) / mean:.1f}× the average month ({money(min(values))}).",
        f"December 2023 changed {(values[-1] - values[-2]) / values[-2]:+.1%} on the month before and "
        f"{(values[-1] - values[-13]) / values[-13]:+.1%} on a year earlier.",
        f"Seasonality (period 12): strength 1.00 (0 none, 1 all); the strongest month of the year is December "
        f"({(40000 - season) / mean:+.0%} of the average month), the weakest January "
        f"({(-20000 - season) / mean:+.0%} of the average month).",
        "The residuals are too even (median absolute deviation 0) to call any month unusual.",
        f"Forecast (damped-trend ETS on the seasonally adjusted series, the last cycle of the season carried "
        f"forward; 95% intervals): January 2024 {money(forecast[0][1])} ({money(forecast[0][2])} to "
        f"{money(forecast[0][3])}), then 2 more months in the table.",
    ]
    assert (result.series[0].peak, result.series[0].valley) == (date(2023, 12, 1), date(2021, 1, 1))


def daily_design() -> tuple[list[date], list[int], int]:
    """16 weeks from Monday 1 January 2024: trend + a weekday pattern + fixed wobble, and one planted spike."""
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(112)]
    values = [10000 + 50 * i + WEEKDAY[i % 7] + ((i * 53) % 17 - 8) * 40 for i in range(112)]
    spike = 50
    values[spike] += 20000
    return days, values, spike


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_daily_weekday_pattern_and_the_planted_anomaly(kind, tmp_path):
    days, values, spike = daily_design()
    warehouse = warehouse_with(kind, sales([(d, v, "website", "ZAR") for d, v in zip(days, values)]), tmp_path)

    result = get_review("growth").run(warehouse, GrowthQuery(grain="day", anomaly_threshold=3.5, horizon=7))

    actual = [r for r in result.rows() if r["kind"] == "actual"]
    assert [r["net_minor"] for r in actual] == values
    assert [r["period"] for r in actual if r["anomaly"]] == [days[spike]]
    assert all(abs(r["robust_z"]) <= 3.5 for r in actual if not r["anomaly"])
    seasonality = next(n for n in result.notes if n.startswith("Seasonality"))
    assert "the strongest weekday is Thursday (+" in seasonality and "the weakest Saturday (-" in seasonality
    unusual = next(n for n in result.notes if "unusual day" in n)
    assert unusual.startswith("1 unusual day (robust z-score of the residual beyond ±3.5): Tuesday 20 February "
                              "2024 (")
    forecast = [r for r in result.rows() if r["kind"] == "forecast"]
    assert [r["period"] for r in forecast] == [date(2024, 4, 22) + timedelta(days=i) for i in range(7)]
    assert all(r["lower_minor"] < r["net_minor"] < r["upper_minor"] for r in forecast)
    # The week ahead keeps the weekday pattern: Thursday above Saturday.
    assert forecast[3]["net_minor"] - forecast[5]["net_minor"] > 5000
    assert result.notes[1] == (f"Tuesday 20 February 2024 is the peak day: {values[spike] / np.mean(values):.1f}× "
                               f"the average day ({money(values[spike])}); the average day is "
                               f"{money(round(np.mean(values)))}.")


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_weeks_start_on_monday_and_incomplete_weeks_are_set_aside(kind, tmp_path):
    # Wednesday 3 January to Tuesday 12 March 2024: the first and last weeks are incomplete.
    days = [date(2024, 1, 3) + timedelta(days=i) for i in range(70)]
    amounts = [1000 + 10 * i + (i % 7) * 100 for i in range(70)]
    warehouse = warehouse_with(kind, sales([(d, a, "website", "ZAR") for d, a in zip(days, amounts)]), tmp_path)

    result = get_review("growth").run(warehouse, GrowthQuery(grain="week"))

    mondays = [date(2024, 1, 1) + timedelta(weeks=w) for w in range(11)]
    weekly = [sum(a for d, a in zip(days, amounts) if m <= d < m + timedelta(days=7)) for m in mondays]
    actual = [r for r in result.rows() if r["kind"] == "actual"]
    assert [(r["period"], r["net_minor"], r["complete"]) for r in actual] == [
        (m, w, 0 < i < 10) for i, (m, w) in enumerate(zip(mondays, weekly))]
    assert [r["growth"] for r in actual] == [None, None] + [round((b - a) / a, 4) for a, b in
                                                            zip(weekly[1:9], weekly[2:10])] + [None]
    assert result.notes[1] == ("The week of 1 January 2024 and the week of 11 March 2024 are incomplete (the data "
                               "runs from 2024-01-03 to 2024-03-12): shown, but left out of peaks, growth rates, "
                               "seasonality and the forecast.")
    assert ("Seasonality needs at least 104 complete weeks (two full years); this series has 9, so there is no "
            "seasonal pattern or unusual week to report yet.") in result.notes
    expected = ETSModel(pd.Series(np.array(weekly[1:10], dtype=float)), **ETS).fit(disp=False).get_prediction(
        9, 16).summary_frame(alpha=0.05)
    assert [(r["period"], r["net_minor"], r["lower_minor"], r["upper_minor"]) for r in result.rows()
            if r["kind"] == "forecast"] == [
        (mondays[10] + timedelta(weeks=i), round(m), round(lo), round(hi))
        for i, (m, lo, hi) in enumerate(zip(expected["mean"], expected["pi_lower"], expected["pi_upper"]))]


def test_a_short_series_says_what_it_needs_and_has_no_nan(tmp_path):
    months = months_of(date(2024, 1, 1), 5)
    orders = [(m, 5000 + 1000 * i, "website", "ZAR") for i, m in enumerate(months)]
    orders.append((date(2024, 5, 31), 100, "website", "ZAR"))
    warehouse = warehouse_with("duckdb", sales(orders), tmp_path)

    result = get_review("growth").run(warehouse, GrowthQuery(grain="month"))

    assert result.notes[-2:] == [
        "Seasonality needs at least 24 complete months (two full years); this series has 5, so there is no "
        "seasonal pattern or unusual month to report yet.",
        "A forecast needs at least 8 complete months; this series has 5."]
    assert [r["kind"] for r in result.rows()] == ["actual"] * 5
    numbers = [v for r in result.rows() for v in r.values() if isinstance(v, float)]
    assert numbers and all(math.isfinite(v) for v in numbers)


def test_a_perfectly_regular_series_has_no_invented_anomalies(tmp_path):
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(28)]
    warehouse = warehouse_with("duckdb", sales([(d, 1000 + WEEKDAY[i % 7] // 10, "website", "ZAR")
                                                for i, d in enumerate(days)]), tmp_path)

    result = get_review("growth").run(warehouse, GrowthQuery(grain="day"))

    assert "The residuals are too even (median absolute deviation 0) to call any day unusual." in result.notes
    assert not any(r["anomaly"] for r in result.rows())


@pytest.mark.parametrize("kind", SQL_KINDS)
def test_one_series_per_channel_for_the_largest_channels(kind, tmp_path):
    months = months_of(date(2024, 1, 1), 3)
    orders = [(m, amount, channel, "ZAR") for m in months
              for channel, amount in (("website", 9000), ("instagram", 5000), ("email", 100))]
    orders.append((date(2024, 3, 31), 1, "email", "ZAR"))
    warehouse = warehouse_with(kind, sales(orders), tmp_path)

    result = get_review("growth").run(warehouse, GrowthQuery(grain="month", by="channel", top=2))

    assert [(s.label, [p.net_minor for p in s.points]) for s in result.series] == [
        ("website", [9000, 9000, 9000]), ("instagram", [5000, 5000, 5000])]
    assert result.notes[-1] == "The 2 largest channel series by net revenue are shown (top 2)."
    assert "website: March 2024 changed +0.0% on the month before." in result.notes
    chart = result.charts()[0]
    assert chart["layer"][0]["data"]["values"][0] == {"series": "website", "period": "2024-01-01", "net": 90.0,
                                                      "anomaly": False}


def test_no_orders_in_the_period(tmp_path):
    warehouse = warehouse_with("duckdb", sales([(date(2024, 1, 5), 100, "website", "ZAR")]), tmp_path)

    result = get_review("growth").run(warehouse, GrowthQuery(from_on=date(2025, 1, 1), to_on=date(2025, 6, 1)))

    assert (result.rows(), result.charts()) == ([], [])
    assert result.notes == ["No order from 2025-01-01 to 2025-06-01 (not included) was placed: there is no series "
                            "to review.", "All revenue figures are in ZAR, the workspace's base currency."]
