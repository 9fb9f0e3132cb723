"""accord.warehouse.sync on SQLite and PostgreSQL stores: whole tables equal, only changes copied, clear errors."""

from __future__ import annotations

from datetime import datetime, timezone

import ibis
import pytest
from ibis.common.exceptions import TableNotFound
from sqlalchemy import delete, select, update

from accord.contacts.models import Contact
from accord.contacts.service import merge_contacts
from accord.conversations.models import SlaTarget
from accord.engagement.models import Engagement
from accord.engagement.service import mark_contacted, record_engagements, set_spam
from accord.errors import SetupError
from accord.kernel.audit import SYSTEM
from accord.kernel.db import UTCDateTime
from accord.kernel.models import Workspace
from accord.kernel.store import Store
from accord.models import metadata
from accord.pipeline.models import Deal, DealStageChange, Offer
from accord.settings import Settings
from accord.warehouse import connect, sync
from stores import settings_for
from support import (
    SECRET_TABLES, assert_same, contact_ids, deal_id, engagements, expected_tables, fill, open_store,
)

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """A store with a small business in it, on each store backend (or the one a test names)."""
    opened = open_store(request.param, tmp_path)
    with opened.transaction() as session:
        # Offers with a gap at id 2 (filled later, as a PostgreSQL sequence commits out of order) and one
        # alone in a far block (deleted later, so its whole block goes).
        for offer_id in (1, 3, 50_000):
            session.add(Offer(id=offer_id, sku=f"SKU{offer_id}", name=f"Meal {offer_id}", kind="product",
                              category="meals", price_minor=12_000, unit_cost_minor=5_000, currency="ZAR"))
    fill(opened)
    with opened.transaction() as session:
        session.add_all([SlaTarget(channel="email", first_response_minutes=60, resolution_minutes=480),
                         SlaTarget(channel="instagram", first_response_minutes=30)])
    yield opened
    opened.close()


@pytest.fixture
def warehouse(tmp_path):
    """An empty DuckDB warehouse."""
    con = ibis.duckdb.connect(tmp_path / "warehouse.duckdb")
    yield con
    con.disconnect()


def change_everything(store: Store) -> None:
    """Inserts, updates and deletes of every kind the app makes, and two it may: a late id and a vanished block."""
    people, deal = contact_ids(store), deal_id(store)
    with store.transaction() as session:
        merge_contacts(session, people[0], people[1], reason="same person on two handles", actor=SYSTEM)
        waiting = session.scalars(select(Engagement.id).where(Engagement.contact_id == people[2])
                                  .order_by(Engagement.id)).all()
        mark_contacted(session, waiting[0], actor=SYSTEM, at=NOW)
        set_spam(session, waiting[1], True, actor=SYSTEM)
        session.execute(update(Deal).where(Deal.id == deal).values(stage="closing", updated_at=NOW))
        session.add(DealStageChange(deal_id=deal, from_stage="proposal", to_stage="closing", changed_at=NOW))
        record_engagements(session, engagements(1000, 12, people=7), actor=SYSTEM)
        session.add(Offer(id=2, sku="SKU2", name="Late meal", kind="product", category="meals", price_minor=9_000,
                          unit_cost_minor=4_000, currency="ZAR"))
        session.execute(delete(Offer).where(Offer.id == 50_000))
        session.execute(delete(Contact).where(Contact.id == people[3]))  # cascades to engagements, identities, audit
        # A table keyed by text is one block: a change to any row re-copies it.
        session.execute(update(SlaTarget).where(SlaTarget.channel == "email").values(first_response_minutes=45))


def test_first_sync_copies_every_table_and_a_second_copies_nothing(store, warehouse):
    expected = expected_tables(store)

    first = sync(store, warehouse)

    assert_same(store, warehouse)
    assert {t.table: (t.rows, t.written, t.removed, t.rebuilt) for t in first.tables} == {
        name: (len(rows), len(rows), 0, True) for name, rows in expected.items()
    }
    for secret in sorted(SECRET_TABLES):
        with pytest.raises(TableNotFound):
            warehouse.table(secret)
    second = sync(store, warehouse)
    assert (second.changed, second.written, second.dropped) == ([], 0, ())
    assert second.summary().startswith("Nothing changed since the last sync: copied nothing (")


