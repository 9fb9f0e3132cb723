"""Writes to conversations: open one with a contact, and send or log messages through the consent gate."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.connectors.mail import Mailer
from accord.consent import service as consent
from accord.consent.links import unsubscribe_token
from accord.contacts.models import Contact, Identity
from accord.contacts.service import live_contact
from accord.conversations.models import Conversation, Message, Query
from accord.engagement.models import Engagement
from accord.engagement.service import mark_contacted
from accord.errors import ConsentRequired, Invalid, SetupError
from accord.kernel.audit import Actor, record
from accord.kernel.clock import utcnow
from accord.kernel.db import get_row
from accord.kernel.vocabulary import CHANNELS


def open_conversation(session: Session, contact_id: int, channel: str, *, actor: Actor,
                      subject: str | None = None) -> Conversation:
    """The open conversation with a contact on a channel, started now if there is none."""
    if channel not in CHANNELS:
        raise Invalid("channel", f"'{channel}' is not one of {', '.join(CHANNELS)}")
    contact = live_contact(session, contact_id)
    existing = session.scalar(
        select(Conversation).where(Conversation.contact_id == contact.id, Conversation.channel == channel,
                                   Conversation.status == "open").order_by(Conversation.id.desc()).limit(1)
    )
    if existing is not None:
        return existing
    conversation = Conversation(contact_id=contact.id, channel=channel, subject=subject, status="open",
                                started_at=utcnow())
    session.add(conversation)
    session.flush()
    record(session, actor=actor, entity="conversation", entity_id=conversation.id, contact_id=contact.id,
           action="opened", summary=f"Conversation opened on {channel}")
    return conversation


def open_conversation_about(session: Session, engagement_id: int, *, actor: Actor) -> Conversation:
    """Open (or reopen) the conversation with the person behind an engagement, on its channel."""
    engagement = get_row(session, Engagement, engagement_id, "engagement")
    return open_conversation(session, engagement.contact_id, engagement.channel, actor=actor)


MAX_BODY = 20_000
MAX_SUBJECT = 300
_templates = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)


def render_personal(template: str, contact: Contact) -> str:
    """A reply template filled in for one person, in a sandbox: {{ first_name }}, {{ name }}, {{ city }}."""
    name = contact.display_name.strip()
    values = {"name": name, "first_name": name.split()[0] if name else "", "city": contact.city or ""}
    try:
        return _templates.from_string(template).render(values)
    except TemplateSyntaxError as exc:
        raise Invalid("body", f"the template has a syntax error on line {exc.lineno}: {exc.message}") from None
    except UndefinedError as exc:
        raise Invalid("body", f"the template uses {exc.message.split()[0]}, which is not known; "
                              "use name, first_name or city") from None
    except SecurityError as exc:
        raise Invalid("body", f"the template does something templates may not: {exc}") from None


@dataclass(frozen=True)
class Outgoing:
    """One message to send: to whom, on which channel, why, and what it says (a template)."""

    contact_id: int
    channel: str
    body: str
    subject: str | None = None
    purpose: str | None = None  # the consent purpose, for a message that answers nothing
    answering_engagement_id: int | None = None
    answering_query_id: int | None = None


def _email_of(session: Session, contact_id: int) -> str:
    address = session.scalar(select(Identity.value).where(Identity.contact_id == contact_id, Identity.kind == "email")
                             .order_by(Identity.id).limit(1))
    if address is None:
        raise Invalid("channel", f"contact {contact_id} has no email address")
    return address


def send_message(session: Session, item: Outgoing, *, actor: Actor, mailer: Mailer | None = None,
                 secret: str = "", public_url: str = "") -> Message:
    """Send (email) or log (any other channel) a personal message, after the consent gate.

    Email goes out through SMTP before the caller commits; if it cannot be sent, nothing is recorded.
    Mail sent on consent carries a signed unsubscribe link. A reply takes its engagement out of the inbox.
    """
    if not item.body.strip():
        raise Invalid("body", "empty; write what you want to say")
    if len(item.body) > MAX_BODY:
        raise Invalid("body", f"{len(item.body):,} characters; the limit is {MAX_BODY:,}")
    answering = item.answering_engagement_id is not None or item.answering_query_id is not None
    if item.purpose is None and not answering:
        raise Invalid("purpose", "needed for a message that answers nothing the person sent (e.g. education)")
    basis = consent.require(session, item.contact_id, purpose=item.purpose or "information", channel=item.channel,
                            answering_engagement_id=item.answering_engagement_id,
                            answering_query_id=item.answering_query_id)
    contact = live_contact(session, item.contact_id)
    body = render_personal(item.body, contact)
    conversation = open_conversation(session, contact.id, item.channel, actor=actor, subject=item.subject)
    now = utcnow()
    message = Message(conversation_id=conversation.id, direction="outbound", channel=item.channel,
                      author_user_id=actor.user_id, body=body, sent_at=now,
                      in_reply_to_engagement_id=item.answering_engagement_id, legal_basis=basis)
    session.add(message)
    session.flush()
    if item.answering_engagement_id is not None:
        engagement = session.get(Engagement, item.answering_engagement_id)
        if engagement.answered_at is None:
            mark_contacted(session, engagement.id, actor=actor, at=now)
    if item.answering_query_id is not None:
        query = session.get(Query, item.answering_query_id)
        if query.first_response_at is None:
            query.first_response_at = now
    record(session, actor=actor, entity="message", entity_id=message.id, contact_id=contact.id, action="sent",
           summary=f"{'Emailed' if item.channel == 'email' else 'Wrote on ' + item.channel}: "
                   f"{(item.subject or body)[:120]}",
           after={"legal_basis": basis, "purpose": item.purpose, "channel": item.channel})
    if item.channel == "email":
        if mailer is None:
            raise SetupError("email cannot be sent from here: no mailer was given")
        subject = (item.subject or "").strip() or f"A message from {mailer.settings.mail_from.split('<')[0].strip()}"
        if len(subject) > MAX_SUBJECT:
            raise Invalid("subject", f"{len(subject):,} characters; the limit is {MAX_SUBJECT}")
        headers: dict[str, str] = {}
        if basis == "consent":
            token = unsubscribe_token(secret, contact.id, item.purpose, item.channel)
            link = f"{public_url.rstrip('/')}/u/{token}"
            body = f"{body}\n\n--\nYou get this because you asked us to keep in touch ({item.purpose}). " \
                   f"Stop any time: {link}"
            headers["List-Unsubscribe"] = f"<{link}>"
        mailer.send(_email_of(session, contact.id), subject, body, headers=headers)
    return message


def send_bulk(session: Session, items: list[Outgoing], *, actor: Actor, mailer: Mailer | None = None,
              secret: str = "", public_url: str = "") -> list[Message]:
    """Send many messages only if every one passes the consent gate; otherwise ConsentRequired names who has not."""
    refused = []
    for item in items:
        try:
            consent.require(session, item.contact_id, purpose=item.purpose or "information", channel=item.channel,
                            answering_engagement_id=item.answering_engagement_id,
                            answering_query_id=item.answering_query_id)
        except ConsentRequired:
            refused.append(item.contact_id)
    if refused:
        shown = ", ".join(str(c) for c in refused[:20]) + (" …" if len(refused) > 20 else "")
        raise ConsentRequired(f"{len(refused)} of {len(items)} contacts have not given permission for this "
                              f"message; nothing was sent (contacts {shown})")
    return [send_message(session, item, actor=actor, mailer=mailer, secret=secret, public_url=public_url)
            for item in items]
