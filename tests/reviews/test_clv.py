"""BG/NBD and Gamma-Gamma against the papers' formulas written out naively, numerical integration and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize
from scipy.special import hyp2f1

from accord.reviews import clv

# (x, t_x, T) in weeks: a new customer, a first-day repeat, the papers' customer 1, heavy and lapsed buyers.
CUSTOMERS = [(0, 0.0, 38.86), (0, 0.0, 0.0), (1, 0.0, 12.0), (2, 30.43, 38.86), (5, 20.0, 20.0),
             (12, 35.5, 36.0), (3, 4.0, 50.0), (1, 38.0, 38.5), (20, 70.0, 71.0)]
PARAMS = clv.BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, customers=0)


def beta_fn(x: float, y: float) -> float:
    return math.gamma(x) * math.gamma(y) / math.gamma(x + y)


def naive_likelihood(r, alpha, a, b, x, tx, T) -> float:
    """Fader, Hardie & Lee (2005), equation (6), term by term."""
    alive = beta_fn(a, b + x) / beta_fn(a, b) * math.gamma(r + x) * alpha ** r / (math.gamma(r) * (alpha + T) ** (r + x))
    if x == 0:
        return alive
    dropped = (beta_fn(a + 1, b + x - 1) / beta_fn(a, b)
               * math.gamma(r + x) * alpha ** r / (math.gamma(r) * (alpha + tx) ** (r + x)))
    return alive + dropped


def naive_expected(r, alpha, a, b, t, x, tx, T) -> float:
    """Equation (10): E[X(t) | x, t_x, T] with the hypergeometric function as printed."""
    z = t / (alpha + T + t)
    power = ((alpha + T) / (alpha + T + t)) ** (r + x)
    top = (a + b + x - 1) / (a - 1) * (1 - power * hyp2f1(r + x, b + x, a + b + x - 1, z))
    bottom = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
    return top / bottom


def simulate(n: int, r: float, alpha: float, a: float, b: float, seed: int) -> tuple[np.ndarray, ...]:
    """Customers from the BG/NBD story: Poisson purchases at rate lambda; after each repeat purchase the
    customer drops out with probability p."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(r, 1 / alpha, n)
    drops = rng.beta(a, b, n)
    ages = rng.uniform(10, 52, n)
    x, tx = np.zeros(n), np.zeros(n)
    for i in range(n):
        now = rng.exponential(1 / rates[i])
        while now <= ages[i]:
            x[i] += 1
            tx[i] = now
            if rng.random() < drops[i]:
                break
            now += rng.exponential(1 / rates[i])
    return x, tx, ages


def test_log_likelihood_is_the_papers_formula_customer_by_customer():
    x, tx, T = (np.array(c) for c in zip(*CUSTOMERS))
    for r, alpha, a, b in [(0.243, 4.414, 0.793, 2.426), (2.0, 30.0, 1.5, 0.4), (0.05, 0.5, 8.0, 20.0)]:
        model = clv.BgNbd(r, alpha, a, b, 0.0, 0)
        expected = [math.log(naive_likelihood(r, alpha, a, b, *c)) for c in CUSTOMERS]
        assert clv.bgnbd_log_likelihood(model, x, tx, T) == pytest.approx(expected, rel=1e-11, abs=1e-11)


def test_fit_is_the_maximum_of_the_naive_likelihood_and_reports_it():
    x, tx, T = simulate(300, 0.8, 6.0, 1.2, 3.0, seed=11)
    fit = clv.fit_bgnbd(x, tx, T)

    def naive_negative(log_params):
        r, alpha, a, b = np.exp(log_params)
        return -sum(math.log(naive_likelihood(r, alpha, a, b, *c)) for c in zip(x, tx, T))

    reference = minimize(naive_negative, np.log([1.0, 1.0, 1.0, 1.0]), method="Nelder-Mead",
                         options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 20000, "maxfev": 40000})
    assert [fit.r, fit.alpha, fit.a, fit.b] == pytest.approx(np.exp(reference.x), rel=2e-4)
    assert fit.log_likelihood == pytest.approx(-reference.fun, abs=1e-6)
    assert fit.customers == 300 and fit.at_edge == ()


