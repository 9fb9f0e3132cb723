"""Customer lifetime value: the BG/NBD purchase model and the Gamma-Gamma spend model, fitted by maximum likelihood.

BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the Pareto/NBD
model", Marketing Science 24(2). Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves
for customer base analysis", Journal of Marketing Research 42(4), and Fader & Hardie (2013), "The Gamma-Gamma
model of monetary value".

A customer is described by `frequency` x (purchases after the first), `recency` t_x (time from the first
purchase to the last) and `T` (time from the first purchase to the end of observation), all in one time unit,
and for spend by the mean value of the x repeat purchases. Both fits work on the distinct rows with their
counts, so many customers cost little more than few.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1
from threadpoolctl import threadpool_limits

# Fits run on times and spends divided by their mean, so every parameter is a pure number of order one for
# real customer bases. Beyond 1e-4 .. 1e4 a parameter only approaches a limiting model (e.g. r, alpha -> inf:
# everyone buys at the same rate) that a short history cannot tell apart; a fit that ends within a factor EDGE
# of this wall is reported as at the edge.
LOG_LIMIT = float(np.log(1e4))
EDGE = float(np.log(10.0))
POLE = 1e-5  # how close to a = 1 the expected-purchases formula switches to interpolation
# A fit whose a or b ran to the edge with both of them at least this large went out along the ridge where a and b
# grow together: the drop-out chance p ~ Beta(a, b) stops varying between customers, and the best model is the limit
# with one p = a/(a+b) for everyone. Its forecasts have closed forms (and the general ones' hypergeometric series
# no longer evaluate there). A handful of customers can wander out along that ridge too, so it takes RIDGE of them.
RIDGE = 100.0
DAYS_PER_MONTH = 365.25 / 12


def _one_blas_thread(function):
    """Run `function` with OpenBLAS on one thread.

    Every small BLAS or LAPACK call here (L-BFGS-B's steps, weighted sums) wakes OpenBLAS's thread pool, whose
    threads then spin between calls and take the CPU from the numpy work in between: on one thread the fits
    run two to three times faster.
    """
    @functools.wraps(function)
    def on_one_thread(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)
    return on_one_thread


class CannotFit(ValueError):
    """The data cannot identify the model; the message says why in words a user can act on."""


@dataclass(frozen=True)
class BgNbd:
    """Fitted BG/NBD: purchase rates ~ Gamma(r, alpha), drop-out probabilities ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int
    at_edge: tuple[str, ...] = ()


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma: spend per purchase ~ Gamma(p, nu), nu ~ Gamma(q, gamma) across customers."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int
    at_edge: tuple[str, ...] = ()

    @property
    def mean_spend(self) -> float | None:
        """Expected spend per purchase of a customer not yet seen to repeat; None when q <= 1 makes it infinite."""
        return self.gamma * self.p / (self.q - 1) if self.q > 1 else None


def _distinct(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The distinct rows of equal-length columns, how often each occurs, and each input row's distinct row."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        # One sort per column, then one over a combined integer code: much faster than unique rows of floats.
        distinct, codes = np.unique(np.asarray(column, dtype=float), return_inverse=True)
        key = key * len(distinct) + codes.reshape(-1)
    _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    return [np.asarray(c, dtype=float)[first] for c in columns], counts.astype(float), inverse.reshape(-1)


class _Column:
    """A column's distinct values and where each row's value sits among them, found once before a fit."""

    def __init__(self, values: np.ndarray) -> None:
        self.rows = values
        self.distinct, index = np.unique(values, return_inverse=True)
        self.index = index.reshape(-1)


def _check_bgnbd_input(frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> None:
    if not (len(frequency) == len(recency) == len(T)):
        raise ValueError("frequency, recency and T must have the same length")
    if np.any(frequency < 0) or np.any(frequency != np.floor(frequency)):
        raise ValueError("frequency must be whole numbers >= 0")
    if np.any(recency < 0) or np.any(recency > T) or np.any((frequency == 0) & (recency != 0)):
        raise ValueError("recency must lie in [0, T], and be 0 when frequency is 0")


def _bgnbd_rows(log_params: np.ndarray, x: _Column, tx: _Column, T: _Column) -> tuple[np.ndarray, np.ndarray]:
    """Each row's log-likelihood, and its gradient with respect to the log-parameters (4 x rows).

    Terms that depend on one column only are computed per distinct value and gathered: x takes a few dozen
    values, recency and T a few hundred, while there may be tens of thousands of rows.
    """
    r, alpha, a, b = np.exp(log_params)
    xs, xi = x.distinct, x.index
    repeat = xs > 0
    xs1 = np.where(repeat, xs, 1.0)  # keeps b + x - 1 positive where the second term does not exist
    head = gammaln(r + xs) - gammaln(r) + r * np.log(alpha)
    beta_ab = betaln(a, b)
    alive_x = betaln(a, b + xs) - beta_ab
    dropped_x = np.where(repeat, betaln(a + 1, b + xs1 - 1) - beta_ab, -np.inf)

    log_alive_T = np.log(alpha + T.distinct)[T.index]
    log_last = np.log(alpha + tx.distinct)[tx.index]
    n = r + x.rows
    alive = alive_x[xi] - n * log_alive_T
    dropped = dropped_x[xi] - n * log_last
    both = np.logaddexp(alive, dropped)
    rows = head[xi] + both

    share_dropped = np.exp(dropped - both)  # posterior share of "dropped out just after the last purchase"
    share_alive = 1.0 - share_dropped
    psi_ab, psi_abx = digamma(a + b), digamma(a + b + xs)
    d_r = (digamma(r + xs) - digamma(r) + np.log(alpha))[xi] - share_alive * log_alive_T - share_dropped * log_last
    d_alpha = r / alpha - n * (share_alive * (1 / (alpha + T.distinct))[T.index]
                               + share_dropped * (1 / (alpha + tx.distinct))[tx.index])
    d_a_alive = psi_ab - psi_abx
    d_a_dropped = np.where(repeat, digamma(a + 1) - digamma(a) + psi_ab - psi_abx, 0.0)
    d_b_alive = digamma(b + xs) - digamma(b) + psi_ab - psi_abx
    d_b_dropped = np.where(repeat, digamma(b + xs1 - 1) - digamma(b) + psi_ab - psi_abx, 0.0)
    d_a = share_alive * d_a_alive[xi] + share_dropped * d_a_dropped[xi]
    d_b = share_alive * d_b_alive[xi] + share_dropped * d_b_dropped[xi]
    return rows, np.vstack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])


def bgnbd_log_likelihood(model: BgNbd, frequency, recency, T) -> np.ndarray:
    """Each customer's log-likelihood under a BG/NBD model."""
    x, tx, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    _check_bgnbd_input(x, tx, big_t)
    return _bgnbd_rows(np.log([model.r, model.alpha, model.a, model.b]), _Column(x), _Column(tx), _Column(big_t))[0]


def _edges(log_params: np.ndarray, names: tuple[str, ...], log_limit: float = LOG_LIMIT) -> tuple[str, ...]:
    return tuple(name for name, value in zip(names, log_params) if abs(value) > log_limit - EDGE)


def _maximise(rows_of, start: np.ndarray, weights: np.ndarray, log_limit: float = LOG_LIMIT) -> np.ndarray:
    """The log-parameters that maximise the weighted log-likelihood, searched from `start`.

    The optimiser sees the mean per customer, so its tolerances mean the same for 100 customers or 100,000.
    """
    total = float(weights.sum())

    def negative(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        rows, gradients = rows_of(log_params)
        ll = float(weights @ rows)
        if not np.isfinite(ll):
            return np.inf, np.zeros_like(log_params)
        return -ll / total, -(gradients @ weights) / total

    result = minimize(negative, start, jac=True, method="L-BFGS-B", bounds=[(-log_limit, log_limit)] * len(start),
                      options={"maxiter": 1000, "ftol": 1e-14, "gtol": 1e-9})
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise CannotFit(f"the likelihood could not be maximised ({result.message})")
    return result.x


@_one_blas_thread
def fit_bgnbd(frequency, recency, T, *, limit: float = 1e4) -> BgNbd:
    """Fit BG/NBD by maximum likelihood to customers' (frequency, recency, T), or CannotFit saying why.

    Parameters are searched within 1/limit .. limit (on times divided by their mean).
    """
    x, tx, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    _check_bgnbd_input(x, tx, big_t)
    if len(x) == 0:
        raise CannotFit("there are no customers to fit")
    if not np.any(x > 0):
        raise CannotFit("no customer has bought a second time, so purchase rates cannot be told apart from "
                        "drop-out: the BG/NBD model is not identifiable")
    if not np.any(big_t > 0):
        raise CannotFit("every customer was first seen on the last day, so there is no time to observe")
    (ux, utx, uT), weights, _ = _distinct(x, tx, big_t)
    unit = float(weights @ uT / weights.sum())
    # Start where the mean purchase rate r/alpha matches the observed repeat rate, with no strong view on drop-out.
    rate = float(weights @ ux / (weights @ uT / unit))
    start = np.log([1.0, 1.0 / rate, 1.0, 1.0])
    columns = (_Column(ux), _Column(utx / unit), _Column(uT / unit))
    log_limit = float(np.log(limit))
    best = _maximise(lambda p: _bgnbd_rows(p, *columns), start, weights, log_limit)
    edges = _edges(best, ("r", "alpha", "a", "b"), log_limit)
    best[1] += np.log(unit)
    ll = float(weights @ _bgnbd_rows(best, _Column(ux), _Column(utx), _Column(uT))[0])
    r, alpha, a, b = np.exp(best)
    return BgNbd(float(r), float(alpha), float(a), float(b), ll, int(len(x)), edges)


def same_drop_out(model: BgNbd) -> bool:
    """Whether the fit is at the limit where every customer has the same drop-out chance a/(a+b)."""
    return bool({"a", "b"} & set(model.at_edge)) and min(model.a, model.b) >= RIDGE and model.customers >= RIDGE


def probability_alive(model: BgNbd, frequency, recency, T) -> np.ndarray:
    """P(the customer has not dropped out by T); the model has no drop-out before a first repeat, so 1 at x = 0."""
    x, tx, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    return expit(-_log_odds_dropped(model, x, tx, big_t))


def _log_odds_dropped(model: BgNbd, x: np.ndarray, tx: np.ndarray, big_t: np.ndarray) -> np.ndarray:
    """log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x), or -inf when x = 0 (kept in logs so it cannot overflow)."""
    repeat = x > 0
    x1 = np.where(repeat, x, 1.0)
    # At the same-drop-out limit a/(b+x-1) tends to p/(1-p) = a/b.
    chance = np.log(model.a) - (np.log(model.b) if same_drop_out(model) else np.log(model.b + x1 - 1))
    odds = chance + (model.r + x) * (np.log(model.alpha + big_t) - np.log(model.alpha + tx))
    return np.where(repeat, odds, -np.inf)


def expected_purchases(model: BgNbd, t: float, frequency, recency, T) -> np.ndarray:
    """Expected purchases in the next `t` time units for customers with (frequency, recency, T)."""
    x, tx, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    return _expected_if_alive(model, t, x, big_t) * expit(-_log_odds_dropped(model, x, tx, big_t))


def _expected_if_alive(model: BgNbd, t: float, x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
    """Expected purchases in the next t of a customer known to be alive at T (the numerator of equation 10)."""
    if t <= 0:
        return np.zeros(len(x))
    a = model.a
    if same_drop_out(model):
        # With one drop-out chance p, an alive customer of rate lambda buys (1 - exp(-lambda p t)) / p in t;
        # averaged over lambda ~ Gamma(r + x, alpha + T).
        p = a / (a + model.b)
        shape, scale = model.r + x, model.alpha + big_t
        return -np.expm1(shape * (np.log(scale) - np.log(scale + p * t))) / p
    if abs(a - 1) < POLE:
        # The closed form divides by a - 1 though the expectation is smooth in a: near the pole, interpolate
        # between a = 1 -/+ POLE (error of order POLE^2, far below the cancellation at a itself).
        below, above = (_if_alive(model, 1 - POLE, t, x, big_t), _if_alive(model, 1 + POLE, t, x, big_t))
        return below + (a - 1 + POLE) / (2 * POLE) * (above - below)
    return _if_alive(model, a, t, x, big_t)


def _if_alive(model: BgNbd, a: float, t: float, x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
    """_expected_if_alive for a given a (away from a = 1)."""
    r, alpha, b = model.r, model.alpha, model.b
    z = t / (alpha + big_t + t)
    # Euler's transformation turns ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z) into
    # (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z): no huge power times a huge series for heavy buyers.
    transformed = np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * (1 - transformed)


def _gamma_gamma_rows(log_params: np.ndarray, x: _Column, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each repeat customer's log-likelihood of their mean repeat spend, and its gradient (3 x rows)."""
    p, q, g = np.exp(log_params)
    # Special functions depend on x alone: once per distinct x, then gathered.
    xs, xi = x.distinct, x.index
    pxs = p * xs
    head = (gammaln(pxs + q) - gammaln(pxs) - gammaln(q) + q * np.log(g) + pxs * np.log(xs))[xi]
    psi_pxq, psi_px = digamma(pxs + q), digamma(pxs)
    px = p * x.rows
    log_m, log_total = np.log(m), np.log(g + x.rows * m)
    rows = head + (px - 1) * log_m - (px + q) * log_total
    d_p = x.rows * ((psi_pxq - psi_px + np.log(xs))[xi] + log_m - log_total)
    d_q = (psi_pxq - digamma(q) + np.log(g))[xi] - log_total
    d_g = q / g - (px + q) / (g + x.rows * m)
    return rows, np.vstack([d_p * p, d_q * q, d_g * g])


def gamma_gamma_log_likelihood(model: GammaGamma, frequency, mean_spend) -> np.ndarray:
    """Each repeat customer's log-likelihood of their mean repeat spend under a Gamma-Gamma model."""
    x, m = np.asarray(frequency, dtype=float), np.asarray(mean_spend, dtype=float)
    return _gamma_gamma_rows(np.log([model.p, model.q, model.gamma]), _Column(x), m)[0]


@_one_blas_thread
def fit_gamma_gamma(frequency, mean_spend) -> GammaGamma:
    """Fit Gamma-Gamma to the repeat customers' (frequency, mean repeat spend); customers with x = 0 are ignored."""
    x, m = np.asarray(frequency, dtype=float), np.asarray(mean_spend, dtype=float)
    keep = x > 0
    x, m = x[keep], m[keep]
    if len(x) < 2:
        raise CannotFit(f"{'no customer has' if len(x) == 0 else 'only one customer has'} bought a second time; "
                        "the Gamma-Gamma spend model needs repeat purchases from several customers")
    if np.any(~np.isfinite(m)) or np.any(m <= 0):
        raise CannotFit("a repeat customer's mean spend is not a positive amount")
    if np.all(m == m[0]):
        raise CannotFit("every repeat customer spent the same, so spend cannot vary between customers in the model")
    (ux, um), weights, _ = _distinct(x, m)
    unit = float(np.average(um, weights=weights))
    # Start with a defined population mean (q = 2) equal to the observed mean spend.
    start = np.log([1.0, 2.0, 1.0])
    frequency_column = _Column(ux)
    best = _maximise(lambda p: _gamma_gamma_rows(p, frequency_column, um / unit), start, weights)
    edges = _edges(best, ("p", "q", "gamma"))
    best[2] += np.log(unit)
    ll = float(weights @ _gamma_gamma_rows(best, frequency_column, um)[0])
    p, q, g = np.exp(best)
    return GammaGamma(float(p), float(q), float(g), ll, int(len(x)), edges)


def expected_spend(model: GammaGamma, frequency, mean_spend) -> np.ndarray:
    """Expected spend per future purchase: a weighted mean of the population mean and the customer's own mean.

    NaN where the model gives no finite mean (q <= 1 for customers with no repeat purchase).
    """
    x, m = np.asarray(frequency, dtype=float), np.asarray(mean_spend, dtype=float)
    denominator = model.p * x + model.q - 1
    own = np.where(x > 0, m, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = model.p * (model.gamma + x * own) / denominator
    return np.where(denominator > 0, value, np.nan)


@dataclass(frozen=True)
class Lifetime:
    """Per-customer predictions over a horizon: expected purchases, P(alive), spend per purchase, discounted value."""

    expected_purchases: np.ndarray
    p_alive: np.ndarray
    expected_spend: np.ndarray
    value: np.ndarray


@_one_blas_thread
def lifetime_values(purchases: BgNbd, spend_per_purchase: np.ndarray, frequency, recency, T, *,
                    months: int, monthly_discount: float, margin: float = 1.0, days_per_unit: float = 7.0) -> Lifetime:
    """Discounted value over `months`: sum of each month's expected purchases x spend x margin / (1 + d)^month.

    `spend_per_purchase` is per customer (e.g. from expected_spend); times are in units of `days_per_unit` days.
    """
    x, tx, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    spend = np.asarray(spend_per_purchase, dtype=float)
    month = DAYS_PER_MONTH / days_per_unit
    # Purchases if alive depend on (x, T) only and P(alive) on (x, t_x, T): the costly hypergeometric terms
    # are computed once per distinct (x, T).
    (ux, uT), _, pair = _distinct(x, big_t)
    discount = (1.0 + monthly_discount) ** -np.arange(1, months + 1, dtype=float)
    cumulative = np.vstack([np.zeros(len(ux))] + [_expected_if_alive(purchases, k * month, ux, uT)
                                                   for k in range(1, months + 1)])
    discounted = discount @ np.diff(cumulative, axis=0)
    alive = probability_alive(purchases, x, tx, big_t)
    return Lifetime(
        expected_purchases=cumulative[-1][pair] * alive,
        p_alive=alive,
        expected_spend=spend,
        value=discounted[pair] * alive * spend * margin,
    )
