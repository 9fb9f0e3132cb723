"""Permissions, messages and a person's data through the running app, with a real SMTP server catching the mail."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from accord.consent.models import Consent
from accord.contacts.models import Contact
from factories import contact, engagement
from mailserver import smtp_server
from stores import settings_for
from web.conftest import LiveApp, csrf_of, served


@pytest.fixture(scope="module")
def mailing(backend, tmp_path_factory) -> Iterator[tuple[LiveApp, list]]:
    """A served app whose outbound mail goes to a local SMTP server; yields the app and the received mail."""
    with smtp_server() as (port, inbox):
        settings = settings_for(backend, tmp_path_factory.mktemp("mail")).model_copy(update={
            "smtp_host": "127.0.0.1", "smtp_port": port, "mail_from": "Test Kitchen <hello@kitchen.example>"})
        with served(settings) as app:
            settings.public_url = app.url
            yield app, inbox


def test_grant_then_email_then_the_person_unsubscribes_without_login(mailing):
    app, inbox = mailing
    with app.store.transaction() as session:
        naledi = contact(session, name="Naledi Dlamini", email="naledi@example.com").id
    with app.login("sales") as sales:
        token = csrf_of(sales.get(f"/contacts/{naledi}"))
        granted = sales.post(f"/contacts/{naledi}/consents", data={
            "csrf_token": token, "purpose": "education", "channel": "email", "evidence_source": "cooking class",
            "evidence_text": "Yes, send me recipes"})
        sent = sales.post(f"/contacts/{naledi}/messages", data={
            "csrf_token": token, "channel": "email", "purpose": "education", "subject": "Your recipe",
            "body": "Hi {{ first_name }}, as promised: chakalaka."})
        page = sales.get(f"/contacts/{naledi}")

    assert (granted.status_code, sent.status_code) == (303, 303)
    assert "<strong>given</strong>" in page.text and "Emailed: Your recipe" in page.text
    [mail] = inbox
    body = mail.get_payload(decode=True).decode()
    assert body.startswith("Hi Naledi, as promised: chakalaka.")
    link = re.search(r"Stop any time: (\S+)", body).group(1)
    assert link.startswith(f"{app.url}/u/")

    with app.client() as anonymous:
        shown = anonymous.get(link)
        forged = anonymous.post(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))
        assert active(app, naledi) == ["education"]
        done = anonymous.post(link)
        again = anonymous.post(link)

    assert shown.status_code == 200 and "Stop education messages by email from Test Kitchen?" in shown.text
    assert forged.status_code == 422 and "this link was altered or not issued by us; nothing was changed" in forged.text
    assert done.status_code == again.status_code == 200
    assert "You will get no more education messages by email from Test Kitchen." in done.text
    assert active(app, naledi) == []


def active(app: LiveApp, contact_id: int) -> list[str]:
    with app.store.transaction() as session:
        return list(session.scalars(select(Consent.purpose).where(Consent.contact_id == contact_id,
                                                                  Consent.withdrawn_at.is_(None))))


def test_sending_without_permission_is_refused_and_a_reply_to_their_comment_is_allowed(mailing):
    app, inbox = mailing
    before = len(inbox)
    with app.store.transaction() as session:
        sipho = contact(session, name="Sipho", email="sipho@example.com")
        asked = engagement(session, sipho, text="Do you cater for 40?").id
        sipho = sipho.id
    with app.login("marketing") as marketing:
        token = csrf_of(marketing.get(f"/contacts/{sipho}"))
        refused = marketing.post(f"/contacts/{sipho}/messages", data={
            "csrf_token": token, "channel": "email", "purpose": "marketing", "body": "Our December menu"})
        reply = marketing.post(f"/contacts/{sipho}/messages", data={
            "csrf_token": token, "channel": "email", "answering_engagement_id": str(asked), "subject": "Catering",
            "body": "Yes {{ first_name }}, we do."})

    assert refused.status_code == 403
    assert f"contact {sipho} has not given permission for marketing on email" in refused.text
    assert reply.status_code == 303
    assert [m.get_payload(decode=True).decode().strip() for m in inbox[before:]] == ["Yes Sipho, we do."]


def test_only_an_owner_exports_and_erases_and_erasure_keeps_the_record_but_not_the_person(mailing):
    app, _ = mailing
    with app.store.transaction() as session:
        zanele = contact(session, name="Zanele", email="zanele@example.com").id
    with app.login("sales") as sales:
        assert sales.get(f"/contacts/{zanele}/export").status_code == 403
    with app.login("owner") as owner:
        exported = owner.get(f"/contacts/{zanele}/export")
        erased = owner.post(f"/contacts/{zanele}/erase", data={"csrf_token": csrf_of(owner.get(f"/contacts/{zanele}")),
                                                               "reason": "asked by phone"})
        page = owner.get(f"/contacts/{zanele}")

    assert exported.status_code == 200
    assert exported.json()["identities"][0]["value"] == "zanele@example.com"
    assert erased.status_code == 303
    assert f"Erased contact {zanele}" in page.text and "zanele@example.com" not in page.text
    with app.store.transaction() as session:
        assert session.get(Contact, zanele).erased_at is not None


def test_the_api_grants_refuses_sends_withdraws_and_lets_only_owners_export(mailing):
    app, inbox = mailing
    before = len(inbox)
    with app.store.transaction() as session:
        musa = contact(session, name="Musa Khumalo", email="musa@example.com").id
        lindiwe = contact(session, name="Lindiwe", email="lindiwe@example.com").id
    sales = {"Authorization": f"Bearer {app.api_token('sales')}"}
    owner = {"Authorization": f"Bearer {app.api_token('owner')}"}
    with app.client() as api:
        refused = api.post(f"/api/v1/contacts/{musa}/messages", headers=sales,
                           json={"channel": "email", "purpose": "trial", "body": "Try our platter"})
        granted = api.post(f"/api/v1/contacts/{musa}/consents", headers=sales, json={
            "purpose": "trial", "channel": "email", "evidence_source": "API form", "evidence_text": "Yes to a trial"})
        bad = api.post(f"/api/v1/contacts/{musa}/consents", headers=sales, json={
            "purpose": "trial", "channel": "telegraph", "evidence_source": "API form", "evidence_text": "Yes"})
        sent = api.post(f"/api/v1/contacts/{musa}/messages", headers=sales,
                        json={"channel": "email", "purpose": "trial", "subject": "Trial", "body": "Hi {{ first_name }}"})
        bulk_refused = api.post("/api/v1/contacts/messages/bulk", headers=sales, json={
            "contact_ids": [musa, lindiwe], "channel": "email", "purpose": "trial", "body": "Trial week!"})
        bulk_sent = api.post("/api/v1/contacts/messages/bulk", headers=sales, json={
            "contact_ids": [musa], "channel": "email", "purpose": "trial", "subject": "Trial", "body": "Trial week!"})
        withdrawn = api.post(f"/api/v1/contacts/{musa}/consents/withdraw", headers=sales, json={"purpose": "trial"})
        listed = api.get(f"/api/v1/contacts/{musa}/consents", headers=sales).json()
        not_owner = api.get(f"/api/v1/contacts/{musa}/export", headers=sales)
        exported = api.get(f"/api/v1/contacts/{musa}/export", headers=owner)

    assert refused.status_code == 403
    assert refused.json()["detail"] == f"contact {musa} has not given permission for trial on email"
    assert granted.status_code == 201 and granted.json()["evidence_text"] == "Yes to a trial"
    assert bad.status_code == 422 and bad.json()["detail"].startswith("channel: 'telegraph' is not one of ")
    assert sent.status_code == 201 and (sent.json()["legal_basis"], sent.json()["body"]) == ("consent", "Hi Musa")
    assert bulk_refused.status_code == 403 and bulk_refused.json()["detail"] == (
        f"1 of 2 contacts have not given permission for this message; nothing was sent (contacts {lindiwe})")
    assert bulk_sent.status_code == 201 and [m["legal_basis"] for m in bulk_sent.json()] == ["consent"]
    assert [m["To"] for m in inbox[before:]] == ["musa@example.com", "musa@example.com"]
    assert [w["id"] for w in withdrawn.json()] == [granted.json()["id"]]
    assert [(c["purpose"], c["withdrawn_at"] is not None) for c in listed] == [("trial", True)]
    assert not_owner.status_code == 403
    assert exported.status_code == 200 and [m["body"] for m in exported.json()["messages"]] == ["Hi Musa", "Trial week!"]
