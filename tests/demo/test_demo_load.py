"""The demo business: deterministic, idempotent, resumable, and shaped like a real business, on both stores."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import CheckConstraint, func, select, text
from sqlalchemy.orm import Session

from accord.accounts.models import User
from accord.contacts.identity import email_key, handle_key, phone_key
from accord.contacts.models import Contact, Identity
from accord.demo.generator import SCALES
from accord.demo.loader import DEMO_TABLES, STAFF, DemoSummary, load_demo
from accord.demo.models import DemoPersonaTruth, DemoRun
from accord.engagement.models import Engagement
from accord.engagement.queries import waiting_count
from accord.errors import Conflict, Invalid
from accord.kernel.audit import timeline
from accord.kernel.db import Base
from accord.kernel.models import AuditEvent, CurrencyRate
from accord.kernel.store import Store
from accord.pipeline.models import OPEN_DEAL_STAGES, Deal, Order, OrderLine
from stores import settings_for

ANCHOR = date(2026, 11, 15)
SAST = timezone(timedelta(hours=2))
CHUNK = SCALES["small"].chunk  # contacts written per transaction


class Interrupted(Exception):
    """Stands in for Ctrl-C or a crash part-way through a load."""


@dataclass
class Demo:
    """A store with the small demo loaded, and what loading it reported."""

    store: Store
    summary: DemoSummary
    reports: list[tuple[str, int, int]]  # every progress call, in order


def _table_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {t: connection.scalar(text(f'SELECT count(*) FROM "{t}"')) for t in DEMO_TABLES}


def _content_hash(store: Store) -> str:
    """A digest of every demo table's rows as the database stores them, in primary-key order."""
    digest = hashlib.sha256()
    with store.engine.connect() as connection:
        for name in DEMO_TABLES:
            key = ", ".join(f'"{c.name}"' for c in Base.metadata.tables[name].primary_key.columns)
            for row in connection.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY {key}'):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def demo(backend: str, tmp_path_factory) -> Iterator[Demo]:
    """The small demo, loaded once per backend for every test of this module."""
    store = Store.open(settings_for(backend, tmp_path_factory.mktemp(f"demo-{backend}")), upgrade=True)
    reports: list[tuple[str, int, int]] = []
    summary = load_demo(store, anchor_on=ANCHOR, progress=lambda *report: reports.append(report))
    yield Demo(store, summary, reports)
    store.close()


@pytest.fixture(scope="module")
def resumed(backend: str, tmp_path_factory) -> Iterator[tuple[Store, dict[str, object], DemoSummary]]:
    """A second store whose first load stopped in its second chunk, then was run again."""
    store = Store.open(settings_for(backend, tmp_path_factory.mktemp(f"resumed-{backend}")), upgrade=True)

    def stop_in_second_chunk(label: str, done: int, total: int) -> None:
        if label == "contacts and their history" and done > CHUNK:
            raise Interrupted

    with pytest.raises(Interrupted):
        load_demo(store, anchor_on=ANCHOR, progress=stop_in_second_chunk)
    with store.transaction() as session:
        partial = {
            "runs": [(r.seed, r.scale, r.status) for r in session.scalars(select(DemoRun))],
            "contacts": session.scalar(select(func.count()).select_from(Contact)),
        }
    yield store, partial, load_demo(store, anchor_on=ANCHOR)
    store.close()


@pytest.fixture
def session(demo: Demo) -> Iterator[Session]:
    """A read-only look at the loaded demo, rolled back afterwards."""
    with demo.store.sessions() as db_session:
        yield db_session
        db_session.rollback()


def test_the_small_demo_reports_what_it_wrote(demo: Demo):
    summary = demo.summary
    assert (summary.seed, summary.scale, summary.anchor_on, summary.already_loaded) == (7, "small", ANCHOR, False)
    assert summary.counts == _table_counts(demo.store)
    assert summary.counts["contact"] == 3_000
    assert 20_000 <= summary.counts["engagement"] <= 40_000
    assert 5_000 <= summary.counts["order_line"] <= 10_000
    assert all(summary.counts[t] > 0 for t in DEMO_TABLES)
    with demo.store.transaction() as session:
        runs = session.scalars(select(DemoRun)).all()
    assert [(r.seed, r.scale, r.anchor_on, r.status, r.counts["rows"]) for r in runs] == [
        (7, "small", ANCHOR, "loaded", summary.counts)]


