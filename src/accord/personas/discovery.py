"""Discovered personas: k-means clusters of contacts over standardised and encoded features, described in words.

Features, one row a live contact:
- numeric, each standardised to mean 0 and standard deviation 1:
  `share:<channel>`, the share of their engagements (spam left out) on each channel anyone engaged on, and
  `order_value`, log(1 + their average order value in major units of the base currency), 0 without an order;
- categorical, one-hot: first_channel, city (their own, else their organisation's), industry, org_size and every
  contact attribute key (interest, hangout, ...; one contact may hold several values). The 20 commonest values of
  each keep a column of their own, rarer ones share `(other)`, and no value is `(none)`. Each attribute's columns are
  centred and scaled together to a total variance of 1, so an attribute with many values weighs as much as one
  number.
Lifecycle stage, spend and the number of orders are not features: they say how far along someone is, not who they
are. They describe the clusters afterwards.

The number of clusters: k-means (10 starts, seed 0) for k = 2, 3 and 4, keeping the k with the highest
Calinski-Harabasz index (the dispersion between clusters over the dispersion within them, each divided by its
degrees of freedom; higher is better separated). It costs one pass over the contacts, where the silhouette costs a
pass per contact. Beyond 50,000 contacts the clusters are fitted on a random sample of 50,000, then every contact is
assigned to the nearest centre.

Fit: with d the distance from a contact to a persona's centre and d_rest the distance to the nearest other
persona's centre, fit = d_rest / (d + d_rest). It is 1 at the centre, 0.5 on the border with the nearest other
persona and falls towards 0 deep inside another, so each contact fits its own cluster at 0.5 or more and every
other below. With one discovered persona left, everyone fits it at 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score
from threadpoolctl import threadpool_limits

from accord.errors import Invalid
from accord.kernel.money import Money, minor_digits
from accord.personas.profile import Profiles
from accord.personas.rules import BUILT_IN, CHANNEL_LABELS

CANDIDATES = (2, 3, 4)
TOP_VALUES = 20
SAMPLE = 50_000
SEED = 0
STARTS = 10
MIN_CONTACTS = 20
TRAITS = 3  # distinguishing attributes a description names
NAME_TRAITS = 2  # of which the name uses the first
MIN_EFFECT = 0.2  # a trait must be this many standard deviations above the whole audience
CATEGORIES = ("first_channel", "city", "industry", "org_size")
NONE, OTHER = "(none)", "(other)"
CRITERION = "Calinski-Harabasz index"
SHORT_CHANNELS = {**{k: v[0].upper() + v[1:] for k, v in CHANNEL_LABELS.items()}, "website": "Website",
                  "referral": "Referrals", "marketplace": "Marketplace", "other": "Other channels"}
HANGOUT_VERBS = {"eat": "eat at", "dream": "dream of", "sleep": "sleep in", "play": "play at", "work": "work at",
                 "shop": "shop at"}


@dataclass(frozen=True)
class Feature:
    """One column of the clustering space: how to read it from a contact, and how it was centred and scaled."""

    name: str
    mean: float
    scale: float

    def as_json(self) -> dict[str, Any]:
        """As stored with a discovered persona."""
        return {"name": self.name, "mean": self.mean, "scale": self.scale}


@dataclass(frozen=True)
class Cluster:
    """One discovered persona: its centre, its members and what sets them apart."""

    centre: np.ndarray
    members: np.ndarray  # contact ids, ascending
    name: str
    description: str
    traits: list[dict[str, Any]]


@dataclass(frozen=True)
class Discovery:
    """The clusters found, each contact's fit to each, and how their number was chosen."""

    features: list[Feature]
    clusters: list[Cluster]
    fits: pd.DataFrame  # contacts × clusters
    scores: dict[int, float]  # k → Calinski-Harabasz index
    asked: int | None
    sampled: int | None  # how many contacts the clusters were fitted on, when fewer than all

    def model(self, index: int) -> dict[str, Any]:
        """What a discovered persona stores as its rules: enough to describe it and to score new contacts."""
        cluster = self.clusters[index]
        return {"discovery": {
            "method": "k-means", "criterion": CRITERION, "clusters": len(self.clusters),
            "scores": {str(k): round(v, 2) for k, v in self.scores.items()}, "asked": self.asked,
            "sampled": self.sampled, "contacts": int(len(cluster.members)),
            "share": round(len(cluster.members) / len(self.fits), 4), "auto_name": cluster.name,
            "traits": cluster.traits, "features": [f.as_json() for f in self.features],
            "centre": [round(float(v), 6) for v in cluster.centre],
        }}


# --- features ---------------------------------------------------------------------------------------------------


def _tidy(value: Any) -> str:
    return " ".join(str(value).split())


