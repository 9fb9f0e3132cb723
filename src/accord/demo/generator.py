"""Kasi Kitchen & Catering: a deterministic demo business, generated chunk by chunk with numpy.

Every value comes from numpy Generators seeded by (seed, part, chunk), so the same seed, scale and
anchor date always give the same rows, and the large scale streams in bounded memory. Internal times
are float days since local midnight of the first day of history (Africa/Johannesburg); they become
UTC epoch seconds only when a table is built.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from accord.kernel.clock import BusinessHours
from accord.kernel.vocabulary import CHANNELS

LOCAL_OFFSET_S = 2 * 3600  # Africa/Johannesburg has kept UTC+2 without daylight saving since 1944
HISTORY_MONTHS = 36  # the business opened three years ago; the first year is its ramp-up
DAY_STARTS = 8 / 24  # history stops at 08:00 on anchor_on, as the team starts its day
NULL_TS = np.iinfo(np.int64).min
INF = np.inf
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class ScaleSpec:
    """How many contacts a scale has, and how many are generated and written together."""

    contacts: int
    chunk: int


SCALES = {"small": ScaleSpec(contacts=3_000, chunk=1_000), "large": ScaleSpec(contacts=1_000_000, chunk=20_000)}


# ---------------------------------------------------------------------------------------------
# Column kinds: the generator says what a column holds; the loader formats it for its database.


@dataclass(frozen=True)
class Ts:
    """UTC instants as int64 epoch seconds; NULL_TS means NULL."""

    seconds: np.ndarray


@dataclass(frozen=True)
class Day:
    """Calendar dates as int64 days since 1970-01-01."""

    days: np.ndarray


@dataclass(frozen=True)
class Flag:
    """Booleans."""

    values: np.ndarray


@dataclass(frozen=True)
class Ref:
    """Nullable integers such as optional foreign keys; 0 means NULL."""

    values: np.ndarray


Column = np.ndarray | Ts | Day | Flag | Ref  # a bare ndarray holds non-null ints, or objects (str or None)


@dataclass(frozen=True)
class Rows:
    """Rows for one table, column by column, in the order they are inserted."""

    table: str
    columns: dict[str, Column]

    def __len__(self) -> int:
        return len(_array(next(iter(self.columns.values()))))


def _array(column: Column) -> np.ndarray:
    """The array inside a column, whatever its kind."""
    if isinstance(column, Ts):
        return column.seconds
    if isinstance(column, Day):
        return column.days
    if isinstance(column, Flag | Ref):
        return column.values
    return column


def _text(values: Sequence[str | None]) -> np.ndarray:
    return np.asarray(list(values), dtype=object)


# ---------------------------------------------------------------------------------------------
# The business: offers, places, people and their words.

# sku, name, kind, category, price (rand), unit cost (rand), smallest and largest usual quantity
OFFERS: tuple[tuple[str, str, str, str, int, int, int, int], ...] = (
    ("KK-BOX-2", "Weekly Meal Box for 2 (5 dinners)", "product", "Meal boxes", 849, 470, 1, 2),
    ("KK-BOX-4", "Weekly Meal Box for 4 (5 dinners)", "product", "Meal boxes", 1499, 860, 1, 2),
    ("KK-VEG-2", "Veggie Meal Box for 2 (5 dinners)", "product", "Meal boxes", 799, 420, 1, 2),
    ("KK-FRZ-6", "Frozen Meals 6-pack", "product", "Frozen meals", 459, 240, 1, 3),
    ("KK-FRZ-12", "Frozen Meals 12-pack", "product", "Frozen meals", 849, 455, 1, 2),
    ("KK-PLT-10", "Family Platter (serves 10)", "product", "Platters", 1150, 640, 1, 3),
    ("KK-PLT-25", "Celebration Platter (serves 25)", "product", "Platters", 2650, 1480, 1, 2),
    ("KK-BRA-8", "Braai Pack: wors, chops and sosaties (serves 8)", "product", "Braai packs", 899, 560, 1, 3),
    ("KK-BRA-15", "Premium Braai Pack (serves 15)", "product", "Braai packs", 1650, 1020, 1, 2),
    ("KK-DST-1", "Malva and Milk Tart Dessert Tray", "product", "Desserts", 420, 190, 1, 2),
    ("KK-CLN-1", "Corporate Lunch (per person)", "service", "Corporate catering", 145, 78, 15, 80),
    ("KK-CLN-2", "Executive Lunch (per person)", "service", "Corporate catering", 235, 128, 8, 30),
    ("KK-EVT-1", "Event Catering: canapés (per guest)", "service", "Event catering", 185, 96, 30, 150),
    ("KK-EVT-2", "Event Catering: buffet dinner (per guest)", "service", "Event catering", 320, 175, 40, 200),
    ("KK-CFE-10", "Coffee and Pastry Platter (serves 10)", "product", "Corporate catering", 520, 260, 1, 6),
    ("KK-CLS-1", "Cooking Class (per seat)", "service", "Classes", 650, 280, 1, 4),
)
SKU_INDEX = {offer[0]: i for i, offer in enumerate(OFFERS)}
PRICE_INFLATION = 1.065  # yearly; today's list price is the offer's price
COST_INFLATION = 1.075

# city, region
CITIES: tuple[tuple[str, str], ...] = (
    ("Sandton", "Gauteng"), ("Rosebank", "Gauteng"), ("Fourways", "Gauteng"), ("Bryanston", "Gauteng"),
    ("Randburg", "Gauteng"), ("Parkhurst", "Gauteng"),
    ("Pretoria", "Gauteng"), ("Centurion", "Gauteng"), ("Benoni", "Gauteng"), ("Boksburg", "Gauteng"),
    ("Kempton Park", "Gauteng"), ("Durban", "KwaZulu-Natal"), ("Umhlanga", "KwaZulu-Natal"),
    ("Pinetown", "KwaZulu-Natal"),
    ("Johannesburg", "Gauteng"), ("Cape Town", "Western Cape"), ("Century City", "Western Cape"),
)
CITY_INDEX = {city: i for i, (city, _) in enumerate(CITIES)}

FIRST_NAMES = (
    "Thandi", "Sipho", "Lerato", "Themba", "Naledi", "Bongani", "Zanele", "Kagiso", "Nomvula", "Tshepo",
    "Ayanda", "Lwazi", "Palesa", "Mpho", "Refilwe", "Sibusiso", "Nandi", "Katlego", "Busisiwe", "Thabo",
    "Anele", "Lindiwe", "Musa", "Zodwa", "Pieter", "Anika", "Johan", "Marike", "Riaan", "Elna", "Hennie",
    "Liezl", "Priya", "Kavitha", "Rajesh", "Yusuf", "Fatima", "Zaid", "Aisha", "Sarah", "James", "Megan",
    "Michael", "Jessica", "David", "Chloe", "Ruan", "Carmen", "Ashwin", "Reza", "Tumi", "Neo", "Kamogelo",
    "Unathi", "Siyabonga", "Precious", "Gift", "Blessing", "Ntombi", "Vusi",
)
LAST_NAMES = (
    "Nkosi", "Dlamini", "Mokoena", "Ndlovu", "Khumalo", "Mthembu", "Zulu", "Molefe", "Sithole", "Mahlangu",
    "Naidoo", "Pillay", "Govender", "Moodley", "Patel", "van der Merwe", "Botha", "Pretorius", "du Plessis",
    "Venter", "Nel", "Smith", "Jacobs", "Adams", "Williams", "Petersen", "Hendricks", "Daniels", "Mabaso",
    "Radebe", "Maseko", "Shabalala", "Ntuli", "Cele", "Mkhize", "Ngcobo", "Baloyi", "Chauke", "Maluleke",
    "Mathebula", "Tshabalala", "Letsoalo", "Modise", "Sebola", "Kruger", "Joubert", "Steyn", "Fourie",
    "Olivier", "Coetzee", "Abrahams", "Isaacs", "Essop", "Cassim", "Reddy", "Singh", "Meyer", "Engelbrecht",
    "Makhanya", "Gumede",
)
EMAIL_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "outlook.com", "yahoo.com", "icloud.com",
                 "webmail.co.za", "mweb.co.za", "telkomsa.net")
MOBILE_PREFIXES = ("60", "61", "62", "63", "64", "65", "66", "67", "71", "72", "73", "74", "76", "78",
                   "79", "81", "82", "83", "84")
ORG_SUFFIXES = ("Logistics", "Attorneys", "Holdings", "Engineering", "Consulting", "Financial Services",
                "Architects", "Mining Services", "Software", "Health", "Media", "Properties", "Insurance",
                "Foundation", "Advisory")
INDUSTRIES = ("finance", "legal", "mining", "technology", "logistics", "healthcare", "education", "retail",
              "government", "non-profit", "media", "property", "engineering", "insurance")
ORG_SIZES = ("1-10", "11-50", "51-200", "201-1000", "1000+")
ORG_SIZE_WEIGHTS = (0.1, 0.3, 0.3, 0.2, 0.1)

SOCIAL = np.array([1, .5, .3, .2, .2, .4, 1, 2, 2.5, 2.5, 2.5, 3, 4, 3.5, 2.5, 2.5, 3, 4, 5.5, 6.5, 6.5, 5, 3.5, 2])
SHOPPING = np.array([.2, .1, .1, .1, .1, .3, 1, 2, 3, 3.5, 3.5, 4, 4.5, 4, 3.5, 3.5, 4, 5, 5.5, 5, 4, 2.5, 1.2, .5])
OFFICE = np.array([0, 0, 0, 0, 0, 0, .2, 1.5, 4, 5, 5, 4.5, 3.5, 4.5, 5, 4.5, 3.5, 1.5, .5, .2, .1, 0, 0, 0])

NOISE_CHANNELS = ("instagram", "facebook", "linkedin", "tiktok", "whatsapp", "email", "x", "youtube")


@dataclass(frozen=True)
class Persona:
    """A latent customer template: where they are, how they engage, convert and buy."""

    key: str
    share: float
    cities: dict[str, float]
    social: dict[str, float]  # channel mix of their social engagement
    visit_share: float  # share of background engagement that is a website visit
    messaging: dict[str, float]  # where they send their first message
    web_lead_share: float  # share of leads that come through the website quote form
    order_channels: dict[str, float]
    funnel: tuple[float, float, float, float, float]  # engage, lead, opportunity, win, ambassador
    delays: tuple[float, float, float]  # mean days to engage, to become a lead, to an opportunity
    stage_days: tuple[float, float, float, float, float]  # mean days into qualified, proof, proposal, closing, close
    skip_proof: float
    order_every: float  # mean days between repeat orders
    lifetime: float  # mean days a customer keeps ordering
    offers: dict[str, float]
    lines: tuple[float, float, float]  # chance of 1, 2 or 3 lines on an order
    months: tuple[float, ...]  # order seasonality, January to December
    weekdays: tuple[float, ...]  # Monday to Sunday
    time_of_day: np.ndarray
    engagement: tuple[float, ...]  # mean background engagements by final lifecycle stage
    phone_share: float
    foreign_share: float  # orders paid in USD or GBP
    referral_reward: int  # cents


PERSONAS: tuple[Persona, ...] = (
    Persona(
        key="busy_professional", share=0.42,
        cities={"Sandton": 5, "Rosebank": 3, "Fourways": 3, "Bryanston": 2, "Randburg": 2, "Parkhurst": 1},
        social={"instagram": 0.56, "tiktok": 0.32, "x": 0.06, "youtube": 0.06},
        visit_share=0.15, messaging={"instagram": 0.5, "whatsapp": 0.5}, web_lead_share=0.35,
        order_channels={"website": 0.6, "whatsapp": 0.3, "instagram": 0.1},
        funnel=(0.75, 0.6, 0.8, 0.72, 0.3), delays=(6, 12, 4), stage_days=(2, 3, 3, 2, 2), skip_proof=0.6,
        order_every=13, lifetime=200,
        offers={"KK-BOX-2": .35, "KK-BOX-4": .08, "KK-VEG-2": .2, "KK-FRZ-6": .12, "KK-FRZ-12": .08,
                "KK-CLS-1": .06, "KK-DST-1": .06},
        lines=(0.7, 0.25, 0.05),
        months=(0.75, 0.9, 1.0, 1.0, 1.05, 1.1, 1.1, 1.05, 1.0, 1.0, 1.05, 1.8),
        weekdays=(1.0, 0.9, 0.9, 0.95, 1.0, 0.9, 1.35), time_of_day=SHOPPING,
        engagement=(2.5, 7, 10, 11, 18, 24), phone_share=0.6, foreign_share=0.01, referral_reward=10_000,
    ),
    Persona(
        key="family_host", share=0.40,
        cities={"Pretoria": 3, "Centurion": 2, "Benoni": 2, "Boksburg": 1.5, "Kempton Park": 1.5, "Durban": 3,
                "Umhlanga": 1.5, "Pinetown": 1},
        social={"facebook": 0.62, "whatsapp": 0.28, "youtube": 0.1},
        visit_share=0.1, messaging={"whatsapp": 0.75, "facebook": 0.25}, web_lead_share=0.2,
        order_channels={"whatsapp": 0.6, "phone": 0.2, "website": 0.2},
        funnel=(0.7, 0.55, 0.7, 0.6, 0.35), delays=(10, 20, 7), stage_days=(4, 5, 5, 4, 4), skip_proof=0.4,
        order_every=42, lifetime=300,
        offers={"KK-PLT-10": .25, "KK-PLT-25": .12, "KK-BRA-8": .2, "KK-BRA-15": .1, "KK-DST-1": .12,
                "KK-FRZ-12": .06, "KK-BOX-4": .08, "KK-CLS-1": .04},
        lines=(0.4, 0.4, 0.2),
        months=(0.5, 0.7, 0.85, 1.0, 0.95, 0.85, 0.85, 0.9, 1.05, 1.0, 1.15, 3.0),
        weekdays=(0.7, 0.7, 0.8, 0.9, 1.2, 1.5, 1.2), time_of_day=SHOPPING,
        engagement=(2.5, 7, 10, 11, 17, 22), phone_share=0.9, foreign_share=0.0, referral_reward=10_000,
    ),
    Persona(
        key="corporate_buyer", share=0.18,
        cities={"Cape Town": 5, "Johannesburg": 4, "Century City": 1},
        social={"linkedin": 0.66, "email": 0.28, "x": 0.06},
        visit_share=0.3, messaging={"email": 0.7, "linkedin": 0.3}, web_lead_share=0.5,
        order_channels={"email": 0.6, "website": 0.2, "in_person": 0.2},
        funnel=(0.6, 0.7, 0.6, 0.35, 0.15), delays=(14, 25, 10), stage_days=(7, 12, 10, 9, 8), skip_proof=0.1,
        order_every=30, lifetime=300,
        offers={"KK-CLN-1": .35, "KK-CLN-2": .15, "KK-EVT-1": .15, "KK-EVT-2": .1, "KK-CFE-10": .2,
                "KK-CLS-1": .05},
        lines=(0.55, 0.35, 0.1),
        months=(0.3, 0.8, 1.0, 1.0, 1.0, 0.95, 0.9, 1.0, 1.05, 1.1, 1.3, 2.6),
        weekdays=(1.1, 1.2, 1.2, 1.2, 1.1, 0.15, 0.05), time_of_day=OFFICE,
        engagement=(2.5, 6, 9, 10, 16, 20), phone_share=0.5, foreign_share=0.05, referral_reward=50_000,
    ),
)
CITY_NOISE = 0.12
CHANNEL_NOISE = 0.08
REFERRED_SHARE = 0.05
STALLED_SHARE = 0.25
STALL_FACTOR = 8.0
SPAM_SHARE = 0.03

STAGES = ("follower", "engager", "lead", "opportunity", "customer", "ambassador")
DEAL_SLOTS = ("new", "qualified", "proof", "proposal", "closing")
LOST_REASONS = ("price", "timing", "no_budget", "competitor", "no_response", "delivery_area")
LOST_NOTES = {
    "price": "Found our per-head price too high for the budget.",
    "timing": "Event moved to next year.",
    "no_budget": "No budget this quarter; asked to stay in touch.",
    "competitor": "Went with the venue's in-house caterer.",
    "no_response": "Stopped replying after the quote.",
    "delivery_area": "Outside our delivery area.",
}
CLOSE_WHERE = ("WhatsApp order", "Website checkout", "Tasting at the Rosebank kitchen", "Client's office",
               "Phone call")
CLOSE_HOW = ("Card payment on the website", "EFT on invoice", "Purchase order, 30-day terms", "SnapScan on delivery")

COMMENTS = (
    ("Those butter chicken bowls look amazing 😍", "Do you deliver to Fourways?",
     "Just got my box, the lamb curry is 🔥", "Meal prep sorted for the week, thanks!", "Is the veggie box spicy?",
     "Saw you on TikTok, how do I order?", "Need this after a 12-hour day", "Can I pause my box over the holidays?"),
    ("Ordered the platter for my mom's 60th and everyone loved it!", "How many people does the big platter feed?",
     "Those sosaties 🤤", "Do you do Christmas lunch platters?", "Booked for our Heritage Day braai!",
     "The malva pudding is just like gogo's", "Can I collect in Centurion?", "Family lunch sorted, thank you!"),
    ("Great to see local caterers growing", "Catered our quarterly planning day, 10/10",
     "Do you handle 200-guest year-end functions?", "Congratulations on the new kitchen!",
     "Our team still talks about the bobotie", "Interested in a weekly office lunch",
     "Do you provide vegetarian and halaal options for events?", "Great service at our product launch"),
)
MENTIONS = ("@kasikitchen fed the whole office today 🙌", "Sunday lunch by @kasikitchen ❤️",
            "Thank you @kasikitchen for the platters!", "@kasikitchen your braai pack saved the day")
SHARES = ("Tagging my sister for Sunday lunch", "We need this for the year-end", "Sharing with the team",
          "Look at this menu!")
REPLIES = ("Thanks, please send the menu.", "Received, thank you!", "Please add me to the WhatsApp list.")
MESSAGES = ("Is the box available this week?", "What time do you deliver?", "Thanks, the food was great!",
            "Can I change my delivery day?")
LEAD_MESSAGES = (
    ("Hi! I'd like to start the weekly box for two. How does it work?",
     "Hi, can I get the veggie box delivered to Rosebank on Mondays?", "Hello, what's on the menu this week?"),
    ("Hi, I need platters for 30 people on the 14th. What do you recommend?",
     "Good day, do you do braai packs for a family of 10?", "Hi! Can you cater my daughter's 21st?"),
    ("Good morning, we're looking for a caterer for weekly staff lunches (about 40 people).",
     "Hi, please send a quote for our year-end function for 120 guests.",
     "Hello, do you cater board meetings in the CBD?"),
)
LEAD_FORMS = ("Quote request: weekly meal box", "Quote request: platters for a party",
              "Quote request: corporate catering")
REVIEWS = ("★★★★★ Generous portions and always on time. Highly recommend!", "★★★★★ The best bobotie in town.",
           "★★★★★ Catered our year-end function flawlessly.", "★★★★☆ Lovely food; delivery a bit late but worth it.",
           "★★★★★ The weekly box has changed our weeknights.", "★★★★★ The platters were a hit at the family reunion.")
SPAM = ("Earn R5 000 a day from home!!! DM me 💰", "Check my page for crypto signals 📈📈", "Follow for follow? 🔁",
        "Cheap followers at fastfollows dot biz", "Hi dear, I have a business proposal for you")
PAGES = ("https://kasikitchen.co.za/", "https://kasikitchen.co.za/menu", "https://kasikitchen.co.za/platters",
         "https://kasikitchen.co.za/corporate", "https://kasikitchen.co.za/classes")
QUOTE_PAGE = "https://kasikitchen.co.za/quote"
CONVERSATION_SUBJECTS = ("Weekly box enquiry", "Platters and braai packs", "Catering quote")
REPLY_TEMPLATES = (
    "Hi {first}! Thanks for reaching out. Yes, we deliver to {city}; this week's menu is at kasikitchen.co.za/menu.",
    "Hi {first}, thank you! Happy to help with your event in {city}. How many guests, and which date?",
    "Good day {first}, thank you for your enquiry. I'll send a proposal for your team in {city} today.",
)
QUOTE_TEMPLATES = ("Hi {first}, here is the quote we discussed: {offer}. Shall I book it in?",
                   "{first}, your quote for {offer} is attached. It's valid for 14 days.")
ACCEPTED = ("Looks good, let's go ahead!", "Perfect, please book it.")
DECLINED = ("Thanks, we'll think about it.", "We've decided to hold off for now.")
CONFIRMATION = "Thanks {first}! Your order is confirmed. We'll send the driver's details on the day."

# theme, kind, text, weight per persona, only asked by customers
QUERY_CATALOG: tuple[tuple[str, str, str, tuple[float, float, float], bool], ...] = (
    ("halaal", "question", "Are your meals halaal certified?", (1, 1, 1), False),
    ("halaal", "concern", "Is the braai pack meat from a halaal butcher?", (0.2, 1, 0.3), False),
    ("vegetarian", "question", "Do you have a vegetarian option for the weekly box?", (1.5, 0.5, 0.5), False),
    ("vegetarian", "suggestion", "Please add a vegan box; half our office is plant-based.", (0.8, 0.2, 1), False),
    ("delivery", "question", "Do you deliver on Saturday mornings?", (1, 1, 0.3), False),
    ("delivery", "complaint", "The delivery was two hours late and the food was cold.", (1, 1, 1), True),
    ("delivery", "concern", "Will the platters arrive before the guests at 12:00?", (0.2, 1.5, 0.8), False),
    ("invoice", "question", "Can you invoice us on 30-day terms with a PO number?", (0, 0, 3), False),
    ("invoice", "concern", "Our finance team needs a tax invoice with our VAT number.", (0.1, 0.1, 2), True),
    ("price", "concern", "Why has the platter price gone up since last year?", (0.5, 1.2, 0.5), True),
    ("price", "question", "Do you offer a discount for 50 or more people?", (0, 0.5, 1.5), False),
    ("portion", "complaint", "Portions were smaller than last time.", (1, 0.8, 0.5), True),
    ("portion", "suggestion", "Could you offer a larger portion for teenagers?", (0.6, 1, 0), False),
    ("loadshedding", "question", "Do you still deliver during load-shedding?", (1, 1, 1), False),
    ("allergy", "question", "Can you do a nut-free menu for my son?", (0.7, 1, 0.4), False),
)
# theme, kind, title, description, days before anchor_on it was written down
INSIGHTS: tuple[tuple[str, str, str, str, int], ...] = (
    ("halaal", "need", "Customers want halaal-certified options",
     "Halaal questions come from all three kinds of customer; certify the braai packs first.", 400),
    ("vegetarian", "product_idea", "A vegan weekly box",
     "Busy professionals and offices keep asking for plant-based meals.", 300),
    ("delivery", "need", "Reliable Saturday-morning delivery slots",
     "Family hosts need platters before midday on Saturdays; late deliveries cause most complaints.", 250),
    ("invoice", "objection", "Corporate buyers need 30-day invoice terms",
     "Several offices stalled at the proposal until invoicing was sorted out.", 200),
    ("price", "objection", "Price increases are questioned",
     "Explain food-price inflation on the festive menu before customers ask.", 120),
    ("portion", "product_idea", "Large-portion frozen meals", "Families with teenagers want bigger portions.", 60),
)
CONSENT_PURPOSES = ("information", "trial", "education", "inspiration", "marketing")
CONSENT_CHANCE = (1.0, 0.2, 0.3, 0.5, 0.4)
CONSENT_EVIDENCE = (
    ("website form", "Ticked \"Send me the weekly menu and specials\" on the quote form at kasikitchen.co.za/quote."),
    ("whatsapp chat", "Replied \"Yes please\" when asked on WhatsApp whether we may send menus and updates."),
    ("order checkout", "Opted in at checkout: \"Keep me posted about new boxes, classes and recipes\"."),
    ("cooking class sign-up", "Signed the class register and ticked \"Tell me about future classes\"."),
)
WITHDRAWN_SHARE = 0.08
CADENCES: tuple[tuple[str, tuple[tuple[int, str], ...]], ...] = (
    ("New customer care", ((3, "Check-in: how was the first order?"), (30, "Reorder nudge"))),
    ("Corporate account care", ((7, "Account check-in after the first event"), (90, "Quarterly account review"))),
)

# name template, channel, persona, month, day, length in days, budget (rand at small scale), idea
CAMPAIGNS: tuple[tuple[str, str, int, int, int, int, int, str], ...] = (
    ("New Year Reset Boxes {y}", "tiktok", 0, 1, 6, 40, 12_000, "Short recipe videos; first box 20% off."),
    ("Winter Warmers {y}", "instagram", 0, 5, 15, 77, 15_000, "Reels of curries and stews; stories with a swipe-up."),
    ("Heritage Day Braai {y}", "whatsapp", 1, 9, 1, 24, 6_000, "Broadcast the braai pack menu to the WhatsApp list."),
    ("Year-End Functions {y}", "linkedin", 2, 9, 15, 77, 25_000, "Case study of last year's 200-guest function."),
    ("Festive Platters {y}", "facebook", 1, 11, 1, 54, 18_000, "Carousel of platters; order by 18 December."),
)
ALWAYS_ON: tuple[tuple[str, str, int, int, str], ...] = (
    ("Search: Catering Johannesburg and Cape Town", "website", 2, 3_000, "Google search ads on catering keywords."),
    ("Weekly Menu Newsletter", "email", 0, 400, "Sunday newsletter with the week's boxes and a recipe."),
)
UTM = {  # channel -> utm_source, utm_medium, referrer
    "instagram": ("instagram", "paid_social", "https://l.instagram.com/"),
    "facebook": ("facebook", "paid_social", "https://l.facebook.com/"),
    "tiktok": ("tiktok", "paid_social", "https://www.tiktok.com/"),
    "linkedin": ("linkedin", "paid_social", "https://www.linkedin.com/"),
    "whatsapp": ("whatsapp", "broadcast", None),
    "website": ("google", "cpc", "https://www.google.com/"),
    "email": ("newsletter", "email", None),
    "x": ("x", "social", "https://t.co/"),
    "youtube": ("youtube", "video", "https://www.youtube.com/"),
}
UTM_CONTENT = ("carousel-a", "carousel-b", "video-15s", "story-a", "static-1")
SEARCH_TERMS = ("catering johannesburg", "corporate lunch catering", "year end function catering",
                "meal delivery sandton", "platters pretoria", "catering cape town cbd")

CH = {name: i for i, name in enumerate(CHANNELS)}
SOCIAL_KINDS = ("follow", "like", "comment", "share", "mention")


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


FIRST_SLUGS = _text([_slug(n) for n in FIRST_NAMES])
LAST_SLUGS = _text([_slug(n) for n in LAST_NAMES])


# ---------------------------------------------------------------------------------------------
# Time.


class Calendar:
    """The days of history, their seasonal weights, and conversions to UTC and business hours.

    The business is in Johannesburg, so its opening hours are read in South African time.
    """

    def __init__(self, anchor_on: date, hours: BusinessHours) -> None:
        months = anchor_on.year * 12 + anchor_on.month - 1 - HISTORY_MONTHS
        self.anchor_on = anchor_on
        self.start = date(months // 12, months % 12 + 1, 1)
        self.days = (anchor_on - self.start).days + 1
        self.end = self.days - 1 + DAY_STARTS
        self.day0 = (self.start - EPOCH).days
        self.start_utc = self.day0 * 86400 - LOCAL_OFFSET_S
        span = np.arange(self.days + 400)  # beyond the end for due dates and planned campaigns
        stamps = (self.day0 + span).astype("datetime64[D]")
        self.weekday = (self.day0 + span + 3) % 7  # 1970-01-01 was a Thursday
        self.month = (stamps.astype("datetime64[M]").astype(np.int64) % 12) + 1
        self.opens = np.array([hours.hours[d][0].hour * 60 + hours.hours[d][0].minute if d in hours.hours else -1
                               for d in range(7)])
        self.closes = np.array([hours.hours[d][1].hour * 60 + hours.hours[d][1].minute if d in hours.hours else -1
                                for d in range(7)])
        self.holidays = np.array(sorted((h - self.start).days for h in hours.holidays), dtype=np.int64)

    def weights(self, months: Sequence[float], weekdays: Sequence[float], *, growth: float,
                boost: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Daily weights over history (mean 1) and their cumulative sums, for sampling times."""
        d = np.arange(self.days)
        w = np.asarray(months)[self.month[d] - 1] * np.asarray(weekdays)[self.weekday[d]]
        w = w * np.exp(growth * d / 365)
        if boost is not None:
            w = w * boost
        w = w / w.mean()
        return w, np.concatenate([[0.0], np.cumsum(w)])

    def sample(self, rng: np.random.Generator, profile: tuple[np.ndarray, np.ndarray], lo: np.ndarray,
               hi: np.ndarray, time_of_day: np.ndarray) -> np.ndarray:
        """Times in [lo, hi], days drawn by the profile's weights and hours by a time-of-day profile."""
        _, cumulative = profile
        lo = np.clip(lo, 0, self.end)
        hi = np.clip(hi, lo, self.end)
        u = self.mass(profile, lo) + rng.random(lo.shape) * (self.mass(profile, hi) - self.mass(profile, lo))
        day = np.clip(np.searchsorted(cumulative, u, side="right") - 1, 0, self.days - 1)
        return np.clip(day + self.time_of_day(rng, len(day), time_of_day), lo, hi)

    def mass(self, profile: tuple[np.ndarray, np.ndarray], t: np.ndarray) -> np.ndarray:
        """The cumulative weight up to time t."""
        weights, cumulative = profile
        day = np.clip(np.floor(t).astype(np.int64), 0, self.days - 1)
        return cumulative[day] + (t - day) * weights[day]

    @staticmethod
    def time_of_day(rng: np.random.Generator, n: int, profile: np.ndarray) -> np.ndarray:
        """Fractions of a day drawn from an hourly profile."""
        cum = np.cumsum(profile) / profile.sum()
        hour = np.searchsorted(cum, rng.random(n), side="right")
        return (hour + rng.random(n)) / 24

    def later(self, rng: np.random.Generator, after: np.ndarray, mean_days: float | np.ndarray,
              time_of_day: np.ndarray) -> np.ndarray:
        """A time an exponential delay after `after`, at a plausible hour; inf stays inf."""
        t = after + rng.exponential(1.0, len(after)) * mean_days
        finite = np.isfinite(t)
        day = np.floor(np.where(finite, t, 0))
        moved = day + self.time_of_day(rng, len(t), time_of_day)
        moved = np.where(moved < after, moved + 1, moved)
        return np.where(finite, moved, INF)

    def next_open(self, t: np.ndarray) -> np.ndarray:
        """The first moment at or after t when the business is open."""
        finite = np.isfinite(t)
        day = np.floor(np.where(finite, t, 0)).astype(np.int64)
        minute = (np.where(finite, t, 0) - day) * 1440
        pending = finite.copy()
        for _ in range(14):
            if not pending.any():
                break
            wd = self.weekday[np.clip(day, 0, len(self.weekday) - 1)]
            opens, closes = self.opens[wd], self.closes[wd]
            closed = (opens < 0) | np.isin(day, self.holidays)
            before = pending & ~closed & (minute < opens)
            minute = np.where(before, opens, minute)
            done = pending & ~closed & (minute >= opens) & (minute < closes)
            pending &= ~done
            day = np.where(pending, day + 1, day)
            minute = np.where(pending, 0.0, minute)
        return np.where(finite, day + minute / 1440, INF)

    def answer(self, rng: np.random.Generator, t: np.ndarray, median_minutes: float) -> np.ndarray:
        """When a person answers something that arrived at t: minutes later in business hours."""
        delay = rng.lognormal(np.log(median_minutes), 0.9, len(t)).clip(2, 600) / 1440
        at = self.next_open(self.next_open(t) + delay)
        pushed = at > t + delay + 1e-9
        return at + pushed * rng.uniform(5, 90, len(t)) / 1440

    def seconds(self, t: np.ndarray) -> np.ndarray:
        """UTC epoch seconds for internal times; inf becomes NULL."""
        finite = np.isfinite(t)
        out = np.full(len(t), NULL_TS, dtype=np.int64)
        out[finite] = self.start_utc + np.round(t[finite] * 86400).astype(np.int64)
        return out