def test_progress_is_reported_stage_by_stage(demo: Demo):
    reports = demo.reports
    assert reports[:3] == [("reference data", 0, 1), ("reference data", 1, 1), ("contacts and their history", 0, 3_000)]
    people = [done for label, done, total in reports[2:] if (label, total) == ("contacts and their history", 3_000)]
    assert len(people) == len(reports) - 2 and people == sorted(people) and people[-1] == 3_000
    assert len(set(people)) > 30  # often enough to move a progress bar smoothly


def test_a_second_identical_call_writes_nothing(demo: Demo):
    before = _table_counts(demo.store)
    again = load_demo(demo.store, anchor_on=ANCHOR + timedelta(days=3))  # the anchor does not matter then
    assert (again.seed, again.scale, again.anchor_on, again.counts, again.already_loaded) == (
        7, "small", ANCHOR, demo.summary.counts, True)
    assert _table_counts(demo.store) == before


def test_another_demo_is_refused_and_nothing_is_written(demo: Demo):
    before = _table_counts(demo.store)
    for seed, scale in ((8, "small"), (7, "large")):
        with pytest.raises(Conflict) as refused:
            load_demo(demo.store, seed=seed, scale=scale, anchor_on=ANCHOR)
        assert refused.value.message == (
            "this workspace already holds the demo business with seed 7 at scale small; "
            "load another demo into a fresh workspace with --workspace")
    assert _table_counts(demo.store) == before


def test_a_workspace_with_its_own_contacts_is_refused(backend: str, tmp_path):
    store = Store.open(settings_for(backend, tmp_path), upgrade=True)
    try:
        with store.transaction() as session:
            at = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
            session.add(Contact(display_name="Sipho", lifecycle_stage="lead", first_channel="whatsapp",
                                created_at=at, updated_at=at))
        with pytest.raises(Conflict) as refused:
            load_demo(store, anchor_on=ANCHOR)
        assert refused.value.message == (
            "this workspace already holds 1 contact that the demo did not write; "
            "load the demo into a fresh workspace with --workspace")
        with store.transaction() as session:
            assert session.scalar(select(func.count()).select_from(DemoRun)) == 0
            assert session.scalar(select(func.count()).select_from(User)) == 0
    finally:
        store.close()


def test_an_unknown_scale_is_refused(demo: Demo):
    with pytest.raises(Invalid) as refused:
        load_demo(demo.store, scale="medium")
    assert refused.value.message == "scale: 'medium' is not a demo scale; use one of small, large"


def test_an_interrupted_load_is_undone_and_ends_exactly_like_an_uninterrupted_one(demo: Demo, resumed):
    store, partial, summary = resumed
    assert partial == {"runs": [(7, "small", "loading")], "contacts": CHUNK}
    assert (summary.already_loaded, summary.counts) == (False, demo.summary.counts)
    with store.transaction() as session:
        assert [(r.seed, r.scale, r.status) for r in session.scalars(select(DemoRun))] == [(7, "small", "loaded")]
    # same seed, scale and anchor in two fresh stores: the same rows, byte for byte
    assert _content_hash(store) == _content_hash(demo.store)


def test_every_check_and_foreign_key_holds(demo: Demo):
    # SQLite loads with CHECKs and foreign keys switched off for speed, so prove here that nothing broke them
    with demo.store.engine.connect() as connection:
        broken = {}
        for name in DEMO_TABLES:
            for constraint in Base.metadata.tables[name].constraints:
                if isinstance(constraint, CheckConstraint):
                    bad = connection.scalar(text(f'SELECT count(*) FROM "{name}" WHERE NOT ({constraint.sqltext})'))
                    if bad:
                        broken[f"{name}.{constraint.name}"] = bad
        if demo.store.engine.dialect.name == "sqlite":
            broken.update({f"fk:{row[0]}->{row[2]}": row[1] for row in connection.exec_driver_sql(
                "PRAGMA foreign_key_check")})
    assert broken == {}