def _category_values(profiles: Profiles, attribute: str) -> pd.DataFrame:
    """contact_id, value: one row per value a contact holds (several for contact attributes, none when empty)."""
    if attribute in CATEGORIES:
        column = profiles.contacts[attribute]
        present = column[column.notna()]
        return pd.DataFrame({"contact_id": present.index, "value": present.map(_tidy).to_numpy()})
    rows = profiles.attributes
    rows = rows[rows["key"] == attribute]
    return pd.DataFrame({"contact_id": rows["contact_id"].to_numpy(), "value": rows["value"].map(_tidy).to_numpy()})


def _category_columns(profiles: Profiles, attribute: str, values: Sequence[str]) -> dict[str, np.ndarray]:
    """0/1 columns for the listed values of one attribute, with (other) and (none) when listed."""
    held = _category_values(profiles, attribute)
    ids = profiles.ids
    named = [v for v in values if v not in (NONE, OTHER)]
    columns = {}
    for value in values:
        if value == NONE:
            holders = held["contact_id"]
            columns[value] = ~ids.isin(holders)
        elif value == OTHER:
            columns[value] = ids.isin(held.loc[~held["value"].isin(named), "contact_id"])
        else:
            columns[value] = ids.isin(held.loc[held["value"] == value, "contact_id"])
    return {f"{attribute}={value}": np.asarray(column, dtype=float) for value, column in columns.items()}


def _numeric(profiles: Profiles, name: str) -> np.ndarray:
    if name == "order_value":
        spend = profiles.spend
        orders = spend["orders"].to_numpy()
        average = np.where(orders > 0, spend["spend_minor"].clip(lower=0).to_numpy() / np.maximum(orders, 1), 0.0)
        return np.log1p(average / 10 ** minor_digits(profiles.base_currency))
    channel = name.removeprefix("share:")
    counts = profiles.engagements
    total = counts.sum(axis=1).to_numpy()
    mine = counts[channel].to_numpy() if channel in counts.columns else np.zeros(len(total))
    return np.where(total > 0, mine / np.maximum(total, 1), 0.0)


def _split(name: str) -> tuple[str, str]:
    attribute, _, value = name.partition("=")
    return attribute, value


def raw_matrix(profiles: Profiles, names: Sequence[str]) -> np.ndarray:
    """The named features of every live contact, before centring and scaling (contacts × features)."""
    by_attribute: dict[str, list[str]] = {}
    for name in names:
        if "=" in name:
            attribute, value = _split(name)
            by_attribute.setdefault(attribute, []).append(value)
    columns: dict[str, np.ndarray] = {}
    for attribute, values in by_attribute.items():
        columns.update(_category_columns(profiles, attribute, values))
    for name in names:
        if "=" not in name:
            columns[name] = _numeric(profiles, name)
    if not names:
        return np.zeros((len(profiles.ids), 0))
    return np.column_stack([columns[name] for name in names])


def feature_attributes(profiles: Profiles) -> list[str]:
    """The categorical attributes discovery encodes: the fixed ones, then each contact attribute key."""
    keys = sorted(set(profiles.attributes["key"])) if profiles.attributes is not None else []
    # A key spelled like a fixed attribute (a stray "city") would clash with it; interest and hangout are keys.
    return [*CATEGORIES, *(k for k in keys if k not in BUILT_IN or k in ("interest", "hangout"))]


def choose_features(profiles: Profiles) -> tuple[list[Feature], np.ndarray]:
    """The features of these contacts with their centring and scaling, and the standardised matrix."""
    names = [f"share:{channel}" for channel in profiles.engagements.columns] + ["order_value"]
    blocks: list[list[str]] = []
    for attribute in feature_attributes(profiles):
        counts = _category_values(profiles, attribute)["value"].value_counts()
        top = sorted(counts.index, key=lambda v: (-counts[v], v))[:TOP_VALUES]
        values = top + ([OTHER] if len(counts) > TOP_VALUES else []) + [NONE]
        blocks.append([f"{attribute}={value}" for value in values])
    raw = raw_matrix(profiles, names + [n for block in blocks for n in block])
    means = raw.mean(axis=0)
    spread = raw.std(axis=0)
    scales = list(spread[:len(names)])
    start = len(names)
    for block in blocks:
        width = len(block)
        total = float(np.sqrt((spread[start:start + width] ** 2).sum()))
        scales += [total] * width
        start += width
    everything = names + [n for block in blocks for n in block]
    # A column the same for everyone cannot separate anybody.
    keep = [i for i, name in enumerate(everything) if spread[i] > 1e-12 and scales[i] > 1e-12]
    if not keep:
        raise Invalid("contacts", "every contact looks the same in every feature (channels, orders, place, "
                                  "organisation, attributes), so there is nothing to tell personas apart by")
    features = [Feature(everything[i], float(means[i]), float(scales[i])) for i in keep]
    return features, (raw[:, keep] - means[keep]) / np.asarray(scales)[keep]


