"""Obvious spam and self-promotion in engagement text, by a few transparent rules.

Each rule has a name, the reason it exists and a few cues. All cues of all rules are compiled into
one regular expression, searched once over the UTF-8 bytes of the text with ASCII letters
lower-cased. A text is spam when any cue matches. How the rules were chosen and measured, and what
they miss: docs/spam.md.

Why the cues look the way they do: the importer calls `spam_verdict` for every row, so it must cost
about two microseconds. Python's regex engine is fast only when every top-level alternative starts
with a literal character: it then skips in C to the next character that can start a match, and
tries the pattern only there. So each cue is anchored on a fairly rare character of its key word
(the "k" of "check", the "b" of "sub", the "y" of "my") and checks the rest of the word with a
fixed-width look-behind: the cue (r"\\bcheck", "...") compiles to ``k(?<=\\bcheck)(?:...)``.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class SpamRule(NamedTuple):
    """One rule: its name, why it marks spam, and its cues (any one of them marks the text).

    A cue is (ends, rest): the text read so far ends with `ends`, a fixed-width regex whose last
    character is a literal (the anchor), and goes on with `rest`.
    """

    name: str
    reason: str
    cues: tuple[tuple[str, str], ...]


# Words of a phrase are separated by any run of spaces or punctuation ("subscribe...to  my").
_ = r"\W+"


def _ends(*fragments: str) -> str:
    """A look-behind: the text read so far ends with one of these fixed-width fragments.

    A space in a fragment also matches a no-break space, which some clients put between words.
    """
    variants = dict.fromkeys(variant for fragment in fragments
                             for variant in (fragment, fragment.replace(" ", "\u00a0")))
    return "(?:" + "|".join(f"(?<={variant})" for variant in variants) + ")"


# A domain and a path typed without "http" (e-mail addresses have no path, so they never match).
_DOMAIN_PATH = _ends(r"[a-z0-9]\.[a-z]{2}/", r"[a-z0-9]\.[a-z]{3}/", r"[a-z0-9]\.[a-z]{4}/",
                     r"\s\.com/", r"\s\.\scom/", r"\.\scom/")  # "marketglory . com/": a link spelled out
# What a genuine customer asks the business to check: never self-promotion.
_CUSTOMER_THINGS = (r"(?:order|e?-?mail|message|dm|inbox|account|booking|reservation|invoice|bill|payment|delivery"
                    r"|parcel|package|reply|application|request|ticket|complaint|refund|details|status)")
# "Subscribe me to your newsletter" is a customer asking, not spam.
_NOT_A_NEWSLETTER = r"(?!(?:\W+me)?\W+(?:to|for|on)\W+(?:your|ur|the)\b)"
# How scams ask to be contacted, and what they offer.
_CONTACT = r".{0,120}?(?:whats\W?app|telegram|\+\d[\d ().-]{7,}\d)"
_OFFER = r".{0,120}?\b(?:invest|forex|crypto|bitcoin|profit|loan|earn|hack|followers|spell)"

RULES: tuple[SpamRule, ...] = (
    SpamRule(
        "link",
        "a web address, except a youtu.be share link (how viewers quote a video): on a business's post, "
        "a stranger's link is an advert, a fund-raiser, a referral code or malware far more often than "
        "a question",
        (
            ("[a-z]:", r"//(?!youtu\.be/)"),
            ("[a-z]/", _DOMAIN_PATH + r"(?<!youtu\.be/)[a-z0-9]"),
            ("[a-z]/", r"(?<=youtube/)[a-z0-9]"),  # a channel, its domain cut off
            (r"watch\?", r"v="),  # a video, its domain cut off
        ),
    ),
    SpamRule(
        "own_channel",
        "points at the writer's own channel or new release: the most common self-promotion",
        (
            (r"\bmy", rf"{_}(?:(?:(?:new|own|youtube|yt|music|gaming|acoustic|cover){_})?(?:channel|chanel|chhanel)"
                      rf"|(?:new|newest|latest){_}(?:song|single|track|video|vid|album|mixtape))\b"),
            ("b", r"er\b" + _ends(r"\bnew youtuber", r"\bsmall youtuber")),
        ),
    ),
    SpamRule(
        "check_me_out",
        "asks readers to look at, visit or watch the writer's own work",
        (
            (r"\bch[aeo]ck", rf"(?:(?:ing)?{_}(?:out{_})?(?:my|our)\b(?!{_}{_CUSTOMER_THINGS})|{_}(?:me|us){_}out\b)"),
            (r"\bmy", _ends(r"\bvisit my", r"\bwatch my", r"\bsee my", r"\bview my", r"\bhear my",
                            r"\blisten to my", r"\blook at my")
                      + r"\W+(?:(?:new|first|latest|youtube)\W+)?(?:vid|stream|channel|page|profile|site|website"
                        r"|blog|music|song|track|cover|mixtape|playlist)"),
        ),
    ),
    SpamRule(
        "subscribe_ask",
        "asks for subscribers or trades them (sub for sub, subscribe back); asking to be put on a "
        "newsletter is kept",
        (
            ("sub", r"(?<=\bsub)(?:scribe?s?|s)?"
                    rf"(?:{_}(?:to{_}|in{_})?(?:me|my|us|our)\b{_NOT_A_NEWSLETTER}|{_}back\b|\W*(?:4|for)\W*sub\b)"),
            ("crib", _ends(r"\bsuscrib", r"\bsucscrib", r"\bsubcrib")
                     + rf"e?s?{_}(?:to{_}|in{_})?(?:me|my|us|our)\b{_NOT_A_NEWSLETTER}"),
            ("sub", _ends(r"\bplease sub", r"\bplease  sub", r"\bplz sub", r"\bplz  sub", r"\bpls sub")
                    + rf"(?:scribe)?\b{_NOT_A_NEWSLETTER}"),
            ("sub", _ends("^sub", "^ sub") + rf"scribe{_}(?:and|to|for|if|now|like)\b{_NOT_A_NEWSLETTER}"),
            (r"\bif", rf"{_}i{_}(?:get|reach|hit){_}\d[\d,.k]*\W*subs(?:cribers)?\b"),
            # Spanish and French for "subscribe (to me)".
            ("b", "e" + _ends(r"\bsuscribe", r"\bsuscríbe") + r"te\b"),
            ("b", r"onn(?<=\babonn)(?:ez-vous|e-toi)\b"),
        ),
    ),
    SpamRule(
        "follow_me",
        "asks for followers or likes elsewhere, or trades them (follow for follow, like 4 like)",
        (
            (r"\bf", rf"ollow(?:{_}(?:me|us)\b|\W*(?:4|for)\W*follow\b)"),
            ("k", r"e(?<=\blike)\W*(?:4|for)\W*like\b"),
        ),
    ),
    SpamRule(
        "money_offer",
        "offers easy money, free gift cards or prizes: scam and referral spam",
        (
            (r"\bf", rf"ree{_}(?:\w+{_})?(?:gift\W*cards?|money|robux|v\W?bucks|psn|itunes)"),
            ("f", rf"t(?<=\bgift){_}cards?{_}codes?"),
            (r"\bmoney", r"\b" + _ends(
                *(rf"\bearn{space}{adjective}money" for adjective in ("", "real ", "free ", "extra ", "easy ")
                  for space in (" ", "  ")),
                r"\bpaypal money", r"\bpay pal money",
            )),
        ),
    ),
    SpamRule(
        "contact_offer",
        "a WhatsApp contact or phone number together with money, loans, investment or followers: "
        "the scam pattern (a customer who leaves a number alone is kept)",
        (
            (r"\+", rf"(?=\d[\d ().-]{{7,}}\d{_OFFER})"),
            (r"\bforex", rf"(?={_CONTACT})"),
            ("y", rf"pto(?<=\bcrypto)(?={_CONTACT})"),
            ("b", rf"itcoin(?<=\bbitcoin)(?={_CONTACT})"),
            ("f", rf"it(?<=\bprofit)(?={_CONTACT})"),
            (r"\bf", rf"ollowers(?={_CONTACT})"),
        ),
    ),
)


def _compile(cues: list[tuple[str, str]]) -> re.Pattern[bytes]:
    """One regex for these cues, grouped by anchor and then by look-behind, each written once.

    Every top-level alternative then starts with a different literal, so the engine skips in C to
    the next anchor character, and there checks each distinct look-behind only once.
    """
    by_anchor: dict[str, dict[str, list[str]]] = {}
    for ends, rest in cues:
        anchor = ends[-1]
        by_anchor.setdefault(anchor, {}).setdefault(ends, []).append(rest)
    alternatives = []
    for anchor, by_ends in by_anchor.items():
        branches = [
            ("" if ends in (anchor, re.escape(anchor)) else f"(?<={ends})") + f"(?:{'|'.join(rests)})"
            for ends, rests in by_ends.items()
        ]
        alternatives.append(f"{re.escape(anchor)}(?:{'|'.join(branches)})")
    return re.compile("|".join(alternatives).encode("utf-8"), re.DOTALL)


_SPAM = _compile([cue for rule in RULES for cue in rule.cues])
_EACH = tuple((rule.name, _compile(list(rule.cues))) for rule in RULES)


_search = _SPAM.search


def _folded(text: str) -> bytes:
    """The text as UTF-8 with ASCII letters lower-cased (Unicode lower-casing costs twice as much)."""
    try:
        return text.encode().lower()
    except UnicodeEncodeError:  # a lone surrogate, e.g. half of an emoji cut by a truncating client
        return text.encode("utf-8", "surrogatepass").lower()


def spam_verdict(text: str | None) -> bool:
    """True when the text is obvious spam or self-promotion."""
    if not text:
        return False
    try:  # _folded, inlined: this runs for every imported row
        folded = text.encode().lower()
    except UnicodeEncodeError:
        folded = _folded(text)
    return _search(folded) is not None


def spam_rule(text: str | None) -> str | None:
    """The name of the first rule that marks the text as spam (to show why), or None."""
    if not text:
        return None
    folded = _folded(text)
    return next((name for name, pattern in _EACH if pattern.search(folded)), None)
