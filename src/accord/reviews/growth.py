"""Growth, peaks and valleys: the net revenue series by month, week or day, its growth, seasonality (an
STL-style decomposition), unusual periods and a short forecast with intervals."""

from __future__ import annotations

import functools
import math
import warnings
from datetime import date, timedelta
from typing import Any, Literal

import altair as alt
import ibis
import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from pydantic import BaseModel, Field
from scipy import sparse
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from accord.kernel.money import minor_digits
from accord.reviews.base import Review, ReviewQuery, ReviewResult, base_currency, warehouse_table
from accord.reviews.conversion import ConversionSummary, money_text
from accord.reviews.revenue import (
    NO_LABEL, as_int, by_month_and_currency, period_words, sales_lines, with_key, with_label,
)

Grain = Literal["month", "week", "day"]
SeriesSplit = Literal["all", "offer", "location", "country", "customer", "channel", "persona"]
SEASON = {"month": 12, "week": 52, "day": 7}  # one year of months or weeks; one week of days
YEAR_LAG = {"month": 12, "week": 52, "day": 364}  # 364 days keeps the weekday
HORIZON = {"month": 3, "week": 8, "day": 14}
TRUNCATE = {"month": "M", "week": "W"}
MIN_FORECAST = 8  # complete periods for a forecast without seasonality: a damped trend has five parameters
INTERVAL = 0.95
MAD_TO_SIGMA = 0.6745  # the median absolute deviation of a normal sample is 0.6745 σ
SEASONAL_SPAN = 13  # cycles in the seasonal smoother (STL's "seasonal"); fewer when the series has fewer
INNER_PASSES = 2  # STL's inner loop
SEASON_WORDS = {"month": "month of the year", "week": "week of the year", "day": "weekday"}
PLURAL = {"month": "months", "week": "weeks", "day": "days"}


class GrowthQuery(ReviewQuery):
    """The net revenue series for a period, at a grain, for the business or its largest groups."""

    grain: Grain = Field(default="month", description="the length of one period")
    by: SeriesSplit = Field(default="all", description="one series for the business, or one per group")
    # Each series gets its own forecast fit (a tenth of a second or more), so a page shows at most 100.
    top: int = Field(default=5, ge=1, le=100, description="series shown when split: the largest by net revenue")
    horizon: int | None = Field(default=None, ge=1, le=366,
                                description="periods to forecast (default: 3 months, 8 weeks or 14 days)")
    anomaly_threshold: float = Field(default=3.5, gt=0, le=20,
                                     description="robust z-score above which a period is called unusual")


def period_start(day: date, grain: str) -> date:
    """The first day of the period holding `day` (weeks start on Monday)."""
    if grain == "month":
        return day.replace(day=1)
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return day


def next_period(start: date, grain: str) -> date:
    """The first day of the following period."""
    if grain == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=7 if grain == "week" else 1)


def sentence(text: str) -> str:
    """Text with its first letter in capitals and the rest untouched ('The week of 14 November 2011')."""
    return text[:1].upper() + text[1:]


def period_name(start: date, grain: str) -> str:
    """'November 2011', 'the week of 14 November 2011' or 'Thursday 17 November 2011'."""
    if grain == "month":
        return start.strftime("%B %Y")
    if grain == "week":
        return f"the week of {start.day} {start:%B %Y}"
    return f"{start:%A} {start.day} {start:%B %Y}"


