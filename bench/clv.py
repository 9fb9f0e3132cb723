"""Lifetime value for 100,000 customers: fit BG/NBD and Gamma-Gamma, then predict 12 months, against `lifetimes`.

Run: .venv/bin/python bench/clv.py [--customers N] [--runs N]

The customers are drawn from the two models (seeded) with day-resolution times over one year, time in weeks.
Accord's side runs here; the lifetimes side runs the same data in bench/.venv, a virtualenv of its own, so that
lifetimes never enters the project's environment. Versions verified to work there (2026-11):

    python3 -m venv bench/.venv
    bench/.venv/bin/pip install lifetimes==0.11.3 autograd==1.9.1 dill==0.4.1 numpy==2.4.6 pandas==3.1.1 scipy==1.17.1

Both sides do the same work: both fits and, for every customer, 12 months of expected purchases, expected
spend and discounted value. lifetimes is timed as its documentation uses it (one row per customer) and given
the distinct (frequency, recency, T) rows with weights, which its `fit` also accepts. lifetimes counts a month
as 4.345 weeks, Accord as 365.25 / 12 days; for the value comparison Accord is run with lifetimes' month.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PEER_PYTHON = HERE / ".venv" / "bin" / "python"
TRUE = {"r": 0.6, "alpha": 5.0, "a": 0.8, "b": 2.5, "p": 5.0, "q": 3.0, "gamma": 20.0}
MONTHS, DISCOUNT = 12, 0.01
LIFETIMES_MONTH_WEEKS = 4.345


def customers(n: int, seed: int = 2026) -> dict[str, np.ndarray]:
    """frequency, recency and T in weeks (whole days / 7) and the mean repeat spend, drawn from the models."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n) / 7  # per day
    drop = rng.beta(TRUE["a"], TRUE["b"], n)
    first = rng.integers(0, 365, n).astype(float)
    end = 365.0
    x, last = np.zeros(n), first.copy()
    now = first + rng.exponential(1 / rate)
    active = now < end
    while active.any():
        x[active] += 1
        last[active] = np.floor(now[active])
        active &= rng.random(n) >= drop
        now = now + rng.exponential(1 / rate)
        active &= now < end
    nu = rng.gamma(TRUE["q"], 1 / TRUE["gamma"], n)
    spend = np.where(x > 0, rng.gamma(TRUE["p"] * np.maximum(x, 1), 1 / (np.maximum(x, 1) * nu)), 0.0)
    return {"frequency": x, "recency": (last - first) / 7, "T": (end - 1 - first) / 7, "spend": spend}


def accord_side(data: dict[str, np.ndarray], days_per_unit: float) -> dict:
    """Fit both models and value every customer with Accord; returns the parameters and the values."""
    from accord.reviews import clv

    x, tx, T, m = data["frequency"], data["recency"], data["T"], data["spend"]
    purchases = clv.fit_bgnbd(x, tx, T)
    spend = clv.fit_gamma_gamma(x, m)
    life = clv.lifetime_values(purchases, clv.expected_spend(spend, x, m), x, tx, T, months=MONTHS,
                               monthly_discount=DISCOUNT, days_per_unit=days_per_unit)
    return {"params": [purchases.r, purchases.alpha, purchases.a, purchases.b, spend.p, spend.q, spend.gamma],
            "value": life.value, "p_alive": life.p_alive}


def lifetimes_side(data: dict[str, np.ndarray], weighted: bool) -> dict:
    """The same with lifetimes (run inside bench/.venv)."""
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    frame = pd.DataFrame({k: data[k] for k in ("frequency", "recency", "T", "spend")})
    bg = BetaGeoFitter()
    if weighted:
        distinct = frame.groupby(["frequency", "recency", "T"]).size().reset_index(name="weights")
        bg.fit(distinct["frequency"], distinct["recency"], distinct["T"], weights=distinct["weights"])
    else:
        bg.fit(frame["frequency"], frame["recency"], frame["T"])
    repeat = frame[frame["frequency"] > 0]
    gg = GammaGammaFitter()
    gg.fit(repeat["frequency"], repeat["spend"])
    value = gg.customer_lifetime_value(bg, frame["frequency"], frame["recency"], frame["T"], frame["spend"],
                                       time=MONTHS, discount_rate=DISCOUNT, freq="W")
    alive = bg.conditional_probability_alive(frame["frequency"], frame["recency"], frame["T"])
    params = [bg.params_[k] for k in ("r", "alpha", "a", "b")] + [gg.params_[k] for k in ("p", "q", "v")]
    return {"params": [float(v) for v in params], "value": np.asarray(value, dtype=float),
            "p_alive": np.asarray(alive, dtype=float)}


