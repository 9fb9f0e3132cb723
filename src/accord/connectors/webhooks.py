"""Webhooks: signature checks, and deliveries (Meta's, or any signed source's) parsed into engagements.

Nothing here writes: a delivery is verified over its raw bytes, parsed into `EngagementRecord`s, and
the caller hands them to the engagement ledger in its own transaction. How to configure each sender:
docs/webhooks-and-tracker.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from accord.contacts.identity import IdentityKey, email_key, handle_key, phone_key
from accord.engagement.models import ENGAGEMENT_KINDS
from accord.engagement.service import EngagementRecord
from accord.errors import AccordError, Invalid, NotAuthenticated, PermissionDenied
from accord.kernel.vocabulary import CHANNELS

META_SOURCE = "meta"
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_ITEMS = 1000
MAX_LISTED_ERRORS = 50
_EXTERNAL_ID_MAX = 200  # the ledger's column width
_EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)


class SignatureMissing(NotAuthenticated):
    title = "Signature required"


class BadSignature(PermissionDenied):
    title = "Bad signature"


class StaleTimestamp(NotAuthenticated):
    title = "Stale timestamp"


class MalformedPayload(AccordError):
    title = "Malformed payload"


class PayloadTooLarge(AccordError):
    status_code = 413
    title = "Payload too large"


class InvalidItems(Invalid):
    """Several fields of a delivery are wrong; the first is the headline, all are listed."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        field, reason = errors[0]
        super().__init__(field, reason)
        if len(errors) > 1:
            self.message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        self.errors = [{"field": f, "reason": r} for f, r in errors[:MAX_LISTED_ERRORS]]


def _hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_meta_signature(secret: str, body: bytes, header: str | None) -> None:
    """Check Meta's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`; raise if missing or wrong."""
    if not header:
        raise SignatureMissing("the X-Hub-Signature-256 header is missing")
    expected = "sha256=" + _hex_hmac(secret, body)
    if not hmac.compare_digest(header.strip().encode(), expected.encode()):
        raise BadSignature("X-Hub-Signature-256 does not match the body signed with the app secret")


