"""Webhooks over real HTTP: Meta's handshake and signed deliveries, and the generic signed source."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from web.conftest import serve
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.settings import Settings
from stores import settings_for

META_SECRET = "meta-app-secret-4f1c2a9e7b"
VERIFY_TOKEN = "accord-verify-7781"
SHOP_SECRET = "shop-shared-secret-0c5d2f"
SITE = "https://naledi-kitchen.example"


@dataclass
class Hooked:
    """A served app with Meta, one generic source ('shop') and one tracker site configured."""

    url: str
    store: Store

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def rows(self, sql: str, **params: Any) -> list[tuple]:
        with self.store.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]

    def count(self, table: str) -> int:
        return self.rows(f"SELECT count(*) FROM {table}")[0][0]


@pytest.fixture(scope="module")
def hooked(backend, tmp_path_factory) -> Iterator[Hooked]:
    base = settings_for(backend, tmp_path_factory.mktemp("hooks"))
    settings = Settings(workspace=base.workspace, database_url=base.database_url, meta_app_secret=META_SECRET,
                        meta_verify_token=VERIFY_TOKEN, webhook_secrets={"shop": SHOP_SECRET},
                        tracker_origins=[SITE])
    store = Store.open(settings, upgrade=True)
    with store.transaction() as session:
        ensure_workspace(session, name="Naledi's Kitchen")
    server = serve(store)
    url = next(server)
    yield Hooked(url, store)
    server.close()
    store.close()


def meta_post(client: httpx.Client, payload: Any, *, secret: str | None = META_SECRET,
              signature: str | None = None) -> httpx.Response:
    """POST a delivery the way Meta does: raw JSON bytes signed with the app secret."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    elif secret is not None:
        headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post("/hooks/meta", content=body, headers=headers)


def instagram_comment(comment_id: str, username: str, text: str, *, at: int = 1767261600) -> dict:
    """An Instagram 'comments' delivery as Meta sends it (no email: Instagram never shares one)."""
    return {"object": "instagram", "entry": [{"id": "17841400000000001", "time": at, "changes": [{
        "field": "comments",
        "value": {"id": comment_id, "text": text, "from": {"id": "90010" + comment_id[-5:], "username": username},
                  "media": {"id": "17900000000000042", "media_product_type": "FEED"}},
    }]}]}


def signed_post(client: httpx.Client, source: str, payload: Any, *, secret: str = SHOP_SECRET,
                sent_at: int | None = None) -> httpx.Response:
    """POST to a generic source, signed as docs/webhooks-and-tracker.md tells a sender to."""
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time()) if sent_at is None else sent_at)
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return client.post(f"/hooks/{source}", content=body, headers={
        "Content-Type": "application/json", "X-Accord-Timestamp": timestamp, "X-Accord-Signature": f"sha256={digest}",
    })


def problem(answer: httpx.Response) -> dict:
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    return answer.json()


# -- Meta -------------------------------------------------------------------------------------------

