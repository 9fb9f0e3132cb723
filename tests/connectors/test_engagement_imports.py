"""Importing engagements on both stores: good rows in, bad rows to the rejects file with exact reasons, repeats ignored."""

from __future__ import annotations

import csv
import hashlib
import json

import pytest
from sqlalchemy import select

from accord.connectors.models import ImportRun
from accord.contacts.models import Contact, Identity
from accord.engagement.models import Engagement
from accord.errors import Invalid
from accord.kernel.clock import utcnow
from accord.kernel.models import AuditEvent
from accord.kernel.vocabulary import CHANNELS
from import_support import count, rows, run

MAPPING = """
source = "shop-export"

[fields]
external_id = "id"
occurred_at = "when"
channel = "channel"
kind = { value = "comment" }
text = "text"

[[identity]]
kind = "handle"
column = "handle"
"""
LONG = "x" * 10_001
DATA = (
    "id,handle,channel,when,text\n"
    "1,@Naledi,instagram,2024-05-01T10:00:00,Do you deliver to Café Soweto?\n"
    "2,sipho,instagram,,Hello\n"
    "3,lerato,instagram,yesterday,Hi\n"
    "4,musa,myspace,2024-05-01T11:00:00,Hey\n"
    f"5,zanele,instagram,2024-05-01T12:00:00,{LONG}\n"
).encode() + b"6,thandi,instagram,2024-05-01T12:30:00,caf\xff\n" + (
    "7,ayanda,instagram\n"
    "8,naledi,instagram,2024-05-01T13:00:00+02:00,Price for 40 people?\n"
).encode()
REJECTS = [
    ["file", "row", "line", "field", "reason", "raw"],
    ["comments.csv", "2", "3", "occurred_at", "empty; a time is required", "2,sipho,instagram,,Hello"],
    ["comments.csv", "3", "4", "occurred_at",
     "'yesterday' is not a time in the format ISO 8601 (e.g. 2024-05-01T14:30:00)", "3,lerato,instagram,yesterday,Hi"],
    ["comments.csv", "4", "5", "channel", f"'myspace' is not one of {', '.join(CHANNELS)}",
     "4,musa,myspace,2024-05-01T11:00:00,Hey"],
    ["comments.csv", "5", "6", "text", "10,001 characters; the limit is 10,000",
     f"5,zanele,instagram,2024-05-01T12:00:00,{LONG}"],
    ["comments.csv", "6", "7", "row", "invalid UTF-8: byte 0xff cannot be decoded",
     "6,thandi,instagram,2024-05-01T12:30:00,caf\\xff"],
    ["comments.csv", "7", "8", "row", "3 fields; the header has 5", "7,ayanda,instagram"],
]


