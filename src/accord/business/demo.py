"""The demo business's first business review and the competitors it watches, written through the services."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from accord.business.schemas import CompetitorIn, ObservationIn, VersionIn
from accord.business.service import add_competitor, add_observation, save_version
from accord.kernel.audit import Actor

DEMO_REVIEW = VersionIn(
    vision="Home-cooked food for every table in Gauteng: weekly meals for busy people, platters for family "
           "gatherings, and catering an office is proud of.",
    note="the first review, from what the team knows",
    entries={
        "need": ["Ordering on WhatsApp without a phone call", "Delivery before lunch in Sandton and Rosebank",
                 "Halaal and vegetarian options", "Quotes and invoices for company orders"],
        "opportunity": ["Year-end functions for companies in December", "Family platters for holidays and braais",
                        "Weekly meal boxes on subscription"],
        "improvement": ["Answer every comment and message within an hour", "Follow up after every order",
                        "Steadier sales in January"],
        "strength": ["Grandmother's recipes, cooked fresh every day", "Customers who bring their friends",
                     "Catering for up to 300 people"],
        "exception": ["No alcohol served", "Closed on Sundays, except for booked events"],
    },
)
# Each competitor, and what was seen it doing: (days before the anchor day, what, where).
DEMO_COMPETITORS: tuple[tuple[CompetitorIn, tuple[tuple[int, str, str], ...]], ...] = (
    (CompetitorIn(name="Mama Thandeka's Kitchen", scope="local", note="Home meals in Soweto and Randburg"),
     ((41, "Launched R99 lunch boxes for offices", "their Instagram"),
      (9, "Free delivery on orders over R500", "a customer"))),
    (CompetitorIn(name="Braai Masters Catering", scope="local", website="braaimasters.example.co.za",
                  note="Braai packs and outdoor events"),
     ((23, "Year-end function packages from R250 a head", "their website"),)),
    (CompetitorIn(name="FreshBox Meal Kits", scope="international", website="freshbox.example.com",
                  note="Meal kits by subscription in twelve countries"),
     ((60, "Skip-a-week button on every subscription", "their app"),)),
)


def add_demo_review(session: Session, *, actor: Actor, anchor_on: date, tz: ZoneInfo) -> int:
    """Save the demo's first review and its competitors, dated before `anchor_on`; returns the audit rows written."""
    def morning(days_before: int) -> datetime:
        return datetime.combine(anchor_on - timedelta(days=days_before), time(9), tzinfo=tz).astimezone(timezone.utc)

    save_version(session, DEMO_REVIEW, actor=actor, at=morning(30))
    written = 1
    for competitor, observations in DEMO_COMPETITORS:
        added = add_competitor(session, competitor, actor=actor, at=morning(90))
        written += 1
        for days_before, text, source in observations:
            seen = ObservationIn(observed_on=anchor_on - timedelta(days=days_before), text=text, source=source)
            add_observation(session, added.id, seen, actor=actor, at=morning(days_before))
            written += 1
    return written
