"""Declared personas: strict rule checks with exact messages, exact fit scores, and the service's writes."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from accord.contacts.models import Contact, ContactAttribute
from accord.errors import Conflict, Invalid, NotFound
from accord.kernel.audit import SYSTEM
from accord.kernel.models import AuditEvent
from accord.kernel.workspace import ensure_workspace
from accord.personas.models import Persona, PersonaFit
from accord.personas.profile import load_profiles
from accord.personas.queries import best_fits, contact_fits, list_personas
from accord.personas.schemas import PersonaChange, PersonaIn
from accord.personas.service import compute_fits, create_persona, delete_persona, update_persona
import factories
from persona_people import order, organisation, person

ATTRIBUTES = ("city, region, country, industry, org_size, first_channel, lifecycle_stage, channel, interest, hangout, "
              "spend, lead_origin")


@pytest.fixture
def people(session):
    """Three live contacts, one merged duplicate and one erased contact, with orders in three currencies."""
    ensure_workspace(session, name="Persona Kitchen")
    finance = organisation(session, industry="finance", size="51-200", city="Cape Town", region="Western Cape")
    a = person(session, "Anele", channel="instagram", stage="customer", city="Sandton", region="Gauteng", country="ZA",
               engaged=["instagram", "tiktok"],
               attributes={"interest": ["Meal prep", "vegan"], "hangout": ["eat: Nando's Sandton"],
                           "lead_origin": ["instagram ad"]})
    b = person(session, "Bongani", channel="linkedin", stage="lead", org=finance, engaged=["linkedin"],
               spam=["facebook"])
    c = person(session, "Carmen", channel="facebook", city="Durban", engaged=["facebook"],
               attributes={"interest": ["braai"]})
    merged = person(session, "Anele again", channel="instagram", city="Sandton", engaged=["instagram"])
    merged.merged_into_id = a.id
    erased = person(session, "Gone", channel="instagram", city="Sandton", engaged=["instagram"])
    erased.erased_at = datetime(2026, 3, 3, tzinfo=timezone.utc)
    order(session, a, 150_000)
    order(session, a, 20_000, quantity=-1)  # a refund
    factories.rate(session, "USD", date(2026, 1, 1), "18.5")
    order(session, a, 1_000, currency="USD")  # 10 USD at 18.5 = R185.00
    order(session, c, 5_000, currency="GBP")  # no GBP rate: left out of spend
    session.flush()
    return {"a": a.id, "b": b.id, "c": c.id, "merged": merged.id, "erased": erased.id}


FIRST = {"conditions": [
    {"attribute": "city", "operator": "in", "values": ["sandton", " Cape  Town "], "weight": 2},
    {"attribute": "channel", "operator": "any_of", "values": ["instagram"]},
    {"attribute": "interest", "operator": "all_of", "values": ["VEGAN", "meal prep"]},
    {"attribute": "spend", "operator": "between", "values": [100_000, 200_000]},
    {"attribute": "hangout", "operator": "any_of", "values": ["Eat:  nando's   sandton"]},
]}
SECOND = {"conditions": [
    {"attribute": "industry", "operator": "in", "values": ["Finance"]},
    {"attribute": "org_size", "operator": "in", "values": ["51-200"]},
    {"attribute": "country", "operator": "not_in", "values": ["us"]},
    {"attribute": "first_channel", "operator": "in", "values": ["LinkedIn"]},
    {"attribute": "lifecycle_stage", "operator": "in", "values": ["customer", "ambassador"]},
    {"attribute": "channel", "operator": "none_of", "values": ["facebook"]},
    {"attribute": "spend", "operator": "at_most", "values": [0]},
]}


def stored_fits(session, persona_id: int) -> dict[int, float]:
    return dict(session.execute(select(PersonaFit.contact_id, PersonaFit.score)
                                .where(PersonaFit.persona_id == persona_id)).all())


def test_spend_is_net_in_the_base_currency_at_the_days_rate(session, people):
    profiles = load_profiles(session)
    assert profiles.spend.loc[[people["a"], people["b"], people["c"]]].to_dict("index") == {
        people["a"]: {"spend_minor": 150_000 - 20_000 + 18_500, "orders": 2},
        people["b"]: {"spend_minor": 0, "orders": 0},
        people["c"]: {"spend_minor": 0, "orders": 0},
    }
    assert profiles.unconverted == {"GBP": 5_000}
    assert people["merged"] not in profiles.ids and people["erased"] not in profiles.ids


def test_fit_is_the_weighted_share_of_conditions_met(session, people):
    first = create_persona(session, PersonaIn(name="Sandton vegans", rules=FIRST), actor=SYSTEM)
    second = create_persona(session, PersonaIn(name="Finance buyers", description="Offices", rules=SECOND),
                            actor=SYSTEM)
    # Anele meets all five (2+1+1+1+1 of 6); Bongani only the city, his organisation's (2 of 6); Carmen none.
    assert stored_fits(session, first.id) == {people["a"]: 1.0, people["b"]: 0.3333}
    # Anele: country, stage, no facebook (3 of 7); Bongani: all but stage, his spam on facebook not counting (6 of 7);
    # Carmen: no country, and her GBP order without a rate leaves her spend at 0 (2 of 7).
    assert stored_fits(session, second.id) == {people["a"]: 0.4286, people["b"]: 0.8571, people["c"]: 0.2857}
    assert first.rules == {"conditions": [
        {"attribute": "city", "operator": "in", "values": ["sandton", "Cape Town"], "weight": 2},
        {"attribute": "channel", "operator": "any_of", "values": ["instagram"], "weight": 1},
        {"attribute": "interest", "operator": "all_of", "values": ["VEGAN", "meal prep"], "weight": 1},
        {"attribute": "spend", "operator": "between", "values": [100_000, 200_000], "weight": 1},
        {"attribute": "hangout", "operator": "any_of", "values": ["eat: nando's sandton"], "weight": 1},
    ]}
    listed = {p.name: (p.kind, p.rules_text, p.contacts_fitting) for p in list_personas(session)}
    assert listed == {
        "Sandton vegans": ("declared", [
            "city is sandton or Cape Town (weight 2)", "engaged on Instagram", "interested in VEGAN and meal prep",
            "spend between R1\xa0000,00 and R2\xa0000,00", "spends time at nando's sandton (eat)"], 1),
        "Finance buyers": ("declared", [
            "industry is Finance", "organisation size is 51-200", "country is not US", "first seen on LinkedIn",
            "lifecycle stage is customer or ambassador", "never engaged on Facebook", "spend at most R0,00"], 1),
    }
    assert best_fits(session, {people["a"], people["b"], people["c"]}) == {
        people["a"]: ("Sandton vegans", 1.0), people["b"]: ("Finance buyers", 0.8571),
        people["c"]: ("Finance buyers", 0.2857)}
    assert [(f.name, f.score) for f in contact_fits(session, people["a"])] == [
        ("Sandton vegans", 1.0), ("Finance buyers", 0.4286)]


def test_a_tie_goes_to_the_older_persona(session, people):
    rules = {"conditions": [{"attribute": "city", "operator": "in", "values": ["Durban"]}]}
    older = create_persona(session, PersonaIn(name="Durban one", rules=rules), actor=SYSTEM)
    create_persona(session, PersonaIn(name="Durban two", rules=rules), actor=SYSTEM)
    assert best_fits(session, {people["c"]}) == {people["c"]: ("Durban one", 1.0)}
    assert [f.persona_id for f in contact_fits(session, people["c"])][0] == older.id


def condition(**changes):
    base = {"attribute": "city", "operator": "in", "values": ["Sandton"]}
    return {"conditions": [{**base, **changes}]}


@pytest.mark.parametrize(("rules", "field", "reason"), [
    ([], "rules", "[] is not a rule set; a rule set is {\"conditions\": [...]} with 1 to 20 conditions"),
    ({"conditions": []}, "rules.conditions",
     "0 conditions; a rule set is {\"conditions\": [...]} with 1 to 20 conditions"),
    ({"conditions": [], "match": "all"}, "rules.match",
     "is not part of a rule set; a rule set is {\"conditions\": [...]} with 1 to 20 conditions"),
    ({"conditions": "city"}, "rules.conditions",
     "'city' is not a list of conditions; a rule set is {\"conditions\": [...]} with 1 to 20 conditions"),
    ({"conditions": ["city"]}, "rules.conditions[0]",
     "'city' is not a condition with attribute, operator and values"),
    (condition(colour="red"), "rules.conditions[0].colour",
     "is not part of a condition; a condition has attribute, operator, values and weight"),
    (condition(attribute="shoe_size"), "rules.conditions[0].attribute",
     f"'shoe_size' is not an attribute a persona rule can use; there are: {ATTRIBUTES}"),
    (condition(attribute=None), "rules.conditions[0].attribute",
     f"None is not an attribute a persona rule can use; there are: {ATTRIBUTES}"),
    (condition(operator="between"), "rules.conditions[0].operator",
     "'between' does not apply to city; use one of: in, not_in"),
    (condition(attribute="interest", operator="in"), "rules.conditions[0].operator",
     "'in' does not apply to interest; use one of: any_of, all_of, none_of"),
    (condition(attribute="spend", operator="any_of"), "rules.conditions[0].operator",
     "'any_of' does not apply to spend; use one of: at_least, at_most, between"),
    (condition(values="Sandton"), "rules.conditions[0].values",
     "city in needs a list of 1 to 100 texts of 1 to 300 characters, got 'Sandton'"),
    (condition(values=[5]), "rules.conditions[0].values",
     "city in needs a list of 1 to 100 texts of 1 to 300 characters, got [5]"),
    (condition(values=[" "]), "rules.conditions[0].values",
     "city in needs a list of 1 to 100 texts of 1 to 300 characters, got [' ']"),
    (condition(attribute="channel", operator="any_of", values=["myspace"]), "rules.conditions[0].values",
     "'myspace' is not a channel; the channels are: instagram, facebook, linkedin, x, tiktok, youtube, website, "
     "email, phone, whatsapp, in_person, referral, marketplace, other"),
    (condition(attribute="lifecycle_stage", values=["prospect"]), "rules.conditions[0].values",
     "'prospect' is not a lifecycle stage; the stages are: follower, engager, lead, opportunity, customer, "
     "ambassador"),
    (condition(attribute="country", values=["South Africa"]), "rules.conditions[0].values",
     "'South Africa' is not a two-letter country code such as ZA"),
    (condition(attribute="hangout", operator="any_of", values=["Sandton City"]), "rules.conditions[0].values",
     "'Sandton City' is not a hangout such as 'eat: Sandton City'; a hangout is 'kind: place' with kind one of "
     "eat, dream, sleep, play, work, shop"),
    (condition(attribute="spend", operator="at_least", values=["1000"]), "rules.conditions[0].values",
     "spend at_least needs [minimum] in whole minor units of ZAR (12.50 is 1250), got ['1000']"),
    (condition(attribute="spend", operator="at_most", values=[10.5]), "rules.conditions[0].values",
     "spend at_most needs [maximum] in whole minor units of ZAR (12.50 is 1250), got [10.5]"),
    (condition(attribute="spend", operator="between", values=[5000, 100]), "rules.conditions[0].values",
     "spend between needs [minimum, maximum], minimum not above maximum, in whole minor units of ZAR "
     "(12.50 is 1250), got [5000, 100]"),
    (condition(weight=0), "rules.conditions[0].weight",
     "0 is not a number above 0 and at most 1000; a weight says how much the condition counts (1 when left out)"),
    (condition(weight=True), "rules.conditions[0].weight",
     "True is not a number above 0 and at most 1000; a weight says how much the condition counts (1 when left out)"),
])
def test_a_bad_rule_is_refused_naming_its_place_and_nothing_is_written(session, people, rules, field, reason):
    with pytest.raises(Invalid) as refused:
        create_persona(session, PersonaIn(name="Anyone", rules=rules), actor=SYSTEM)
    assert (refused.value.field, refused.value.reason) == (field, reason)
    assert session.scalar(select(func.count()).select_from(Persona)) == 0
    assert session.scalar(select(func.count()).select_from(PersonaFit)) == 0


def test_the_second_condition_is_named_when_it_is_the_one_at_fault(session, people):
    rules = {"conditions": [FIRST["conditions"][0], {"attribute": "spend", "operator": "in", "values": ["1"]}]}
    with pytest.raises(Invalid) as refused:
        create_persona(session, PersonaIn(name="Anyone", rules=rules), actor=SYSTEM)
    assert str(refused.value) == ("rules.conditions[1].operator: 'in' does not apply to spend; use one of: at_least, "
                                  "at_most, between")


def test_any_attribute_key_in_the_store_can_be_used(session, people):
    rules = {"conditions": [{"attribute": "lead_origin", "operator": "any_of", "values": ["Instagram Ad"]}]}
    persona = create_persona(session, PersonaIn(name="From ads", rules=rules), actor=SYSTEM)
    assert stored_fits(session, persona.id) == {people["a"]: 1.0}


def test_names_are_unique_whatever_their_case_and_must_be_given(session, people):
    create_persona(session, PersonaIn(name="Busy professional", rules=FIRST), actor=SYSTEM)
    with pytest.raises(Conflict) as clash:
        create_persona(session, PersonaIn(name="  busy   PROFESSIONAL ", rules=FIRST), actor=SYSTEM)
    assert clash.value.message.startswith("a persona named 'Busy professional' already exists (persona ")
    with pytest.raises(Invalid) as empty:
        create_persona(session, PersonaIn(name="  ", rules=FIRST), actor=SYSTEM)
    assert str(empty.value) == "name: '  ' is not a name of 1 to 120 characters"


def test_changing_rules_rescores_and_a_bad_change_changes_nothing(session, people):
    persona = create_persona(session, PersonaIn(name="Sandton vegans", rules=FIRST), actor=SYSTEM)
    other = create_persona(session, PersonaIn(name="Finance buyers", rules=SECOND), actor=SYSTEM)
    with pytest.raises(Conflict):
        update_persona(session, persona.id, PersonaChange(name="finance buyers", description="x"), actor=SYSTEM)
    with pytest.raises(Invalid) as long:
        update_persona(session, persona.id, PersonaChange(name="Renamed", description="x" * 2001), actor=SYSTEM)
    assert str(long.value) == "description: is not a text of at most 2,000 characters"
    assert (persona.name, persona.description) == ("Sandton vegans", "")
    update_persona(session, persona.id, PersonaChange(
        name="Durban", rules={"conditions": [{"attribute": "city", "operator": "in", "values": ["Durban"]}]}),
        actor=SYSTEM)
    assert persona.name == "Durban"
    assert stored_fits(session, persona.id) == {people["c"]: 1.0}
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "persona")
                              .order_by(AuditEvent.id)).all()
    assert actions == ["created", "created", "updated"]
    delete_persona(session, other.id, actor=SYSTEM)
    assert stored_fits(session, other.id) == {}
    with pytest.raises(NotFound):
        delete_persona(session, other.id, actor=SYSTEM)


def test_computing_fits_again_scores_what_changed(session, people):
    persona = create_persona(session, PersonaIn(name="Big spenders", rules={"conditions": [
        {"attribute": "spend", "operator": "at_least", "values": [100_000]},
        {"attribute": "interest", "operator": "any_of", "values": ["braai"]}]}), actor=SYSTEM)
    assert stored_fits(session, persona.id) == {people["a"]: 0.5, people["c"]: 0.5}
    order(session, session.get(Contact, people["c"]), 120_000)
    session.add(ContactAttribute(contact_id=people["b"], key="interest", value="Braai"))
    newcomer = person(session, "Dineo", attributes={"interest": ["braai"]})
    counts = compute_fits(session)
    assert [(c.name, c.contacts) for c in counts] == [("Big spenders", 4)]
    assert stored_fits(session, persona.id) == {people["a"]: 0.5, people["b"]: 0.5, people["c"]: 1.0,
                                                newcomer.id: 0.5}