# ---------------------------------------------------------------------------------------------
# Ids: explicit, above each table's offset, in generation order.


class Ids:
    """Hands out explicit ids above each table's current maximum, in generation order."""

    def __init__(self, offsets: dict[str, int]) -> None:
        self.offsets = dict(offsets)
        self._next = dict(offsets)

    def take(self, table: str, n: int) -> np.ndarray:
        """The next n ids of a table."""
        start = self._next[table]
        self._next[table] = start + n
        return np.arange(start + 1, start + n + 1, dtype=np.int64)

    def external(self, table: str, prefix: str, ids: np.ndarray) -> np.ndarray:
        """Stable external ids from the demo's own numbering, not the store's ids."""
        return _text([f"{prefix}-{i:09d}" for i in (ids - self.offsets[table]).tolist()])


def _rng(seed: int, part: str, chunk: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(part.encode()), chunk])


def _pick(rng: np.random.Generator, weights: dict[str, float] | Sequence[float], n: int) -> np.ndarray:
    p = np.asarray(list(weights.values()) if isinstance(weights, dict) else weights, dtype=float)
    return rng.choice(len(p), n, p=p / p.sum())


def _channel_codes(names: Sequence[str]) -> np.ndarray:
    return np.array([CH[n] for n in names], dtype=np.int64)