def standardised(profiles: Profiles, features: Sequence[Feature]) -> np.ndarray:
    """These contacts in a stored feature space."""
    raw = raw_matrix(profiles, [f.name for f in features])
    return (raw - np.array([f.mean for f in features])) / np.array([f.scale for f in features])


# --- clustering -------------------------------------------------------------------------------------------------


def squared_distances(space: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Contacts × centres squared distances, as |x|² - 2x·c + |c|²: memory for the result only, not contacts × features
    × centres."""
    squared = np.einsum("ij,ij->i", space, space)[:, None] - 2 * space @ centres.T + (centres ** 2).sum(axis=1)
    return np.maximum(squared, 0.0)


def relative_fits(space: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """fit = d_rest / (d + d_rest) per contact and centre (see the module's docstring); rounded to 4 decimals."""
    if len(centres) == 1:
        return np.ones((len(space), 1))
    distance = np.sqrt(squared_distances(space, centres))
    order = np.sort(distance, axis=1)
    nearest, second = order[:, :1], order[:, 1:2]
    rest = np.where(distance <= nearest, second, nearest)  # the nearest centre other than this one
    with np.errstate(invalid="ignore", divide="ignore"):
        fits = np.where(distance + rest > 0, rest / (distance + rest), 0.5)
    return np.round(fits, 4)


def discover(profiles: Profiles, *, clusters: int | None = None) -> Discovery:
    """Cluster the live contacts, choose their number by the Calinski-Harabasz index unless asked, describe each."""
    if clusters is not None and clusters not in CANDIDATES:
        raise Invalid("clusters", f"{clusters!r} is not 2, 3 or 4; leave it out to let the data choose")
    count = len(profiles.ids)
    if count < MIN_CONTACTS:
        raise Invalid("contacts", f"discovery needs at least {MIN_CONTACTS} contacts; there are {count}")
    features, space = choose_features(profiles)
    rng = np.random.default_rng(SEED)
    sample = np.sort(rng.choice(count, SAMPLE, replace=False)) if count > SAMPLE else np.arange(count)
    fitted: dict[int, KMeans] = {}
    scores: dict[int, float] = {}
    # On a busy machine, OpenMP and BLAS threads spinning between k-means's small steps made it 30 times slower
    # than one thread.
    with threadpool_limits(limits=1):
        for k in (clusters,) if clusters else CANDIDATES:
            model = KMeans(n_clusters=k, n_init=STARTS, random_state=SEED).fit(space[sample])
            if len(set(model.labels_)) < k:
                continue
            fitted[k] = model
            scores[k] = float(calinski_harabasz_score(space[sample], model.labels_))
    if not scores:
        raise Invalid("contacts", "the contacts fall into fewer than two distinct groups, so there are no "
                                  "personas to tell apart")
    best = max(scores, key=lambda k: (scores[k], -k))
    centres = fitted[best].cluster_centers_
    labels = np.argmin(squared_distances(space, centres), axis=1)
    # Largest cluster first, so the same data always gives the same order.
    order = sorted(range(best), key=lambda j: (-int((labels == j).sum()), j))
    centres = centres[order]
    labels = np.argsort(order)[labels]
    fits = relative_fits(space, centres)
    described = describe(profiles, labels, best)
    found = [Cluster(centres[j], profiles.ids[labels == j].to_numpy(), *described[j]) for j in range(best)]
    return Discovery(features, found, pd.DataFrame(fits, index=profiles.ids), scores, clusters,
                     len(sample) if len(sample) < count else None)


# --- in words ---------------------------------------------------------------------------------------------------


def _label_columns(profiles: Profiles) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, str, str]]]:
    """Columns to describe clusters by, and for each (group, long text template, short label)."""
    columns: dict[str, np.ndarray] = {}
    words: dict[str, tuple[str, str, str]] = {}
    has = profiles.contacts["has_organisation"].to_numpy(dtype=float)
    columns["organisation=yes"], words["organisation=yes"] = has, ("organisation", "at an organisation", "Corporate")
    columns["organisation=no"], words["organisation=no"] = 1 - has, ("organisation", "not at an organisation",
                                                                     "Private")
    for channel in profiles.engagements.columns:
        name = f"share:{channel}"
        columns[name] = _numeric(profiles, name)
        words[name] = ("channel", f"of their engagements on {CHANNEL_LABELS.get(channel, channel)}",
                       SHORT_CHANNELS.get(channel, channel))
    for attribute in feature_attributes(profiles):
        held = _category_values(profiles, attribute)
        for value in sorted(set(held["value"])):
            name = f"{attribute}={value}"
            columns[name] = np.asarray(profiles.ids.isin(held.loc[held["value"] == value, "contact_id"]), dtype=float)
            words[name] = _words(attribute, value)
    return columns, words


