"""The workspace row: created once with checked settings; and each test's writes vanish after it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from accord.errors import Invalid, NotFound
from accord.kernel.models import Workspace
from accord.kernel.workspace import DEFAULT_HOURS, ensure_workspace, get_workspace


def test_ensure_workspace_creates_the_one_row_with_checked_settings(session):
    workspace = ensure_workspace(
        session, name="  Soweto Candle Co ", base_currency="zar", timezone="Africa/Johannesburg", default_region="za"
    )
    session.expire_all()

    stored = get_workspace(session)
    assert stored is workspace
    assert (stored.id, stored.name, stored.base_currency, stored.timezone, stored.default_region) == (
        1, "Soweto Candle Co", "ZAR", "Africa/Johannesburg", "ZA",
    )
    assert (stored.business_hours, stored.holidays) == (DEFAULT_HOURS, [])
    assert stored.created_at.tzinfo is not None


def test_ensure_workspace_returns_an_existing_one_unchanged(session):
    first = ensure_workspace(session, name="Soweto Candle Co")

    again = ensure_workspace(session, name="Another name", base_currency="USD")

    assert again is first
    assert (again.name, again.base_currency) == ("Soweto Candle Co", "ZAR")
    assert session.scalar(select(func.count()).select_from(Workspace)) == 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"base_currency": "RAND"}, "base_currency: 'RAND' is not an ISO 4217 currency code"),
        (
            {"timezone": "Africa/Soweto"},
            "timezone: 'Africa/Soweto' is not an IANA time zone such as Africa/Johannesburg",
        ),
        ({"default_region": "ZAF"}, "default_region: 'ZAF' is not a two-letter country code"),
        ({"default_region": "Z1"}, "default_region: 'Z1' is not a two-letter country code"),
        ({"name": "   "}, "name: the business needs a name of 1 to 200 characters"),
        ({"name": "x" * 201}, "name: the business needs a name of 1 to 200 characters"),
    ],
)
def test_bad_workspace_settings_are_refused_and_nothing_is_stored(session, settings, message):
    with pytest.raises(Invalid) as refused:
        ensure_workspace(session, **settings)

    assert refused.value.message == message
    assert session.scalar(select(func.count()).select_from(Workspace)) == 0


def test_without_a_workspace_the_store_says_to_run_init(session):
    with pytest.raises(NotFound) as missing:
        get_workspace(session)

    assert missing.value.message == "this store has no workspace yet: run `accord init`"


def test_the_schema_allows_only_one_workspace(session):
    ensure_workspace(session)

    with pytest.raises(IntegrityError) as refused:
        with session.begin_nested():
            session.add(Workspace(id=2, name="Second", base_currency="ZAR", timezone="UTC", default_region="ZA",
                                  business_hours={}, holidays=[], created_at=get_workspace(session).created_at))
            session.flush()

    if session.get_bind().dialect.name == "postgresql":
        assert refused.value.orig.diag.constraint_name == "ck_workspace_single_row"
    else:
        assert str(refused.value.orig) == "CHECK constraint failed: ck_workspace_single_row"


# These two run in file order: the first commits, the second proves the commit was rolled back.
def test_a_commit_inside_a_test_part_one(session):
    ensure_workspace(session, name="Committed by a test")
    session.commit()

    assert session.scalar(select(Workspace.name)) == "Committed by a test"


def test_a_commit_inside_a_test_part_two_is_gone(session):
    assert session.scalar(select(func.count()).select_from(Workspace)) == 0
