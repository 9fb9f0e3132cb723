"""Declared personas: rules over a contact's attributes, checked strictly, and the fit score they give.

A rule set is JSON with one to twenty conditions:

    {"conditions": [
        {"attribute": "city", "operator": "in", "values": ["Sandton", "Rosebank"], "weight": 2},
        {"attribute": "channel", "operator": "any_of", "values": ["instagram", "tiktok"]},
        {"attribute": "spend", "operator": "at_least", "values": [100000]}
    ]}

A contact's fit is the weighted share of the conditions they meet: the weights of the conditions met, added up,
divided by the weights of all conditions (a weight defaults to 1). Texts match whatever their case and spacing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from accord.errors import Invalid
from accord.kernel.money import Money
from accord.kernel.vocabulary import CHANNELS, LIFECYCLE_STAGES
from accord.personas.profile import Profiles

# attribute → what it holds; text attributes hold one value a contact, sets several, amounts a number.
TEXT_ATTRIBUTES = {
    "city": "the contact's city, else their organisation's",
    "region": "the contact's region or province, else their organisation's",
    "country": "the contact's country (two-letter code), else their organisation's",
    "industry": "their organisation's industry",
    "org_size": "their organisation's size, e.g. 11-50",
    "first_channel": "the channel they were first seen on",
    "lifecycle_stage": f"how far they came: {', '.join(LIFECYCLE_STAGES)}",
}
SET_ATTRIBUTES = {
    "channel": "every channel they engaged on (spam left out)",
    "interest": "what they care about (contact attribute 'interest')",
    "hangout": "where they spend time, as 'kind: place' (contact attribute 'hangout')",
}
AMOUNT_ATTRIBUTES = {"spend": "net spend over all their orders (refunds subtracted), minor units of the base currency"}
BUILT_IN = (*TEXT_ATTRIBUTES, *SET_ATTRIBUTES, *AMOUNT_ATTRIBUTES)
OPERATORS = {"text": ("in", "not_in"), "set": ("any_of", "all_of", "none_of"),
             "amount": ("at_least", "at_most", "between")}
HANGOUT_KINDS = ("eat", "dream", "sleep", "play", "work", "shop")
CONDITION_KEYS = ("attribute", "operator", "values", "weight")
MAX_CONDITIONS = 20
MAX_VALUES = 100
MAX_TEXT = 300
MAX_WEIGHT = 1000
CHANNEL_LABELS = {
    "instagram": "Instagram", "facebook": "Facebook", "linkedin": "LinkedIn", "x": "X", "tiktok": "TikTok",
    "youtube": "YouTube", "website": "the website", "email": "email", "phone": "phone", "whatsapp": "WhatsApp",
    "in_person": "in person", "referral": "referral", "marketplace": "a marketplace", "other": "another channel",
}


@dataclass(frozen=True)
class Condition:
    """One checked condition."""

    attribute: str
    operator: str
    values: tuple[Any, ...]
    weight: float

    @property
    def kind(self) -> str:
        """text, set or amount."""
        return kind_of(self.attribute)

    def as_json(self) -> dict[str, Any]:
        """The condition as stored."""
        weight = int(self.weight) if float(self.weight).is_integer() else self.weight
        return {"attribute": self.attribute, "operator": self.operator, "values": list(self.values), "weight": weight}


def kind_of(attribute: str) -> str:
    """text, set or amount; a contact attribute key from the store is a set."""
    if attribute in TEXT_ATTRIBUTES:
        return "text"
    if attribute in AMOUNT_ATTRIBUTES:
        return "amount"
    return "set"


def available_attributes(store_keys: Sequence[str]) -> list[str]:
    """The built-in attributes, then every other contact attribute key the store holds."""
    return [*BUILT_IN, *(key for key in sorted(store_keys) if key not in BUILT_IN)]


def normalised(text: str) -> str:
    """How texts are compared: case folded, spaces collapsed."""
    return " ".join(text.split()).casefold()


# --- checking ---------------------------------------------------------------------------------------------------


def check_rules(rules: Any, *, store_keys: Sequence[str], currency: str) -> list[Condition]:
    """The conditions of a rule set, or Invalid naming the part at fault (e.g. rules.conditions[1].operator)."""
    shape = f'a rule set is {{"conditions": [...]}} with 1 to {MAX_CONDITIONS} conditions'
    if not isinstance(rules, dict):
        raise Invalid("rules", f"{_shown(rules)} is not a rule set; {shape}")
    for key in rules:
        if key != "conditions":
            raise Invalid(f"rules.{key}", f"is not part of a rule set; {shape}")
    conditions = rules.get("conditions")
    if not isinstance(conditions, list):
        raise Invalid("rules.conditions", f"{_shown(conditions)} is not a list of conditions; {shape}")
    if not 1 <= len(conditions) <= MAX_CONDITIONS:
        raise Invalid("rules.conditions", f"{len(conditions)} conditions; {shape}")
    attributes = available_attributes(store_keys)
    return [_condition(c, f"rules.conditions[{i}]", attributes, currency) for i, c in enumerate(conditions)]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _condition(condition: Any, where: str, attributes: list[str], currency: str) -> Condition:
    if not isinstance(condition, dict):
        raise Invalid(where, f"{_shown(condition)} is not a condition with attribute, operator and values")
    for key in condition:
        if key not in CONDITION_KEYS:
            raise Invalid(f"{where}.{key}", "is not part of a condition; a condition has attribute, operator, values "
                                            "and weight")
    attribute = condition.get("attribute")
    if not isinstance(attribute, str) or attribute not in attributes:
        raise Invalid(f"{where}.attribute", f"{_shown(attribute)} is not an attribute a persona rule can use; "
                                            f"there are: {', '.join(attributes)}")
    kind = kind_of(attribute)
    operator = condition.get("operator")
    if operator not in OPERATORS[kind]:
        raise Invalid(f"{where}.operator", f"{_shown(operator)} does not apply to {attribute}; use one of: "
                                           f"{', '.join(OPERATORS[kind])}")
    values = condition.get("values")
    if kind == "amount":
        checked = _amounts(values, f"{where}.values", attribute, operator, currency)
    else:
        checked = _texts(values, f"{where}.values", attribute, operator)
    return Condition(attribute, operator, checked, _weight(condition.get("weight", 1), f"{where}.weight"))


def _weight(weight: Any, where: str) -> float:
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight) \
            or not 0 < weight <= MAX_WEIGHT:
        raise Invalid(where, f"{_shown(weight)} is not a number above 0 and at most {MAX_WEIGHT}; a weight says how "
                             "much the condition counts (1 when left out)")
    return float(weight)


def _amounts(values: Any, where: str, attribute: str, operator: str, currency: str) -> tuple[int, ...]:
    wanted = {"at_least": "[minimum]", "at_most": "[maximum]",
              "between": "[minimum, maximum], minimum not above maximum,"}[operator]
    count = 2 if operator == "between" else 1
    whole = isinstance(values, list) and len(values) == count and all(
        isinstance(v, int) and not isinstance(v, bool) for v in values)
    if not whole or (operator == "between" and values[0] > values[1]):
        raise Invalid(where, f"{attribute} {operator} needs {wanted} in whole minor units of {currency} "
                             f"(12.50 is 1250), got {_shown(values)}")
    return tuple(values)


def _texts(values: Any, where: str, attribute: str, operator: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_VALUES or not all(
            isinstance(v, str) and 0 < len(v.strip()) <= MAX_TEXT for v in values):
        raise Invalid(where, f"{attribute} {operator} needs a list of 1 to {MAX_VALUES} texts of 1 to {MAX_TEXT} "
                             f"characters, got {_shown(values)}")
    kept: dict[str, str] = {}
    for value in values:
        checked = _text_value(attribute, value.strip(), where)
        kept.setdefault(normalised(checked), checked)  # the first spelling of a repeated value stays
    return tuple(kept.values())


def _text_value(attribute: str, value: str, where: str) -> str:
    if attribute in ("channel", "first_channel"):
        if value.lower() not in CHANNELS:
            raise Invalid(where, f"{value!r} is not a channel; the channels are: {', '.join(CHANNELS)}")
        return value.lower()
    if attribute == "lifecycle_stage":
        if value.lower() not in LIFECYCLE_STAGES:
            raise Invalid(where, f"{value!r} is not a lifecycle stage; the stages are: {', '.join(LIFECYCLE_STAGES)}")
        return value.lower()
    if attribute == "country":
        if len(value) != 2 or not value.isascii() or not value.isalpha():
            raise Invalid(where, f"{value!r} is not a two-letter country code such as ZA")
        return value.upper()
    if attribute == "hangout":
        return hangout(value, where)
    return " ".join(value.split())


def hangout(value: str, where: str = "hangout") -> str:
    """A hangout as 'kind: place' with a known kind, spaces tidied; Invalid otherwise."""
    kind, colon, place = value.partition(":")
    if not colon or kind.strip().lower() not in HANGOUT_KINDS or not place.strip():
        raise Invalid(where, f"{value!r} is not a hangout such as 'eat: Sandton City'; a hangout is 'kind: place' "
                             f"with kind one of {', '.join(HANGOUT_KINDS)}")
    return f"{kind.strip().lower()}: {' '.join(place.split())}"


# --- scoring ----------------------------------------------------------------------------------------------------


def needs(conditions: Sequence[Condition]) -> dict[str, Any]:
    """What load_profiles must read for these conditions."""
    return {
        "engagements": any(c.attribute == "channel" for c in conditions),
        "spend": any(c.kind == "amount" for c in conditions),
        "attribute_keys": sorted({c.attribute for c in conditions if c.kind == "set" and c.attribute != "channel"}),
    }


def fit_scores(profiles: Profiles, conditions: Sequence[Condition]) -> pd.Series:
    """Each live contact's fit, 0 to 1 in four decimals: the weighted share of conditions met."""
    total = sum(c.weight for c in conditions)
    met = np.zeros(len(profiles.ids))
    for condition in conditions:
        met += condition.weight * _met(profiles, condition)
    return pd.Series(np.round(met / total, 4), index=profiles.ids, name="score")