def _words(attribute: str, value: str) -> tuple[str, str, str]:
    if attribute == "first_channel":
        return "channel", f"first seen on {CHANNEL_LABELS.get(value, value)}", SHORT_CHANNELS.get(value, value)
    if attribute == "city":
        return "place", f"in {value}", value
    if attribute == "industry":
        return "organisation", f"in {value}", value[:1].upper() + value[1:]
    if attribute == "org_size":
        return "organisation", f"at organisations of {value} people", f"{value} staff"
    if attribute == "interest":
        return attribute, f"interested in {value}", value[:1].upper() + value[1:]
    if attribute == "hangout":
        kind, _, place = value.partition(":")
        place = place.strip() or value
        return attribute, f"{HANGOUT_VERBS.get(kind.strip().lower(), 'spend time at')} {place}", place
    return attribute, f"{attribute.replace('_', ' ')} {value}", value


def describe(profiles: Profiles, labels: np.ndarray, k: int) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(name, description, traits) of each cluster: what its members have far more often than everyone."""
    columns, words = _label_columns(profiles)
    names = list(columns)
    matrix = np.column_stack([columns[n] for n in names])
    overall = matrix.mean(axis=0)
    spread = matrix.std(axis=0)
    spend = profiles.spend["spend_minor"].to_numpy(dtype=float)
    orders = profiles.spend["orders"].to_numpy(dtype=float)
    described = []
    taken: set[str] = set()
    for j in range(k):
        inside = labels == j
        mine = matrix[inside].mean(axis=0)
        effect = np.where(spread > 0, (mine - overall) / np.where(spread > 0, spread, 1), 0.0)
        traits: list[dict[str, Any]] = []
        groups: set[str] = set()
        # Equal standardised differences (common when a trait belongs to one cluster alone) go to the larger share.
        ranked = sorted(range(len(names)),
                        key=lambda i: (-round(float(effect[i]), 3), -(mine[i] - overall[i]), names[i]))
        for i in ranked:
            group, text, short = words[names[i]]
            if effect[i] < MIN_EFFECT or len(traits) == TRAITS:
                break
            if group in groups:
                continue
            groups.add(group)
            share = names[i].startswith("share:")
            shown = (f"{mine[i]:.0%} {text} (vs {overall[i]:.0%} overall)" if share
                     else f"{text} ({mine[i]:.0%} vs {overall[i]:.0%} overall)")
            traits.append({"feature": names[i], "group": group, "text": shown, "short": short,
                           "cluster": round(float(mine[i]), 4), "overall": round(float(overall[i]), 4),
                           "effect": round(float(effect[i]), 3)})
        name = _unique_name(traits, taken, j)
        taken.add(name)
        money = _money_words(spend, orders, inside, profiles.base_currency)
        listed = "; ".join(t["text"] for t in traits) or "no attribute sets them apart from everyone else"
        size = int(inside.sum())
        described.append((name, f"{size:,} contacts ({size / len(labels):.0%}): {listed}. {money}", traits))
    return described


def _unique_name(traits: list[dict[str, Any]], taken: set[str], index: int) -> str:
    shorts = [t["short"] for t in traits]
    for width in range(NAME_TRAITS, len(shorts) + 1):
        name = " · ".join(shorts[:width])
        if name and name not in taken:
            return name
    base = " · ".join(shorts) or "Everyone else"
    return base if base not in taken else f"{base} {index + 1}"


def _money_words(spend: np.ndarray, orders: np.ndarray, inside: np.ndarray, currency: str) -> str:
    """How much the cluster buys against everyone: customers, spend per contact, average order."""
    buyers, all_buyers = (orders[inside] > 0).mean(), (orders > 0).mean()
    if not orders[inside].sum():
        return f"None of them has ordered yet (of everyone, {all_buyers:.0%} have)."
    per_contact = spend[inside].mean() / spend.mean() if spend.mean() > 0 else None
    average = spend[inside & (orders > 0)].sum() / orders[inside].sum()
    overall_average = spend[orders > 0].sum() / orders.sum()
    parts = [f"{buyers:.0%} have ordered (vs {all_buyers:.0%} overall)"]
    if per_contact is not None:
        parts.append(f"spend per contact {per_contact:.1f}× the average")
    parts.append(f"{Money(int(round(average)), currency).format()} an order, {average / overall_average:.1f}× the "
                 "average order" if overall_average > 0 else
                 f"{Money(int(round(average)), currency).format()} an order")
    return "; ".join(parts)[:1].upper() + "; ".join(parts)[1:] + "."
