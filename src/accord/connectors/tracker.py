"""The website tracker: visits become touches with a channel, form submissions become engagements of a person.

A visit's channel comes from its UTM tags and referrer by an ordered table of rules (the first that
matches wins), modelled on the usual default channel grouping of web analytics and mapped onto
Accord's channels. The rules and the snippet that sends the events: docs/webhooks-and-tracker.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.connectors.webhooks import InvalidItems
from accord.contacts.identity import IdentityKey, email_key, handle_key, phone_key
from accord.engagement.models import Engagement, Touch
from accord.engagement.service import EngagementRecord, TouchRecord, link_visitor, record_engagements, record_touches
from accord.errors import Invalid
from accord.kernel.audit import Actor
from accord.kernel.workspace import get_workspace

TRACKER_SOURCE = "tracker"
MAX_EVENT_BYTES = 16 * 1024
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")

# -- Channel grouping -------------------------------------------------------------------------------

SEARCH_SITES = frozenset({"google", "bing", "yahoo", "duckduckgo", "baidu", "yandex", "ecosia", "ask", "aol",
                          "naver", "brave", "startpage", "qwant"})
# A social site, and the Accord channel it is (others, e.g. pinterest or reddit, count as 'other').
SOCIAL_SITES = {
    "facebook": "facebook", "fb": "facebook", "fb.me": "facebook", "messenger": "facebook",
    "instagram": "instagram", "ig": "instagram",
    "linkedin": "linkedin", "lnkd.in": "linkedin",
    "x": "x", "x.com": "x", "twitter": "x", "t.co": "x",
    "tiktok": "tiktok",
    "youtube": "youtube", "youtu.be": "youtube",
    "pinterest": "other", "reddit": "other", "snapchat": "other", "threads": "other", "tumblr": "other",
    "quora": "other",
}
MESSAGING_SITES = frozenset({"whatsapp", "wa.me"})
SHOPPING_SITES = frozenset({"amazon", "ebay", "etsy", "takealot", "shopping", "mercadolibre"})
EMAIL_WORDS = frozenset({"email", "e-mail", "e_mail", "e mail", "newsletter"})
PAID_MEDIUM = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
DISPLAY_MEDIA = frozenset({"display", "banner", "expandable", "interstitial", "cpm"})
SOCIAL_MEDIA = frozenset({"social", "social-network", "social-media", "sm", "social network", "social media"})
REFERRAL_MEDIA = frozenset({"referral", "app", "link"})
AFFILIATE_MEDIA = frozenset({"affiliate", "affiliates"})
# Second-level labels of country domains (google.co.za), skipped to find the site's own name.
_GENERIC_LABELS = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"})


@dataclass(frozen=True)
class Arrival:
    """Where a visit came from, as the rules read it: source and medium lower-cased, the referrer's host."""

    source: str
    medium: str
    host: str | None  # the source as a host name when it is one (from the referrer or a utm_source like "t.co")


def _brand(host: str) -> str:
    labels = host.split(".")
    if len(labels) > 1:
        labels = labels[:-1]
    if len(labels) > 1 and labels[-1] in _GENERIC_LABELS:
        labels = labels[:-1]
    return labels[-1]


def is_site(arrival: Arrival, names: frozenset[str] | dict[str, str]) -> str | None:
    """The name in `names` that the arrival's source is (google, l.facebook.com, google.co.za…), or None."""
    if arrival.source in names:
        return arrival.source
    if arrival.host:
        for name in (arrival.host, _brand(arrival.host)):
            if name in names:
                return name
        for name in names:
            if "." in name and arrival.host.endswith("." + name):
                return name
    return None


def _paid(a: Arrival) -> bool:
    return bool(PAID_MEDIUM.match(a.medium))


def _social_channel(a: Arrival) -> str:
    return SOCIAL_SITES.get(is_site(a, SOCIAL_SITES) or "", "other")


def _always(channel: str) -> Callable[[Arrival], str]:
    return lambda _arrival: channel


@dataclass(frozen=True)
class GroupingRule:
    """One row of the grouping table: a group name, when it applies, and the Accord channel it gives."""

    group: str
    applies: Callable[[Arrival], bool]
    channel: Callable[[Arrival], str]
    when: str  # the rule in words, for the docs


