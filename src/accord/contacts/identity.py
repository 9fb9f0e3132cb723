"""Identity keys: emails, phones (E.164) and per-channel handles, normalised so equal people compare equal, and the
lookup of the contacts that stored keys belong to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.contacts.models import Identity
from accord.errors import Invalid
from accord.kernel.db import matches_any
from accord.kernel.vocabulary import CHANNELS

# Handles on these channels are case-insensitive and may be written with a leading '@'.
_AT_HANDLE_CHANNELS = frozenset({"instagram", "x", "tiktok", "youtube", "linkedin", "facebook"})
_PHONE_CHANNELS = frozenset({"whatsapp", "phone"})


class IdentityKey(NamedTuple):
    """One normalised identity: kind ('email', 'phone', 'handle'), channel and value."""

    kind: str
    channel: str
    value: str


def email_key(raw: str, *, field: str = "email") -> IdentityKey:
    """The normalised email identity, or Invalid naming the field."""
    text = raw.strip()
    try:
        normal = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Invalid(field, f"'{raw}' is not an email address ({exc})") from None
    return IdentityKey("email", "email", normal.lower())


def phone_key(raw: str, region: str, *, field: str = "phone") -> IdentityKey:
    """The phone identity in E.164 (e.g. +27821234567), read with the workspace's default region."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise Invalid(field, f"'{raw}' is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise Invalid(field, f"'{raw}' is not a possible phone number for region {region}")
    return IdentityKey("phone", "phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def handle_key(channel: str, raw: str, region: str = "ZA", *, field: str = "handle") -> IdentityKey:
    """The handle identity on a channel; WhatsApp and phone handles become phone identities."""
    if channel not in CHANNELS:
        raise Invalid("channel", f"'{channel}' is not one of {', '.join(CHANNELS)}")
    if channel in _PHONE_CHANNELS:
        return phone_key(raw, region, field=field)
    if channel == "email":
        return email_key(raw, field=field)
    value = " ".join(raw.split())  # runs of whitespace as one space: what \\s+ matches, without a regex
    if channel in _AT_HANDLE_CHANNELS:
        value = value.lstrip("@").casefold()
    if not value:
        raise Invalid(field, f"the {channel} handle is empty")
    if len(value) > 320:
        raise Invalid(field, f"the {channel} handle is longer than 320 characters")
    return IdentityKey("handle", channel, value)


def stored_identities(session: Session, keys: Iterable[IdentityKey]) -> dict[IdentityKey, int]:
    """The contact each already-stored key belongs to: one query per kind and channel, however many keys."""
    values: dict[tuple[str, str], list[str]] = {}
    for key in keys:
        values.setdefault((key.kind, key.channel), []).append(key.value)
    found: dict[IdentityKey, int] = {}
    for (kind, channel), group in values.items():
        rows = session.execute(select(Identity.value, Identity.contact_id).where(
            Identity.kind == kind, Identity.channel == channel, matches_any(session, Identity.value, group)))
        found.update((IdentityKey(kind, channel, value), contact_id) for value, contact_id in rows)
    return found