def test_rows_read_back_through_the_orm(session: Session):
    engagement = session.scalars(select(Engagement).where(Engagement.answered_at.is_not(None)).limit(1)).one()
    assert engagement.occurred_at.tzinfo == timezone.utc and engagement.answered_at > engagement.occurred_at
    assert isinstance(engagement.is_spam, bool) and engagement.source == "demo"
    if session.get_bind().dialect.name == "sqlite":  # stored exactly as SQLAlchemy itself stores a UTC time
        stored = session.scalar(text("SELECT occurred_at FROM engagement WHERE id = :id"), {"id": engagement.id})
        assert stored == engagement.occurred_at.strftime("%Y-%m-%d %H:%M:%S.%f")
    rate = session.scalars(select(CurrencyRate).where(CurrencyRate.currency == "USD").limit(1)).one()
    assert isinstance(rate.rate, Decimal) and Decimal("10") < rate.rate < Decimal("30")
    deal = session.scalars(select(Deal).where(Deal.stage == "proposal").limit(1)).one()
    assert isinstance(deal.expected_close_on, date) and deal.expected_close_on > ANCHOR
    assert session.get(DemoPersonaTruth, deal.contact_id).persona_key in (
        "busy_professional", "family_host", "corporate_buyer")
    last = session.scalar(select(func.max(Engagement.occurred_at)))
    assert last == datetime(2026, 11, 15, 8, tzinfo=SAST)  # history stops as the team starts on anchor_on


def test_normal_inserts_work_after_the_load(demo: Demo):
    with demo.store.engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection)
        highest = session.scalar(select(func.max(Contact.id)))
        at = datetime(2026, 11, 16, 9, tzinfo=timezone.utc)
        contact = Contact(display_name="New", first_channel="email", created_at=at, updated_at=at)
        session.add(contact)
        session.flush()
        assert contact.id > highest
        session.close()
        outer.rollback()


def test_staff_exist_once_with_their_roles_and_do_the_work(session: Session):
    users = session.scalars(select(User).order_by(User.id)).all()
    assert [(u.email, u.name, u.role) for u in users] == list(STAFF)
    assert users[0].password_hash != users[1].password_hash and users[0].password_hash.startswith("$argon2")
    answered_by = dict(session.execute(select(Engagement.answered_by_user_id, func.count()).where(
        Engagement.answered_at.is_not(None)).group_by(Engagement.answered_by_user_id)).all())
    assert set(answered_by) == {u.id for u in users}


def _revenue_by_month(session: Session) -> dict[str, int]:
    """Revenue in rand per local calendar month, foreign orders converted at the day's rate."""
    rates = {(r.currency, r.valid_from): r.rate for r in session.scalars(select(CurrencyRate))}
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    rows = session.execute(select(Order.ordered_at, Order.currency, OrderLine.quantity, OrderLine.unit_price_minor)
                           .join(OrderLine, OrderLine.order_id == Order.id))
    for ordered_at, currency, quantity, price in rows:
        local = ordered_at.astimezone(SAST)
        rate = Decimal(1) if currency == "ZAR" else rates[(currency, local.date())]
        revenue[local.strftime("%Y-%m")] += quantity * price * rate
    return {month: int(amount) for month, amount in revenue.items()}


def test_december_peaks_and_january_dips(session: Session):
    revenue = _revenue_by_month(session)
    current = ANCHOR.year * 12 + ANCHOR.month - 1
    months = [f"{(current - i) // 12}-{(current - i) % 12 + 1:02d}" for i in range(1, 25)]  # the last 24 full months
    assert len(set(months)) == 24 and months[0] == "2026-10" and months[-1] == "2024-11"
    by_month = Counter()
    for month in months:
        by_month[int(month[5:])] += revenue[month]
    december, january = by_month[12], by_month[1]
    assert all(december > by_month[m] for m in range(1, 12))
    assert january < sum(by_month.values()) / 12


def test_order_lines_keep_price_and_cost_and_refunds_are_negative(session: Session):
    lines = session.execute(select(OrderLine.order_id, OrderLine.quantity, OrderLine.unit_price_minor,
                                   OrderLine.unit_cost_minor, OrderLine.description)).all()
    assert all(price >= 0 and cost is not None and cost >= 0 for _, _, price, cost, _ in lines)
    by_order = defaultdict(set)
    for order_id, quantity, _, _, description in lines:
        by_order[order_id].add((quantity < 0, description.startswith("Refund: ")))
    kinds = Counter(frozenset(v) for v in by_order.values())
    assert set(kinds) == {frozenset({(False, False)}), frozenset({(True, True)})}  # refunds are orders of their own
    assert 0 < kinds[frozenset({(True, True)})] < 0.05 * len(by_order)
    currencies = dict(session.execute(select(Order.currency, func.count()).group_by(Order.currency)).all())
    assert set(currencies) == {"ZAR", "USD", "GBP"} and currencies["ZAR"] > 0.95 * sum(currencies.values())