def test_meta_handshake_echoes_the_challenge(hooked):
    with hooked.client() as client:
        answer = client.get("/hooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                                   "hub.challenge": "1158201444"})
    assert (answer.status_code, answer.headers["content-type"], answer.text) == (
        200, "text/plain; charset=utf-8", "1158201444")


@pytest.mark.parametrize("params", [
    {"hub.mode": "subscribe", "hub.verify_token": "guessed", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
    {"hub.challenge": "1"},
])
def test_meta_handshake_refuses_a_wrong_token(hooked, params):
    with hooked.client() as client:
        answer = client.get("/hooks/meta", params=params)
    assert answer.status_code == 403
    assert problem(answer)["detail"] == (
        "hub.mode must be 'subscribe' and hub.verify_token must match the verify token")


def test_signed_instagram_comment_becomes_an_engagement_of_a_contact_with_the_handle(hooked):
    payload = instagram_comment("17858893269000001", "Thabo.Eats", "Do you deliver to Soweto?")
    with hooked.client() as client:
        answer = meta_post(client, payload)
    assert (answer.status_code, answer.json()) == (200, {"recorded": 1, "duplicates": 0, "ignored": 0})
    stored = hooked.rows(
        "SELECT e.channel, e.kind, e.text, e.occurred_at, c.display_name, c.lifecycle_stage, i.kind, i.channel, i.value"
        " FROM engagement e JOIN contact c ON c.id = e.contact_id JOIN identity i ON i.contact_id = c.id"
        " WHERE e.source = 'meta' AND e.external_id = '17858893269000001'")
    assert len(stored) == 1
    channel, kind, body, occurred_at, name, stage, *identity = stored[0]
    assert (channel, kind, body, name, stage, identity) == (
        "instagram", "comment", "Do you deliver to Soweto?", "Thabo.Eats", "engager",
        ["handle", "instagram", "thabo.eats"])
    assert str(occurred_at).startswith("2026-01-01 10:00:00")


def test_wrong_signature_is_refused_and_nothing_is_stored(hooked):
    before = (hooked.count("engagement"), hooked.count("contact"))
    payload = instagram_comment("17858893269000002", "forged.account", "free followers")
    with hooked.client() as client:
        wrong_secret = meta_post(client, payload, secret="not-the-app-secret")
        tampered = meta_post(client, payload, signature="sha256=" + "0" * 64)
    assert (wrong_secret.status_code, tampered.status_code) == (403, 403)
    assert problem(wrong_secret)["title"] == "Bad signature"
    assert (hooked.count("engagement"), hooked.count("contact")) == before


def test_missing_signature_is_401_and_nothing_is_stored(hooked):
    before = hooked.count("engagement")
    with hooked.client() as client:
        answer = meta_post(client, instagram_comment("17858893269000003", "nobody", "hi"), secret=None)
    assert answer.status_code == 401
    assert problem(answer)["detail"] == "the X-Hub-Signature-256 header is missing"
    assert hooked.count("engagement") == before


def test_the_same_delivery_twice_is_stored_once(hooked):
    payload = instagram_comment("17858893269000004", "lindi.bakes", "Love this!")
    with hooked.client() as client:
        first, second = meta_post(client, payload), meta_post(client, payload)
    assert (first.json(), second.json()) == (
        {"recorded": 1, "duplicates": 0, "ignored": 0}, {"recorded": 0, "duplicates": 1, "ignored": 0})
    assert hooked.rows("SELECT count(*) FROM engagement WHERE external_id = '17858893269000004'") == [(1,)]


def test_instagram_messages_mentions_and_unknown_fields(hooked):
    business = "17841400000000001"
    payload = {"object": "instagram", "entry": [
        {"id": business, "time": 1767261600123, "messaging": [
            {"sender": {"id": "7755001"}, "recipient": {"id": business}, "timestamp": 1767261599000,
             "message": {"mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx", "text": "Is the braai pack still on?"}},
            {"sender": {"id": business}, "recipient": {"id": "7755001"}, "timestamp": 1767261700000,
             "message": {"mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQy", "text": "Yes!", "is_echo": True}},
            {"sender": {"id": "7755001"}, "recipient": {"id": business}, "timestamp": 1767261800000,
             "read": {"mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQy"}},
        ]},
        {"id": business, "time": 1767261600, "changes": [
            {"field": "mentions", "value": {"media_id": "17900000000000077", "comment_id": "17858893269000099"}},
            {"field": "mentions", "value": {"comment_id": "17858893269000098", "text": "@naledis_kitchen yum",
                                            "from": {"id": "5150", "username": "sipho.cooks"}}},
            {"field": "comments", "value": {"id": "17858893269000097", "text": "Thanks all!",
                                            "from": {"id": business, "username": "naledis_kitchen"}}},
            {"field": "story_insights", "value": {"media_id": "1", "reach": 40}},
        ]},
    ]}
    with hooked.client() as client:
        answer = meta_post(client, payload)
    assert answer.json() == {"recorded": 2, "duplicates": 0, "ignored": 5}
    assert hooked.rows(
        "SELECT e.external_id, e.channel, e.kind, e.text, i.value FROM engagement e"
        " JOIN identity i ON i.contact_id = e.contact_id AND i.kind = 'handle'"
        " WHERE e.source = 'meta' AND e.external_id IN ('aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx',"
        " 'mention:17858893269000098') ORDER BY e.kind") == [
        ("mention:17858893269000098", "instagram", "mention", "@naledis_kitchen yum", "sipho.cooks"),
        ("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx", "instagram", "message", "Is the braai pack still on?",
         "7755001"),
    ]


def test_facebook_page_comments_reactions_and_shares(hooked):
    page = "106000000000001"
    person = {"id": "2433000000000007", "name": "Zanele Mokoena"}

    def feed(**value) -> dict:
        return {"field": "feed", "value": {"from": person, "post_id": f"{page}_900001", "verb": "add",
                                           "created_time": 1767268800, **value}}

    payload = {"object": "page", "entry": [{"id": page, "time": 1767268801, "changes": [
        feed(item="comment", comment_id="900001_5001", message="What are your prices for 30 people?"),
        feed(item="reaction", reaction_type="love"),
        feed(item="share", share_id="2433000000000007_77", link=f"https://www.facebook.com/{page}/posts/900001"),
        feed(item="comment", comment_id="900001_5002", message="edited", verb="edited"),
        feed(item="reaction", reaction_type="like", verb="remove"),
        feed(item="comment", comment_id="900001_5003", message="Thank you!", **{"from": {"id": page, "name": "Us"}}),
        feed(item="status", message="A new post by the page"),
    ]}]}
    with hooked.client() as client:
        answer = meta_post(client, payload)
    assert answer.json() == {"recorded": 3, "duplicates": 0, "ignored": 4}
    stored = hooked.rows(
        "SELECT e.external_id, e.channel, e.kind, e.text, e.url, c.display_name, i.value FROM engagement e"
        " JOIN contact c ON c.id = e.contact_id JOIN identity i ON i.contact_id = c.id"
        " WHERE e.source = 'meta' AND e.channel = 'facebook' ORDER BY e.kind")
    assert stored == [
        ("900001_5001", "facebook", "comment", "What are your prices for 30 people?", None, "Zanele Mokoena",
         "2433000000000007"),
        (f"reaction:{page}_900001:2433000000000007", "facebook", "like", None, None, "Zanele Mokoena",
         "2433000000000007"),
        ("2433000000000007_77", "facebook", "share", None, "https://www.facebook.com/106000000000001/posts/900001",
         "Zanele Mokoena", "2433000000000007"),
    ]


def test_junk_inside_a_signed_meta_delivery_is_ignored_not_an_error(hooked):
    payload = {"object": "instagram", "entry": [
        5,
        {"id": "1", "time": "soon", "changes": 5, "messaging": [None, {"message": "hi"}]},
        {"id": "1", "time": -1, "changes": [
            {"field": "comments", "value": {"id": "9" * 201, "from": {"username": "long.id"}}},
            {"field": "comments", "value": {"id": "17858893269000500", "from": {"username": "@"}}},
            {"field": "comments", "value": {"id": "17858893269000501", "from": {"username": "odd.shapes"}, "text": 5,
                                            "timestamp": "0001-01-01T00:00:00+14:00"}},
        ]},
    ]}
    with hooked.client() as client:
        answer = meta_post(client, payload)
        other_object = meta_post(client, {"object": ["page"], "entry": [{"changes": [{"field": "feed"}]}]})
    assert (answer.status_code, answer.json()) == (200, {"recorded": 1, "duplicates": 0, "ignored": 5})
    assert other_object.json() == {"recorded": 0, "duplicates": 0, "ignored": 1}
    assert hooked.rows("SELECT text FROM engagement WHERE external_id = '17858893269000501'") == [("5",)]


@pytest.mark.parametrize(("body", "status", "detail"), [
    (b'{"object": "instagram", "entry": [', 400, "the body is not JSON: Expecting value at line 1 column 35"),
    (b'[1, 2]', 400, "a Meta delivery is a JSON object with an 'entry' list"),
    (b'{"object": "caf\xe9"}', 400, "the body is not UTF-8 text"),
    (b'{"entry": ' + b"1" * 5000 + b"}", 400, "the body is JSON that Accord does not read: ValueError"),
    (b"[" * 5000 + b"]" * 5000, 400, "the body is JSON that Accord does not read: RecursionError"),
])
def test_malformed_meta_delivery_is_a_400_problem(hooked, body, status, detail):
    before = hooked.count("engagement")
    with hooked.client() as client:
        answer = meta_post(client, body)
    assert (answer.status_code, problem(answer)["detail"]) == (status, detail)
    assert hooked.count("engagement") == before


# -- Any other signed source ------------------------------------------------------------------------

def shop_engagement(external_id: str, **fields: Any) -> dict:
    return {"external_id": external_id, "channel": "website", "kind": "query",
            "occurred_at": "2026-02-03T09:15:00+02:00", "email": "buyer@example.com", "name": "Pat Buyer",
            "text": "Do you cater for vegans?", **fields}


def test_generic_source_records_a_signed_object_and_array(hooked):
    with hooked.client() as client:
        single = signed_post(client, "shop", shop_engagement("ord-1"))
        many = signed_post(client, "shop", [
            shop_engagement("ord-2", kind="review", text="Lovely food", url="https://shop.example/reviews/2"),
            shop_engagement("ord-3", channel="whatsapp", email=None, handle="082 555 0101", name="Ayo"),
        ])
    assert (single.status_code, single.json()) == (200, {"received": 1, "recorded": 1, "duplicates": 0})
    assert (many.status_code, many.json()) == (200, {"received": 2, "recorded": 2, "duplicates": 0})
    assert hooked.rows(
        "SELECT e.external_id, e.channel, e.kind, e.url, i.kind, i.value FROM engagement e"
        " JOIN identity i ON i.contact_id = e.contact_id WHERE e.source = 'shop' ORDER BY e.external_id") == [
        ("ord-1", "website", "query", None, "email", "buyer@example.com"),
        ("ord-2", "website", "review", "https://shop.example/reviews/2", "email", "buyer@example.com"),
        ("ord-3", "whatsapp", "query", None, "phone", "+27825550101"),
    ]


def test_generic_source_refusals_store_nothing(hooked):
    before = hooked.count("engagement")
    with hooked.client() as client:
        stale = signed_post(client, "shop", shop_engagement("late-1"), sent_at=int(time.time()) - 400)
        future = signed_post(client, "shop", shop_engagement("late-2"), sent_at=int(time.time()) + 400)
        forged = signed_post(client, "shop", shop_engagement("forged-1"), secret="an-attacker-guessed-this")
        unknown = signed_post(client, "stranger", shop_engagement("who-1"))
        unsigned = client.post("/hooks/shop", json=shop_engagement("unsigned-1"))
    assert [(a.status_code, problem(a)["title"]) for a in (stale, future, forged, unknown, unsigned)] == [
        (401, "Stale timestamp"), (401, "Stale timestamp"), (403, "Bad signature"), (404, "Not found"),
        (401, "Signature required")]
    assert problem(stale)["detail"].startswith("stale timestamp:")
    assert problem(unknown)["detail"] == "no webhook source 'stranger' is configured (ACCORD_WEBHOOK_SECRETS)"
    assert hooked.count("engagement") == before


def test_generic_source_names_every_invalid_field_and_keeps_nothing(hooked):
    before = hooked.count("engagement")
    with hooked.client() as client:
        answer = signed_post(client, "shop", [
            shop_engagement("batch-1"),
            shop_engagement("batch-2", occurred_at="2026-02-03 09:15"),
            shop_engagement("batch-3", kind="purchase", email="not-an-email"),
            "just text",
        ])
    body = problem(answer)
    assert (answer.status_code, body["field"]) == (422, "[1].occurred_at")
    assert body["detail"].startswith("[1].occurred_at: must be an ISO 8601 date-time with a UTC offset")
    assert [e["field"] for e in body["errors"]] == ["[1].occurred_at", "[2].kind", "[2].email", "[3]"]
    assert hooked.count("engagement") == before


def test_generic_single_object_errors_name_the_field(hooked):
    with hooked.client() as client:
        answer = signed_post(client, "shop", shop_engagement("solo-1", email=None, extra="x"))
    body = problem(answer)
    assert [e["field"] for e in body["errors"]] == ["extra"]
    with hooked.client() as client:
        nobody = signed_post(client, "shop", shop_engagement("solo-2", email=None))
    assert problem(nobody)["field"] == "email"
    assert problem(nobody)["detail"] == "email: an engagement needs the person's email, phone or handle"


def test_oversized_delivery_is_refused_before_reading_it(hooked):
    with hooked.client() as client:
        answer = client.post("/hooks/shop", content=b"[" + b" " * (2 * 1024 * 1024) + b"]")
    assert (answer.status_code, problem(answer)["title"]) == (413, "Payload too large")
