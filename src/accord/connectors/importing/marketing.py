"""Spend and touches: what campaigns cost, and the outbound exposures (clicks, opens, visits) they made."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from accord.campaigns.service import SpendIn, record_spend
from accord.engagement.models import TOUCH_KINDS
from accord.engagement.service import TouchRecord, record_touches
from accord.errors import Invalid
from accord.kernel.audit import Actor

from .common import Context, ExternalIds, IdentityReader, Written
from .orders import currency_of
from .people import UTM_FIELDS
from .values import date_parser, money_parser, text_within


class SpendRows:
    """Rows → SpendIn → record_spend (campaigns found or created by name)."""

    name = "spend"
    required = ("campaign", "spent_on", "amount")
    optional = ("currency", "channel", "note", "external_id")
    needs_identity = False
    batch_size = 5_000

    def compile(self, ctx: Context) -> Callable[[list[str]], SpendIn]:
        source = ctx.mapping.source
        external_id = ExternalIds(ctx)
        get_campaign, get_day, get_amount = ctx.require("campaign"), ctx.require("spent_on"), ctx.require("amount")
        parse_day = date_parser("spent_on", ctx.fmt("spent_on"))
        channel_of = ctx.channel_of() or (lambda _values: "other")
        currency = currency_of(ctx, "spend rows")
        money = money_parser("amount")
        get_note = ctx.get("note")

        def record(values: list[str]) -> SpendIn:
            ext = external_id(values)
            campaign = get_campaign(values)
            if not campaign:
                raise Invalid("campaign", "empty; spend belongs to a campaign")
            text_within("campaign", campaign, 200)
            day = parse_day(get_day(values))
            code = currency(values)
            amount_text = get_amount(values)
            amount = money(amount_text, code)
            if amount < 0:
                raise Invalid("amount", f"{amount_text} is negative; spend is what was paid")
            note = text_within("note", get_note(values), 300) if get_note else ""
            return SpendIn(source, ext, campaign, channel_of(values), day, amount, code, note)
        return record

    def write(self, session: Session, records: Sequence[SpendIn], *, actor: Actor) -> Written:
        outcome = record_spend(session, records, actor=actor)
        return Written(outcome.inserted, outcome.duplicates)


class Touches:
    """Rows → TouchRecord → record_touches (known people resolved, campaigns found by UTM)."""

    name = "touches"
    required = ("occurred_at", "channel", "kind")
    optional = ("external_id", "display_name", "visitor_id", *UTM_FIELDS, "referrer")
    needs_identity = False
    batch_size = 10_000

    def compile(self, ctx: Context) -> Callable[[list[str]], TouchRecord]:
        source = ctx.mapping.source
        external_id = ExternalIds(ctx)
        get_time = ctx.require("occurred_at")
        parse_time = ctx.timestamp("occurred_at")
        channel_of = ctx.channel_of()
        assert channel_of is not None
        kind_of = ctx.choice("kind", TOUCH_KINDS)
        assert kind_of is not None
        identities = IdentityReader(ctx)
        get_name, get_visitor = ctx.get("display_name"), ctx.get("visitor_id")
        extras = [(name, ctx.get(name), 2000 if name == "referrer" else 200) for name in (*UTM_FIELDS, "referrer")]

        def record(values: list[str]) -> TouchRecord:
            ext = external_id(values)
            at = parse_time(get_time(values))
            channel = channel_of(values)
            kind = kind_of(values)
            keys, first_raw = identities.keys(values, channel) if identities else ((), "")
            visitor = text_within("visitor_id", get_visitor(values), 64) if get_visitor else ""
            extra = {name: text_within(name, get(values), limit) or None for name, get, limit in extras if get}
            name = (get_name(values) if get_name else "") or first_raw
            return TouchRecord(source, ext, channel, kind, at, keys, name, visitor or None, **extra)
        return record

    def write(self, session: Session, records: Sequence[TouchRecord], *, actor: Actor) -> Written:
        outcome = record_touches(session, records, actor=actor)
        return Written(outcome.inserted, outcome.duplicates)