@functools.lru_cache(maxsize=128)
def loess_matrix(n: int, span: int, extend: int = 0) -> sparse.csr_matrix:
    """Local-linear LOESS with tricube weights over `span` neighbours, as a matrix from n equally spaced values
    to estimates at positions -extend … n-1+extend (beyond the ends it extrapolates the local line)."""
    span = max(2, min(span, n))
    targets = np.arange(-extend, n + extend)
    columns = np.clip(targets - span // 2, 0, n - span)[:, None] + np.arange(span)
    offset = (columns - targets[:, None]).astype(float)
    reach = np.abs(offset).max(axis=1, keepdims=True) + 1
    weight = (1 - (np.abs(offset) / reach) ** 3) ** 3
    s0, s1, s2 = (weight.sum(1, keepdims=True), (weight * offset).sum(1, keepdims=True),
                  (weight * offset**2).sum(1, keepdims=True))
    # The weighted least-squares line evaluated at offset 0, written as weights on the values.
    values = weight * (s2 - offset * s1) / (s0 * s2 - s1**2)
    rows = np.repeat(np.arange(len(targets)), span)
    return sparse.csr_matrix((values.ravel(), (rows, columns.ravel())), shape=(len(targets), n))


@functools.lru_cache(maxsize=32)
def low_pass_matrix(n: int, period: int) -> sparse.csr_matrix:
    """STL's low-pass filter, moving averages of period, period and 3 values, from n + 2·period values to n."""
    def moving_average(length: int, width: int) -> sparse.csr_matrix:
        out = length - width + 1
        rows = np.repeat(np.arange(out), width)
        columns = (np.arange(out)[:, None] + np.arange(width)).ravel()
        return sparse.csr_matrix((np.full(out * width, 1 / width), (rows, columns)), shape=(out, length))
    m = n + 2 * period
    return (moving_average(m - 2 * period + 2, 3) @ moving_average(m - period + 1, period)
            @ moving_average(m, period)).tocsr()


def _spread(residual: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the median and the robust standard deviation (MAD / 0.6745); inf where the MAD is nil."""
    centre = np.median(residual, axis=-1, keepdims=True)
    mad = np.median(np.abs(residual - centre), axis=-1, keepdims=True)
    # A perfectly regular series leaves rounding dust in the residuals; scoring dust would invent anomalies.
    nil = mad <= 1e-9 * np.maximum(1.0, np.abs(np.reshape(level, np.shape(mad))))
    return centre, np.where(nil, np.inf, mad / MAD_TO_SIGMA)


def robust_z(residual: np.ndarray, level: np.ndarray | float) -> np.ndarray:
    """Robust z-scores along the last axis (median and MAD); NaN where the MAD is nil next to the `level`."""
    centre, sigma = _spread(residual, np.asarray(level, dtype=float))
    return np.where(np.isinf(sigma), np.nan, (residual - centre) / np.where(np.isinf(sigma), 1.0, sigma))


def _running_median(values: np.ndarray, width: int) -> np.ndarray:
    """Median of `width` consecutive values, the window kept inside the series at its ends."""
    core = np.median(sliding_window_view(values, width, axis=1), axis=-1)
    half = width // 2
    return np.concatenate([np.repeat(core[:, :1], half, 1), core, np.repeat(core[:, -1:], width - 1 - half, 1)],
                          axis=1)


def _phase_median(detrended: np.ndarray, period: int) -> np.ndarray:
    """Each value's median over the same phase in the SEASONAL_SPAN cycles around it."""
    rows, n = detrended.shape
    cycles = -(-n // period)
    padded = np.full((rows, cycles * period), np.nan)
    padded[:, :n] = detrended
    by_phase = padded.reshape(rows, cycles, period).transpose(0, 2, 1)
    span = min(SEASONAL_SPAN, cycles)
    before = span // 2
    framed = np.concatenate([np.full((rows, period, before), np.nan), by_phase,
                             np.full((rows, period, span - 1 - before), np.nan)], axis=2)
    medians = np.nanmedian(sliding_window_view(framed, span, axis=2), axis=-1)
    return medians.transpose(0, 2, 1).reshape(rows, cycles * period)[:, :n]


def _smooth(target: np.ndarray, period: int, trend: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """STL's inner loop (INNER_PASSES times): seasonal from the cycle-subseries, then trend."""
    rows, n = target.shape
    span = math.ceil(1.5 * period / (1 - 1.5 / SEASONAL_SPAN))
    smooth_trend, low_pass = loess_matrix(n, span + (span % 2 == 0)), low_pass_matrix(n, period)
    trend = np.zeros_like(target) if trend is None else trend
    seasonal = np.zeros_like(target)
    for _ in range(INNER_PASSES):
        detrended = target - trend
        extended = np.empty((rows, n + 2 * period))
        for phase in range(period):
            cycle = detrended[:, phase::period]
            smoothed = loess_matrix(cycle.shape[1], SEASONAL_SPAN, 1) @ cycle.T
            extended[:, phase::period][:, : cycle.shape[1] + 2] = smoothed.T
        seasonal = extended[:, period:n + period] - (low_pass @ extended.T).T
        trend = (smooth_trend @ (target - seasonal).T).T
    return trend, seasonal


def decompose_many(values: np.ndarray, period: int, threshold: float = 3.5) -> tuple[np.ndarray, ...]:
    """Trend, seasonal and residual of many equally long series at once (one a row), STL-style.

    The smoothers are STL's (Cleveland et al. 1990): LOESS over each cycle-subseries (SEASONAL_SPAN cycles), the
    low-pass filter, LOESS for the trend with STL's default span. They are linear, so each is one sparse matrix
    applied to every series in one product. Outliers are set aside instead of STL's reweighting: points whose
    residual from running medians is beyond `threshold` robust standard deviations are replaced by those
    medians' fit, the smoothers run, and once more with their own residuals, so a spike does not bend its
    neighbours. bench/seasonality.py measures this against statsmodels' STL on series with known parts.
    """
    values = np.asarray(values, dtype=float)
    level = values.mean(axis=1)
    trend, seasonal = _smooth(values, period)
    _, sigma = _spread(values - trend - seasonal, level)
    rough_trend = _running_median(values, period + (period % 2 == 0))
    rough_fit = rough_trend + _phase_median(values - rough_trend, period)
    rough = values - rough_fit
    outliers = np.abs(rough - np.median(rough, axis=1, keepdims=True)) > threshold * sigma
    trend, seasonal = _smooth(np.where(outliers, rough_fit, values), period)
    centre, sigma = _spread(values - trend - seasonal, level)
    outliers = np.abs(values - trend - seasonal - centre) > threshold * sigma
    trend, seasonal = _smooth(np.where(outliers, trend + seasonal, values), period, trend)
    return trend, seasonal, values - trend - seasonal


def seasonal_strength(seasonal: np.ndarray, residual: np.ndarray) -> float | None:
    """1 − var(residual)/var(seasonal + residual) (Hyndman & Athanasopoulos), from 0 to 1; None if flat."""
    spread = float(np.var(seasonal + residual))
    if spread == 0:
        return None
    return max(0.0, 1 - float(np.var(residual)) / spread)


def forecast(values: np.ndarray, seasonal: np.ndarray | None, period: int, horizon: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Mean, lower and upper 95% bounds for the next `horizon` periods, and the method in words.

    ETS with additive errors and a damped additive trend (statsmodels), fitted to the seasonally adjusted
    series when there is a seasonal component, whose last cycle is then carried forward (as STLForecast does).
    """
    values = np.asarray(values, dtype=float)
    adjusted = values if seasonal is None else values - seasonal
    with warnings.catch_warnings():
        # Optimiser chatter on short or flat series; the result is checked for finiteness by the caller.
        warnings.simplefilter("ignore")
        fitted = ETSModel(pd.Series(adjusted), error="add", trend="add", damped_trend=True).fit(disp=False)
        frame = fitted.get_prediction(len(values), len(values) + horizon - 1).summary_frame(alpha=1 - INTERVAL)
    if seasonal is None:
        ahead, method = np.zeros(horizon), "damped-trend ETS, no seasonality"
    else:
        ahead = np.resize(seasonal[-period:], horizon)
        method = "damped-trend ETS on the seasonally adjusted series, the last cycle of the season carried forward"
    return (frame["mean"].to_numpy() + ahead, frame["pi_lower"].to_numpy() + ahead,
            frame["pi_upper"].to_numpy() + ahead, method)


class Point(BaseModel):
    """One period of a series: its net revenue and what the analysis says about it."""

    period: date
    net_minor: int
    complete: bool
    growth: float | None = None
    yoy_growth: float | None = None
    trend_minor: int | None = None
    seasonal_minor: int | None = None
    robust_z: float | None = None
    anomaly: bool = False


class ForecastPoint(BaseModel):
    """A forecast period with its interval."""

    period: date
    net_minor: int
    lower_minor: int
    upper_minor: int


class Series(BaseModel):
    """One series: the business as a whole, or one group of the split."""

    key: str
    label: str
    points: list[Point]
    forecast: list[ForecastPoint] = Field(default_factory=list)
    peak: date | None = None
    valley: date | None = None
    seasonal_strength: float | None = None
    words: list[str] = Field(default_factory=list)


class GrowthResult(ReviewResult):
    """The series with growth, seasonality, anomalies and forecasts, in `currency`."""

    grain: str
    by: str
    currency: str
    from_on: date | None
    to_on: date | None
    series: list[Series] = Field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """One row a period a series, actual then forecast."""
        rows = []
        for s in self.series:
            for p in s.points:
                rows.append({"series": s.label, "period": p.period, "kind": "actual", "net_minor": p.net_minor,
                             "lower_minor": None, "upper_minor": None, "complete": p.complete, "growth": p.growth,
                             "yoy_growth": p.yoy_growth, "trend_minor": p.trend_minor,
                             "seasonal_minor": p.seasonal_minor, "robust_z": p.robust_z, "anomaly": p.anomaly,
                             "currency": self.currency})
            for f in s.forecast:
                rows.append({"series": s.label, "period": f.period, "kind": "forecast", "net_minor": f.net_minor,
                             "lower_minor": f.lower_minor, "upper_minor": f.upper_minor, "complete": None,
                             "growth": None, "yoy_growth": None, "trend_minor": None, "seasonal_minor": None,
                             "robust_z": None, "anomaly": False, "currency": self.currency})
        return rows

    def charts(self) -> list[dict[str, Any]]:
        """The series with the forecast and its interval, unusual periods marked."""
        if not self.series:
            return []
        scale = 10 ** minor_digits(self.currency)
        actual = [{"series": s.label, "period": p.period.isoformat(), "net": p.net_minor / scale,
                   "anomaly": p.anomaly} for s in self.series for p in s.points]
        ahead = [{"series": s.label, "period": f.period.isoformat(), "net": f.net_minor / scale,
                  "lower": f.lower_minor / scale, "upper": f.upper_minor / scale}
                 for s in self.series for f in s.forecast]
        x = alt.X("period:T", title=None)
        y = alt.Y("net:Q", title=f"Net revenue ({self.currency})")
        colour = alt.Color("series:N", title=None, legend=None if self.by == "all" else alt.Legend())
        layers = [
            alt.Chart(alt.Data(values=actual)).mark_line().encode(x=x, y=y, color=colour, tooltip=[
                alt.Tooltip("series:N"), alt.Tooltip("period:T"), alt.Tooltip("net:Q", format=",.2f")]),
            alt.Chart(alt.Data(values=actual)).mark_point(color="#c0392b", size=60).encode(x=x, y=y).transform_filter(
                alt.datum.anomaly),
        ]
        if ahead:
            layers += [
                alt.Chart(alt.Data(values=ahead)).mark_area(opacity=0.2).encode(x=x, y="lower:Q", y2="upper:Q",
                                                                                 color=colour),
                alt.Chart(alt.Data(values=ahead)).mark_line(strokeDash=[4, 3]).encode(x=x, y=y, color=colour),
            ]
        title = f"Net revenue per {self.grain}" + (" with forecast" if ahead else "")
        return [alt.layer(*layers, title=title).properties(width="container", height=280).to_dict()]


def _growth(now: float, before: float) -> float | None:
    return round((now - before) / before, 4) if before > 0 else None


def _year_before(start: date, grain: str) -> date:
    if grain == "month":
        return start.replace(year=start.year - 1)
    return start - timedelta(days=YEAR_LAG[grain] if grain == "day" else 7 * YEAR_LAG[grain])


def _with_growth(points: list[Point], grain: str) -> None:
    """Growth on the period before and on a year earlier, only between complete periods."""
    by_start = {p.period: p for p in points}
    for before, point in zip([None, *points], points):
        if not point.complete:
            continue
        if before is not None and before.complete:
            point.growth = _growth(point.net_minor, before.net_minor)
        earlier = by_start.get(_year_before(point.period, grain))
        if earlier is not None and earlier.complete:
            point.yoy_growth = _growth(point.net_minor, earlier.net_minor)


def _level_words(whole: list[Point], peak: Point, valley: Point, grain: str, currency: str) -> list[str]:
    """The peak and the weakest period against the average, and the latest change."""
    mean = sum(p.net_minor for p in whole) / len(whole)

    def against(point: Point) -> str:
        if mean <= 0:
            return f"{money_text(point.net_minor, currency)}"
        return f"{point.net_minor / mean:.1f}× the average {grain} ({money_text(point.net_minor, currency)})"

    words = [
        f"{sentence(period_name(peak.period, grain))} is the peak {grain}: {against(peak)}; the average "
        f"{grain} is {money_text(round(mean), currency)}.",
        f"{sentence(period_name(valley.period, grain))} is the weakest {grain}: {against(valley)}.",
    ]
    last = whole[-1]
    if last.growth is not None:
        year = f" and {last.yoy_growth:+.1%} on a year earlier" if last.yoy_growth is not None else ""
        words.append(f"{sentence(period_name(last.period, grain))} changed {last.growth:+.1%} on the {grain} "
                     f"before{year}.")
    return words


def analyse(key: str, label: str, periods: list[date], values: list[int], complete: list[bool], grain: str,
            currency: str, horizon: int, threshold: float, parts: tuple[np.ndarray, ...] | None) -> Series:
    """Growth, peak and valley, seasonality, anomalies and forecast of one series, with the words for it.

    `parts` is the series' (trend, seasonal, residual) over its complete periods, or None when it is too short.
    """
    points = [Point(period=p, net_minor=v, complete=c) for p, v, c in zip(periods, values, complete, strict=True)]
    _with_growth(points, grain)
    whole = [p for p in points if p.complete]
    if not whole:
        return Series(key=key, label=label, points=points, words=[
            f"No complete {grain} in the period, so there is no peak, growth or seasonality to report."])
    # Ties go to the earlier period, for the peak and the valley alike.
    peak = max(whole, key=lambda p: (p.net_minor, -p.period.toordinal()))
    valley = min(whole, key=lambda p: (p.net_minor, p.period.toordinal()))
    words = _level_words(whole, peak, valley, grain, currency)
    season = SEASON[grain]
    strength = None
    amounts = np.array([p.net_minor for p in whole], dtype=float)
    if parts is not None:
        trend, seasonal, residual = parts
        found = seasonal_strength(seasonal, residual)
        strength = None if found is None else round(found, 3)
        for point, t, s in zip(whole, trend, seasonal, strict=True):
            point.trend_minor, point.seasonal_minor = round(float(t)), round(float(s))
        words.append(_season_words(whole, seasonal, grain, float(amounts.mean()), strength))
        words.extend(_anomaly_words(whole, residual, float(amounts.mean()), grain, threshold, currency))
    else:
        words.append(f"Seasonality needs at least {2 * season} complete {PLURAL[grain]} (two full "
                     f"{'weeks' if grain == 'day' else 'years'}); this series has {len(whole)}, so there is no "
                     f"seasonal pattern or unusual {grain} to report yet.")
    ahead, forecast_words = _forecast(whole, amounts, None if parts is None else parts[1], grain, currency,
                                      horizon)
    return Series(key=key, label=label, points=points, forecast=ahead, peak=peak.period, valley=valley.period,
                  seasonal_strength=strength, words=[*words, *forecast_words])


def _season_words(whole: list[Point], seasonal: np.ndarray, grain: str, mean: float, strength: float | None) -> str:
    positions: dict[Any, list[float]] = {}
    for point, value in zip(whole, seasonal, strict=True):
        position = {"month": point.period.month, "week": point.period.isocalendar().week,
                    "day": point.period.weekday()}[grain]
        positions.setdefault(position, []).append(float(value))
    typical = {k: float(np.mean(v)) for k, v in positions.items()}
    high, low = max(typical, key=typical.get), min(typical, key=typical.get)
    name = {"month": lambda m: date(2000, m, 1).strftime("%B"), "week": lambda w: f"week {w}",
            "day": lambda d: date(2024, 1, 1 + d).strftime("%A")}[grain]
    share = (lambda v: f" ({v / mean:+.0%} of the average {grain})") if mean > 0 else (lambda v: "")
    strength_words = "no measurable" if strength is None else f"strength {strength:.2f} (0 none, 1 all)"
    return (f"Seasonality (period {SEASON[grain]}): {strength_words}; the strongest {SEASON_WORDS[grain]} is "
            f"{name(high)}{share(typical[high])}, the weakest {name(low)}{share(typical[low])}.")


def _anomaly_words(whole: list[Point], residual: np.ndarray, level: float, grain: str, threshold: float,
                   currency: str) -> list[str]:
    scores = robust_z(residual, level)
    if np.isnan(scores).all():
        return [f"The residuals are too even (median absolute deviation 0) to call any {grain} unusual."]
    unusual = []
    for point, score, rest in zip(whole, scores, residual, strict=True):
        point.robust_z = round(float(score), 2)
        if abs(score) > threshold:
            point.anomaly = True
            unusual.append((point, float(score), float(rest)))
    if not unusual:
        return [f"No unusual {grain}: every residual's robust z-score is within ±{threshold:g}."]
    listed = "; ".join(
        f"{period_name(p.period, grain)} ({money_text(abs(round(r)), currency)} "
        f"{'above' if r > 0 else 'below'} the expected, z {z:+.1f})"
        for p, z, r in sorted(unusual, key=lambda u: -abs(u[1]))[:5]
    )
    more = f" and {len(unusual) - 5} more" if len(unusual) > 5 else ""
    count = f"{len(unusual)} unusual {grain if len(unusual) == 1 else PLURAL[grain]}"
    return [f"{count} (robust z-score of the residual beyond ±{threshold:g}): {listed}{more}."]


def _forecast(whole: list[Point], values: np.ndarray, seasonal: np.ndarray | None, grain: str, currency: str,
              horizon: int) -> tuple[list[ForecastPoint], list[str]]:
    if seasonal is None and len(values) < MIN_FORECAST:
        return [], [f"A forecast needs at least {MIN_FORECAST} complete {PLURAL[grain]}; this series has "
                    f"{len(values)}."]
    try:
        mean, low, high, method = forecast(values, seasonal, SEASON[grain], horizon)
    except (ValueError, np.linalg.LinAlgError) as error:
        return [], [f"No forecast: the model could not be fitted to this series ({error})."]
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
        return [], ["No forecast: the model gave no finite values for this series."]
    starts = []
    start = whole[-1].period
    for _ in range(horizon):
        start = next_period(start, grain)
        starts.append(start)
    points = [ForecastPoint(period=p, net_minor=round(float(m)), lower_minor=round(float(lo)),
                            upper_minor=round(float(hi))) for p, m, lo, hi in zip(starts, mean, low, high, strict=True)]
    first = points[0]
    words = [f"Forecast ({method}; {INTERVAL:.0%} intervals): {period_name(first.period, grain)} "
             f"{money_text(first.net_minor, currency)} ({money_text(first.lower_minor, currency)} to "
             f"{money_text(first.upper_minor, currency)})"
             + (f", then {horizon - 1} more {PLURAL[grain] if horizon > 2 else grain} in the table." if horizon > 1
                else ".")]
    return points, words


def _extent(warehouse: Any, query: GrowthQuery) -> tuple[date, date] | None:
    """[first, end) of the days the series covers: the query's period (from the first order when it has no start),
    ending no later than the day after the last order in the warehouse."""
    orders = warehouse_table(warehouse, "sales_order")
    found = orders.aggregate(first=orders.ordered_day.min(), last=orders.ordered_day.max()).to_pyarrow().to_pylist()[0]
    if found["first"] is None:
        return None
    first = query.from_on or found["first"]
    # Days after the last order anywhere are unknown, not empty: a period reaching past it is incomplete.
    known = found["last"] + timedelta(days=1)
    end = min(query.to_on or known, known)
    return (first, end) if first < end else None


def _series_values(warehouse: Any, lines: ibis.Table, query: GrowthQuery) -> list[dict[str, Any]]:
    kept = lines.filter(lines.amount_has_rate)
    keyed = kept.mutate(key=ibis.literal("all")) if query.by == "all" else with_key(warehouse, kept, query.by)
    period = keyed.ordered_day if query.grain == "day" else keyed.ordered_day.truncate(TRUNCATE[query.grain])
    values = keyed.group_by(key=keyed.key, period=period).aggregate(net=keyed.amount_base.sum())
    if query.by == "all":
        return values.mutate(label=ibis.literal("All sales")).to_pyarrow().to_pylist()
    totals = values.group_by("key").aggregate(total=values.net.sum())
    chosen = totals.order_by([totals.total.desc(), totals.key.isnull(), totals.key]).limit(query.top)
    labelled = with_label(warehouse, chosen, query.by)
    return values.join(labelled, "key").select("key", "period", "net", "label", "total").to_pyarrow().to_pylist()


def run(warehouse: Any, query: GrowthQuery) -> GrowthResult:
    """The net revenue series at the chosen grain with growth, peaks and valleys, seasonality and a forecast."""
    base = base_currency(warehouse)
    lines = sales_lines(warehouse, query, base)
    summary = ConversionSummary.from_rows(base, by_month_and_currency(lines))
    notes = summary.notes("revenue figures", "line")
    shell = {"grain": query.grain, "by": query.by, "currency": base, "from_on": query.from_on, "to_on": query.to_on}
    extent = _extent(warehouse, query)
    found = _series_values(warehouse, lines, query) if extent else []
    if not found:
        why = f"could be converted to {base}" if summary.missing else "was placed"
        return GrowthResult(notes=[f"No order {period_words(query)} {why}: there is no series to review.", *notes],
                            **shell)
    first, end = extent
    periods = []
    start = period_start(first, query.grain)
    while start < end:
        periods.append(start)
        start = next_period(start, query.grain)
    complete = [p >= first and next_period(p, query.grain) <= end for p in periods]
    grouped: dict[str, dict[str, Any]] = {}
    for row in found:
        key = "" if row["key"] is None else str(row["key"])
        entry = grouped.setdefault(key, {"label": row["label"], "total": as_int(row.get("total")), "values": {}})
        entry["values"][row["period"]] = as_int(row["net"])
    horizon = query.horizon or HORIZON[query.grain]
    ordered = sorted(grouped.items(), key=lambda kv: (-kv[1]["total"], kv[0]))
    table = np.array([[entry["values"].get(p, 0) for p in periods] for _, entry in ordered], dtype=np.int64)
    whole = table[:, np.array(complete)]
    season = SEASON[query.grain]
    # Every series covers the same periods, so all are decomposed together in one pass.
    parts = decompose_many(whole, season, query.anomaly_threshold) if whole.shape[1] >= 2 * season else None
    series = []
    for row, (key, entry) in enumerate(ordered):
        label = entry["label"] if key and entry["label"] is not None else NO_LABEL.get(query.by, "All sales")
        series.append(analyse(key, label, periods, table[row].tolist(), complete, query.grain, base, horizon,
                              query.anomaly_threshold, None if parts is None else tuple(p[row] for p in parts)))
    notes += _partial_words(periods, complete, query.grain, first, end)
    for s in series:
        notes += s.words if query.by == "all" else [f"{s.label}: {w}" for w in s.words]
    if query.by != "all":
        notes.append(f"The {len(series)} largest {query.by} series by net revenue are shown (top {query.top}).")
    return GrowthResult(notes=notes, series=series, **shell)


def _partial_words(periods: list[date], complete: list[bool], grain: str, first: date, end: date) -> list[str]:
    partial = [period_name(p, grain) for p, c in zip(periods, complete, strict=True) if not c]
    if not partial:
        return []
    return [f"{sentence(' and '.join(partial))} {'is' if len(partial) == 1 else 'are'} incomplete (the data runs "
            f"from {first} to {end - timedelta(days=1)}): shown, but left out of peaks, growth rates, seasonality "
            f"and the forecast."]


REVIEW = Review(
    name="growth",
    title="Growth, peaks and valleys",
    summary="Net revenue by month, week or day: growth, the peak and the weakest period, seasonality, unusual "
            "periods and a short forecast.",
    query_type=GrowthQuery,
    result_type=GrowthResult,
    run=run,
)
