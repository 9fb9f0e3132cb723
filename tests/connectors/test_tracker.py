"""The website tracker over real HTTP: the snippet, visits grouped into channels, forms that join a journey."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from accord.connectors.tracker import GROUPING_RULES, UNASSIGNED
from test_webhooks import SITE, hooked, instagram_comment, meta_post, problem  # noqa: F401 - hooked is a fixture

PAGE = f"{SITE}/catering"


def new_id() -> str:
    return uuid.uuid4().hex


def collect(client: httpx.Client, event: dict[str, Any], *, origin: str | None = SITE) -> httpx.Response:
    """Send one event the way the snippet's sendBeacon does: a JSON string as text/plain, from the site."""
    headers = {"Content-Type": "text/plain;charset=UTF-8"} | ({"Origin": origin} if origin else {})
    return client.post("/t/collect", content=httpx.Request("POST", "/", json=event).content, headers=headers)


def visit(visitor: str, *, url: str = PAGE, **fields: Any) -> dict[str, Any]:
    return {"type": "visit", "event_id": new_id(), "visitor_id": visitor, "url": url, **fields}


def form(visitor: str, **fields: Any) -> dict[str, Any]:
    return {"type": "form_submit", "event_id": new_id(), "visitor_id": visitor, "url": f"{SITE}/contact",
            "form": "quote", "fields": fields}


def test_snippet_is_served_as_small_dependency_free_javascript(hooked):
    with hooked.client() as client:
        answer = client.get("/t/accord.js")
    assert (answer.status_code, answer.headers["content-type"]) == (200, "application/javascript; charset=utf-8")
    assert len(answer.content) < 3 * 1024
    for part in ('"/t/collect"', "accord_vid=", "Max-Age=31536000", "sendBeacon", "utm_", '"submit"',
                 "[type=email]", "[name=instagram],[name=handle]"):
        assert part in answer.text
    assert "import " not in answer.text and "require(" not in answer.text


# Each grouping rule, as a visit with its UTM tags or referrer, and the group and channel it must get.
GROUPING_CASES = [
    ("direct", {}, "direct", "website"),
    ("same-site referrer", {"referrer": f"{SITE}/menu"}, "direct", "website"),
    ("google ads", {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "catering-search"},
     "paid search", "website"),
    ("bing ppc", {"utm_source": "bing", "utm_medium": "ppc"}, "paid search", "website"),
    ("paidsearch", {"utm_source": "google", "utm_medium": "paidsearch"}, "paid search", "website"),
    ("instagram ads", {"utm_source": "instagram", "utm_medium": "paid_social", "utm_content": "reel-a"},
     "paid social", "instagram"),
    ("facebook cpc", {"utm_source": "fb", "utm_medium": "cpc"}, "paid social", "facebook"),
    ("linkedin paid", {"utm_source": "linkedin", "utm_medium": "paid"}, "paid social", "linkedin"),
    ("x cpc", {"utm_source": "t.co", "utm_medium": "cpc"}, "paid social", "x"),
    ("tiktok paid", {"utm_source": "tiktok", "utm_medium": "paid"}, "paid social", "tiktok"),
    ("takealot paid", {"utm_source": "takealot", "utm_medium": "cpc"}, "paid shopping", "marketplace"),
    ("display banner", {"utm_source": "gdn", "utm_medium": "banner"}, "display", "other"),
    ("other paid", {"utm_source": "podcast", "utm_medium": "paid"}, "paid other", "other"),
    ("newsletter", {"utm_source": "newsletter", "utm_medium": "email"}, "email", "email"),
    ("sms", {"utm_source": "sms", "utm_medium": "text"}, "sms", "phone"),
    ("whatsapp broadcast", {"utm_source": "whatsapp", "utm_medium": "broadcast"}, "messaging", "whatsapp"),
    ("affiliate", {"utm_source": "foodblog", "utm_medium": "affiliate"}, "affiliate", "referral"),
    ("amazon referrer", {"referrer": "https://www.amazon.com/s?k=platters"}, "organic shopping", "marketplace"),
    ("instagram bio link", {"referrer": "https://l.instagram.com/"}, "organic social", "instagram"),
    ("youtube video", {"utm_source": "youtube", "utm_medium": "video"}, "organic social", "youtube"),
    ("x post", {"referrer": "https://t.co/AbC123"}, "organic social", "x"),
    ("social medium", {"utm_source": "mastodon", "utm_medium": "social"}, "organic social", "other"),
    ("google search", {"referrer": "https://www.google.co.za/"}, "organic search", "website"),
    ("duckduckgo", {"referrer": "https://duckduckgo.com/"}, "organic search", "website"),
    ("organic medium", {"utm_source": "newsportal", "utm_medium": "organic"}, "organic search", "website"),
    ("other site", {"referrer": "https://www.eatout.co.za/best-caterers"}, "referral", "referral"),
    ("unknown tags", {"utm_source": "flyer", "utm_medium": "print"}, "unassigned", "other"),
]