def test_fit_recovers_the_parameters_of_simulated_customers():
    x, tx, T = simulate(20_000, 0.5, 8.0, 0.9, 2.5, seed=3)
    fit = clv.fit_bgnbd(x, tx, T)
    assert fit.r == pytest.approx(0.5, rel=0.06)
    assert fit.alpha == pytest.approx(8.0, rel=0.10)
    assert fit.a == pytest.approx(0.9, rel=0.15)
    assert fit.b == pytest.approx(2.5, rel=0.20)


def posterior_integrals(r, alpha, a, b, t, x, tx, T) -> tuple[float, float]:
    """E[X(t)] and P(alive) by integrating over the drop-out probability p (lambda integrated in closed form)."""
    def gamma_part(total_time):  # integral of the Gamma(r, alpha) density x lambda^x e^(-lambda time)
        return math.exp(math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) - (r + x) * math.log(alpha + total_time))

    def over_prior(h):
        # p = u^(1/a) turns the Beta(a, b) density's p^(a-1) dp into du / a, which quad integrates accurately.
        return quad(lambda u: h(u ** (1 / a)) * (1 - u ** (1 / a)) ** (b - 1) / a, 0, 1,
                    limit=500, epsabs=0, epsrel=1e-12)[0] / beta_fn(a, b)

    alive = over_prior(lambda p: (1 - p) ** x * gamma_part(T))
    dropped = over_prior(lambda p: p * (1 - p) ** (x - 1) * gamma_part(tx)) if x else 0.0
    # An alive customer with rate lambda buys (1 - e^(-lambda p t)) / p more times in t.
    # gamma_part(T) - gamma_part(T + p t), written so that small p t loses no digits.
    future = over_prior(lambda p: (1 - p) ** x * gamma_part(T) * -math.expm1(-(r + x) * math.log1p(p * t / (alpha + T))) / p
                        if p > 0 else (r + x) * t * gamma_part(T) / (alpha + T))
    return future / (alive + dropped), alive / (alive + dropped)


@pytest.mark.parametrize("model", [PARAMS, clv.BgNbd(1.7, 25.0, 2.5, 6.0, 0.0, 0), clv.BgNbd(0.6, 3.0, 1.0, 4.0, 0.0, 0)],
                         ids=["cdnow", "a-above-1", "a-exactly-1"])
def test_expected_purchases_and_p_alive_match_integration_over_the_posterior(model):
    x, tx, T = (np.array(c) for c in zip(*CUSTOMERS))
    for t in (1.0, 39.0, 156.0):
        expected, alive = zip(*(posterior_integrals(model.r, model.alpha, model.a, model.b, t, *c) for c in CUSTOMERS))
        assert clv.expected_purchases(model, t, x, tx, T) == pytest.approx(expected, rel=1e-8)
        assert clv.probability_alive(model, x, tx, T) == pytest.approx(alive, rel=1e-10)
    assert clv.expected_purchases(model, 0.0, x, tx, T).tolist() == [0.0] * len(CUSTOMERS)


def test_expected_purchases_agree_with_the_printed_closed_form():
    x, tx, T = (np.array(c) for c in zip(*CUSTOMERS))
    ours = clv.expected_purchases(PARAMS, 39.0, x, tx, T)
    printed = [naive_expected(PARAMS.r, PARAMS.alpha, PARAMS.a, PARAMS.b, 39.0, *c) for c in CUSTOMERS]
    assert ours == pytest.approx(printed, rel=1e-9)
    # Customer 1 of the CDNOW sample (x = 2, t_x = 30.43, T = 38.86), next 39 weeks.
    assert round(float(ours[3]), 3) == 1.226


