"""Parsers for one cell: timestamps, dates, amounts, quantities, channels, countries. Each raises Invalid(field, reason).

Parsers are built once per import from the mapping, and cache what repeats (the same price, the same
invoice time, the same country name), so a million rows cost a million dict lookups, not a million parses.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

from accord.errors import Invalid
from accord.kernel.money import Money, check_currency

MAX_TEXT = 10_000  # characters of engagement text; longer is a pasted document, not a comment
_CACHE_LIMIT = 50_000  # parsed values remembered per parser; bounded so memory stays flat


def zone(name: str, *, field: str = "timezone") -> ZoneInfo:
    """A time zone by IANA name, or Invalid."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(field, f"'{name}' is not an IANA time zone") from None


IMPORT_TIME = "import-time"  # a time field's `default` that stands for the moment the import started


def timestamp_parser(field: str, fmt: str | None, tz: ZoneInfo, started_at: datetime | None = None) -> Callable[[str], datetime]:
    """Text → aware UTC datetime. fmt: None/'iso' (ISO 8601), 'epoch' or 'epoch_ms', or a strptime pattern.

    Times without an offset are read in `tz`; the text IMPORT_TIME (a mapping's `default`) is `started_at`.
    """
    utc = timezone.utc
    cache: dict[str, datetime] = {}

    local_is_utc = tz.key in ("UTC", "Etc/UTC", "Zulu", "Etc/Zulu", "GMT", "Etc/GMT")
    offsets: dict[datetime, timedelta] = {}

    def convert(text: str) -> datetime:
        if fmt in (None, "iso"):
            value = datetime.fromisoformat(text)
        elif fmt in ("epoch", "epoch_ms"):
            seconds = float(text) / (1000 if fmt == "epoch_ms" else 1)
            return datetime.fromtimestamp(seconds, utc)
        else:
            value = datetime.strptime(text, fmt)
        if value.tzinfo is not None:
            return value.astimezone(utc)
        if local_is_utc:
            return value.replace(tzinfo=utc)
        # Zone offsets change on the hour, so one lookup per local hour serves every time within it.
        hour = value.replace(minute=0, second=0, microsecond=0)
        offset = offsets.get(hour)
        if offset is None:
            offset = offsets[hour] = hour.replace(tzinfo=tz).utcoffset() or timedelta(0)
            if len(offsets) >= _CACHE_LIMIT:
                offsets.clear()
        return (value - offset).replace(tzinfo=utc)

    described = "ISO 8601 (e.g. 2024-05-01T14:30:00)" if fmt in (None, "iso") else f"'{fmt}'"

    def parse(text: str) -> datetime:
        if not text:
            raise Invalid(field, "empty; a time is required")
        if text == IMPORT_TIME and started_at is not None:
            return started_at
        found = cache.get(text)
        if found is None:
            try:
                found = convert(text)
            except (ValueError, OverflowError):
                raise Invalid(field, f"'{text}' is not a time in the format {described}") from None
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[text] = found
        return found
    return parse


def date_parser(field: str, fmt: str | None) -> Callable[[str], date]:
    """Text → date: ISO (2024-05-01, or a timestamp whose date is taken) or a strptime pattern."""
    cache: dict[str, date] = {}

    def parse(text: str) -> date:
        if not text:
            raise Invalid(field, "empty; a date is required")
        found = cache.get(text)
        if found is None:
            try:
                if fmt in (None, "iso"):
                    found = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text).date()
                else:
                    found = datetime.strptime(text, fmt).date()
            except ValueError:
                shown = "ISO 8601 (e.g. 2024-05-01)" if fmt in (None, "iso") else f"'{fmt}'"
                raise Invalid(field, f"'{text}' is not a date in the format {shown}") from None
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[text] = found
        return found
    return parse


def money_parser(field: str) -> Callable[[str, str], int]:
    """(amount text, currency) → exact minor units through Money.parse; repeats are looked up, not re-parsed."""
    cache: dict[tuple[str, str], int] = {}

    def parse(text: str, currency: str) -> int:
        if not text:
            raise Invalid(field, "empty; an amount is required")
        key = (text, currency)
        found = cache.get(key)
        if found is None:
            found = Money.parse(text, currency, field=field).minor
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[key] = found
        return found
    return parse


def currency_checker() -> Callable[[str], str]:
    """Currency code → upper-cased ISO 4217, cached."""
    known: dict[str, str] = {}

    def check(code: str) -> str:
        found = known.get(code)
        if found is None:
            found = known[code] = check_currency(code)
        return found
    return check


def whole_number(field: str, text: str) -> int:
    """A whole number such as '6', '-3' or '12.0'; anything else is Invalid."""
    if not text:
        raise Invalid(field, "empty; a whole number is required")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise Invalid(field, f"'{text}' is not a number") from None
    if not number.is_integer():
        raise Invalid(field, f"'{text}' is not a whole number")
    return int(number)


def choice_checker(field: str, allowed: Collection[str], value_map: dict[str, str]) -> Callable[[str], str]:
    """A value mapped through the mapping's [values.<field>] table, then checked against the allowed words."""
    allowed_set = frozenset(allowed)
    listed = ", ".join(allowed)
    known: dict[str, str] = {}

    def check(text: str) -> str:
        found = known.get(text)
        if found is not None:
            return found
        mapped = value_map.get(text, text)
        word = mapped.strip().lower()
        if not word:
            raise Invalid(field, "empty" + (f" ('{text}' maps to nothing)" if text else ""))
        if word not in allowed_set:
            raise Invalid(field, f"'{mapped}' is not one of {listed}")
        known[text] = word
        return word
    return check


# Names in common use that CLDR's English list writes differently.
COUNTRY_ALIASES = {
    "usa": "US", "uk": "GB", "great britain": "GB", "england": "GB", "eire": "IE", "rsa": "ZA",
    "czech republic": "CZ", "hong kong": "HK", "macau": "MO", "macao": "MO",
}


def _english_country_names() -> dict[str, str]:
    names: dict[str, str] = dict(COUNTRY_ALIASES)
    for code, name in Locale("en").territories.items():
        if len(code) == 2 and code.isalpha():
            names[name.casefold()] = code
            names[code.casefold()] = code
    return names


def country_parser(extra: dict[str, str]) -> Callable[[str], str | None]:
    """A country name (English, as CLDR writes it) or ISO 3166 alpha-2 code → the code; the mapping's
    [countries] table adds names ("EIRE" = "IE") and can map a name to "" for 'no country'."""
    names = _english_country_names()
    for name, code in extra.items():
        if code and code.upper() not in {c.upper() for c in names.values()}:
            raise Invalid("mapping", f"[countries] maps '{name}' to '{code}', which is not an ISO 3166 alpha-2 code")
        names[name.casefold()] = code.upper() if code else ""

    def parse(text: str) -> str | None:
        if not text:
            return None
        code = names.get(text.casefold())
        if code is None:
            raise Invalid("country", f"'{text}' is not a country name or ISO 3166 code; "
                                     "add it to the mapping's [countries] table")
        return code or None
    return parse


def text_within(field: str, text: str, limit: int) -> str:
    """The text, or Invalid when it is longer than `limit` characters."""
    if len(text) > limit:
        raise Invalid(field, f"{len(text):,} characters; the limit is {limit:,}")
    return text
