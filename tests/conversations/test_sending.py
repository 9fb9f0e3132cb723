"""Sending and logging messages through the consent gate, with a real SMTP server receiving the mail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accord.connectors.mail import Mailer
from accord.consent import service as consent
from accord.consent.links import read_unsubscribe_token
from accord.conversations.models import Message
from accord.conversations.service import Outgoing, render_personal, send_bulk, send_message
from accord.errors import ConsentRequired, Invalid, SetupError
from accord.kernel.audit import Actor
from accord.settings import Settings
from factories import T0, contact, engagement
from mailserver import smtp_server

ACTOR = Actor("test")
SECRET = "k" * 40
URL = "https://crm.kasikitchen.example"


def mailer_on(port: int) -> Mailer:
    return Mailer(Settings(smtp_host="127.0.0.1", smtp_port=port, mail_from="Kasi Kitchen <hello@kasi.example>"))


def allow(session, who, purpose="education"):
    consent.grant_consent(session, who.id, purpose, "email", evidence_source="website form",
                          evidence_text="Tips and recipes by email", actor=ACTOR, at=T0)


def messages(session) -> int:
    return session.scalar(select(func.count()).select_from(Message))


def test_an_email_on_consent_arrives_personalised_with_a_signed_unsubscribe_link(session):
    naledi = contact(session, name="Naledi Dlamini", email="naledi@example.com")
    allow(session, naledi)
    with smtp_server() as (port, inbox):
        sent = send_message(session, Outgoing(naledi.id, "email", "Hi {{ first_name }}, here is this month's recipe.",
                                              subject="Recipe of the month", purpose="education"),
                            actor=ACTOR, mailer=mailer_on(port), secret=SECRET, public_url=URL)

    assert (sent.direction, sent.legal_basis, sent.body) == (
        "outbound", "consent", "Hi Naledi, here is this month's recipe.")
    [mail] = inbox
    assert (mail["To"], mail["From"], mail["Subject"]) == (
        "naledi@example.com", "Kasi Kitchen <hello@kasi.example>", "Recipe of the month")
    body = mail.get_payload(decode=True).decode().replace("\r\n", "\n")
    link = body.rsplit("Stop any time: ", 1)[1].strip()
    assert body.startswith("Hi Naledi, here is this month's recipe.\n\n--\n")
    assert mail["List-Unsubscribe"] == f"<{link}>"
    assert link.startswith(f"{URL}/u/")
    assert read_unsubscribe_token(SECRET, link.removeprefix(f"{URL}/u/")) == (naledi.id, "education", "email")


def test_marketing_without_consent_is_refused_single_and_bulk_and_nothing_is_sent(session):
    naledi = contact(session, email="naledi@example.com")
    sipho = contact(session, name="Sipho", email="sipho@example.com")
    allow(session, naledi, "marketing")
    with smtp_server() as (port, inbox):
        with pytest.raises(ConsentRequired) as single:
            send_message(session, Outgoing(sipho.id, "email", "Our December menu", purpose="marketing"),
                         actor=ACTOR, mailer=mailer_on(port), secret=SECRET, public_url=URL)
        with pytest.raises(ConsentRequired) as bulk:
            send_bulk(session, [Outgoing(c.id, "email", "Our December menu", purpose="marketing") for c in (naledi, sipho)],
                      actor=ACTOR, mailer=mailer_on(port), secret=SECRET, public_url=URL)
        assert inbox == []

    assert single.value.message == f"contact {sipho.id} has not given permission for marketing on email"
    assert bulk.value.message == ("1 of 2 contacts have not given permission for this message; nothing was sent "
                                  f"(contacts {sipho.id})")
    assert messages(session) == 0


def test_a_reply_to_their_comment_is_legitimate_interest_and_takes_it_out_of_the_inbox(session):
    naledi = contact(session, name="Naledi")
    asked = engagement(session, naledi)

    reply = send_message(session, Outgoing(naledi.id, "instagram", "Yes {{ name }}, we deliver to Soweto!",
                                           answering_engagement_id=asked.id), actor=ACTOR)

    assert (reply.legal_basis, reply.body, reply.channel) == ("legitimate_interest", "Yes Naledi, we deliver to Soweto!",
                                                              "instagram")
    assert asked.answered_at == reply.sent_at


def test_a_failed_smtp_send_records_nothing(session):
    naledi = contact(session, email="naledi@example.com")
    allow(session, naledi)
    with smtp_server() as (port, _inbox):
        closed = port
    with pytest.raises(SetupError) as failed:
        with session.begin_nested():
            send_message(session, Outgoing(naledi.id, "email", "Hello", purpose="education"), actor=ACTOR,
                         mailer=mailer_on(closed), secret=SECRET, public_url=URL)
    assert failed.value.message.startswith(f"email to naledi@example.com was not sent: SMTP 127.0.0.1:{closed}: ")
    assert messages(session) == 0


@pytest.mark.parametrize(("template", "reason"), [
    ("Hi {{ surname }}", "the template uses 'surname', which is not known; use name, first_name or city"),
    ("Hi {{ name", "the template has a syntax error on line 1: unexpected end of template, expected 'end of print statement'."),
    ("{{ name.__class__.__mro__ }}",
     "the template does something templates may not: access to attribute '__class__' of 'str' object is unsafe."),
])
def test_templates_render_in_a_sandbox_and_bad_ones_name_the_body(session, template, reason):
    naledi = contact(session, name="Naledi")
    with pytest.raises(Invalid) as bad:
        render_personal(template, naledi)
    assert bad.value.field == "body"
    assert bad.value.reason == reason


def test_a_message_needs_a_purpose_unless_it_answers_something(session):
    naledi = contact(session)
    with pytest.raises(Invalid) as bad:
        send_message(session, Outgoing(naledi.id, "whatsapp", "Hello"), actor=ACTOR)
    assert bad.value.field == "purpose"


def test_replying_to_an_erased_contact_is_refused_and_says_why(session):
    from accord.contacts.privacy import erase_person
    from accord.errors import Conflict

    naledi = contact(session, name="Naledi")
    asked = engagement(session, naledi)
    erase_person(session, naledi.id, actor=ACTOR, reason="asked by email")

    with pytest.raises(Conflict) as refused:
        send_message(session, Outgoing(naledi.id, "instagram", "Hello again", answering_engagement_id=asked.id),
                     actor=ACTOR)
    assert refused.value.message.startswith(f"contact {naledi.id} was erased on ")
    assert refused.value.message.endswith(" at their request")
    assert messages(session) == 0