def test_no_repeat_purchases_or_no_customers_cannot_fit_and_says_why():
    with pytest.raises(clv.CannotFit, match="not identifiable"):
        clv.fit_bgnbd([0, 0, 0], [0, 0, 0], [5.0, 9.0, 1.0])
    with pytest.raises(clv.CannotFit, match="no customers"):
        clv.fit_bgnbd([], [], [])
    with pytest.raises(clv.CannotFit, match="last day"):
        clv.fit_bgnbd([1, 0], [0, 0], [0, 0])
    with pytest.raises(ValueError, match="recency"):
        clv.fit_bgnbd([1, 2], [5.0, 3.0], [4.0, 9.0])


def test_a_history_too_short_to_tell_rates_from_drop_out_is_at_the_edge():
    fit = clv.fit_bgnbd([1, 1, 0], [5.0, 7.8, 0.0], [5.0, 7.9, 2.0])
    assert fit.at_edge != ()


def naive_gamma_gamma(p, q, g, x, m) -> float:
    """Fader & Hardie (2013): density of a customer's mean spend m over x purchases."""
    return (math.gamma(p * x + q) / (math.gamma(p * x) * math.gamma(q)) * g ** q * m ** (p * x - 1) * x ** (p * x)
            / (g + x * m) ** (p * x + q))


SPENDERS = [(1, 20.0), (2, 35.5), (3, 12.25), (6, 60.0), (1, 5.0), (4, 18.0), (2, 22.0), (9, 41.0)]


def test_gamma_gamma_log_likelihood_fit_and_expected_spend():
    x, m = (np.array(c, dtype=float) for c in zip(*SPENDERS))
    model = clv.GammaGamma(6.25, 3.74, 15.44, 0.0, 0)
    expected = [math.log(naive_gamma_gamma(6.25, 3.74, 15.44, *c)) for c in SPENDERS]
    assert clv.gamma_gamma_log_likelihood(model, x, m) == pytest.approx(expected, rel=1e-12)

    fit = clv.fit_gamma_gamma(np.append(x, 0), np.append(m, 0.0))  # a customer with no repeat is ignored
    reference = minimize(lambda lp: -sum(math.log(naive_gamma_gamma(*np.exp(lp), *c)) for c in SPENDERS),
                         np.log([1.0, 2.0, 20.0]), method="Nelder-Mead",
                         options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000})
    assert fit.customers == len(SPENDERS)
    assert fit.log_likelihood == pytest.approx(-reference.fun, abs=1e-6)
    assert fit.log_likelihood >= -reference.fun - 1e-9

    # The posterior of the customer's spend rate nu is Gamma(px + q, gamma + x m); E[spend] = E[p / nu].
    def posterior_mean(xi, mi):
        shape, rate = model.p * xi + model.q, model.gamma + xi * mi
        def density(nu):
            return math.exp(shape * math.log(rate) - math.lgamma(shape) + (shape - 1) * math.log(nu) - rate * nu)

        return quad(lambda nu: model.p / nu * density(nu), 0, math.inf)[0]

    spend = clv.expected_spend(model, np.append(x, 0), np.append(m, 99.0))
    assert spend[:-1] == pytest.approx([posterior_mean(*c) for c in SPENDERS], rel=1e-7)
    assert spend[-1] == pytest.approx(15.44 * 6.25 / 2.74, rel=1e-12)  # no repeat: the population mean
    assert model.mean_spend == pytest.approx(15.44 * 6.25 / 2.74)
    assert np.isnan(clv.expected_spend(clv.GammaGamma(1.0, 0.8, 10.0, 0.0, 0), [0], [0.0])[0])


def test_gamma_gamma_cannot_fit_without_several_repeat_customers_or_varied_spend():
    with pytest.raises(clv.CannotFit, match="no customer has bought a second time"):
        clv.fit_gamma_gamma([0, 0], [0.0, 0.0])
    with pytest.raises(clv.CannotFit, match="only one customer"):
        clv.fit_gamma_gamma([2, 0], [10.0, 0.0])
    with pytest.raises(clv.CannotFit, match="spent the same"):
        clv.fit_gamma_gamma([2, 3], [10.0, 10.0])


