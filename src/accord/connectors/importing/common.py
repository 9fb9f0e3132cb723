"""What every kind of import shares: the compile context, identities, external ids and the kind contract."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from accord.contacts.identity import IdentityKey, email_key, handle_key, phone_key
from accord.errors import Invalid
from accord.kernel.audit import Actor
from accord.kernel.vocabulary import CHANNELS

from .mapping import Getter, Mapping, getter
from .values import choice_checker, timestamp_parser

_CACHE_LIMIT = 100_000  # distinct raw identities remembered; bounded so memory stays flat


@dataclass
class Context:
    """Everything a kind needs to compile a mapping against one file's header."""

    mapping: Mapping
    header: list[str]
    file_name: str
    region: str
    tz: ZoneInfo
    currency: str | None
    started_at: datetime

    def timestamp(self, name: str) -> Callable[[str], datetime]:
        """Text → UTC time for a time field, in its mapped format and the file's zone; default "import-time" is now."""
        return timestamp_parser(name, self.fmt(name), self.tz, self.started_at)

    def get(self, name: str) -> Getter | None:
        """The getter for a mapped field, or None when the mapping leaves it out."""
        return getter(self.mapping.fields.get(name), self.header)

    def require(self, name: str) -> Getter:
        """The getter for a field the kind cannot do without (checked when the mapping was validated)."""
        found = self.get(name)
        assert found is not None, name
        return found

    def fmt(self, name: str) -> str | None:
        """The format the mapping gives a field (a strptime pattern, 'iso', 'epoch'…), if any."""
        spec = self.mapping.fields.get(name)
        return spec.format if spec else None

    def choice(self, name: str, allowed: Collection[str]) -> Callable[[list[str]], str] | None:
        """Row → a value checked against `allowed` through the mapping's [values.<name>] table; a constant is
        checked once, here, so a bad constant is a mapping error and costs nothing per row."""
        spec = self.mapping.fields.get(name)
        if spec is None:
            return None
        check = choice_checker(name, allowed, self.mapping.values.get(name, {}))
        if spec.value is not None:
            try:
                constant = check(spec.value)
            except Invalid as exc:
                raise Invalid("mapping", f"field '{name}': {exc.reason}") from None
            return lambda _values: constant
        get = self.require(name)
        return lambda values: check(get(values))

    def channel_of(self, name: str = "channel") -> Callable[[list[str]], str] | None:
        """Row → a checked channel, through the mapping's [values.channel] table."""
        return self.choice(name, CHANNELS)


@dataclass(frozen=True)
class Written:
    """What one batch did in the store."""

    written: int
    duplicates: int


class Kind(Protocol):
    """One kind of import: its fields, how a row becomes a record, and how a batch of records is written."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    needs_identity: bool
    batch_size: int

    def compile(self, ctx: Context) -> Callable[[list[str]], Any]: ...

    def write(self, session: Session, records: Sequence[Any], *, actor: Actor) -> Written: ...


@dataclass
class IdentityReader:
    """Row → the identity keys it names, normalised through the contacts rules and cached per distinct value."""

    ctx: Context
    readers: list[tuple[str, Getter, str | None]] = field(default_factory=list)
    cache: dict[tuple[str, str, str], IdentityKey | Invalid] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for spec in self.ctx.mapping.identities:
            if spec.channel is not None and spec.channel not in CHANNELS:
                raise Invalid("mapping", f"[[identity]] channel '{spec.channel}' is not one of {', '.join(CHANNELS)}")
            get = getter(spec.source, self.ctx.header)
            assert get is not None
            self.readers.append((spec.kind, get, spec.channel))

    def __bool__(self) -> bool:
        return bool(self.readers)

    def keys(self, values: list[str], channel: str | None) -> tuple[tuple[IdentityKey, ...], str]:
        """The keys of a row (possibly none) and the raw text of the first, for a display name."""
        if len(self.readers) == 1:  # the common case, kept to a lookup
            kind, get, fixed_channel = self.readers[0]
            raw = get(values)
            if not raw:
                return (), ""
            memo = (kind, fixed_channel or channel or "other", raw)
            key = self.cache.get(memo)
            if key is None:
                key = self._remember(memo)
            if isinstance(key, Invalid):
                raise key
            return (key,), raw
        keys: list[IdentityKey] = []
        first_raw = ""
        cache = self.cache
        for kind, get, fixed_channel in self.readers:
            raw = get(values)
            if not raw:
                continue
            on = fixed_channel or channel or "other"
            memo = (kind, on, raw)
            key = cache.get(memo)
            if key is None:
                key = self._remember(memo)
            if isinstance(key, Invalid):
                raise key
            if key not in keys:
                keys.append(key)
            first_raw = first_raw or raw
        return tuple(keys), first_raw

    def _remember(self, memo: tuple[str, str, str]) -> IdentityKey | Invalid:
        if len(self.cache) >= _CACHE_LIMIT:
            self.cache.clear()
        key = self.cache[memo] = self._normalise(*memo)
        return key

    def _normalise(self, kind: str, channel: str, raw: str) -> IdentityKey | Invalid:
        try:
            if kind == "email":
                return email_key(raw)
            if kind == "phone":
                return phone_key(raw, self.ctx.region)
            return handle_key(channel, raw, self.ctx.region)
        except Invalid as exc:
            return exc


class ExternalIds:
    """A row's external id: the mapped column(s) when there are any; else a stable hash of the row's mapped
    values plus an occurrence counter, so two identical rows in one file stay two records."""

    def __init__(self, ctx: Context, field_name: str = "external_id") -> None:
        self.get = ctx.get(field_name)
        self.field = field_name
        self.columns = [ctx.header.index(c) for c in ctx.mapping.referenced_columns()]
        self.seen: dict[bytes, int] = {}

    def __call__(self, values: list[str]) -> str:
        if self.get is not None:
            found = self.get(values)
            if not found:
                raise Invalid(self.field, "empty; each row needs its own id")
            if len(found) > 200:
                raise Invalid(self.field, f"{len(found)} characters; the limit is 200")
            return found
        digest = hashlib.blake2b("\x1f".join(values[i] for i in self.columns).encode("utf-8", "surrogateescape"),
                                 digest_size=12).digest()
        count = self.seen.get(digest, 0) + 1
        self.seen[digest] = count
        return f"{digest.hex()}-{count}"