GROUPING_RULES: tuple[GroupingRule, ...] = (
    GroupingRule("direct", lambda a: a.source == "(direct)" and a.medium in ("(none)", "(not set)", ""),
                 _always("website"), "no UTM tags and no referrer from another site"),
    GroupingRule("paid search", lambda a: bool(is_site(a, SEARCH_SITES)) and _paid(a),
                 _always("website"), "search engine source, paid medium (cpc, ppc, paidsearch, paid…)"),
    GroupingRule("paid social", lambda a: bool(is_site(a, SOCIAL_SITES)) and _paid(a),
                 _social_channel, "social site source, paid medium"),
    GroupingRule("paid shopping", lambda a: bool(is_site(a, SHOPPING_SITES)) and _paid(a),
                 _always("marketplace"), "shopping site source, paid medium"),
    GroupingRule("display", lambda a: a.medium in DISPLAY_MEDIA,
                 _always("other"), "medium display, banner, expandable, interstitial or cpm"),
    GroupingRule("paid other", _paid, _always("other"), "any other paid medium"),
    GroupingRule("email", lambda a: a.source in EMAIL_WORDS or a.medium in EMAIL_WORDS,
                 _always("email"), "source or medium email (e-mail, e_mail, newsletter)"),
    GroupingRule("sms", lambda a: "sms" in (a.source, a.medium), _always("phone"), "source or medium sms"),
    GroupingRule("messaging", lambda a: bool(is_site(a, MESSAGING_SITES)) or a.medium == "whatsapp",
                 _always("whatsapp"), "WhatsApp source (whatsapp, wa.me) or medium whatsapp"),
    GroupingRule("affiliate", lambda a: a.medium in AFFILIATE_MEDIA,
                 _always("referral"), "medium affiliate"),
    GroupingRule("organic shopping", lambda a: bool(is_site(a, SHOPPING_SITES)),
                 _always("marketplace"), "shopping site source"),
    GroupingRule("organic social", lambda a: bool(is_site(a, SOCIAL_SITES)) or a.medium in SOCIAL_MEDIA,
                 _social_channel, "social site source, or medium social (sm, social-network, social-media)"),
    GroupingRule("organic search", lambda a: bool(is_site(a, SEARCH_SITES)) or a.medium == "organic",
                 _always("website"), "search engine source (a search engine referrer), or medium organic"),
    GroupingRule("referral", lambda a: a.medium in REFERRAL_MEDIA,
                 _always("referral"), "medium referral, app or link (any other referring site)"),
)
UNASSIGNED = GroupingRule("unassigned", lambda a: True, _always("other"), "anything else")


@dataclass(frozen=True)
class Grouping:
    """A visit's channel group (e.g. 'paid social') and the Accord channel it is stored under."""

    group: str
    channel: str


def _host(text: str | None) -> str | None:
    if not text:
        return None
    candidate = text if "://" in text else f"//{text}"
    try:
        host = (urlsplit(candidate).hostname or "").removeprefix("www.")
    except ValueError:
        return None
    return host if "." in host else None


def arrival(utm_source: str | None, utm_medium: str | None, referrer: str | None, page_url: str | None) -> Arrival:
    """Source and medium as analytics tools derive them: UTM tags first, else the referring site, else direct."""
    referrer_host = _host(referrer)
    if referrer_host is not None and referrer_host == _host(page_url):
        referrer_host = None  # moving between pages of the same site says nothing about how they arrived
    if utm_source or utm_medium:
        source = (utm_source or "").strip().lower()
        return Arrival(source, (utm_medium or "").strip().lower(), _host(source) or referrer_host)
    if referrer_host is None:
        return Arrival("(direct)", "(none)", None)
    probe = Arrival(referrer_host, "", referrer_host)
    return Arrival(referrer_host, "organic" if is_site(probe, SEARCH_SITES) else "referral", referrer_host)


def channel_group(utm_source: str | None, utm_medium: str | None, referrer: str | None,
                  page_url: str | None = None) -> Grouping:
    """The first grouping rule that matches a visit."""
    where = arrival(utm_source, utm_medium, referrer, page_url)
    rule = next((r for r in GROUPING_RULES if r.applies(where)), UNASSIGNED)
    return Grouping(rule.group, rule.channel(where))


# -- Events -----------------------------------------------------------------------------------------

_Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
_Url = Annotated[str, Field(max_length=2000, pattern=r"^https?://\S+$")]
_Utm = Annotated[str, Field(max_length=200)] | None


