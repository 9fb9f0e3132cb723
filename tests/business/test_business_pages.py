"""The business pages over real HTTP, on SQLite and PostgreSQL: the review, its forms, history, diff, competitors."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from business_support import FIRST, SECOND

JOHANNESBURG = ZoneInfo("Africa/Johannesburg")
KINDS = ("need", "opportunity", "improvement", "strength", "exception")
TAGS = re.compile(r"<[^>]+>")


def csrf(client) -> str:
    from web.conftest import csrf_of

    return csrf_of(client.get("/business"))


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(TAGS.sub("", fragment)).split())


def entries_shown(page: str) -> dict[str, list[str]]:
    """Each kind's entries as the review shows them."""
    return {kind: [text_of(item) for item in re.findall(r"<li>(.*?)</li>", body, re.S)]
            for kind, body in re.findall(r'<article id="kind-(\w+)">(.*?)</article>', page, re.S)}


def textarea(page: str, name: str) -> str:
    return html.unescape(re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S).group(1))


def alert(page: str) -> str:
    return text_of(re.search(r'<p class="notice error" role="alert" id="business-error">(.*?)</p>', page, re.S)[1])


def form_of(data, **extra) -> dict[str, str]:
    """The version form filled in from a VersionIn: one entry a line."""
    return {"vision": data.vision, "note": data.note, **{kind: "\n".join(data.entries.get(kind, [])) for kind in KINDS},
            **extra}


def diff_shown(page: str) -> dict[str, list[tuple[str, str]]]:
    """Per section of the diff page: (class, text) of each line, and the kept entries."""
    shown = {}
    for name, body in re.findall(r'<section (?:class="vision-diff" )?id="diff-(\w+)">(.*?)</section>', page, re.S):
        lines = re.findall(r'<(?:li|p) class="([\w ]+)">(.*?)</(?:li|p)>', body, re.S)
        shown[name] = [(kind, text_of(body)) for kind, body in lines]
    return shown


def today() -> str:
    return datetime.now(JOHANNESBURG).date().isoformat()


def test_a_viewer_reads_an_empty_review_and_gets_no_forms(live):
    start = datetime.now(JOHANNESBURG).date()
    with live.login("viewer") as client:
        page = client.get("/business")

    assert page.status_code == 200
    assert '<a href="/business" aria-current="page">Business</a>' in page.text
    assert "No business review saved yet." in page.text
    assert 'method="post"' not in page.text.replace('action="/logout"', "").split("</header>", 1)[1]
    last_year = (start + timedelta(days=1)).replace(year=start.year - 1)
    assert f'hx-get="/business/energy?from_on={last_year}&amp;to_on={start + timedelta(days=1)}"' in page.text


