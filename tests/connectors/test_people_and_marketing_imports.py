"""Importing contacts, leads, spend and touches on both stores; each re-import adds nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from accord.campaigns.models import Campaign, Spend
from accord.contacts.models import Contact, Identity
from accord.engagement.models import Touch
from accord.kernel.models import AuditEvent
from accord.pipeline.models import Deal, DealStageChange
from import_support import count, rows, run

CONTACTS = """
[fields]
display_name = "Name"
channel = { value = "in_person" }
city = "City"
country = "Country"
lifecycle_stage = "Stage"

[[identity]]
kind = "email"
column = "Email"

[[identity]]
kind = "phone"
column = "Mobile"
"""


def test_contacts_are_found_by_identity_and_their_details_brought_up_to_date(store, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Name,Email,Mobile,City,Country,Stage\n"
                    "Naledi Khumalo,Naledi@Example.com,082 123 4567,Soweto,South Africa,lead\n"
                    "Sipho,,+27 83 555 0000,Durban,ZA,\n"
                    "N. Khumalo,,0821234567,,,\n"
                    "Bad,not-an-email,,,,\n", encoding="utf-8")

    first = run(store, "contacts", path, CONTACTS, tmp=tmp_path)

    assert (first.rows_read, first.rows_written, first.rows_rejected) == (4, 2, 1)
    assert sorted(rows(store, select(Contact.display_name, Contact.city, Contact.country, Contact.lifecycle_stage,
                                     Contact.first_channel))) == [
        ("Naledi Khumalo", "Soweto", "ZA", "lead", "in_person"), ("Sipho", "Durban", "ZA", "follower", "in_person")]
    assert sorted(rows(store, select(Identity.kind, Identity.value))) == [
        ("email", "naledi@example.com"), ("phone", "+27821234567"), ("phone", "+27835550000")]

    path.write_text("Name,Email,Mobile,City,Country,Stage\n"
                    "Naledi Khumalo,naledi@example.com,,Johannesburg,,\n"
                    "Sipho,,+27 83 555 0000,Durban,ZA,\n", encoding="utf-8")
    second = run(store, "contacts", path, CONTACTS, tmp=tmp_path)
    third = run(store, "contacts", path, CONTACTS, tmp=tmp_path)

    assert [(r.rows_written, r.rows_duplicate) for r in (second, third)] == [(1, 1), (0, 2)]
    assert sorted(rows(store, select(Contact.display_name, Contact.city))) == [
        ("Naledi Khumalo", "Johannesburg"), ("Sipho", "Durban")]
    assert rows(store, select(AuditEvent.action, AuditEvent.before, AuditEvent.after)
                .where(AuditEvent.action == "updated")) == [
        ("updated", {"city": "Soweto"}, {"city": "Johannesburg"})]


LEADS = """
source = "webinar"
currency = "ZAR"

[fields]
occurred_at = "signed_up"
channel = "source"
display_name = "name"
utm_campaign = "campaign"
stage = "stage"
value = "budget"
title = { template = "Catering for {name}" }

[[identity]]
kind = "email"
column = "email"

[values.channel]
ig = "instagram"

[details]
company_size = "size"
"""


def test_leads_bring_their_visit_and_a_deal(store, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("email,name,signed_up,source,campaign,stage,budget,size\n"
                    "a@x.co.za,Ayanda,2024-03-01,ig,winter-menu,qualified,\"12,500.00\",10\n"
                    "b@x.co.za,Bongani,2024-03-02,website,,won,800,\n"
                    "c@x.co.za,Carla,2024-03-03,fax,,new,1,\n", encoding="utf-8")

    first = run(store, "leads", path, LEADS, tmp=tmp_path)
    second = run(store, "leads", path, LEADS, tmp=tmp_path)

    assert [(r.rows_written, r.rows_duplicate, r.rows_rejected) for r in (first, second)] == [(2, 0, 1), (0, 2, 1)]
    assert sorted(rows(store, select(Contact.display_name, Contact.lifecycle_stage, Contact.first_channel))) == [
        ("Ayanda", "opportunity", "instagram"), ("Bongani", "customer", "website")]
    assert sorted(rows(store, select(Touch.source, Touch.channel, Touch.kind, Touch.utm_campaign))) == [
        ("webinar", "instagram", "visit", "winter-menu"), ("webinar", "website", "visit", None)]
    deals = rows(store, select(Deal.title, Deal.stage, Deal.value_minor, Deal.currency, Deal.closed_at)
                 .order_by(Deal.title))
    assert [(*d[:4], d[4] and d[4].isoformat()) for d in deals] == [
        ("Catering for Ayanda", "qualified", 1_250_000, "ZAR", None),
        ("Catering for Bongani", "won", 80_000, "ZAR", "2024-03-02T00:00:00+00:00"),
    ]
    assert sorted(rows(store, select(DealStageChange.from_stage, DealStageChange.to_stage))) == [
        (None, "qualified"), (None, "won")]
    assert rows(store, select(AuditEvent.after).where(AuditEvent.entity == "deal", AuditEvent.after.is_not(None))
                .order_by(AuditEvent.entity_id)) == [
        ({"stage": "qualified", "value_minor": 1_250_000, "currency": "ZAR", "details": {"company_size": "10"}},),
        ({"stage": "won", "value_minor": 80_000, "currency": "ZAR"},),
    ]


SPEND = """
source = "meta-ads"
currency = "ZAR"

