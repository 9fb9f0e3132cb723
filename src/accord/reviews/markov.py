"""Markov-chain attribution solved exactly: absorbing-chain probabilities and each channel's removal effect.

The chain is estimated from its moves: counted from aggregated journey paths, or straight from the events in
the engine (they are the same numbers). Its transient states are `start` and the channels
(or, for order k, the last k channels seen); its absorbing states are conversion and null (no conversion).
The probability of conversion from `start` is a linear solve of (I − Q) x = b, not a simulation. Removing a
channel sends every journey that reaches it to null; the removal effect is the relative loss of conversions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix, diags, identity
from scipy.sparse.linalg import spsolve


@dataclass(frozen=True)
class Paths:
    """Distinct journey paths with their counts, in flat arrays (the shape an engine's aggregate arrives in).

    `codes[offsets[p]:offsets[p + 1]]` is path p as indices into `channels`; `journeys[p]` how many journeys
    took it; `measures[p]` what those journeys brought, one column each, the first being conversions.
    """

    channels: tuple[str, ...]
    codes: np.ndarray
    offsets: np.ndarray
    journeys: np.ndarray
    measures: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        """The number of touches on each path."""
        return np.diff(self.offsets)

    @property
    def conversions(self) -> np.ndarray:
        """Conversions per path."""
        return self.measures[:, 0]


@dataclass(frozen=True)
class MarkovChain:
    """The expected measures per journey under the chain, and each channel's removal effect per measure."""

    expected: np.ndarray
    removal_effects: np.ndarray
    states: int


@dataclass(frozen=True)
class Moves:
    """What a chain is estimated from: journeys moving between states, and journeys ending in a state.

    `moved[i]` journeys went from state `source[i]` to `target[i]`; `ended[j]` journeys ended in `end[j]`, bringing
    `measures[j]` (conversions first). A state is a key: the indices + 1 of its last `order` channels, the newest
    first, as digits in base len(channels) + 1, 0 where a journey has fewer; key 0 is the start. Rows need not be
    distinct: their counts add up.
    """

    channels: tuple[str, ...]
    order: int
    source: np.ndarray
    target: np.ndarray
    moved: np.ndarray
    end: np.ndarray
    ended: np.ndarray
    measures: np.ndarray


def state_keys(codes: np.ndarray, back: list[np.ndarray], channels: int) -> np.ndarray:
    """State keys from channel indices (`codes`, the newest) and earlier ones (`back`, -1 where there is none)."""
    base = channels + 1
    key = codes.astype(np.int64) + 1
    for earlier in back:
        key = key * base + (earlier.astype(np.int64) + 1)
    return key


def moves_of(paths: Paths, order: int = 1) -> Moves:
    """Every step of every path as a move from the state before it, and every path's end with its measures."""
    if len(paths.journeys) == 0 or paths.lengths.min() < 1:
        raise ValueError("every path needs at least one touch")
    path_of = np.repeat(np.arange(len(paths.journeys)), paths.lengths)
    step = np.arange(len(paths.codes)) - paths.offsets[:-1][path_of]
    back = []
    for distance in range(1, order):
        earlier = np.full(len(paths.codes), -1, dtype=np.int64)
        has = step >= distance
        earlier[has] = paths.codes[np.flatnonzero(has) - distance]
        back.append(earlier)
    key = state_keys(paths.codes, back, len(paths.channels))
    last = paths.offsets[1:] - 1
    source = np.zeros(len(key), dtype=np.int64)
    source[step > 0] = key[np.flatnonzero(step > 0) - 1]
    return Moves(
        channels=paths.channels, order=order, source=source, target=key,
        moved=np.repeat(paths.journeys, paths.lengths).astype(np.int64),
        end=key[last], ended=paths.journeys.astype(np.int64), measures=paths.measures,
    )


def solve(paths: Paths, order: int = 1) -> MarkovChain:
    """The chain of `order` estimated from the paths, solved for every measure with and without each channel."""
    return solve_moves(moves_of(paths, order))


def solve_moves(moves: Moves) -> MarkovChain:
    """The chain estimated from its moves, solved for every measure with and without each channel."""
    keys = np.unique(moves.target)
    n_states = len(keys)
    start = n_states
    base = len(moves.channels) + 1
    members = np.zeros((n_states, len(moves.channels)), dtype=bool)
    rest = keys.copy()
    for _ in range(moves.order):
        digit = rest % base
        present = digit > 0
        members[np.flatnonzero(present), digit[present] - 1] = True
        rest //= base

    def state_of(key: np.ndarray) -> np.ndarray:
        return np.where(key == 0, start, np.searchsorted(keys, key))

    size = n_states + 1
    counts = csr_matrix((moves.moved.astype(float), (state_of(moves.source), state_of(moves.target))),
                        shape=(size, size))
    end = state_of(moves.end)
    # Every journey leaves its last state once, to conversion or to null.
    leaving = np.asarray(counts.sum(axis=1)).ravel() + np.bincount(end, weights=moves.ended, minlength=size)
    ending = np.zeros((size, moves.measures.shape[1]))
    np.add.at(ending, end, moves.measures)
    to_state = diags(1.0 / leaving) @ counts
    reward = ending / leaving[:, None]

    def expected(keep: np.ndarray) -> np.ndarray:
        kept = diags(keep.astype(float))
        system = (identity(size, format="csc") - kept @ to_state).tocsc()
        solution = spsolve(system, kept @ reward)
        return np.atleast_2d(solution.reshape(size, -1))[start]

    everything = np.ones(size, dtype=bool)
    full = expected(everything)
    effects = np.zeros((len(moves.channels), moves.measures.shape[1]))
    for channel in range(len(moves.channels)):
        keep = everything.copy()
        keep[:n_states] = ~members[:, channel]
        without = expected(keep)
        has = full > 0
        effects[channel, has] = 1.0 - without[has] / full[has]
    return MarkovChain(expected=full, removal_effects=effects, states=n_states)