def rejects_of(tmp_path) -> list[list[str]]:
    with (tmp_path / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_good_rows_are_recorded_and_each_bad_row_is_rejected_with_its_reason(store, tmp_path):
    path = tmp_path / "comments.csv"
    path.write_bytes(DATA)

    report = run(store, "engagements", path, MAPPING, tmp=tmp_path)

    assert (report.rows_read, report.rows_written, report.rows_duplicate, report.rows_rejected) == (8, 2, 0, 6)
    assert report.rejects_path == tmp_path / "rejects.csv"
    assert rejects_of(tmp_path) == REJECTS
    stored = rows(store, select(Engagement.source, Engagement.external_id, Engagement.channel, Engagement.kind,
                                Engagement.text, Engagement.occurred_at).order_by(Engagement.external_id))
    assert [(*row[:5], row[5].isoformat()) for row in stored] == [
        ("shop-export", "1", "instagram", "comment", "Do you deliver to Café Soweto?", "2024-05-01T10:00:00+00:00"),
        ("shop-export", "8", "instagram", "comment", "Price for 40 people?", "2024-05-01T11:00:00+00:00"),
    ]
    # '@Naledi' and 'naledi' are one Instagram handle, so one person.
    assert rows(store, select(Identity.kind, Identity.channel, Identity.value)) == [("handle", "instagram", "naledi")]
    assert rows(store, select(Contact.display_name, Contact.lifecycle_stage, Contact.first_channel)) == [
        ("@Naledi", "engager", "instagram")]
    assert sorted(rows(store, select(AuditEvent.actor, AuditEvent.action, AuditEvent.summary))) == [
        ("import:comments.csv", "created", "First seen on instagram, as engager")]

    again = run(store, "engagements", path, MAPPING, tmp=tmp_path)

    assert (again.rows_read, again.rows_written, again.rows_duplicate, again.rows_rejected) == (8, 0, 2, 6)
    assert (count(store, Engagement), count(store, Contact), count(store, AuditEvent)) == (2, 1, 1)
    runs = rows(store, select(ImportRun.kind, ImportRun.file_name, ImportRun.file_sha256, ImportRun.preset,
                              ImportRun.status, ImportRun.rows_read, ImportRun.rows_written, ImportRun.rows_duplicate,
                              ImportRun.rows_rejected, ImportRun.rejects_path, ImportRun.error, ImportRun.started_by)
                .order_by(ImportRun.id))
    sha = hashlib.sha256(DATA).hexdigest()
    assert runs == [
        ("engagements", str(path), sha, None, "finished", 8, 2, 0, 6, str(tmp_path / "rejects.csv"), None, "test"),
        ("engagements", str(path), sha, None, "finished", 8, 0, 2, 6, str(tmp_path / "rejects.csv"), None, "test"),
    ]


def test_without_an_id_column_identical_rows_stay_two_and_a_second_import_adds_none(store, tmp_path):
    path = tmp_path / "likes.csv"
    path.write_text("who,at\nnaledi,2024-05-01 10:00\nnaledi,2024-05-01 10:00\nsipho,2024-05-01 10:05\n",
                    encoding="utf-8")
    mapping = MAPPING.replace('external_id = "id"\n', "").replace('text = "text"\n', "").replace(
        'channel = "channel"', 'channel = { value = "tiktok" }').replace('"comment"', '"like"').replace(
        'column = "handle"', 'column = "who"').replace('occurred_at = "when"', 'occurred_at = "at"')

    first = run(store, "engagements", path, mapping, tmp=tmp_path, batch_size=2)
    second = run(store, "engagements", path, mapping, tmp=tmp_path, batch_size=2)

    assert [(r.rows_read, r.rows_written, r.rows_duplicate, r.rows_rejected) for r in (first, second)] == [
        (3, 3, 0, 0), (3, 0, 3, 0)]
    ids = sorted(external_id for (external_id,) in rows(store, select(Engagement.external_id)))
    assert [i.rsplit("-", 1)[1] for i in ids].count("2") == 1
    assert len({i.rsplit("-", 1)[0] for i in ids}) == 2
    assert (count(store, Engagement), count(store, Contact)) == (3, 2)


def test_json_lines_with_the_facebook_preset(store, tmp_path):
    from accord.connectors.importing.presets import PRESETS

    path = tmp_path / "comments.jsonl"
    path.write_text("\n".join(json.dumps(item) for item in [
        {"id": "p1_c1", "from": {"id": "1001", "name": "Zoë Dlamini"}, "created_time": "2024-05-01T10:00:00+0000",
         "message": "Do you cater for 50?", "permalink_url": "https://facebook.com/p1/c1"},
        {"id": "p1_c2", "created_time": "2024-05-01T10:05:00+0000", "message": "no author"},
    ]) + "\n", encoding="utf-8")

    report = run(store, "engagements", path, PRESETS["facebook-comments"], tmp=tmp_path)

    assert (report.rows_written, report.rows_rejected) == (1, 1)
    assert rejects_of(tmp_path)[1][3:5] == ["identity", "empty; the row names no email, phone or handle"]
    assert rows(store, select(Engagement.source, Engagement.external_id, Engagement.url, Engagement.channel)) == [
        ("facebook", "p1_c1", "https://facebook.com/p1/c1", "facebook")]
    assert rows(store, select(Contact.display_name)) == [("Zoë Dlamini",)]
    assert rows(store, select(Identity.channel, Identity.value)) == [("facebook", "1001")]


def test_a_column_missing_from_the_file_stops_the_import_before_anything_is_written(store, tmp_path):
    path = tmp_path / "comments.csv"
    path.write_bytes(DATA)

    with pytest.raises(Invalid) as caught:
        run(store, "engagements", path, MAPPING.replace('text = "text"', 'text = "Comment"'), tmp=tmp_path)

    assert caught.value.message == "mapping: column 'Comment' is not in the file's header (id, handle, channel, when, text)"
    assert (count(store, ImportRun), count(store, Engagement)) == (0, 0)


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: m.replace('occurred_at = "when"\n', ""), "mapping: engagements imports need the field 'occurred_at'"),
    (lambda m: m.replace('kind = { value = "comment" }', 'kind = { value = "poke" }'),
     "mapping: field 'kind': 'poke' is not one of follow, like, comment, share, mention, message, reply, form_submit, "
     "visit, review, query"),
    (lambda m: m + 'quantity = "q"\n', "mapping: 'quantity' is not a field of engagements imports (fields: "
                                      "occurred_at, channel, kind, external_id, text, url, display_name)"),
    (lambda m: m.split("[[identity]]")[0],
     "mapping: engagements imports need at least one [[identity]] (an email, phone or handle column)"),
    (lambda m: 'kind = "orders"\n' + m, "mapping: test.toml is a mapping for orders imports, not engagements"),
])
def test_a_mapping_that_does_not_suit_the_kind_is_one_error(store, tmp_path, change, message):
    path = tmp_path / "comments.csv"
    path.write_bytes(DATA)
    mapping = change(MAPPING)
    if 'quantity = "q"' in mapping:
        mapping = mapping.replace('quantity = "q"\n', "").replace("[fields]\n", '[fields]\nquantity = "q"\n')

    with pytest.raises(Invalid) as caught:
        run(store, "engagements", path, mapping, tmp=tmp_path)

    assert caught.value.message == message
    assert count(store, ImportRun) == 0


def test_a_time_field_may_default_to_the_import_time_for_rows_without_one(store, tmp_path):
    path = tmp_path / "comments.csv"
    path.write_text("id,handle,channel,when,text\n1,sipho,instagram,,Hello\n2,lerato,instagram,nonsense,Hi\n",
                    encoding="utf-8")
    mapping = MAPPING.replace('occurred_at = "when"', 'occurred_at = { column = "when", default = "import-time" }')
    before = utcnow()

    report = run(store, "engagements", path, mapping, tmp=tmp_path)

    assert (report.rows_written, report.rows_rejected) == (1, 1)
    assert rejects_of(tmp_path)[1][3:5] == [
        "occurred_at", "'nonsense' is not a time in the format ISO 8601 (e.g. 2024-05-01T14:30:00)"]
    ((external_id, occurred_at),) = rows(store, select(Engagement.external_id, Engagement.occurred_at))
    assert external_id == "1" and before <= occurred_at <= utcnow()
