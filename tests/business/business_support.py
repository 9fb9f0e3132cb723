"""Two versions of a business review that differ in every way a diff can show, for every surface's tests."""

from __future__ import annotations

from accord.business.schemas import VersionIn

FIRST = VersionIn(
    vision="Home-style catering for Soweto families.",
    note="the first review",
    entries={
        "need": ["Orders on WhatsApp", "Delivery before 12:00", "Halaal options"],
        "opportunity": ["Corporate year-end functions"],
        "improvement": ["Faster invoices"],
        "strength": ["Grandmother's recipes", "Fast delivery in Soweto", "Friendly staff"],
        "exception": ["No alcohol served", "Closed on Sundays"],
    },
)
SECOND = VersionIn(
    vision="Home-style catering for Soweto and Johannesburg families.",
    note="after the March review",
    entries={
        # One added above, one reworded in place, one kept with new case and a full stop.
        "need": ["Vegetarian menu", "orders on whatsapp.", "Delivery before 11:00", "Halaal options"],
        "opportunity": ["Corporate year-end functions", "Wedding catering"],
        # Same place, but not alike: one removed and one added.
        "improvement": ["Answer messages within an hour"],
        "strength": ["Grandmother's recipes", "Fast delivery in Soweto and Alexandra", "Friendly staff"],
        "exception": ["Closed on Sundays", "No alcohol served"],
    },
)
