"""Engagements: comments, likes, follows… each attached to the person behind it through the engagement ledger."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from accord.engagement.models import ENGAGEMENT_KINDS
from accord.engagement.service import EngagementRecord, record_engagements
from accord.errors import Invalid
from accord.kernel.audit import Actor

from .common import Context, ExternalIds, IdentityReader, Written
from .values import MAX_TEXT

_MAX_URL = 2000


class Engagements:
    """Rows → EngagementRecord → record_engagements."""

    name = "engagements"
    required = ("occurred_at", "channel", "kind")
    optional = ("external_id", "text", "url", "display_name")
    needs_identity = True
    batch_size = 50_000  # fewer, larger transactions: each index page is written once per batch

    def compile(self, ctx: Context) -> Callable[[list[str]], EngagementRecord]:
        source = ctx.mapping.source
        external_id = ExternalIds(ctx)
        occurred = ctx.require("occurred_at")
        parse_time = ctx.timestamp("occurred_at")
        channel_of = ctx.channel_of()
        assert channel_of is not None
        kind_of = ctx.choice("kind", ENGAGEMENT_KINDS)
        assert kind_of is not None
        get_text, get_url, get_name = ctx.get("text"), ctx.get("url"), ctx.get("display_name")
        identities = IdentityReader(ctx)

        def record(values: list[str]) -> EngagementRecord:
            ext = external_id(values)
            at = parse_time(occurred(values))
            channel = channel_of(values)
            kind = kind_of(values)
            keys, first_raw = identities.keys(values, channel)
            if not keys:
                raise Invalid("identity", "empty; the row names no email, phone or handle")
            text = get_text(values) if get_text else None
            if text is not None and len(text) > MAX_TEXT:
                raise Invalid("text", f"{len(text):,} characters; the limit is {MAX_TEXT:,}")
            url = get_url(values) or None if get_url else None
            if url is not None and len(url) > _MAX_URL:
                raise Invalid("url", f"{len(url):,} characters; the limit is {_MAX_URL:,}")
            name = (get_name(values) if get_name else "") or first_raw
            return EngagementRecord(source, ext, channel, kind, at, keys, name, text or None, url)
        return record

    def write(self, session: Session, records: Sequence[EngagementRecord], *, actor: Actor) -> Written:
        outcome = record_engagements(session, records, actor=actor)
        return Written(outcome.inserted, outcome.duplicates)