def test_three_personas_with_their_own_channels(session: Session):
    personas = dict(session.execute(select(DemoPersonaTruth.persona_key, func.count()).group_by(
        DemoPersonaTruth.persona_key)).all())
    assert set(personas) == {"busy_professional", "family_host", "corporate_buyer"}
    assert all(n > 300 for n in personas.values())
    channels = defaultdict(Counter)
    rows = session.execute(select(DemoPersonaTruth.persona_key, Engagement.channel, func.count())
                           .join(Engagement, Engagement.contact_id == DemoPersonaTruth.contact_id)
                           .group_by(DemoPersonaTruth.persona_key, Engagement.channel))
    for persona, channel, n in rows:
        channels[persona][channel] = n
    assert {p: c.most_common(1)[0][0] for p, c in channels.items()} == {
        "busy_professional": "instagram", "family_host": "facebook", "corporate_buyer": "linkedin"}


def test_the_inbox_has_work_and_the_past_was_answered(session: Session):
    assert waiting_count(session) > 0
    week_ago = datetime(2026, 11, 8, tzinfo=timezone.utc)
    older = select(func.count()).select_from(Engagement).where(Engagement.occurred_at < week_ago,
                                                               Engagement.is_spam.is_(False))
    answered = session.scalar(older.where(Engagement.answered_at.is_not(None)))
    assert answered > 0.9 * session.scalar(older)
    assert session.scalar(select(func.count()).select_from(Engagement).where(
        Engagement.is_spam.is_(True), Engagement.answered_at.is_not(None))) == 0
    assert session.scalar(select(func.count()).select_from(Engagement).where(Engagement.is_spam.is_(True))) > 0


def test_lifecycle_stages_match_what_happened(session: Session):
    stage = dict(session.execute(select(Contact.id, Contact.lifecycle_stage)).all())
    buyers = set(session.scalars(select(Order.contact_id).distinct()))
    with_deal = set(session.scalars(select(Deal.contact_id).distinct()))
    reviewers = set(session.scalars(select(Engagement.contact_id).where(Engagement.kind == "review")))
    assert {c for c, s in stage.items() if s in ("customer", "ambassador")} == buyers
    assert {c for c, s in stage.items() if s in ("opportunity", "customer", "ambassador")} == with_deal
    assert {c for c, s in stage.items() if s == "ambassador"} == reviewers
    assert Counter(stage.values()).keys() == {"follower", "engager", "lead", "opportunity", "customer", "ambassador"}
    open_stages = dict(session.execute(select(Deal.stage, func.min(Deal.expected_close_on)).where(
        Deal.stage.in_(OPEN_DEAL_STAGES)).group_by(Deal.stage)).all())
    assert set(open_stages) == set(OPEN_DEAL_STAGES) and min(open_stages.values()) > ANCHOR
    lost = session.scalars(select(Deal.lost_reason).where(Deal.stage == "lost")).all()
    assert lost and None not in lost


def test_identities_are_normalised_and_unique(session: Session):
    identities = session.execute(select(Identity.kind, Identity.channel, Identity.value)).all()
    for kind, channel, value in identities:
        key = email_key(value) if kind == "email" else phone_key(value, "ZA") if kind == "phone" else handle_key(
            channel, value)
        assert tuple(key) == (kind, channel, value)
    assert len(set(identities)) == len(identities)
    assert {k for k, _, _ in identities} == {"email", "phone", "handle"}


def test_every_contact_has_a_timeline(session: Session):
    customer = session.scalars(select(Contact.id).where(Contact.lifecycle_stage == "ambassador").limit(1)).one()
    events = timeline(session, customer)
    assert events[-1].action == "created" and {e.actor for e in events} == {"demo"}
    moves = [e.summary for e in reversed(events) if e.action == "lifecycle_changed"]
    assert moves == ["Lifecycle follower → engager", "Lifecycle engager → lead", "Lifecycle lead → opportunity",
                     "Lifecycle opportunity → customer", "Lifecycle customer → ambassador"]
    assert {e.entity for e in events} >= {"contact", "deal", "order"}
    without = session.scalar(select(func.count()).select_from(Contact).where(
        Contact.id.not_in(select(AuditEvent.contact_id))))
    assert without == 0
