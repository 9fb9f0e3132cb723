"""The absorbing-chain solver against an exact reference: dict transition counts and Fraction Gauss–Jordan."""

from __future__ import annotations

import random
from collections import defaultdict
from fractions import Fraction

import numpy as np
import pytest

from accord.reviews import markov

START, CONVERSION, NULL = ("<start>",), "<conversion>", "<null>"


def as_paths(journeys: list[tuple[tuple[str, ...], int, list[int]]]) -> markov.Paths:
    """Paths arrays from (channels, journeys, [conversions, other measures...]) written out by hand."""
    channels = tuple(sorted({c for path, _, _ in journeys for c in path}))
    code = {c: i for i, c in enumerate(channels)}
    flat = [code[c] for path, _, _ in journeys for c in path]
    lengths = [len(path) for path, _, _ in journeys]
    return markov.Paths(
        channels=channels,
        codes=np.array(flat, dtype=np.int64),
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        journeys=np.array([n for _, n, _ in journeys], dtype=np.int64),
        measures=np.array([m for _, _, m in journeys], dtype=np.int64),
    )


def reference(journeys, order: int = 1) -> tuple[list[Fraction], dict[str, list[Fraction]]]:
    """Expected measures per journey and removal effects, exactly, by a different route than markov.solve.

    Transitions are counted in dicts keyed by state tuples; the absorption equations
    x_s = Σ_t P(s→t)·x_t + M_s / T_s are solved by Gauss–Jordan elimination over Fractions.
    """
    measures = len(journeys[0][2])
    out: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    ending: dict[tuple, list[int]] = defaultdict(lambda: [0] * measures)
    for path, n, values in journeys:
        states = [tuple(path[max(0, i - order + 1): i + 1]) for i in range(len(path))]
        previous = START
        for state in states:
            out[previous][state] += n
            previous = state
        out[previous][CONVERSION] += values[0]
        out[previous][NULL] += n - values[0]
        ending[previous] = [a + b for a, b in zip(ending[previous], values)]
    transient = sorted(out)
    channels = sorted({c for path, _, _ in journeys for c in path})

    def expected(removed: str | None) -> list[Fraction]:
        index = {s: i for i, s in enumerate(transient)}
        size = len(transient)
        # Rows: (I − Q) x = b, with removed states held at zero (they lead to null).
        matrix = [[Fraction(0)] * (size + measures) for _ in range(size)]
        for s, targets in out.items():
            row = matrix[index[s]]
            row[index[s]] += 1
            if removed is not None and removed in s:
                continue
            total = sum(targets.values())
            for t, n in targets.items():
                if t in index:
                    row[index[t]] -= Fraction(n, total)
            for k in range(measures):
                row[size + k] = Fraction(ending[s][k], total)
        for col in range(size):
            pivot = next(r for r in range(col, size) if matrix[r][col] != 0)
            matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
            lead = matrix[col][col]
            matrix[col] = [v / lead for v in matrix[col]]
            for r in range(size):
                if r != col and matrix[r][col] != 0:
                    factor = matrix[r][col]
                    matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[col])]
        return [matrix[index[START]][size + k] for k in range(measures)]

    full = expected(None)
    effects = {
        c: [1 - w / f if f else Fraction(0) for w, f in zip(expected(c), full)] for c in channels
    }
    return full, effects


def test_hand_worked_chain():
    # A>B converts, A alone does not, B alone converts: start→A 2/3, start→B 1/3, A→B 1/2, A→null 1/2.
    # P(conversion) = 2/3·1/2 + 1/3 = 2/3; without A: 1/3 (effect 1/2); without B: 0 (effect 1).
    journeys = [(("A", "B"), 1, [1]), (("A",), 1, [0]), (("B",), 1, [1])]

    chain = markov.solve(as_paths(journeys))

    assert chain.expected.tolist() == pytest.approx([2 / 3], abs=1e-12)
    assert chain.removal_effects[:, 0].tolist() == pytest.approx([1 / 2, 1], abs=1e-12)
    assert chain.states == 2


def test_acyclic_chain_equals_path_enumeration():
    # Without loops P(conversion) is the sum over the chain's routes of the products of their probabilities.
    journeys = [(("A", "B", "C"), 3, [2, 500]), (("A", "C"), 2, [1, 100]), (("B", "C"), 4, [1, 300]),
                (("B",), 5, [0, 0]), (("A", "B"), 1, [1, 50])]
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path, n, (conv, _) in journeys:
        for a, b in zip(("start",) + path, path):
            counts[a][b] += n
        counts[path[-1]]["conv"] += conv
        counts[path[-1]]["null"] += n - conv

    def p(a: str, b: str) -> Fraction:
        return Fraction(counts[a][b], sum(counts[a].values()))

    def routes(state: str, banned: str | None) -> Fraction:
        if state == "conv":
            return Fraction(1)
        if state == "null" or state == banned:
            return Fraction(0)
        return sum((p(state, t) * routes(t, banned) for t in counts[state]), Fraction(0))

    full = routes("start", None)
    chain = markov.solve(as_paths(journeys))

    assert float(full) == pytest.approx(chain.expected[0], abs=1e-12)
    for i, channel in enumerate("ABC"):
        assert chain.removal_effects[i, 0] == pytest.approx(float(1 - routes("start", channel) / full), abs=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_random_cyclic_paths_agree_with_the_fraction_reference(order):
    rng = random.Random(20241 + order)
    journeys = []
    seen = set()
    while len(journeys) < 60:
        path = tuple(rng.choice("ABCDE") for _ in range(rng.randint(1, 6)))
        if path in seen:
            continue
        seen.add(path)
        n = rng.randint(1, 40)
        conversions = rng.randint(0, n)
        journeys.append((path, n, [conversions, conversions * rng.randint(100, 9000), rng.randint(0, conversions)]))

    chain = markov.solve(as_paths(journeys), order)
    full, effects = reference(journeys, order)

    assert chain.expected.tolist() == pytest.approx([float(x) for x in full], rel=1e-9, abs=1e-9)
    for i, channel in enumerate("ABCDE"):
        assert chain.removal_effects[i].tolist() == pytest.approx([float(x) for x in effects[channel]], abs=1e-9)
    # Higher orders see more: the chain has a state per distinct run of up to `order` channels.
    runs = {path[max(0, i - order + 1): i + 1] for path, _, _ in journeys for i in range(len(path))}
    assert chain.states == len(runs)


def test_a_chain_without_conversions_has_no_effects():
    chain = markov.solve(as_paths([(("A", "B"), 3, [0]), (("B",), 2, [0])]))

    assert chain.expected.tolist() == [0.0]
    assert chain.removal_effects.tolist() == [[0.0], [0.0]]


def test_an_empty_path_is_refused():
    with pytest.raises(ValueError, match="at least one touch"):
        markov.solve(as_paths([((), 1, [1])]))
