"""The inbox over real HTTP: listing, counts, one-click actions with undo, and the same through the API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from accord.contacts.identity import handle_key
from accord.engagement.service import EngagementRecord, record_engagements
from accord.kernel.audit import Actor

T = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def waiting(live):
    """Three people waiting: two on Instagram, one on Facebook; plus one spam comment."""
    with live.store.transaction() as session:
        outcome = record_engagements(session, [
            EngagementRecord("web", "w1", "instagram", "comment", T, (handle_key("instagram", "naledi"),), "Naledi",
                             "Is the Friday platter still available?"),
            EngagementRecord("web", "w2", "facebook", "message", T + timedelta(minutes=1),
                             (handle_key("facebook", "sipho.n"),), "Sipho", "Hi, do you cater weddings?"),
            EngagementRecord("web", "w3", "instagram", "share", T + timedelta(minutes=2),
                             (handle_key("instagram", "thandi"),), "Thandi", None),
            EngagementRecord("web", "w4", "instagram", "comment", T + timedelta(minutes=3),
                             (handle_key("instagram", "promo"),), "Promo", "subscribe to my channel http://bit.ly/x"),
        ], actor=Actor("test"))
    return dict(zip(["w1", "w2", "w3", "w4"], outcome.engagement_ids, strict=True))


def _csrf(client) -> str:
    return re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/inbox").text).group(1)


def test_the_inbox_lists_the_longest_waiting_first_with_counts(live, waiting):
    with live.login("viewer") as client:
        page = client.get("/inbox").text
    assert "3 waiting for a personal reply" in page
    assert re.search(r'data-channel="instagram"[^>]*>instagram <span>2</span>', page)
    assert re.search(r'data-channel="facebook"[^>]*>facebook <span>1</span>', page)
    rows = re.findall(r'<tr id="engagement-(\d+)">', page)
    assert rows == [str(waiting["w1"]), str(waiting["w2"]), str(waiting["w3"])]
    assert "subscribe to my channel" not in page
    assert "hx-post" not in page  # a viewer sees no action buttons
    # No persona exists yet: no empty Fit column, but a way to make one.
    assert "<th>Fit</th>" not in page and 'class="fit"' not in page
    assert re.search(r'<p class="muted" id="no-personas">No personas yet, so no one shows a fit\. '
                     r'<a href="/personas">Declare or discover your customer personas</a>', page)


def test_channel_and_kind_filters(live, waiting):
    with live.login("sales") as client:
        only_fb = client.get("/inbox?channel=facebook").text
        shares = client.get("/inbox?kind=share", headers={"HX-Request": "true"}).text
    assert re.findall(r'<tr id="engagement-(\d+)">', only_fb) == [str(waiting["w2"])]
    assert re.findall(r'<tr id="engagement-(\d+)">', shares) == [str(waiting["w3"])]
    assert "<html" not in shares


def test_viewers_cannot_act(live, waiting):
    with live.login("viewer") as client:
        answer = client.post(f"/inbox/{waiting['w1']}/contacted", headers={"X-CSRF-Token": _csrf(client)})
    assert answer.status_code == 403
    assert "your role (viewer) cannot do this; ask an owner" in answer.text


def test_spam_dismissal_has_an_undo_then_contacted_leaves_the_inbox(live, waiting):
    target = waiting["w3"]
    with live.login("sales") as client:
        headers = {"X-CSRF-Token": _csrf(client), "HX-Request": "true"}
        dismissed = client.post(f"/inbox/{target}/spam", headers=headers)
        assert dismissed.status_code == 200
        assert "Dismissed as spam." in dismissed.text
        assert f'hx-post="/inbox/{target}/not-spam"' in dismissed.text
        assert str(target) not in re.findall(r'<tr id="engagement-(\d+)">', client.get("/inbox").text)
        restored = client.post(f"/inbox/{target}/not-spam", headers=headers)
        assert "Restored to the inbox." in restored.text
        assert str(target) in re.findall(r'<tr id="engagement-(\d+)">', client.get("/inbox").text)
        done = client.post(f"/inbox/{target}/contacted", headers=headers)
        assert "Marked as contacted (share on instagram)." in done.text
        assert str(target) not in re.findall(r'<tr id="engagement-(\d+)">', client.get("/inbox").text)


def test_reply_opens_a_conversation_on_the_same_channel(live, waiting):
    with live.login("sales") as client:
        answer = client.post(f"/inbox/{waiting['w2']}/conversation",
                             headers={"X-CSRF-Token": _csrf(client), "HX-Request": "true"})
    assert answer.status_code == 204
    assert re.fullmatch(r"/contacts/\d+#conversation-\d+", answer.headers["hx-redirect"])


def test_the_api_does_the_same(live, waiting):
    token = live.api_token("sales")
    headers = {"Authorization": f"Bearer {token}"}
    with live.client() as api:
        inbox = api.get("/api/v1/inbox?channel=instagram", headers=headers).json()
        assert [i["engagement_id"] for i in inbox["items"]] == [waiting["w1"]]
        created = api.post("/api/v1/engagements", headers=headers, json={
            "source": "api", "external_id": "x-1", "channel": "x", "kind": "mention",
            "occurred_at": "2026-06-02T09:15:00+02:00", "handle": "@Bongi_Eats", "name": "Bongi",
            "text": "@kasikitchen best bunny chow in town"})
        assert created.status_code == 201
        body = created.json()
        assert (body["channel"], body["kind"], body["occurred_at"]) == ("x", "mention", "2026-06-02T07:15:00Z")
        repeat = api.post("/api/v1/engagements", headers=headers, json={
            "source": "api", "external_id": "x-1", "channel": "x", "kind": "mention",
            "occurred_at": "2026-06-02T09:15:00+02:00", "handle": "@Bongi_Eats"})
        assert (repeat.status_code, repeat.json()["id"]) == (200, body["id"])
        nobody = api.post("/api/v1/engagements", headers=headers, json={
            "source": "api", "external_id": "x-2", "channel": "x", "kind": "mention",
            "occurred_at": "2026-06-02T09:15:00+02:00"})
        assert nobody.status_code == 422
        assert nobody.json()["detail"] == "request: give an email, phone or handle so the person can be known"
        naive = api.post("/api/v1/engagements", headers=headers, json={
            "source": "api", "external_id": "x-3", "channel": "x", "kind": "mention",
            "occurred_at": "2026-06-02T09:15:00", "handle": "someone"})
        assert naive.status_code == 422
        assert naive.json()["field"] == "occurred_at"
        spam = api.put(f"/api/v1/inbox/{body['id']}/spam", headers=headers).json()
        assert spam["is_spam"] is True
        assert api.delete(f"/api/v1/inbox/{body['id']}/spam", headers=headers).json()["is_spam"] is False
        done = api.post(f"/api/v1/inbox/{body['id']}/contacted", headers=headers)
        assert done.status_code == 200 and done.json()["answered_at"] is not None
        again = api.post(f"/api/v1/inbox/{body['id']}/contacted", headers=headers)
        assert again.status_code == 409