def test_lifetime_value_is_monthly_expected_purchases_times_spend_discounted():
    x, tx, T = (np.array(c) for c in zip(*CUSTOMERS))
    order = np.random.default_rng(5).permutation(np.tile(np.arange(len(CUSTOMERS)), 3))  # duplicates, shuffled
    x, tx, T = x[order], tx[order], T[order]
    spend = np.linspace(10.0, 80.0, len(order))
    life = clv.lifetime_values(PARAMS, spend, x, tx, T, months=6, monthly_discount=0.02, margin=0.4)
    month = 365.25 / 12 / 7
    for i in range(len(order)):
        args = (PARAMS.r, PARAMS.alpha, PARAMS.a, PARAMS.b)
        cumulative = [naive_expected(*args, k * month, x[i], tx[i], T[i]) for k in range(1, 7)]
        increments = np.diff([0.0] + cumulative)
        value = sum(n / 1.02 ** (k + 1) for k, n in enumerate(increments)) * spend[i] * 0.4
        assert life.value[i] == pytest.approx(value, rel=1e-9)
        assert life.expected_purchases[i] == pytest.approx(cumulative[-1], rel=1e-9)
        odds = (x[i] > 0) * PARAMS.a / (PARAMS.b + max(x[i], 1) - 1) * (
            (PARAMS.alpha + T[i]) / (PARAMS.alpha + tx[i])) ** (PARAMS.r + x[i])
        assert life.p_alive[i] == pytest.approx(1 / (1 + odds))
    assert life.expected_spend.tolist() == spend.tolist()


def test_the_same_drop_out_limit_is_where_the_general_forecasts_go_as_a_and_b_grow_together():
    x, tx, T = np.array([0, 1, 3, 8, 20, 2.0]), np.array([0, 10, 30, 60, 70, 5.0]), np.array([20, 40, 70, 75, 80, 90.0])
    at_limit = clv.BgNbd(1.2, 3.2, 3_000.0, 30_000.0, 0.0, 100, at_edge=("b",))
    assert clv.same_drop_out(at_limit)
    limit = clv.expected_purchases(at_limit, 26.0, x, tx, T)
    # The limit's closed forms, with p = a/(a+b) = 1/11.
    p = 1 / 11
    alive = 1 / (1 + (x > 0) * p / (1 - p) * ((3.2 + T) / (3.2 + tx)) ** (1.2 + x))
    assert clv.probability_alive(at_limit, x, tx, T) == pytest.approx(alive, rel=1e-12)
    assert limit == pytest.approx((1 - ((3.2 + T) / (3.2 + T + p * 26.0)) ** (1.2 + x)) / p * alive, rel=1e-12)
    # The general model with the same p and a, b growing tenfold and more: it closes in on the limit like 1/a.
    gaps = []
    for a in (25.0, 50.0, 100.0, 200.0):
        general = clv.BgNbd(1.2, 3.2, a, 10 * a, 0.0, 100)
        assert not clv.same_drop_out(general)
        gaps.append(float(np.max(np.abs(clv.expected_purchases(general, 26.0, x, tx, T) / limit - 1))))
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] < 0.01
    assert [round(gaps[i] / gaps[i + 1], 1) for i in range(3)] == [2.0, 2.0, 2.0]
    # Ran to the edge with a still small: drop-out varies, not the limit; and too few customers to tell.
    assert not clv.same_drop_out(clv.BgNbd(1.2, 3.2, 2.0, 10_000.0, 0.0, 100, at_edge=("b",)))
    assert not clv.same_drop_out(clv.BgNbd(1.2, 3.2, 3_000.0, 30_000.0, 0.0, 99, at_edge=("b",)))
