"""The shared words of DESIGN.md §2 that several domains store, and a check-constraint helper."""

from __future__ import annotations

from sqlalchemy import CheckConstraint

CHANNELS = (
    "instagram", "facebook", "linkedin", "x", "tiktok", "youtube", "website", "email",
    "phone", "whatsapp", "in_person", "referral", "marketplace", "other",
)
LIFECYCLE_STAGES = ("follower", "engager", "lead", "opportunity", "customer", "ambassador")
ROLES = ("owner", "marketing", "sales", "viewer")
CONSENT_PURPOSES = ("information", "trial", "education", "inspiration", "marketing")


def one_of(column: str, values: tuple[str, ...], name: str | None = None) -> CheckConstraint:
    """A CHECK that `column` holds one of `values`."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_allowed")