def _persona_channel(rng: np.random.Generator, persona: np.ndarray, mix: str, noise: float) -> np.ndarray:
    """Channel codes drawn from each persona's mix, with some noise from everywhere."""
    out = np.empty(len(persona), dtype=np.int64)
    for p, spec in enumerate(PERSONAS):
        rows = np.flatnonzero(persona == p)
        weights = getattr(spec, mix)
        out[rows] = _channel_codes(list(weights))[_pick(rng, weights, len(rows))]
    noisy = rng.random(len(persona)) < noise
    out[noisy] = _channel_codes(NOISE_CHANNELS)[rng.integers(len(NOISE_CHANNELS), size=int(noisy.sum()))]
    return out


def _json_stage(key: str, values: np.ndarray) -> np.ndarray:
    lookup = {v: json.dumps({key: v}) for v in set(values.tolist()) if v is not None}
    return _text([lookup.get(v) for v in values.tolist()])


def _money_text(minor: np.ndarray, currency: np.ndarray) -> list[str]:
    return [f"{c} {'-' if m < 0 else ''}{abs(m) // 100}.{abs(m) % 100:02d}"
            for m, c in zip(minor.tolist(), currency.tolist())]


def _by_persona(rng: np.random.Generator, catalogue: Sequence[Sequence[str]], persona: np.ndarray) -> np.ndarray:
    """One text per row from its persona's list."""
    out = np.empty(len(persona), dtype=object)
    for p in range(len(PERSONAS)):
        rows = np.flatnonzero(persona == p)
        out[rows] = _choose(rng, catalogue[p], len(rows))
    return out


def _choose(rng: np.random.Generator, choices: Sequence[str | None], n: int) -> np.ndarray:
    return np.asarray(choices, dtype=object)[rng.integers(len(choices), size=n)]


