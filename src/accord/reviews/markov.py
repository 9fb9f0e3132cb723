"""Markov-chain attribution solved exactly: absorbing-chain probabilities and each channel's removal effect.

The chain is estimated from aggregated journey paths. Its transient states are `start` and the channels
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


def _states(paths: Paths, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Each touch's state (the last `order` channels, fewer at a path's start) and each state's channels."""
    base = len(paths.channels) + 1
    path_of = np.repeat(np.arange(len(paths.journeys)), paths.lengths)
    step = np.arange(len(paths.codes)) - paths.offsets[:-1][path_of]
    key = np.zeros(len(paths.codes), dtype=np.int64)
    for back in range(order):
        earlier = np.zeros(len(paths.codes), dtype=np.int64)
        has = step >= back
        earlier[has] = paths.codes[np.flatnonzero(has) - back] + 1
        key = key * base + earlier
    keys, state_of = np.unique(key, return_inverse=True)
    members = np.zeros((len(keys), len(paths.channels)), dtype=bool)
    rest = keys.copy()
    for _ in range(order):
        digit = rest % base
        present = digit > 0
        members[np.flatnonzero(present), digit[present] - 1] = True
        rest //= base
    return state_of.reshape(-1), members


def solve(paths: Paths, order: int = 1) -> MarkovChain:
    """The chain of `order` estimated from the paths, solved for every measure with and without each channel."""
    if len(paths.journeys) == 0 or paths.lengths.min() < 1:
        raise ValueError("every path needs at least one touch")
    state_of, members = _states(paths, order)
    n_states = members.shape[0]
    start = n_states
    weight = paths.journeys.astype(float)
    first = paths.offsets[:-1]
    last = paths.offsets[1:] - 1
    within = np.ones(len(paths.codes), dtype=bool)
    within[last] = False
    moves_from = np.concatenate([np.full(len(first), start), state_of[within]])
    moves_to = np.concatenate([state_of[first], state_of[np.flatnonzero(within) + 1]])
    moves_weight = np.concatenate([weight, np.repeat(weight, paths.lengths)[within]])
    size = n_states + 1
    counts = csr_matrix((moves_weight, (moves_from, moves_to)), shape=(size, size))
    # Every journey leaves its last state once, to conversion or to null.
    leaving = np.asarray(counts.sum(axis=1)).ravel() + np.bincount(state_of[last], weights=weight, minlength=size)
    ending = np.zeros((size, paths.measures.shape[1]))
    np.add.at(ending, state_of[last], paths.measures)
    to_state = diags(1.0 / leaving) @ counts
    reward = ending / leaving[:, None]

    def expected(keep: np.ndarray) -> np.ndarray:
        kept = diags(keep.astype(float))
        system = (identity(size, format="csc") - kept @ to_state).tocsc()
        solution = spsolve(system, kept @ reward)
        return np.atleast_2d(solution.reshape(size, -1))[start]

    everything = np.ones(size, dtype=bool)
    full = expected(everything)
    effects = np.zeros((len(paths.channels), paths.measures.shape[1]))
    for channel in range(len(paths.channels)):
        keep = everything.copy()
        keep[:n_states] = ~members[:, channel]
        without = expected(keep)
        has = full > 0
        effects[channel, has] = 1.0 - without[has] / full[has]
    return MarkovChain(expected=full, removal_effects=effects, states=n_states)