[fields]
campaign = "Campaign name"
spent_on = { column = "Day", format = "%d/%m/%Y" }
amount = "Amount spent (ZAR)"
channel = { value = "facebook" }
"""


def test_spend_finds_or_creates_campaigns_and_keeps_amounts_exact(store, tmp_path):
    path = tmp_path / "spend.csv"
    path.write_text("Campaign name;Day;Amount spent (ZAR)\n"
                    "Winter menu;01/06/2024;1,250.50\n"
                    "Winter menu;03/06/2024;99.99\n"
                    "Winter menu;03/06/2024;99.99\n"
                    "Year-end functions;02/06/2024;0.01\n"
                    "Year-end functions;2024-06-02;5\n"
                    "Year-end functions;04/06/2024;-5\n", encoding="utf-8")

    first = run(store, "spend", path, SPEND, tmp=tmp_path)
    second = run(store, "spend", path, SPEND, tmp=tmp_path)

    assert [(r.rows_written, r.rows_duplicate, r.rows_rejected) for r in (first, second)] == [(4, 0, 2), (0, 4, 2)]
    assert rows(store, select(Campaign.name, Campaign.channel, Campaign.currency, Campaign.starts_on, Campaign.ends_on,
                              Campaign.budget_minor).order_by(Campaign.name)) == [
        ("Winter menu", "facebook", "ZAR", date(2024, 6, 1), date(2024, 6, 3), 0),
        ("Year-end functions", "facebook", "ZAR", date(2024, 6, 2), date(2024, 6, 2), 0),
    ]
    assert sorted(rows(store, select(Spend.spent_on, Spend.amount_minor, Spend.currency))) == [
        (date(2024, 6, 1), 125_050, "ZAR"), (date(2024, 6, 2), 1, "ZAR"), (date(2024, 6, 3), 9_999, "ZAR"),
        (date(2024, 6, 3), 9_999, "ZAR")]


def test_touches_resolve_known_people_and_keep_anonymous_visitors(store, tmp_path):
    path = tmp_path / "clicks.csv"
    path.write_text("click_id,email,at,utm_source,utm_medium,utm_campaign,visitor\n"
                    "k1,a@x.co.za,2024-03-01T09:00:00Z,facebook,cpc,winter,v1\n"
                    "k2,,2024-03-01T09:05:00Z,google,cpc,winter,v2\n", encoding="utf-8")
    mapping = """
source = "ads"
[fields]
external_id = "click_id"
occurred_at = "at"
channel = { value = "website" }
kind = { value = "ad_click" }
utm_source = "utm_source"
utm_medium = "utm_medium"
utm_campaign = "utm_campaign"
visitor_id = "visitor"
[[identity]]
kind = "email"
column = "email"
"""

    first = run(store, "touches", path, mapping, tmp=tmp_path)
    second = run(store, "touches", path, mapping, tmp=tmp_path)

    assert [(r.rows_written, r.rows_duplicate) for r in (first, second)] == [(2, 0), (0, 2)]
    assert rows(store, select(Touch.external_id, Touch.kind, Touch.utm_source, Touch.visitor_id,
                              Touch.contact_id.is_not(None)).order_by(Touch.external_id)) == [
        ("k1", "ad_click", "facebook", "v1", True), ("k2", "ad_click", "google", "v2", False)]
    assert count(store, Contact) == 1
