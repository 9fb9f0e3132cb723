"""Personas over real HTTP: the API with its role guards and exact errors, the pages and their forms, and the best
fit shown in the inbox and on the contact page; on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from accord.kernel.audit import SYSTEM
from accord.personas.models import Persona, PersonaFit
from accord.personas.schemas import PersonaIn
from accord.personas.service import create_persona
from accord.warehouse import connect, sync
from persona_people import order, organisation, person
from stores import settings_for
from web.conftest import LiveApp, csrf_of, served

SANDTON = {"conditions": [{"attribute": "city", "operator": "in", "values": ["Sandton"], "weight": 3},
                          {"attribute": "channel", "operator": "any_of", "values": ["instagram"]}]}


@pytest.fixture(scope="module")
def app(backend, tmp_path_factory) -> Iterator[LiveApp]:
    """Thirty people in three clear groups (Instagram around Sandton, Facebook around Durban, LinkedIn offices),
    every one of them waiting in the inbox, some with orders."""
    with served(settings_for(backend, tmp_path_factory.mktemp("persona-web"))) as live:
        with live.store.transaction() as session:
            offices = [organisation(session, industry="finance", size="51-200", city="Cape Town"),
                       organisation(session, industry="finance", size="201-1000", city="Johannesburg")]
            for n in range(10):
                a = person(session, f"Sandton {n}", channel="instagram", city="Sandton" if n < 7 else "Rosebank",
                           engaged=["instagram", "instagram", "tiktok"])
                person(session, f"Durban {n}", channel="facebook", city="Durban" if n < 7 else "Pinetown",
                       engaged=["facebook", "whatsapp", "facebook"])
                c = person(session, f"Office {n}", channel="linkedin", org=offices[n // 7],
                           engaged=["linkedin", "email", "linkedin"])
                if n < 4:
                    order(session, a, 45_000)
                    order(session, c, 900_000)
        yield live


def stored(app: LiveApp, persona_id: int) -> dict[int, float]:
    with app.store.transaction() as session:
        return dict(session.execute(select(PersonaFit.contact_id, PersonaFit.score)
                                    .where(PersonaFit.persona_id == persona_id)).all())


def contact_id(app: LiveApp, name: str) -> int:
    from accord.contacts.models import Contact

    with app.store.transaction() as session:
        return session.scalar(select(Contact.id).where(Contact.display_name == name))


def test_the_api_declares_lists_changes_and_removes_personas(app):
    marketing = {"Authorization": f"Bearer {app.api_token('marketing')}"}
    viewer = {"Authorization": f"Bearer {app.api_token('viewer')}"}
    sales = {"Authorization": f"Bearer {app.api_token('sales')}"}
    with app.client() as client:
        refused = client.post("/api/v1/personas", json={"name": "Sandton socials", "rules": SANDTON}, headers=sales)
        assert refused.status_code == 403
        assert refused.json()["detail"] == "the token's user has role sales, which cannot do this"
        made = client.post("/api/v1/personas", json={"name": "Sandton socials", "description": "Northern suburbs",
                                                     "rules": SANDTON}, headers=marketing)
        assert made.status_code == 201, made.text
        body = made.json()
        persona_id = body.pop("id")
        assert body.pop("created_at")
        assert body == {
            "name": "Sandton socials", "kind": "declared", "description": "Northern suburbs",
            "rules": {"conditions": [
                {"attribute": "city", "operator": "in", "values": ["Sandton"], "weight": 3},
                {"attribute": "channel", "operator": "any_of", "values": ["instagram"], "weight": 1}]},
            "rules_text": ["city is Sandton (weight 3)", "engaged on Instagram"], "traits": [], "contacts_fitting": 7,
        }
        assert sorted(stored(app, persona_id).values()) == [0.25] * 3 + [1.0] * 7  # Rosebank: Instagram only
        assert client.get(f"/api/v1/personas/{persona_id}", headers=viewer).json()["name"] == "Sandton socials"
        assert [p["name"] for p in client.get("/api/v1/personas", headers=viewer).json()] == ["Sandton socials"]

        bad = client.post("/api/v1/personas", headers=marketing, json={"name": "Shoes", "rules": {"conditions": [
            {"attribute": "city", "operator": "in", "values": ["Durban"]},
            {"attribute": "shoe_size", "operator": "in", "values": ["9"]}]}})
        assert bad.status_code == 422
        assert bad.json() == {
            "type": "about:blank", "title": "Invalid input", "status": 422, "field": "rules.conditions[1].attribute",
            "detail": "rules.conditions[1].attribute: 'shoe_size' is not an attribute a persona rule can use; there "
                      "are: city, region, country, industry, org_size, first_channel, lifecycle_stage, channel, "
                      "interest, hangout, spend",
        }
        twice = client.post("/api/v1/personas", json={"name": "sandton SOCIALS", "rules": SANDTON}, headers=marketing)
        assert twice.status_code == 409
        assert twice.json()["detail"] == (f"a persona named 'Sandton socials' already exists (persona {persona_id}); "
                                          "choose another name")

        changed = client.patch(f"/api/v1/personas/{persona_id}", headers=marketing, json={
            "rules": {"conditions": [{"attribute": "city", "operator": "in", "values": ["Durban"]}]}})
        assert changed.status_code == 200
        assert changed.json()["rules_text"] == ["city is Durban"]
        durban = contact_id(app, "Durban 0")
        assert stored(app, persona_id)[durban] == 1.0 and len(stored(app, persona_id)) == 7
        fits = client.get(f"/api/v1/contacts/{durban}/personas", headers=viewer)
        assert fits.json() == [{"persona_id": persona_id, "name": "Sandton socials", "kind": "declared", "score": 1.0}]
        assert client.get("/api/v1/contacts/999999/personas", headers=viewer).status_code == 404

        assert client.delete(f"/api/v1/personas/{persona_id}", headers=viewer).status_code == 403
        assert client.delete(f"/api/v1/personas/{persona_id}", headers=marketing).status_code == 204
        assert client.get(f"/api/v1/personas/{persona_id}", headers=viewer).json() == {
            "type": "about:blank", "title": "Not found", "status": 404, "detail": f"no persona {persona_id}"}


def test_the_api_discovers_and_scores(app):
    owner = {"Authorization": f"Bearer {app.api_token('owner')}"}
    with app.client() as client:
        chosen = client.post("/api/v1/personas/discover", json={}, headers=owner).json()
        assert (chosen["criterion"], chosen["chosen_by"], sorted(chosen["scores"])) == (
            "Calinski-Harabasz index", "Calinski-Harabasz index", ["2", "3", "4"])
        assert chosen["clusters"] == int(max(chosen["scores"], key=chosen["scores"].get))
        found = client.post("/api/v1/personas/discover", json={"clusters": 3}, headers=owner)
        assert found.status_code == 200, found.text
        body = found.json()
        assert (body["clusters"], body["chosen_by"], list(body["scores"])) == (3, "asked", ["3"])
        assert sorted(p["name"] for p in body["personas"]) == ["Facebook · Durban", "Instagram · Sandton",
                                                               "LinkedIn · Finance"]
        assert all(p["contacts_fitting"] == 10 and p["kind"] == "discovered" for p in body["personas"])
        corporate = next(p for p in body["personas"] if p["name"] == "LinkedIn · Finance")
        assert corporate["traits"][0]["text"] == "first seen on LinkedIn (100% vs 33% overall)"
        asked = client.post("/api/v1/personas/discover", json={"clusters": 9}, headers=owner)
        assert asked.status_code == 422
        assert asked.json()["detail"] == "clusters: 9 is not 2, 3 or 4; leave it out to let the data choose"
        counts = client.post("/api/v1/personas/fits", headers=owner).json()
        assert sorted((c["name"], c["contacts_fitting"]) for c in counts) == [
            ("Facebook · Durban", 10), ("Instagram · Sandton", 10), ("LinkedIn · Finance", 10)]
        office = contact_id(app, "Office 3")
        fits = client.get(f"/api/v1/contacts/{office}/personas", headers=owner).json()
        assert fits[0]["name"] == "LinkedIn · Finance" and fits[0]["score"] >= 0.5
        assert all(f["score"] < 0.5 for f in fits[1:])


def test_pages_declare_with_the_rule_builder_and_show_mistakes(app):
    with app.login("marketing") as client:
        page = client.get("/personas")
        assert page.status_code == 200
        token = csrf_of(page)
        form = {"csrf_token": token, "name": "Big office buyers", "description": "Corporate lunches",
                "attribute": ["industry", "spend", ""], "operator": ["in", "at_least", "in"],
                "values": ["finance", "5000", ""], "weight": ["", "2", ""]}
        made = client.post("/personas", data=form)
        assert made.status_code == 303
        detail = client.get(made.headers["location"])
        rules = re.search(r'<ul id="persona-rules">(.*?)</ul>', detail.text, re.S).group(1)
        assert [html.unescape(r) for r in re.findall(r"<li>(.*?)</li>", rules)] == [
            "industry is finance", "spend at least R5\xa0000,00 (weight 2)"]
        assert re.search(r'id="fitting">(\d+)<', detail.text).group(1) == "4"
        wrong = client.post("/personas", data={**form, "name": "Typo", "operator": ["in", "between", "in"],
                                               "values": ["finance", "5000", ""]})
        assert wrong.status_code == 422
        message = html.unescape(re.search(r'id="persona-error" role="alert">(.*?)</p>', wrong.text).group(1))
        assert message == ("Condition 2, values: spend between needs [minimum, maximum], minimum not above maximum, "
                           "in whole minor units of ZAR (12.50 is 1250), got [500000]")
        assert 'value="Typo"' in wrong.text
        amount = client.post("/personas", data={**form, "name": "Typo", "values": ["finance", "12,5", ""]})
        assert html.unescape(re.search(r'role="alert">(.*?)</p>', amount.text).group(1)) == (
            "Condition 2, values: '12,5' has a comma that does not separate thousands; write e.g. 1,234.50")
    with app.store.transaction() as session:
        assert session.scalar(select(Persona.id).where(Persona.name == "Typo")) is None
    with app.login("sales") as client:
        denied = client.post("/personas", data={**form, "csrf_token": csrf_of(client.get("/personas")),
                                                "name": "Sales try"})
        assert denied.status_code == 403


def test_pages_discover_show_traits_and_viewers_only_read(app):
    with app.login("owner") as client:
        token = csrf_of(client.get("/personas"))
        assert client.post("/personas/discover", data={"csrf_token": token, "clusters": "3"}).status_code == 303
        listing = client.get("/personas").text
        discovered = re.search(r'<table class="personas" id="personas-discovered">(.*?)</table>', listing, re.S)
        names = [html.unescape(n) for n in re.findall(r"<strong>(.*?)</strong>", discovered.group(1))]
        assert sorted(names) == ["Facebook · Durban", "Instagram · Sandton", "LinkedIn · Finance"]
        persona_id = re.search(r'<a href="/personas/(\d+)"><strong>LinkedIn · Finance', listing).group(1)
        page = client.get(f"/personas/{persona_id}").text
        traits = re.search(r'<ul id="persona-traits">(.*?)</ul>', page, re.S).group(1)
        first = html.unescape(re.findall(r"<li>(.*?) <small", traits)[0])
        assert first == "first seen on LinkedIn (100% vs 33% overall)"
        method = " ".join(re.search(r'<small id="discovery-method">(.*?)</small>', page, re.S).group(1).split())
        assert method.startswith("Found by k-means over every contact's channels, place, organisation, order value "
                                 "and attributes: 3 personas, as asked (3: ")
        assert len(re.findall(r'<a href="/contacts/\d+">Office \d</a>', page)) == 10
    with app.login("viewer") as client:
        listing = client.get("/personas").text
        assert 'action="/personas/discover"' not in listing and 'action="/personas"' not in listing
        assert client.get(f"/personas/{persona_id}").status_code == 200


def test_the_inbox_and_the_contact_page_show_the_best_fit(app):
    with app.store.transaction() as session:
        persona = create_persona(session, PersonaIn(name="Sandton regulars", rules=SANDTON), actor=SYSTEM)
    sandton = contact_id(app, "Sandton 0")
    with app.login("sales") as client:
        inbox = client.get("/inbox").text
        row = re.search(rf'<a href="/contacts/{sandton}">Sandton 0</a>.*?<td class="fit">(.*?)</td>', inbox, re.S)
        assert html.unescape(row.group(1)) == "Sandton regulars · 1.00"
        assert "<th>Fit</th>" in inbox and 'id="no-personas"' not in inbox
        page = client.get(f"/contacts/{sandton}").text
        shown = re.search(r'<p id="persona-fit">Persona: <a href="/personas/(\d+)"><strong>(.*?)</strong></a> · '
                          r'([0-9.]+)', page)
        assert shown.groups() == (str(persona.id), "Sandton regulars", "1.00")


def test_the_list_shows_synergy_once_the_warehouse_is_synced(app):
    with app.store.transaction() as session:
        names = {p.id: p.name for p in session.scalars(select(Persona))}
    with app.login("viewer") as client:
        before = client.get("/personas").text
    assert "No figures yet: the warehouse holds no data yet: run `accord sync`" in html.unescape(before)
    warehouse = connect(app.store.settings)
    try:
        sync(app.store, warehouse)
    finally:
        warehouse.disconnect()
    with app.login("viewer") as client:
        listing = client.get("/personas").text
    assert 'id="synergy-problem"' not in listing
    figures = re.findall(r'<tr data-persona="(\d+)">.*?<td class="num fitting">[^<]*</td>\s*'
                         r'<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>', listing, re.S)
    assert {names[int(pid)]: (int(counted.replace("\u202f", "")), int(bought)) for pid, counted, bought in figures} == {
        "Big office buyers": (4, 4), "Sandton regulars": (7, 4), "LinkedIn · Finance": (10, 4),
        "Facebook · Durban": (10, 0), "Instagram · Sandton": (10, 4)}