def _first_of(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """For each group, the value of its first member."""
    out = np.zeros(n_groups, dtype=values.dtype)
    out[groups[::-1]] = values[::-1]
    return out


@dataclass
class _People:
    """One chunk's contacts and the milestones of their journey (inf = not reached by the end)."""

    ids: np.ndarray
    index: np.ndarray  # position in the whole demo, for stable names, handles and numbers
    persona: np.ndarray
    created: np.ndarray
    first: np.ndarray
    last: np.ndarray
    city: np.ndarray
    org: np.ndarray  # organisation id, 0 for none
    org_domain: np.ndarray  # email domain of the organisation, None for none
    phone: np.ndarray  # gives a phone number on becoming a lead
    first_channel: np.ndarray
    campaign: np.ndarray  # the campaign that brought them, 0 for none
    t_engage: np.ndarray
    t_lead: np.ndarray
    t_opp: np.ndarray
    t_win: np.ndarray
    t_amb: np.ndarray
    active_until: np.ndarray

    @property
    def stage(self) -> np.ndarray:
        """The furthest lifecycle stage reached, as an index into STAGES."""
        times = (self.t_engage, self.t_lead, self.t_opp, self.t_win, self.t_amb)
        return sum(np.isfinite(t).astype(np.int64) for t in times)

    @property
    def milestones(self) -> np.ndarray:
        """Creation and every stage time, one row per stage."""
        return np.stack([self.created, self.t_engage, self.t_lead, self.t_opp, self.t_win, self.t_amb])


class DemoGenerator:
    """Generates the demo business: reference tables first, then contacts and their history by chunk."""

    def __init__(self, *, seed: int, scale: str, anchor_on: date, offsets: dict[str, int], sales_user_id: int,
                 marketing_user_id: int, hours: BusinessHours) -> None:
        self.seed = seed
        self.spec = SCALES[scale]
        self.cal = Calendar(anchor_on, hours)
        self.ids = Ids(offsets)
        self.sales = sales_user_id
        self.marketing = marketing_user_id
        self.factor = self.spec.contacts / SCALES["small"].contacts
        self.offer_ids = self.ids.take("offer", len(OFFERS))
        self.cadence_ids = self.ids.take("cadence", len(CADENCES))
        self.insight_ids = self.ids.take("insight", len(INSIGHTS))
        self._campaigns = self._plan_campaigns()
        self.campaign_ids = self.ids.take("campaign", len(self._campaigns))
        self.campaign_of = self._campaign_lookup()
        self.rates = self._rates()
        self.order_profiles = [self.cal.weights(p.months, p.weekdays, growth=0.0) for p in PERSONAS]
        self.acquisition = [
            self.cal.weights([1 + 0.4 * (m - 1) for m in p.months], (1, 1, 1, 1, 1, 1.1, 1.1), growth=0.12,
                             boost=1 + 0.8 * self._persona_campaign_days(i))
            for i, p in enumerate(PERSONAS)
        ]
        self.activity = self.cal.weights((1,) * 12, (1, 1, 1, 1, 1.05, 1.15, 1.2), growth=0.0)

    @property
    def chunk_count(self) -> int:
        """How many chunks of contacts this scale has."""
        return -(-self.spec.contacts // self.spec.chunk)

    # --- reference data ---------------------------------------------------------------------

    def _plan_campaigns(self) -> list[tuple[str, str, int, int, int, int, str]]:
        """(name, channel, persona, first day, last day, budget cents, idea) in history days."""
        cal = self.cal
        planned = []
        recent = cal.days - 25 * 30  # seasonal campaigns began once the business had found its feet
        for year in range(cal.start.year, cal.anchor_on.year + 2):
            for name, channel, persona, month, day, length, budget, idea in CAMPAIGNS:
                first = (date(year, month, day) - cal.start).days
                if recent <= first <= cal.days + 60:
                    planned.append((name.format(y=year), channel, persona, first, first + length - 1,
                                    int(budget * 100 * self.factor), idea))
        for name, channel, persona, monthly, idea in ALWAYS_ON:
            months = HISTORY_MONTHS + 3
            planned.append((name, channel, persona, 0, cal.days + 89, int(monthly * 100 * months * self.factor), idea))
        planned.sort(key=lambda c: (c[3], c[0]))
        return planned

    def _campaign_lookup(self) -> np.ndarray:
        """campaign id (0 = none) running on each channel and day of history."""
        lookup = np.zeros((len(CHANNELS), self.cal.days), dtype=np.int64)
        for cid, (_, channel, _, first, last, _, _) in zip(self.campaign_ids.tolist(), self._campaigns):
            lookup[CH[channel], max(first, 0):min(last, self.cal.days - 1) + 1] = cid
        return lookup

    def _persona_campaign_days(self, persona: int) -> np.ndarray:
        days = np.zeros(self.cal.days)
        for _, _, p, first, last, _, _ in self._campaigns:
            if p == persona and last - first < 200:
                days[max(first, 0):min(last, self.cal.days - 1) + 1] = 1
        return days

    def _rates(self) -> dict[str, np.ndarray]:
        """ZAR per unit of USD and GBP for each day of history: a seeded random walk."""
        rng = _rng(self.seed, "currency_rate", 0)
        walks = {}
        for currency, level in (("USD", 18.2), ("GBP", 23.1)):
            steps = rng.normal(0, 0.006, self.cal.days)
            walk = np.cumsum(steps) - np.linspace(0, steps.sum(), self.cal.days)  # drifts back to its level
            walks[currency] = np.round(level * np.exp(walk), 4)
        return walks

    def reference(self) -> list[Rows]:
        """Offers, cadences, campaigns with daily spend, insights and currency rates."""
        return [self._offer_rows(), self._cadence_rows(), *self._campaign_rows(), self._insight_rows(),
                self._rate_rows()]

    def _offer_rows(self) -> Rows:
        return Rows("offer", {
            "id": self.offer_ids,
            "sku": _text([o[0] for o in OFFERS]),
            "name": _text([o[1] for o in OFFERS]),
            "kind": _text([o[2] for o in OFFERS]),
            "category": _text([o[3] for o in OFFERS]),
            "price_minor": np.array([o[4] * 100 for o in OFFERS], dtype=np.int64),
            "unit_cost_minor": np.array([o[5] * 100 for o in OFFERS], dtype=np.int64),
            "currency": _text(["ZAR"] * len(OFFERS)),
            "active": Flag(np.ones(len(OFFERS), dtype=bool)),
        })

    def _cadence_rows(self) -> Rows:
        steps = [json.dumps([{"after_days": d, "title": t} for d, t in s]) for _, s in CADENCES]
        return Rows("cadence", {"id": self.cadence_ids, "name": _text([c[0] for c in CADENCES]),
                                "steps": _text(steps)})

    def _campaign_rows(self) -> list[Rows]:
        cal, rng = self.cal, _rng(self.seed, "campaign", 0)
        planned = self._campaigns
        first = np.array([c[3] for c in planned])
        last = np.array([c[4] for c in planned])
        status = np.where(last < cal.days - 1, "done", np.where(first <= cal.days - 1, "running", "planned"))
        created = first - rng.uniform(10, 30, len(planned))
        campaign = Rows("campaign", {
            "id": self.campaign_ids,
            "name": _text([c[0] for c in planned]),
            "utm_campaign": _text(["-".join(_slug(w) for w in c[0].replace(":", " ").split()) for c in planned]),
            "channel": _text([c[1] for c in planned]),
            "persona_id": Ref(np.zeros(len(planned), dtype=np.int64)),
            "goal_id": Ref(np.zeros(len(planned), dtype=np.int64)),
            "plan_id": Ref(np.zeros(len(planned), dtype=np.int64)),
            "budget_minor": np.array([c[5] for c in planned], dtype=np.int64),
            "currency": _text(["ZAR"] * len(planned)),
            "starts_on": Day(cal.day0 + first),
            "ends_on": Day(cal.day0 + last),
            "status": _text(status.tolist()),
            "ideas": _text([c[6] for c in planned]),
            "created_at": Ts(cal.seconds(np.maximum(created, 0) + 9 / 24)),
        })
        campaign_of_day, day_of = [], []
        for i, (_, _, _, start, stop, budget, _) in enumerate(planned):
            days = np.arange(max(start, 0), min(stop, cal.days - 2) + 1)  # spend is booked the day after
            campaign_of_day.append(np.full(len(days), i))
            day_of.append(days)
        which = np.concatenate(campaign_of_day)
        days = np.concatenate(day_of)
        daily = np.array([c[5] for c in planned]) / (last - first + 1)
        weekday = np.array([1, 1, 1, 1, 1.1, 1.2, 1.1])[cal.weekday[days]]
        amount = np.round(daily[which] * weekday * rng.lognormal(0, 0.25, len(days))).astype(np.int64)
        spend_ids = self.ids.take("spend", len(days))
        slugs = campaign.columns["utm_campaign"]
        spend = Rows("spend", {
            "id": spend_ids,
            "campaign_id": self.campaign_ids[which],
            "spent_on": Day(cal.day0 + days),
            "amount_minor": amount,
            "currency": _text(["ZAR"] * len(days)),
            "note": _text([""] * len(days)),
            "source": _text(["demo"] * len(days)),
            "external_id": _text([f"spend-{slugs[w]}-{d}" for w, d in zip(which.tolist(), days.tolist())]),
        })
        return [campaign, spend]

    def _insight_rows(self) -> Rows:
        at = np.array([self.cal.days - 1 - i[4] + 11 / 24 for i in INSIGHTS], dtype=float)
        return Rows("insight", {
            "id": self.insight_ids,
            "kind": _text([i[1] for i in INSIGHTS]),
            "title": _text([i[2] for i in INSIGHTS]),
            "description": _text([i[3] for i in INSIGHTS]),
            "created_at": Ts(self.cal.seconds(np.maximum(at, 0))),
            "created_by_user_id": Ref(np.full(len(INSIGHTS), self.marketing, dtype=np.int64)),
        })

    def _rate_rows(self) -> Rows:
        currencies = list(self.rates)
        n = self.cal.days
        ids = self.ids.take("currency_rate", n * len(currencies))
        return Rows("currency_rate", {
            "id": ids,
            "currency": _text([c for c in currencies for _ in range(n)]),
            "valid_from": Day(np.tile(self.cal.day0 + np.arange(n), len(currencies))),
            "rate": _text([f"{r:.4f}" for c in currencies for r in self.rates[c].tolist()]),
        })

    # --- contacts and everything that happened to them ----------------------------------------

    def chunks(self) -> Iterator[tuple[int, list[Rows]]]:
        """Each chunk's rows in foreign-key order, with the number of contacts done after it."""
        for chunk in range(self.chunk_count):
            first = chunk * self.spec.chunk
            n = min(self.spec.chunk, self.spec.contacts - first)
            yield first + n, self._chunk(chunk, first, n)

    def _chunk(self, chunk: int, first: int, n: int) -> list[Rows]:
        def rng(part: str) -> np.random.Generator:
            return _rng(self.seed, part, chunk)

        people, organisations = self._people(rng("contact"), first, n)
        deals = self._deals(rng("deal"), people)
        self._customers(rng("customer"), people)
        referrals = self._referrals(rng("referral"), people)
        leads = self._leads(rng("lead"), people)
        orders = self._orders(rng("order"), people, deals)
        queries = self._queries(rng("query"), people, leads)
        engagements = self._engagements(rng("engagement"), people, leads, queries)
        consents = self._consents(rng("consent"), people, deals)
        return [
            organisations,
            self._contact_rows(people),
            Rows("demo_persona_truth", {"contact_id": people.ids,
                                        "persona_key": _text([PERSONAS[p].key for p in people.persona.tolist()])}),
            self._identities(rng("identity"), people),
            *deals["rows"],
            *orders["rows"],
            leads["rows"],
            engagements["rows"],
            self._messages(rng("message"), people, deals, leads, engagements),
            queries["rows"],
            self._insight_links(rng("insight"), queries),
            consents["rows"],
            self._touches(rng("touch"), people),
            self._tasks(rng("task"), people, deals),
            referrals,
            self._audit(people, deals, orders, consents),
        ]

    def _people(self, rng: np.random.Generator, first: int, n: int) -> tuple[_People, Rows]:
        """Who they are, where they live, when they arrived and how far along the funnel they got."""
        cal = self.cal
        persona = _pick(rng, [p.share for p in PERSONAS], n)
        created = np.empty(n)
        city = np.empty(n, dtype=np.int64)
        for p, spec in enumerate(PERSONAS):
            rows = np.flatnonzero(persona == p)
            created[rows] = cal.sample(rng, self.acquisition[p], np.zeros(len(rows)), np.full(len(rows), cal.end),
                                       SOCIAL)
            city[rows] = np.array([CITY_INDEX[c] for c in spec.cities])[_pick(rng, spec.cities, len(rows))]
        noisy = rng.random(n) < CITY_NOISE
        city[noisy] = rng.integers(len(CITIES), size=int(noisy.sum()))

        # corporate buyers come two or three to a company, and are where their company is
        corporate = np.flatnonzero(persona == 2)
        n_org = -(-len(corporate) * 2 // 5)
        member = rng.permutation(np.arange(len(corporate)) % max(n_org, 1))
        org_ids = self.ids.take("organisation", n_org)
        org_city = _first_of(member, city[corporate], n_org)
        city[corporate] = org_city[member]
        org_created = np.full(n_org, INF)
        np.minimum.at(org_created, member, created[corporate])
        org_names = _text([f"{LAST_NAMES[a]} {ORG_SUFFIXES[b]}" for a, b in zip(
            rng.integers(len(LAST_NAMES), size=n_org).tolist(), rng.integers(len(ORG_SUFFIXES), size=n_org).tolist())])
        org = np.zeros(n, dtype=np.int64)
        org[corporate] = org_ids[member]
        org_domain = np.full(n, None, dtype=object)
        org_domain[corporate] = _text([f"{_slug(name)}.co.za" for name in org_names[member].tolist()])
        organisations = Rows("organisation", {
            "id": org_ids,
            "name": org_names,
            "industry": _choose(rng, INDUSTRIES, n_org),
            "size": np.asarray(ORG_SIZES, dtype=object)[_pick(rng, ORG_SIZE_WEIGHTS, n_org)],
            "city": _text([CITIES[c][0] for c in org_city.tolist()]),
            "region": _text([CITIES[c][1] for c in org_city.tolist()]),
            "country": _text(["ZA"] * n_org),
            "created_at": Ts(cal.seconds(org_created)),
        })

        funnel = np.array([p.funnel for p in PERSONAS])[persona]
        delays = np.array([p.delays for p in PERSONAS])[persona]

        def step(previous: np.ndarray, column: int) -> np.ndarray:
            t = cal.later(rng, previous, delays[:, column], SOCIAL)
            return np.where((rng.random(n) < funnel[:, column]) & (t <= cal.end), t, INF)

        t_engage = step(created, 0)
        t_lead = step(t_engage, 1)
        t_opp = step(t_lead, 2)
        first_channel = _persona_channel(rng, persona, "social", CHANNEL_NOISE)
        first_channel[rng.random(n) < np.array([p.visit_share for p in PERSONAS])[persona]] = CH["website"]
        phone = rng.random(n) < np.array([p.phone_share for p in PERSONAS])[persona]
        people = _People(
            ids=self.ids.take("contact", n), index=np.arange(first, first + n), persona=persona, created=created,
            first=rng.integers(len(FIRST_NAMES), size=n), last=rng.integers(len(LAST_NAMES), size=n), city=city,
            org=org, org_domain=org_domain, phone=phone, first_channel=first_channel,
            campaign=self.campaign_of[first_channel, np.floor(created).astype(np.int64)],
            t_engage=t_engage, t_lead=t_lead, t_opp=t_opp, t_win=np.full(n, INF), t_amb=np.full(n, INF),
            active_until=np.full(n, INF),
        )
        return people, organisations

    def _deals(self, rng: np.random.Generator, people: _People) -> dict[str, Any]:
        """One deal per opportunity: its stage history through to won, lost, nurture, or still open."""
        cal = self.cal
        who = np.flatnonzero(np.isfinite(people.t_opp))
        opened = cal.next_open(people.t_opp[who])  # deals are opened by the sales person, in business hours
        people.t_opp[who] = np.where(opened <= cal.end, opened, INF)
        who, opened = who[opened <= cal.end], opened[opened <= cal.end]
        n = len(who)
        persona = people.persona[who]
        days = np.array([p.stage_days for p in PERSONAS])[persona]
        win = rng.random(n) < np.array([p.funnel[3] for p in PERSONAS])[persona]
        nurture = ~win & (rng.random(n) < 0.2)
        exit_slot = np.where(win, 4, np.where(nurture, 1, rng.integers(0, 5, size=n)))
        final = np.where(win, "won", np.where(nurture, "nurture", "lost")).astype(object)
        # most recent deals are still being worked, each waiting at some open stage
        held = (opened > cal.end - 60) & (rng.random(n) < 0.7)
        target = rng.integers(0, 5, size=n)
        exit_slot = np.where(held, np.maximum(exit_slot, target), exit_slot)
        present = np.arange(5)[None, :] <= exit_slot[:, None]
        skip = rng.random(n) < np.array([p.skip_proof for p in PERSONAS])[persona]
        present[:, 2] &= ~(skip & (exit_slot >= 3) & ~(held & (target == 2)))
        # a quarter of deals stall for weeks somewhere, which is what sales pipelines do
        stall = np.where(rng.random((n, 5)) < STALLED_SHARE / 5, STALL_FACTOR, 1.0) * days
        steps = np.concatenate([np.zeros((n, 1)), rng.exponential(1.0, (n, 4)) * stall[:, :4]], axis=1)
        elapsed = np.cumsum(steps * present, axis=1)
        allowed = (cal.end - opened) * rng.uniform(0.2, 0.8, n)
        to_target = elapsed[np.arange(n), target]
        elapsed *= np.where(held & (to_target > allowed), allowed / np.maximum(to_target, 1e-9), 1.0)[:, None]
        times = cal.next_open(opened[:, None] + elapsed)
        times[held[:, None] & (np.arange(5)[None, :] > target[:, None])] = INF
        closed_at = cal.next_open(times[np.arange(n), exit_slot] + rng.exponential(1.0, n) * stall[:, 4])
        closed_at[held] = INF
        reached = present & (times <= cal.end)
        closed = closed_at <= cal.end
        last_slot = 4 - np.argmax(reached[:, ::-1], axis=1)
        stage = np.where(closed, final, np.asarray(DEAL_SLOTS, dtype=object)[last_slot])
        won = win & closed
        people.t_win[who[won]] = closed_at[won]
        ids = self.ids.take("deal", n)

        lines = np.where(rng.random(n) < 0.35, 2, 1)
        line_offer, line_qty = self._draw_lines(rng, persona, lines)
        line_deal = np.repeat(np.arange(n), lines)
        line_price = self._price_at(line_offer, opened[line_deal], cost=False)
        value = np.zeros(n, dtype=np.int64)
        np.add.at(value, line_deal, line_qty * line_price)

        hist_deal, hist_slot = np.nonzero(reached)
        done = np.flatnonzero(closed)
        hist_deal = np.concatenate([hist_deal, done])
        hist_to = np.concatenate([np.asarray(DEAL_SLOTS, dtype=object)[hist_slot], final[done]])
        hist_time = np.concatenate([times[reached], closed_at[done]])
        order = np.lexsort((hist_time, hist_deal))
        hist_deal, hist_to, hist_time = hist_deal[order], hist_to[order], hist_time[order]
        hist_from = np.empty(len(hist_deal), dtype=object)
        hist_from[1:] = hist_to[:-1]
        hist_from[np.r_[True, hist_deal[1:] != hist_deal[:-1]][:len(hist_deal)]] = None
        updated = np.full(n, -INF)
        np.maximum.at(updated, hist_deal, hist_time)

        expected = np.where(closed, np.floor(closed_at.clip(0, cal.end)) + rng.integers(-5, 6, size=n),
                            cal.days - 1 + rng.integers(3, 46, size=n)).astype(np.int64)
        planned = np.where(closed, exit_slot >= 3, last_slot >= 3)  # a close plan is made at the proposal
        names = [f"{FIRST_NAMES[f]} {LAST_NAMES[s]}" for f, s in zip(people.first[who].tolist(),
                                                                    people.last[who].tolist())]
        occasion = _choose(rng, ("Birthday", "Christmas lunch", "Year-end family lunch", "Baby shower",
                                 "Heritage Day braai"), n)
        service = _choose(rng, ("Monthly staff lunches", "Year-end function", "Board meeting catering",
                                "Product launch", "Team-building cooking class"), n)
        titles = _text([
            f"Weekly meal boxes for {name}" if p == 0 else f"{o} platters for {name}" if p == 1 else f"{s} for {name}"
            for p, name, o, s in zip(persona.tolist(), names, occasion.tolist(), service.tolist())
        ])
        reason = np.where(closed & (final == "lost"), _choose(rng, LOST_REASONS, n), None)
        deal = Rows("deal", {
            "id": ids,
            "contact_id": people.ids[who],
            "campaign_id": Ref(people.campaign[who]),
            "owner_user_id": Ref(np.full(n, self.sales, dtype=np.int64)),
            "title": titles,
            "stage": stage,
            "value_minor": value,
            "currency": _text(["ZAR"] * n),
            "expected_close_on": Day(cal.day0 + expected),
            "close_where": np.where(planned, _choose(rng, CLOSE_WHERE, n), None),
            "close_how": np.where(planned, _choose(rng, CLOSE_HOW, n), None),
            "close_by": Day(np.where(planned, cal.day0 + expected, NULL_TS)),
            "lost_reason": reason,
            "lost_note": _text([LOST_NOTES[r] if r else None for r in reason.tolist()]),
            "created_at": Ts(cal.seconds(opened)),
            "updated_at": Ts(cal.seconds(updated)),
            "closed_at": Ts(cal.seconds(np.where(closed, closed_at, INF))),
        })
        deal_offer = Rows("deal_offer", {
            "deal_id": ids[line_deal],
            "offer_id": self.offer_ids[line_offer],
            "quantity": line_qty,
            "unit_price_minor": line_price,
        })
        change = Rows("deal_stage_change", {
            "id": self.ids.take("deal_stage_change", len(hist_deal)),
            "deal_id": ids[hist_deal],
            "from_stage": hist_from,
            "to_stage": hist_to,
            "changed_at": Ts(cal.seconds(hist_time)),
            "changed_by_user_id": Ref(np.full(len(hist_deal), self.sales, dtype=np.int64)),
        })
        return {
            "rows": [deal, deal_offer, change], "who": who, "ids": ids, "final": final, "closed": closed,
            "closed_at": closed_at, "opened": opened, "title": titles, "won": won,
            "line_deal": line_deal, "line_offer": line_offer, "line_qty": line_qty, "line_price": line_price,
            "hist_deal": hist_deal, "hist_from": hist_from, "hist_to": hist_to, "hist_time": hist_time,
        }

    def _customers(self, rng: np.random.Generator, people: _People) -> None:
        """Customers keep ordering for a while; some become ambassadors by writing a review."""
        cal = self.cal
        n = len(people.ids)
        customer = np.isfinite(people.t_win)
        lifetime = rng.exponential(1.0, n) * np.array([p.lifetime for p in PERSONAS])[people.persona]
        people.active_until = np.where(customer, people.t_win + lifetime, INF)
        chance = np.array([p.funnel[4] for p in PERSONAS])[people.persona]
        review = cal.later(rng, people.t_win, 45.0, SOCIAL)
        people.t_amb = np.where(customer & (rng.random(n) < chance) & (review <= cal.end), review, INF)

    def _referrals(self, rng: np.random.Generator, people: _People) -> Rows:
        """Some newcomers were brought by an ambassador of their own kind who had already reviewed."""
        candidate = rng.random(len(people.ids)) < REFERRED_SHARE
        referred, referrer = [], []
        for p in range(len(PERSONAS)):
            ambassadors = np.flatnonzero((people.persona == p) & np.isfinite(people.t_amb))
            ambassadors = ambassadors[np.argsort(people.t_amb[ambassadors], kind="stable")]
            mine = np.flatnonzero(candidate & (people.persona == p))
            eligible = np.searchsorted(people.t_amb[ambassadors], people.created[mine] - 1)
            ok = eligible > 0
            referred.append(mine[ok])
            referrer.append(ambassadors[np.floor(rng.random(int(ok.sum())) * eligible[ok]).astype(np.int64)])
        order = np.argsort(np.concatenate(referred), kind="stable")
        referred_idx = np.concatenate(referred)[order]
        referrer_idx = np.concatenate(referrer)[order]
        people.first_channel[referred_idx] = CH["referral"]
        people.campaign[referred_idx] = 0
        return Rows("referral", {
            "id": self.ids.take("referral", len(referred_idx)),
            "referrer_contact_id": people.ids[referrer_idx],
            "referred_contact_id": people.ids[referred_idx],
            "referred_at": Ts(self.cal.seconds(people.created[referred_idx])),
            "reward_minor": np.array([p.referral_reward for p in PERSONAS], dtype=np.int64)[
                people.persona[referrer_idx]],
            "reward_currency": _text(["ZAR"] * len(referred_idx)),
        })

    def _leads(self, rng: np.random.Generator, people: _People) -> dict[str, Any]:
        """How each lead first wrote to us, and the conversation that followed."""
        n = len(people.ids)
        lead = np.flatnonzero(np.isfinite(people.t_lead))
        persona = people.persona[lead]
        web = rng.random(len(lead)) < np.array([p.web_lead_share for p in PERSONAS])[persona]
        channel = np.where(web, CH["website"], _persona_channel(rng, persona, "messaging", 0))
        text = np.where(web, np.asarray(LEAD_FORMS, dtype=object)[persona], _by_persona(rng, LEAD_MESSAGES, persona))
        thread_channel = np.where(web, CH["email"], channel)  # a quote form is answered by email
        ids = self.ids.take("conversation", len(lead))
        conversation = np.zeros(n, dtype=np.int64)
        conversation[lead] = ids
        conversation_channel = np.zeros(n, dtype=np.int64)
        conversation_channel[lead] = thread_channel
        customer_until = np.where(np.isfinite(people.t_win[lead]), people.active_until[lead], -INF)
        last_active = np.maximum(people.t_lead[lead], customer_until)
        rows = Rows("conversation", {
            "id": ids,
            "contact_id": people.ids[lead],
            "channel": np.asarray(CHANNELS, dtype=object)[thread_channel],
            "subject": np.asarray(CONVERSATION_SUBJECTS, dtype=object)[persona],
            "status": np.where(last_active < self.cal.end - 30, "closed", "open").astype(object),
            "started_at": Ts(self.cal.seconds(people.t_lead[lead])),
        })
        return {"rows": rows, "lead": lead, "web": web, "channel": channel, "text": text, "ids": ids,
                "thread_channel": thread_channel, "conversation": conversation,
                "conversation_channel": conversation_channel}

    def _draw_lines(self, rng: np.random.Generator, persona: np.ndarray, lines: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Distinct offers and their quantities, `lines[i]` of them for row i of the given personas."""
        n_lines = int(lines.sum())
        owner = np.repeat(np.arange(len(lines)), lines)
        slot = np.arange(n_lines) - np.repeat(np.cumsum(lines) - lines, lines)
        offers = np.empty(n_lines, dtype=np.int64)
        for p, spec in enumerate(PERSONAS):
            rows = np.flatnonzero(persona == p)
            skus = np.array([SKU_INDEX[s] for s in spec.offers])
            # Gumbel top-k: distinct offers drawn in proportion to the persona's weights
            keys = np.log(np.array(list(spec.offers.values())))[None, :] + rng.gumbel(size=(len(rows), len(skus)))
            ranked = skus[np.argsort(-keys, axis=1)]
            mine = np.flatnonzero(persona[owner] == p)
            offers[mine] = ranked[np.searchsorted(rows, owner[mine]), slot[mine]]
        lo = np.array([o[6] for o in OFFERS])[offers]
        hi = np.array([o[7] for o in OFFERS])[offers]
        quantity = lo + np.floor(rng.random(n_lines) ** 1.6 * (hi - lo + 1)).astype(np.int64)
        return offers, quantity

    def _price_at(self, offers: np.ndarray, t: np.ndarray, *, cost: bool) -> np.ndarray:
        """The list price (or unit cost) of offers at times t, in cents of whole rand, inflated to today's."""
        now = np.array([o[5] if cost else o[4] for o in OFFERS], dtype=float)[offers]
        years = (self.cal.end - t) / 365
        return (np.round(now / (COST_INFLATION if cost else PRICE_INFLATION) ** years) * 100).astype(np.int64)

    def _orders(self, rng: np.random.Generator, people: _People, deals: dict[str, Any]) -> dict[str, Any]:
        """The first order of each won deal, repeat orders while the customer stays, and a few refunds."""
        cal = self.cal
        won = np.flatnonzero(deals["won"])
        customers = np.flatnonzero(np.isfinite(people.t_win))
        owners, times = [deals["who"][won]], [deals["closed_at"][won]]
        for p, spec in enumerate(PERSONAS):
            rows = customers[people.persona[customers] == p]
            lo = np.minimum(people.t_win[rows] + 2, cal.end)
            hi = np.clip(people.active_until[rows], lo, cal.end)
            profile = self.order_profiles[p]
            count = rng.poisson((cal.mass(profile, hi) - cal.mass(profile, lo)) / spec.order_every)
            owners.append(np.repeat(rows, count))
            times.append(cal.sample(rng, profile, np.repeat(lo, count), np.repeat(hi, count), spec.time_of_day))
        owner, at = np.concatenate(owners), np.concatenate(times)
        from_deal = np.concatenate([won, np.full(len(owner) - len(won), -1)])
        order = np.lexsort((at, owner))
        owner, at, from_deal = owner[order], at[order], from_deal[order]
        n = len(owner)
        persona = people.persona[owner]
        deal_id = np.where(from_deal >= 0, deals["ids"][np.maximum(from_deal, 0)], 0)

        # a won deal's first order has the deal's lines; repeat orders draw from the persona's mix
        lines = np.empty(n, dtype=np.int64)
        channel = np.empty(n, dtype=np.int64)
        for p, spec in enumerate(PERSONAS):
            rows = np.flatnonzero(persona == p)
            lines[rows] = _pick(rng, spec.lines, len(rows)) + 1
            channel[rows] = _channel_codes(list(spec.order_channels))[_pick(rng, spec.order_channels, len(rows))]
        deal_lines = np.bincount(deals["line_deal"], minlength=len(deals["ids"]))
        lines = np.where(from_deal >= 0, deal_lines[np.maximum(from_deal, 0)], lines)
        offer, quantity = self._draw_lines(rng, persona, lines)
        line_order = np.repeat(np.arange(n), lines)
        line_no = np.arange(len(line_order)) - np.repeat(np.cumsum(lines) - lines, lines) + 1
        unit_price = self._price_at(offer, at[line_order], cost=False)
        copied = np.flatnonzero(from_deal[line_order] >= 0)
        source = (np.cumsum(deal_lines) - deal_lines)[from_deal[line_order[copied]]] + line_no[copied] - 1
        offer[copied] = deals["line_offer"][source]
        quantity[copied] = deals["line_qty"][source]
        unit_price[copied] = deals["line_price"][source]
        unit_cost = self._price_at(offer, at[line_order], cost=True)

        # tourists and international offices pay a few orders in dollars or pounds, at the day's rate
        foreign = rng.random(n) < np.array([p.foreign_share for p in PERSONAS])[persona]
        currency = np.where(foreign, np.where(rng.random(n) < 0.5, "USD", "GBP"), "ZAR").astype(object)
        day = np.clip(np.floor(at).astype(np.int64), 0, cal.days - 1)
        rate = np.ones(n)
        for code, daily in self.rates.items():
            rate = np.where(currency == code, daily[day], rate)
        unit_price = np.round(unit_price / rate[line_order]).astype(np.int64)
        unit_cost = np.round(unit_cost / rate[line_order]).astype(np.int64)

        # refunds: a separate order a few days later that returns all or half of the first line
        refund_at = at + rng.uniform(1, 5, n)
        refunded = np.flatnonzero((rng.random(n) < 0.02) & (refund_at <= cal.end))
        refund_line = (np.cumsum(lines) - lines)[refunded]
        refund_qty = -np.maximum(1, quantity[refund_line] // np.where(rng.random(len(refunded)) < 0.5, 1, 2))

        ids = self.ids.take("sales_order", n + len(refunded))
        all_owner = np.concatenate([owner, owner[refunded]])
        all_at = np.concatenate([at, refund_at[refunded]])
        all_currency = np.concatenate([currency, currency[refunded]])
        external = self.ids.external("sales_order", "KK", ids)
        order_rows = Rows("sales_order", {
            "id": ids,
            "source": _text(["demo"] * len(ids)),
            "external_id": external,
            "contact_id": Ref(people.ids[all_owner]),
            "deal_id": Ref(np.concatenate([deal_id, deal_id[refunded]])),
            "ordered_at": Ts(cal.seconds(all_at)),
            "channel": np.asarray(CHANNELS, dtype=object)[np.concatenate([channel, channel[refunded]])],
            "location": _text([CITIES[c][0] for c in people.city[all_owner].tolist()]),
            "country": _text(["ZA"] * len(ids)),
            "currency": all_currency,
            "created_at": Ts(cal.seconds(all_at)),
        })
        names = np.asarray([o[1] for o in OFFERS], dtype=object)
        line_of = np.concatenate([line_order, n + np.arange(len(refunded))])
        line_offer = np.concatenate([offer, offer[refund_line]])
        line_quantity = np.concatenate([quantity, refund_qty])
        line_price = np.concatenate([unit_price, unit_price[refund_line]])
        line_rows = Rows("order_line", {
            "id": self.ids.take("order_line", len(line_of)),
            "order_id": ids[line_of],
            "line_no": np.concatenate([line_no, np.ones(len(refunded), dtype=np.int64)]),
            "offer_id": Ref(self.offer_ids[line_offer]),
            "description": np.concatenate([names[offer], "Refund: " + names[offer[refund_line]]]),
            "quantity": line_quantity,
            "unit_price_minor": line_price,
            "unit_cost_minor": Ref(np.concatenate([unit_cost, unit_cost[refund_line]])),
        })
        totals = np.zeros(len(ids), dtype=np.int64)
        np.add.at(totals, line_of, line_quantity * line_price)
        return {"rows": [order_rows, line_rows], "ids": ids, "owner": all_owner, "at": all_at, "total": totals,
                "currency": all_currency, "external": external}

    def _queries(self, rng: np.random.Generator, people: _People, leads: dict[str, Any]) -> dict[str, Any]:
        """Questions, concerns, complaints and suggestions from leads and customers, in their conversation."""
        cal = self.cal
        lead = leads["lead"]
        customer = np.isfinite(people.t_win[lead])
        count = rng.poisson(0.3 + 0.25 * customer)
        owner = np.repeat(lead, count)
        is_customer = np.repeat(customer, count)
        lo = np.where(is_customer, people.t_win[owner], people.t_lead[owner])
        opened = cal.sample(rng, self.activity, lo, np.minimum(lo + 240, cal.end), SOCIAL)
        entry = np.empty(len(owner), dtype=np.int64)
        for p in range(len(PERSONAS)):
            for customers_only in (True, False):
                rows = np.flatnonzero((people.persona[owner] == p) & (is_customer == customers_only))
                weights = [w[p] if customers_only or not needs else 0.0 for *_, w, needs in QUERY_CATALOG]
                entry[rows] = _pick(rng, weights, len(rows))
        order = np.lexsort((opened, owner))
        owner, opened, entry = owner[order], opened[order], entry[order]
        kind = np.asarray([q[1] for q in QUERY_CATALOG], dtype=object)[entry]
        answered = cal.answer(rng, opened, 60)
        answered = np.where((answered <= cal.end) & (rng.random(len(owner)) > 0.03), answered, INF)
        resolved = answered + rng.exponential(1.0, len(owner)) * np.where(kind == "complaint", 2.0, 0.5)
        resolved = np.where((resolved <= cal.end) & (rng.random(len(owner)) > 0.05), resolved, INF)
        ids = self.ids.take("query", len(owner))
        text = np.asarray([q[2] for q in QUERY_CATALOG], dtype=object)[entry]
        channel = leads["conversation_channel"][owner]
        rows = Rows("query", {
            "id": ids,
            "contact_id": people.ids[owner],
            "conversation_id": Ref(leads["conversation"][owner]),
            "kind": kind,
            "channel": np.asarray(CHANNELS, dtype=object)[channel],
            "text": text,
            "opened_at": Ts(cal.seconds(opened)),
            "first_response_at": Ts(cal.seconds(answered)),
            "resolved_at": Ts(cal.seconds(resolved)),
            "assigned_user_id": Ref(np.full(len(owner), self.sales, dtype=np.int64)),
        })
        return {"rows": rows, "ids": ids, "owner": owner, "opened": opened, "answered": answered, "text": text,
                "channel": channel, "theme": np.asarray([q[0] for q in QUERY_CATALOG], dtype=object)[entry]}

    def _engagements(self, rng: np.random.Generator, people: _People, leads: dict[str, Any],
                     queries: dict[str, Any]) -> dict[str, Any]:
        """Every inbound signal: the milestones of each journey plus everyday likes, visits and comments."""
        cal = self.cal
        n = len(people.ids)
        persona = people.persona
        parts: list[tuple[np.ndarray, ...]] = []

        def part(owner: np.ndarray, at: np.ndarray, kind: np.ndarray | str, channel: np.ndarray,
                 text: np.ndarray | None = None, spam: bool = False) -> int:
            parts.append((owner, at, np.broadcast_to(np.asarray(kind, dtype=object), owner.shape), channel,
                          np.full(len(owner), None, dtype=object) if text is None else text,
                          np.full(len(owner), spam)))
            return len(parts) - 1

        everyone = np.arange(n)
        channel = people.first_channel.copy()
        referred = channel == CH["referral"]
        channel[referred] = _persona_channel(rng, persona[referred], "social", 0)
        part(everyone, people.created, np.where(channel == CH["website"], "visit", "follow"), channel)

        engaged = np.flatnonzero(np.isfinite(people.t_engage))
        part(engaged, people.t_engage[engaged],
             np.asarray(("comment", "share", "mention"), dtype=object)[_pick(rng, (0.6, 0.2, 0.2), len(engaged))],
             _persona_channel(rng, persona[engaged], "social", 0))
        lead = leads["lead"]
        lead_part = part(lead, people.t_lead[lead], np.where(leads["web"], "form_submit", "message"),
                         leads["channel"], leads["text"])
        amb = np.flatnonzero(np.isfinite(people.t_amb))
        part(amb, people.t_amb[amb], "review",
             _channel_codes(("facebook", "website", "marketplace"))[_pick(rng, (0.5, 0.3, 0.2), len(amb))],
             _choose(rng, REVIEWS, len(amb)))
        query_part = part(queries["owner"], queries["opened"], "query", queries["channel"], queries["text"])
        spammer = np.flatnonzero(rng.random(n) < SPAM_SHARE)
        part(spammer, cal.sample(rng, self.activity, people.created[spammer], np.full(len(spammer), cal.end), SOCIAL),
             "comment", _persona_channel(rng, persona[spammer], "social", 0), _choose(rng, SPAM, len(spammer)),
             spam=True)

        # everyday signals while they are interested: passive before they engage, conversational after
        last_step = np.max(np.where(np.isfinite(people.milestones), people.milestones, -INF), axis=0)
        until = np.where(np.isfinite(people.t_win), people.active_until + 30, last_step + 120).clip(max=cal.end)
        owner = np.repeat(everyone, rng.poisson(np.array([p.engagement for p in PERSONAS])[persona, people.stage]))
        at = cal.sample(rng, self.activity, people.created[owner], until[owner], SOCIAL)
        roll = rng.random(len(owner))
        visit_share = np.array([p.visit_share for p in PERSONAS])[persona[owner]]
        active = np.asarray(("like", "comment", "share", "mention", "message"), dtype=object)[
            _pick(rng, (0.45, 0.25, 0.12, 0.06, 0.12), len(owner))]
        kind = np.where(roll < visit_share, "visit", np.where(
            at < people.t_engage[owner], np.where(roll < visit_share + 0.15, "follow", "like"), active)).astype(object)
        kind[(kind == "message") & (at < people.t_lead[owner])] = "comment"
        channel = np.where(kind == "visit", CH["website"], _persona_channel(rng, persona[owner], "social",
                                                                            CHANNEL_NOISE))
        text = np.full(len(owner), None, dtype=object)
        comments = np.flatnonzero(kind == "comment")
        text[comments] = _by_persona(rng, COMMENTS, persona[owner[comments]])
        for name, choices in (("mention", MENTIONS), ("share", SHARES), ("message", MESSAGES)):
            rows = np.flatnonzero(kind == name)
            text[rows] = _choose(rng, choices, len(rows))
        part(owner, at, kind, channel, text)

        starts = np.cumsum([0, *(len(p[0]) for p in parts)])
        owner, at, kind, channel, text, spam = (np.concatenate(column) for column in zip(*parts))
        # email and WhatsApp carry replies and messages, not likes, follows or comments
        on_email = (channel == CH["email"]) & np.isin(kind, SOCIAL_KINDS)
        kind[on_email] = "reply"
        text[on_email & ~spam] = _choose(rng, REPLIES, int((on_email & ~spam).sum()))
        kind[(channel == CH["whatsapp"]) & np.isin(kind, ("comment", "mention"))] = "message"
        url = np.full(len(owner), None, dtype=object)
        visits = np.flatnonzero(kind == "visit")
        url[visits] = _choose(rng, PAGES, len(visits))
        url[kind == "form_submit"] = QUOTE_PAGE

        # most are answered in business hours; recent ones and a few older ones still wait in the inbox
        answered = cal.answer(rng, at, 40)
        missed = rng.random(len(owner)) < np.where(at > cal.end - 3, 0.35, 0.03)
        answered = np.where(spam | missed | (answered > cal.end), INF, answered)
        answered[starts[query_part]:starts[query_part + 1]] = queries["answered"]
        by = np.where(np.isin(kind, ("message", "reply", "form_submit", "query")), self.sales, self.marketing)
        by = np.where(np.isfinite(answered), by, 0)
        day = np.clip(np.floor(at).astype(np.int64), 0, cal.days - 1)
        campaign = np.where(rng.random(len(owner)) < 0.7, self.campaign_of[channel, day], 0)

        order = np.lexsort((at, owner))
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        ids = self.ids.take("engagement", len(order))
        occurred = cal.seconds(at[order])
        rows = Rows("engagement", {
            "id": ids,
            "source": _text(["demo"] * len(order)),
            "external_id": self.ids.external("engagement", "eng", ids),
            "contact_id": people.ids[owner[order]],
            "campaign_id": Ref(campaign[order]),
            "channel": np.asarray(CHANNELS, dtype=object)[channel[order]],
            "kind": kind[order],
            "occurred_at": Ts(occurred),
            "text": text[order],
            "url": url[order],
            "is_spam": Flag(spam[order]),
            "spam_decided_by": np.where(spam[order], "user", None).astype(object),  # a person marked it
            "answered_at": Ts(cal.seconds(answered[order])),
            "answered_by_user_id": Ref(by[order]),
            "recorded_at": Ts(occurred + rng.integers(1, 300, size=len(order))),
        })
        lead_rows = slice(starts[lead_part], starts[lead_part + 1])
        return {"rows": rows, "lead_id": ids[position[lead_rows]], "lead_answered": answered[lead_rows]}

    def _messages(self, rng: np.random.Generator, people: _People, deals: dict[str, Any], leads: dict[str, Any],
                  engagements: dict[str, Any]) -> Rows:
        """Each lead's thread: their first message, our reply, the quote, their answer, the confirmation."""
        cal = self.cal
        lead = leads["lead"]
        n = len(lead)
        first_names = np.asarray(FIRST_NAMES, dtype=object)[people.first[lead]].tolist()
        cities = [CITIES[c][0] for c in people.city[lead].tolist()]
        per_contact = {key: np.full(len(people.ids), INF) for key in ("opened", "closed_at")}
        per_contact["opened"][deals["who"]] = deals["opened"]
        per_contact["closed_at"][deals["who"][deals["closed"]]] = deals["closed_at"][deals["closed"]]
        quoted = np.zeros(len(people.ids), dtype=np.int64)
        quoted[deals["who"][deals["line_deal"][::-1]]] = deals["line_offer"][::-1]  # each deal's first line
        opened, closed_at = per_contact["opened"][lead], per_contact["closed_at"][lead]
        closed = np.isfinite(closed_at)
        won = np.isfinite(people.t_win[lead])
        offer_names = [OFFERS[o][1] for o in quoted[lead].tolist()]
        # the quote goes out soon after the deal opens, and the answer comes before it closes
        start = np.where(closed, opened, 0)
        span = np.where(closed, closed_at, 0) - start
        quote_at = np.where(closed, start + 0.3 * span, cal.next_open(opened + 0.05))
        answer_at = np.where(closed, start + 0.8 * span, INF)
        declined = np.where(rng.random(n) < 0.5, DECLINED[0], DECLINED[1])
        no_author = np.zeros(n, dtype=np.int64)
        threads = [
            (leads["text"], people.t_lead[lead], "inbound", no_author, no_author, None),
            (_text([REPLY_TEMPLATES[p].format(first=f, city=c)
                    for p, f, c in zip(people.persona[lead].tolist(), first_names, cities)]),
             engagements["lead_answered"], "outbound", no_author + self.sales, engagements["lead_id"],
             "legitimate_interest"),
            (_text([QUOTE_TEMPLATES[i % 2].format(first=f, offer=o)
                    for i, (f, o) in enumerate(zip(first_names, offer_names))]),
             quote_at, "outbound", no_author + self.sales, no_author, "legitimate_interest"),
            (np.where(won, ACCEPTED[0], declined).astype(object), answer_at, "inbound", no_author, no_author, None),
            (_text([CONFIRMATION.format(first=f) for f in first_names]), np.where(won, closed_at + 0.01, INF),
             "outbound", no_author + self.sales, no_author, "transactional"),
        ]
        thread, body, at, direction, author, reply_to, basis = [], [], [], [], [], [], []
        for texts, when, way, who, answers, legal in threads:
            keep = np.flatnonzero(when <= cal.end)
            thread.append(keep)
            body.append(texts[keep])
            at.append(when[keep])
            direction.append(np.full(len(keep), way, dtype=object))
            author.append(who[keep])
            reply_to.append(answers[keep])
            basis.append(np.full(len(keep), legal, dtype=object))
        thread_all, at_all = np.concatenate(thread), np.concatenate(at)
        order = np.lexsort((at_all, thread_all))
        return Rows("message", {
            "id": self.ids.take("message", len(order)),
            "conversation_id": leads["ids"][thread_all[order]],
            "direction": np.concatenate(direction)[order],
            "channel": np.asarray(CHANNELS, dtype=object)[leads["thread_channel"][thread_all[order]]],
            "author_user_id": Ref(np.concatenate(author)[order]),
            "body": np.concatenate(body)[order],
            "sent_at": Ts(cal.seconds(at_all[order])),
            "in_reply_to_engagement_id": Ref(np.concatenate(reply_to)[order]),
            "legal_basis": np.concatenate(basis)[order],
        })

    def _consents(self, rng: np.random.Generator, people: _People, deals: dict[str, Any]) -> dict[str, Any]:
        """Permission from most leads, and from everyone whose deal went to nurture; a few withdraw it."""
        cal = self.cal
        n = len(people.ids)
        nurture = deals["closed"] & (deals["final"] == "nurture")
        asked_at = np.where(rng.random(n) < 0.7, people.t_lead + rng.uniform(0.001, 0.02, n), INF)
        asked_at[deals["who"][nurture]] = deals["closed_at"][nurture]
        who = np.flatnonzero(asked_at <= cal.end)
        grants = rng.random((len(who), len(CONSENT_PURPOSES))) < np.array(CONSENT_CHANCE)
        nurtured = np.zeros(n, dtype=bool)
        nurtured[deals["who"][nurture]] = True
        grants[nurtured[who], CONSENT_PURPOSES.index("inspiration")] = True  # stay in touch until they are ready
        row, purpose = np.nonzero(grants)
        owner = who[row]
        granted = asked_at[owner]
        withdrawn = granted + rng.exponential(120, len(owner))
        withdrawn = np.where((rng.random(len(owner)) < WITHDRAWN_SHARE) & (withdrawn <= cal.end), withdrawn, INF)
        channel = np.where(people.phone[owner] & (rng.random(len(owner)) < 0.4), "whatsapp", "email").astype(object)
        evidence = rng.integers(len(CONSENT_EVIDENCE), size=len(owner))
        ids = self.ids.take("consent", len(owner))
        rows = Rows("consent", {
            "id": ids,
            "contact_id": people.ids[owner],
            "purpose": np.asarray(CONSENT_PURPOSES, dtype=object)[purpose],
            "channel": channel,
            "granted_at": Ts(cal.seconds(granted)),
            "withdrawn_at": Ts(cal.seconds(withdrawn)),
            "evidence_source": np.asarray([e[0] for e in CONSENT_EVIDENCE], dtype=object)[evidence],
            "evidence_text": np.asarray([e[1] for e in CONSENT_EVIDENCE], dtype=object)[evidence],
            "recorded_by_user_id": Ref(np.full(len(owner), self.marketing, dtype=np.int64)),
        })
        return {"rows": rows, "ids": ids, "owner": owner, "granted": granted, "withdrawn": withdrawn,
                "purpose": purpose, "channel": channel}

    def _identities(self, rng: np.random.Generator, people: _People) -> Rows:
        """Handles on the channels people use, an email for every lead and a phone for most."""
        n = len(people.ids)
        first = FIRST_SLUGS[people.first].tolist()
        last = LAST_SLUGS[people.last].tolist()
        index = people.index.tolist()
        separator = np.asarray(("", ".", "_"), dtype=object)[rng.integers(3, size=n)].tolist()
        # the demo-wide index ends every handle and email, so all of them are unique
        handles = [f"{f}{s}{l}{i}" for f, s, l, i in zip(first, separator, last, index)]
        primary = np.where(np.isin(people.first_channel, _channel_codes(("email", "whatsapp", "website", "referral"))),
                           _persona_channel(rng, people.persona, "social", 0), people.first_channel)
        primary[np.isin(primary, _channel_codes(("email", "whatsapp")))] = CH["facebook"]
        second = np.where(primary == CH["instagram"], CH["tiktok"],
                          np.where(primary == CH["linkedin"], CH["x"], CH["instagram"]))
        has_second = np.flatnonzero(rng.random(n) < 0.3)
        lead = np.isfinite(people.t_lead)
        has_email = np.flatnonzero(lead | (np.isfinite(people.t_engage) & (rng.random(n) < 0.1)))
        domain = np.where(people.org > 0, people.org_domain, _choose(rng, EMAIL_DOMAINS, n)).tolist()
        emails = [f"{first[i]}.{last[i]}{index[i]}@{domain[i]}" for i in has_email.tolist()]
        has_phone = np.flatnonzero(people.phone & lead)
        number = (people.index * 7_919_011 + 1_234_567) % 10_000_000  # a bijection on 7 digits: all unique
        prefix = _choose(rng, MOBILE_PREFIXES, n)
        phones = [f"+27{prefix[i]}{number[i]:07d}" for i in has_phone.tolist()]
        contact = np.concatenate([np.arange(n), has_second, has_email, has_phone])
        kind = np.repeat(np.asarray(("handle", "email", "phone"), dtype=object),
                         [n + len(has_second), len(has_email), len(has_phone)])
        channel = np.concatenate([np.asarray(CHANNELS, dtype=object)[np.concatenate([primary, second[has_second]])],
                                  np.full(len(has_email), "email", dtype=object),
                                  np.full(len(has_phone), "phone", dtype=object)])
        value = np.asarray(handles + [handles[i] for i in has_second.tolist()] + emails + phones, dtype=object)
        email_at = np.where(lead, people.t_lead, people.t_engage)
        at = np.concatenate([people.created, people.created[has_second] + 2, email_at[has_email],
                             people.t_lead[has_phone]]).clip(max=self.cal.end)
        order = np.lexsort((at, contact))
        return Rows("identity", {
            "id": self.ids.take("identity", len(contact)),
            "contact_id": people.ids[contact[order]],
            "kind": kind[order],
            "channel": channel[order],
            "value": value[order],
            "created_at": Ts(self.cal.seconds(at[order])),
        })

    def _contact_rows(self, people: _People) -> Rows:
        stage = people.stage
        updated = np.max(np.where(np.isfinite(people.milestones), people.milestones, -INF), axis=0)
        n = len(people.ids)
        return Rows("contact", {
            "id": people.ids,
            "display_name": _text([f"{FIRST_NAMES[f]} {LAST_NAMES[s]}"
                                   for f, s in zip(people.first.tolist(), people.last.tolist())]),
            "lifecycle_stage": np.asarray(STAGES, dtype=object)[stage],
            "first_channel": np.asarray(CHANNELS, dtype=object)[people.first_channel],
            "organisation_id": Ref(people.org),
            "owner_user_id": Ref(np.where(stage >= STAGES.index("lead"), self.sales, self.marketing)),
            "city": np.asarray([c for c, _ in CITIES], dtype=object)[people.city],
            "region": np.asarray([r for _, r in CITIES], dtype=object)[people.city],
            "country": _text(["ZA"] * n),
            "created_at": Ts(self.cal.seconds(people.created)),
            "updated_at": Ts(self.cal.seconds(updated)),
            "erased_at": Ts(np.full(n, NULL_TS)),
        })

    def _insight_links(self, rng: np.random.Generator, queries: dict[str, Any]) -> Rows:
        """Some queries on a theme the business learned from support its insight."""
        theme = {t[0]: i for i, t in enumerate(INSIGHTS)}
        insight = np.array([theme.get(t, -1) for t in queries["theme"].tolist()], dtype=np.int64)
        linked = np.flatnonzero((insight >= 0) & (rng.random(len(insight)) < 0.3))
        return Rows("insight_query", {"insight_id": self.insight_ids[insight[linked]],
                                      "query_id": queries["ids"][linked]})

    def _touches(self, rng: np.random.Generator, people: _People) -> Rows:
        """Ads seen and clicked, posts seen, newsletters opened and site visits, plus anonymous visitors."""
        cal = self.cal
        n = len(people.ids)
        owner = np.repeat(np.arange(n), rng.poisson(1.4, n))
        at = np.floor((people.created[owner] - rng.uniform(0, 14, len(owner))).clip(0, cal.end))
        at = np.minimum(at + Calendar.time_of_day(rng, len(owner), SOCIAL), cal.end)
        channel = _persona_channel(rng, people.persona[owner], "social", CHANNEL_NOISE)
        channel[rng.random(len(owner)) < 0.25] = CH["website"]
        anonymous = int(0.8 * n)
        anon_at = cal.sample(rng, self.acquisition[0], np.zeros(anonymous), np.full(anonymous, cal.end), SOCIAL)
        anon_channel = np.where(rng.random(anonymous) < 0.6, CH["website"],
                                _channel_codes(("instagram", "facebook", "tiktok", "linkedin"))[
                                    rng.integers(4, size=anonymous)])
        contact = np.concatenate([people.ids[owner], np.zeros(anonymous, dtype=np.int64)])
        at = np.concatenate([at, anon_at])
        channel = np.concatenate([channel, anon_channel])
        total = len(contact)
        campaign = self.campaign_of[channel, np.clip(np.floor(at).astype(np.int64), 0, cal.days - 1)]
        paid = campaign > 0
        kind = np.where(channel == CH["website"], "visit", np.where(
            channel == CH["email"], "email_open", np.where(
                paid & (channel != CH["whatsapp"]), np.where(rng.random(total) < 0.3, "ad_click", "ad_view"),
                "post_seen"))).astype(object)
        names = np.asarray(CHANNELS, dtype=object)[channel]
        slug = np.asarray([None, *("-".join(_slug(w) for w in c[0].replace(":", " ").split())
                                   for c in self._campaigns)], dtype=object)
        campaign_pos = np.searchsorted(self.campaign_ids, campaign) + 1
        utm = np.array([UTM[c][:2] if c in UTM else (None, None) for c in CHANNELS], dtype=object)[channel]
        referrer = np.array([UTM[c][2] if c in UTM else None for c in CHANNELS], dtype=object)[channel]
        # visitors are tracked by a cookie: a contact's visits share one, anonymous visitors have their own
        visitor = np.full(total, None, dtype=object)
        known_web = np.flatnonzero((contact > 0) & (channel == CH["website"]))
        visitor[known_web] = _text([f"v{i:08x}" for i in people.index[owner[known_web]].tolist()])
        visitor[len(owner):] = _text([f"a{i:08x}" for i in range(people.index[0], people.index[0] + anonymous)])
        ids = self.ids.take("touch", total)
        return Rows("touch", {
            "id": ids,
            "source": _text(["demo"] * total),
            "external_id": self.ids.external("touch", "tch", ids),
            "contact_id": Ref(contact),
            "visitor_id": visitor,
            "campaign_id": Ref(campaign),
            "channel": names,
            "kind": kind,
            "occurred_at": Ts(cal.seconds(at)),
            "utm_source": np.where(paid, utm[:, 0], None),
            "utm_medium": np.where(paid, utm[:, 1], None),
            "utm_campaign": np.where(paid, slug[np.where(paid, campaign_pos, 0)], None),
            "utm_content": np.where(paid & (channel != CH["website"]), _choose(rng, UTM_CONTENT, total), None),
            "utm_term": np.where(paid & (channel == CH["website"]), _choose(rng, SEARCH_TERMS, total), None),
            "referrer": np.where(kind == "visit", referrer, None),
        })

    def _tasks(self, rng: np.random.Generator, people: _People, deals: dict[str, Any]) -> Rows:
        """A follow-up for each deal and the care cadence after each first order; some are overdue."""
        cal = self.cal
        n_deals = len(deals["ids"])
        opened, closed = deals["opened"], deals["closed"]
        due = np.where(closed, cal.next_open(opened + 2), cal.days - 1 + rng.integers(-5, 7, size=n_deals) + 10 / 24)
        done = np.where(closed, cal.next_open(opened + rng.uniform(0.5, 2.5, n_deals)), INF)
        parts = [(np.arange(n_deals), _text([f"Follow up: {t}" for t in deals["title"].tolist()]), due, done,
                  np.zeros(n_deals, dtype=np.int64), opened)]
        won = np.flatnonzero(deals["won"])
        corporate = (people.persona[deals["who"][won]] == 2).astype(np.int64)
        for step in range(2):
            after = np.array([c[1][step][0] for c in CADENCES])[corporate]
            title = np.asarray([c[1][step][1] for c in CADENCES], dtype=object)[corporate]
            step_due = cal.next_open(deals["closed_at"][won] + after)
            finished = step_due + rng.lognormal(np.log(0.2), 1.0, len(won))
            finished = np.where(rng.random(len(won)) < 0.9, finished, INF)
            keep = step_due <= cal.end + 14
            parts.append((won[keep], title[keep], step_due[keep], finished[keep], self.cadence_ids[corporate[keep]],
                          deals["closed_at"][won][keep]))
        deal, title, due_at, done_at, cadence, created = (np.concatenate(c) for c in zip(*parts))
        done_at = np.where(done_at <= cal.end, done_at, INF)
        owner = deals["who"][deal]
        order = np.lexsort((due_at, owner))
        return Rows("task", {
            "id": self.ids.take("task", len(order)),
            "contact_id": people.ids[owner[order]],
            "deal_id": Ref(deals["ids"][deal[order]]),
            "cadence_id": Ref(cadence[order]),
            "assigned_user_id": Ref(np.full(len(order), self.sales, dtype=np.int64)),
            "title": title[order],
            "notes": _text([""] * len(order)),
            "due_at": Ts(cal.seconds(due_at[order])),
            "done_at": Ts(cal.seconds(done_at[order])),
            "created_at": Ts(cal.seconds(np.minimum(created, due_at)[order])),
        })

    def _audit(self, people: _People, deals: dict[str, Any], orders: dict[str, Any], consents: dict[str, Any]) -> Rows:
        """The timeline: contacts created and moved along, deal stages, orders and consents."""
        n = len(people.ids)
        parts = []

        def add(at: np.ndarray, entity: str, entity_id: np.ndarray, contact: np.ndarray, action: str,
                summary: np.ndarray, before: np.ndarray, after: np.ndarray) -> None:
            parts.append((at, np.full(len(at), entity, dtype=object), entity_id, contact,
                          np.full(len(at), action, dtype=object), summary, before, after))

        none = np.full(n, None, dtype=object)
        add(people.created, "contact", people.ids, people.ids, "created",
            _text([f"Created from {CHANNELS[c]}" for c in people.first_channel.tolist()]), none,
            _json_stage("lifecycle_stage", np.full(n, "follower", dtype=object)))
        for s, t in enumerate(people.milestones[1:], start=1):
            moved = np.flatnonzero(np.isfinite(t))
            add(t[moved], "contact", people.ids[moved], people.ids[moved], "lifecycle_changed",
                np.full(len(moved), f"Lifecycle {STAGES[s - 1]} → {STAGES[s]}", dtype=object),
                _json_stage("lifecycle_stage", np.full(len(moved), STAGES[s - 1], dtype=object)),
                _json_stage("lifecycle_stage", np.full(len(moved), STAGES[s], dtype=object)))
        add(deals["hist_time"], "deal", deals["ids"][deals["hist_deal"]], people.ids[deals["who"][deals["hist_deal"]]],
            "stage_changed",
            _text([f"Deal opened at {b}" if a is None else f"Deal stage {a} → {b}"
                   for a, b in zip(deals["hist_from"].tolist(), deals["hist_to"].tolist())]),
            _json_stage("stage", deals["hist_from"]), _json_stage("stage", deals["hist_to"]))
        add(orders["at"], "order", orders["ids"], people.ids[orders["owner"]], "created",
            _text([f"{'Refund' if m < 0 else 'Order'} {e}: {t}" for m, e, t in zip(
                orders["total"].tolist(), orders["external"].tolist(),
                _money_text(orders["total"], orders["currency"]))]),
            np.full(len(orders["ids"]), None, dtype=object),
            _text([f'{{"total_minor": {m}, "currency": "{c}"}}'
                   for m, c in zip(orders["total"].tolist(), orders["currency"].tolist())]))
        purpose = np.asarray(CONSENT_PURPOSES, dtype=object)[consents["purpose"]]
        add(consents["granted"], "consent", consents["ids"], people.ids[consents["owner"]], "granted",
            _text([f"Consent granted: {p} by {c}" for p, c in zip(purpose.tolist(), consents["channel"].tolist())]),
            np.full(len(purpose), None, dtype=object), _json_stage("purpose", purpose))
        gone = np.flatnonzero(np.isfinite(consents["withdrawn"]))
        add(consents["withdrawn"][gone], "consent", consents["ids"][gone], people.ids[consents["owner"][gone]],
            "withdrawn", _text([f"Consent withdrawn: {p}" for p in purpose[gone].tolist()]),
            _json_stage("purpose", purpose[gone]), np.full(len(gone), None, dtype=object))
        at, entity, entity_id, contact, action, summary, before, after = (np.concatenate(c) for c in zip(*parts))
        order = np.lexsort((at, contact))
        total = len(order)
        return Rows("audit_event", {
            "id": self.ids.take("audit_event", total),
            "at": Ts(self.cal.seconds(at[order])),
            "actor_user_id": Ref(np.zeros(total, dtype=np.int64)),
            "actor": _text(["demo"] * total),
            "entity": entity[order],
            "entity_id": entity_id[order],
            "contact_id": Ref(contact[order]),
            "action": action[order],
            "summary": summary[order],
            "before": before[order],
            "after": after[order],
        })
