"""Vega-Lite specifications built in Python for the pages' charts."""

from __future__ import annotations

from typing import Any

from accord.kernel.money import minor_digits
from accord.pipeline.queries import MonthRevenue


def monthly_revenue_chart(months: list[MonthRevenue], currency: str) -> dict[str, Any]:
    """A bar chart of net revenue per month in one currency (major units for the axis only)."""
    scale = 10 ** minor_digits(currency)
    values = [
        {"month": m.label, "order": i, "revenue": m.by_currency.get(currency, 0) / scale}
        for i, m in enumerate(months)
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": 260,
        "data": {"values": values},
        "mark": {"type": "bar", "color": "#2a7f62"},
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "sort": {"field": "order"}, "title": None},
            "y": {"field": "revenue", "type": "quantitative", "title": f"Net revenue ({currency})"},
            "tooltip": [{"field": "month"}, {"field": "revenue", "format": ",.2f", "title": currency}],
        },
    }