def test_versions_are_written_in_the_form_and_refused_with_what_was_typed_kept(live):
    with live.login("owner") as owner, live.login("marketing") as marketing, live.login("sales") as sales:
        blank = owner.get("/business")
        typed = form_of(FIRST, need="Orders on WhatsApp\n\n  Delivery before 12:00\r\nHalaal options\n")
        first = owner.post("/business/versions", data={**typed, "based_on": "", "csrf_token": csrf(owner)})
        shown = owner.get(first.headers["location"])
        too_long = owner.post("/business/versions", data={**form_of(SECOND), "based_on": "1",
                                                          "need": "Vegetarian menu\n" + "x" * 301,
                                                          "csrf_token": csrf(owner)})
        by_sales = sales.post("/business/versions", data={**form_of(SECOND), "csrf_token": csrf(sales)})
        same = owner.post("/business/versions", data={**form_of(FIRST), "based_on": "1", "csrf_token": csrf(owner)})
        second = marketing.post("/business/versions", data={**form_of(SECOND), "based_on": "1",
                                                            "csrf_token": csrf(marketing)})
        stale = owner.post("/business/versions", data={**form_of(FIRST), "vision": "My own words", "based_on": "1",
                                                       "csrf_token": csrf(owner)})
        latest = owner.get("/business")

    assert blank.status_code == 200 and 'name="based_on" value=""' in blank.text
    assert (first.status_code, first.headers["location"]) == (303, "/business?saved=1")
    assert '<p class="notice" role="status" id="saved">Version 1 saved.</p>' in shown.text
    assert entries_shown(shown.text) == FIRST.entries
    assert '<blockquote class="vision" id="vision">Home-style catering for Soweto families.</blockquote>' in shown.text
    assert textarea(shown.text, "need") == "Orders on WhatsApp\nDelivery before 12:00\nHalaal options"
    assert 'name="based_on" value="1"' in shown.text

    assert too_long.status_code == 422
    assert alert(too_long.text) == "Needs, entry 2: 301 characters; the limit is 300"
    assert textarea(too_long.text, "need") == "Vegetarian menu\n" + "x" * 301
    assert re.search(r'<textarea name="need" rows="4" aria-invalid="true">', too_long.text)
    assert by_sales.status_code == 403
    assert "your role (sales) cannot do this; ask an owner" in by_sales.text
    assert same.status_code == 409
    assert alert(same.text) == ("nothing changed since version 1: the vision and every entry read the same "
                                "(differences of case, spacing or a closing full stop do not count)")
    assert (second.status_code, second.headers["location"]) == (303, "/business?saved=2")
    assert stale.status_code == 409
    assert alert(stale.text) == ("version 2 was saved after version 1, which these changes started from; open "
                                 "version 2, make the changes there and save again")
    assert textarea(stale.text, "vision") == "My own words"
    assert entries_shown(latest.text) == SECOND.entries
    assert re.search(r'Version 2, saved \d\d \w{3} \d{4} \d\d:\d\d by Marketing: “after the March review”',
                     latest.text)


