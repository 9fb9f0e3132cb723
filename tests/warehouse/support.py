"""A small business made through the services, and the whole-content comparison of store and warehouse."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Column, Table, select

import factories
from accord.contacts.identity import email_key, handle_key
from accord.engagement.service import EngagementRecord, record_engagements
from accord.kernel.audit import SYSTEM
from accord.kernel.db import UTCDateTime
from accord.kernel.store import Store
from accord.kernel.workspace import ensure_workspace
from accord.models import metadata
from accord.pipeline.models import Deal
from stores import settings_for

UTC = timezone.utc
# Instants either side of local midnight and of London's clock change (29 March 2026, 01:00 UTC).
INSTANTS = [
    datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # London 23:30 GMT, the 28th
    datetime(2026, 3, 29, 23, 30, tzinfo=UTC),  # London 00:30 BST, the 30th
    datetime(2026, 1, 15, 21, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 6, 30, 23, 0, tzinfo=UTC),  # London 00:00 BST, 1 July
]
# What the warehouse must never hold, written out here rather than taken from the code under test.
SECRET_TABLES = {"web_session", "api_token"}
SECRET_COLUMNS = {("app_user", "password_hash")}


def open_store(backend: str, folder: Path, *, timezone_name: str = "Europe/London") -> Store:
    """A fresh store at the head schema with its workspace."""
    # One PostgreSQL database for every store here, emptied each time: creating and dropping one costs seconds.
    store = Store.open(settings_for(backend, folder / "store", database="accord_wh_store"), upgrade=True)
    with store.transaction() as session:
        ensure_workspace(session, name="Warehouse test", timezone=timezone_name)
    return store


def engagements(first: int, count: int, *, people: int = 5, start: datetime = INSTANTS[0]) -> list[EngagementRecord]:
    """`count` comments from `people` people, numbered from `first`."""
    return [
        EngagementRecord(
            source="test", external_id=f"e{n}", channel="instagram", kind="comment",
            occurred_at=INSTANTS[n % len(INSTANTS)] if n < first + len(INSTANTS) else start + timedelta(minutes=n),
            keys=(handle_key("instagram", f"person{n % people}"),), display_name=f"Person {n % people}",
            text=f"Do you deliver on day {n}? — ñandú",
        )
        for n in range(first, first + count)
    ]


def fill(store: Store) -> None:
    """People, engagements, a deal, orders with a refund, and a rate: rows in most kinds of column."""
    with store.transaction() as session:
        record_engagements(session, engagements(0, 40), actor=SYSTEM)
        record_engagements(session, [EngagementRecord(
            source="form", external_id="f1", channel="website", kind="form_submit", occurred_at=INSTANTS[1],
            keys=(email_key("thandi@example.com"),), display_name="Thandi", text=None)], actor=SYSTEM)
        buyer = factories.contact(session, name="Buyer", stage="customer", at=INSTANTS[2])
        factories.deal(session, buyer, stage="proposal")
        factories.order(session, buyer, at=INSTANTS[3], lines=[(2, 15_000), (-1, 15_000)])
        factories.rate(session, "USD", date(2026, 1, 1), "18.1234567891")


def contact_ids(store: Store) -> list[int]:
    """The store's contact ids, in order."""
    from accord.contacts.models import Contact

    with store.transaction() as session:
        return list(session.scalars(select(Contact.id).order_by(Contact.id)))


def deal_id(store: Store) -> int:
    """The id of the one deal."""
    with store.transaction() as session:
        return session.scalars(select(Deal.id)).one()


def _day_column(name: str) -> str:
    return "day" if name == "at" else name.removesuffix("_at") + "_day"


def _copied_columns(table: Table) -> list[Column]:
    return [c for c in table.columns if (table.name, c.name) not in SECRET_COLUMNS]


def expected_columns(table: Table) -> list[str]:
    """The store's columns (secrets left out), then a local day for each UTC instant."""
    columns = _copied_columns(table)
    return [c.name for c in columns] + [_day_column(c.name) for c in columns if isinstance(c.type, UTCDateTime)]


def expected_tables(store: Store) -> dict[str, list[dict[str, Any]]]:
    """What the warehouse must hold: every store row, secrets left out, each UTC instant with its local day."""
    with store.transaction() as session:
        zone = ZoneInfo(session.execute(select(metadata.tables["workspace"].c.timezone)).scalar_one())
        tables = {}
        for table in metadata.sorted_tables:
            if table.name in SECRET_TABLES:
                continue
            columns = _copied_columns(table)
            rows = []
            for row in session.execute(select(*columns)).mappings():
                values = dict(row)
                for column in columns:
                    if isinstance(column.type, UTCDateTime):
                        at = values[column.name]
                        values[_day_column(column.name)] = None if at is None else at.astimezone(zone).date()
                rows.append(_plain(table, values))
            tables[table.name] = sorted(rows, key=_order)
    return tables


def warehouse_tables(warehouse: Any, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every row of the named warehouse tables, read through Ibis."""
    return {
        name: sorted((_plain(metadata.tables[name], row) for row in warehouse.table(name).to_pyarrow().to_pylist()),
                     key=_order)
        for name in names
    }


def _plain(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Values in one comparable form: instants in UTC, JSON parsed (the warehouse keeps its text), numbers exact."""
    plain = {}
    for name, value in row.items():
        if isinstance(value, datetime):
            value = value.astimezone(UTC)
        elif isinstance(value, str) and name in table.c and isinstance(table.c[name].type, JSON):
            value = json.loads(value)
        elif isinstance(value, Decimal):
            value = value.normalize()
        plain[name] = value
    return plain


def _order(row: dict[str, Any]) -> tuple:
    return tuple((v is None, str(v)) for v in row.values())


def assert_same(store: Store, warehouse: Any) -> None:
    """The warehouse holds exactly the store's tables, columns and rows (secrets excepted)."""
    expected = expected_tables(store)
    assert set(expected) == {t.name for t in metadata.sorted_tables} - SECRET_TABLES
    for name in sorted(expected):
        assert list(warehouse.table(name).columns) == expected_columns(metadata.tables[name]), name
    actual = warehouse_tables(warehouse, sorted(expected))
    for name in sorted(expected):
        assert actual[name] == expected[name], f"table {name} differs"
