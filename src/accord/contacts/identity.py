"""Identity keys: emails, phones (E.164) and per-channel handles, normalised so equal people compare equal."""

from __future__ import annotations

import re
from typing import NamedTuple

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from accord.errors import Invalid
from accord.kernel.vocabulary import CHANNELS

_SPACES = re.compile(r"\s+")
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
    value = _SPACES.sub(" ", raw.strip())
    if channel in _AT_HANDLE_CHANNELS:
        value = value.lstrip("@").casefold()
    if not value:
        raise Invalid(field, f"the {channel} handle is empty")
    if len(value) > 320:
        raise Invalid(field, f"the {channel} handle is longer than 320 characters")
    return IdentityKey("handle", channel, value)