def accord_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Accord-Signature` value for a body sent at `timestamp` (unix seconds, as sent)."""
    return "sha256=" + _hex_hmac(secret, timestamp.encode() + b"." + body)


def verify_accord_signature(
    secret: str, body: bytes, timestamp: str | None, signature: str | None, *, now: datetime, tolerance_seconds: int
) -> None:
    """Check `X-Accord-Signature` over "<timestamp>.<body>", then that the timestamp is recent (replay protection)."""
    if not timestamp or not signature:
        raise SignatureMissing("the X-Accord-Timestamp and X-Accord-Signature headers are both required")
    if not hmac.compare_digest(signature.strip().encode(), accord_signature(secret, timestamp.strip(), body).encode()):
        raise BadSignature("X-Accord-Signature does not match '<timestamp>.<body>' signed with the source's secret")
    try:
        sent = int(timestamp.strip())
    except ValueError:
        raise StaleTimestamp(f"stale timestamp: X-Accord-Timestamp {timestamp!r} is not unix seconds") from None
    if abs(now.timestamp() - sent) > tolerance_seconds:
        raise StaleTimestamp(
            f"stale timestamp: X-Accord-Timestamp is more than {tolerance_seconds} seconds from the server's clock"
        )


def read_json(body: bytes) -> Any:
    """The body as JSON, or MalformedPayload saying where it breaks."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedPayload("the body is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedPayload(f"the body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of thousands of digits, or nesting too deep
        raise MalformedPayload(f"the body is JSON that Accord does not read: {type(exc).__name__}") from None


# -- Meta -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MetaDelivery:
    """The engagements found in one Meta delivery, and how many of its events were not ones Accord records."""

    records: list[EngagementRecord]
    ignored: int


_META_CHANNELS = {"instagram": "instagram", "page": "facebook"}
_FACEBOOK_KINDS = {"comment": "comment", "reaction": "like", "share": "share"}


def _obj(value: Any, key: str) -> dict:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _text(value: Any, key: str) -> str | None:
    found = value.get(key) if isinstance(value, dict) else None
    if isinstance(found, bool):
        return None
    if isinstance(found, int | str):
        return str(found).strip() or None
    return None


def _moment(raw: Any) -> datetime | None:
    """Meta times come as unix seconds, unix milliseconds or ISO 8601 text depending on the product."""
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    try:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            moment = datetime.fromtimestamp(raw / 1000 if raw > 1e11 else raw, tz=timezone.utc)
        elif isinstance(raw, str):
            moment = datetime.fromisoformat(raw.strip().replace("+0000", "+00:00"))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        else:
            return None
        if not _EARLIEST <= moment <= datetime.now(timezone.utc) + timedelta(days=1):
            return None
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def _events(payload: dict) -> Iterator[tuple[str, dict, Any]]:
    for entry in payload["entry"]:
        if not isinstance(entry, dict):
            yield "junk", {}, entry
            continue
        for shape, key in (("change", "changes"), ("messaging", "messaging")):
            items = entry.get(key)
            for item in items if isinstance(items, list) else []:
                yield shape, entry, item


def _person(channel: str, author: dict, entry: dict) -> tuple[tuple[IdentityKey, ...], str] | None:
    """The author's identity and name, or None when unknown or when it is the business's own account."""
    author_id = _text(author, "id")
    if author_id is not None and author_id == _text(entry, "id"):
        return None
    if channel == "instagram":
        handle, name = _text(author, "username") or author_id, _text(author, "username") or ""
    else:
        handle, name = author_id, _text(author, "name") or ""
    if handle is None:
        return None
    return (handle_key(channel, handle, field="from"),), name


def _record(channel: str, kind: str, external_id: str | None, when: Any, entry: dict, person, *,
            text: str | None = None, url: str | None = None) -> EngagementRecord | None:
    if person is None or not external_id or len(external_id) > _EXTERNAL_ID_MAX:
        return None
    keys, name = person
    occurred = _moment(when) or _moment(entry.get("time")) or datetime.now(timezone.utc)
    return EngagementRecord(source=META_SOURCE, external_id=external_id, channel=channel, kind=kind,
                            occurred_at=occurred, keys=keys, display_name=name, text=text,
                            url=url if url and url.startswith(("https://", "http://")) and len(url) <= 2000 else None)


def _instagram_change(entry: dict, change: Any) -> EngagementRecord | None:
    field, value = _text(change, "field"), _obj(change, "value")
    if field in ("comments", "live_comments"):
        person = _person("instagram", _obj(value, "from"), entry)
        return _record("instagram", "comment", _text(value, "id"), value.get("timestamp"), entry, person,
                       text=_text(value, "text"))
    if field == "mentions":
        # Instagram names only the media and comment of a mention; without an author there is no one to record.
        target = _text(value, "comment_id") or _text(value, "media_id")
        person = _person("instagram", _obj(value, "from"), entry)
        return _record("instagram", "mention", target and f"mention:{target}", value.get("timestamp"), entry,
                       person, text=_text(value, "text"))
    return None


def _facebook_change(entry: dict, change: Any) -> EngagementRecord | None:
    value = _obj(change, "value")
    kind = _FACEBOOK_KINDS.get(_text(value, "item") or "")
    if _text(change, "field") != "feed" or kind is None or _text(value, "verb") != "add":
        return None
    person = _person("facebook", _obj(value, "from"), entry)
    author = _text(_obj(value, "from"), "id")
    target = _text(value, "comment_id") or _text(value, "post_id")
    if kind == "comment":
        external_id = _text(value, "comment_id")
    elif kind == "like":
        # A reaction has no id of its own: one person's reaction to one post or comment is one signal.
        external_id = target and author and f"reaction:{target}:{author}"
    else:
        external_id = _text(value, "share_id") or (target and author and f"share:{target}:{author}")
    url = _text(value, "link") or _text(_obj(value, "post"), "permalink_url")
    return _record("facebook", kind, external_id, value.get("created_time"), entry, person,
                   text=_text(value, "message"), url=url)


def _message(channel: str, entry: dict, event: Any) -> EngagementRecord | None:
    message = _obj(event, "message")
    if not message or message.get("is_echo"):
        return None
    person = _person(channel, _obj(event, "sender"), entry)
    return _record(channel, "message", _text(message, "mid"), event.get("timestamp"), entry, person,
                   text=_text(message, "text"))


def parse_meta(payload: Any) -> MetaDelivery:
    """Instagram comments, mentions and messages, and Facebook Page comments, reactions, shares and messages.

    Every other event (other fields, echoes of the business's own messages, removals, events by the
    account itself, events without an author) is ignored and counted.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise MalformedPayload("a Meta delivery is a JSON object with an 'entry' list")
    kind = payload.get("object")
    channel = _META_CHANNELS.get(kind) if isinstance(kind, str) else None
    records: list[EngagementRecord] = []
    ignored = 0
    for shape, entry, item in _events(payload):
        found = None
        if channel is not None and isinstance(item, dict):
            try:
                if shape == "messaging":
                    found = _message(channel, entry, item)
                elif shape == "change":
                    found = (_instagram_change if channel == "instagram" else _facebook_change)(entry, item)
            except Invalid:
                found = None  # an unusable handle: the one event is skipped, not the whole delivery
        if found is None:
            ignored += 1
        else:
            records.append(found)
    return MetaDelivery(records, ignored)


# -- Any other signed source ------------------------------------------------------------------------

_ISO_HINT = "must be an ISO 8601 date-time with a UTC offset, such as 2026-03-01T09:30:00+02:00"


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(_ISO_HINT)
    return value


class HookEngagementIn(BaseModel):
    """One engagement as a signed source sends it; the person needs an email, phone or handle."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: Annotated[str, Field(min_length=1, max_length=_EXTERNAL_ID_MAX)]
    channel: Literal[CHANNELS]  # type: ignore[valid-type]
    kind: Literal[ENGAGEMENT_KINDS]  # type: ignore[valid-type]
    occurred_at: AwareDatetime
    email: Annotated[str, Field(max_length=320)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    handle: Annotated[str, Field(max_length=320)] | None = None
    name: Annotated[str, Field(max_length=200)] | None = None
    text: Annotated[str, Field(max_length=20_000)] | None = None
    url: Annotated[str, Field(max_length=2000, pattern=r"^https?://\S+$")] | None = None

    _occurred_at_is_text = field_validator("occurred_at", mode="before")(_iso_text)

    @field_validator("email")
    @classmethod
    def _an_email(cls, value: str | None) -> str | None:
        return value and _checked(lambda: email_key(value))

    @field_validator("phone")
    @classmethod
    def _a_phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        return value and _checked(lambda: phone_key(value, info.context["region"]))


def _checked(make_key: Callable[[], IdentityKey]) -> str:
    try:
        return make_key().value
    except Invalid as exc:
        raise ValueError(exc.reason) from None


def _where(prefix: str, loc: tuple[Any, ...]) -> str:
    return prefix + ".".join(str(part) for part in loc)


def _reason(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "is not a field of an engagement (expected " + ", ".join(HookEngagementIn.model_fields) + ")"
    if error["type"] == "timezone_aware" or error["type"].startswith("datetime"):
        return f"{_ISO_HINT} ({error['msg'].lower()})"
    return error["msg"].removeprefix("Value error, ")


def parse_engagements(source: str, payload: Any, *, region: str, now: datetime) -> list[EngagementRecord]:
    """A JSON object or array of engagements from `source`, validated; InvalidItems names every bad field."""
    if isinstance(payload, dict):
        items, prefixes = [payload], [""]
    elif isinstance(payload, list):
        items, prefixes = payload, [f"[{index}]." for index in range(len(payload))]
    else:
        raise Invalid("body", "must be a JSON object or an array of objects")
    if not items:
        raise Invalid("body", "the array is empty")
    if len(items) > MAX_ITEMS:
        raise Invalid("body", f"{len(items)} engagements in one delivery; send at most {MAX_ITEMS}")
    errors: list[tuple[str, str]] = []
    records: list[EngagementRecord] = []
    for item, prefix in zip(items, prefixes, strict=True):
        if not isinstance(item, dict):
            errors.append((prefix.rstrip(".") or "body", "must be a JSON object"))
            continue
        try:
            engagement = HookEngagementIn.model_validate(item, context={"region": region})
        except ValidationError as exc:
            errors += [(_where(prefix, e["loc"]), _reason(e)) for e in exc.errors()]
            continue
        found = _engagement_record(source, engagement, prefix, region=region, now=now, errors=errors)
        if found is not None:
            records.append(found)
    if errors:
        raise InvalidItems(errors)
    return records


def _engagement_record(source: str, item: HookEngagementIn, prefix: str, *, region: str, now: datetime,
                       errors: list[tuple[str, str]]) -> EngagementRecord | None:
    before = len(errors)
    keys = [email_key(item.email)] if item.email else []
    keys += [phone_key(item.phone, region)] if item.phone else []
    if item.handle:
        try:
            keys.append(handle_key(item.channel, item.handle, region, field=prefix + "handle"))
        except Invalid as exc:
            errors.append((exc.field, exc.reason))
    if not (item.email or item.phone or item.handle):
        errors.append((prefix + "email", "an engagement needs the person's email, phone or handle"))
    if item.occurred_at > now + timedelta(days=1):
        errors.append((prefix + "occurred_at", f"{item.occurred_at.isoformat()} is in the future"))
    elif item.occurred_at < _EARLIEST:
        errors.append((prefix + "occurred_at", f"{item.occurred_at.isoformat()} is before 1970"))
    if len(errors) > before:
        return None
    return EngagementRecord(
        source=source, external_id=item.external_id, channel=item.channel, kind=item.kind,
        occurred_at=item.occurred_at.astimezone(timezone.utc), keys=tuple(dict.fromkeys(keys)),
        display_name=item.name or "", text=item.text, url=item.url,
    )