def _met(profiles: Profiles, condition: Condition) -> np.ndarray:
    if condition.kind == "amount":
        spend = profiles.spend["spend_minor"].to_numpy()
        low, high = {"at_least": (condition.values[0], None), "at_most": (None, condition.values[0]),
                     "between": condition.values}[condition.operator]
        return (spend >= (low if low is not None else -np.inf)) & (spend <= (high if high is not None else np.inf))
    if condition.kind == "text":
        column = profiles.contacts[condition.attribute]
        wanted = {normalised(v) for v in condition.values}
        found = column.map(lambda v: v is not None and normalised(str(v)) in wanted).to_numpy(dtype=bool)
        return found if condition.operator == "in" else ~found
    has = np.column_stack([_has(profiles, condition.attribute, value) for value in condition.values])
    if condition.operator == "any_of":
        return has.any(axis=1)
    if condition.operator == "all_of":
        return has.all(axis=1)
    return ~has.any(axis=1)


def _has(profiles: Profiles, attribute: str, value: str) -> np.ndarray:
    """Whether each contact holds `value` of a set attribute."""
    if attribute == "channel":
        counts = profiles.engagements
        if value not in counts.columns:
            return np.zeros(len(profiles.ids), dtype=bool)
        return (counts[value] > 0).to_numpy()
    rows = profiles.attributes
    rows = rows[rows["key"] == attribute]
    wanted = normalised(value)
    holders = rows.loc[rows["value"].map(lambda v: _comparable(attribute, v) == wanted), "contact_id"]
    return np.asarray(profiles.ids.isin(holders), dtype=bool)