class FormFieldsIn(BaseModel):
    """What the snippet reads from a submitted form; `handle` is another name for `instagram`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Annotated[str, Field(max_length=320)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    name: Annotated[str, Field(max_length=200)] | None = None
    instagram: Annotated[str, Field(max_length=320)] | None = None
    handle: Annotated[str, Field(max_length=320)] | None = None
    message: Annotated[str, Field(max_length=5000)] | None = None


class TrackerEventIn(BaseModel):
    """One event from the snippet: a visit, or a form submission with the form's fields."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: Literal["visit", "form_submit"]
    event_id: _Id
    visitor_id: _Id
    url: _Url
    referrer: Annotated[str, Field(max_length=2000)] | None = None
    utm_source: _Utm = None
    utm_medium: _Utm = None
    utm_campaign: _Utm = None
    utm_content: _Utm = None
    utm_term: _Utm = None
    form: Annotated[str, Field(max_length=200)] | None = None
    fields: FormFieldsIn | None = None


def parse_event(payload: Any) -> TrackerEventIn:
    """A tracker event, validated; InvalidItems names every bad field."""
    if not isinstance(payload, dict):
        raise Invalid("body", "must be a JSON object")
    try:
        event = TrackerEventIn.model_validate(payload)
    except ValidationError as exc:
        raise InvalidItems([(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]) from None
    if event.type == "form_submit" and event.fields is None:
        raise Invalid("fields", "a form_submit needs the form's fields")
    return event


def _utm(event: TrackerEventIn) -> dict[str, str | None]:
    """UTM tags as sent, or else read from the page's address."""
    try:
        query = parse_qs(urlsplit(event.url).query)
    except ValueError:
        query = {}
    return {name: getattr(event, name) or (query.get(name, [""])[0].strip()[:200] or None) for name in UTM_FIELDS}


def contact_of_visitor(session: Session, visitor_id: str) -> int | None:
    """The contact an identified visitor turned out to be, if any."""
    return session.scalar(
        select(Touch.contact_id).where(Touch.visitor_id == visitor_id, Touch.contact_id.is_not(None)).limit(1)
    )


@dataclass(frozen=True)
class TrackedEvent:
    """What an event did: whether it was new, and for a visit the group and channel it was given."""

    recorded: bool
    group: str | None = None
    channel: str | None = None


def _form_keys(fields: FormFieldsIn, region: str) -> tuple[IdentityKey, ...]:
    keys: list[IdentityKey] = []
    if fields.email:
        keys.append(email_key(fields.email, field="fields.email"))
    if fields.phone:
        keys.append(phone_key(fields.phone, region, field="fields.phone"))
    for name in ("instagram", "handle"):
        if getattr(fields, name):
            keys.append(handle_key("instagram", getattr(fields, name), field=f"fields.{name}"))
    if not keys:
        raise Invalid("fields.email", "a form submission needs an email, phone or instagram field")
    return tuple(dict.fromkeys(keys))


def record_event(session: Session, event: TrackerEventIn, *, at: datetime, actor: Actor) -> TrackedEvent:
    """Record a visit as a touch, or a form submission as the person's engagement joined to their earlier visits."""
    if event.type == "visit":
        utm = _utm(event)
        grouping = channel_group(utm["utm_source"], utm["utm_medium"], event.referrer, event.url)
        outcome = record_touches(session, [TouchRecord(
            source=TRACKER_SOURCE, external_id=event.event_id, channel=grouping.channel, kind="visit",
            occurred_at=at, visitor_id=event.visitor_id, referrer=event.referrer or None, **utm,
        )], actor=actor)
        known = contact_of_visitor(session, event.visitor_id)
        if known is not None:
            link_visitor(session, event.visitor_id, known)
        return TrackedEvent(outcome.inserted == 1, grouping.group, grouping.channel)

    fields = event.fields
    keys = _form_keys(fields, get_workspace(session).default_region)
    outcome = record_engagements(session, [EngagementRecord(
        source=TRACKER_SOURCE, external_id=event.event_id, channel="website", kind="form_submit", occurred_at=at,
        keys=keys, display_name=fields.name or "", url=event.url,
        text=fields.message or (f"Form: {event.form}" if event.form else None),
    )], actor=actor)
    engagement = session.get(Engagement, outcome.engagement_ids[0])
    link_visitor(session, event.visitor_id, engagement.contact_id)
    return TrackedEvent(outcome.inserted == 1)