def test_the_documented_grouping_table_is_the_one_in_use():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "webhooks-and-tracker.md").read_text()
    documented = re.findall(r"^\| (?:\d+|–) \| ([a-z ]+) \| (.+?) \| .+? \|$", docs, re.M)
    assert documented == [(rule.group, rule.when) for rule in (*GROUPING_RULES, UNASSIGNED)]
    assert {case[2] for case in GROUPING_CASES} == {rule.group for rule in (*GROUPING_RULES, UNASSIGNED)}


@pytest.mark.parametrize(("case", "fields", "group", "channel"), GROUPING_CASES, ids=[c[0] for c in GROUPING_CASES])
def test_anonymous_visit_gets_the_channel_of_its_grouping_rule(hooked, case, fields, group, channel):
    event = visit(new_id(), **fields)
    with hooked.client() as client:
        answer = collect(client, event)
    assert (answer.status_code, answer.json()) == (200, {"recorded": True, "group": group, "channel": channel})
    assert answer.headers["access-control-allow-origin"] == SITE
    utm = [fields.get(f"utm_{k}") for k in ("source", "medium", "campaign", "content", "term")]
    assert hooked.rows(
        "SELECT source, kind, channel, contact_id, visitor_id, referrer, utm_source, utm_medium, utm_campaign,"
        " utm_content, utm_term FROM touch WHERE external_id = :e", e=event["event_id"]) == [
        ("tracker", "visit", channel, None, event["visitor_id"], fields.get("referrer"), *utm)]


def test_utm_tags_are_read_from_the_address_when_not_sent(hooked):
    event = visit(new_id(), url=f"{PAGE}?utm_source=facebook&utm_medium=paid_social&utm_campaign=festive-platters")
    with hooked.client() as client:
        answer = collect(client, event)
    assert answer.json() == {"recorded": True, "group": "paid social", "channel": "facebook"}
    assert hooked.rows("SELECT utm_source, utm_medium, utm_campaign FROM touch WHERE external_id = :e",
                       e=event["event_id"]) == [("facebook", "paid_social", "festive-platters")]


def test_form_submit_makes_one_contact_whose_journey_has_the_earlier_visits(hooked):
    visitor = new_id()
    first = visit(visitor, utm_source="google", utm_medium="cpc")
    second = visit(visitor, referrer="https://www.google.com/")
    with hooked.client() as client:
        assert collect(client, first).status_code == 200
        assert collect(client, second).status_code == 200
        anonymous = hooked.rows("SELECT count(*) FROM touch WHERE visitor_id = :v AND contact_id IS NULL", v=visitor)
        assert anonymous == [(2,)]
        submitted = collect(client, form(visitor, email=f"Kea.{visitor}@Example.com", name="Kea Molefe",
                                         phone="082 444 1234", message="A quote for 40 people, please"))
        later = collect(client, visit(visitor))
    assert (submitted.status_code, submitted.json(), later.json()["recorded"]) == (200, {"recorded": True}, True)
    contacts = hooked.rows("SELECT DISTINCT c.id, c.display_name, c.lifecycle_stage FROM contact c JOIN identity i"
                           " ON i.contact_id = c.id WHERE i.value = :e", e=f"kea.{visitor}@example.com")
    assert [row[1:] for row in contacts] == [("Kea Molefe", "engager")]
    contact_id = contacts[0][0]
    assert hooked.rows("SELECT kind, value FROM identity WHERE contact_id = :c ORDER BY kind", c=contact_id) == [
        ("email", f"kea.{visitor}@example.com"), ("phone", "+27824441234")]
    assert hooked.rows("SELECT channel, kind, text, url FROM engagement WHERE contact_id = :c", c=contact_id) == [
        ("website", "form_submit", "A quote for 40 people, please", f"{SITE}/contact")]
    assert hooked.rows("SELECT count(*) FROM touch WHERE visitor_id = :v AND contact_id = :c",
                       v=visitor, c=contact_id) == [(3,)]