def test_inserts_updates_and_deletes_reach_the_warehouse_and_nothing_else_is_copied(store, warehouse):
    sync(store, warehouse)
    before = expected_tables(store)
    change_everything(store)
    after = expected_tables(store)

    report = sync(store, warehouse)

    assert_same(store, warehouse)
    differing = {name for name in after if after[name] != before[name]}
    assert {"engagement", "contact", "identity", "deal", "deal_stage_change", "offer", "contact_merge",
            "sla_target"} <= differing
    assert {t.table for t in report.changed} == differing
    assert {t.table: t.rows for t in report.tables} == {name: len(rows) for name, rows in after.items()}
    assert not any(t.rebuilt for t in report.tables)
    assert sync(store, warehouse).changed == []


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_full_sync_copies_every_table_afresh(store, warehouse):
    sync(store, warehouse)
    change_everything(store)

    report = sync(store, warehouse, full=True)

    assert_same(store, warehouse)
    expected = expected_tables(store)
    assert {t.table: (t.written, t.rebuilt) for t in report.tables} == {
        name: (len(rows), True) for name, rows in expected.items()
    }


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_new_time_zone_rebuilds_exactly_the_tables_with_local_days(store, warehouse):
    sync(store, warehouse)
    with store.transaction() as session:
        session.execute(update(Workspace).values(timezone="America/New_York"))

    report = sync(store, warehouse)

    assert_same(store, warehouse)  # the days now follow New York
    with_instants = {t.name for t in metadata.sorted_tables if t.name not in SECRET_TABLES
                     and any(isinstance(c.type, UTCDateTime) for c in t.columns)}
    assert {t.table for t in report.tables if t.rebuilt} == with_instants


def test_sync_into_a_postgresql_warehouse(tmp_path):
    store = open_store("sqlite", tmp_path)
    fill(store)
    target = settings_for("postgresql", tmp_path / "pg-warehouse", database="accord_wh_sync")
    warehouse = ibis.connect(target.database_url.replace("postgresql+psycopg://", "postgres://"))
    try:
        sync(store, warehouse)
        assert_same(store, warehouse)
        change_everything_without_offers(store)
        report = sync(store, warehouse)
        assert_same(store, warehouse)
        assert report.changed and sync(store, warehouse).changed == []
    finally:
        warehouse.disconnect()
        store.close()


def change_everything_without_offers(store: Store) -> None:
    """The app's own kinds of change: a merge, an answer, spam, new engagements and a deleted contact."""
    people = contact_ids(store)
    with store.transaction() as session:
        merge_contacts(session, people[0], people[1], reason="same person", actor=SYSTEM)
        set_spam(session, session.scalars(select(Engagement.id).where(Engagement.contact_id == people[2])).first(),
                 True, actor=SYSTEM)
        record_engagements(session, engagements(2000, 5, people=3), actor=SYSTEM)
        session.execute(delete(Contact).where(Contact.id == people[3]))


def test_a_store_without_a_workspace_is_refused(tmp_path):
    store = Store.open(settings_for("sqlite", tmp_path / "empty"), upgrade=True)
    warehouse = ibis.duckdb.connect()
    with pytest.raises(SetupError) as refused:
        sync(store, warehouse)
    assert refused.value.message == "the store has no workspace yet: run `accord init` before `accord sync`"
    store.close()


def test_a_warehouse_sync_cannot_write_is_refused(tmp_path):
    store = open_store("sqlite", tmp_path)
    with pytest.raises(SetupError) as refused:
        sync(store, ibis.sqlite.connect())
    assert refused.value.message == (
        "accord sync writes DuckDB and PostgreSQL warehouses, not sqlite; sync into one of those and point "
        "Spark at it, or leave ACCORD_WAREHOUSE_URL unset"
    )
    store.close()


def test_the_default_warehouse_is_a_duckdb_file_in_the_workspace(tmp_path):
    warehouse = connect(Settings(workspace=tmp_path / "ws"))
    try:
        assert (warehouse.name, (tmp_path / "ws" / "warehouse.duckdb").exists()) == ("duckdb", True)
    finally:
        warehouse.disconnect()


@pytest.mark.parametrize(("url", "message"), [
    ("postgres://accord:secret@127.0.0.1:1/reviews",
     "cannot open the warehouse at postgres://accord:***@127.0.0.1:1/reviews: connection failed: connection to "
     "server at \"127.0.0.1\", port 1 failed: Connection refused"),
    ("mysql://accord@db/reviews",
     "ACCORD_WAREHOUSE_URL 'mysql://accord@db/reviews' is not a warehouse Accord can use; use "
     "duckdb:///path/to/file.duckdb, postgres://user:password@host:5432/dbname or pyspark://local"),
])
def test_a_warehouse_that_cannot_be_opened_is_one_clear_line(tmp_path, url, message):
    with pytest.raises(SetupError) as refused:
        connect(Settings(workspace=tmp_path, warehouse_url=url))
    assert refused.value.message == message


def test_a_table_dropped_from_the_warehouse_by_hand_is_copied_again(tmp_path):
    store = open_store("sqlite", tmp_path)
    fill(store)
    warehouse = ibis.duckdb.connect(tmp_path / "warehouse.duckdb")
    sync(store, warehouse)
    warehouse.con.execute("DROP TABLE engagement")

    report = sync(store, warehouse)

    assert [(t.table, t.rebuilt) for t in report.changed] == [("engagement", True)]
    assert_same(store, warehouse)
    warehouse.disconnect()
    store.close()
