"""Values typed into page forms, parsed for the services; a fault names the field and what was typed."""

from __future__ import annotations

from datetime import date

from accord.errors import Invalid


def optional_date(text: str, field: str) -> date | None:
    """A date typed as YYYY-MM-DD; empty is None."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(field, f"'{text}' is not a date such as 2026-03-20") from None


def required_date(text: str, field: str) -> date:
    """A date typed as YYYY-MM-DD that may not be left empty."""
    found = optional_date(text, field)
    if found is None:
        raise Invalid(field, "is empty; give a date such as 2026-03-20")
    return found