def _person(hooked, handle: str) -> list[tuple]:
    """Every live contact with this instagram handle: its id, identities, engagements, visits and audit rows."""
    return hooked.rows("SELECT c.id FROM contact c JOIN identity i ON i.contact_id = c.id"
                       " WHERE i.kind = 'handle' AND i.channel = 'instagram' AND i.value = :h"
                       " AND c.merged_into_id IS NULL", h=handle)


def _journey(hooked, contact_id: int) -> dict[str, list[tuple]]:
    return {
        "identities": hooked.rows("SELECT kind, channel, value FROM identity WHERE contact_id = :c ORDER BY kind",
                                  c=contact_id),
        "engagements": hooked.rows("SELECT source, channel, kind FROM engagement WHERE contact_id = :c"
                                   " ORDER BY occurred_at, id", c=contact_id),
        "visits": hooked.rows("SELECT channel FROM touch WHERE contact_id = :c ORDER BY id", c=contact_id),
        "timeline": hooked.rows("SELECT action FROM audit_event WHERE contact_id = :c AND action = 'created'",
                                c=contact_id),
    }


def test_instagram_commenter_who_later_fills_in_the_form_is_one_contact(hooked):
    handle, email, visitor = f"naledi.cooks.{new_id()[:6]}", f"naledi.{new_id()[:6]}@example.com", new_id()
    with hooked.client() as client:
        comment = meta_post(client, instagram_comment(str(17858893260000000 + uuid.uuid4().int % 10**9), handle,
                                                      "Those samoosas look amazing! Do you cater?"))
        assert comment.json() == {"recorded": 1, "duplicates": 0, "ignored": 0}
        assert collect(client, visit(visitor, referrer="https://l.instagram.com/")).status_code == 200
        answer = collect(client, form(visitor, email=email, name="Naledi Khumalo", instagram=f"@{handle.upper()}"))
    assert answer.json() == {"recorded": True}
    people = _person(hooked, handle)
    assert len(people) == 1
    assert _journey(hooked, people[0][0]) == {
        "identities": [("email", "email", email), ("handle", "instagram", handle)],
        "engagements": [("meta", "instagram", "comment"), ("tracker", "website", "form_submit")],
        "visits": [("instagram",)],
        "timeline": [("created",)],
    }
    assert hooked.rows("SELECT count(*) FROM contact_merge") == [(0,)]


def test_form_first_and_instagram_comment_later_is_one_contact(hooked):
    handle, email, visitor = f"naledi.cooks.{new_id()[:6]}", f"naledi.{new_id()[:6]}@example.com", new_id()
    with hooked.client() as client:
        assert collect(client, visit(visitor)).status_code == 200
        assert collect(client, form(visitor, email=email, handle=handle)).json() == {"recorded": True}
        comment = meta_post(client, instagram_comment(str(17858893270000000 + uuid.uuid4().int % 10**9), handle,
                                                      "Booked you for Saturday!", at=int(time.time()) + 60))
    assert comment.json()["recorded"] == 1
    people = _person(hooked, handle)
    assert len(people) == 1
    assert _journey(hooked, people[0][0]) == {
        "identities": [("email", "email", email), ("handle", "instagram", handle)],
        "engagements": [("tracker", "website", "form_submit"), ("meta", "instagram", "comment")],
        "visits": [("website",)],
        "timeline": [("created",)],
    }


def test_the_same_event_twice_is_recorded_once(hooked):
    event = visit(new_id(), utm_source="newsletter", utm_medium="email")
    with hooked.client() as client:
        first, again = collect(client, event), collect(client, event)
    assert (first.json()["recorded"], again.json()["recorded"]) == (True, False)
    assert hooked.rows("SELECT count(*) FROM touch WHERE external_id = :e", e=event["event_id"]) == [(1,)]


