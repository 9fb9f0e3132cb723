"""Pages show stored UTC times in the workspace's own time zone, whichever zone that is."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from accord.contacts.identity import email_key
from accord.contacts.service import PersonIn, resolve_person
from accord.kernel.audit import SYSTEM
from web.conftest import served
from stores import settings_for

SEEN = datetime(2026, 3, 2, 3, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(("zone", "shown"), [
    ("America/New_York", "01 Mar 2026 22:30"),  # UTC−5: the evening before
    ("Africa/Johannesburg", "02 Mar 2026 05:30"),
    ("Asia/Kolkata", "02 Mar 2026 09:00"),  # a half-hour offset
])
def test_the_contact_page_and_list_show_first_seen_in_the_workspace_zone(backend, tmp_path, zone, shown):
    with served(settings_for(backend, tmp_path), timezone=zone) as app:
        with app.store.transaction() as session:
            contact_id = resolve_person(session, PersonIn((email_key("early@example.com"),), "Early Bird", "website",
                                                          SEEN), actor=SYSTEM)
        with app.login("sales") as client:
            page = client.get(f"/contacts/{contact_id}")
            listing = client.get("/contacts")
    assert page.status_code == 200
    assert f"First seen on website on {shown}." in page.text
    assert listing.status_code == 200
    assert f"<td>{shown}</td>" in listing.text
