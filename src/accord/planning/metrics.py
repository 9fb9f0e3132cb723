"""What each goal metric counts, its unit, and how its values read and are written by a person."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from accord.errors import Invalid
from accord.kernel.money import Money
from accord.planning.models import GOAL_METRICS

UNIT_OF = {
    "revenue": "minor_units",
    "new_customers": "count",
    "conversion_rate": "basis_points",
    "response_time": "seconds",
    "engaged_contacts": "count",
}
TITLE_OF = {
    "revenue": "Revenue",
    "new_customers": "New customers",
    "conversion_rate": "Conversion rate",
    "response_time": "Response time",
    "engaged_contacts": "Engaged contacts",
}
# What a person types as a target on a page, per metric.
ENTRY_HINT = {
    "revenue": "an amount, e.g. 250000.00",
    "new_customers": "a count, e.g. 120",
    "conversion_rate": "a percentage, e.g. 12.5",
    "response_time": "business hours, e.g. 2.5",
    "engaged_contacts": "a count, e.g. 900",
}
# Metrics that add up over a period, so a share of the target is due by each day of it.
CUMULATIVE = frozenset({"revenue", "new_customers", "engaged_contacts"})
DEFAULT_DIRECTION = {metric: "at_most" if metric == "response_time" else "at_least" for metric in GOAL_METRICS}
BASIS_POINTS = 10_000
SECONDS_AN_HOUR = 3600


def check_metric(metric: str) -> str:
    """The metric, or Invalid naming the ones there are."""
    if metric not in UNIT_OF:
        raise Invalid("metric", f"'{metric}' is not a goal metric; use one of {', '.join(GOAL_METRICS)}")
    return metric


def value_text(unit: str, value: float | int | None, currency: str | None = None) -> str:
    """A value in a goal's unit as a person reads it: 'R250 000,00', '120', '12.50%', '2.50 business hours'."""
    if value is None:
        return "–"
    if unit == "minor_units":
        return Money(int(round(value)), currency or "ZAR").format()
    if unit == "basis_points":
        return f"{value / 100:.2f}%"
    if unit == "seconds":
        return f"{value / SECONDS_AN_HOUR:.2f} business hours"
    return f"{int(round(value)):,}"


def _decimal(text: str, hint: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(" ", "").replace("\u202f", ""))
    except InvalidOperation:
        raise Invalid("target", f"'{text}' is not a number; give {hint}") from None
    if not value.is_finite():
        raise Invalid("target", f"'{text}' is not a number; give {hint}")
    return value


def target_from_text(metric: str, text: str, currency: str | None) -> int:
    """The target a person typed (amount, count, percentage or hours) in the metric's unit."""
    check_metric(metric)
    hint = ENTRY_HINT[metric]
    if not text.strip():
        raise Invalid("target", f"is empty; give {hint}")
    if UNIT_OF[metric] == "minor_units":
        return Money.parse(text, currency or "ZAR", field="target").minor
    value = _decimal(text, hint)
    if UNIT_OF[metric] == "count":
        if value != value.to_integral_value():
            raise Invalid("target", f"'{text}' is not a whole number; give {hint}")
        return int(value)
    if UNIT_OF[metric] == "basis_points":
        scaled = value * 100
        if scaled != scaled.to_integral_value():
            raise Invalid("target", f"'{text}' has more than two decimal places; give {hint}")
        return int(scaled)
    return int((value * SECONDS_AN_HOUR).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def target_as_text(metric: str, target: int, currency: str | None) -> str:
    """The stored target as a person would type it again (the inverse of target_from_text)."""
    unit = UNIT_OF[metric]
    if unit == "minor_units":
        return str(Money(target, currency or "ZAR").decimal)
    if unit == "basis_points":
        return f"{Decimal(target) / 100:f}"
    if unit == "seconds":
        return f"{(Decimal(target) / SECONDS_AN_HOUR).normalize():f}"
    return str(target)