GOOD = {"type": "visit", "event_id": "evt-0123456789", "visitor_id": "vis-0123456789", "url": PAGE}
JUNK = [
    ("not json", b"<html>", 400, None),
    ("array", b"[]", 422, "body"),
    ("string", b'"visit"', 422, "body"),
    ("deeply nested", b"[" * 5000 + b"]" * 5000, 400, None),
    ("unknown type", {**GOOD, "type": "purchase"}, 422, "type"),
    ("missing event id", {k: v for k, v in GOOD.items() if k != "event_id"}, 422, "event_id"),
    ("short visitor id", {**GOOD, "visitor_id": "abc"}, 422, "visitor_id"),
    ("script in id", {**GOOD, "event_id": "<script>alert(1)</script>"}, 422, "event_id"),
    ("url not http", {**GOOD, "url": "javascript:alert(1)"}, 422, "url"),
    ("url a number", {**GOOD, "url": 42}, 422, "url"),
    ("huge utm", {**GOOD, "utm_source": "x" * 201}, 422, "utm_source"),
    ("unknown field", {**GOOD, "cookie": "steal"}, 422, "cookie"),
    ("form without fields", {**GOOD, "type": "form_submit"}, 422, "fields"),
    ("form without identity", {**GOOD, "type": "form_submit", "fields": {"name": "Anon"}}, 422, "fields.email"),
    ("form with a bad email", {**GOOD, "type": "form_submit", "fields": {"email": "nope@"}}, 422, "fields.email"),
    ("form with a bad phone", {**GOOD, "type": "form_submit", "fields": {"phone": "12"}}, 422, "fields.phone"),
    ("form fields a list", {**GOOD, "type": "form_submit", "fields": ["a@b.co"]}, 422, "fields"),
]


@pytest.mark.parametrize(("case", "body", "status", "field"), JUNK, ids=[j[0] for j in JUNK])
def test_junk_is_refused_with_a_clear_problem_and_nothing_stored(hooked, case, body, status, field):
    before = (hooked.count("touch"), hooked.count("engagement"), hooked.count("contact"))
    with hooked.client() as client:
        if isinstance(body, bytes):
            answer = client.post("/t/collect", content=body, headers={"Content-Type": "text/plain", "Origin": SITE})
        else:
            answer = collect(client, body)
    assert answer.status_code == status
    assert problem(answer).get("field") == field
    assert answer.headers["access-control-allow-origin"] == SITE
    assert (hooked.count("touch"), hooked.count("engagement"), hooked.count("contact")) == before


def test_oversized_event_is_refused(hooked):
    with hooked.client() as client:
        answer = collect(client, {**GOOD, "referrer": "https://x.example/" + "a" * 20_000})
    assert (answer.status_code, problem(answer)["title"]) == (413, "Payload too large")


def test_cors_preflight_and_origins(hooked):
    with hooked.client() as client:
        preflight = client.options("/t/collect", headers={
            "Origin": SITE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
        stranger_preflight = client.options("/t/collect", headers={
            "Origin": "https://copycat.example", "Access-Control-Request-Method": "POST"})
        stranger = collect(client, visit(new_id()), origin="https://copycat.example")
        same_site = collect(client, visit(new_id()), origin=hooked.url)
        no_browser = collect(client, visit(new_id()), origin=None)
    assert preflight.status_code == 204
    assert {k: preflight.headers[k] for k in ("access-control-allow-origin", "access-control-allow-methods",
                                               "access-control-allow-headers", "vary")} == {
        "access-control-allow-origin": SITE, "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": "Content-Type", "vary": "Origin"}
    assert (stranger_preflight.status_code, stranger.status_code) == (403, 403)
    assert "access-control-allow-origin" not in stranger.headers
    assert problem(stranger)["detail"] == (
        "the site https://copycat.example may not send tracker events here; add it to ACCORD_TRACKER_ORIGINS")
    assert (same_site.status_code, no_browser.status_code) == (200, 200)
    assert "access-control-allow-origin" not in same_site.headers