def test_history_one_version_and_the_diff_read_as_the_business_evolved(live):
    with live.login("viewer") as client:
        history = client.get("/business/versions")
        one = client.get("/business/versions/1")
        compared = client.get("/business/diff?from=1&to=2")
        default = client.get("/business/diff")
        itself = client.get("/business/diff?from=2&to=2")
        missing = client.get("/business/diff?from=1&to=9")

    body = re.search(r"<tbody>(.*?)</tbody>", history.text, re.S)[1]
    rows = [[text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    assert [[row[0], *row[2:]] for row in rows] == [
        ["Version 2", "after the March review", "4", "2", "1", "3", "2", "What changed"],
        ["Version 1", "the first review", "3", "1", "1", "3", "2", ""],
    ]
    assert entries_shown(one.text) == FIRST.entries
    assert 'href="/business/diff?from=1&amp;to=2">What changed since, up to version 2 (the latest)' in one.text
    assert diff_shown(compared.text) == {
        "vision": [("removed", "Home-style catering for Soweto families."),
                   ("added", "Home-style catering for Soweto and Johannesburg families.")],
        "need": [("added", "+Vegetarian menu"), ("changed", "Delivery before 12:00 → Delivery before 11:00"),
                 ("muted kept", "Kept (2): orders on whatsapp. · Halaal options")],
        "opportunity": [("added", "+Wedding catering"), ("muted kept", "Kept (1): Corporate year-end functions")],
        "improvement": [("added", "+Answer messages within an hour"), ("removed", "−Faster invoices")],
        "strength": [("changed", "Fast delivery in Soweto → Fast delivery in Soweto and Alexandra"),
                     ("muted kept", "Kept (2): Grandmother's recipes · Friendly staff")],
        "exception": [("muted reordered", "The order changed."),
                      ("muted kept", "Kept (2): Closed on Sundays · No alcohol served")],
    }
    assert "<del>Faster invoices</del>" in compared.text
    assert "<del>Delivery before 12:00</del> → <ins>Delivery before 11:00</ins>" in compared.text
    assert diff_shown(default.text) == diff_shown(compared.text)
    assert "Nothing changed between version 2 and version 2." in itself.text
    assert (missing.status_code, "no business review version 9; the latest is version 2" in missing.text) == (404, True)


def test_competitors_are_watched_and_observed_from_the_page(live):
    with live.login("marketing") as client:
        added = client.post("/business/competitors", data={"name": "Mama's Kitchen", "scope": "local",
                                                           "website": "mamaskitchen.co.za", "note": "2 km away",
                                                           "csrf_token": csrf(client)})
        cid = int(added.headers["location"].rsplit("-", 1)[1])
        twice = client.post("/business/competitors", data={"name": "MAMA'S KITCHEN", "scope": "international",
                                                           "website": "", "note": "typed", "csrf_token": csrf(client)})
        tomorrow = (datetime.now(JOHANNESBURG).date() + timedelta(days=1)).isoformat()
        future = client.post(f"/business/competitors/{cid}/observations",
                             data={"observed_on": tomorrow, "text": "Tomorrow's special", "source": "",
                                   "csrf_token": csrf(client)})
        garbled = client.post(f"/business/competitors/{cid}/observations",
                              data={"observed_on": "soon", "text": "x", "csrf_token": csrf(client)})
        seen = client.post(f"/business/competitors/{cid}/observations",
                           data={"observed_on": today(), "text": "R99 lunch boxes", "source": "Instagram",
                                 "csrf_token": csrf(client)})
        abroad = client.post("/business/competitors", data={"name": "Chef Abroad", "scope": "local",
                                                            "csrf_token": csrf(client)})
        moved = client.post(abroad.headers["location"].replace("/business#competitor-", "/business/competitors/"),
                            data={"name": "Chef Abroad", "scope": "international", "website": "",
                                  "note": "Meal kits by post", "csrf_token": csrf(client)})
        page = client.get("/business")

    assert (added.status_code, added.headers["location"]) == (303, f"/business#competitor-{cid}")
    assert twice.status_code == 409
    assert alert(twice.text) == f"a competitor named 'Mama's Kitchen' is already watched (competitor {cid})"
    assert '<details id="competitor-form" class="editor" open>' in twice.text
    assert 'value="MAMA&#39;S KITCHEN"' in twice.text and ">typed</textarea>" in twice.text
    assert future.status_code == 422
    assert alert(future.text) == f"Date seen: {tomorrow} is in the future; today is {today()}"
    assert f'value="{tomorrow}" aria-invalid="true"' in future.text
    assert (garbled.status_code, alert(garbled.text)) == (422, "Date seen: 'soon' is not a date such as 2026-03-20")
    assert seen.status_code == 303 and moved.status_code == 303
    local = re.search(r'<div id="competitors-local">(.*?)<div id="competitors-international">', page.text, re.S)[1]
    international = re.search(r'<div id="competitors-international">(.*?)</section>', page.text, re.S)[1]
    assert re.findall(r"<header><strong>(.*?)</strong>", local) == ["Mama&#39;s Kitchen"]
    assert re.findall(r"<header><strong>(.*?)</strong>", international) == ["Chef Abroad"]
    assert '<a href="https://mamaskitchen.co.za" rel="noopener noreferrer" target="_blank">website</a>' in local
    observed = re.findall(r'<ul class="observations">\s*<li>(.*?)</li>', local, re.S)
    day = datetime.now(JOHANNESBURG).date()
    assert [text_of(item) for item in observed] == [f"{day:%d %b %Y}R99 lunch boxes (Instagram)"]
    assert "<p>Meal kits by post</p>" in international


def test_spent_vs_received_says_what_to_do_before_the_first_sync(live):
    with live.login("sales") as client:
        fragment = client.get("/business/energy", headers={"HX-Request": "true"})
        whole = client.get("/business/energy")
        backwards = client.get("/business/energy?from_on=2026-02-01&to_on=2026-01-01",
                               headers={"HX-Request": "true"})

    expected = ('<p class="notice" role="alert" id="energy-problem">the warehouse holds no data yet: run `accord '
                'sync` to copy the store into it, then look again</p>')
    assert fragment.status_code == 200 and expected in fragment.text
    assert "<html" not in fragment.text
    assert whole.status_code == 200 and expected in whole.text and "<h1>Spent vs received</h1>" in whole.text
    assert backwards.status_code == 422
    assert ('<p class="notice error" role="alert" id="energy-error">to_on: 2026-01-01 is not after from_on '
            '2026-02-01</p>') in backwards.text
