"""Contact attributes from a mapping's [attributes], deal attributes from [details], on both stores: values trimmed,
empty ones skipped, long ones rejected by row and field, each audited once, and a re-import adds nothing."""

from __future__ import annotations

import csv
import tomllib

import pytest
from sqlalchemy import select

from accord.connectors.importing.kinds import KINDS
from accord.connectors.importing.mapping import parse_mapping
from accord.connectors.importing.runner import Rejects, check_mapping, import_file
from accord.contacts.models import Contact, ContactAttribute
from accord.errors import Invalid
from accord.kernel.models import AuditEvent
from accord.pipeline.models import Deal, DealAttribute
from import_support import rows, run

CONTACTS = """
[fields]
display_name = "name"

[[identity]]
kind = "email"
column = "email"

[attributes]
interest = "likes"
hangout = { template = "eat: {cafe}" }
"""
LONG = "x" * 301


def rejected(tmp_path) -> list[list[str]]:
    """The rejects file's rows, header left out."""
    with (tmp_path / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def contact_attributes(store) -> list[tuple[str, str, str]]:
    return sorted(rows(store, select(Contact.display_name, ContactAttribute.key, ContactAttribute.value)
                       .join(Contact, Contact.id == ContactAttribute.contact_id)))


def audit(store, action: str) -> list[tuple]:
    return rows(store, select(AuditEvent.entity, AuditEvent.summary, AuditEvent.after)
                .where(AuditEvent.action == action).order_by(AuditEvent.id))


def test_contact_attributes_are_trimmed_skipped_when_empty_and_rejected_when_too_long(store, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("name,email,likes,cafe\n"
                    "Naledi,naledi@example.com,  coffee  ,Bean There\n"
                    "Sipho,sipho@example.com,,\n"
                    f"Thandi,thandi@example.com,{LONG},\n"
                    "Naledi,naledi@example.com,tea,Bean There\n", encoding="utf-8")

    first = run(store, "contacts", path, CONTACTS, tmp=tmp_path)
    again = run(store, "contacts", path, CONTACTS, tmp=tmp_path)

    assert [(r.rows_read, r.rows_written, r.rows_rejected) for r in (first, again)] == [(4, 2, 1), (4, 0, 1)]
    assert rejected(tmp_path) == [["people.csv", "3", "4", "attributes.interest", "301 characters; the limit is 300",
                                   f"Thandi,thandi@example.com,{LONG},"]]
    assert contact_attributes(store) == [
        ("Naledi", "hangout", "eat: Bean There"), ("Naledi", "interest", "coffee"), ("Naledi", "interest", "tea")]
    assert audit(store, "attributes_added") == [
        ("contact", "Attributes added: hangout, interest",
         {"hangout": ["eat: Bean There"], "interest": ["coffee", "tea"]})]


def test_a_later_file_adds_only_the_new_values_and_counts_the_row_written(store, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("name,email,likes,cafe\nNaledi,naledi@example.com,coffee,\n", encoding="utf-8")
    run(store, "contacts", path, CONTACTS, tmp=tmp_path)
    path.write_text("name,email,likes,cafe\nNaledi,naledi@example.com,coffee,\nNaledi,naledi@example.com,jazz,\n",
                    encoding="utf-8")

    later = run(store, "contacts", path, CONTACTS, tmp=tmp_path)

    assert (later.rows_written, later.rows_duplicate) == (1, 1)
    assert contact_attributes(store) == [("Naledi", "interest", "coffee"), ("Naledi", "interest", "jazz")]
    assert [after for _, _, after in audit(store, "attributes_added")] == [{"interest": ["coffee"]},
                                                                          {"interest": ["jazz"]}]


LEADS = """
source = "fair"
currency = "ZAR"

[fields]
occurred_at = "met"
channel = { value = "in_person" }
display_name = "name"
stage = "stage"
value = "budget"
title = { template = "Stand for {name}" }

[[identity]]
kind = "email"
column = "email"

[details]
segment = "segment"

[attributes]
lead_origin = { column = "origin", default = "(none)" }
"""


def test_lead_details_become_deal_attributes_and_the_lead_gets_its_attributes(store, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("name,email,met,stage,budget,segment,origin\n"
                    "Ayanda,ayanda@example.com,2024-03-01,won,800, pet ,fair\n"
                    "Bongani,bongani@example.com,2024-03-02,qualified,100,,\n"
                    f"Carla,carla@example.com,2024-03-03,new,1,{LONG},fair\n", encoding="utf-8")

    first = run(store, "leads", path, LEADS, tmp=tmp_path)
    again = run(store, "leads", path, LEADS, tmp=tmp_path)

    assert [(r.rows_written, r.rows_duplicate, r.rows_rejected) for r in (first, again)] == [(2, 0, 1), (0, 2, 1)]
    assert rejected(tmp_path) == [["leads.csv", "3", "4", "details.segment", "301 characters; the limit is 300",
                                   f"Carla,carla@example.com,2024-03-03,new,1,{LONG},fair"]]
    assert rows(store, select(Deal.title, DealAttribute.key, DealAttribute.value)
                .join(Deal, Deal.id == DealAttribute.deal_id)) == [("Stand for Ayanda", "segment", "pet")]
    assert contact_attributes(store) == [("Ayanda", "lead_origin", "fair"), ("Bongani", "lead_origin", "(none)")]
    # The new deal's details are in its 'created' audit row, as before; only the contacts get an attributes row.
    assert [after.get("details") for _, _, after in audit(store, "created") if after and "stage" in after] == [
        {"segment": "pet"}, None]
    assert [entity for entity, _, _ in audit(store, "attributes_added")] == ["contact", "contact"]


def test_details_added_to_a_stored_deal_are_audited_on_the_deal(store, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("name,email,met,stage,budget,segment,origin,size\n"
                    "Ayanda,ayanda@example.com,2024-03-01,won,800,pet,fair,10\n", encoding="utf-8")
    run(store, "leads", path, LEADS, tmp=tmp_path)
    wider = LEADS.replace('segment = "segment"', 'segment = "segment"\ncompany_size = "size"')

    later = run(store, "leads", path, wider, tmp=tmp_path)

    assert (later.rows_written, later.rows_duplicate) == (1, 0)
    assert sorted(rows(store, select(DealAttribute.key, DealAttribute.value))) == [
        ("company_size", "10"), ("segment", "pet")]
    assert audit(store, "attributes_added")[-1] == ("deal", "Attributes added: company_size",
                                                    {"company_size": ["10"]})


@pytest.mark.parametrize(("kind", "toml", "message"), [
    ("orders", 'kind = "orders"\n[fields]\norder_id = "a"\nordered_at = "b"\nquantity = "c"\nunit_price = "d"\n'
               '[attributes]\ninterest = "e"',
     "mapping: [attributes] is read by contacts and leads imports only, not by orders imports"),
    ("contacts", '[[identity]]\ncolumn = "a"\n[attributes]\n"lead origin" = "b"',
     "mapping: [attributes] key 'lead origin' must be 1 to 60 letters, digits, '_', '-' or '.'"),
    ("contacts", 'attributes = "b"\n[[identity]]\ncolumn = "a"',
     "mapping: [attributes] must be a table of attribute keys"),
    ("leads", f'[[identity]]\ncolumn = "a"\n[details]\n{"k" * 61} = "b"',
     f"mapping: [details] key '{'k' * 61}' must be 1 to 60 letters, digits, '_', '-' or '.'"),
], ids=["orders-take-no-attributes", "key-with-a-space", "not-a-table", "detail-key-too-long"])
def test_a_misplaced_or_misnamed_attribute_is_a_mapping_error(kind, toml, message):
    with pytest.raises(Invalid) as refused:
        check_mapping(KINDS[kind], parse_mapping(tomllib.loads(toml), name="bad.toml"))
    assert refused.value.message == message


def test_an_attribute_column_the_file_lacks_stops_the_file_before_any_row(store, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("name,email\nNaledi,naledi@example.com\n", encoding="utf-8")
    rejects = Rejects(tmp_path / "rejects.csv")

    with pytest.raises(Invalid) as refused:
        import_file(store, "contacts", path, parse_mapping(tomllib.loads(CONTACTS), name="people.toml"),
                    rejects=rejects, started_by="test")

    assert refused.value.message == "mapping: column 'likes' is not in the file's header (name, email)"
    assert rows(store, select(Contact.id)) == []