def _comparable(attribute: str, value: str) -> str:
    if attribute == "hangout":
        kind, _, place = value.partition(":")
        return normalised(f"{kind.strip()}: {place.strip()}")
    return normalised(value)


# --- in words ---------------------------------------------------------------------------------------------------

# attribute → (what a contact is that meets it, what they are that does not)
PHRASES = {"first_channel": ("first seen on", "not first seen on"), "channel": ("engaged on", "never engaged on"),
           "interest": ("interested in", "not interested in"), "hangout": ("spends time at", "never spends time at"),
           "spend": ("spend", "spend")}
LABELS = {"org_size": "organisation size", "lifecycle_stage": "lifecycle stage"}


def _phrases(attribute: str) -> tuple[str, str]:
    if attribute in PHRASES:
        return PHRASES[attribute]
    label = LABELS.get(attribute, attribute.replace("_", " "))
    return f"{label} is", f"{label} is not"


def _listed(values: Sequence[str], joiner: str) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + f" {joiner} {values[-1]}"


def _value_words(attribute: str, value: str) -> str:
    if attribute in ("channel", "first_channel"):
        return CHANNEL_LABELS[value]
    if attribute == "hangout":
        kind, _, place = value.partition(": ")
        return f"{place} ({kind})"
    return value


def condition_text(condition: Condition, currency: str) -> str:
    """The condition in words, e.g. 'city is Sandton or Rosebank (weight 2)'."""
    yes, no = _phrases(condition.attribute)
    if condition.kind == "amount":
        amounts = [Money(v, currency).format() for v in condition.values]
        words = {"at_least": f"at least {amounts[0]}", "at_most": f"at most {amounts[0]}",
                 "between": f"between {amounts[0]} and {amounts[-1]}"}[condition.operator]
        text = f"{yes} {words}"
    else:
        shown = [_value_words(condition.attribute, v) for v in condition.values]
        text = {"in": f"{yes} {_listed(shown, 'or')}", "not_in": f"{no} {_listed(shown, 'or')}",
                "any_of": f"{yes} {_listed(shown, 'or')}", "all_of": f"{yes} {_listed(shown, 'and')}",
                "none_of": f"{no} {_listed(shown, 'or')}"}[condition.operator]
    return text + (f" (weight {condition.as_json()['weight']})" if condition.weight != 1 else "")
