"""Presets: mapping files bundled for common exports. Each is exactly what a user could write with --mapping."""

from __future__ import annotations

import tomllib

from accord.errors import Invalid

from .mapping import Mapping, parse_mapping

PRESETS: dict[str, str] = {
    # The UCI YouTube Spam Collection layout, which is YouTube Data API comments flattened to CSV:
    # COMMENT_ID, AUTHOR (the display name; the only handle the export has), DATE (UTC, no offset), CONTENT.
    "youtube-comments": """
kind = "engagements"
source = "youtube"
timezone = "UTC"

[fields]
external_id = "COMMENT_ID"
# Some published comments carry no date; they are still people to answer, so they count from the import.
occurred_at = { column = "DATE", default = "import-time" }
channel = { value = "youtube" }
kind = { value = "comment" }
text = "CONTENT"
display_name = "AUTHOR"

[[identity]]
kind = "handle"
column = "AUTHOR"
channel = "youtube"
""",
    # Instagram Graph API comments (id, username, timestamp, text), as JSON Lines or CSV.
    "instagram-comments": """
kind = "engagements"
source = "instagram"

[fields]
external_id = "id"
occurred_at = "timestamp"
channel = { value = "instagram" }
kind = { value = "comment" }
text = "text"
display_name = "username"

[[identity]]
kind = "handle"
column = "username"
channel = "instagram"
""",
    # Facebook Graph API comments (id, from.id, from.name, created_time, message, permalink_url);
    # nested JSON objects are read with dotted names, and CSV exports use the same dotted headers.
    "facebook-comments": """
kind = "engagements"
source = "facebook"

[fields]
external_id = "id"
occurred_at = "created_time"
channel = { value = "facebook" }
kind = { value = "comment" }
text = "message"
url = "permalink_url"
display_name = "from.name"

[[identity]]
kind = "handle"
column = "from.id"
channel = "facebook"
""",
    # The UCI Online Retail invoice lines (one CSV per day in the Spark book's copy): an invoice is an order,
    # 'C' invoices are cancellations (refund lines), CustomerID is the shop's customer number written as a
    # float ("17850.0"), a handle on channel 'other'. Prices are GBP; times are the shop's local time.
    "online-retail": """
kind = "orders"
source = "online-retail"
timezone = "Europe/London"
currency = "GBP"

[fields]
order_id = "InvoiceNo"
ordered_at = "InvoiceDate"
sku = "StockCode"
description = "Description"
quantity = "Quantity"
unit_price = "UnitPrice"
country = "Country"
channel = { value = "website" }

[[identity]]
kind = "handle"
column = "CustomerID"
channel = "other"
pattern = '^(\\d+)(?:\\.0+)?$'

[refund]
column = "InvoiceNo"
prefix = "C"

[countries]
"Channel Islands" = ""
"European Community" = ""
"Unspecified" = ""
""",
    # Olist's marketing-qualified leads: one row per lead (mql_id) with the day of first contact, the landing
    # page and the origin (the marketing channel). Each becomes a contact at stage lead, known by mql_id as a
    # handle on 'other', with a visit touch carrying origin and landing page as utm_medium and utm_content.
    # The contact keeps the raw origin as attribute lead_origin ("(none)" where the file leaves it empty, so
    # those 60 leads still form a group of their own) and the landing page as landing_page.
    "olist-mql": """
kind = "leads"
source = "olist-mql"
timezone = "America/Sao_Paulo"

[fields]
external_id = "mql_id"
occurred_at = "first_contact_date"
channel = "origin"
display_name = { template = "Olist lead {mql_id:.8}" }
touch_kind = { value = "visit" }
utm_medium = "origin"
utm_content = "landing_page_id"

[[identity]]
kind = "handle"
column = "mql_id"
channel = "other"

[attributes]
lead_origin = { column = "origin", default = "(none)" }
landing_page = "landing_page_id"

[values.channel]
organic_search = "website"
paid_search = "website"
direct_traffic = "website"
display = "website"
social = "other"
email = "email"
referral = "referral"
other = "other"
other_publicities = "other"
unknown = "other"
"" = "other"
""",
    # Olist's closed deals: the leads that became sellers. Each is a won deal (value: the declared monthly
    # revenue, BRL) for the lead's contact, which also gets the seller id as a handle on 'marketplace'.
    # Segment, lead type, behaviour profile and the rest are kept as the deal's details, which become the deal's
    # attributes (non-empty values only: most deals leave has_company, has_gtin and the stock columns empty).
    "olist-closed-deals": """
kind = "leads"
source = "olist-closed-deals"
timezone = "America/Sao_Paulo"
currency = "BRL"

[fields]
occurred_at = "won_date"
channel = { value = "other" }
display_name = { template = "Olist lead {mql_id:.8}" }
stage = { value = "won" }
closed_at = "won_date"
value = "declared_monthly_revenue"
title = { template = "Olist seller {seller_id:.8}" }

[[identity]]
kind = "handle"
column = "mql_id"
channel = "other"

[[identity]]
kind = "handle"
column = "seller_id"
channel = "marketplace"

[details]
seller_id = "seller_id"
sdr_id = "sdr_id"
sr_id = "sr_id"
business_segment = "business_segment"
lead_type = "lead_type"
lead_behaviour_profile = "lead_behaviour_profile"
business_type = "business_type"
has_company = "has_company"
has_gtin = "has_gtin"
average_stock = "average_stock"
declared_product_catalog_size = "declared_product_catalog_size"
""",
}


def preset_names() -> list[str]:
    """The presets there are, sorted."""
    return sorted(PRESETS)


def load_preset(name: str) -> Mapping:
    """A bundled mapping by name, or Invalid listing the names there are."""
    text = PRESETS.get(name)
    if text is None:
        raise Invalid("--preset", f"'{name}' is not a preset (presets: {', '.join(preset_names())})")
    return parse_mapping(tomllib.loads(text), name=f"preset {name}")