def timed(function, runs: int) -> tuple[dict[str, list[float]], dict]:
    """Wall and CPU seconds of each run, and the last run's output.

    CPU time is the cost of the work; wall time also counts waiting for a core on a shared machine.
    """
    seconds, out = {"wall": [], "cpu": []}, None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        out = function()
        seconds["wall"].append(time.perf_counter() - wall)
        seconds["cpu"].append(time.process_time() - cpu)
    return seconds, out


def medians(seconds: dict[str, list[float]]) -> str:
    return ", ".join(f"{kind} median {statistics.median(values):.3f} s (best {min(values):.3f})"
                     for kind, values in seconds.items())


def peer(data_path: Path, out_path: Path, runs: int) -> None:
    """The lifetimes half, run by bench/.venv's Python: writes timings and results next to the data."""
    import lifetimes

    with np.load(data_path) as loaded:
        data = {k: loaded[k] for k in loaded.files}
    report = {"version": lifetimes.__version__, "numpy": np.__version__}
    for weighted in (False, True):
        seconds, out = timed(lambda: lifetimes_side(data, weighted), runs)
        report["weighted" if weighted else "per_customer"] = {"seconds": seconds, "params": out["params"]}
        np.savez(out_path.with_suffix(f".{'weighted' if weighted else 'per_customer'}.npz"),
                 value=out["value"], p_alive=out["p_alive"])
    out_path.write_text(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--peer-runs", type=int, default=3)
    parser.add_argument("--peer", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        peer(*args.peer, args.peer_runs)
        return

    data = customers(args.customers)
    distinct = len(np.unique(np.column_stack([data["frequency"], data["recency"], data["T"]]), axis=0))
    print(f"CLV for {args.customers:,} customers ({distinct:,} distinct (frequency, recency, T)), "
          f"{int((data['frequency'] > 0).sum()):,} repeat buyers; {MONTHS} months at {DISCOUNT:.0%} a month")
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"numpy {np.__version__}")
    ours, result = timed(lambda: accord_side(data, 7.0), args.runs)
    print(f"accord, {args.runs} runs: {medians(ours)}")
    print("  r, alpha, a, b, p, q, gamma =", ", ".join(f"{v:.4f}" for v in result["params"]))

    if not PEER_PYTHON.exists():
        print(f"lifetimes: not run; create bench/.venv as this file's docstring says ({PEER_PYTHON} is missing)")
        return
    with tempfile.TemporaryDirectory() as folder:
        data_path, out_path = Path(folder) / "data.npz", Path(folder) / "lifetimes.json"
        np.savez(data_path, **data)
        finished = subprocess.run([str(PEER_PYTHON), __file__, "--peer", str(data_path), str(out_path),
                                   "--peer-runs", str(args.peer_runs)], capture_output=True, text=True)
        if finished.returncode != 0:
            last = (finished.stderr.strip().splitlines() or ["no message"])[-1]
            print(f"lifetimes: failed in bench/.venv: {last}")
            return
        report = json.loads(out_path.read_text())
        theirs = {k: np.load(out_path.with_suffix(f".{k}.npz")) for k in ("per_customer", "weighted")}
    print(f"lifetimes {report['version']} (numpy {report['numpy']}) in bench/.venv:")
    # Same month length as lifetimes for the value comparison.
    same_month = accord_side(data, 365.25 / 12 / LIFETIMES_MONTH_WEEKS)
    for name, label in (("per_customer", "one row per customer"), ("weighted", "distinct rows with weights")):
        seconds = report[name]["seconds"]
        ratio = ", ".join(f"{kind} {statistics.median(seconds[kind]) / statistics.median(ours[kind]):.1f}x"
                          for kind in ("wall", "cpu"))
        params = np.array(report[name]["params"])
        param_gap = np.max(np.abs(params / np.array(result["params"]) - 1))
        gaps = np.abs(theirs[name]["value"] - same_month["value"]) / np.maximum(np.abs(same_month["value"]), 1e-9)
        value_gap = np.max(gaps)
        total_gap = abs(theirs[name]["value"].sum() / same_month["value"].sum() - 1)
        print(f"  {label}, {len(seconds['wall'])} runs: {medians(seconds)}; lifetimes / accord: {ratio}")
        print(f"    largest relative gap: parameters {param_gap:.1e}, a customer's value {value_gap:.1e}, "
              f"total value {total_gap:.1e}")


if __name__ == "__main__":
    sys.exit(main())
